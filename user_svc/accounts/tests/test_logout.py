"""POST /api/v1/auth/logout/"""

import pytest

from accounts.services import issue_token_pair
from accounts.tests.clients import client_for
from accounts.tests.factories import UserFactory

URL = "/api/v1/auth/logout/"
REFRESH_URL = "/api/v1/auth/token/refresh/"

pytestmark = pytest.mark.django_db


def test_logging_out_answers_204_and_the_refresh_token_is_refused_from_then_on(api, user, user_api):
    pair = issue_token_pair(user)

    response = user_api.post(URL, {"refresh": pair.refresh}, format="json")

    assert response.status_code == 204
    assert response.content == b""
    refused = api.post(REFRESH_URL, {"refresh": pair.refresh}, format="json")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Token has been revoked."}


def test_logging_out_leaves_the_users_other_sessions_alone(api, user, user_api):
    phone, laptop = issue_token_pair(user), issue_token_pair(user)

    user_api.post(URL, {"refresh": phone.refresh}, format="json")

    assert api.post(REFRESH_URL, {"refresh": laptop.refresh}, format="json").status_code == 200


def test_logging_out_twice_is_harmless(user, user_api):
    pair = issue_token_pair(user)
    user_api.post(URL, {"refresh": pair.refresh}, format="json")

    assert user_api.post(URL, {"refresh": pair.refresh}, format="json").status_code == 204


def test_logging_out_needs_a_signed_in_user(api, user):
    response = api.post(URL, {"refresh": issue_token_pair(user).refresh}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_one_can_log_out_someone_elses_refresh_token(api, user_api):
    victim_pair = issue_token_pair(UserFactory())

    response = user_api.post(URL, {"refresh": victim_pair.refresh}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "This refresh token belongs to another user."}
    assert api.post(REFRESH_URL, {"refresh": victim_pair.refresh}, format="json").status_code == 200


def test_an_access_token_in_place_of_the_refresh_token_is_a_401(user, user_api):
    response = user_api.post(URL, {"refresh": issue_token_pair(user).access}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize(("body", "field"), [({}, "refresh"), ({"refresh": ""}, "refresh")])
def test_a_missing_refresh_token_is_a_400(user_api, body, field):
    response = user_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_deactivated_user_can_still_revoke_their_refresh_token():
    user = UserFactory()
    pair = issue_token_pair(user)
    client = client_for(user)
    user.is_active = False
    user.save()

    assert client.post(URL, {"refresh": pair.refresh}, format="json").status_code == 204
