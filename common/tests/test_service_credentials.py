"""Service credentials: one token per process, fetched once, renewed before expiry."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.conf import settings

from shop_common.service_credentials import (
    ServiceCredential,
    ServiceCredentialError,
    client_secret,
)


class FakeUserService:
    """Stands in for user_svc's ServiceClient: answers the token request, counts calls."""

    def __init__(self, status: int = 200, body: object = None, delay: float = 0.0) -> None:
        self.status = status
        self.body = {"access": "token-1", "expires_in": 300} if body is None else body
        self.delay = delay
        self.calls: list[dict] = []

    def request(self, method: str, path: str, *, json: dict) -> requests.Response:
        threading.Event().wait(self.delay)
        self.calls.append({"method": method, "path": path, "json": json})
        response = requests.Response()
        response.status_code = self.status
        response._content = _dumps(self.body)
        return response


def _dumps(body: object) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def test_the_token_is_fetched_once_and_sent_as_a_bearer_header():
    user_svc = FakeUserService()
    credential = ServiceCredential("order_svc", client_secret="s3cret", client=user_svc)

    assert credential.headers() == {"Authorization": "Bearer token-1"}
    assert credential.headers() == {"Authorization": "Bearer token-1"}
    assert user_svc.calls == [
        {
            "method": "POST",
            "path": "/internal/v1/service-token/",
            "json": {"client_id": "order_svc", "client_secret": "s3cret"},
        }
    ]


def test_many_threads_at_once_share_one_fetch():
    user_svc = FakeUserService(delay=0.05)
    credential = ServiceCredential("order_svc", client_secret="s3cret", client=user_svc)

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = set(pool.map(lambda _: credential.token(), range(16)))

    assert tokens == {"token-1"}
    assert len(user_svc.calls) == 1


def test_a_token_close_to_expiry_is_renewed():
    user_svc = FakeUserService(body={"access": "short", "expires_in": 0})
    credential = ServiceCredential("order_svc", client_secret="s3cret", client=user_svc)

    credential.token()
    credential.token()

    assert len(user_svc.calls) == 2


def test_a_failed_renewal_keeps_the_token_while_it_is_still_valid(monkeypatch):
    user_svc = FakeUserService(body={"access": "token-1", "expires_in": 60})
    credential = ServiceCredential("order_svc", client_secret="s3cret", client=user_svc)
    credential.token()
    user_svc.status, user_svc.body = 503, {"detail": "down"}
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 45)  # in the renewal window

    assert credential.token() == "token-1"
    assert len(user_svc.calls) == 2


def test_a_failed_renewal_of_an_expired_token_raises():
    user_svc = FakeUserService(body={"access": "token-1", "expires_in": 0})
    credential = ServiceCredential("order_svc", client_secret="s3cret", client=user_svc)
    credential.token()
    user_svc.status, user_svc.body = 503, {"detail": "down"}

    with pytest.raises(ServiceCredentialError):
        credential.token()


def test_invalidate_makes_the_next_call_fetch_a_new_token():
    user_svc = FakeUserService()
    credential = ServiceCredential("order_svc", client_secret="s3cret", client=user_svc)
    credential.token()

    credential.invalidate()
    credential.token()

    assert len(user_svc.calls) == 2


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (401, {"detail": "Unknown client or wrong secret."}, "401 Unknown client"),
        (200, {"access": "x"}, "expires_in"),
        (200, b"<html>", "expires_in"),
        (502, b"Bad gateway", "502"),
    ],
)
def test_a_refusal_or_odd_answer_raises_a_clear_error(status, body, reason):
    user_svc = FakeUserService(status=status, body=body)
    credential = ServiceCredential("order_svc", client_secret="s3cret", client=user_svc)

    with pytest.raises(ServiceCredentialError, match=reason):
        credential.token()


def test_the_default_client_calls_user_svc_where_the_service_table_says(monkeypatch):
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            seen.append((self.path, json.loads(self.rfile.read(length))))
            body = json.dumps({"access": "from-http", "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet: the test output is not the place for an access log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("USER_SVC_URL", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        token = ServiceCredential("order_svc", client_secret="s3cret").token()
    finally:
        server.shutdown()

    assert token == "from-http"
    assert seen == [
        ("/internal/v1/service-token/", {"client_id": "order_svc", "client_secret": "s3cret"})
    ]


def test_the_secret_sent_is_the_one_the_settings_read_at_start_up(settings):
    settings.SERVICE_CLIENT_SECRET = "from-settings"
    user_svc = FakeUserService()

    ServiceCredential("order_svc", client=user_svc).token()

    assert user_svc.calls[0]["json"]["client_secret"] == "from-settings"


def test_the_caller_secret_comes_from_the_environment_when_set(monkeypatch):
    monkeypatch.setenv("SERVICE_CLIENT_SECRET", "from-env")

    assert client_secret("order_svc", base_dir=settings.BASE_DIR, debug=False) == "from-env"


def test_renewals_reuse_the_default_client_and_its_connections(monkeypatch):
    made = []

    def service_client(service: str, base_url: str) -> FakeUserService:
        made.append(FakeUserService(body={"access": "short", "expires_in": 0}))
        return made[-1]

    monkeypatch.setattr("shop_common.service_credentials.ServiceClient", service_client)
    credential = ServiceCredential("order_svc", client_secret="s3cret")

    credential.token()
    credential.token()

    assert len(made) == 1
    assert len(made[0].calls) == 2


class FakeTarget:
    """A service that refuses its first `refusals` calls with 401, then answers 200."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.seen: list[str] = []

    def request(self, method: str, path: str, *, headers: dict, **kwargs: object):
        self.seen.append(headers["Authorization"])
        response = requests.Response()
        response.status_code = 401 if len(self.seen) <= self.refusals else 200
        return response


@pytest.mark.parametrize(("refusals", "status", "fetches"), [(0, 200, 1), (1, 200, 2), (2, 401, 2)])
def test_a_call_renews_a_refused_token_once(refusals, status, fetches):
    user_svc = FakeUserService()
    credential = ServiceCredential("payment_svc", client_secret="s3cret", client=user_svc)
    target = FakeTarget(refusals)

    response = credential.call(target, "GET", "/internal/v1/orders/1/", headers={"X-A": "b"})

    assert response.status_code == status
    assert len(user_svc.calls) == fetches
    assert target.seen == ["Bearer token-1"] * min(refusals + 1, 2)
