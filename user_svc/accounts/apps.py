from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import openapi  # noqa: F401  (registers the schema extension)
        from shop_common.rate_limits import LoginLimits

        # A mistyped RATE_LIMIT_LOGIN(_CEILING) stops the process now, not at the first login.
        LoginLimits.from_settings()
