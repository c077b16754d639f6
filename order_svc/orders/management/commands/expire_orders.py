"""`manage.py expire_orders [--timeout SECONDS]`."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.expiry import expire_unpaid_orders


class Command(BaseCommand):
    help = (
        "Cancel confirmed orders still unpaid ORDER_PAYMENT_TIMEOUT seconds after they were "
        "placed, once (order_svc's event consumer does it every few seconds)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout",
            type=int,
            default=settings.ORDER_PAYMENT_TIMEOUT,
            help="seconds an order may wait for its payment (default: %(default)s)",
        )

    def handle(self, *args: Any, timeout: int, **options: Any) -> None:
        if timeout < 1:
            raise CommandError("--timeout must be at least 1 second")
        expired = expire_unpaid_orders(timeout=timedelta(seconds=timeout))
        self.stdout.write(f"{expired} unpaid order(s) cancelled")
