from django.apps import AppConfig


class ProbesConfig(AppConfig):
    """A test-only publisher and consumer of `probe.sent` events, for shop_common.events'
    own tests (in-process, and as real relay and consumer processes)."""

    name = "probes"
    default_auto_field = "django.db.models.BigAutoField"
