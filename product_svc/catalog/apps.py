from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        # Imported for their side effects: the schema extension registers itself, and the
        # catalog-version receivers connect.
        from . import openapi, signals  # noqa: F401
