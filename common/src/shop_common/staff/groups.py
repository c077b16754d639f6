"""The groups that say what staff may do in a service's admin, granted by email.

No model of `shop_common.staff` is used here, so user_svc (which checks its own
passwords and does not install the app) names its groups the same way.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.db import transaction

# user_svc's `seed` makes this account (local use only, with DEBUG on).
DEMO_STAFF_EMAIL = "staff@example.com"


def ensure_group(name: str, *, app_labels: Iterable[str]) -> Group:
    """A group holding every permission of these apps' models (made or completed)."""
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=app_labels))
    return group


@transaction.atomic
def grant_groups(*, email: str, groups: Iterable[Group]) -> AbstractBaseUser:
    """Put the staff member with this email in these groups, before or after their first
    sign-in (a row made ahead is linked to their account when they first sign in)."""
    user_model = get_user_model()
    username = email.strip().lower()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username, email=email.strip(), is_staff=True)
        user.set_unusable_password()
        user.save()
    user.groups.add(*groups)
    return user


def grant_demo_staff(group: Group) -> str:
    """`seed`'s line: the demo staff account gets `group`, with DEBUG on only."""
    if not settings.DEBUG:
        return f"demo staff: not granted {group.name!r} (DEBUG is off)"
    grant_groups(email=DEMO_STAFF_EMAIL, groups=[group])
    return f"demo staff: {DEMO_STAFF_EMAIL} is in {group.name!r}"
