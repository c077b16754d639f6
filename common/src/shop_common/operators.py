"""`/metrics` and `/readyz` answer operators only: callers inside `OPERATOR_NETWORKS`
(by default loopback and private networks, where Prometheus, the kubelet and compose's
health checks are). Anyone else gets the JSON 404 an unknown path gets.

A request from the internet that a proxy on a private address passed on still names its
client in `X-Forwarded-For` (or `X-Real-IP`, `Forwarded`), so every address a request
names must be inside those networks, not just the socket's: naming more addresses can
only refuse a request, never admit one, so nothing there needs to be trusted.
"""

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from shop_common.errors import DomainError, domain_error_response

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
LIST_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")
FORWARDED_FOR = re.compile(r'for="?\[?([^\]";,\s]+)', re.IGNORECASE)


class NotForThisCaller(DomainError, status=404):
    """Answered like a path that does not exist, so the endpoint is not even revealed."""

    code = "operators_only"


def caller_addresses(meta: Mapping[str, str]) -> list[str]:
    """The socket's address and every client address a proxy on the way named."""
    addresses = [meta.get("REMOTE_ADDR", "")]
    for header in LIST_HEADERS:
        addresses += [part.strip() for part in meta.get(header, "").split(",") if part.strip()]
    addresses += FORWARDED_FOR.findall(meta.get("HTTP_FORWARDED", ""))
    return addresses


def within(address: str, networks: Iterable[IPNetwork]) -> bool:
    """Whether `address` is an IP address inside one of `networks` (anything else: no)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # a dual-stack socket's view of an IPv4 caller
    return any(ip in network for network in networks)


def is_operator(request: HttpRequest) -> bool:
    networks = settings.OPERATOR_NETWORKS
    return all(within(address, networks) for address in caller_addresses(request.META))


def operators_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not is_operator(request):
            return domain_error_response(NotForThisCaller(f"No endpoint at {request.path}."))
        return view(request, *args, **kwargs)

    return guarded
