"""Counting before acting: however many attempts race, no more than the limit go ahead."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from shop_common.rate_limits import (
    Attempt,
    LoginAttempt,
    Rate,
    Window,
    client_address,
    counters,
)


@pytest.fixture
def cache():
    """The project's counters (Redis when REDIS_URL is set, else a FileCache folder)."""
    return counters()


@pytest.fixture
def name():
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def login_limits(settings):
    settings.RATE_LIMIT_LOGIN = "3/h"
    settings.RATE_LIMIT_LOGIN_CEILING = "5/h"


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/m", Rate(5, 60)),
        ("100/h", Rate(100, 3600)),
        ("10/5m", Rate(10, 300)),
        ("1/d", Rate(1, 86400)),
        (" 7/s ", Rate(7, 1)),
    ],
)
def test_rates_are_read_in_django_ratelimit_form(text, rate):
    assert Rate.parse(text, setting="RATE_LIMIT_X") == rate


@pytest.mark.parametrize("text", ["", "5", "five/m", "5/w", "0/m", "-1/m", "5/0m"])
def test_a_mistyped_rate_names_its_setting(text):
    with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT_X"):
        Rate.parse(text, setting="RATE_LIMIT_X")


def test_parallel_attempts_never_go_ahead_more_often_than_the_limit(cache, name):
    window = Window.current(name, "someone", Rate(10, 3600))
    start = threading.Barrier(40)

    def attempt():
        start.wait()
        return Attempt.start(cache, [window]).refusal is None

    with ThreadPoolExecutor(max_workers=40) as pool:
        allowed = list(pool.map(lambda _: attempt(), range(40)))

    assert allowed.count(True) == 10
    assert cache.get(window.key) == 10


def test_a_refused_attempt_leaves_the_wider_limits_untouched(cache, name):
    narrow = Window.current(f"{name}-narrow", "x", Rate(1, 3600))
    wide = Window.current(f"{name}-wide", "x", Rate(100, 3600))
    Attempt.start(cache, [narrow, wide])

    refused = Attempt.start(cache, [narrow, wide])

    assert refused.refusal.window == narrow
    assert refused.shown().remaining == 0
    assert cache.get(narrow.key) == 1
    assert cache.get(wide.key) == 1


def test_a_withdrawn_attempt_gives_its_place_back(cache, name):
    window = Window.current(name, "x", Rate(1, 3600))

    Attempt.start(cache, [window]).withdraw()

    assert Attempt.start(cache, [window]).refusal is None


def test_a_right_password_forgets_the_addresss_failures_and_not_the_others(cache):
    email = f"{uuid.uuid4().hex}@example.com"
    for _ in range(2):
        LoginAttempt.begin(cache, email=email, address="192.0.2.1")
    LoginAttempt.begin(cache, email=email, address="192.0.2.2")

    LoginAttempt.begin(cache, email=email, address="192.0.2.1").succeeded()

    per_address, per_email = LoginAttempt.begin(cache, email=email, address="192.0.2.1").counts
    assert per_address.count == 1
    assert per_email.count == 4


def test_an_emails_letter_case_and_spaces_do_not_make_another_count(cache):
    email = f"{uuid.uuid4().hex}@example.com"
    for spelling in (email, email.upper(), f" {email} "):
        LoginAttempt.begin(cache, email=spelling, address="192.0.2.1")

    assert LoginAttempt.begin(cache, email=email, address="192.0.2.1").refusal is not None


def test_no_email_or_address_reaches_the_cache(cache):
    window = Window.current("login-email", "secret@example.com", Rate(1, 60))

    assert "secret" not in window.key


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "address"),
    [
        ("192.0.2.1", "6.6.6.6", 0, "192.0.2.1"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", 2, "198.51.100.7"),
        ("10.0.0.1", "198.51.100.7", 3, "198.51.100.7"),
        ("10.0.0.1", "", 1, "10.0.0.1"),
        ("2001:db8::1", "", 0, "2001:db8::/64"),
        ("10.0.0.1", "not-an-address", 1, "10.0.0.1"),
    ],
)
def test_the_client_address_is_believed_only_from_trusted_proxies(
    remote, forwarded, trusted, address
):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request, trusted) == address
