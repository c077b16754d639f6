"""An `order.*` event's payload as order_svc writes it (two lines), for the tests and
bench/order_emails.py."""

from typing import Any

from accounts.models import User

ORDER_ID = "0a1b2c3d-0000-4000-8000-000000000001"


def order_payload(user: User, status: str, **changes: Any) -> dict[str, Any]:
    return {
        "order_id": ORDER_ID,
        "user_id": user.pk,
        "status": status,
        "previous_status": "confirmed",
        "total": "44.33",
        "currency": "EUR",
        "items": [
            {
                "product_id": 1,
                "name": "Teapot <large>",
                "quantity": 2,
                "unit_price": "19.99",
                "line_total": "39.98",
            },
            {
                "product_id": 2,
                "name": "Cup",
                "quantity": 1,
                "unit_price": "4.35",
                "line_total": "4.35",
            },
        ],
        "note": "",
        "tracking_number": "",
        "paid": False,
        **changes,
    }
