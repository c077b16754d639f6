"""POST /api/v1/auth/register/"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

URL = "/api/v1/auth/register/"

pytestmark = pytest.mark.django_db


def test_registering_answers_201_with_the_new_profile(api):
    body = {"email": "ada@example.com", "password": PASSWORD, "first_name": "Ada"}

    response = api.post(URL, body, format="json")

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {
        "id": user.pk,
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "",
    }
    assert user.check_password(PASSWORD)
    assert not user.is_staff


def test_the_password_is_stored_hashed_and_never_returned(api):
    response = api.post(URL, {"email": "ada@example.com", "password": PASSWORD}, format="json")

    assert "password" not in response.json()
    assert User.objects.get().password != PASSWORD


def test_the_email_domain_is_stored_in_lower_case(api):
    api.post(URL, {"email": " Ada@EXAMPLE.com ", "password": PASSWORD}, format="json")

    assert User.objects.get().email == "Ada@example.com"


@pytest.mark.parametrize("taken", ["ADA@example.com", "ada@EXAMPLE.COM", "ada@example.com"])
def test_an_email_already_used_in_any_letter_case_is_a_400(api, taken):
    UserFactory(email="ada@example.com")

    response = api.post(URL, {"email": taken, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["A user with this email already exists."]}
    assert User.objects.count() == 1


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "", "a" * 250 + "@x.io"])
def test_an_invalid_email_is_a_400_naming_the_field(api, email):
    response = api.post(URL, {"email": email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "12345678901", "ada.lovelace@example.com", "x" * 1025],
)
def test_a_weak_or_absurd_password_is_a_400_naming_the_field(api, password):
    body = {"email": "ada.lovelace@example.com", "password": password, "first_name": "Ada"}

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["password"]
    assert response.json()["detail"].startswith("password: ")


@pytest.mark.parametrize(
    ("body", "missing"),
    [({"password": PASSWORD}, "email"), ({"email": "ada@example.com"}, "password"), ({}, "email")],
)
def test_a_missing_field_is_a_400_naming_it(api, body, missing):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][missing] == ["This field is required."]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"is_staff": True}, "Unknown field."),
        ({"is_superuser": True}, "Unknown field."),
        ({"id": 1}, "This field cannot be changed."),
    ],
)
def test_a_field_that_tries_to_set_more_is_a_400_and_creates_nobody(api, extra, message):
    body = {"email": "ada@example.com", "password": PASSWORD, **extra}

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {next(iter(extra)): [message]}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"a string"', "application/json"),
        ("null", "application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400_with_a_detail(api, content, content_type):
    response = api.generic("POST", URL, content, content_type=content_type)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_form_encoded_body_is_a_415(api):
    response = api.post(URL, {"email": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 415
    assert response.json()["detail"]


def test_a_get_is_a_json_405(api):
    response = api.get(URL)

    assert response.status_code == 405
    assert response.json()["detail"]


def test_a_stale_access_token_sent_along_does_not_stop_registration(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")

    response = api.post(URL, {"email": "ada@example.com", "password": PASSWORD}, format="json")

    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_threads_registering_one_email_at_once_make_one_user_and_one_400(api):
    barrier = threading.Barrier(2)
    statuses = []

    def register(email: str) -> None:
        barrier.wait()
        try:
            response = APIClient().post(URL, {"email": email, "password": PASSWORD}, format="json")
            statuses.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=register, args=(email,))
        for email in ("race@example.com", "RACE@example.com")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in statuses) == [201, 400]
    refused = next(body for status, body in statuses if status == 400)
    assert refused["errors"] == {"email": ["A user with this email already exists."]}
    assert User.objects.with_email("race@example.com").count() == 1
