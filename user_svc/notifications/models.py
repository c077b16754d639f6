"""The emails user_svc sends its users, kept from the moment the event that asked for one
was applied until the mail server took it.

An email is written in the transaction that applies its event (so it exists exactly when
the event counts as applied, once per event id) and sent after that transaction
committed: a rollback never leaves a mail sent for nothing, and a crash before sending
leaves a row that the next round sends.
"""

import functools
from datetime import datetime

from django.db import connections, models, router
from django.db.models import Field, Q
from django.utils import timezone

# Sending is tried this often at the most; then the email stays unsent, for operators.
MAX_ATTEMPTS = 8


class EmailQuerySet(models.QuerySet["Email"]):
    def due(self, *, now: datetime) -> "EmailQuerySet":
        """Unsent emails whose next attempt has come."""
        return self.filter(
            sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now
        )

    # The consumer writes and claims every email it sends. Through the ORM each of these
    # statements was built anew for every email, at 0.1-0.2 ms of the consumer's CPU
    # each (docs/benchmarks.md, "Seventh round: the email consumer"); here their SQL is
    # written once, and only the values are prepared per email.

    def write(self, **values: object) -> "Email":
        """`create()`: a new email, inserted, with the id the database gave it (no model
        signals: nothing listens to an email's)."""
        email = self.model(**values)
        connection = connections[router.db_for_write(self.model)]
        fields, sql = _insert(connection.alias)
        params = [
            field.get_db_prep_save(field.pre_save(email, True), connection) for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            (email.pk,) = cursor.fetchone()
        email._state.adding = False
        email._state.db = connection.alias
        return email

    def claim(self, email: "Email", *, now: datetime) -> bool:
        """Mark `email` sent at `now`, one attempt more, if its row is still as in hand
        (unsent, the same attempts); whether it was. Inside a transaction the row then
        stays locked until it ends, and an `UPDATE` of another process waits for that."""
        connection = connections[router.db_for_write(self.model)]
        sent_at = self.model._meta.get_field("sent_at").get_db_prep_save(now, connection)
        with connection.cursor() as cursor:
            cursor.execute(
                _claim(connection.alias), [sent_at, email.attempts + 1, email.pk, email.attempts]
            )
            return cursor.rowcount == 1


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


@functools.cache
def _insert(alias: str) -> tuple[list[Field], str]:
    """The fields an email's `INSERT` takes, in order, and its SQL."""
    meta = Email._meta
    quote = connections[alias].ops.quote_name
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    return fields, (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"
        f" RETURNING {quote(meta.pk.column)}"
    )


@functools.cache
def _claim(alias: str) -> str:
    """The SQL of `EmailQuerySet.claim`."""
    meta = Email._meta
    quote = connections[alias].ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sent_at, attempts = (quote(meta.get_field(name).column) for name in ("sent_at", "attempts"))
    return (
        f"UPDATE {table} SET {sent_at} = %s, {attempts} = %s"
        f" WHERE {pk} = %s AND {sent_at} IS NULL AND {attempts} = %s"
    )
