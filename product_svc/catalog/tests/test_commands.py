import pytest
from django.core.management import CommandError, call_command

from catalog.demo_catalog import CATEGORIES, PRODUCTS
from catalog.models import Category, Product
from shop_testing.admin import admin_statuses, demo_staff_seeded_twice

pytestmark = pytest.mark.django_db


def test_seed_loads_the_demo_catalog_once_and_keeps_later_changes():
    call_command("seed")
    Product.objects.filter(sku=PRODUCTS[0][0]).update(stock=1)

    call_command("seed")

    assert Category.objects.count() == len(CATEGORIES)
    assert Product.objects.count() == len(PRODUCTS)
    assert Product.objects.get(sku=PRODUCTS[0][0]).stock == 1
    assert Category.objects.get(slug="laptops").parent.slug == "electronics"


def test_seed_lets_the_demo_staff_edit_the_catalog_and_nothing_else(settings):
    settings.DEBUG = True

    staff = demo_staff_seeded_twice(username="staff@example.com")

    assert [group.name for group in staff.groups.all()] == ["Catalog editors"]
    pages = ["/admin/catalog/product/", "/admin/inventory/reservation/", "/admin/auth/group/"]
    assert admin_statuses(staff, pages) == dict(zip(pages, [200, 200, 403], strict=True))


def test_generate_products_adds_n_more_on_every_run(
    catalog_bumps, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("generate_products", "250", "--batch-size", "100")
    call_command("generate_products", "10", "--seed", "1")
    call_command("generate_products", "10", "--seed", "1")

    assert Product.objects.count() == 270
    assert not Product.objects.filter(price__lt=0).exists()
    assert catalog_bumps


@pytest.mark.parametrize("args", [["0"], ["-5"], ["10", "--batch-size", "0"]])
def test_generate_products_refuses_nonsense_counts(args):
    with pytest.raises(CommandError):
        call_command("generate_products", *args)

    assert not Product.objects.exists()
