"""What drf-spectacular must know of the catalog's filters to describe them truly;
spectacular finds the extension by subclassing, so `CatalogConfig.ready` imports this."""

from typing import Any

from django_filters import Filter, FilterSet
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class BoundedFilterScheme(DjangoFilterExtension):
    """Query parameters with the bounds their form fields enforce, which spectacular's own
    extension leaves out: a text's `max_length`, and a number's digits and places (a
    decimal string, like the prices it compares with)."""

    priority = 1

    def resolve_filter_field(
        self,
        auto_schema: AutoSchema,
        model: Any,
        filterset_class: type[FilterSet],
        field_name: str,
        filter_field: Filter,
    ) -> list[dict[str, Any]]:
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        bounds = filter_field.extra
        for parameter in parameters:
            if bounds.get("max_length") is not None:
                parameter["schema"]["maxLength"] = bounds["max_length"]
            if bounds.get("max_digits") is not None:
                decimal = serializers.DecimalField(
                    max_digits=bounds["max_digits"], decimal_places=bounds["decimal_places"]
                )
                parameter["schema"] = auto_schema._map_serializer_field(decimal, "request")
        return parameters
