"""Sign-in throttling (django-axes): after GRIDATLAS_LOGIN_FAILURE_LIMIT wrong passwords for one
user name from one address, even the right password is refused with a Chinese page (429) on the
planners' sign-in and the admin's, until the cool-off has passed; another user, or the same user
from another address, is not affected."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from geo.views import client_ip

LIMIT = 3
RIGHT = "pw-right-1"


@pytest.fixture(autouse=True)
def throttling(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.GRIDATLAS_LOGIN_COOLOFF_S = 15 * 60


@pytest.fixture
def users(db):
    make = get_user_model().objects.create_user
    return make("planner", password=RIGHT), make("other", password=RIGHT)


def sign_in(client, username, password, *, path="/accounts/login/", ip="10.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail_until_locked(client, username, **kw):
    for _ in range(LIMIT):
        response = sign_in(client, username, "wrong", **kw)
    return response


def test_wrong_passwords_lock_the_right_one_out_then_the_cool_off_frees_it(users):
    client = Client()
    locked = fail_until_locked(client, "planner")
    assert locked.status_code == 429
    response = sign_in(client, "planner", RIGHT)
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录已锁定" in html and "请 15 分钟后再试" in html
    assert "/static/geo/site.css" in html  # the site's own page
    assert "_auth_user_id" not in client.session

    # Another user from the same address, and the same user from another address: not locked.
    assert sign_in(Client(), "other", RIGHT)["Location"] == "/"
    assert sign_in(Client(), "planner", RIGHT, ip="10.0.0.2")["Location"] == "/"

    # The cool-off passes (the attempts are dated back rather than waited for).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    response = sign_in(client, "planner", RIGHT)
    assert response.status_code == 302 and response["Location"] == "/"
    assert str(users[0].pk) == client.session["_auth_user_id"]


def test_fewer_failures_than_the_limit_do_not_lock(users):
    client = Client()
    for _ in range(LIMIT - 1):
        assert sign_in(client, "planner", "wrong").status_code == 200
    assert sign_in(client, "planner", RIGHT).status_code == 302


def test_the_admin_sign_in_is_throttled_too(users):
    admin = get_user_model().objects.create_superuser("boss", password=RIGHT)
    client = Client()
    fail_until_locked(client, "boss", path="/admin/login/")
    response = sign_in(client, "boss", RIGHT, path="/admin/login/")
    assert response.status_code == 429 and "登录已锁定" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still signed out
    assert admin.is_superuser


@pytest.mark.parametrize(
    ("proxies", "forwarded", "ip"),
    [
        (0, "1.2.3.4", "10.9.9.9"),  # no proxy: X-Forwarded-For is whatever the client says
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the entry our proxy added, not the client's claim
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.5", "1.2.3.4"),
        (1, "", "10.9.9.9"),
    ],
)
def test_client_address_behind_trusted_proxies(settings, proxies, forwarded, ip):
    settings.GRIDATLAS_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == ip
