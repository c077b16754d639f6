"""The envelope every event travels in, and `Event`, what a handler receives.

    {"id": uuid, "type": "order.paid", "version": 1, "time": ISO-8601 UTC,
     "source": "order_svc", "subject": "<id of what changed>", "request_id": "...",
     "payload": {...}}

docs/asyncapi.yaml describes it and every type; the tests hold the two together.
"""

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

# `<entity>.<what happened>`, lower case: the routing key of the topic exchange.
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
FIELDS = ("id", "type", "version", "time", "source", "subject", "request_id", "payload")


class InvalidEnvelope(ValueError):
    """A message that is not an envelope we can read: it is dead-lettered at once."""


def check_type(event_type: str) -> str:
    if not isinstance(event_type, str) or not TYPE_PATTERN.match(event_type):
        raise ValueError(f"event type {event_type!r} is not of the form 'entity.happened'")
    return event_type


@dataclass(frozen=True)
class Event:
    """One event as a handler sees it. `subject` is the id of what changed, as a string."""

    type: str
    subject: str
    payload: dict[str, Any]
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 1
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    source: str = ""
    request_id: str | None = None

    def envelope(self) -> dict[str, Any]:
        """The envelope as JSON-ready data (decimals, ids and times as strings)."""
        return json.loads(self.encode())

    def encode(self) -> bytes:
        """The envelope as the bytes that go on the wire."""
        data = {
            "id": str(self.id),
            "type": self.type,
            "version": self.version,
            "time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "source": self.source,
            "subject": self.subject,
            "request_id": self.request_id,
            "payload": self.payload,
        }
        return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()

    @classmethod
    def from_envelope(cls, data: Mapping[str, Any]) -> "Event":
        """The event in an envelope already parsed from JSON; `InvalidEnvelope` if it is not one."""
        if not isinstance(data, Mapping):
            raise InvalidEnvelope("the envelope is not a JSON object")
        missing = [name for name in FIELDS if name not in data]
        if missing:
            raise InvalidEnvelope(f"the envelope lacks {', '.join(missing)}")
        try:
            event = cls(
                id=uuid.UUID(str(data["id"])),
                type=check_type(data["type"]),
                version=data["version"],
                time=datetime.fromisoformat(str(data["time"]).replace("Z", "+00:00")),
                source=data["source"],
                subject=data["subject"],
                request_id=data["request_id"],
                payload=data["payload"],
            )
        except ValueError as exc:
            raise InvalidEnvelope(str(exc)) from None
        problems = [
            name
            for name, ok in (
                ("version", isinstance(event.version, int) and event.version >= 1),
                ("time", event.time.tzinfo is not None),
                ("source", isinstance(event.source, str)),
                ("subject", isinstance(event.subject, str)),
                ("request_id", event.request_id is None or isinstance(event.request_id, str)),
                ("payload", isinstance(event.payload, dict)),
            )
            if not ok
        ]
        if problems:
            raise InvalidEnvelope(f"bad envelope fields: {', '.join(problems)}")
        return event

    @classmethod
    def decode(cls, body: bytes | str) -> "Event":
        """The event in a message body; `InvalidEnvelope` for anything else."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise InvalidEnvelope(f"the body is not JSON: {exc}") from None
        return cls.from_envelope(data)
