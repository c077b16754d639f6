"""The catalog as a spreadsheet: the columns staff export, edit and import back in the
admin (django-import-export), matched by `sku` and checked as strictly as the API."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from import_export import fields, resources, widgets
from tablib.formats._xlsx import XLSXFormat

from .models import PRODUCT_WRITABLE_FIELDS, Category, Product
from .services import one_catalog_bump


class CategorySlugWidget(widgets.ForeignKeyWidget):
    """A category named by its slug; an unknown slug is that row's error, not a traceback."""

    def __init__(self) -> None:
        super().__init__(Category, field="slug")

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Category | None:
        try:
            return super().clean(value, row, **kwargs)
        except Category.DoesNotExist:
            raise ValueError(f"No category has the slug {value!r}.") from None


class PriceWidget(widgets.DecimalWidget):
    """A decimal cell; text that is no number is that row's error, not a traceback."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Decimal | None:
        try:
            return super().clean(value, row, **kwargs)
        except ArithmeticError:  # decimal.InvalidOperation, which the admin shows raw
            raise ValueError(f"Enter a number, not {value!r}.") from None


class QuantityWidget(widgets.IntegerWidget):
    """A whole number: `1.5` is refused, not cut down to 1; `2.0` (a spreadsheet's
    number cell) is 2."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> int | None:
        try:
            number = PriceWidget().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(f"Enter a whole number, not {value!r}.") from None
        if number is not None and number != number.to_integral_value():
            raise ValueError(f"Enter a whole number, not {value!r}.")
        return super().clean(value, row, **kwargs)


class YesNoWidget(widgets.BooleanWidget):
    """1 or 0, true or false: anything else is refused rather than read as false."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> bool | None:
        if value not in (*self.TRUE_VALUES, *self.FALSE_VALUES, *self.NULL_VALUES):
            raise ValueError(f"Enter 1 or 0, not {value!r}.")
        return super().clean(value, row, **kwargs)


# What a spreadsheet takes for the start of a formula in a cell of a file it opens
# (OWASP's "CSV injection"; Excel also runs "+", "-" and "@" cells, and skips a leading tab
# or carriage return first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# An apostrophe first makes a spreadsheet take the rest as text.
AS_TEXT = "'"


def as_text_cell(value: Any) -> Any:
    """An exported cell that a spreadsheet shows and never runs: text starting like a
    formula gets an apostrophe first. (XLSX cells starting with "=" would otherwise be
    written as formulas themselves.)"""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return AS_TEXT + value
    return value


def from_text_cell(value: Any) -> Any:
    """An imported cell without the apostrophe `as_text_cell` put there, so an exported
    file imports back as it was."""
    if (
        isinstance(value, str)
        and value.startswith(AS_TEXT)
        and value[1:].startswith(FORMULA_STARTS)
    ):
        return value[1:]
    return value


# How an XLSX export shows money: two decimals, thousands grouped (19.90, 1,099.00). The
# cells stay numbers that a spreadsheet sums and sorts; only their display changes.
MONEY_FORMAT = "#,##0.00"
# The columns shown as money, by header, in any XLSX file product_svc writes.
MONEY_COLUMNS = frozenset({"price"})


class MoneyXLSXFormat(XLSXFormat):
    """tablib's XLSX writer, with the number cells under a `MONEY_COLUMNS` header shown as
    money. tablib writes no number format, and django-import-export renders cells in
    their own types only through its own `XLSX` class (it compares the exact class), so
    the format is given to tablib itself (`CatalogConfig.ready` registers it) and each
    cell styled as the sheet is made, not by reading the finished file back: 10,000 rows
    took 3.7 s so, against 2.7 s to write them and 5.0 s more to read back and style."""

    @classmethod
    def dset_sheet(cls, dataset: Any, ws: Any, freeze_panes: bool = True, escape: bool = False):
        super().dset_sheet(dataset, ws, freeze_panes=freeze_panes, escape=escape)
        for column, header in enumerate(dataset.headers or [], start=1):
            if header not in MONEY_COLUMNS:
                continue
            for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
                if cell.data_type == "n":
                    cell.number_format = MONEY_FORMAT


def depth(category_id: int, parents: dict[int, int | None]) -> int:
    """How many shelves a category sits below (a loop in old data ends the count)."""
    seen: set[int] = set()
    ancestor = parents.get(category_id)
    while ancestor is not None and ancestor not in seen:
        seen.add(ancestor)
        ancestor = parents.get(ancestor)
    return len(seen)


class CatalogResource(resources.ModelResource):
    """What every catalog import shares: one transaction, all rows or none, the model's
    own validators per row, and one catalog-version bump after it commits; and every
    export's text cells safe to open in a spreadsheet (`as_text_cell`)."""

    class Meta:
        # All rows or none: the admin's confirm step imports in one transaction and
        # rolls it back when any row is refused.
        use_transactions = True
        # The model's validators, as the API's serializers apply them.
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def export_field(self, field: fields.Field, instance: Any, **kwargs: Any) -> Any:
        return as_text_cell(super().export_field(field, instance, **kwargs))

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        for column, value in row.items():
            row[column] = from_text_cell(value)

    def import_data_inner(self, dataset: Any, dry_run: bool, *args: Any, **kwargs: Any) -> Any:
        """Inside the import's transaction, so a dry run or a refused row drops the bump."""
        with one_catalog_bump():
            return super().import_data_inner(dataset, dry_run, *args, **kwargs)

    def import_data(self, *args: Any, **kwargs: Any) -> Any:
        """All rows or none, on the confirm step too: the admin asks for a rollback on a
        refused row only in its dry run, and a confirm form can be posted without one."""
        return super().import_data(*args, **{**kwargs, "rollback_on_validation_errors": True})


class CategoryResource(CatalogResource):
    parent = fields.Field(attribute="parent", column_name="parent", widget=CategorySlugWidget())

    class Meta:
        model = Category
        fields = ("slug", "name", "parent")
        export_order = fields
        import_id_fields = ("slug",)

    def filter_export(self, queryset: QuerySet[Category], **kwargs: Any) -> list[Category]:
        """Parents before their children, so an export imports back as it is: an import
        finds a row's parent only among the categories stored by then."""
        parents = Category.objects.parent_ids()
        categories = super().filter_export(queryset, **kwargs)
        return sorted(categories, key=lambda category: (depth(category.pk, parents), category.name))


class ProductResource(CatalogResource):
    # An empty cell is an empty description (XLSX reads it as None, which the column refuses).
    description = fields.Field(
        attribute="description", column_name="description", widget=widgets.CharWidget()
    )
    category = fields.Field(
        attribute="category", column_name="category", widget=CategorySlugWidget()
    )
    price = fields.Field(attribute="price", column_name="price", widget=PriceWidget())
    stock = fields.Field(attribute="stock", column_name="stock", widget=QuantityWidget())
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=YesNoWidget())

    class Meta:
        model = Product
        fields = PRODUCT_WRITABLE_FIELDS
        export_order = fields
        import_id_fields = ("sku",)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        """Lock the file's existing products in product-id order, the order reservations
        update them in, until the import's transaction ends: a reservation then commits
        before the import reads its row, or waits for the import, and the two can't
        deadlock. So the stock a row sets is the stock that stays."""
        if "sku" in dataset.headers:
            skus = [sku for sku in dataset["sku"] if sku]
            list(
                Product.objects.select_for_update(no_key=True)
                .filter(sku__in=skus)
                .order_by("id")
                .values_list("id", flat=True)
            )
