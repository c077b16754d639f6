"""A production environment for tests of start-up: every secret a real random value."""

import json
import secrets
from pathlib import Path

from shop_common.jwt_keys import key_id, load_private_key, new_private_pem, public_pem
from shop_common.service_table import SERVICES


def production_environment(*, var_dir: Path) -> dict[str, str]:
    """What every service reads at start-up with `DEBUG` off (leave `DEBUG` unset)."""
    private_pem = new_private_pem()
    public_key = load_private_key(private_pem).public_key()
    token = secrets.token_urlsafe(48)
    return {
        "SHOP_VAR_DIR": str(var_dir),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_PRIVATE_KEY": private_pem,
        "JWT_PUBLIC_KEYS": json.dumps({key_id(public_key): public_pem(public_key)}),
        "SERVICE_CLIENT_SECRET": token,
        "SERVICE_CLIENT_SECRETS": json.dumps(
            {"order_svc": token, "product_svc": token, "payment_svc": token}
        ),
        "PAYMENT_WEBHOOK_SECRET": secrets.token_urlsafe(48),
        "REDIS_URL": f"redis://:{token}@redis.internal:6379/0",
        "AMQP_URL": f"amqp://shop:{token}@rabbitmq.internal:5672/shop",
        "COMMON_DATABASE_URL": f"postgres://common:{token}@db.internal/common",
        **{
            f"{service.env_prefix}_DATABASE_URL": f"postgres://{name}:{token}@db.internal/{name}"
            for name, service in SERVICES.items()
        },
    }
