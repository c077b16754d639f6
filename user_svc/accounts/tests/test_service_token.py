"""POST /internal/v1/service-token/, and ServiceCredential against a running user_svc."""

import pytest
from django.conf import settings

from accounts.services import issue_token_pair
from shop_common.auth import InvalidToken, verify_access_token, verify_service_token
from shop_common.service_credentials import ServiceCredential

URL = "/internal/v1/service-token/"


@pytest.fixture
def order_svc_secret(settings) -> str:
    settings.SERVICE_CLIENT_SECRETS = {"order_svc": "s" * 40}
    return "s" * 40


def ask(api, client_id, secret):
    return api.post(URL, {"client_id": client_id, "client_secret": secret}, format="json")


def test_a_known_client_gets_a_short_lived_service_token(api, order_svc_secret):
    response = ask(api, "order_svc", order_svc_secret)

    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == settings.JWT_SERVICE_TOKEN_LIFETIME.total_seconds()
    claims = verify_service_token(body["access"])
    assert claims["sub"] == "order_svc"
    assert claims["aud"] == settings.JWT_SERVICE_AUDIENCE


def test_the_token_grants_only_the_scopes_of_the_clients_table(api, order_svc_secret):
    claims = verify_service_token(ask(api, "order_svc", order_svc_secret).json()["access"])

    assert set(claims["scope"].split()) == {"inventory.reservations", "accounts.staff-directory"}


def test_a_service_token_is_never_an_access_token(api, order_svc_secret):
    access = ask(api, "order_svc", order_svc_secret).json()["access"]

    with pytest.raises(InvalidToken):
        verify_access_token(access)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api.get("/api/v1/users/me/").status_code == 401


@pytest.mark.django_db
def test_a_customers_token_is_never_a_service_token(api, user):
    with pytest.raises(InvalidToken):
        verify_service_token(issue_token_pair(user).access)


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [("order_svc", "wrong" * 10), ("order_svc", ""), ("nobody", "s" * 40), ("", "s" * 40)],
)
def test_a_wrong_secret_or_unknown_client_gets_no_token(api, order_svc_secret, client_id, secret):
    response = ask(api, client_id, secret)

    assert response.status_code in (400, 401)
    assert "access" not in response.json()
    assert response.json()["detail"]


def test_an_unknown_client_and_a_wrong_secret_get_the_same_401(api, order_svc_secret):
    unknown, wrong = ask(api, "nobody", order_svc_secret), ask(api, "order_svc", "x" * 40)

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == {"detail": "Unknown client or wrong secret."}


@pytest.mark.parametrize("body", [{}, {"client_id": "order_svc"}, {"client_secret": "x"}])
def test_a_missing_field_is_a_400(api, body):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_a_service_credential_obtains_and_reuses_a_token_from_a_running_user_svc(
    live_server, monkeypatch, order_svc_secret
):
    monkeypatch.setenv("USER_SVC_URL", live_server.url)
    credential = ServiceCredential("order_svc", client_secret=order_svc_secret)

    headers = credential.headers()

    token = headers["Authorization"].removeprefix("Bearer ")
    assert verify_service_token(token)["sub"] == "order_svc"
    assert credential.headers() == headers
