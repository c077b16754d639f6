"""Reservations in the admin, read-only: staff look them up, only the order flow changes them."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from .models import Reservation, ReservationLine


class ReadOnlyAdminMixin:
    """View permission only: no add, change or delete, whoever is signed in."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReservationLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReservationLine
    fields = ("product", "name", "unit_price", "currency", "quantity")
    readonly_fields = fields
    extra = 0


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "state", "line_count", "created_at", "updated_at")
    list_filter = ("state",)
    search_fields = ("=id",)
    date_hierarchy = "created_at"
    inlines = (ReservationLineInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reservation]:
        return super().get_queryset(request).annotate(line_count=Count("lines"))

    @admin.display(description="lines", ordering="line_count")
    def line_count(self, reservation: Reservation) -> int:
        return reservation.line_count
