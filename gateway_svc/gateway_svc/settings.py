"""Settings of gateway_svc: the shared base plus what is its own, the route table first."""

import json
from pathlib import Path

from shop_common.service_table import SERVICES
from shop_common.settings import env, login_limit_settings, public_origin, service_settings

shared = service_settings(
    service="gateway_svc",
    base_dir=Path(__file__).resolve().parent.parent,
    apps=["gateway", "drf_spectacular_sidecar"],
)
globals().update(shared)
# Static files (Swagger UI's, from drf-spectacular-sidecar) served by gunicorn itself,
# right after SecurityMiddleware as WhiteNoise asks; it answers only under STATIC_URL.
MIDDLEWARE = [*shared["MIDDLEWARE"], "whitenoise.middleware.WhiteNoiseMiddleware"]

# Every service with an API of its own (all but the gateway, which only routes), from the
# service table: a new service's schema is routed and offered on /api/docs/ by itself.
api_services = [service.name for service in SERVICES.values() if not service.public]

# The route table: the longest matching prefix wins; anything unmatched is a JSON 404.
# auth: "none", "optional" (a token, if sent, must be valid), "required", "staff_writes"
# (reads as "optional", writes by staff only). cache_ttl: seconds, 0 for off (only
# anonymous GETs are ever cached). limits: names from GATEWAY_LIMITS. retry: a name from
# GATEWAY_RETRY_POLICIES. Timeouts in seconds.
READ = ["GET", "HEAD", "OPTIONS"]
WRITE = ["POST", "PUT", "PATCH", "DELETE"]
GATEWAY_ROUTES = [
    {"prefix": "/api/v1/auth/token/refresh/", "service": "user_svc", "methods": ["POST"]},
    {
        "prefix": "/api/v1/auth/token/",
        "service": "user_svc",
        "methods": ["POST"],
        "limits": ["client", "login"],
    },
    {
        "prefix": "/api/v1/auth/logout/",
        "service": "user_svc",
        "methods": ["POST"],
        "auth": "required",
    },
    {
        "prefix": "/api/v1/auth/register/",
        "service": "user_svc",
        "methods": ["POST"],
        "limits": ["client", "register"],
    },
    {"prefix": "/api/v1/auth/", "service": "user_svc", "methods": [*READ, "POST"]},
    {
        "prefix": "/api/v1/users/",
        "service": "user_svc",
        "methods": [*READ, *WRITE],
        "auth": "required",
    },
    *(
        {
            "prefix": prefix,
            "service": "product_svc",
            "methods": [*READ, *WRITE],
            "auth": "staff_writes",
            "cache_ttl": env.int("GATEWAY_CACHE_TTL", default=300),
        }
        for prefix in ("/api/v1/products/", "/api/v1/categories/")
    ),
    # Product images, which product_svc serves itself in development (DEBUG=1).
    {"prefix": "/media/", "service": "product_svc", "methods": READ},
    # Each service's OpenAPI schema (shop_common.urls), read-only and public.
    *(
        {"prefix": f"/api/v1/{service}/schema/", "service": service, "methods": READ}
        for service in api_services
    ),
    {
        "prefix": "/api/v1/orders/",
        "service": "order_svc",
        "methods": [*READ, "POST"],
        "auth": "required",
        # Placing an order waits for product_svc's reservation.
        "read_timeout": 10.0,
    },
    {
        "prefix": "/api/v1/payments/",
        "service": "payment_svc",
        "methods": [*READ, "POST"],
        "auth": "required",
        # Paying waits for order_svc and the provider.
        "read_timeout": 10.0,
    },
    # The provider's webhooks carry a signature, not a user's token.
    {"prefix": "/api/v1/payments/webhooks/", "service": "payment_svc", "methods": ["POST"]},
]
# Paths allowed a body over MAX_REQUEST_BODY_BYTES (`shop_common.errors.body_limit`), as
# product_svc allows them: an image upload, 5 MiB and the form around it; a larger one is
# a 400 naming `image`, as product_svc answers it.
LARGER_BODY_PATHS = [
    (r"/api/v1/products/[0-9]+/images/", 5 * 1024 * 1024 + 64 * 1024, "image"),
]
# What a route gets for each field it does not name.
GATEWAY_ROUTE_DEFAULTS = {
    "auth": "none",
    "cache_ttl": 0,
    "limits": ["client"],
    "retry": "standard",
    "connect_timeout": 0.5,
    "read_timeout": 5.0,
}
# Retries: connection failures and 502/503/504, idempotent methods and keyed POSTs only,
# backoff with jitter, `Retry-After` waited for at most `max_wait`, and never past `budget`
# seconds from the first attempt. A read timeout is never retried: it answers 504 at once.
GATEWAY_RETRY_POLICIES = {
    "standard": {"retries": 2, "backoff": 0.1, "max_wait": 1.0, "budget": 3.0},
}
# Rate limits in django-ratelimit's form (gateway.limits): "client" counts each request per
# address (anonymous) or per user id and per address (signed in); "register" counts the
# accounts made per address; "login" counts failed logins per email and address, and per
# email (RATE_LIMIT_LOGIN, RATE_LIMIT_LOGIN_CEILING).
GATEWAY_LIMITS = {
    "anon": env.str("RATE_LIMIT_ANON", default="120/m"),
    "user": env.str("RATE_LIMIT_USER", default="600/m"),
    "address": env.str("RATE_LIMIT_ADDRESS", default="1200/m"),
    "register": env.str("RATE_LIMIT_REGISTER", default="10/h"),
}
globals().update(login_limit_settings())
# How many proxies in front of the gateway append to X-Forwarded-For. 0: the socket's
# address is the client's, and X-Forwarded-For from outside is never believed.
GATEWAY_TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
# The shop's public origin: the scheme and host of every link in an answer (pagination,
# Location), whatever Host or X-Forwarded-* a client sends. By default the gateway's own
# address, which is where `make run` serves it.
GATEWAY_PUBLIC_BASE_URL = public_origin(
    env.str("PUBLIC_BASE_URL", default=SERVICES["gateway_svc"].url),
    allowed_hosts=shared["ALLOWED_HOSTS"],
)
# Circuit breaker per service instance, its state in the shared cache: `failures` failed
# calls within `window` seconds open it; after `cooldown` seconds one probe may pass.
GATEWAY_BREAKER = {
    "failures": env.int("BREAKER_FAILURES", default=5),
    "window": env.int("BREAKER_WINDOW", default=30),
    "cooldown": env.int("BREAKER_COOLDOWN", default=10),
}
# Answers larger than this are streamed to the client and never cached.
GATEWAY_BUFFER_MAX_BYTES = env.int("GATEWAY_BUFFER_MAX_BYTES", default=1024 * 1024)
# After the shared cache fails, skip it this many seconds (fail open) before trying again,
# so a hung Redis costs one timeout per process, not one per request.
GATEWAY_SHARED_CACHE_RETRY_SECONDS = 1.0
# Without REDIS_URL the counters are in-process, whole only in one process: manage_all.py
# and the test harness run the gateway as one gunicorn process with threads then.

# Swagger UI at /api/docs/ over every service's schema, its files served from the gateway
# (drf-spectacular-sidecar), so the page works without the internet; its online validator
# badge (an image from validator.swagger.io) is off. The list to pick a schema from shows
# only in the standalone layout, whose preset is a JavaScript object: drf-spectacular
# passes a string setting on as JavaScript.
docs_schemas = [{"name": service, "url": f"/api/v1/{service}/schema/"} for service in api_services]
SPECTACULAR_SETTINGS = {
    **shared["SPECTACULAR_SETTINGS"],
    "TITLE": "Shop API",
    "SWAGGER_UI_SETTINGS": (
        f"{{urls: {json.dumps(docs_schemas)}, validatorUrl: null, layout: 'StandaloneLayout', "
        "presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset]}"
    ),
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
