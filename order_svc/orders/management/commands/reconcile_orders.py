"""`manage.py reconcile_orders [--older-than SECONDS] [--every SECONDS]`."""

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from orders.reconcile import reconcile

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Settle orders left pending, and release the reservations of failed, rejected and "
        "cancelled orders that product_svc has not confirmed as released."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=settings.RECONCILE_AFTER_SECONDS,
            help="only orders untouched for this many seconds (default: %(default)s)",
        )
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="keep running, once every this many seconds (for `manage_all.py run`)",
        )

    def handle(self, *args: Any, older_than: float, every: float, **options: Any) -> None:
        age = timedelta(seconds=older_than)
        if not every:
            outcomes = reconcile(older_than=age)
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
            return
        while True:
            # Sleep first: the services (and product_svc) start beside this loop.
            time.sleep(every)
            try:
                reconcile(older_than=age)
            except DatabaseError:
                # The database may be restarting or not migrated yet; the next round retries.
                logger.exception("reconciliation round failed")
