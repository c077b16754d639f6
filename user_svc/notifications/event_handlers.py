"""The emails user_svc sends for order_svc's events, and the job that sends those still
waiting (found by `shop_common.events`' autodiscovery)."""

from notifications.mail import queue_order_email, send_due_emails
from shop_common.events import Event, handler, periodic


@handler("order.confirmed")
@handler("order.paid")
@handler("order.shipped")
@handler("order.cancelled")
def on_order_changed(event: Event) -> None:
    """Write the customer's email, in the transaction that records the event as applied;
    it is sent once that transaction has committed."""
    queue_order_email(event_id=event.id, event_type=event.type, payload=event.payload)


@periodic(every=10)
def send_waiting_emails() -> None:
    send_due_emails()
