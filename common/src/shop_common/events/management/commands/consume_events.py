from django.core.management.base import BaseCommand

from shop_common.events.consumer import Consumer
from shop_common.events.stopping import stop_on_signals


class Command(BaseCommand):
    help = (
        "Apply the events this service subscribes to, retry failed ones and run its "
        "periodic jobs, until SIGTERM or Ctrl-C."
    )

    def handle(self, *args: object, **options: object) -> None:
        Consumer(stop=stop_on_signals()).run()
