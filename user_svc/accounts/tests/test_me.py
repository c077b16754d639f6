"""GET and PATCH /api/v1/users/me/, and every forged access token they refuse."""

import base64
import hashlib
import hmac
import json

import pytest
from django.conf import settings

from accounts.services import issue_token_pair
from accounts.tests.clients import client_for
from accounts.tests.factories import UserFactory
from shop_testing.tokens import make_access_token, make_service_token, sign_for_tests

URL = "/api/v1/users/me/"

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_me_shows_the_signed_in_users_profile(user, user_api):
    response = user_api.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": user.email,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "is_staff": False,
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
        "email_verified": False,
    }


def test_me_without_a_token_is_a_401_with_a_bearer_challenge(api):
    response = api.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_patching_me_changes_the_names_and_answers_the_profile(user, user_api):
    response = user_api.patch(URL, {"first_name": "Grace", "last_name": "Hopper"}, format="json")

    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Grace", "Hopper")
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Grace", "Hopper")


@pytest.mark.parametrize(
    "field",
    [
        {"is_staff": True},
        {"id": 999},
        {"date_joined": "2000-01-01T00:00:00Z"},
        {"email_verified": True},
    ],
)
def test_patching_a_read_only_field_is_a_400_and_changes_nothing(user, user_api, field):
    response = user_api.patch(URL, {"first_name": "Eve", **field}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {next(iter(field)): ["This field cannot be changed."]}
    user.refresh_from_db()
    assert (user.first_name, user.is_staff, user.email_verified) == ("Ada", False, False)


def test_patching_an_unknown_field_is_a_400(user_api):
    response = user_api.patch(URL, {"is_superuser": True}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"is_superuser": ["Unknown field."]}


def test_changing_the_email_needs_it_verified_again(user, user_api):
    user.email_verified = True
    user.save()

    response = user_api.patch(URL, {"email": "New@Example.com"}, format="json")

    assert response.status_code == 200
    assert response.json()["email"] == "New@example.com"
    assert response.json()["email_verified"] is False


def test_changing_only_the_letter_case_of_the_email_keeps_it_verified(user, user_api):
    user.email_verified = True
    user.save()

    response = user_api.patch(URL, {"email": user.email.upper()}, format="json")

    assert response.json()["email_verified"] is True


def test_changing_the_email_to_a_taken_one_in_another_case_is_a_400(user_api):
    UserFactory(email="taken@example.com")

    response = user_api.patch(URL, {"email": "TAKEN@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["A user with this email already exists."]}


@pytest.mark.parametrize(
    "body", [{"email": "nope"}, {"first_name": "x" * 151}, {"first_name": None}]
)
def test_an_invalid_profile_value_is_a_400_naming_the_field(user_api, body):
    response = user_api.patch(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(body)


def test_a_deactivated_or_deleted_user_is_signed_out_at_once(user):
    client = client_for(user)
    user.is_active = False
    user.save()

    assert client.get(URL).status_code == 401
    user.delete()
    assert client.get(URL).status_code == 401


def forged_tokens(user_id: int) -> dict[str, str]:
    """Every way to forge or misuse an access token that must end in 401."""
    good = claims_of(make_access_token(user_id))
    kid = next(iter(settings.JWT_PUBLIC_KEYS))
    hs256_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, good)
    mac = hmac.new(
        settings.JWT_PUBLIC_KEYS[kid].encode(), hs256_input.encode(), hashlib.sha256
    ).digest()
    header, _, signature = make_access_token(user_id).split(".")
    staff_payload = b64(json.dumps({**good, "is_staff": True}).encode())
    return {
        "alg none": unsigned({"alg": "none", "typ": "JWT", "kid": kid}, good) + ".",
        "HS256 with the public key": f"{hs256_input}.{b64(mac)}",
        "tampered payload": f"{header}.{staff_payload}.{signature}",
        "expired": make_access_token(user_id, iat=1_000_000_000, exp=1_000_000_300),
        "wrong audience": make_access_token(user_id, aud="another-shop"),
        "wrong issuer": make_access_token(user_id, iss="another-shop"),
        "refresh token": make_access_token(user_id, token_type="refresh"),
        "unknown kid": sign_for_tests(good, headers={"kid": "retired-key"}),
        "service token": make_service_token("order_svc"),
    }


@pytest.mark.parametrize(
    "attack",
    [
        "alg none",
        "HS256 with the public key",
        "tampered payload",
        "expired",
        "wrong audience",
        "wrong issuer",
        "refresh token",
        "unknown kid",
        "service token",
    ],
)
def test_a_forged_or_misused_access_token_is_a_401(api, user, attack):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged_tokens(user.pk)[attack]}")

    response = api.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"].startswith(("Token", "Wrong token type"))


def test_a_real_refresh_token_is_not_an_access_token(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user).refresh}")

    assert api.get(URL).status_code == 401
