"""Key management: local generation, the production environment format, rotation."""

import json
import subprocess
import sys

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from shop_common.auth import InvalidToken, verify_access_token
from shop_common.jwt_keys import (
    key_id,
    load_private_key,
    private_key_pem,
    public_keys_setting,
    public_pem,
)
from shop_testing.tokens import make_access_token, sign_for_tests

GENERATE = (
    "import sys, pathlib; from shop_common.jwt_keys import private_key_pem; "
    "print(private_key_pem(key_dir=pathlib.Path(sys.argv[1]), debug=True))"
)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def no_key_env(monkeypatch):
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("JWT_PUBLIC_KEYS", raising=False)


@pytest.mark.usefixtures("no_key_env")
def test_processes_starting_at_once_agree_on_one_local_key(tmp_path):
    starts = [
        subprocess.Popen([sys.executable, "-c", GENERATE, str(tmp_path)], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    keys = {process.communicate(timeout=30)[0] for process in starts}

    assert len(keys) == 1
    assert (tmp_path / "jwt_private.pem").stat().st_mode & 0o077 == 0


@pytest.mark.usefixtures("no_key_env")
def test_local_public_keys_are_the_generated_key_under_its_thumbprint(tmp_path):
    keys = public_keys_setting(key_dir=tmp_path, debug=True)
    public_key = load_private_key(private_key_pem(key_dir=tmp_path, debug=True)).public_key()

    assert keys == {key_id(public_key): public_pem(public_key)}


@pytest.mark.usefixtures("no_key_env")
def test_without_debug_missing_keys_stop_the_process(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="JWT_PUBLIC_KEYS"):
        public_keys_setting(key_dir=tmp_path, debug=False)
    with pytest.raises(ImproperlyConfigured, match="JWT_PRIVATE_KEY"):
        private_key_pem(key_dir=tmp_path, debug=False)
    assert not (tmp_path / "jwt_private.pem").exists()


def test_production_public_keys_come_from_a_json_object(monkeypatch, tmp_path):
    old, new = public_pem(new_key().public_key()), public_pem(new_key().public_key())
    monkeypatch.setenv("JWT_PUBLIC_KEYS", json.dumps({"2026-10": old, "2026-11": new}))

    assert public_keys_setting(key_dir=tmp_path, debug=False) == {"2026-10": old, "2026-11": new}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        ("{}", "JSON object"),
        ('{"k1": 5}', "JSON object"),
        ('{"k1": "-----BEGIN PUBLIC KEY-----\\nnope\\n-----END PUBLIC KEY-----"}', "k1"),
    ],
)
def test_bad_production_public_keys_stop_the_process(monkeypatch, tmp_path, raw, reason):
    monkeypatch.setenv("JWT_PUBLIC_KEYS", raw)

    with pytest.raises(ImproperlyConfigured, match=reason):
        public_keys_setting(key_dir=tmp_path, debug=False)


def test_a_short_rsa_key_is_refused(monkeypatch, tmp_path):
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    monkeypatch.setenv("JWT_PUBLIC_KEYS", json.dumps({"weak": public_pem(weak)}))

    with pytest.raises(ImproperlyConfigured, match="2048"):
        public_keys_setting(key_dir=tmp_path, debug=False)


def test_during_rotation_tokens_of_both_keys_verify_until_the_old_key_is_removed(settings):
    old = new_key()
    claims = _claims_of(make_access_token(7))
    old_token = sign_for_tests(claims, headers={"kid": "old"}, private_key=old)
    both = {**settings.JWT_PUBLIC_KEYS, "old": public_pem(old.public_key())}

    with override_settings(JWT_PUBLIC_KEYS=both):
        assert verify_access_token(old_token)["user_id"] == 7
        assert verify_access_token(make_access_token(8))["user_id"] == 8
    with pytest.raises(InvalidToken, match="unknown key"):
        verify_access_token(old_token)


def test_the_key_id_is_stable_and_differs_between_keys():
    key = new_key().public_key()

    assert key_id(key) == key_id(key)
    assert key_id(key) != key_id(new_key().public_key())


def _claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})
