import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seed_lets_the_demo_staff_work_orders_and_nothing_else(settings, client):
    settings.DEBUG = True
    call_command("seed")
    call_command("seed")

    staff = User.objects.get(username="staff@example.com")
    assert [group.name for group in staff.groups.all()] == ["Order clerks"]
    client.force_login(staff)
    assert client.get("/admin/orders/order/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403


def test_seed_grants_nothing_with_debug_off(settings):
    settings.DEBUG = False

    call_command("seed")

    assert not User.objects.exists()
