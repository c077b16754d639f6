"""The admin catalog staff work in: find products fast, fix stock in the list, switch
products on and off in bulk, import and export the catalog as CSV or XLSX. Every change
bumps the catalog version, bulk ones included."""

from typing import ClassVar

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.forms import ModelForm
from django.http import HttpRequest
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from .models import Category, Product
from .resources import CategoryResource, ProductResource
from .services import catalog_changed, save_changed_fields

CATALOG_FILE_FORMATS = (CSV, XLSX)


@admin.register(Category)
class CategoryAdmin(ImportExportModelAdmin):
    resource_classes = (CategoryResource,)
    formats = CATALOG_FILE_FORMATS
    list_display = ("name", "slug", "parent")
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    prepopulated_fields: ClassVar = {"slug": ("name",)}
    autocomplete_fields = ("parent",)


class InStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "in_stock"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "In stock"), ("no", "Out of stock")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.in_stock()
        if self.value() == "no":
            return queryset.sold_out()
        return queryset


@admin.register(Product)
class ProductAdmin(ImportExportModelAdmin):
    resource_classes = (ProductResource,)
    formats = CATALOG_FILE_FORMATS
    list_display = ("sku", "name", "category", "price", "currency", "stock", "is_active")
    list_display_links = ("sku", "name")
    list_editable = ("stock",)
    list_filter = ("category", "is_active", InStockFilter)
    list_select_related = ("category",)
    list_per_page = 50
    search_fields = ("sku", "name")
    prepopulated_fields: ClassVar = {"slug": ("name",)}
    autocomplete_fields = ("category",)
    readonly_fields = ("created_at", "updated_at")
    actions = ("activate", "deactivate")

    def save_model(self, request: HttpRequest, obj: Product, form: ModelForm, change: bool) -> None:
        """Write only what the form changed, so a form opened a while ago doesn't put back
        the stock it showed over reservations taken since (also for the list's stock)."""
        if change:
            if form.changed_data:
                save_changed_fields(obj, form.changed_data)
        else:
            obj.save()

    @admin.action(description="Activate selected products")
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, active=True)

    @admin.action(description="Deactivate selected products")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, active=False)

    def _set_active(
        self, request: HttpRequest, queryset: QuerySet[Product], *, active: bool
    ) -> None:
        # `update()` sends no signal: bump the catalog version here.
        count = queryset.exclude(is_active=active).update(is_active=active, updated_at=Now())
        if count:
            catalog_changed()
        state = "activated" if active else "deactivated"
        self.message_user(request, f"{count} product(s) {state}.", messages.SUCCESS)
