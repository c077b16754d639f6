"""Secrets for local use: generated once into an ignored folder, refused in production.

In production (`DEBUG` off, the default) every secret comes from the environment; a
missing one stops the process at start-up instead of running with a guessable default.
In any mode, a value that only stands in for a secret (the `CHANGE_ME` of `deploy/`'s
examples, an empty password) stops it too.
"""

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# What templates and examples put where a secret goes, found in a value compared without
# case or punctuation ("CHANGE_ME...", "replace-me", Django's "django-insecure-..." key).
PLACEHOLDER_MARKERS = ("changeme", "replaceme", "placeholder", "insecure")
# Values guessed first, refused as the whole value.
GUESSABLE = frozenset(
    {"secret", "password", "passwd", "admin", "root", "postgres", "guest", "test", "example"}
)
LOCAL_MODE_HINT = "(DEBUG=1 is local development: secrets are then generated)"


def is_placeholder(value: str) -> bool:
    """Whether `value` is empty, a template's stand-in or a first guess: never a secret."""
    folded = re.sub(r"[^a-z0-9]", "", value.lower())
    return not folded or folded in GUESSABLE or any(m in folded for m in PLACEHOLDER_MARKERS)


def refuse_placeholder(name: str, value: str) -> str:
    """`value`, unless it is a placeholder: then start-up stops naming `name` (not the value)."""
    if is_placeholder(value):
        raise ImproperlyConfigured(
            f"{name} holds a placeholder or a guessable value, not a secret: set a real one"
        )
    return value


def refuse_placeholder_password(name: str, url: str) -> str:
    """`url`, unless the password it carries is a placeholder (none at all is fine: a
    local server, or one that authenticates otherwise)."""
    password = urlsplit(url).password
    if password is not None:
        refuse_placeholder(f"the password in {name}", password)
    return url


def local_secret(
    *, env_name: str, path: Path, debug: bool, generate: Callable[[], str] | None = None
) -> str:
    """Return the secret named `env_name`, or in local mode the one stored at `path`.

    The file is created atomically (written aside, then hard-linked into place), so two
    processes starting at once agree on one value.
    """
    value = os.environ.get(env_name)
    if value:
        return refuse_placeholder(env_name, value)
    if not debug:
        raise ImproperlyConfigured(f"{env_name} must be set when DEBUG is off {LOCAL_MODE_HINT}")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        draft.write_text((generate or _random_token)())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text()


def _random_token() -> str:
    return secrets.token_urlsafe(50)
