"""Secrets for local use: generated once into an ignored folder, refused in production.

In production (`DEBUG` off) every secret comes from the environment; a missing one stops
the process at start-up instead of running with a guessable default.
"""

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def local_secret(
    *, env_name: str, path: Path, debug: bool, generate: Callable[[], str] | None = None
) -> str:
    """Return the secret named `env_name`, or in local mode the one stored at `path`.

    The file is created atomically (written aside, then hard-linked into place), so two
    processes starting at once agree on one value.
    """
    value = os.environ.get(env_name)
    if value:
        return value
    if not debug:
        raise ImproperlyConfigured(f"{env_name} must be set when DEBUG is off")
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
