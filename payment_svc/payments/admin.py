"""The Django admin for payments: find and read them; refund them only through the same
service as the event that refunds a cancelled order.

A payment's history, its refund and the provider's events are what happened: read-only
here. What each staff member may do is set by the groups of this service (`seed` makes
"Payment clerks").
"""

import uuid

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from payments import services
from payments.exceptions import PaymentError
from payments.models import (
    CancelledOrder,
    Payment,
    PaymentAttempt,
    ProviderEvent,
    Refund,
    ScheduledWebhook,
)
from shop_common.history_admin import ReadOnlyAdmin, ReadOnlyInline


class PaymentAttemptInline(ReadOnlyInline):
    model = PaymentAttempt
    fields = ("at", "status", "failure_reason", "note")
    verbose_name_plural = "history"


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("created_at", "amount", "currency", "reason", "provider_reference")


@admin.action(description="Refund selected payments in full", permissions=["refund"])
def refund_payments(
    modeladmin: "PaymentAdmin", request: HttpRequest, queryset: QuerySet[Payment]
) -> None:
    refunded = 0
    for payment in queryset:
        try:
            services.refund_payment(
                payment_id=payment.id, reason=f"admin: {request.user.get_username()}"
            )
            refunded += 1
        except PaymentError as exc:
            modeladmin.message_user(request, f"{payment.id}: {exc.detail}", messages.WARNING)
    modeladmin.message_user(request, f"{refunded} payment(s) refunded.")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "order_id", "user_id", "status", "amount", "currency", "created_at")
    list_filter = ("status", "provider", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("id", "order_id", "user_id", "provider_reference")
    fields = (
        "id",
        "order_id",
        "user_id",
        "status",
        "amount",
        "currency",
        "failure_reason",
        "provider",
        "provider_reference",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (PaymentAttemptInline, RefundInline)
    actions = (refund_payments,)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.refund_payment")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Payment], search_term: str
    ) -> tuple[QuerySet[Payment], bool]:
        """A payment or order id, a user id, or the provider's reference, exactly."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            found = uuid.UUID(term)
        except ValueError:
            if term.isdigit() and len(term) < 19:
                return queryset.filter(user_id=int(term)), False
            return queryset.filter(provider_reference=term), False
        return queryset.filter(pk=found) | queryset.filter(order_id=found), False


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "provider", "type", "outcome", "received_at")
    list_filter = ("provider", "type", "received_at")
    search_fields = ("=event_id",)
    readonly_fields = ("provider", "event_id", "type", "outcome", "received_at", "payload")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("id", "payment", "amount", "currency", "reason", "created_at")
    readonly_fields = ("payment", "amount", "currency", "reason", "provider_reference")


@admin.register(CancelledOrder)
class CancelledOrderAdmin(ReadOnlyAdmin):
    list_display = ("order_id", "cancelled_at")


@admin.register(ScheduledWebhook)
class ScheduledWebhookAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "due_at", "delivered_at", "attempts", "last_error")
    list_filter = ("delivered_at",)
    readonly_fields = ("event_id", "due_at", "delivered_at", "attempts", "last_error", "body")
