"""The admin's login form, saying why user_svc could not sign someone in."""

from typing import Any, ClassVar

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from shop_common.staff.directory import DirectoryUnavailable, SignInThrottled


class StaffLoginForm(AdminAuthenticationForm):
    """Email and password of a user_svc staff account (see `StaffBackend`)."""

    error_messages: ClassVar[dict[str, str]] = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Please enter the email and password of an active staff account.",
        "throttled": "Too many failed sign-ins for this email. Try again in %(wait)s seconds.",
        "unavailable": "Staff accounts cannot be checked right now (user_svc does not "
        "answer). Try again in a moment.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except SignInThrottled as exc:
            raise ValidationError(
                self.error_messages["throttled"], code="throttled", params={"wait": exc.wait}
            ) from None
        except DirectoryUnavailable:
            raise ValidationError(self.error_messages["unavailable"], code="unavailable") from None
