"""The emails user_svc sends its users, kept from the moment the event that asked for one
was applied until the mail server took it.

An email is written in the transaction that applies its event (so it exists exactly when
the event counts as applied, once per event id) and sent after that transaction
committed: a rollback never leaves a mail sent for nothing, and a crash before sending
leaves a row that the next round sends.
"""

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

# Sending is tried this often at the most; then the email stays unsent, for operators.
MAX_ATTEMPTS = 8


class EmailQuerySet(models.QuerySet["Email"]):
    def due(self, *, now: datetime) -> "EmailQuerySet":
        """Unsent emails whose next attempt has come."""
        return self.filter(
            sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now
        )


class Email(models.Model):
    # The event that asked for it: one email per event, however often it is delivered.
    event_id = models.UUIDField(unique=True, editable=False)
    event_type = models.CharField(max_length=100)
    # Orders and other subjects live in other services: their id, as the event named it.
    subject_id = models.CharField(max_length=100, blank=True)
    user_id = models.BigIntegerField(db_index=True)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # When sending began; committed only once the mail server took it.
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    objects = EmailQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True),
                name="email_unsent_due",
            ),
        )

    def __str__(self) -> str:
        return f"{self.subject} to {self.to}"
