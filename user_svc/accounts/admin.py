"""The Django admin for users: find them by email, filter by staff and active."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError

from accounts.exceptions import InvalidCredentials, TooManyLoginFailures
from accounts.models import User
from accounts.services import check_password


class CountedLoginForm(AdminAuthenticationForm):
    """user_svc's admin checks passwords itself, through the same `check_password` and
    failed-login limits as the API's login and the other services' admins."""

    def clean(self) -> dict[str, Any]:
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = check_password(
                    request=self.request, email=email, password=password
                )
            except InvalidCredentials:
                raise self.get_invalid_login_error() from None
            except TooManyLoginFailures as exc:
                raise ValidationError(exc.detail, code="throttled") from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = CountedLoginForm


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_active", "is_superuser", "email_verified")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "email_verified")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
