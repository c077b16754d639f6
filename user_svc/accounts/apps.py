from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts.throttling import login_rate

        # A mistyped RATE_LIMIT_LOGIN stops the process now, not at the first login.
        login_rate()
