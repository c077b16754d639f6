"""The `seed` command: demo accounts for local use, printed, idempotent."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.management.commands.seed import DEMO_ACCOUNTS
from accounts.models import User
from shop_testing.admin import admin_statuses, demo_staff_seeded_twice

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed", stdout=out)
    return out.getvalue()


def test_seed_creates_a_demo_customer_and_a_demo_staff_member_and_prints_them(settings):
    settings.DEBUG = True

    output = seed()

    for account in DEMO_ACCOUNTS:
        user = User.objects.get(email=account["email"])
        assert user.check_password(account["password"])
        assert user.is_staff is account["is_staff"]
        assert f"{account['email']} / {account['password']}" in output
    assert "local use only" in output


def test_the_demo_staff_member_manages_accounts_through_a_group_not_as_superuser(settings):
    settings.DEBUG = True

    staff = demo_staff_seeded_twice(email="staff@example.com")

    assert not staff.is_superuser
    assert staff.groups.get().name == "Account managers"
    assert admin_statuses(staff, ["/admin/accounts/user/", "/admin/auth/group/"]) == {
        "/admin/accounts/user/": 200,
        "/admin/auth/group/": 403,
    }


def test_seeding_twice_creates_nothing_new_and_restores_the_passwords(settings):
    settings.DEBUG = True
    seed()
    customer = User.objects.get(email=DEMO_ACCOUNTS[0]["email"])
    customer.set_password("changed-by-someone-9")
    customer.save()

    output = seed()

    assert User.objects.count() == len(DEMO_ACCOUNTS)
    customer.refresh_from_db()
    assert customer.check_password(DEMO_ACCOUNTS[0]["password"])
    assert "already there" in output


def test_seed_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not User.objects.exists()
