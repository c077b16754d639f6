"""Demo accounts for trying the shop locally: one customer, one staff member.

The staff member is no superuser: in every admin (this one and, through
`shop_common.staff`, the other services') they may do what a group grants them; here
that is managing accounts. Idempotent: a second run finds the accounts and resets their
passwords to the printed ones.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from shop_common.staff.groups import ensure_group

ACCOUNT_MANAGERS = "Account managers"

DEMO_ACCOUNTS = (
    {"email": "customer@example.com", "password": "demo-customer-pw-2026", "is_staff": False},
    {"email": "staff@example.com", "password": "demo-staff-pw-2026", "is_staff": True},
)


class Command(BaseCommand):
    help = "Create the demo customer and demo staff accounts (local use only) and print them."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts have published passwords: refused with DEBUG off.")
        for account in DEMO_ACCOUNTS:
            created = self.ensure_account(**account)
            role = "staff" if account["is_staff"] else "customer"
            self.stdout.write(
                f"demo {role}: {account['email']} / {account['password']}"
                f" ({'created' if created else 'already there, password reset'})"
            )
        self.stdout.write(self.style.WARNING("Demo accounts are for local use only."))

    @transaction.atomic
    def ensure_account(self, *, email: str, password: str, is_staff: bool) -> bool:
        user = User.objects.with_email(email).select_for_update().first()
        created = user is None
        if created:
            user = User(email=email, first_name="Demo", last_name=email.split("@")[0].title())
        user.is_staff = is_staff
        user.is_superuser = False
        user.is_active = True
        user.set_password(password)
        user.save()
        if is_staff:
            user.groups.add(ensure_group(ACCOUNT_MANAGERS, app_labels=["accounts"]))
        return created
