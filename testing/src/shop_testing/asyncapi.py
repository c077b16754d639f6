"""docs/asyncapi.yaml for tests: the event types it documents, and a check that an
envelope the code produced matches its type's schema there."""

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

# The repository: this package is installed editable from testing/src/shop_testing.
DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml"
URI = "urn:shop:asyncapi"


@cache
def document() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text())


def documented_types() -> dict[str, str]:
    """Every event type (a channel's address) and the key of its message."""
    return {message["name"]: key for key, message in document()["components"]["messages"].items()}


def validator(pointer: str) -> Draft7Validator:
    """A validator for the schema at `pointer` (`#/components/...`) in the document."""
    registry = Registry().with_resource(URI, Resource(contents=document(), specification=DRAFT7))
    return Draft7Validator(
        {"$ref": f"{URI}{pointer}"}, registry=registry, format_checker=FormatChecker()
    )


def validate_envelope(envelope: Mapping[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` unless `envelope` matches its type's message in
    the document, and `LookupError` for a type the document does not name."""
    key = documented_types().get(str(envelope.get("type")))
    if key is None:
        raise LookupError(f"{envelope.get('type')!r} is not in {DOCUMENT.name}")
    validator(f"#/components/messages/{key}/payload").validate(dict(envelope))
