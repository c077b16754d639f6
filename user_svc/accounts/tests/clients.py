"""API clients signed in as a given user, with a token minted the way a login mints it."""

from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import mint_access_token


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_access_token(user).token}")
    return client
