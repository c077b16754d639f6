"""The probe consumer: records each application; `poison` makes it fail, `sleep` makes it
slow and `started` names a file it creates first (so a test can kill the consumer in the
middle of one)."""

import time
from pathlib import Path

from probes.models import ProbeHit
from shop_common.events import Event, handler
from shop_common.request_id import current_request_id


class Poisoned(RuntimeError):
    pass


@handler("probe.sent")
def on_probe_sent(event: Event) -> None:
    ProbeHit.objects.create(
        subject=event.subject, event_id=event.id, request_id=current_request_id() or ""
    )
    if "started" in event.payload:
        Path(event.payload["started"]).touch()
    time.sleep(float(event.payload.get("sleep", 0)))
    if event.payload.get("poison"):
        raise Poisoned(f"probe {event.subject} is poisoned")
