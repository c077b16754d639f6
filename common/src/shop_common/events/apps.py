from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "shop_common.events"
    label = "events"
    verbose_name = "Events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.checks import register
        from django.utils.module_loading import autodiscover_modules

        from shop_common.events.checks import check_subscriptions
        from shop_common.events.metrics import EventsCollector
        from shop_common.metrics import register_collector

        # Every app's handlers and periodic jobs register themselves on import.
        autodiscover_modules("event_handlers")
        register(check_subscriptions, "events")
        register_collector(EventsCollector())
