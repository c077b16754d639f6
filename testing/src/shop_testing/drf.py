"""What DRF builds while a test runs."""

import pytest
from rest_framework import fields


def fields_built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The class names of the DRF fields built from now on, in order (a guard that a
    request reuses its serializers instead of building their fields again)."""
    built: list[str] = []
    build = fields.Field.__init__

    def counted(field: fields.Field, *args: object, **kwargs: object) -> None:
        built.append(type(field).__name__)
        build(field, *args, **kwargs)

    monkeypatch.setattr(fields.Field, "__init__", counted)
    return built
