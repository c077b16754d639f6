"""The orders API: parse, call one service or selector, answer.

Domain errors (`orders.exceptions`) become HTTP answers in the shared exception handler.
"""

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import idempotency, selectors, services
from orders.exceptions import OrderError
from orders.models import IdempotencyRecord, Order
from orders.serializers import (
    InternalOrderSerializer,
    OrderFilterSerializer,
    OrderSerializer,
    PlaceOrderSerializer,
    StatusChangeSerializer,
)
from orders.states import Actor
from shop_common.auth import InternalAuthentication
from shop_common.idempotency import KEY_PARAMETER, KeyRequest
from shop_common.openapi import error_answer
from shop_common.permissions import HasServiceScope, IsStaff
from shop_common.scopes import ServiceScope
from shop_common.serializers import validated

ORDER = OpenApiResponse(OrderSerializer, description="The order, with its lines and history.")
STOCK_UNAVAILABLE = error_answer(
    "The product service could not be reached: nothing was sold; try again after Retry-After."
)
CANNOT_MOVE = error_answer("The order cannot make that move from its status (named in `status`).")


class OrderViewSet(viewsets.GenericViewSet):
    """`/api/v1/orders/`: place, list, read, cancel, and (staff) move an order."""

    serializer_class = OrderSerializer
    permission_classes = (IsAuthenticated,)
    lookup_value_converter = "uuid"

    @extend_schema(
        summary="Your orders, newest first (staff: everyone's)", parameters=[OrderFilterSerializer]
    )
    def list(self, request: Request) -> Response:
        filters = validated(OrderFilterSerializer, request.query_params)
        orders = selectors.orders_visible_to(request.user, status=filters.get("status"))
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    @extend_schema(summary="One order", responses=ORDER)
    def retrieve(self, request: Request, pk: uuid.UUID) -> Response:
        return Response(OrderSerializer(selectors.order_visible_to(request.user, pk)).data)

    @extend_schema(
        summary="Place an order",
        description="Prices come from the catalog, never from the client.",
        request=PlaceOrderSerializer,
        parameters=[KEY_PARAMETER],
        responses={
            201: OpenApiResponse(OrderSerializer, description="The order, confirmed."),
            400: error_answer(
                "An empty or invalid list, a repeated, unknown or inactive product, an "
                "invalid address or Idempotency-Key."
            ),
            409: error_answer(
                "Stock is short (each short product named in `short`; nothing was taken), "
                "the products have different currencies, or a request with this "
                "Idempotency-Key is still being processed."
            ),
            422: error_answer("This Idempotency-Key was used with another body."),
            503: STOCK_UNAVAILABLE,
        },
    )
    def create(self, request: Request) -> Response:
        # A refusal is the key's answer too: a repeat gets it again, nothing is retried.
        # The key is claimed in the pending order's transaction (`services.place_order`).
        return idempotency.keys.answer_once_claiming(
            self, request, self._place, final=(OrderError,)
        )

    def _place(self, key: KeyRequest[IdempotencyRecord] | None) -> Response:
        order = validated(PlaceOrderSerializer, self.request.data)
        user_id = self.request.user.id
        placed = services.place_order(user_id=user_id, idempotency_key=key, **order)
        # With a key, the answer was built once already, to be kept in the confirmation.
        kept = key.kept if key is not None else None
        return (kept or idempotency.placed_answer(placed)).response()

    @extend_schema(
        summary="Cancel an order and give its stock back",
        request=None,
        responses={200: ORDER, 409: CANNOT_MOVE},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: uuid.UUID) -> Response:
        order = selectors.order_visible_to(request.user, pk)
        actor = Actor.STAFF if request.user.is_staff else Actor.OWNER
        order = services.cancel_order(order_id=order.id, actor=actor, actor_id=request.user.id)
        return Response(OrderSerializer(order).data)

    @extend_schema(
        summary="Move an order on (staff)",
        request=StatusChangeSerializer,
        responses={200: ORDER, 409: CANNOT_MOVE},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="status",
        permission_classes=[IsAuthenticated, IsStaff],
    )
    def change_status(self, request: Request, pk: uuid.UUID) -> Response:
        order = selectors.order_visible_to(request.user, pk)
        move = validated(StatusChangeSerializer, request.data)
        order = services.change_status(order_id=order.id, actor_id=request.user.id, **move)
        return Response(OrderSerializer(order).data)


class InternalOrderView(APIView):
    """`/internal/v1/orders/<id>/`: what another service needs of an order (payment_svc
    charges its total to its owner). Service tokens with the orders scope only; the
    gateway never routes `/internal/`."""

    authentication_classes = (InternalAuthentication,)
    permission_classes = (HasServiceScope,)
    required_scope = ServiceScope.ORDERS_READ

    def get(self, request: Request, order_id: uuid.UUID) -> Response:
        order = get_object_or_404(Order, pk=order_id)
        return Response(InternalOrderSerializer(order).data)
