"""Verifying tokens: what passes, and every way a forged or stale token is refused."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from shop_common.auth import InvalidToken, verify_access_token, verify_service_token
from shop_testing.tokens import make_access_token, make_service_token, sign_for_tests


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(header: dict, claims: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def valid_claims() -> dict:
    return jwt.decode(make_access_token(7), options={"verify_signature": False})


def current_kid() -> str:
    return next(iter(settings.JWT_PUBLIC_KEYS))


def test_a_valid_access_token_gives_its_claims():
    claims = verify_access_token(make_access_token(7, is_staff=True))

    assert claims["user_id"] == 7
    assert claims["is_staff"] is True
    assert claims["token_type"] == "access"
    assert {"exp", "iat", "jti", "iss", "aud"} <= claims.keys()


def test_a_valid_service_token_names_its_service():
    assert verify_service_token(make_service_token("order_svc"))["sub"] == "order_svc"


def test_a_service_token_whose_scope_is_not_a_string_is_refused():
    claims = jwt.decode(make_service_token("order_svc"), options={"verify_signature": False})

    with pytest.raises(InvalidToken, match="'scope'"):
        verify_service_token(sign_for_tests({**claims, "scope": ["inventory.reservations"]}))


def test_alg_none_is_refused():
    unsigned = segments({"alg": "none", "typ": "JWT", "kid": current_kid()}, valid_claims())

    with pytest.raises(InvalidToken, match="RS256"):
        verify_access_token(unsigned + ".")


def test_hs256_signed_with_the_public_key_as_secret_is_refused():
    kid = current_kid()
    signing_input = segments({"alg": "HS256", "typ": "JWT", "kid": kid}, valid_claims())
    secret = settings.JWT_PUBLIC_KEYS[kid].encode()
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()

    with pytest.raises(InvalidToken, match="RS256"):
        verify_access_token(f"{signing_input}.{b64(mac)}")


def test_a_tampered_payload_is_refused():
    header, _, signature = make_access_token(7).split(".")
    forged = {**valid_claims(), "user_id": 1, "is_staff": True}
    payload = b64(json.dumps(forged).encode())

    with pytest.raises(InvalidToken, match="signature"):
        verify_access_token(f"{header}.{payload}.{signature}")


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused():
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = sign_for_tests(valid_claims(), private_key=stranger)

    with pytest.raises(InvalidToken, match="signature"):
        verify_access_token(token)


def test_an_unknown_kid_is_refused():
    with pytest.raises(InvalidToken, match="unknown key"):
        verify_access_token(sign_for_tests(valid_claims(), headers={"kid": "retired"}))


def test_an_expired_token_is_refused():
    past = int(time.time()) - 3600

    with pytest.raises(InvalidToken, match="expired"):
        verify_access_token(make_access_token(7, iat=past - 300, exp=past))


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "evil-issuer"}, "issued"),
        ({"token_type": "refresh"}, "expected 'access'"),
        ({"user_id": "7"}, "user_id"),
        ({"is_staff": "yes"}, "is_staff"),
    ],
)
def test_a_token_with_a_wrong_claim_is_refused(claims, reason):
    with pytest.raises(InvalidToken, match=reason):
        verify_access_token(sign_for_tests({**valid_claims(), **claims}))


@pytest.mark.parametrize("claim", ["exp", "iat", "jti", "iss", "aud", "token_type"])
def test_a_token_without_a_required_claim_is_refused(claim):
    claims = valid_claims()
    del claims[claim]

    with pytest.raises(InvalidToken, match=claim):
        verify_access_token(sign_for_tests(claims))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 5000])
def test_garbage_is_refused_as_malformed(garbage):
    with pytest.raises(InvalidToken):
        verify_access_token(garbage)


def test_a_service_token_never_passes_as_an_access_token():
    with pytest.raises(InvalidToken):
        verify_access_token(make_service_token("order_svc"))


def test_an_access_token_never_passes_as_a_service_token():
    with pytest.raises(InvalidToken):
        verify_service_token(make_access_token(7, sub="order_svc"))


def test_an_access_token_relabelled_as_service_still_has_the_wrong_audience():
    with pytest.raises(InvalidToken, match="audience"):
        verify_service_token(make_access_token(7, token_type="service", sub="order_svc"))


def test_a_token_is_checked_with_rsa_once_for_its_life(monkeypatch):
    decoded = []
    decode = jwt.decode
    monkeypatch.setattr(
        jwt, "decode", lambda *args, **kwargs: decoded.append(1) or decode(*args, **kwargs)
    )
    token = make_access_token(7)

    claims = [verify_access_token(token) for _ in range(3)]

    assert len(decoded) == 1
    assert claims[0] == claims[2]
    assert claims[0] is not claims[2]  # a copy: a caller's change stays its own


def test_a_kept_token_is_refused_once_it_expires(monkeypatch):
    token = make_access_token(7, exp=int(time.time()) + 60)
    verify_access_token(token)
    later = time.time() + 60 + settings.JWT_LEEWAY_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)

    with pytest.raises(InvalidToken, match="expired"):
        verify_access_token(token)


def test_a_kept_token_is_refused_once_its_key_is_withdrawn(settings):
    token = make_access_token(7)
    verify_access_token(token)
    settings.JWT_PUBLIC_KEYS = {"next": "-----BEGIN PUBLIC KEY-----"}

    with pytest.raises(InvalidToken, match="unknown key"):
        verify_access_token(token)


def test_a_kept_token_passes_only_where_it_passed(settings):
    token = make_access_token(7)
    verify_access_token(token)

    with pytest.raises(InvalidToken, match="audience"):
        verify_service_token(token)
    settings.JWT_ISSUER = "another-shop"
    with pytest.raises(InvalidToken, match="issued"):
        verify_access_token(token)
