import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from catalog.models import Category, Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from inventory.services import ReservationItem, release, reserve

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


def test_the_product_list_searches_and_filters(admin_browser):
    ProductFactory(sku="KET-1", name="Kettle", stock=0)
    ProductFactory(sku="MUG-1", name="Mug")

    found = admin_browser.get(CHANGELIST, {"q": "KET"})
    sold_out = admin_browser.get(CHANGELIST, {"in_stock": "no", "is_active__exact": "1"})

    assert found.status_code == sold_out.status_code == 200
    assert found.context["cl"].result_count == 1
    assert [p.sku for p in sold_out.context["cl"].result_list] == ["KET-1"]


def test_stock_edited_in_the_list_changes_only_stock_and_bumps_the_version(
    admin_browser, catalog_bumps, django_capture_on_commit_callbacks
):
    kettle = ProductFactory(stock=5, price="10.00")
    Product.objects.filter(pk=kettle.pk).update(price="12.00")  # changed since the page loaded
    catalog_bumps.clear()
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(kettle.pk),
        "form-0-stock": "42",
        "_save": "Save",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(CHANGELIST, form)

    assert response.status_code == 302
    kettle.refresh_from_db()
    assert (kettle.stock, str(kettle.price)) == (42, "12.00")
    assert catalog_bumps


def test_bulk_deactivate_and_activate_bump_the_catalog_version(
    admin_browser, catalog_bumps, django_capture_on_commit_callbacks
):
    products = ProductFactory.create_batch(3)
    ids = [str(p.pk) for p in products]
    catalog_bumps.clear()

    with django_capture_on_commit_callbacks(execute=True):
        admin_browser.post(CHANGELIST, {"action": "deactivate", "_selected_action": ids})
    assert not Product.objects.filter(is_active=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        admin_browser.post(CHANGELIST, {"action": "activate", "_selected_action": ids})

    assert Product.objects.filter(is_active=True).count() == 3
    assert catalog_bumps == ["bump", "bump"]


def test_the_category_form_refuses_a_parent_that_would_make_a_loop(admin_browser):
    kitchen = CategoryFactory()
    kettles = CategoryFactory(parent=kitchen)
    change = f"/admin/catalog/category/{kitchen.pk}/change/"
    form = {"name": kitchen.name, "slug": kitchen.slug, "_save": "Save"}

    itself = admin_browser.post(change, {**form, "parent": kitchen.pk})
    below = admin_browser.post(change, {**form, "parent": kettles.pk})

    for response in (itself, below):
        assert response.status_code == 200
        assert "loop" in response.context["adminform"].form.errors["parent"][0]
    assert Category.objects.parent_ids() == {kitchen.pk: None, kettles.pk: kitchen.pk}


def test_reservations_are_visible_and_read_only(admin_browser):
    kettle = ProductFactory()
    reservation = reserve(
        reservation_id=uuid.uuid4(), items=[ReservationItem(kettle.pk, 1)]
    ).reservation
    detail = f"/admin/inventory/reservation/{reservation.pk}/change/"

    listed = admin_browser.get("/admin/inventory/reservation/", {"q": str(reservation.pk)})
    assert listed.context["cl"].result_count == 1
    assert admin_browser.get("/admin/inventory/reservation/", {"q": "no-uuid"}).status_code == 200
    page = admin_browser.get(detail)
    assert page.status_code == 200
    assert kettle.name in page.content.decode()
    assert admin_browser.get("/admin/inventory/reservation/add/").status_code == 403
    assert (
        admin_browser.post(f"/admin/inventory/reservation/{reservation.pk}/delete/").status_code
        == 403
    )


def reserve_units(product: Product, quantity: int) -> uuid.UUID:
    reservation_id = uuid.uuid4()
    reserve(reservation_id=reservation_id, items=[ReservationItem(product.pk, quantity)])
    return reservation_id


def test_the_list_and_the_product_page_show_reserved_stock_beside_the_stock(admin_browser):
    kettle = ProductFactory(stock=10)
    reserve_units(kettle, 3)
    release(reservation_id=reserve_units(kettle, 2))  # given back: held no more
    mug = ProductFactory(stock=4)

    listed = admin_browser.get(CHANGELIST)
    page = admin_browser.get(f"/admin/catalog/product/{kettle.pk}/change/")
    added = admin_browser.get("/admin/catalog/product/add/")

    shown = {p.sku: (p.stock, p.reserved) for p in listed.context["cl"].result_list}
    assert shown == {kettle.sku: (7, 3), mug.sku: (4, 0)}
    assert '<td class="field-reserved">3</td>' in listed.content.decode()
    # On the product's page, on the stock's own line.
    stock_line = re.search(
        r'<div class="form-row field-stock field-reserved">.*?</fieldset>',
        page.content.decode(),
        re.S,
    )
    assert stock_line is not None
    assert re.search(r'<div class="readonly">3</div>', stock_line.group())
    assert added.status_code == 200


def test_the_list_sums_reservations_in_one_query_however_many_products(admin_browser):
    def list_queries() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert admin_browser.get(CHANGELIST).status_code == 200
        return [query["sql"] for query in queries]

    reserve_units(ProductFactory(), 1)
    few = list_queries()
    for _ in range(12):
        reserve_units(ProductFactory(), 2)
    many = list_queries()

    assert len(many) == len(few)
    assert sum("inventory_reservationline" in sql for sql in many) == 1


def product_form_with_image(product: Product, image_file) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "price": str(product.price),
        "currency": product.currency,
        "stock": str(product.stock),
        "is_active": "on",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        "images-0-image": image_file,
        "images-0-alt": "From the admin",
        "images-0-position": "0",
        "_save": "Save",
    }


def test_an_image_added_in_the_admin_is_checked_stored_and_previewed(
    admin_browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    product = ProductFactory()
    change = f"/admin/catalog/product/{product.pk}/change/"
    photo = io.BytesIO()
    Image.new("RGB", (600, 300), "navy").save(photo, format="JPEG")

    refused = admin_browser.post(
        change, product_form_with_image(product, SimpleUploadedFile("a.jpg", b"not an image"))
    )
    added = admin_browser.post(
        change, product_form_with_image(product, SimpleUploadedFile("a.gif", photo.getvalue()))
    )

    assert refused.status_code == 200
    assert "Upload a JPEG, PNG or WebP image." in refused.content.decode()
    assert added.status_code == 302
    [image] = product.images.all()
    assert image.image.name.endswith(".jpg")
    assert (tmp_path / image.thumbnail.name).is_file()
    page = admin_browser.get(change).content.decode()
    assert f'src="{image.thumbnail.url}" alt="From the admin"' in page
