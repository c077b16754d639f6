"""`manage.py seed`: the demo staff account may work orders in this admin."""

from typing import Any

from django.core.management.base import BaseCommand

from shop_common.staff.groups import ensure_group, grant_demo_staff

ORDER_CLERKS = "Order clerks"


class Command(BaseCommand):
    help = "Let the demo staff account work orders here; running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(grant_demo_staff(ensure_group(ORDER_CLERKS, app_labels=["orders"])))
