"""The Django admin for orders: find and read them; move them only along the state machine.

Lines and history are what the customer bought and what happened: read-only here.
Status changes go through the same service as the API (admin actions), never by editing
the status field: cancelling a paid order here refunds it, as through the API. Payments
are payment_svc's, shown from the copy its events keep here.
"""

import uuid
from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest

from orders import services
from orders.exceptions import OrderError
from orders.models import Order, OrderLine, OrderStatusEvent, Payment
from orders.states import OrderStatus
from shop_common.history_admin import ReadOnlyInline


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("product_id", "name", "unit_price", "quantity", "line_total")


class OrderStatusEventInline(ReadOnlyInline):
    model = OrderStatusEvent
    fields = ("at", "status", "note", "actor_id")
    verbose_name_plural = "history"


class PaymentInline(ReadOnlyInline):
    """The order's payments and refunds, as payment_svc's events reported them."""

    model = Payment
    fields = (
        "id",
        "provider",
        "status",
        "amount",
        "currency",
        "failure_reason",
        "created_at",
        "refunded_at",
    )
    verbose_name_plural = "payments and refunds (from payment_svc)"


def user_svc_id(user: AbstractBaseUser) -> int | None:
    """The staff member's user_svc account id, the id the API's history names actors by
    (None for an admin account that user_svc did not sign in, as in tests)."""
    account = getattr(user, "staff_account", None)
    return account.user_svc_id if account else None


def move_action(status: OrderStatus) -> Callable[..., None]:
    """An admin action that moves the selected orders to `status`, each through the
    state machine; orders that may not move are named, not changed."""

    def action(modeladmin: "OrderAdmin", request: HttpRequest, queryset: QuerySet[Order]) -> None:
        moved = 0
        for order in queryset:
            try:
                services.change_status(
                    order_id=order.id,
                    status=status,
                    actor_id=user_svc_id(request.user),
                    note=f"admin: {request.user.get_username()}",
                )
                moved += 1
            except OrderError as exc:
                modeladmin.message_user(request, f"{order.id}: {exc.detail}", messages.WARNING)
        modeladmin.message_user(request, f"{moved} order(s) moved to {status}.")

    action.__name__ = f"mark_{status}"
    return admin.action(description=f"Mark selected orders {status}")(action)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "user_id", "status", "total", "currency", "created_at")
    list_filter = ("status", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("id", "user_id")
    readonly_fields = (
        "id",
        "user_id",
        "status",
        "total",
        "currency",
        "shipping_address",
        "released_at",
        "created_at",
        "updated_at",
    )
    fields = (*readonly_fields[:5], "tracking_number", *readonly_fields[5:])
    inlines = (OrderLineInline, PaymentInline, OrderStatusEventInline)
    actions = tuple(
        move_action(status)
        for status in (
            OrderStatus.PAID,
            OrderStatus.SHIPPED,
            OrderStatus.DELIVERED,
            OrderStatus.CANCELLED,
        )
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        """An order id or a user id, exactly; anything else finds nothing (no error page)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            pass
        if term.isdigit() and len(term) < 19:
            return queryset.filter(user_id=int(term)), False
        return queryset.none(), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders are placed through the API, where stock is reserved.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False
