"""The order email's cheaper MIME writing: the same bytes as Django's email writes, and
the work it skips stays skipped (counted calls, not time)."""

import random
import string
from email import generator, header
from email.policy import compat32

import pytest
from django.core.mail import EmailMultiAlternatives

from notifications.mime import OrderEmailMessage, PlainHeaders

FIXED = {"Date": "Thu, 03 Dec 2026 12:00:00 -0000", "Message-ID": "<1.2.3@shop.example>"}


def values() -> list[str]:
    """Header values of every shape the fast path takes or refuses: lengths around the
    line's end, spaces and tabs at either end and in a row, line breaks, non-ASCII."""
    rng = random.Random(15)
    alphabet = string.ascii_letters + string.digits + string.punctuation + "  \t"
    found = [
        "",
        " ",
        "x",
        " leading",
        "trailing ",
        "two  spaces",
        "tab\there",
        "line\nbreak",
        "line\r\nbreak",
        "Grüße",
        "=?utf-8?q?already_encoded?=",
        '"Ada Lovelace" <ada@example.com>, grace@example.com',
    ]
    for length in (*range(60, 90), 150, 300):
        found += ["".join(rng.choice(alphabet) for _ in range(length)) for _ in range(8)]
        found.append("word " * (length // 5))
    return found


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
@pytest.mark.parametrize("max_line_length", [78, 0, None])
def test_plain_headers_fold_every_header_as_compat32_does(linesep, max_line_length):
    ours = PlainHeaders(linesep=linesep, max_line_length=max_line_length)
    theirs = compat32.clone(linesep=linesep, max_line_length=max_line_length)
    for name in ("Subject", "To", "Content-Type", "X-A-Rather-Long-Header-Name"):
        for value in values():
            try:
                expected = theirs.fold_binary(name, value)
            except header.HeaderParseError:
                continue  # an embedded header: refused by both
            assert ours.fold_binary(name, value) == expected, (name, value)


def order_email(cls, *, subject="Your order 0A1B2C3D is confirmed", to="ada@example.com"):
    message = cls(subject, "Hello Ada,\n\nThank you.\n", to=[to], headers=FIXED)
    message.attach_alternative("<p>Hello Ada,</p>\n<p>Thank you.</p>\n", "text/html")
    return message


@pytest.mark.parametrize(
    ("subject", "to"),
    [
        ("Your order 0A1B2C3D is confirmed", "ada@example.com"),
        ("Ihre Bestellung 0A1B2C3D ist bestätigt", "Jürgen Groß <jurgen@example.com>"),
        ("A subject long enough to be folded by the header writer " * 3, "ada@example.com"),
    ],
)
def test_an_order_email_is_written_byte_for_byte_as_django_writes_it(subject, to):
    ours = order_email(OrderEmailMessage, subject=subject, to=to).message()
    theirs = order_email(EmailMultiAlternatives, subject=subject, to=to).message()
    theirs.set_boundary(ours.get_boundary())

    for linesep in ("\n", "\r\n"):
        assert ours.as_bytes(linesep=linesep) == theirs.as_bytes(linesep=linesep)


def counting(monkeypatch, owner, name, *, wrap=lambda function: function) -> list[int]:
    calls = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrap(counted))
    return calls


def test_writing_an_order_email_builds_no_header_object_and_compiles_no_boundary(monkeypatch):
    # Held so that it cannot come back unseen (docs/benchmarks.md, "The event path's CPU,
    # sixth round"): Django's own writing builds a Header for each of the 13 headers and
    # compiles a regular expression for the boundary: 0.4 ms of its 1 ms.
    ours, theirs = (
        order_email(OrderEmailMessage).message(),
        order_email(EmailMultiAlternatives).message(),
    )
    encoded = counting(monkeypatch, header.Header, "encode")
    # A class method: called through the class it is bound to already.
    boundaries = counting(monkeypatch, generator.BytesGenerator, "_compile_re", wrap=staticmethod)

    ours.as_bytes(linesep="\r\n")
    # One header is long enough to fold: the multipart's Content-Type with its boundary.
    assert (len(encoded), len(boundaries)) == (1, 0)

    encoded.clear()
    theirs.as_bytes(linesep="\r\n")
    assert (len(encoded), len(boundaries)) == (13, 1)
