from django.db import models


class ProbeHit(models.Model):
    """One application of a `probe.sent` event: the tests count these per subject."""

    subject = models.CharField(max_length=100)
    event_id = models.UUIDField()
    request_id = models.CharField(max_length=128, blank=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"probe {self.subject}"
