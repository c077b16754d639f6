"""The settings every service starts from.

A service's own settings module calls `service_settings()` and adds only what is its own
(its apps, its URLs). Everything comes from the environment, with embedded defaults that
run on a fresh machine: SQLite per service, an in-process cache, locally generated secrets.
"""

import ipaddress
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.http.request import validate_host

from shop_common.jwt_keys import keys_dir, public_keys_setting
from shop_common.local_secrets import local_secret, refuse_placeholder_password
from shop_common.service_table import Service, get_service

env = environ.Env()

SQLITE_OPTIONS = {
    # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at BEGIN so a
    # transaction never fails half-way upgrading its lock; the timeout makes writers wait.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

# Who may read /metrics and /readyz (`shop_common.operators`): loopback and private
# networks (RFC 1918, IPv6 unique local), where Prometheus, the kubelet's probes and
# compose's health checks come from; never the internet.
DEFAULT_OPERATOR_NETWORKS = [
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
]

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]


# What every request passes through: its id, its log line, its metrics, the JSON errors.
EDGE_MIDDLEWARE = [
    "shop_common.request_id.RequestIDMiddleware",
    "shop_common.log.RequestLogMiddleware",
    "shop_common.metrics.MetricsMiddleware",
    "shop_common.errors.JSONErrorMiddleware",
    "shop_common.parsers.UnreadableInputMiddleware",
    "django.middleware.security.SecurityMiddleware",
]
# What a service with a database adds for its admin: static files, sessions, users.
# Sessions, users, messages and X-Frame-Options run on the admin's paths only
# (`shop_common.admin_only`); CSRF is checked for every view.
ADMIN_MIDDLEWARE = [
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "shop_common.admin_only.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "shop_common.admin_only.AuthenticationMiddleware",
    "shop_common.admin_only.MessageMiddleware",
    "shop_common.admin_only.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def middleware(service: Service) -> list[str]:
    """The gateway, with no database, keeps only the edge: every middleware is on its
    hot path. Services with a database count their queries and serve their admin."""
    if not service.has_database:
        return EDGE_MIDDLEWARE
    query_counter = EDGE_MIDDLEWARE.index("shop_common.metrics.MetricsMiddleware") + 1
    return [
        *EDGE_MIDDLEWARE[:query_counter],
        "shop_common.metrics.DatabaseQueriesMiddleware",
        *EDGE_MIDDLEWARE[query_counter:],
        *ADMIN_MIDDLEWARE,
    ]


def var_dir(base_dir: Path) -> Path:
    """The ignored folder for local databases, caches and generated secrets."""
    return Path(os.environ.get("SHOP_VAR_DIR", base_dir.parent / ".var")).resolve()


def static_root(*, base_dir: Path, service: str) -> Path:
    """Where collectstatic puts the admin's files; made up front so WhiteNoise finds it."""
    root = var_dir(base_dir) / "static" / service
    root.mkdir(parents=True, exist_ok=True)
    return root


def database_settings(*, service: Service, base_dir: Path) -> dict[str, Any]:
    url_name = f"{service.env_prefix}_DATABASE_URL"
    default = f"sqlite:///{var_dir(base_dir) / 'db' / f'{service.name}.sqlite3'}"
    database = env.db_url_config(
        refuse_placeholder_password(url_name, env.str(url_name, default=default))
    )
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = Path(database["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        database["OPTIONS"] = {**SQLITE_OPTIONS, **database.get("OPTIONS", {})}
        # Tests that race threads need a file: SQLite's in-memory test database would
        # lock instead of waiting.
        database["TEST"] = {"NAME": str(path.with_name(f"test_{path.name}"))}
    else:
        if database["ENGINE"] == "django.db.backends.postgresql":
            # Django's, with a health check that costs no round trip.
            database["ENGINE"] = "shop_common.database"
        database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        database["CONN_HEALTH_CHECKS"] = True
        database.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return database


def operator_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`OPERATOR_NETWORKS`: comma-separated addresses or CIDR ranges; a typo stops start-up."""
    values = env.list("OPERATOR_NETWORKS", default=DEFAULT_OPERATOR_NETWORKS)
    try:
        return [ipaddress.ip_network(value, strict=False) for value in values]
    except ValueError as exc:
        raise ImproperlyConfigured(f"OPERATOR_NETWORKS: {exc}") from None


def redis_cache(url: str, *, key_prefix: str) -> dict[str, Any]:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            # Without these a hung Redis hangs every request that touches the cache.
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
            "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.5),
        },
    }


def cache_settings(*, service: Service, base_dir: Path) -> dict[str, Any]:
    """`default` is the service's own cache; `rate_limits` holds its rate-limit counters;
    `catalog` holds what product_svc and the gateway share (the catalog version).

    On the embedded defaults every cache that more than one process reads is a folder on
    disk: a service's gunicorn workers share their `default` and `rate_limits` (a
    per-worker login limit would be no limit), product_svc and the gateway share
    `catalog`. Only a service that runs as one process (`needs_shared_cache`) keeps its
    caches in memory. The folders are `FileCache`s, whose increments are atomic across
    processes. Counters have a cache of their own there, with room to spare, so that
    nothing else stored (cached answers) can push them out and so reset a limit.
    """
    redis_url = refuse_placeholder_password("REDIS_URL", env.str("REDIS_URL", default=""))
    if redis_url:
        # CACHE_KEY_PREFIX keeps systems that share one Redis database apart (the test
        # harness gives each of its systems one, so no run counts another's requests).
        system = env.str("CACHE_KEY_PREFIX", default="")
        own = redis_cache(redis_url, key_prefix=f"{system}{service.name}")
        return {
            "default": own,
            "rate_limits": own,
            "catalog": redis_cache(redis_url, key_prefix=f"{system}catalog"),
        }
    cache_dir = var_dir(base_dir) / "cache"
    if service.needs_shared_cache:
        own = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        # A counter is small, and LocMemCache checks its size for nothing.
        counters = {**own, "LOCATION": "rate_limits", "OPTIONS": {"MAX_ENTRIES": 100_000}}
    else:
        own = {
            "BACKEND": "shop_common.file_cache.FileCache",
            "LOCATION": str(cache_dir / service.name),
        }
        # FileCache lists its folder on every write: room for thousands, not millions.
        counters = {
            **own,
            "LOCATION": str(cache_dir / f"{service.name}-rate-limits"),
            "OPTIONS": {"MAX_ENTRIES": 5_000},
        }
    return {
        "default": own,
        "rate_limits": counters,
        "catalog": {
            "BACKEND": "shop_common.file_cache.FileCache",
            "LOCATION": str(cache_dir / "catalog"),
        },
    }


def login_limit_settings() -> dict[str, str]:
    """Failed logins, counted by the gateway and again by user_svc (`shop_common.rate_limits`):
    per email from one address, and per email from every address together (the ceiling)."""
    return {
        "RATE_LIMIT_LOGIN": env.str("RATE_LIMIT_LOGIN", default="10/h"),
        # NIST SP 800-63B: at most 100 consecutive failures on one account.
        "RATE_LIMIT_LOGIN_CEILING": env.str("RATE_LIMIT_LOGIN_CEILING", default="100/h"),
    }


def staff_sign_in_settings(base: dict[str, Any]) -> dict[str, Any]:
    """What a service adds, beside the `shop_common.staff` app, for its admin to sign
    staff in against user_svc: the backend, the re-check after Django's authentication
    and messages middleware (a re-check that signs someone out leaves them a message),
    and how often a session is re-checked (seconds)."""
    middleware = base["MIDDLEWARE"]
    after_messages = middleware.index("shop_common.admin_only.MessageMiddleware") + 1
    return {
        "AUTHENTICATION_BACKENDS": ["shop_common.staff.backends.StaffBackend"],
        "MIDDLEWARE": [
            *middleware[:after_messages],
            "shop_common.staff.middleware.StaffRecheckMiddleware",
            *middleware[after_messages:],
        ],
        "STAFF_RECHECK_SECONDS": env.int("STAFF_RECHECK_SECONDS", default=30),
    }


def logging_settings(*, service: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "shop_common.log.ContextFilter", "service": service}},
        "formatters": {"json": {"()": "shop_common.log.JSONFormatter"}},
        "handlers": {
            "stdout": {
                # Written from a thread of its own: request threads never wait for a write.
                "class": "shop_common.log.BackgroundStreamHandler",
                "formatter": "json",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
        "loggers": {
            # Our request log says the same in one line; Django's would say it twice.
            "django.request": {"level": "CRITICAL"},
            "django.server": {"level": "WARNING"},
        },
    }


def openapi_settings(*, service: str) -> dict[str, Any]:
    """drf-spectacular: the service's public API as OpenAPI 3, served at
    `/api/v1/<service>/schema/` (`shop_common.urls`; hooks in `shop_common.openapi`).
    The gateway adds the Swagger UI page it serves over those schemas."""
    return {
        "TITLE": f"{service} API",
        "DESCRIPTION": "Reached through the gateway. Every error answer is JSON with a "
        "`detail` (the `Error` schema).",
        "VERSION": "1",
        "SERVE_INCLUDE_SCHEMA": False,
        # Separate request and response shapes: read-only fields stay out of requests.
        "COMPONENT_SPLIT_REQUEST": True,
        "PREPROCESSING_HOOKS": ["shop_common.openapi.public_endpoints_only"],
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "shop_common.openapi.add_error_answers",
        ],
    }


def jwt_settings(*, base_dir: Path, debug: bool) -> dict[str, Any]:
    """What every service needs to verify tokens (see `shop_common.jwt_keys` for the keys).

    Access and service tokens carry different audiences, so neither passes for the other.
    """
    key_dir = keys_dir(var_dir(base_dir))
    audience = env.str("JWT_AUDIENCE", default="shop-api")
    service_audience = env.str("JWT_SERVICE_AUDIENCE", default="shop-internal")
    if audience == service_audience:
        raise ImproperlyConfigured("JWT_AUDIENCE and JWT_SERVICE_AUDIENCE must differ")
    return {
        "JWT_KEYS_DIR": key_dir,
        "JWT_PUBLIC_KEYS": public_keys_setting(key_dir=key_dir, debug=debug),
        "JWT_ISSUER": env.str("JWT_ISSUER", default="shop-user-svc"),
        "JWT_AUDIENCE": audience,
        "JWT_SERVICE_AUDIENCE": service_audience,
        # Tolerated clock difference between user_svc and the verifying process.
        "JWT_LEEWAY_SECONDS": env.int("JWT_LEEWAY_SECONDS", default=5),
    }


def public_origin(url: str, *, allowed_hosts: list[str]) -> str:
    """`scheme://host[:port]` from an operator's URL; anything more is a mistake to stop on.

    Links in answers (pagination, `Location`) name this origin, never a client's Host. The
    services check it as the forwarded host against `ALLOWED_HOSTS`: a host outside it
    would make every answer a 400, so that stops the start too.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"{url!r} must be an http:// or https:// origin")
    if parts.path.strip("/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ImproperlyConfigured(f"{url!r} must name only scheme, host and port")
    if not validate_host(parts.hostname or "", allowed_hosts):
        raise ImproperlyConfigured(f"the host of {url!r} must be in ALLOWED_HOSTS")
    return f"{parts.scheme}://{parts.netloc}"


def events_settings(*, base_dir: Path, debug: bool) -> dict[str, Any]:
    """`shop_common.events`: the broker (RabbitMQ at `AMQP_URL`, else kombu's filesystem
    transport in the shared var folder), the namespace of the exchange and queues, and how
    the relay and the consumers pace themselves. See docs/events.md.

    RabbitMQ's own `guest` account (which it lets in from loopback only) is fine locally;
    production refuses it like any placeholder password."""
    amqp_url = env.str("AMQP_URL", default="")
    return {
        "AMQP_URL": amqp_url if debug else refuse_placeholder_password("AMQP_URL", amqp_url),
        "EVENTS_BROKER_DIR": var_dir(base_dir) / "broker",
        "EVENTS_NAMESPACE": env.str("EVENTS_NAMESPACE", default="shop"),
        # Attempts a failing event gets before it is dead-lettered, and their backoff.
        "EVENTS_MAX_ATTEMPTS": env.int("EVENTS_MAX_ATTEMPTS", default=8),
        "EVENTS_RETRY_BASE_SECONDS": env.float("EVENTS_RETRY_BASE_SECONDS", default=1.0),
        "EVENTS_RETRY_MAX_SECONDS": env.float("EVENTS_RETRY_MAX_SECONDS", default=300.0),
        # How often an idle relay looks for new outbox rows (on PostgreSQL it waits for a
        # notification, but no less than this after a look that found nothing).
        "EVENTS_POLL_SECONDS": env.float("EVENTS_POLL_SECONDS", default=0.05),
        "EVENTS_RELAY_BATCH": env.int("EVENTS_RELAY_BATCH", default=200),
        # Messages a consumer holds unacknowledged at once.
        "EVENTS_PREFETCH": env.int("EVENTS_PREFETCH", default=20),
        # Published outbox rows, inbox rows and resolved failures are pruned after this.
        "EVENTS_RETENTION_DAYS": env.int("EVENTS_RETENTION_DAYS", default=7),
    }


def service_settings(*, service: str | Service, base_dir: Path, apps: list[str]) -> dict[str, Any]:
    """Every setting a service shares with the others, as a dict for `globals().update`.

    `service` names one of the shop's services, or is a `Service` of its own (tests).
    """
    this = service if isinstance(service, Service) else get_service(service)
    service = this.name
    # Production unless asked otherwise: `make run` and the tests ask (DEBUG=1).
    debug = env.bool("DEBUG", default=False)
    secrets_dir = var_dir(base_dir) / "secrets"
    installed_apps = DJANGO_APPS if this.has_database else ["django.contrib.staticfiles"]
    return {
        "SERVICE_NAME": service,
        "BASE_DIR": base_dir,
        "DEBUG": debug,
        "SECRET_KEY": local_secret(
            env_name="SECRET_KEY", path=secrets_dir / f"{service}.secret_key", debug=debug
        ),
        "ALLOWED_HOSTS": env.list(
            "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
        ),
        "INSTALLED_APPS": [
            *installed_apps,
            "rest_framework",
            "drf_spectacular",
            "shop_common",
            *apps,
        ],
        "MIDDLEWARE": middleware(this),
        "ROOT_URLCONF": f"{service}.urls",
        "WSGI_APPLICATION": f"{service}.wsgi.application",
        "TEMPLATES": TEMPLATES,
        "DATABASES": (
            {"default": database_settings(service=this, base_dir=base_dir)}
            if this.has_database
            else {}
        ),
        "CACHES": cache_settings(service=this, base_dir=base_dir),
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": False,
        "USE_TZ": True,
        "STATIC_URL": "static/",
        "STATIC_ROOT": static_root(base_dir=base_dir, service=service),
        # A POST to a path without its slash would be redirected and lose its body: 404.
        "APPEND_SLASH": False,
        # Behind the gateway, links a service builds (pagination, Location) name the
        # caller's host and scheme, which the gateway passes in X-Forwarded-Host/-Proto.
        "USE_X_FORWARDED_HOST": not this.public,
        "SECURE_PROXY_SSL_HEADER": None if this.public else ("HTTP_X_FORWARDED_PROTO", "https"),
        # Bodies over this size are refused with 413 before anything reads them.
        "OPERATOR_NETWORKS": operator_networks(),
        "DATA_UPLOAD_MAX_MEMORY_SIZE": env.int("MAX_REQUEST_BODY_BYTES", default=1024 * 1024),
        # Paths allowed a larger body (`shop_common.errors.body_limit`): a service's uploads,
        # as (path regex, size, the upload's field).
        "LARGER_BODY_PATHS": [],
        "CSRF_FAILURE_VIEW": "shop_common.errors.csrf_failure",
        # Browsers send cookies to a host whatever its port: locally every admin is on
        # 127.0.0.1, and one shared `sessionid` would sign staff out of the others.
        "SESSION_COOKIE_NAME": f"{service}_sessionid",
        "CSRF_COOKIE_NAME": f"{service}_csrftoken",
        # Django's default keeps messages in a `messages` cookie, which would be one for
        # every admin on that host: in the session, each admin reads its own.
        "MESSAGE_STORAGE": "django.contrib.messages.storage.session.SessionStorage",
        "REST_FRAMEWORK": {
            "EXCEPTION_HANDLER": "shop_common.errors.exception_handler",
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["shop_common.parsers.JSONParser"],
            "DEFAULT_AUTHENTICATION_CLASSES": ["shop_common.auth.JWTAuthentication"],
            "DEFAULT_PAGINATION_CLASS": "shop_common.pagination.PageNumberPagination",
            "UNAUTHENTICATED_USER": None,
            "DEFAULT_SCHEMA_CLASS": "shop_common.openapi.PermissionAwareAutoSchema",
        },
        "SPECTACULAR_SETTINGS": openapi_settings(service=service),
        "LOGGING": logging_settings(service=service),
        **events_settings(base_dir=base_dir, debug=debug),
        **jwt_settings(base_dir=base_dir, debug=debug),
    }
