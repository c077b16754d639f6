from django.apps import AppConfig
from tablib.formats import registry


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        # Imported for their side effects: the schema extension registers itself, and the
        # catalog-version receivers connect.
        from . import openapi, signals  # noqa: F401
        from .resources import MoneyXLSXFormat

        # Every XLSX file the admin exports shows prices as money (`MoneyXLSXFormat`).
        registry.register("xlsx", MoneyXLSXFormat())
