"""The payments API: parse, call one service or selector, answer.

Domain errors (`payments.exceptions`) become HTTP answers in the shared exception handler.
"""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import idempotency, providers, selectors, services
from payments.exceptions import PaymentError
from payments.models import IdempotencyRecord
from payments.serializers import (
    PaymentFilterSerializer,
    PaymentSerializer,
    PayOrderSerializer,
    WebhookReceivedSerializer,
)
from shop_common.idempotency import KEY_PARAMETER
from shop_common.openapi import error_answer
from shop_common.serializers import validated


class PaymentViewSet(viewsets.GenericViewSet):
    """`/api/v1/payments/`: pay for an order, list and read payments."""

    serializer_class = PaymentSerializer
    permission_classes = (IsAuthenticated,)
    lookup_value_converter = "uuid"

    @extend_schema(
        summary="Your payments, newest first (staff: everyone's)",
        parameters=[PaymentFilterSerializer],
    )
    def list(self, request: Request) -> Response:
        filters = validated(PaymentFilterSerializer, request.query_params)
        payments = selectors.payments_visible_to(request.user, order_id=filters.get("order_id"))
        page = self.paginate_queryset(payments)
        return self.get_paginated_response(PaymentSerializer(page, many=True).data)

    @extend_schema(summary="One payment", responses=PaymentSerializer)
    def retrieve(self, request: Request, pk: uuid.UUID) -> Response:
        return Response(PaymentSerializer(selectors.payment_visible_to(request.user, pk)).data)

    @extend_schema(
        summary="Pay for an order",
        description="The amount and currency are the order's total, as order_svc states "
        "it; an `amount` in the body is ignored. `status` is `succeeded` or `failed` at "
        "once, or `pending` until the provider's webhook says (or, when the provider did "
        "not answer, until the payment is reconciled with it).",
        request=PayOrderSerializer,
        parameters=[KEY_PARAMETER],
        responses={
            201: OpenApiResponse(PaymentSerializer, description="The payment."),
            400: error_answer(
                "Invalid input, an unknown card token (nothing was charged) or an invalid "
                "Idempotency-Key."
            ),
            404: error_answer("No such order, or not yours."),
            409: error_answer(
                "The order is not awaiting payment (paid, cancelled, shipped), another "
                "payment for it is pending or succeeded, or a request with this "
                "Idempotency-Key is still being processed."
            ),
            422: error_answer("This Idempotency-Key was used with another body."),
            503: error_answer(
                "The order service or the provider could not be reached; try again after "
                "Retry-After."
            ),
        },
    )
    def create(self, request: Request) -> Response:
        # A refusal is the key's answer too: a repeat gets it again, nothing is retried.
        return idempotency.keys.answer_once(self, request, self._pay, final=(PaymentError,))

    def _pay(self, _claim: IdempotencyRecord | None) -> Response:
        body = validated(PayOrderSerializer, self.request.data)
        payment = services.pay_order(
            user_id=self.request.user.id,
            order_id=body["order_id"],
            token=body["payment_method"]["token"],
        )
        return Response(
            PaymentSerializer(payment).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": payment.location},
        )


class WebhookView(APIView):
    """`/api/v1/payments/webhooks/<provider>/`: the provider's events, signed; no token.

    The signature covers the raw body, so the body is read as bytes, never parsed first.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        summary="Receive a provider's webhook event",
        description="Signed with HMAC-SHA256 over `<timestamp>.<raw body>`, sent as "
        "`Payment-Signature: t=<timestamp>,v1=<hex>`; applied once however often it comes.",
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[
            # Named, so clients and fuzzers reach the signature check instead of a 404.
            OpenApiParameter(
                "provider",
                str,
                OpenApiParameter.PATH,
                enum=sorted(providers.PROVIDERS),
                description="The provider this build knows; only the configured one "
                "(`PAYMENT_PROVIDER`) is answered.",
            )
        ],
        responses={
            200: OpenApiResponse(WebhookReceivedSerializer, description="Received."),
            400: error_answer(
                "A missing, wrong or stale signature, an unreadable event, or an event id "
                "already received (`replayed`): nothing changed."
            ),
            404: error_answer("No provider of this name sends webhooks here."),
        },
        auth=[],
    )
    def post(self, request: Request, provider: str) -> Response:
        received = services.receive_webhook(
            provider_name=provider, body=request.body, headers=request.headers
        )
        return Response({"id": received.event_id, "outcome": received.outcome})
