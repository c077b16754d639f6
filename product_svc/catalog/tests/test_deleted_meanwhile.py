"""A staff change racing a delete of the same product or category: the view has read the
row, the delete commits, then the change is saved. The answer is the 404 the change would
have got a moment later, never a 500."""

import pytest

from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.views import CatalogViewSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleted_after_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if a DELETE committed between the view reading the row and saving the change."""
    read = CatalogViewSet.get_object

    def read_then_lose(view: CatalogViewSet):
        instance = read(view)
        type(instance).objects.filter(pk=instance.pk).delete()
        return instance

    monkeypatch.setattr(CatalogViewSet, "get_object", read_then_lose)


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize(
    ("url", "factory", "change"),
    [
        ("/api/v1/products/", ProductFactory, {"sku": "KET-1", "name": "Kettle", "price": "9.50"}),
        ("/api/v1/categories/", CategoryFactory, {"name": "Kettles", "slug": "kettles"}),
    ],
)
def test_a_change_to_what_was_deleted_meanwhile_is_a_json_404(
    staff_client, deleted_after_reading, method, url, factory, change
):
    item = factory()

    response = getattr(staff_client, method)(f"{url}{item.pk}/", change, format="json")

    assert response.status_code == 404
    assert "deleted" in response.json()["detail"]
    assert not type(item).objects.filter(pk=item.pk).exists()
