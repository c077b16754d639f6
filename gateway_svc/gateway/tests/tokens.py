"""Authorization headers for test requests."""

from shop_testing.tokens import make_access_token


def bearer(user_id: int = 7, *, is_staff: bool = False, **claims: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_access_token(user_id, is_staff=is_staff, **claims)}"}
