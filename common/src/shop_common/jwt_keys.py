"""The RSA keys that verify the shop's JWTs in every service (user_svc signs with its own
module, `accounts.signing`).

Production passes them in through the environment:

- `JWT_PUBLIC_KEYS` (every service): a JSON object mapping each key id (`kid`) to a PEM
  public key, e.g. `{"2026-11": "-----BEGIN PUBLIC KEY-----\\n..."}`. Several keys may be
  listed at once, so a new key can be trusted everywhere before user_svc starts signing
  with it, and an old one stays trusted until the last token it signed has expired.
- `JWT_PRIVATE_KEY` (user_svc only): the PEM private key that signs. Its public half must
  be one of `JWT_PUBLIC_KEYS`; its `kid` is looked up there.

Locally (`DEBUG` on, variables unset) one key pair is generated once into
`<var_dir>/keys/`, where every service finds it; its `kid` is the key's RFC 7638
thumbprint. With `DEBUG` off, missing keys stop the process at start-up.
"""

import base64
import functools
import hashlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from shop_common.local_secrets import local_secret

PRIVATE_KEY_ENV = "JWT_PRIVATE_KEY"
PUBLIC_KEYS_ENV = "JWT_PUBLIC_KEYS"
ALGORITHM = "RS256"
LOCAL_PRIVATE_KEY_FILE = "jwt_private.pem"


def keys_dir(var_dir: Path) -> Path:
    return var_dir / "keys"


def private_key_pem(*, key_dir: Path, debug: bool) -> str:
    """`JWT_PRIVATE_KEY`, or locally the generated key (made on first use, atomically)."""
    return local_secret(
        env_name=PRIVATE_KEY_ENV,
        path=key_dir / LOCAL_PRIVATE_KEY_FILE,
        debug=debug,
        generate=new_private_pem,
    )


def public_keys_setting(*, key_dir: Path, debug: bool) -> dict[str, str]:
    """The `JWT_PUBLIC_KEYS` setting: kid -> PEM, validated so a bad key stops start-up."""
    raw = os.environ.get(PUBLIC_KEYS_ENV)
    if raw:
        pems = _parse_public_keys_env(raw)
    elif not debug:
        raise ImproperlyConfigured(f"{PUBLIC_KEYS_ENV} must be set when DEBUG is off")
    else:
        public_key = load_private_key(private_key_pem(key_dir=key_dir, debug=debug)).public_key()
        pems = {key_id(public_key): public_pem(public_key)}
    for kid, pem in pems.items():
        try:
            load_public_key(pem)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{PUBLIC_KEYS_ENV}[{kid!r}]: {exc}") from None
    return pems


def _parse_public_keys_env(raw: str) -> dict[str, str]:
    try:
        pems = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{PUBLIC_KEYS_ENV} is not valid JSON: {exc}") from None
    if (
        not pems
        or not isinstance(pems, dict)
        or not all(
            isinstance(kid, str) and kid and isinstance(pem, str) for kid, pem in pems.items()
        )
    ):
        raise ImproperlyConfigured(
            f'{PUBLIC_KEYS_ENV} must be a non-empty JSON object {{"<kid>": "<PEM>", ...}}'
        )
    return pems


@functools.lru_cache(maxsize=16)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"{PRIVATE_KEY_ENV} is not a PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured(f"{PRIVATE_KEY_ENV} must be an RSA private key")
    return key


@functools.lru_cache(maxsize=32)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Parsed once per PEM: verifying a token must not re-read its key."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    if key.key_size < 2048:
        raise ValueError(f"RSA keys need at least 2048 bits, this one has {key.key_size}")
    return key


def public_pem(public_key: rsa.RSAPublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """The RFC 7638 JWK thumbprint: the same key always gets the same id."""
    members = {k: v for k, v in jwk(public_key).items() if k in ("e", "kty", "n")}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return _b64(hashlib.sha256(canonical).digest())


def jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": _b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }


def new_private_pem() -> str:
    """A fresh 2048-bit RSA private key in PEM (PKCS#8), as `JWT_PRIVATE_KEY` holds it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
