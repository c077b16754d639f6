"""The Django admin for users."""

import pytest

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, email="boss@example.com"))
    return client


def test_failed_admin_sign_ins_count_against_the_api_login_limit(client, settings):
    settings.RATE_LIMIT_LOGIN = "3/h"
    UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    for _ in range(3):
        client.post("/admin/login/", {"username": "boss@example.com", "password": "wrong"})

    admin_sign_in = client.post(
        "/admin/login/", {"username": "boss@example.com", "password": PASSWORD}
    )
    api_login = client.post(
        "/api/v1/auth/token/",
        {"email": "boss@example.com", "password": PASSWORD},
        content_type="application/json",
    )

    assert admin_sign_in.status_code == 200
    assert "Too many failed attempts" in admin_sign_in.content.decode()
    assert api_login.status_code == 429


def test_staff_sign_in_to_the_admin_with_their_email_in_any_case(client):
    UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "BOSS@example.com", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_user_list_is_searchable_by_email(admin_client):
    UserFactory(email="findme@example.com")
    UserFactory(email="other@example.com")

    response = admin_client.get(CHANGELIST, {"q": "findme"})

    assert response.status_code == 200
    assert b"findme@example.com" in response.content
    assert b"other@example.com" not in response.content


def test_the_user_list_filters_by_staff_and_active(admin_client):
    UserFactory(email="customer@example.com")
    UserFactory(email="gone@example.com", is_active=False)

    staff_only = admin_client.get(CHANGELIST, {"is_staff__exact": "1"})
    inactive = admin_client.get(CHANGELIST, {"is_active__exact": "0"})

    assert b"customer@example.com" not in staff_only.content
    assert b"boss@example.com" in staff_only.content
    assert b"gone@example.com" in inactive.content
    assert b"customer@example.com" not in inactive.content


def test_staff_add_a_user_with_email_and_password(admin_client):
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").check_password(PASSWORD)


def test_the_admin_refuses_an_email_taken_in_another_letter_case(admin_client):
    UserFactory(email="taken@example.com")

    response = admin_client.post(
        f"{CHANGELIST}add/",
        {"email": "TAKEN@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 200
    assert b"A user with this email already exists." in response.content
    assert User.objects.count() == 2


def test_a_user_page_opens(admin_client):
    user = UserFactory()

    assert admin_client.get(f"{CHANGELIST}{user.pk}/change/").status_code == 200
