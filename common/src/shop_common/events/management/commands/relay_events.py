from django.core.management.base import BaseCommand

from shop_common.events.relay import Relay
from shop_common.events.stopping import stop_on_signals


class Command(BaseCommand):
    help = "Publish this service's outbox to the event broker until SIGTERM or Ctrl-C."

    def handle(self, *args: object, **options: object) -> None:
        Relay(stop=stop_on_signals()).run()
