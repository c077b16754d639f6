import pytest

from orders.exceptions import InvalidMove
from orders.states import TRANSITIONS, Actor, OrderStatus, check_move

S = OrderStatus


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        (S.PENDING, S.CONFIRMED, Actor.SYSTEM),
        (S.CONFIRMED, S.PAID, Actor.STAFF),
        (S.PAID, S.SHIPPED, Actor.STAFF),
        (S.SHIPPED, S.DELIVERED, Actor.STAFF),
        (S.CONFIRMED, S.CANCELLED, Actor.OWNER),
        (S.PAID, S.CANCELLED, Actor.STAFF),
    ],
)
def test_allowed_moves_pass(current, target, actor):
    check_move(current, target, actor)


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        (S.PENDING, S.CONFIRMED, Actor.STAFF),
        (S.CONFIRMED, S.PAID, Actor.OWNER),
        (S.SHIPPED, S.CANCELLED, Actor.STAFF),
        (S.DELIVERED, S.SHIPPED, Actor.STAFF),
        (S.FAILED, S.CONFIRMED, Actor.SYSTEM),
        (S.CANCELLED, S.PAID, Actor.STAFF),
    ],
)
def test_every_other_move_is_refused(current, target, actor):
    with pytest.raises(InvalidMove, match=f"from {current} to {target}"):
        check_move(current, target, actor)


def test_no_move_leaves_a_final_status():
    final = {S.REJECTED, S.FAILED, S.DELIVERED, S.CANCELLED}

    assert not [move for move in TRANSITIONS if move[0] in final]
