"""POST /api/v1/auth/token/"""

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.tests.factories import PASSWORD, UserFactory
from shop_common.auth import verify_access_token

URL = "/api/v1/auth/token/"
WRONG = {"detail": "No active account found with the given credentials."}

pytestmark = pytest.mark.django_db


def log_in(api, email, password=PASSWORD):
    return api.post(URL, {"email": email, "password": password}, format="json")


def test_the_right_password_gives_an_access_and_a_refresh_token(api, user):
    response = log_in(api, user.email)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_the_access_token_carries_every_contract_claim_and_lives_minutes(api):
    staff = UserFactory(is_staff=True)

    access = log_in(api, staff.email).json()["access"]

    claims = verify_access_token(access)
    assert claims["user_id"] == staff.pk
    assert claims["is_staff"] is True
    assert claims["token_type"] == "access"
    assert claims["iss"] == settings.JWT_ISSUER
    assert claims["aud"] == settings.JWT_AUDIENCE
    assert claims["jti"]
    assert 60 <= claims["exp"] - claims["iat"] <= 15 * 60
    header = jwt.get_unverified_header(access)
    assert header["alg"] == "RS256"
    assert header["kid"] in settings.JWT_PUBLIC_KEYS


def test_the_refresh_token_is_recorded_but_not_stored(api, user):
    refresh = log_in(api, user.email).json()["refresh"]

    claims = jwt.decode(refresh, options={"verify_signature": False})
    outstanding = OutstandingToken.objects.get(jti=claims["jti"])
    assert outstanding.user == user
    assert outstanding.token == ""
    assert claims["exp"] - claims["iat"] >= 24 * 3600


def test_the_email_matches_in_any_letter_case(api):
    UserFactory(email="ada@example.com")

    assert log_in(api, "ADA@Example.COM").status_code == 200


def test_signing_in_records_the_last_login(api, user):
    log_in(api, user.email)

    user.refresh_from_db()
    assert user.last_login is not None


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(api, user):
    wrong_password = log_in(api, user.email, "not-the-password")
    unknown_email = log_in(api, "nobody@example.com")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json() == WRONG


def test_a_deactivated_user_cannot_sign_in(api):
    inactive = UserFactory(is_active=False)

    response = log_in(api, inactive.email)

    assert response.status_code == 401
    assert response.json() == WRONG


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "ada@example.com"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": None}, "password"),
        ({"email": "ada@example.com", "password": PASSWORD, "is_staff": True}, "is_staff"),
    ],
)
def test_a_malformed_login_is_a_400_naming_the_field(api, body, field):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_malformed_json_is_a_400(api):
    response = api.generic("POST", URL, '{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_a_stale_access_token_sent_along_does_not_stop_a_login(api, user):
    api.credentials(HTTP_AUTHORIZATION="Bearer stale.token.here")

    assert log_in(api, user.email).status_code == 200
