"""The resilient client against a real local server that fails on purpose."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shop_common.client import (
    PooledServiceClient,
    ServiceClient,
    UpstreamRefused,
    UpstreamTimeout,
    json_object,
)
from shop_common.request_id import request_id_var
from shop_testing.ports import free_port


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class ScriptedServer(ThreadingHTTPServer):
    """Answers each request with the next scripted answer (the last one repeats)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.script: list[Answer] = [Answer()]
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_answer(self, method: str, headers: dict[str, str]) -> Answer:
        with self.lock:
            self.seen.append((method, headers))
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


class ScriptedHandler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.bodies.append(self.rfile.read(length))
        answer = self.server.next_answer(self.command, dict(self.headers))
        time.sleep(answer.delay)
        body = b'{"ok": true}'
        self.send_response(answer.status)
        for name, value in {**answer.headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args: object) -> None:
        """Quiet: the test output is about the client."""


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    thread = threading.Thread(target=scripted.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield scripted
    scripted.shutdown()
    scripted.server_close()


# Every test runs with both clients: on requests, and on urllib3's pool alone.
client_class: type[ServiceClient] = ServiceClient


@pytest.fixture(autouse=True, params=[ServiceClient, PooledServiceClient])
def each_client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}.client_class", request.param)


def make_client(url: str, **options: float) -> ServiceClient:
    defaults = {"retries": 2, "backoff": 0.01, "read_timeout": 1.0, "budget": 3.0}
    return client_class("upstream", url, **{**defaults, **options})


def test_a_get_is_retried_through_503s_until_it_succeeds(server):
    server.script = [Answer(503), Answer(502), Answer(200)]

    response = make_client(server.url).request("GET", "/thing")

    assert response.status_code == 200
    assert len(server.seen) == 3


def test_retries_end_with_the_last_answer_when_the_service_stays_down(server):
    server.script = [Answer(503)]

    response = make_client(server.url, retries=2).request("GET", "/thing")

    assert response.status_code == 503
    assert len(server.seen) == 3


def test_a_post_without_an_idempotency_key_is_never_resent(server):
    server.script = [Answer(503), Answer(201)]

    response = make_client(server.url).request("POST", "/orders", json={"a": 1})

    assert response.status_code == 503
    assert len(server.seen) == 1


def test_a_post_with_an_idempotency_key_is_retried(server):
    server.script = [Answer(503), Answer(201)]

    response = make_client(server.url).request(
        "POST", "/orders", json={"a": 1}, headers={"Idempotency-Key": "k-1"}
    )

    assert response.status_code == 201
    assert len(server.seen) == 2


def test_the_idempotency_key_counts_in_any_letter_case(server):
    server.script = [Answer(503), Answer(201)]

    response = make_client(server.url).request(
        "POST", "/orders", json={"a": 1}, headers={"idempotency-key": "k-2"}
    )

    assert response.status_code == 201
    assert len(server.seen) == 2


def test_a_client_error_is_not_retried(server):
    server.script = [Answer(400)]

    response = make_client(server.url).request("GET", "/thing")

    assert response.status_code == 400
    assert len(server.seen) == 1


def test_a_refused_connection_is_retried_then_reported_as_refused():
    started = time.monotonic()

    with pytest.raises(UpstreamRefused) as raised:
        make_client(f"http://127.0.0.1:{free_port()}").request("GET", "/thing")

    assert raised.value.service == "upstream"
    assert time.monotonic() - started < 2


def test_a_hanging_service_is_a_timeout_within_the_read_timeout_and_budget(server):
    server.script = [Answer(200, delay=5)]
    started = time.monotonic()

    with pytest.raises(UpstreamTimeout):
        make_client(server.url, read_timeout=0.3, retries=1, budget=1.0).request("GET", "/x")

    assert time.monotonic() - started < 1.5


def test_a_long_retry_after_is_capped(server):
    server.script = [Answer(503, {"Retry-After": "120"}), Answer(200)]
    started = time.monotonic()

    response = make_client(server.url).request("GET", "/thing")

    assert response.status_code == 200
    assert time.monotonic() - started < 3


def test_the_time_budget_stops_retries_however_many_are_allowed(server):
    server.script = [Answer(503, delay=0.2)]
    started = time.monotonic()

    response = make_client(server.url, retries=50, budget=1.0).request("GET", "/thing")

    assert response.status_code == 503
    assert time.monotonic() - started < 2
    assert len(server.seen) < 10


def test_the_request_id_goes_along(server):
    token = request_id_var.set("trace-42")
    try:
        make_client(server.url).request("GET", "/thing")
    finally:
        request_id_var.reset(token)

    assert server.seen[0][1]["X-Request-ID"] == "trace-42"


def test_each_thread_keeps_its_own_session_and_reuses_it(server):
    client = make_client(server.url)
    sessions = []

    def call() -> None:
        client.request("GET", "/a")
        client.request("GET", "/b")
        sessions.append(client.session()[0])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(session) for session in sessions}) == 4
    assert len(server.seen) == 8


def test_a_json_body_goes_as_json_and_the_answer_reads_as_requests_reads_it(server):
    server.script = [Answer(201, {"X-Kind": "made"})]

    response = make_client(server.url).request("POST", "/orders", json={"name": "Thé", "n": [1]})

    assert json.loads(server.bodies[0]) == {"name": "Thé", "n": [1]}
    assert server.seen[0][1]["Content-Type"] == "application/json"
    assert (response.status_code, response.headers["x-kind"]) == (201, "made")
    assert (response.json(), json_object(response), response.text) == (
        {"ok": True},
        {"ok": True},
        '{"ok": true}',
    )
