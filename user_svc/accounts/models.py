"""The shop's user: signs in with an email address, whatever its letter case."""

import functools
from typing import ClassVar, NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connections, models, router
from django.db.models.functions import Lower
from django.utils import timezone

EMAIL_TAKEN = "A user with this email already exists."


class Addressee(NamedTuple):
    """What an email to a user needs of them."""

    pk: int
    email: str
    first_name: str


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Django's normalisation (the domain in lower case), without surrounding spaces:
        Django strips them only from an address that has an `@`."""
        return super().normalize_email((email or "").strip())

    def with_email(self, email: str) -> models.QuerySet["User"]:
        """Users whose email matches in any letter case (served by the Lower(email) index)."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=email.strip().lower())

    def addressee(self, pk: int) -> Addressee | None:
        """The address and first name of user `pk`; None when there is no such user.

        One statement written here, not built by the ORM for every call: the user's read
        was about a tenth of the CPU an order email costs the event consumer
        (docs/benchmarks.md, "Seventh round: the email consumer").
        """
        connection = connections[router.db_for_read(self.model)]
        with connection.cursor() as cursor:
            cursor.execute(
                _addressee(connection.alias),
                [self.model._meta.pk.get_db_prep_value(pk, connection)],
            )
            row = cursor.fetchone()
        return None if row is None else Addressee(pk, *row)

    def get_by_natural_key(self, username: str | None) -> "User":
        if username is None:
            raise self.model.DoesNotExist
        return self.with_email(username).get()

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **fields)

    def _create_user(self, email: str, password: str | None, **fields: object) -> "User":
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Staff manage the shop: the admin and staff-only API calls."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unticked, the user can neither sign in nor refresh a token."
    )
    email_verified = models.BooleanField(
        default=False, help_text="Whether the user has proven they own the email address."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = (
            # One account per address, whatever the letter case: the database decides, so
            # two registrations racing each other cannot both win.
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=EMAIL_TAKEN,
            ),
            models.CheckConstraint(
                condition=~models.Q(email=""), name="accounts_user_email_not_empty"
            ),
        )

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


@functools.cache
def _addressee(alias: str) -> str:
    """The SQL of `UserManager.addressee`, written once per database."""
    quote = connections[alias].ops.quote_name
    meta = User._meta
    return (
        f"SELECT {quote(meta.get_field('email').column)},"
        f" {quote(meta.get_field('first_name').column)}"
        f" FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"
    )
