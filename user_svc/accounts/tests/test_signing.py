"""The key user_svc signs with, found among the published public keys, and the JWKS."""

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from accounts.signing import jwks, signing_key
from shop_common.jwt_keys import load_private_key, new_private_pem, public_pem


def new_public_key() -> rsa.RSAPublicKey:
    return load_private_key(new_private_pem()).public_key()


def test_the_signing_kid_is_looked_up_among_the_public_keys(monkeypatch, tmp_path):
    signer_pem = new_private_pem()
    signer = load_private_key(signer_pem)
    monkeypatch.setenv("JWT_PRIVATE_KEY", signer_pem)
    public_keys = {
        "old": public_pem(new_public_key()),
        "new": public_pem(signer.public_key()),
    }

    kid, key = signing_key(key_dir=tmp_path, debug=False, public_keys=public_keys)

    assert kid == "new"
    assert key.private_numbers() == signer.private_numbers()


def test_a_private_key_whose_public_half_is_not_published_stops_the_process(monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_PRIVATE_KEY", new_private_pem())
    public_keys = {"other": public_pem(new_public_key())}

    with pytest.raises(ImproperlyConfigured, match="not among JWT_PUBLIC_KEYS"):
        signing_key(key_dir=tmp_path, debug=False, public_keys=public_keys)


def test_jwks_lists_every_verifying_key_with_its_kid():
    one, two = new_public_key(), new_public_key()

    keys = jwks({"a": public_pem(one), "b": public_pem(two)})["keys"]

    assert [key["kid"] for key in keys] == ["a", "b"]
    assert all(key["kty"] == "RSA" and key["alg"] == "RS256" for key in keys)
    assert all(key["use"] == "sig" and key["e"] == "AQAB" and key["n"] for key in keys)
