"""The pages' shell: error pages in Chinese on the site's own template (JSON {"error": …} on API
paths), the 500 page without the database, the header by who is signed in (name and sign-out,
staff-only links), and where sign-in and sign-out land."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import get_resolver

from geo import views
from tests.demo_city_support import planner_make

API_PATHS = ["/api/no-such-endpoint", "/ogc/no-such", "/tiles/no/such", "/metrics/x", "/healthz/x"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def is_site_page(html: str) -> bool:
    """The page extends base.html: the site's stylesheet and header."""
    return "/static/geo/site.css" in html and 'class="site-header"' in html


def test_the_error_handlers_are_the_sites():
    resolver = get_resolver()
    assert resolver.resolve_error_handler(400) is views.bad_request
    assert resolver.resolve_error_handler(403) is views.permission_denied
    assert resolver.resolve_error_handler(404) is views.page_not_found
    assert resolver.resolve_error_handler(500) is views.server_error


@pytest.mark.django_db
def test_404_is_a_chinese_site_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert is_site_page(html) and 'lang="zh-Hans"' in html
    assert "页面不存在" in html and "返回地图" in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", API_PATHS)
def test_404_on_api_paths_is_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": views.ERROR_MESSAGES[404]}


@pytest.mark.django_db
def test_403_is_a_chinese_site_page(client):
    # Signed in, but not a planner: the import page refuses.
    get_user_model().objects.create_user("visitor", password="pw-visit-1")
    client.force_login(get_user_model().objects.get(username="visitor"))
    response = client.get("/import/")
    assert response.status_code == 403
    html = response.content.decode()
    assert is_site_page(html) and "没有权限" in html and "visitor" in html


@pytest.mark.django_db
def test_a_failed_csrf_check_is_the_sites_403_in_chinese_and_json_for_the_api():
    client = Client(enforce_csrf_checks=True)
    get_user_model().objects.create_user("visitor", password="pw-visit-1")
    client.force_login(get_user_model().objects.get(username="visitor"))
    page = client.post("/i18n/setlang/", {"language": "en"})  # a form with no token
    assert page.status_code == 403
    html = page.content.decode()
    assert is_site_page(html) and "表单已过期" in html and "CSRF verification failed" not in html
    api = client.post("/api/edit/communities/420102001001/draft", "{}", "application/json")
    assert api.status_code == 403 and "X-CSRFToken" in api.json()["error"]


@pytest.mark.django_db
def test_400_page_and_json(client):
    # A Host header not in ALLOWED_HOSTS is Django's SuspiciousOperation: a 400.
    page = client.get("/", headers={"host": "evil.example"})
    assert page.status_code == 400
    assert is_site_page(page.content.decode()) and "请求有误" in page.content.decode()
    api = client.get("/api/lookup", headers={"host": "evil.example"})
    assert api.status_code == 400 and api.json() == {"error": views.ERROR_MESSAGES[400]}


def test_500_page_needs_no_database(rf):
    # No django_db mark: any database access here raises (pytest-django blocks it).
    response = views.server_error(rf.get("/dashboard/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert is_site_page(html) and "服务器出错" in html
    api = views.server_error(rf.get("/api/lookup"))
    assert api.status_code == 500 and "try again" in api.content.decode().lower()


@pytest.mark.django_db
def test_a_failing_page_answers_the_500_page(monkeypatch):
    from tiles import pages

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(pages, "city_summary", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "服务器出错" in response.content.decode()


# --- the header -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_header_has_no_staff_links_and_a_sign_in(client):
    html = client.get("/lookup/").content.decode()
    assert 'href="/admin/"' not in html and 'href="/healthz"' not in html
    assert 'href="/import/"' not in html
    assert 'href="/accounts/login/?next=/lookup/"' in html
    assert 'action="/accounts/logout/"' not in html


@pytest.mark.django_db
def test_planner_header_has_name_sign_out_and_import_but_no_admin(client):
    planner = planner_make("planner-h5")
    client.force_login(planner)
    html = client.get("/lookup/").content.decode()
    assert "planner-h5" in html
    assert 'action="/accounts/logout/" method="post"' in html and "退出登录" in html
    assert 'href="/import/"' in html
    assert 'href="/admin/"' not in html and 'href="/healthz"' not in html


@pytest.mark.django_db
def test_plain_user_sees_no_import(client):
    client.force_login(get_user_model().objects.create_user("reader"))
    html = client.get("/lookup/").content.decode()
    assert "reader" in html and 'href="/import/"' not in html


@pytest.mark.django_db
def test_staff_header_has_administration_and_status(admin_client):
    html = admin_client.get("/lookup/").content.decode()
    assert 'href="/admin/"' in html and 'href="/healthz"' in html
    assert "管理后台" in html and "运行状态" in html


# --- where sign-in and sign-out land ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("next_url", "lands"),
    [("", "/"), ("/dashboard/", "/dashboard/"), ("https://evil.example/", "/")],
)
def test_sign_in_lands_on_the_map_or_a_safe_next(client, next_url, lands):
    get_user_model().objects.create_user("planner", password="pw-plan-1")
    response = client.post(
        "/accounts/login/", {"username": "planner", "password": "pw-plan-1", "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == lands
    assert client.get(lands).status_code == 200


@pytest.mark.django_db
def test_sign_out_is_a_post_that_lands_on_the_map(client):
    client.force_login(get_user_model().objects.create_user("planner"))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "planner" not in client.get("/lookup/").content.decode()
