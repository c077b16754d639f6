"""One staff identity for every admin: user_svc's staff sign in to each service's admin
through its real login page, in a real browser, with their user_svc email and password;
each service's groups decide what they see there."""

import uuid

import pytest

from shop_testing.shop import PASSWORD, new_superuser

DEMO_STAFF = ("staff@example.com", "demo-staff-pw-2026")


@pytest.fixture(scope="module")
def demo_staff(system):
    """What `make run` does before serving: every service's `seed`."""
    for name in ("user_svc", "product_svc", "order_svc", "payment_svc"):
        seeded = system.manage(name, "seed")
        assert seeded.returncode == 0, seeded.stderr
    return DEMO_STAFF


@pytest.fixture
def staff_email(system):
    return new_superuser(system)


def sign_in(page, service_url, email, password=PASSWORD):
    page.goto(f"{service_url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    # Wait for the answer page to load: reading it earlier sees a half-parsed document.
    with page.expect_navigation():
        page.click("input[type=submit]")


def links(page):
    return {link.get_attribute("href") for link in page.locator("#content-main a").all()}


def test_staff_sign_in_to_user_svc_admin_through_its_login_page(system, page, staff_email):
    sign_in(page, system.url("user_svc"), staff_email)

    assert page.url.endswith("/admin/")
    assert page.locator("#user-tools").inner_text().upper().startswith("WELCOME")


def test_the_demo_staff_opens_every_admin_and_sees_what_its_groups_allow(system, page, demo_staff):
    products, orders = system.url("product_svc"), system.url("order_svc")
    payments = system.url("payment_svc")
    sign_in(page, products, *demo_staff)
    sign_in(page, orders, *demo_staff)
    sign_in(page, payments, *demo_staff)

    # Signing in to one admin keeps the other's session: sessions stay per service.
    page.goto(f"{products}/admin/")
    catalog_links = links(page)
    page.goto(f"{orders}/admin/")
    order_links = links(page)
    page.goto(f"{payments}/admin/")
    payment_links = links(page)
    assert "/admin/catalog/product/" in catalog_links
    assert "/admin/orders/order/" in order_links
    assert "/admin/payments/payment/" in payment_links
    # A catalog editor is no order clerk, and neither manages the admin's own accounts.
    assert not any(link.startswith("/admin/auth/") for link in catalog_links | order_links)
    assert page.goto(f"{products}/admin/auth/user/").status == 403
    assert page.goto(f"{products}/admin/catalog/product/").status == 200


def test_a_catalog_editor_opens_the_catalog_but_no_order_or_payment(system, page, demo_staff):
    email = f"editor-{uuid.uuid4().hex[:8]}@example.com"
    made = system.manage(
        "user_svc",
        "shell",
        "-c",
        "from accounts.models import User; "
        f"User.objects.create_user(email={email!r}, password={PASSWORD!r}, is_staff=True)",
    )
    assert made.returncode == 0, made.stderr
    granted = system.manage(
        "product_svc",
        "shell",
        "-c",
        "from django.contrib.auth.models import Group; "
        "from shop_common.staff.groups import grant_groups; "
        f"grant_groups(email={email!r}, groups=[Group.objects.get(name='Catalog editors')])",
    )
    assert granted.returncode == 0, granted.stderr
    products, orders = system.url("product_svc"), system.url("order_svc")
    payments = system.url("payment_svc")

    sign_in(page, products, email)
    assert "/admin/catalog/product/" in links(page)
    assert page.goto(f"{products}/admin/catalog/product/add/").status == 200
    # Staff, so every admin lets them in; no group there, so they may do nothing.
    sign_in(page, orders, email)
    assert page.url == f"{orders}/admin/"
    assert "have permission to view or edit anything" in page.content()
    assert page.goto(f"{orders}/admin/orders/order/").status == 403
    sign_in(page, payments, email)
    assert page.goto(f"{payments}/admin/payments/payment/").status == 403


def test_a_wrong_password_is_refused_by_the_admin_login_page(system, page, demo_staff):
    sign_in(page, system.url("product_svc"), demo_staff[0], "not-the-password")

    assert "/admin/login/" in page.url
    assert "email and password of an active staff account" in page.content()


def test_a_deactivated_account_is_signed_out_told_why_and_refused(system, browser, staff_email):
    deactivate = (
        "from accounts.models import User; "
        f"User.objects.filter(email={staff_email!r}).update(is_active=False)"
    )
    admin = f"{system.url('order_svc')}/admin/"
    system.stop("order_svc")
    system.start("order_svc", STAFF_RECHECK_SECONDS="0")
    try:
        signed_in = browser.new_page()
        sign_in(signed_in, system.url("order_svc"), staff_email)
        assert signed_in.url == admin

        assert system.manage("user_svc", "shell", "-c", deactivate).returncode == 0
        signed_in.goto(admin)
        again = browser.new_page()
        sign_in(again, system.url("order_svc"), staff_email)

        assert "/admin/login/" in signed_in.url
        withdrawn = signed_in.locator(".messagelist", has_text="Your staff access was withdrawn")
        assert withdrawn.is_visible()
        assert "/admin/login/" in again.url
        assert not again.locator(".messagelist").is_visible()
        assert "email and password of an active staff account" in again.content()
    finally:
        system.stop("order_svc")
        system.start("order_svc")
