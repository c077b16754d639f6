"""The demo staff account, and what its groups let it open in a service's Django admin."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.test import Client


def admin_statuses(user: AbstractBaseUser, paths: Iterable[str]) -> dict[str, int]:
    """The status of each admin page for `user`, signed in on a client of its own."""
    client = Client()
    client.force_login(user)
    return {path: client.get(path).status_code for path in paths}


def demo_staff_seeded_twice(**lookup: str) -> AbstractBaseUser:
    """The demo staff account's row once `seed` ran twice (the second run must change
    nothing), found by `lookup` (`username=` or `email=`, as the user model has it)."""
    call_command("seed")
    call_command("seed")
    return get_user_model().objects.get(**lookup)
