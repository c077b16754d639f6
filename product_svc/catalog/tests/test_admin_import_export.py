"""The catalog's CSV and XLSX import and export in the admin, through Django's test
client: preview first, then confirm; refused rows change nothing."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.template.response import TemplateResponse
from django.test import Client
from import_export.tmp_storages import CacheStorage

from catalog.models import Category, Product
from catalog.resources import ProductResource
from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.tests.test_category_concurrency import wait_until_blocked

# The spreadsheet's columns, in order.
COLUMNS = [
    *("sku", "name", "slug", "description", "price", "currency"),
    *("category", "stock", "is_active"),
]
CSV_FORMAT, XLSX_FORMAT = "0", "1"


def csv_upload(rows: list[list[object]], header: list[str] = COLUMNS) -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    return SimpleUploadedFile("catalog.csv", text.getvalue().encode(), "text/csv")


def xlsx_upload(rows: list[list[object]]) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in [COLUMNS, *rows]:
        book.active.append(row)
    content = io.BytesIO()
    book.save(content)
    return SimpleUploadedFile("catalog.xlsx", content.getvalue())


def preview(
    browser: Client, upload: SimpleUploadedFile, file_format: str, model: str = "product"
) -> TemplateResponse:
    response = browser.post(
        f"/admin/catalog/{model}/import/", {"import_file": upload, "format": file_format}
    )
    assert response.status_code == 200
    assert "result" in response.context, response.context.get("form").errors
    return response


def confirm(browser: Client, previewed: TemplateResponse) -> None:
    response = browser.post(
        previewed.request["PATH_INFO"].replace("/import/", "/process_import/"),
        previewed.context["confirm_form"].initial,
    )
    assert response.status_code == 302


def export(browser: Client, file_format: str, model: str = "product") -> bytes:
    url = f"/admin/catalog/{model}/export/"
    form = browser.get(url).context["form"]
    chosen = {name: "on" for name, field in form.fields.items() if field.initial is True}
    response = browser.post(url, {**chosen, "format": file_format, "resource": "0"})
    assert response.status_code == 200
    return response.content


def catalog_state() -> list[tuple]:
    return list(
        Product.objects.order_by("sku").values_list(*COLUMNS[:6], "category__slug", *COLUMNS[7:])
    )


@pytest.mark.django_db
def test_the_export_lists_every_column_in_csv_and_in_xlsx(admin_browser):
    kettles = CategoryFactory(slug="kettles")
    ProductFactory(sku="KET-1", name="Kettle", price="24.50", stock=3, category=kettles)
    ProductFactory(sku="MUG-1", name="Mug", price="4.00", stock=0, category=None)

    from_csv = tablib.Dataset().load(export(admin_browser, CSV_FORMAT).decode(), format="csv")
    from_xlsx = tablib.Dataset().load(export(admin_browser, XLSX_FORMAT), format="xlsx")

    for exported in (from_csv, from_xlsx):
        assert exported.headers == COLUMNS
        rows = {row["sku"]: row for row in exported.dict}
        assert set(rows) == {"KET-1", "MUG-1"}
        assert rows["KET-1"]["category"] == "kettles"
        assert Decimal(str(rows["KET-1"]["price"])) == Decimal("24.50")
        assert str(rows["KET-1"]["stock"]) == "3"
        assert rows["MUG-1"]["category"] in ("", None)


@pytest.mark.django_db
def test_an_import_updates_by_sku_and_creates_only_once_confirmed(
    admin_browser, catalog_bumps, django_capture_on_commit_callbacks
):
    kettles = CategoryFactory(slug="kettles")
    ProductFactory(sku="KET-1", name="Kettle", slug="kettle", price="24.50", stock=3)
    ProductFactory(sku="MUG-1", name="Mug", slug="mug", price="4.00", stock=0)
    before = catalog_state()
    catalog_bumps.clear()
    upload = csv_upload(
        [
            ["KET-1", "Kettle", "kettle", "", "19.99", "EUR", "kettles", 40, 1],
            ["MUG-1", "Mug", "mug", "", "4.50", "EUR", "", 12, 1],
            ["TEA-1", "Teapot", "teapot", "Round.", "30.00", "EUR", "kettles", 5, 1],
        ]
    )

    with django_capture_on_commit_callbacks(execute=True):
        previewed = preview(admin_browser, upload, CSV_FORMAT)

    result = previewed.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["update", "update", "new"]
    assert (catalog_state(), catalog_bumps) == (before, [])

    with django_capture_on_commit_callbacks(execute=True):
        confirm(admin_browser, previewed)

    products = {p.sku: p for p in Product.objects.all()}
    assert (products["KET-1"].price, products["KET-1"].stock) == (Decimal("19.99"), 40)
    assert (products["MUG-1"].price, products["MUG-1"].stock) == (Decimal("4.50"), 12)
    assert (products["TEA-1"].category, products["TEA-1"].stock) == (kettles, 5)
    assert catalog_bumps == ["bump"]


@pytest.mark.django_db
def test_a_file_with_refused_rows_shows_each_error_and_changes_nothing(
    admin_browser, catalog_bumps, django_capture_on_commit_callbacks
):
    ProductFactory(sku="KET-1", slug="kettle", price="24.50", stock=3)
    before = catalog_state()
    catalog_bumps.clear()
    good = ["KET-1", "Kettle", "kettle", "", "19.99", "EUR", "", 40, 1]
    bad_rows = {
        3: (["NEG-1", "A", "a", "", "-1.00", "EUR", "", 1, 1], "price"),
        4: (["NEG-2", "B", "b", "", "1.00", "EUR", "", -5, 1], "stock"),
        5: (["CAT-1", "C", "c", "", "1.00", "EUR", "no-such-shelf", 1, 1], "category"),
        6: (["BIG-1", "D", "d", "", "123456789.00", "EUR", "", 1, 1], "price"),
        7: (["TINY-1", "E", "e", "", "1e-20000", "EUR", "", 1, 1], "price"),
        8: (["TWIN-1", "F", "kettle", "", "1.00", "EUR", "", 1, 1], "slug"),
        9: (["WORD-1", "G", "g", "", "abc", "EUR", "", 1, 1], "price"),
        10: (["NAN-1", "H", "h", "", "NaN", "EUR", "", 1, 1], "price"),
        11: (["HALF-1", "I", "i", "", "1.00", "EUR", "", "1.5", 1], "stock"),
        12: (["MANY-1", "J", "j", "", "1.00", "EUR", "", "many", 1], "stock"),
        13: (["ODD-1", "K", "k", "", "1.00", "EUR", "", 1, "maybe"], "is_active"),
    }
    rows = [good, *(row for row, _ in bad_rows.values())]

    with django_capture_on_commit_callbacks(execute=True):
        previewed = preview(admin_browser, csv_upload(rows), CSV_FORMAT)
        # A confirm posted for this file anyway (the preview offers none) imports nothing.
        stored = ProductResource().import_data(tablib.Dataset(*rows, headers=COLUMNS))

    invalid = {
        row.number: row.field_specific_errors for row in previewed.context["result"].invalid_rows
    }
    assert {number: list(errors) for number, errors in invalid.items()} == {
        number - 1: [field] for number, (_, field) in bad_rows.items()
    }
    assert "No category has the slug &#x27;no-such-shelf&#x27;." in previewed.content.decode()
    assert "confirm_form" not in previewed.context
    assert stored.has_validation_errors()
    assert (catalog_state(), catalog_bumps) == (before, [])


@pytest.mark.django_db
def test_the_previewed_file_waits_in_the_cache_every_worker_shares(admin_browser):
    row = ["TEA-1", "Teapot", "teapot", "", "30.00", "EUR", "", 5, 1]
    previewed = preview(admin_browser, csv_upload([row]), CSV_FORMAT)

    stored = previewed.context["confirm_form"].initial["import_file_name"]
    assert cache.get(CacheStorage.CACHE_PREFIX + stored) is not None


@pytest.mark.django_db
def test_an_xlsx_file_imports_like_a_csv_one(admin_browser):
    ProductFactory(sku="KET-1", slug="kettle", price="24.50", stock=3, category=None)

    previewed = preview(
        admin_browser,
        xlsx_upload([["KET-1", "Kettle", "kettle", "", 21.5, "EUR", None, 8, True]]),
        XLSX_FORMAT,
    )
    confirm(admin_browser, previewed)

    kettle = Product.objects.get(sku="KET-1")
    assert (kettle.price, kettle.stock, kettle.name) == (Decimal("21.50"), 8, "Kettle")


@pytest.mark.django_db
def test_an_xlsx_export_writes_price_and_stock_as_numbers_and_imports_back(admin_browser):
    ProductFactory(sku="KET-1", price="19.90", stock=3)
    ProductFactory(sku="TOP-1", price="99999999.99", stock=2_000_000_000)

    content = export(admin_browser, XLSX_FORMAT)
    header, *rows = openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows()
    columns = [cell.value for cell in header]
    cells = {row[0].value: dict(zip(columns, row, strict=True)) for row in rows}
    for sku, price, stock in [("KET-1", "19.90", 3), ("TOP-1", "99999999.99", 2_000_000_000)]:
        assert cells[sku]["price"].data_type == cells[sku]["stock"].data_type == "n"
        assert Decimal(str(cells[sku]["price"].value)) == Decimal(price)
        assert cells[sku]["stock"].value == stock

    previewed = preview(admin_browser, SimpleUploadedFile("catalog.xlsx", content), XLSX_FORMAT)
    assert {row.import_type for row in previewed.context["result"].rows} == {"skip"}
    confirm(admin_browser, previewed)
    assert Product.objects.get(sku="KET-1").price == Decimal("19.90")


@pytest.mark.django_db
def test_an_xlsx_export_shows_prices_with_two_decimals_and_imports_back(admin_browser):
    prices = {"KET-1": "10.50", "MUG-1": "4.00", "LAP-1": "1099.00", "TOP-1": "99999999.99"}
    for sku, price in prices.items():
        ProductFactory(sku=sku, price=price, stock=1_250)

    content = export(admin_browser, XLSX_FORMAT)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header, *rows = sheet.iter_rows()
    columns = [cell.value for cell in header]
    cells = {row[0].value: dict(zip(columns, row, strict=True)) for row in rows}
    for sku, price in prices.items():
        # A number cell, shown as 10.50 and 1,099.00: it sums and sorts as before.
        assert cells[sku]["price"].data_type == "n"
        assert cells[sku]["price"].number_format == "#,##0.00"
        assert Decimal(str(cells[sku]["price"].value)) == Decimal(price)
        # Stock stays a whole number, shown as one.
        assert (cells[sku]["stock"].value, cells[sku]["stock"].data_type) == (1_250, "n")
        assert cells[sku]["stock"].number_format == "General"
        assert cells[sku]["is_active"].value is True
    # The rest of the file as tablib made it: a bold header kept in view, text cells.
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b and cell.number_format == "General" for cell in header)
    assert cells["KET-1"]["name"].number_format == "General"

    previewed = preview(admin_browser, SimpleUploadedFile("catalog.xlsx", content), XLSX_FORMAT)
    assert {row.import_type for row in previewed.context["result"].rows} == {"skip"}


@pytest.mark.django_db
def test_a_csv_export_keeps_price_and_stock_as_text(admin_browser):
    ProductFactory(sku="KET-1", price="19.90", stock=3)

    rows = list(csv.reader(io.StringIO(export(admin_browser, CSV_FORMAT).decode())))

    assert rows[0] == COLUMNS
    assert rows[1][COLUMNS.index("price")] == "19.90"
    assert rows[1][COLUMNS.index("stock")] == "3"
    assert rows[1][COLUMNS.index("is_active")] == "1"


def import_prices(rows: list[list[object]]) -> bool:
    try:
        dataset = tablib.Dataset(*rows, headers=["sku", "price"])
        return ProductResource().import_data(dataset).has_validation_errors()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_an_import_racing_a_reservation_keeps_the_reserved_stock_off():
    """The file has no stock column: the import must not write back the stock it read
    before a reservation that committed while the import waited."""
    kettle = ProductFactory(sku="KET-1", price="24.50", stock=10)

    with ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            # What a reservation does, left uncommitted while the import starts.
            Product.objects.filter(pk=kettle.pk, stock__gte=3).update(stock=F("stock") - 3)
            imported = pool.submit(import_prices, [["KET-1", "19.99"]])
            wait_until_blocked(1)
        assert imported.result() is False

    kettle.refresh_from_db()
    assert (kettle.price, kettle.stock) == (Decimal("19.99"), 7)


@pytest.mark.django_db
def test_importing_takes_the_right_to_change_products(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="pw-viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(viewer)

    assert client.get("/admin/catalog/product/export/").status_code == 200
    assert client.get("/admin/catalog/product/import/").status_code == 403


@pytest.mark.django_db
def test_categories_export_and_import_by_slug_under_their_parents(
    admin_browser, catalog_bumps, django_capture_on_commit_callbacks
):
    kitchen = CategoryFactory(slug="kitchen", name="Kitchen")
    CategoryFactory(slug="kettles", name="Kettles", parent=kitchen)
    exported = tablib.Dataset().load(
        export(admin_browser, CSV_FORMAT, "category").decode(), format="csv"
    )
    catalog_bumps.clear()
    upload = csv_upload(
        [["kettles", "Electric kettles", "kitchen"], ["teapots", "Teapots", "kitchen"]],
        header=["slug", "name", "parent"],
    )

    with django_capture_on_commit_callbacks(execute=True):
        confirm(admin_browser, preview(admin_browser, upload, CSV_FORMAT, "category"))

    assert exported.headers == ["slug", "name", "parent"]
    # Parents first, though "Kettles" sorts before "Kitchen": the file imports back as it is.
    assert list(exported) == [("kitchen", "Kitchen", ""), ("kettles", "Kettles", "kitchen")]
    below_kitchen = Category.objects.filter(parent=kitchen).order_by("slug")
    assert list(below_kitchen.values_list("slug", "name")) == [
        ("kettles", "Electric kettles"),
        ("teapots", "Teapots"),
    ]
    assert catalog_bumps == ["bump"]


@pytest.mark.django_db
def test_a_category_import_that_would_make_a_loop_changes_nothing(admin_browser):
    kitchen = CategoryFactory(slug="kitchen", name="Kitchen")
    CategoryFactory(slug="kettles", name="Kettles", parent=kitchen)
    upload = csv_upload(
        [["teapots", "Teapots", "kitchen"], ["kitchen", "Kitchen", "kettles"]],
        header=["slug", "name", "parent"],
    )

    previewed = preview(admin_browser, upload, CSV_FORMAT, "category")

    invalid = previewed.context["result"].invalid_rows
    assert [(row.number, list(row.field_specific_errors)) for row in invalid] == [(2, ["parent"])]
    assert "confirm_form" not in previewed.context
    assert not Category.objects.filter(slug="teapots").exists()
    assert Category.objects.get(slug="kitchen").parent is None
