"""Reads that need a rule: which user a verified access token stands for."""

from rest_framework.exceptions import AuthenticationFailed

from accounts.models import User


def get_active_user(user_id: int) -> User:
    """The signed-in user's row; a deleted or deactivated user is signed out at once."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise AuthenticationFailed("User not found or inactive.")
    return user
