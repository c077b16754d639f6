"""Failed logins per email: refused for a while after too many, whoever owns the email."""

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from accounts.tests.factories import PASSWORD, UserFactory
from accounts.throttling import Rate

URL = "/api/v1/auth/token/"
PASSWORD_URL = "/api/v1/users/me/password/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_failures_a_minute(settings):
    settings.RATE_LIMIT_LOGIN = "3/m"


def log_in(api, email, password=PASSWORD):
    return api.post(URL, {"email": email, "password": password}, format="json")


def fail(api, email, times):
    for _ in range(times):
        assert log_in(api, email, "wrong-password").status_code == 401


def test_after_too_many_failures_even_the_right_password_is_refused_with_429(api, user):
    fail(api, user.email, 3)

    response = log_in(api, user.email)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Too many failed attempts for this email.")


def test_an_unknown_email_is_refused_exactly_like_a_known_one(api, user):
    fail(api, user.email, 3)
    fail(api, "nobody@example.com", 3)

    known = log_in(api, user.email, "guess")
    unknown = log_in(api, "nobody@example.com", "guess")

    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()


def test_the_count_ignores_the_letter_case_of_the_email(api, user):
    fail(api, user.email.upper(), 3)

    assert log_in(api, user.email).status_code == 429


def test_failures_for_one_email_do_not_lock_out_another(api, user):
    fail(api, "attacked@example.com", 3)

    assert log_in(api, user.email).status_code == 200


def test_a_successful_login_clears_the_count(api, user):
    fail(api, user.email, 2)
    assert log_in(api, user.email).status_code == 200

    fail(api, user.email, 2)

    assert log_in(api, user.email).status_code == 200


def test_wrong_old_passwords_count_as_failed_logins(user, user_api):
    body = {"old_password": "guess", "new_password": "brand-New-pass-77"}
    for _ in range(3):
        assert user_api.post(PASSWORD_URL, body, format="json").status_code == 400

    response = user_api.post(PASSWORD_URL, {**body, "old_password": PASSWORD}, format="json")

    assert response.status_code == 429


def test_a_broken_cache_lets_logins_through_instead_of_locking_everyone_out(api, user, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache is down")

    for method in ("get", "add", "incr", "delete"):
        monkeypatch.setattr(caches["default"], method, down)

    assert log_in(api, user.email, "wrong").status_code == 401
    assert log_in(api, user.email).status_code == 200


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/m", Rate(5, 60)),
        ("100/h", Rate(100, 3600)),
        ("10/5m", Rate(10, 300)),
        ("1/d", Rate(1, 86400)),
    ],
)
def test_rates_are_read_in_django_ratelimit_form(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "5", "five/m", "5/w", "0/m", "-1/m"])
def test_a_mistyped_rate_stops_the_process(text):
    with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT_LOGIN"):
        Rate.parse(text)


def test_staff_and_customers_are_throttled_alike(api):
    staff = UserFactory(is_staff=True)
    fail(api, staff.email, 3)

    assert log_in(api, staff.email).status_code == 429
