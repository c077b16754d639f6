"""Order emails: what a customer is told when their order is confirmed, paid, shipped or
cancelled (order_svc's `order.*` events), and sending what is due.

`queue_order_email` runs inside the transaction that applies the event and only writes
the email; `send_email` runs once that transaction has committed. Sending goes through
Django's email framework: files under `EMAIL_FILE_PATH` by default, SMTP when
`EMAIL_HOST` is set, over a connection each thread keeps between emails (`MailServer`).
"""

import logging
import smtplib
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends import smtp
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from notifications.models import Email

logger = logging.getLogger(__name__)

BATCH = 100
# How long an SMTP connection may sit unused and still be used again: below the idle
# timeouts mail servers set (Postfix 300 s, Exchange 600 s), so a kept connection is
# seldom one the server has already dropped.
SMTP_KEEP_SECONDS = 60


class MailServer(threading.local):
    """The SMTP connection of this thread, kept open between the emails it sends.

    Django's `message.send()` opens a connection, greets the server, starts TLS, logs in
    and says goodbye for every email: round trips to a remote server and a TLS handshake
    each. Here one connection carries the emails that come within `SMTP_KEEP_SECONDS` of
    each other; one unused longer is closed and opened again. A server that dropped the
    connection anyway (`SMTPServerDisconnected`: it took nothing) gets the email once
    more on a new one at once; any other failure closes the connection and is the
    caller's to record. Other backends (the files of development) send as Django does.
    """

    def __init__(self) -> None:
        self.backend: smtp.EmailBackend | None = None
        self.server: tuple[Any, ...] = ()
        self.used_at = 0.0

    def send(self, message: EmailMessage) -> None:
        if not issubclass(import_string(settings.EMAIL_BACKEND), smtp.EmailBackend):
            message.send()
            return
        backend, reused = self._connection()
        try:
            backend.send_messages([message])
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            self._connection()[0].send_messages([message])
        except OSError:
            self.close()
            raise
        self.used_at = time.monotonic()

    def _connection(self) -> tuple[smtp.EmailBackend, bool]:
        """The open connection, and whether it is one kept from an earlier email."""
        server = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
        if self.server != server or time.monotonic() - self.used_at > SMTP_KEEP_SECONDS:
            self.close()
        if self.backend is not None:
            return self.backend, True
        backend = import_string(settings.EMAIL_BACKEND)(fail_silently=False)
        try:
            backend.open()
        except OSError:
            with suppress(OSError):
                backend.close()
            raise
        self.backend, self.server = backend, server
        return backend, False

    def close(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            try:
                backend.close()
            except OSError as exc:  # a goodbye the server did not hear changes nothing
                logger.debug("mail server connection closed", extra={"error": repr(exc)})


mail_server = MailServer()


@dataclass(frozen=True)
class OrderMessage:
    """What one kind of order email says: a subject (`{reference}` is the order's short
    reference) and its first paragraph."""

    subject: str
    lead: str


ORDER_MESSAGES = {
    "order.confirmed": OrderMessage(
        "Your order {reference} is confirmed",
        "Thank you for your order. It is confirmed, and the goods are set aside for you "
        "while we wait for its payment.",
    ),
    "order.paid": OrderMessage(
        "Payment received for your order {reference}",
        "Your payment has arrived. We are getting your order ready to ship.",
    ),
    "order.shipped": OrderMessage(
        "Your order {reference} is on its way",
        "Your order has left us and is on its way to you.",
    ),
    "order.cancelled": OrderMessage(
        "Your order {reference} was cancelled",
        "Your order has been cancelled.",
    ),
}


def queue_order_email(
    *, event_id: uuid.UUID, event_type: str, payload: dict[str, Any]
) -> Email | None:
    """Write the email an `order.*` event calls for, and send it once committed.

    None when the order's user no longer exists: there is nobody to write to.
    """
    user = User.objects.addressee(payload["user_id"])
    if user is None:
        logger.warning(
            "order email not sent: no such user",
            extra={"event_id": str(event_id), "user_id": payload["user_id"]},
        )
        return None
    message = ORDER_MESSAGES[event_type]
    reference = str(payload["order_id"])[:8].upper()
    context = {"user": user, "order": payload, "reference": reference, "lead": message.lead}
    email = Email.objects.write(
        event_id=event_id,
        event_type=event_type,
        subject_id=str(payload["order_id"]),
        user_id=user.pk,
        to=user.email,
        subject=message.subject.format(reference=reference),
        text=render_to_string("notifications/order_email.txt", context),
        html=render_to_string("notifications/order_email.html", context),
    )
    transaction.on_commit(partial(send_email, email))
    return email


def send_email(email: Email) -> bool:
    """Hand one unsent email, as written, to the mail backend; whether it was sent now.

    It is first claimed by an `UPDATE` that only moves the row as it is in hand (unsent,
    the same attempts), and that row stays locked while the mail server takes it: another
    process never sends it too (the periodic job skips a locked row on PostgreSQL; the
    sender after commit waits and then finds it changed). A failure is recorded and tried
    again later, each time a little later (`send_due_emails`).
    """
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        if not Email.objects.claim(email, now=now):
            return False
        email.attempts += 1
        try:
            message = EmailMultiAlternatives(email.subject, email.text, to=[email.to])
            message.attach_alternative(email.html, "text/html")
            mail_server.send(message)
        except OSError as exc:  # smtplib's errors and the file backend's alike
            email.last_error = f"{type(exc).__name__}: {exc}"
            email.next_attempt_at = timezone.now() + timedelta(seconds=30 * 2**email.attempts)
            Email.objects.filter(pk=email.pk).update(
                sent_at=None, last_error=email.last_error, next_attempt_at=email.next_attempt_at
            )
            logger.warning("email not sent", extra={"email": email.pk, "error": email.last_error})
            return False
        email.sent_at = now
    logger.info("email sent", extra={"email": email.pk, "event_type": email.event_type})
    return True


def send_due_emails() -> int:
    """Send the emails still waiting (a crash before sending, a mail server that was
    away); how many went out."""
    now = timezone.now()
    due = Email.objects.due(now=now)
    sent = 0
    for email_id in due.order_by("next_attempt_at").values_list("pk", flat=True)[:BATCH]:
        with transaction.atomic():
            # One another process is sending is skipped, not waited for (PostgreSQL).
            email = due.select_for_update(skip_locked=True).filter(pk=email_id).first()
            sent += email is not None and send_email(email)
    return sent
