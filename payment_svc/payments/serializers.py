"""The shapes payments come in and go out in; validation only, no calls to other services.

A payment's amount is never read from the client: `amount` in a request body is ignored.
"""

import uuid

from rest_framework import serializers

from payments.models import Payment

CARD = "card"


class PaymentMethodSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[CARD])
    # The provider's token for the card (e.g. `tok_visa`); card numbers never come here.
    token = serializers.CharField(max_length=255)


class UUIDStringField(serializers.UUIDField):
    """A UUID written as a string, as the schema says: DRF would also take a number."""

    def to_internal_value(self, data: object) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class PayOrderSerializer(serializers.Serializer):
    order_id = UUIDStringField()
    payment_method = PaymentMethodSerializer()


class BlankAsNullField(serializers.CharField):
    """A text column kept empty in the database, answered as null (as Stripe answers a
    `failure_code` that does not apply)."""

    def to_representation(self, value: str) -> str | None:
        return value or None


class PaymentSerializer(serializers.ModelSerializer):
    failure_reason = BlankAsNullField(
        read_only=True,
        allow_null=True,
        help_text="Why the payment failed (`card_declined`, `insufficient_funds`, ...); "
        "null unless `status` is `failed`.",
    )

    class Meta:
        model = Payment
        fields = (
            "id",
            "order_id",
            "status",
            "amount",
            "currency",
            "failure_reason",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class PaymentFilterSerializer(serializers.Serializer):
    order_id = serializers.UUIDField(required=False)


class WebhookReceivedSerializer(serializers.Serializer):
    """The answer to a webhook: which event was received, and what it did."""

    id = serializers.CharField(help_text="The provider's id of the event.")
    outcome = serializers.CharField()
