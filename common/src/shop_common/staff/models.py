"""The link between a service's local user row and the user_svc account it stands for."""

from django.conf import settings
from django.db import models


class StaffAccount(models.Model):
    """Links by user_svc's account id, never by email: an email that changes hands in
    user_svc must not hand the previous owner's groups to the next one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_account"
    )
    user_svc_id = models.PositiveBigIntegerField(unique=True)

    def __str__(self) -> str:
        return f"user_svc account {self.user_svc_id}"
