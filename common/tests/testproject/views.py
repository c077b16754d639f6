"""Views that exercise common/'s middleware and error handling from the outside."""

import logging

from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


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


@require_GET
def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


@require_GET
def log_something(request: HttpRequest) -> HttpResponse:
    logging.getLogger("testproject").info("something happened", extra={"thing": 1})
    return HttpResponse("logged")


@require_GET
def two_queries(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"{Group.objects.count()} groups, {Group.objects.exists()}")
