"""POST /api/v1/users/me/password/"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.services import issue_token_pair
from accounts.tests.clients import client_for
from accounts.tests.factories import PASSWORD, UserFactory

URL = "/api/v1/users/me/password/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
NEW = "brand-New-pass-77"

pytestmark = pytest.mark.django_db


def change(client, old, new=NEW):
    return client.post(URL, {"old_password": old, "new_password": new}, format="json")


def test_a_password_change_answers_204_and_the_new_password_works(api, user, user_api):
    response = change(user_api, PASSWORD)

    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW)
    login = {"email": user.email, "password": PASSWORD}
    assert api.post("/api/v1/auth/token/", login, format="json").status_code == 401
    login["password"] = NEW
    assert api.post("/api/v1/auth/token/", login, format="json").status_code == 200


def test_a_password_change_revokes_every_refresh_token_the_user_holds(api, user, user_api):
    sessions = [issue_token_pair(user) for _ in range(3)]

    change(user_api, PASSWORD)

    for pair in sessions:
        response = api.post(REFRESH_URL, {"refresh": pair.refresh}, format="json")
        assert response.status_code == 401


def test_a_wrong_old_password_is_a_400_and_changes_nothing(user, user_api):
    response = change(user_api, "not-my-password")

    assert response.status_code == 400
    assert response.json()["errors"] == {"old_password": ["The old password is wrong."]}
    user.refresh_from_db()
    assert not user.check_password(NEW)


@pytest.mark.parametrize("weak", ["short", "password", "1234567890", "ada.lovelace.x"])
def test_a_weak_new_password_is_a_400_naming_the_field(user_api, user, weak):
    user.email = "ada.lovelace.x@example.com"
    user.save()

    response = change(user_api, PASSWORD, weak)

    assert response.status_code == 400
    assert response.json()["errors"]["new_password"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_password": NEW}, "old_password"),
        ({"old_password": "x"}, "new_password"),
        ({"old_password": "x", "new_password": NEW, "is_staff": True}, "is_staff"),
    ],
)
def test_a_missing_or_unknown_field_is_a_400(user_api, body, field):
    response = user_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_changing_the_password_needs_a_signed_in_user(api):
    response = change(api, "whatever")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db(transaction=True)
def test_a_refresh_racing_a_password_change_leaves_no_usable_refresh_token():
    user = UserFactory()
    pair = issue_token_pair(user)
    barrier = threading.Barrier(2)

    def refresh() -> None:
        barrier.wait()
        try:
            APIClient().post(REFRESH_URL, {"refresh": pair.refresh}, format="json")
        finally:
            connection.close()

    def change_password() -> None:
        barrier.wait()
        try:
            change(client_for(user), PASSWORD)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh), threading.Thread(target=change_password)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    assert not live.exists()
