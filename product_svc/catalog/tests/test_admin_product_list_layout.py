"""The product list fits the windows catalog staff work in: every column, Reserved and
Active at the right included, shows inside a 1,280 px wide window beside the admin's
navigation and the filters, in a real browser (Debian's Chromium, driven by Playwright).
Django's admin lets a too-wide list scroll sideways inside its box, which hides columns
without a sign."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page

from catalog.tests.factories import CategoryFactory, ProductFactory
from shop_testing.browser import CHROMIUM, MISSING, chromium

pytestmark = pytest.mark.django_db(transaction=True)

# How far right each cell can be seen: the window, or a box around it that clips what
# sticks out (the list's own box scrolls sideways), whichever ends first.
VISIBLE_RIGHT_EDGES = """cells => cells.map(cell => {
    let right = document.documentElement.clientWidth;
    for (let box = cell.parentElement; box; box = box.parentElement) {
        if (getComputedStyle(box).overflowX !== "visible") {
            const inside = box.getBoundingClientRect().left + box.clientLeft + box.clientWidth;
            right = Math.min(right, inside);
        }
    }
    return [cell.getBoundingClientRect().right, right];
})"""


@pytest.fixture
def signed_in_session(django_user_model: type) -> str:
    """A superuser's admin session (passwords are user_svc's: the session is made without)."""
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("catalog", "catalog@example.com"))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def products_as_a_shop_has_them() -> None:
    """Names and category names of several words, long SKUs, big prices and stock."""
    outdoors = CategoryFactory(name="Sports & Outdoors")
    hiking = CategoryFactory(name="Sports & Outdoors, Camping and Hiking Equipment")
    kitchen = CategoryFactory(name="Home & Kitchen")
    for number, category in enumerate([outdoors, hiking, kitchen, outdoors, None]):
        ProductFactory(
            sku=f"OUT-{number:04d}-XL-BLACK",
            name=f"Trailblazer 65 l Trekking Backpack with Rain Cover, Black {number}",
            category=category,
            price="12499.90",
            stock=1_250_000,
        )


def product_list(browser: Browser, url: str, session: str, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])
    page = context.new_page()
    page.goto(f"{url}/admin/catalog/product/")
    return page


def hidden_cells(page: Page, column: str) -> list[tuple[float, float]]:
    """The column's header and cells that end beyond what can be seen: (where each ends,
    where sight ends), in CSS pixels."""
    edges = page.eval_on_selector_all(
        f"#result_list .column-{column}, #result_list .field-{column}", VISIBLE_RIGHT_EDGES
    )
    assert len(edges) == 6  # the header and one cell per product
    return [(right, visible) for right, visible in edges if right > visible + 0.5]


@pytest.mark.parametrize(
    ("width", "navigation"), [(1280, "shown"), (1440, "shown"), (1024, "collapsed")]
)
def test_the_product_list_shows_every_column_inside_the_window(
    live_server, signed_in_session, products_as_a_shop_has_them, width, navigation
):
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    # Playwright's sync API runs an event loop in this thread while the browser is open,
    # and Django refuses database calls beside one: the browser opens after the test's
    # rows are written and closes before they are flushed.
    with chromium() as browser:
        page = product_list(browser, live_server.url, signed_in_session, width)
        if navigation == "collapsed":  # the admin's own toggle, which it remembers
            page.click("#toggle-nav-sidebar")
        assert page.locator("#nav-sidebar").is_visible() == (navigation == "shown")
        assert page.locator("#changelist-filter").is_visible()

        for column in ("reserved", "is_active"):
            assert hidden_cells(page, column) == [], column
        stock = page.locator("#result_list .field-stock input").first
        assert stock.is_editable()
        assert stock.input_value() == "1250000"
