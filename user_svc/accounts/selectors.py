"""Reads that need a rule: which user a verified access token stands for."""

from rest_framework.exceptions import AuthenticationFailed, NotFound

from accounts.models import User


def get_active_user(user_id: int) -> User:
    """The signed-in user's row; a deleted or deactivated user is signed out at once."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise AuthenticationFailed("User not found or inactive.")
    return user


def get_staff_identity(user_id: int) -> User:
    """Any account by id, active or not: the asking admin decides what its state means."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user
