"""Fills in the empty secrets of a compose `.env` file (made from .env.example), in place.

    cp .env.example .env && .venv/bin/python docker/make_env.py [PATH]

Only empty values are filled, so running it again changes nothing: rotating a secret is a
deliberate edit (docs/deploying.md, "Rotating the JWT keys"). Values are written in
compose's .env syntax: the PEM key in double quotes with `\\n` escapes, the JSON in
single quotes.
"""

import json
import re
import secrets
import sys
from pathlib import Path

from shop_common.jwt_keys import (
    PRIVATE_KEY_ENV,
    PUBLIC_KEYS_ENV,
    key_id,
    load_private_key,
    new_private_pem,
    public_pem,
)

EMPTY = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)=$", re.MULTILINE)
# Random secrets, by the end of their name; URL-safe, so a password fits in a database URL.
RANDOM_SUFFIXES = ("_SECRET_KEY", "_CLIENT_SECRET", "_WEBHOOK_SECRET", "_PASSWORD")


def jwt_key_pair() -> dict[str, str]:
    private_pem = new_private_pem()
    public_key = load_private_key(private_pem).public_key()
    public_keys = {key_id(public_key): public_pem(public_key)}
    return {
        PRIVATE_KEY_ENV: '"{}"'.format(private_pem.replace("\n", "\\n")),
        PUBLIC_KEYS_ENV: f"'{json.dumps(public_keys)}'",
    }


def fill(text: str) -> str:
    """`text` with every empty `NAME=` line given a fresh value."""
    empty = set(EMPTY.findall(text))
    values = {}
    jwt_names = {PRIVATE_KEY_ENV, PUBLIC_KEYS_ENV}
    if jwt_names & empty:
        if not jwt_names <= empty:
            raise SystemExit(f"set both or neither of {' and '.join(sorted(jwt_names))}")
        values.update(jwt_key_pair())
    for name in sorted(empty - jwt_names):
        if not name.endswith(RANDOM_SUFFIXES):
            raise SystemExit(f"{name} is empty and is not a secret this script makes")
        values[name] = secrets.token_urlsafe(48)
    return EMPTY.sub(lambda match: f"{match['name']}={values[match['name']]}", text)


def main(path: Path) -> None:
    path.write_text(fill(path.read_text()))
    path.chmod(0o600)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".env"))
