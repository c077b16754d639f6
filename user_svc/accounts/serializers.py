"""The shapes of user_svc's requests and answers, and the checks on what comes in."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import EMAIL_TAKEN, User

# Long enough for any passphrase, short enough that hashing it is no denial of service.
PASSWORD_MAX_LENGTH = 1024
TOKEN_MAX_LENGTH = 4096


class StrictInputMixin:
    """Refuses fields a request may not set, naming them, instead of dropping them silently:
    a client that sends `is_staff` learns that it was not applied."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            fields = self.fields  # type: ignore[attr-defined]
            refused = {
                name: ["This field cannot be changed." if name in fields else "Unknown field."]
                for name in data
                if name not in fields or fields[name].read_only
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)  # type: ignore[misc]


def password_field() -> serializers.CharField:
    return serializers.CharField(
        write_only=True, trim_whitespace=False, max_length=PASSWORD_MAX_LENGTH
    )


def check_password_strength(password: str, user: User) -> None:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS), as a DRF field error."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(list(exc.messages)) from None


class EmailMixin:
    """Normalises the email and refuses one another user has, in any letter case."""

    def validate_email(self, value: str) -> str:
        value = User.objects.normalize_email(value)
        others = User.objects.with_email(value)
        instance = getattr(self, "instance", None)
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        if others.exists():
            raise serializers.ValidationError(EMAIL_TAKEN)
        return value


class RegistrationSerializer(StrictInputMixin, EmailMixin, serializers.ModelSerializer):
    """A new account: its email is unique in any letter case, and its password has to pass
    Django's password validators."""

    password = password_field()

    class Meta:
        model = User
        fields = ("id", "email", "password", "first_name", "last_name")
        read_only_fields = ("id",)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The similarity validator compares the password with the user's own fields.
        candidate = User(**{name: value for name, value in attrs.items() if name != "password"})
        try:
            check_password_strength(attrs["password"], candidate)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"password": exc.detail}) from None
        return attrs


class ProfileSerializer(StrictInputMixin, EmailMixin, serializers.ModelSerializer):
    """The signed-in user's own account: the names and the email can be changed, and a new
    email has to be verified again."""

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "first_name",
            "last_name",
            "is_staff",
            "date_joined",
            "email_verified",
        )
        read_only_fields = ("id", "is_staff", "date_joined", "email_verified")


class LoginSerializer(StrictInputMixin, serializers.Serializer):
    """An account's email and password."""

    email = serializers.EmailField()
    password = password_field()


class RefreshSerializer(StrictInputMixin, serializers.Serializer):
    """A refresh token that `/api/v1/auth/token/` or `/api/v1/auth/token/refresh/` gave."""

    refresh = serializers.CharField(max_length=TOKEN_MAX_LENGTH)


class TokenPairSerializer(serializers.Serializer):
    """A short-lived access token for `Authorization: Bearer`, and a refresh token that buys
    the next pair once."""

    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordChangeSerializer(StrictInputMixin, serializers.Serializer):
    """The current password, and a new one that passes Django's password validators."""

    old_password = password_field()
    new_password = password_field()

    def validate_new_password(self, value: str) -> str:
        check_password_strength(value, self.context["user"])
        return value


class ServiceTokenRequestSerializer(StrictInputMixin, serializers.Serializer):
    client_id = serializers.CharField(max_length=100)
    client_secret = serializers.CharField(max_length=500, trim_whitespace=False)


class StaffIdentitySerializer(serializers.ModelSerializer):
    """What another service's admin needs to know of a staff account: who it is, and
    whether it may still sign in (`is_active`, `is_staff`) and as what (`is_superuser`)."""

    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")
        read_only_fields = fields
