"""The proxy: one request passed on to a service instance and its answer passed back.

Headers go both ways except hop-by-hop ones; the service learns the client's address
and the shop's public origin from `X-Forwarded-*` and the request's id from
`X-Request-ID`. A request the cache may answer carries only the headers its cache key
holds, so nothing else a client sends can shape an answer others receive. The path and
query string go unchanged, bodies are limited in size, and answers larger than
`GATEWAY_BUFFER_MAX_BYTES` (or of unknown size) are streamed, never held in memory.
"""

import functools
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.request import HttpHeaders
from django.utils.encoding import escape_uri_path
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from gateway import cache, metrics
from gateway.errors import ServiceBrokeOff, ServiceTimedOut, ServiceUnavailable
from gateway.limits import address_of
from gateway.routes import Route
from gateway.upstreams import Instance, upstream
from shop_common.client import (
    RETRY_STATUSES,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from shop_common.errors import body_limit, body_too_large
from shop_common.metrics import series
from shop_common.request_id import HEADER as REQUEST_ID_HEADER

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te"}
    | {"trailer", "trailers", "transfer-encoding", "upgrade"}
)
# Set by the gateway itself, never taken from the caller.
REQUEST_HEADERS_REPLACED = frozenset(
    {"host", "content-length", "x-request-id", "forwarded"}
    | {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip"}
)
NOT_PASSED_ON = HOP_BY_HOP | REQUEST_HEADERS_REPLACED
STREAM_CHUNK = 64 * 1024
NO_BODY_STATUSES = frozenset({204, 304})


def named_in(connection: str | None) -> set[str]:
    """The headers a `Connection` header makes hop-by-hop too."""
    return {token.strip().lower() for token in (connection or "").split(",")}


def read_body(request: HttpRequest) -> bytes:
    """The request body, at most its path's limit (`body_limit`; `body_too_large` beyond).

    A declared length was checked by `JSONErrorMiddleware`; read from the stream, since
    Django's `request.body` would refuse a larger body the path is allowed (an image
    upload). A chunked body has no length, and Django would read nothing of it, so it is
    read here up to the limit.
    """
    if request.META.get("CONTENT_LENGTH"):
        return request.read()
    if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return b""
    limit = body_limit(request.path_info)
    body = request.META["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise body_too_large(request.path_info)
    return body


def forwarded_headers(request: HttpRequest) -> dict[str, str]:
    """`X-Forwarded-*`: a caller's own address chain is kept only behind trusted proxies;
    the scheme and host are always the configured public origin, never the client's Host
    or `X-Forwarded-Host/-Proto`: the links services build go into cached answers."""
    trusted = settings.GATEWAY_TRUSTED_PROXIES > 0
    chain = request.META.get("HTTP_X_FORWARDED_FOR", "") if trusted else ""
    remote = request.META.get("REMOTE_ADDR", "")
    origin = urlsplit(settings.GATEWAY_PUBLIC_BASE_URL)
    return {
        "X-Forwarded-For": f"{chain}, {remote}" if chain else remote,
        "X-Forwarded-Proto": origin.scheme,
        "X-Forwarded-Host": origin.netloc,
    }


@functools.lru_cache(maxsize=256)
def header_name(key: str) -> tuple[str, str] | None:
    """The header a WSGI environ key holds, named as `request.headers` names it and in
    lower case; None for the environ's other keys. Kept: a client sends the same few
    names on every request."""
    name = HttpHeaders.parse_header_name(key)
    return None if name is None else (name, name.lower())


def upstream_headers(request: HttpRequest, route: Route) -> dict[str, str]:
    """The caller's headers for the service, read from the WSGI environ: `request.headers`
    would build a case-insensitive mapping of them first, used for nothing else."""
    meta = request.META
    dropped = NOT_PASSED_ON
    if "HTTP_CONNECTION" in meta:
        dropped = dropped | named_in(meta["HTTP_CONNECTION"])
    kept = cache.KEYED_HEADERS if cache.applies(request, route) else None
    headers: dict[str, str] = {}
    for key, value in meta.items():
        named = header_name(key)
        if named is not None and named[1] not in dropped and (kept is None or named[1] in kept):
            headers[named[0]] = value
    headers.update(forwarded_headers(request))
    headers[REQUEST_ID_HEADER] = request.request_id
    return headers


def forward(request: HttpRequest, route: Route, body: bytes) -> HttpResponse:
    """Call the route's service and return its answer; a JSON 503/504 when none came."""
    headers = upstream_headers(request, route)
    path = escape_uri_path(request.path)
    query = request.META.get("QUERY_STRING", "")
    instance, permit = upstream(route.service).choose()
    started = time.perf_counter()
    # A failure after the request reached the instance may be the request's own doing:
    # it counts once per client address (`breaker`); a refused connection always counts.
    sender = address_of(request)
    try:
        answer = instance.client(route.retry).send(
            request.method,
            f"{path}?{query}" if query else path,
            headers=headers,
            body=body or None,
            timeout=route.timeout,
        )
    except UpstreamTimeout:
        instance.breaker.failed(permit, sender=sender)
        record_call(route.service, "timeout", started)
        raise ServiceTimedOut(route.service) from None
    except UpstreamUnavailable as exc:
        instance.breaker.failed(permit, sender=None if isinstance(exc, UpstreamRefused) else sender)
        record_call(route.service, "unavailable", started)
        raise ServiceUnavailable(f"{route.service} is unavailable.", wait=1) from None
    if answer.status in RETRY_STATUSES:
        instance.breaker.failed(permit, sender=sender)
    else:
        instance.breaker.succeeded(permit)
    record_call(route.service, str(answer.status), started)
    try:
        return client_response(request, answer, instance)
    except (ProtocolError, ReadTimeoutError) as exc:
        close(answer)
        raise ServiceBrokeOff(route.service) from exc


def record_call(service: str, outcome: str, started: float) -> None:
    series(metrics.UPSTREAM_CALLS, service, outcome).inc()
    series(metrics.UPSTREAM_LATENCY, service).observe(time.perf_counter() - started)


def client_response(
    request: HttpRequest, answer: BaseHTTPResponse, instance: Instance
) -> HttpResponse:
    """The service's answer for the client: small ones in one piece, large ones streamed."""
    length = answer.headers.get("Content-Length", "")
    headers, cookies = passed_headers(answer, instance)
    if request.method == "HEAD" or answer.status in NO_BODY_STATUSES:
        answer.read(decode_content=False)
        response = HttpResponse(status=answer.status, headers=headers)
    elif length.isdigit() and int(length) <= settings.GATEWAY_BUFFER_MAX_BYTES:
        content = answer.read(decode_content=False)
        headers = {"Content-Length": str(len(content)), **headers}
        response = HttpResponse(content, status=answer.status, headers=headers)
    else:
        response = StreamingHttpResponse(stream(answer), status=answer.status, headers=headers)
    if "Content-Type" not in answer.headers:
        # Django's own default Content-Type must not stand in for the service's.
        del response["Content-Type"]
    for cookie in cookies:
        response.cookies.load(cookie)
    if request.method == "HEAD" and length:
        response["Content-Length"] = length
    return response


def stream(answer: BaseHTTPResponse) -> Iterator[bytes]:
    try:
        yield from answer.stream(STREAM_CHUNK, decode_content=False)
    finally:
        close(answer)


def close(answer: BaseHTTPResponse) -> None:
    """Returns a fully read connection to the pool; closes one left part-read (a client
    that went away, a service that broke off), which could not carry another call."""
    if not answer.closed:
        answer.close()
    answer.release_conn()


def passed_headers(
    answer: BaseHTTPResponse, instance: Instance
) -> tuple[dict[str, str], list[str]]:
    """The answer's headers for the client, given to the response as it is made, and
    its cookies apart."""
    dropped = HOP_BY_HOP | named_in(answer.headers.get("Connection")) | {"content-length"}
    passed: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in answer.headers.items():
        lowered = name.lower()
        if lowered in dropped:
            continue
        if lowered == "set-cookie":
            cookies.append(value)
        elif lowered == "location" and value.startswith(instance.url):
            # A service's absolute redirect must not send the client behind the gateway.
            passed[name] = settings.GATEWAY_PUBLIC_BASE_URL + (value[len(instance.url) :] or "/")
        else:
            passed[name] = f"{passed[name]}, {value}" if name in passed else value
    return passed, cookies
