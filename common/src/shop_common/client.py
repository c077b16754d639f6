"""The resilient HTTP client for calls between services.

One `requests.Session` per thread, each with an `HTTPAdapter` whose pool keeps
connections alive and whose urllib3 `Retry` retries what is safe to retry: connection
failures always (nothing reached the server), 502/503/504 only for idempotent methods
and for POSTs that carry an `Idempotency-Key`. Every call has connect and read timeouts
and a total time budget that retries and `Retry-After` waits never exceed.
`PooledServiceClient` does the same through urllib3's pool alone, for hot paths.
"""

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

from shop_common.request_id import HEADER as REQUEST_ID_HEADER
from shop_common.request_id import current_request_id

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENCY_HEADER = "Idempotency-Key"


class UpstreamError(Exception):
    """A service could not be reached or did not answer in time."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class UpstreamUnavailable(UpstreamError):
    """Connection refused or reset, or retries used up."""


class UpstreamRefused(UpstreamUnavailable):
    """Nothing reached the service: the connection was refused or not made in time."""


class UpstreamTimeout(UpstreamError):
    """The service accepted the call but did not answer within the read timeout."""


class BudgetRetry(Retry):
    """A `Retry` that stops at a deadline and caps `Retry-After`.

    urllib3 would otherwise honour `Retry-After` for up to six hours and keep retrying
    however long each attempt took.
    """

    def __init__(
        self, *args: Any, deadline: float | None = None, max_wait: float = 2.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.max_wait = max_wait

    def new(self, **kw: Any) -> Self:
        kw.setdefault("deadline", self.deadline)
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)

    def _remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if self._remaining() <= 0:
            raise MaxRetryError(_pool, url, error or ResponseError("time budget spent"))
        return retry

    def get_backoff_time(self) -> float:
        return max(0.0, min(super().get_backoff_time(), self.max_wait, self._remaining()))

    def get_retry_after(self, response: Any) -> float | None:
        wait = super().get_retry_after(response)
        if wait is None:
            return None
        return max(0.0, min(wait, self.max_wait, self._remaining()))


class ServiceClient:
    """Calls one service: `ServiceClient("product_svc", "http://...").request("GET", "/x")`."""

    # A subclass may count or refine retries with its own `BudgetRetry`.
    retry_class: type[BudgetRetry] = BudgetRetry

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        retries: int = 2,
        backoff: float = 0.1,
        connect_timeout: float = 1.0,
        read_timeout: float = 5.0,
        budget: float = 8.0,
        pool_maxsize: int = 32,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.timeout = (connect_timeout, read_timeout)
        self.budget = budget
        self.pool_maxsize = pool_maxsize
        self._local = threading.local()

    def session(self) -> tuple[requests.Session, HTTPAdapter]:
        """This thread's session; sessions are not shared between threads."""
        if not hasattr(self._local, "session"):
            session = requests.Session()
            # No proxy lookup from the environment on every call.
            session.trust_env = False
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.pool_maxsize)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session, self._local.adapter = session, adapter
        return self._local.session, self._local.adapter

    def retry_policy(self, method: str, *, keyed: bool) -> BudgetRetry:
        """The retries of one call: idempotent methods, and `method` too when the call
        carries an `Idempotency-Key` (`keyed`)."""
        methods = set(IDEMPOTENT_METHODS)
        if keyed:
            methods.add(method)
        return self.retry_class(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            other=0,
            allowed_methods=frozenset(methods),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=self.backoff,
            backoff_jitter=self.backoff,
            respect_retry_after_header=True,
            raise_on_status=False,
            deadline=time.monotonic() + self.budget,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one call (with retries); raise `UpstreamError` when no answer came back.

        A final 5xx answer is returned, not raised: the caller decides what it means.
        """
        method = method.upper()
        # Header names are case-insensitive: an `idempotency-key` makes a POST retryable too.
        headers = CaseInsensitiveDict(headers or {})
        request_id = current_request_id()
        if request_id:
            headers.setdefault(REQUEST_ID_HEADER, request_id)
        session, adapter = self.session()
        adapter.max_retries = self.retry_policy(method, keyed=IDEMPOTENCY_HEADER in headers)
        kwargs.setdefault("timeout", self.timeout)
        try:
            return session.request(method, self.base_url + path, headers=headers, **kwargs)
        except requests.ConnectTimeout as exc:
            raise UpstreamRefused(self.service, "connect timed out") from exc
        except requests.Timeout as exc:
            raise UpstreamTimeout(self.service, "timed out") from exc
        except requests.RequestException as exc:
            reason = getattr(exc.args[0] if exc.args else None, "reason", None)
            if isinstance(reason, ReadTimeoutError):
                raise UpstreamTimeout(self.service, "timed out") from exc
            if isinstance(reason, NewConnectionError):
                raise UpstreamRefused(self.service, "connection refused") from exc
            raise UpstreamUnavailable(self.service, type(exc).__name__) from exc


@dataclass(frozen=True)
class Answer:
    """A service's answer, read whole, with the names requests gives them."""

    status_code: int
    headers: urllib3.HTTPHeaderDict
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; `ValueError` when it is not."""
        return json.loads(self.content)


class PooledServiceClient(ServiceClient):
    """`ServiceClient`'s retries, budget and errors, sent through urllib3's pool directly.

    requests is urllib3 with a session on top: merging settings, preparing and re-quoting
    each call, cookies and hooks cost about 0.45 ms of CPU a call here, 40% of the call
    (the gateway's `GatewayClient` left it for the same reason). For services' own calls
    on a hot path (order_svc's reservations), which send JSON and read JSON back.
    """

    def __init__(self, service: str, base_url: str, **options: Any) -> None:
        super().__init__(service, base_url, **options)
        # Thread-safe: the worker's threads share it; it opens more connections while
        # more threads call at once and keeps `pool_maxsize` of them.
        self.pool = urllib3.connection_from_url(self.base_url, maxsize=self.pool_maxsize)

    def request(  # type: ignore[override]
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Answer:
        """Send one call (with retries), `json` as its body; raise `UpstreamError` when no
        answer came back. A final 5xx answer is returned, not raised."""
        method = method.upper()
        # Case-insensitive: an `idempotency-key` makes a POST retryable too.
        sent = urllib3.HTTPHeaderDict(headers or {})
        request_id = current_request_id()
        if request_id:
            sent.setdefault(REQUEST_ID_HEADER, request_id)
        try:
            response = self.pool.request(
                method,
                path,
                json=json,
                headers=sent,
                retries=self.retry_policy(method, keyed=IDEMPOTENCY_HEADER in sent),
                timeout=urllib3.Timeout(connect=self.timeout[0], read=self.timeout[1]),
                redirect=False,
                assert_same_host=False,
            )
        except HTTPError as exc:
            raise upstream_error(self.service, exc) from exc
        return Answer(response.status, response.headers, response.data)


def upstream_error(service: str, exc: HTTPError) -> UpstreamError:
    """What a failed urllib3 call means to the caller: no answer in time, nothing reached
    the service (refused, or no connection in time), or the service broke off or kept
    failing."""
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    if isinstance(reason, ReadTimeoutError):
        return UpstreamTimeout(service, "timed out")
    if isinstance(reason, ConnectTimeoutError):  # urllib3's NewConnectionError is one
        return UpstreamRefused(service, "connection refused")
    return UpstreamUnavailable(service, type(reason).__name__)


def json_object(response: requests.Response | Answer) -> dict[str, Any]:
    """A service's answer as a dict, or an empty one when it is not a JSON object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
