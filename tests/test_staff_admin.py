"""Staff sign in to the services' admins through their real login pages, in a browser."""

import uuid

import pytest

PASSWORD = "staff-test-pw-2026"


@pytest.fixture
def staff_email(system):
    email = f"staff-{uuid.uuid4().hex[:8]}@example.com"
    created = system.manage(
        "user_svc",
        "createsuperuser",
        "--noinput",
        "--email",
        email,
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    assert created.returncode == 0, created.stderr
    return email


def sign_in(page, admin_url, email, password=PASSWORD):
    page.goto(f"{admin_url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")


def test_staff_sign_in_to_user_svc_admin_through_its_login_page(system, page, staff_email):
    sign_in(page, system.url("user_svc"), staff_email)

    assert page.url.endswith("/admin/")
    assert page.locator("#user-tools").inner_text().upper().startswith("WELCOME")
