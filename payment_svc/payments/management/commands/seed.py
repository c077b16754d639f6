"""`manage.py seed`: the demo staff account may work payments in this admin."""

from typing import Any

from django.core.management.base import BaseCommand

from shop_common.staff.groups import ensure_group, grant_demo_staff

PAYMENT_CLERKS = "Payment clerks"


class Command(BaseCommand):
    help = "Let the demo staff account work payments here; running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(grant_demo_staff(ensure_group(PAYMENT_CLERKS, app_labels=["payments"])))
