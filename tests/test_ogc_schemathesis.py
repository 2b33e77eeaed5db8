"""Schemathesis over /ogc/openapi, GET only: every operation the document lists is called with
inputs generated from its parameters (limits, offsets, bboxes, property filters, feature ids)
against the Django app through WSGI, on the tiny demo city. No answer may be a 5xx, and every
answer must be one the document declares (status, content type, schema).

Bounded and repeatable: a fixed number of examples per operation, derandomized, so a run is the
same every time and takes well under a minute."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from geo.wsgi import application
from layers.ogc.openapi import openapi_document
from layers.selectors.layer_rows import layer_names

EXAMPLES_PER_OPERATION = 6
BASE_URL = "http://testserver/ogc"

pytestmark = pytest.mark.django_db


# The document the view serves to anonymous clients, built by the same function (the view itself
# cannot run at collection time: requests are atomic, and the test database is not there yet);
# test_the_document_is_the_served_one checks they are equal.
DOCUMENT = openapi_document(base_url=BASE_URL, layers=layer_names(personal=False))
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_document_is_the_served_one(client):
    assert client.get("/ogc/openapi").json() == DOCUMENT


@pytest.fixture
def connections_kept():
    """Calling the WSGI app sends request_started/request_finished, whose handler closes the
    database connection, and with it the test's transaction; the test client unhooks it the
    same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_ogc_answers_as_documented(case, tiny_city, connections_kept):
    if case.method != "GET":
        return  # Schemathesis also tries methods the document does not list; GET only here
    # REMOTE_ADDR as gunicorn sets it (Werkzeug's test client leaves it out; the rate limits
    # of geo/ratelimits.py key on it).
    case.call_and_validate(
        app=application,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        # A limit above the documented maximum is cut to it, as OGC API Features permits
        # (/req/core/fc-limit-response-1), not refused: a 200 there is right. And a bbox
        # whose minimum exceeds its maximum is a documented 400 that OpenAPI 3.0 cannot
        # express in the schema (no per-position array items).
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
