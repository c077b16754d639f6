"""API clients signed in with a token: a given user's, minted the way a login mints it."""

from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import mint_access_token


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def client_for(user: User) -> APIClient:
    return bearer_client(mint_access_token(user).token)
