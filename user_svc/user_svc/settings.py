"""Settings of user_svc: the shared base plus what is its own."""

from datetime import timedelta
from pathlib import Path

from accounts.service_clients import registered_client_secrets
from accounts.signing import signing_key
from shop_common.settings import env, login_limit_settings, service_settings, var_dir

base = service_settings(
    service="user_svc",
    base_dir=Path(__file__).resolve().parent.parent,
    apps=[
        "rest_framework_simplejwt.token_blacklist",
        "accounts",
        "notifications",
        "shop_common.events",
    ],
)
globals().update(base)

AUTH_USER_MODEL = "accounts.User"
SILENCED_SYSTEM_CHECKS = [
    # auth.E003 wants `email` unique as typed; the accounts_user_email_ci_unique
    # constraint makes it unique in any letter case, which Django's check cannot see.
    "auth.E003",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# Only user_svc holds the private key; every other service verifies with the public ones.
JWT_SIGNING_KID, JWT_SIGNING_KEY = signing_key(
    key_dir=base["JWT_KEYS_DIR"], debug=base["DEBUG"], public_keys=base["JWT_PUBLIC_KEYS"]
)
# Access tokens can't be revoked (services check them without asking us): keep them short.
JWT_ACCESS_TOKEN_LIFETIME = timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=5))
JWT_REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=7))
JWT_SERVICE_TOKEN_LIFETIME = timedelta(minutes=env.int("JWT_SERVICE_TOKEN_MINUTES", default=5))
SERVICE_CLIENT_SECRETS = registered_client_secrets(debug=base["DEBUG"], base_dir=base["BASE_DIR"])
# Failed logins before further attempts are refused for the rest of the window: the same
# variables and defaults as the gateway's.
globals().update(login_limit_settings())
# The proxies whose X-Forwarded-For is believed: those in front of the gateway, and it.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0) + 1

# Emails to users (`notifications`): written as files under EMAIL_FILE_PATH unless an
# SMTP server is named.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(var_dir(base["BASE_DIR"]) / "mail"))
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=not EMAIL_USE_SSL)
# A mail server that hangs holds up the event consumer that sends: bounded.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shop@localhost")
