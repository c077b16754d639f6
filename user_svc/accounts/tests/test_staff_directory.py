"""/internal/v1/staff/: other services' admins check staff passwords and status here,
with a service token, under the same failed-login limits as the API's login."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.clients import bearer_client
from accounts.tests.factories import PASSWORD, UserFactory
from shop_common.scopes import ServiceScope
from shop_testing.tokens import make_access_token, make_service_token

SIGN_IN = "/internal/v1/staff/sign-in/"
ADDRESS = "198.51.100.7"

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_svc() -> APIClient:
    return bearer_client(make_service_token("product_svc", ServiceScope.STAFF_DIRECTORY))


def sign_in(client, email, password=PASSWORD):
    body = {"email": email, "password": password}
    return client.post(SIGN_IN, body, format="json", headers={"X-Forwarded-For": ADDRESS})


def test_a_staff_member_signs_in_and_the_admin_learns_who_and_what_they_are(product_svc):
    staff = UserFactory(email="clerk@example.com", is_staff=True)

    response = sign_in(product_svc, "CLERK@example.com")

    assert response.status_code == 200
    assert response.json() == {
        "id": staff.pk,
        "email": "clerk@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "is_active": True,
        "is_staff": True,
        "is_superuser": False,
    }
    staff.refresh_from_db()
    assert staff.last_login is not None


@pytest.mark.parametrize(
    ("account", "password", "status"),
    [
        ({"is_staff": True}, "wrong-password", 401),
        ({"is_staff": True, "is_active": False}, PASSWORD, 401),
        ({"is_staff": False}, PASSWORD, 403),
    ],
    ids=["wrong password", "deactivated", "customer"],
)
def test_only_an_active_staff_account_with_its_password_signs_in(
    product_svc, account, password, status
):
    UserFactory(email="someone@example.com", **account)

    response = sign_in(product_svc, "someone@example.com", password)

    assert response.status_code == status
    assert "detail" in response.json()


def test_failed_admin_sign_ins_count_against_the_api_login_limit(settings, product_svc):
    settings.RATE_LIMIT_LOGIN = "3/h"
    UserFactory(email="clerk@example.com", is_staff=True)
    for _ in range(3):
        assert sign_in(product_svc, "clerk@example.com", "wrong-password").status_code == 401

    api_login = APIClient().post(
        "/api/v1/auth/token/",
        {"email": "clerk@example.com", "password": PASSWORD},
        format="json",
        headers={"X-Forwarded-For": ADDRESS},
    )
    admin_sign_in = sign_in(product_svc, "clerk@example.com")

    assert api_login.status_code == 429
    assert admin_sign_in.status_code == 429
    assert int(admin_sign_in.headers["Retry-After"]) > 0


def test_the_admin_re_checks_an_account_as_it_is_now(product_svc):
    staff = UserFactory(is_staff=True, is_superuser=True)
    staff.is_active = False
    staff.save()

    response = product_svc.get(f"/internal/v1/staff/{staff.pk}/")

    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["is_superuser"]) == (False, True)
    assert product_svc.get("/internal/v1/staff/999999/").status_code == 404


@pytest.mark.parametrize(
    "token",
    [
        make_service_token("order_svc", ServiceScope.RESERVATIONS),
        make_access_token(1, is_staff=True),
        None,
    ],
    ids=["a service token without the scope", "a staff member's access token", "no token"],
)
def test_only_services_whose_token_grants_the_staff_directory_may_ask(token):
    UserFactory(email="clerk@example.com", is_staff=True)
    client = bearer_client(token) if token else APIClient()

    answers = [sign_in(client, "clerk@example.com"), client.get("/internal/v1/staff/1/")]

    assert {answer.status_code for answer in answers} <= {401, 403}
    assert all("detail" in answer.json() for answer in answers)
