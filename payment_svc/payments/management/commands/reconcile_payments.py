"""`manage.py reconcile_payments [--older-than SECONDS]`."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from payments.services import reconcile_pending_payments


class Command(BaseCommand):
    help = (
        "Settle payments left pending (a charge whose answer was lost, a webhook that never "
        "came) by asking the provider what became of them. The consumer process does this "
        "every 30 seconds; this runs one round now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=settings.PAYMENT_RECONCILE_AFTER_SECONDS,
            help="only payments pending for this many seconds (default: %(default)s)",
        )

    def handle(self, *args: Any, older_than: float, **options: Any) -> None:
        settled = reconcile_pending_payments(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"settled: {settled}")
