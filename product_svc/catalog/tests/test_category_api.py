import pytest
from django.db import IntegrityError, transaction

from catalog.models import Category
from catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"


def test_anyone_lists_categories_paginated(anonymous_client):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    CategoryFactory(name="Kettles", slug="kettles", parent=kitchen)

    response = anonymous_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert response.json()["results"][0] == {
        "id": kitchen.pk + 1,
        "name": "Kettles",
        "slug": "kettles",
        "parent": kitchen.pk,
    }
    assert anonymous_client.get(f"{URL}{kitchen.pk}/").json()["slug"] == "kitchen"


def test_staff_create_update_and_delete_categories(staff_client):
    created = staff_client.post(URL, {"name": "Garden", "slug": "garden"}, format="json")
    path = f"{URL}{created.json()['id']}/"
    renamed = staff_client.patch(path, {"name": "Garden & Patio"}, format="json")
    deleted = staff_client.delete(path)

    assert created.status_code == 201
    assert created.json()["parent"] is None
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Garden & Patio"
    assert deleted.status_code == 204
    assert not Category.objects.exists()


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_category_writes_need_a_staff_token(anonymous_client, customer_client, method):
    kitchen = CategoryFactory()
    path = URL if method == "post" else f"{URL}{kitchen.pk}/"
    body = {"name": "Garden", "slug": "garden"}

    assert getattr(anonymous_client, method)(path, body, format="json").status_code == 401
    assert getattr(customer_client, method)(path, body, format="json").status_code == 403
    assert Category.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Kitchen 2", "slug": "kitchen"}, "slug"),
        ({"name": "Garden", "slug": "not a slug"}, "slug"),
        ({"slug": "garden"}, "name"),
        ({"name": "Garden", "slug": "garden", "parent": 999999}, "parent"),
    ],
)
def test_invalid_categories_are_400_naming_the_field(staff_client, body, field):
    CategoryFactory(slug="kitchen")

    response = staff_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_category_cannot_be_moved_below_itself(staff_client):
    kitchen = CategoryFactory()
    kettles = CategoryFactory(parent=kitchen)

    itself = staff_client.patch(f"{URL}{kitchen.pk}/", {"parent": kitchen.pk}, format="json")
    below = staff_client.patch(f"{URL}{kitchen.pk}/", {"parent": kettles.pk}, format="json")

    assert itself.status_code == below.status_code == 400
    assert "parent" in below.json()["errors"]
    assert "loop" in below.json()["detail"]
    assert Category.objects.parent_ids() == {kitchen.pk: None, kettles.pk: kitchen.pk}


def test_the_database_itself_refuses_a_category_as_its_own_parent():
    kitchen = CategoryFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.filter(pk=kitchen.pk).update(parent=kitchen)


def loop_in_the_data() -> tuple[Category, Category]:
    """Two categories each the other's parent, as a race or an old bug could have left them."""
    kitchen, garden = CategoryFactory(), CategoryFactory()
    Category.objects.filter(pk=kitchen.pk).update(parent=garden)
    Category.objects.filter(pk=garden.pk).update(parent=kitchen)
    return kitchen, garden


def test_a_parent_inside_a_loop_the_data_already_has_is_refused(staff_client):
    kitchen, _ = loop_in_the_data()
    books = CategoryFactory()

    moved = staff_client.patch(f"{URL}{books.pk}/", {"parent": kitchen.pk}, format="json")
    created = staff_client.post(
        URL, {"name": "Kettles", "slug": "kettles", "parent": kitchen.pk}, format="json"
    )

    assert moved.status_code == created.status_code == 400
    assert "parent" in moved.json()["errors"]
    assert Category.objects.get(pk=books.pk).parent is None


def test_a_loop_in_the_data_is_repaired_by_moving_one_of_it_to_the_top(staff_client):
    kitchen, garden = loop_in_the_data()

    response = staff_client.patch(f"{URL}{kitchen.pk}/", {"parent": None}, format="json")

    assert response.status_code == 200
    assert Category.objects.parent_ids() == {kitchen.pk: None, garden.pk: kitchen.pk}


def test_a_category_still_in_use_is_not_deleted(staff_client):
    kitchen = CategoryFactory()
    ProductFactory(category=kitchen)
    CategoryFactory(parent=kitchen)

    response = staff_client.delete(f"{URL}{kitchen.pk}/")

    assert response.status_code == 409
    assert "still refer to it" in response.json()["detail"]
    assert Category.objects.filter(pk=kitchen.pk).exists()
