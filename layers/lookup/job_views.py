"""A user's background jobs: GET /api/jobs/{id} (status and progress) and GET
/api/jobs/{id}/result (the result file). Only the job's owner and staff see a job; to anyone
else it does not exist (404)."""

from urllib.parse import quote

from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from geo.errors import SignInRequired
from geo.http import json_response
from layers.jobs import job_as_json, job_for_user, job_result


def _signed_in(request) -> None:
    if not request.user.is_authenticated:
        raise SignInRequired("sign in (/accounts/login/) to see your jobs")


@transaction.non_atomic_requests  # polled every second or two: one read, no BEGIN/COMMIT
@require_GET
def job_status(request, job_id):
    """GET /api/jobs/{id}: status (queued, running, done, failed), progress {done, total} in
    rows, the error or the summary, and result_url once done."""
    _signed_in(request)
    return json_response(job_as_json(job_for_user(job_id=job_id, user=request.user)))


@require_GET
def job_result_download(request, job_id):
    """GET /api/jobs/{id}/result: the result file (CSV or XLSX, as the input) as an attachment;
    409 while the job has not finished."""
    _signed_in(request)
    result = job_result(job=job_for_user(job_id=job_id, user=request.user))
    response = HttpResponse(bytes(result.data), content_type=result.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(result.name)}"
    return response
