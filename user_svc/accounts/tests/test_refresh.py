"""POST /api/v1/auth/token/refresh/: rotation, revocation, and forged refresh tokens."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import issue_token_pair
from accounts.tests.factories import UserFactory
from shop_common.auth import verify_access_token
from shop_testing.tokens import make_access_token, sign_for_tests

URL = "/api/v1/auth/token/refresh/"

pytestmark = pytest.mark.django_db


def refresh_with(api, token):
    return api.post(URL, {"refresh": token}, format="json")


def refresh_claims(user_id: int) -> dict:
    now = int(time.time())
    return {
        "token_type": "refresh",
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_ISSUER,
        "iat": now,
        "exp": now + 3600,
        "jti": "forged-jti",
        "user_id": user_id,
    }


def test_a_refresh_gives_a_new_pair_for_the_same_user(api, user):
    pair = issue_token_pair(user)

    response = refresh_with(api, pair.refresh)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != pair.refresh
    assert verify_access_token(body["access"])["user_id"] == user.pk


def test_the_old_refresh_token_is_refused_once_it_rotated(api, user):
    pair = issue_token_pair(user)
    refresh_with(api, pair.refresh)

    response = refresh_with(api, pair.refresh)

    assert response.status_code == 401
    assert response.json() == {"detail": "Token has been revoked."}


def test_the_rotated_refresh_token_works_in_turn(api, user):
    first = refresh_with(api, issue_token_pair(user).refresh).json()["refresh"]

    assert refresh_with(api, first).status_code == 200


def test_the_new_access_token_reflects_a_change_of_staff_status(api, user):
    pair = issue_token_pair(user)
    user.is_staff = True
    user.save()

    access = refresh_with(api, pair.refresh).json()["access"]

    assert verify_access_token(access)["is_staff"] is True


def test_a_deactivated_user_can_no_longer_refresh(api, user):
    pair = issue_token_pair(user)
    user.is_active = False
    user.save()

    response = refresh_with(api, pair.refresh)

    assert response.status_code == 401
    assert response.json() == {"detail": "User not found or inactive."}


def test_a_deleted_user_can_no_longer_refresh(api, user):
    pair = issue_token_pair(user)
    user.delete()

    assert refresh_with(api, pair.refresh).status_code == 401


def test_an_access_token_cannot_be_used_as_a_refresh_token(api, user):
    pair = issue_token_pair(user)

    response = refresh_with(api, pair.access)

    assert response.status_code == 401
    assert response.json()["detail"] in {
        "Token is not meant for this audience.",
        "Wrong token type: expected 'refresh'.",
    }


def test_a_refresh_token_never_issued_here_is_refused_even_if_well_signed(api, user):
    response = refresh_with(api, sign_for_tests(refresh_claims(user.pk)))

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "Token has expired."),
        ({"aud": "shop-api"}, "Token is not meant for this audience."),
        ({"iss": "someone-else"}, "Token was not issued by this shop."),
        ({"user_id": "1"}, "Token lacks a valid 'user_id' claim."),
    ],
)
def test_a_refresh_token_with_a_bad_claim_is_refused(api, user, claims, detail):
    response = refresh_with(api, sign_for_tests(refresh_claims(user.pk) | claims))

    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_a_refresh_token_with_a_tampered_payload_is_refused(api, user):
    victim = UserFactory()
    header, _, signature = issue_token_pair(user).refresh.split(".")
    forged = sign_for_tests(refresh_claims(victim.pk)).split(".")[1]

    response = refresh_with(api, f"{header}.{forged}.{signature}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token signature is invalid."}


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 5000, 42, None, ["a"]])
def test_garbage_is_a_400_or_401_never_a_500(api, token):
    response = refresh_with(api, token)

    assert response.status_code in (400, 401)
    assert response.json()["detail"]


def test_a_missing_refresh_field_is_a_400(api):
    response = api.post(URL, {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"refresh": ["This field is required."]}


def test_a_stale_access_token_sent_along_does_not_stop_a_refresh(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_access_token(user.pk, exp=1)}")

    assert refresh_with(api, issue_token_pair(user).refresh).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_let_exactly_one_succeed():
    pair = issue_token_pair(UserFactory())
    rounds = 4
    barrier = threading.Barrier(rounds)
    statuses: list[int] = []

    def refresh() -> None:
        barrier.wait()
        try:
            statuses.append(refresh_with(APIClient(), pair.refresh).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(rounds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [401] * (rounds - 1)
