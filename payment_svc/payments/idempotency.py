"""`Idempotency-Key` for paying (`shop_common.idempotency`), kept in payment_svc's table."""

from payments.models import IdempotencyRecord
from shop_common.idempotency import IdempotencyKeys

keys = IdempotencyKeys(IdempotencyRecord)
