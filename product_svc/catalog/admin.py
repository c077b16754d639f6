"""The admin catalog staff work in: find products fast, fix stock in the list, switch
products on and off in bulk, see the stock reservations hold beside what is left, import
and export the catalog as CSV or XLSX, add product images with previews. Every change
bumps the catalog version, bulk ones included."""

from typing import ClassVar

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from inventory.selectors import with_reserved_stock

from .images import CheckedImage, check_image
from .models import Category, Product, ProductImage
from .resources import CategoryResource, ProductResource
from .services import catalog_changed, save_changed_fields, store_image_files

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


class ProductImageForm(ModelForm):
    """An image added in the admin is checked and stored as the API does it (by content,
    under a name of our own, with its thumbnail); a stored image's file stays as it is."""

    class Meta:
        model = ProductImage
        fields = ("image", "alt", "position")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.checked: CheckedImage | None = None
        if self.instance.pk:
            self.fields["image"].disabled = True

    def clean_image(self) -> object:
        image = self.cleaned_data["image"]
        if isinstance(image, UploadedFile):
            try:
                self.checked = check_image(image)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
        return image

    def save(self, commit: bool = True) -> ProductImage:
        if self.checked is not None:
            image = self.instance
            image.image, image.thumbnail = store_image_files(
                product=image.product, image=self.cleaned_data["image"], checked=self.checked
            )
        return super().save(commit)


class ProductImageInline(admin.TabularInline):
    """The product's images with their thumbnails, in order; new ones added below."""

    model = ProductImage
    form = ProductImageForm
    fields = ("preview", "image", "alt", "position")
    readonly_fields = ("preview",)
    extra = 1

    @admin.display(description="preview")
    def preview(self, image: ProductImage) -> str:
        if not image.pk:
            return "-"
        return format_html(
            '<img src="{}" alt="{}" style="max-height: 80px">', image.thumbnail.url, image.alt
        )


@admin.register(Product)
class ProductAdmin(ImportExportModelAdmin):
    resource_classes = (ProductResource,)
    formats = CATALOG_FILE_FORMATS
    list_display = (
        *("sku", "name", "category", "price", "currency"),
        *("stock", "reserved", "is_active"),
    )
    list_display_links = ("sku", "name")
    list_editable = ("stock",)
    list_filter = ("category", "is_active", InStockFilter)
    list_select_related = ("category",)
    list_per_page = 50
    search_fields = ("sku", "name")
    prepopulated_fields: ClassVar = {"slug": ("name",)}
    autocomplete_fields = ("category",)
    fields = (
        *("sku", "name", "slug", "description", "price", "currency", "category"),
        ("stock", "reserved"),
        *("is_active", "created_at", "updated_at"),
    )
    readonly_fields = ("reserved", "created_at", "updated_at")
    actions = ("activate", "deactivate")
    inlines = (ProductImageInline,)

    class Media:
        # Narrower gaps and wrapping category names, so the list fits a 1,280 px window.
        css: ClassVar = {"all": ("catalog/product_list.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        """Each product with what reservations hold of it, for the list and the change page."""
        return with_reserved_stock(super().get_queryset(request))

    @admin.display(description="reserved")
    def reserved(self, product: Product) -> int | None:
        """Held by orders placed and not cancelled, already taken off `stock` (none yet
        for a product being added)."""
        return getattr(product, "reserved", None)

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
