"""The internal reservations API that order_svc calls; service tokens only, never routed
by the gateway. Reservation errors become their answers in `error_response`."""

import uuid

from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop_common.permissions import IsService

from . import services
from .authentication import InternalAuthentication
from .exceptions import (
    InventoryBusy,
    InventoryError,
    OutOfStock,
    ReservationReleased,
    UnknownProducts,
)
from .models import Reservation
from .serializers import ReservationSerializer, ReserveSerializer


class InternalView(APIView):
    authentication_classes = (InternalAuthentication,)
    permission_classes = (IsService,)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, InventoryError):
            return error_response(exc)
        return super().handle_exception(exc)


class ReservationListView(InternalView):
    def post(self, request: Request) -> Response:
        """Reserve: 201 the first time, 200 with that same result for a repeated id."""
        serializer = ReserveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.reserve(
            reservation_id=serializer.validated_data["reservation_id"],
            items=[services.ReservationItem(**item) for item in serializer.validated_data["items"]],
        )
        return Response(
            ReservationSerializer(outcome.reservation).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


class ReservationDetailView(InternalView):
    def get(self, request: Request, reservation_id: uuid.UUID) -> Response:
        reservation = get_object_or_404(
            Reservation.objects.prefetch_related("lines"), id=reservation_id
        )
        return Response(ReservationSerializer(reservation).data)


class ReservationReleaseView(InternalView):
    def post(self, request: Request, reservation_id: uuid.UUID) -> Response:
        reservation = services.release(reservation_id=reservation_id)
        return Response(ReservationSerializer(reservation).data)


def error_response(exc: InventoryError) -> Response:
    if isinstance(exc, UnknownProducts):
        ids = ", ".join(map(str, exc.product_ids))
        detail = f"Unknown or inactive product(s): {ids}."
        body = {
            "detail": detail,
            "errors": {"items": [detail]},
            "unknown_products": exc.product_ids,
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OutOfStock):
        short = [vars(shortage) for shortage in exc.shortages]
        ids = ", ".join(str(item["product_id"]) for item in short)
        body = {"detail": f"Not enough stock for product(s): {ids}.", "short": short}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ReservationReleased):
        detail = f"Reservation {exc.reservation_id} was released; it takes no stock."
        return Response({"detail": detail, "state": "released"}, status=status.HTTP_410_GONE)
    assert isinstance(exc, InventoryBusy)
    return Response(
        {"detail": "The stock is busy; try again shortly."},
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "1"},
    )
