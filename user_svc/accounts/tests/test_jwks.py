"""GET /api/v1/auth/jwks/"""

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import override_settings

from accounts.services import issue_token_pair
from shop_common.jwt_keys import public_pem

URL = "/api/v1/auth/jwks/"


def test_the_jwks_lists_the_signing_key_under_its_kid(api):
    response = api.get(URL)

    assert response.status_code == 200
    keys = response.json()["keys"]
    assert [key["kid"] for key in keys] == list(settings.JWT_PUBLIC_KEYS)
    assert settings.JWT_SIGNING_KID in [key["kid"] for key in keys]
    assert all(key["alg"] == "RS256" and key["use"] == "sig" for key in keys)
    assert "d" not in keys[0]  # the private exponent never leaves
    assert "max-age" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_token_verifies_with_the_published_key_alone(api, user):
    access = issue_token_pair(user).access
    keys = {key["kid"]: key for key in api.get(URL).json()["keys"]}

    public_key = jwt.PyJWK(keys[jwt.get_unverified_header(access)["kid"]]).key
    claims = jwt.decode(access, public_key, algorithms=["RS256"], audience=settings.JWT_AUDIENCE)

    assert claims["user_id"] == user.pk


def test_during_a_key_rotation_every_trusted_key_is_published(api):
    next_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    both = {**settings.JWT_PUBLIC_KEYS, "next": public_pem(next_key)}

    with override_settings(JWT_PUBLIC_KEYS=both):
        kids = [key["kid"] for key in api.get(URL).json()["keys"]]

    assert kids == [*settings.JWT_PUBLIC_KEYS, "next"]
