"""The internal reservations API that order_svc calls; only service tokens granting the
reservations scope, never routed by the gateway. Reservation errors
(`inventory.exceptions`) become their answers in the shared exception handler."""

import uuid

from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop_common.auth import InternalAuthentication
from shop_common.permissions import HasServiceScope
from shop_common.scopes import ServiceScope
from shop_common.serializers import validated

from . import services
from .models import Reservation
from .serializers import ReservationSerializer, ReserveSerializer, reservation_answer


class InternalView(APIView):
    authentication_classes = (InternalAuthentication,)
    permission_classes = (HasServiceScope,)
    required_scope = ServiceScope.RESERVATIONS


class ReservationListView(InternalView):
    def post(self, request: Request) -> Response:
        """Reserve: 201 the first time, 200 with that same result for a repeated id."""
        reserve = validated(ReserveSerializer, request.data)
        outcome = services.reserve(
            reservation_id=reserve["reservation_id"],
            items=[services.ReservationItem(**item) for item in reserve["items"]],
        )
        return Response(
            reservation_answer(outcome.reservation, outcome.lines),
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
