"""What product_svc does with order_svc's events (found by `shop_common.events`'
autodiscovery): a shipped order's reservation stops holding stock."""

import uuid

from inventory import services
from shop_common.events import Event, handler


@handler("order.shipped")
def on_order_shipped(event: Event) -> None:
    """Runs in the transaction that records the event in the inbox: applied once, and
    `fulfil` changes nothing the second time anyway."""
    services.fulfil(reservation_id=uuid.UUID(str(event.payload["order_id"])))
