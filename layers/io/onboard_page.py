"""/import/onboard: staff upload a district's files as one zip; the onboarding runs as a
background job (layers/jobs.py, never in the request) and /import/onboard/{job} shows its
progress, then its report. Views parse, call, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from geo.errors import BadRequest, Forbidden, NotFound
from geo.ratelimits import rate_limited
from layers.jobs import job_for_user, onboard_submit
from layers.models import Job, JobFile


@rate_limited("uploads", methods=("POST",))
@login_required
@require_POST
def onboard_submit_page(request):
    """POST file (a .zip), county (optional), code_map (optional): queue the onboarding and
    go to its page; the form again with the reason when it is refused."""
    county = request.POST.get("county", "").strip()
    code_map = request.POST.get("code_map", "").strip()
    try:
        upload = request.FILES.get("file")
        if upload is None:
            raise BadRequest(_("Choose the .zip of the district's files."))
        job = onboard_submit(
            user=request.user,
            data=upload.read(),  # bounded while streaming (GRIDATLAS_IMPORT_UPLOAD_MAX_BYTES)
            filename=upload.name,
            county=county,
            code_map=code_map,
            language=get_language(),
        )
    except (BadRequest, Forbidden) as exc:
        context = {"error": exc.message, "county": county, "code_map": code_map}
        return render(request, "layers/onboard.html", context, status=exc.status)
    return redirect("import-onboard-job", job_id=job.pk)


@login_required
@require_GET
def onboard_job_page(request, job_id):
    """The job's status (the page reloads itself while it runs), then its report."""
    job = job_for_user(job_id=job_id, user=request.user)
    if job.kind != Job.Kind.ONBOARD:
        raise NotFound(f"no onboarding {job_id} of yours")
    result = JobFile.objects.filter(job=job, role=JobFile.Role.RESULT).first()
    context = {
        "job": job,
        "active": job.status in Job.ACTIVE,
        "summary": job.summary or {},
        "report_text": bytes(result.data).decode() if result else "",
    }
    return render(request, "layers/onboard.html", context)
