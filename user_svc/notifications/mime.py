"""The MIME message of an email, written for about half the CPU Django's email spends on
it, and the same bytes (docs/benchmarks.md, "The event path's CPU, sixth round").

Django's email writes every header through the standard library's `compat32` policy,
which builds an `email.header.Header` for each, splits its value at the spaces and joins
it again, even when the header needs no folding and no encoding at all (all of an order
email's thirteen); and it picks each multipart boundary by compiling a regular
expression for the new boundary and searching the parts with it. Here such a header is
written as it is, and the boundary is chosen before writing, checked with a plain
substring search.
"""

import random
import re
import sys
from email.message import Message
from email.policy import Compat32

from django.core.mail import EmailMultiAlternatives

# Printable ASCII, neither beginning nor ending with a space: a value `Header.encode`
# returns unchanged when it fits on the line (no tab, no line break, nothing to encode).
PLAIN_VALUE = re.compile(r"[!-~](?:[ -~]*[!-~])?")


class PlainHeaders(Compat32):
    """`compat32`, writing a header that needs neither folding nor encoding as it is:
    what `compat32` writes for it too, with less work. Any other goes to `compat32`."""

    def _fold(self, name: str, value: object, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and PLAIN_VALUE.fullmatch(value)
            and (not self.max_line_length or len(name) + 2 + len(value) <= self.max_line_length)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


plain_headers = PlainHeaders()


def new_boundary(message: Message) -> str:
    """A boundary as the standard library draws one (`Generator._make_boundary`), that no
    line of the message's parts can contain: they are written already (`set_payload`
    encodes), so a substring search of them stands in for the generator's regular
    expression, compiled anew for every message."""
    texts = [part.get_payload() for part in message.walk() if not part.is_multipart()]
    while True:
        boundary = f"{'=' * 15}{random.randrange(sys.maxsize):019d}=="
        if not any(boundary in text for text in texts if isinstance(text, str)):
            return boundary


class OrderEmailMessage(EmailMultiAlternatives):
    """An email with alternatives, written cheaply: `PlainHeaders` and a boundary chosen
    beforehand. Backends call `message()`, so files and SMTP alike get it."""

    def message(self) -> Message:
        message = super().message()
        message.policy = plain_headers
        for part in message.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(new_boundary(part))
        return message
