"""The outbox and the inbox are history: read-only. Failed events can be replayed."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shop_common.events.models import FailedEvent, InboxEvent, OutboxEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("type", "subject", "occurred_at", "published_at", "request_id")
    list_filter = ("type", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("=id", "=subject", "=request_id")
    date_hierarchy = "occurred_at"


@admin.register(InboxEvent)
class InboxEventAdmin(ReadOnlyAdmin):
    list_display = ("type", "event_id", "consumer", "applied_at", "duplicates")
    list_filter = ("type", "consumer")
    search_fields = ("=event_id",)
    date_hierarchy = "applied_at"


@admin.register(FailedEvent)
class FailedEventAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "consumer", "attempts", "dead", "next_attempt_at", "updated_at")
    list_filter = ("dead", "type", "consumer", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("=event_id",)
    actions = ("replay",)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Replaying (an action on the list) is the one change; a single record stays
        # read-only. Whoever holds `events.change_failedevent` may replay.
        return obj is None and request.user.has_perm("events.change_failedevent")

    @admin.action(description="Replay the selected dead events", permissions=["change"])
    def replay(self, request: HttpRequest, queryset: QuerySet[FailedEvent]) -> None:
        count = queryset.replay()
        self.message_user(
            request,
            f"{count} dead event(s) will be retried by the consumer within seconds.",
            messages.SUCCESS if count else messages.WARNING,
        )
