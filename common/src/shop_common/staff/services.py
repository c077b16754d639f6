"""The local user rows that stand for user_svc's staff accounts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from shop_common.staff.directory import StaffIdentity
from shop_common.staff.models import StaffAccount


@transaction.atomic
def local_user_for(identity: StaffIdentity) -> AbstractBaseUser:
    """The local row for this account, made on its first sign-in and brought up to date
    on each: name, email, and `is_active`/`is_staff`/`is_superuser` as user_svc says.

    user_svc's superusers (the shop's owners) are superusers of every admin; everyone
    else may do what this service's groups grant them. The row never gets a usable
    password: only user_svc checks passwords.
    """
    username = identity.email.lower()
    link = StaffAccount.objects.select_related("user").filter(user_svc_id=identity.id).first()
    user = link.user if link else get_user_model()(username=username)
    holder = get_user_model().objects.filter(username=username).exclude(pk=user.pk).first()
    if holder is not None:
        user = _settle_email_holder(holder, user)
    user.username = username
    user.email = identity.email
    user.first_name = identity.first_name
    user.last_name = identity.last_name
    user.is_active = identity.is_active
    user.is_staff = identity.is_staff
    user.is_superuser = identity.is_superuser
    if user.pk is None:
        user.set_unusable_password()
    user.save()
    StaffAccount.objects.get_or_create(user_svc_id=identity.id, defaults={"user": user})
    return user


def _settle_email_holder(holder: AbstractBaseUser, user: AbstractBaseUser) -> AbstractBaseUser:
    """Another row has the email that `user`'s account has now. Linked to another
    account, it is stale (the email changed hands in user_svc) and keeps its groups
    under a name of its own. Unlinked, it was granted groups ahead by email
    (`grant_groups`): those groups are this account's."""
    other = StaffAccount.objects.filter(user=holder).first()
    if other is not None:
        holder.username = f"stale-{other.user_svc_id}-{holder.username}"[:150]
        holder.save(update_fields=["username"])
        return user
    if user.pk is None:
        return holder
    user.groups.add(*holder.groups.all())
    holder.delete()
    return user


def update_local_user(user: AbstractBaseUser, identity: StaffIdentity) -> None:
    """Bring a signed-in member's flags in line with user_svc after a re-check."""
    flags = {
        "is_active": identity.is_active,
        "is_staff": identity.is_staff,
        "is_superuser": identity.is_superuser,
    }
    changed = [name for name, value in flags.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, flags[name])
    if changed:
        user.save(update_fields=changed)
