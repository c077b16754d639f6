from collections.abc import Iterator

import pytest
from django.core.cache import caches

from gateway.shared_cache import shared_cache
from shop_testing.fake_service import FakeService


@pytest.fixture(autouse=True)
def fresh_state(settings, tmp_path, monkeypatch) -> None:
    """Empty caches and a healthy shared cache for every test."""
    if "redis" not in settings.CACHES["catalog"]["BACKEND"].lower():
        settings.CACHES = {
            **settings.CACHES,
            "catalog": {**settings.CACHES["catalog"], "LOCATION": str(tmp_path / "catalog")},
        }
    for alias in ("default", "rate_limits", "catalog"):
        cache = caches[alias]
        # On Redis only this alias's keys go: the database may be shared.
        if hasattr(cache, "delete_pattern"):
            cache.delete_pattern("*")
        else:
            cache.clear()
    monkeypatch.setattr(shared_cache, "_down_since", None)
    monkeypatch.setattr(shared_cache, "_skip_until", 0.0)


@pytest.fixture
def services(monkeypatch) -> Iterator[dict[str, FakeService]]:
    """A fake for each routed service, found through `<NAME>_URL` as in production."""
    routed = ("user_svc", "product_svc", "order_svc", "payment_svc")
    fakes = {name: FakeService() for name in routed}
    for name, fake in fakes.items():
        monkeypatch.setenv(f"{name.upper()}_URL", fake.url)
    yield fakes
    for fake in fakes.values():
        fake.close()


@pytest.fixture
def products(services) -> FakeService:
    return services["product_svc"]
