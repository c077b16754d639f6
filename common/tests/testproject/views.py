"""Views that exercise common/'s middleware and error handling from the outside."""

import logging

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop_common.errors import DomainError, InvalidFields, domain_error_response


class OutOfCheese(DomainError, status=409):
    """A domain error as a service declares one: status, code, retry hint, extra fields."""

    default_detail = "No cheese left."
    retry_after = 3

    def __init__(self, cheeses: list[str]) -> None:
        super().__init__(f"Out of {', '.join(cheeses)}.", extra={"cheeses": cheeses})


class ItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=20)
    quantity = serializers.IntegerField(min_value=1)


class ItemView(APIView):
    authentication_classes = ()

    def post(self, request: Request) -> Response:
        serializer = ItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


@api_view(["GET"])
@authentication_classes([])
def boom(request: Request) -> Response:
    raise RuntimeError("a bug")


@api_view(["GET"])
@authentication_classes([])
def database_gone(request: Request) -> Response:
    raise OperationalError("connection failed: FATAL:  sorry, too many clients already")


@require_GET
def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


@require_POST
def plain_form(request: HttpRequest) -> HttpResponse:
    """A form's target outside the admin: CSRF-checked like any Django view."""
    return HttpResponse("posted")


@require_GET
def log_something(request: HttpRequest) -> HttpResponse:
    logging.getLogger("testproject").info("something happened", extra={"thing": 1})
    return HttpResponse("logged")


@require_GET
def two_queries(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"{Group.objects.count()} groups, {Group.objects.exists()}")


@api_view(["POST"])
@authentication_classes([])
def buy_cheese(request: Request) -> Response:
    raise OutOfCheese(["brie", "comte"])


@api_view(["POST"])
@authentication_classes([])
def refuse_plainly(request: Request) -> Response:
    raise DomainError


@api_view(["POST"])
@authentication_classes([])
def taken_name(request: Request) -> Response:
    raise InvalidFields({"name": ["This name is taken."]})


@api_view(["POST"])
@authentication_classes([])
def model_rule(request: Request) -> Response:
    raise DjangoValidationError({"parent": ["A category can't be its own parent."]})


@require_GET
def plain_cheese(request: HttpRequest) -> HttpResponse:
    try:
        raise OutOfCheese(["brie", "comte"])
    except OutOfCheese as refusal:
        return domain_error_response(refusal)
