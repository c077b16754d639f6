"""`seed`: the demo staff account may work payments in this admin, with DEBUG on only."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from shop_testing.admin import admin_statuses, demo_staff_seeded_twice

pytestmark = pytest.mark.django_db


def test_seed_lets_the_demo_staff_work_payments_and_nothing_else(settings):
    settings.DEBUG = True

    staff = demo_staff_seeded_twice(username="staff@example.com")

    assert [group.name for group in staff.groups.all()] == ["Payment clerks"]
    assert admin_statuses(staff, ["/admin/payments/payment/", "/admin/auth/user/"]) == {
        "/admin/payments/payment/": 200,
        "/admin/auth/user/": 403,
    }
    assert staff.has_perm("payments.refund_payment")


def test_seed_grants_nothing_with_debug_off(settings):
    settings.DEBUG = False

    call_command("seed")

    assert not User.objects.exists()
