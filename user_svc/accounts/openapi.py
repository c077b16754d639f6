"""What drf-spectacular must know of user_svc's serializers to describe them truly;
spectacular finds the extension by subclassing, so `AccountsConfig.ready` imports this."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema


class StrictInputScheme(OpenApiSerializerExtension):
    """A request body of a `StrictInputMixin` serializer takes no field it does not name:
    any other is a 400, so the schema says `additionalProperties: false`."""

    target_class = "accounts.serializers.StrictInputMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
