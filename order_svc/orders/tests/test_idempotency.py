import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from orders import idempotency, services
from orders.exceptions import OutOfStock, UnknownProducts
from orders.models import IdempotencyRecord, Order
from orders.tests.conftest import client_for, order_body
from shop_common.errors import domain_error_response
from shop_common.idempotency import StoredAnswer

pytestmark = pytest.mark.django_db

KEY = {"HTTP_IDEMPOTENCY_KEY": "checkout-5c1b"}


def test_a_repeat_with_the_same_key_and_body_replays_the_order_and_creates_nothing(
    place, product_svc
):
    first = place((1, 2), **KEY)
    again = place((1, 2), **KEY)

    assert first.status_code == again.status_code == 201
    # The very bytes, not only the same JSON: a client may compare, cache or sign them.
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert product_svc.inventory.stock(1) == 8


def test_a_replay_answers_the_location_and_content_type_of_the_first_answer(place):
    first = place((1, 2), **KEY)

    again = place((1, 2), **KEY)

    assert first["Location"] == f"/api/v1/orders/{first.json()['id']}/"
    assert again["Location"] == first["Location"]
    assert again["Content-Type"] == first["Content-Type"] == "application/json"


def test_key_order_and_spacing_of_the_body_do_not_make_another_request(customer, product_svc):
    body = order_body((1, 1))
    reordered = {"shipping_address": body["shipping_address"], "items": body["items"]}
    first = customer.post("/api/v1/orders/", body, format="json", **KEY)

    again = customer.post("/api/v1/orders/", reordered, format="json", **KEY)

    assert again.json()["id"] == first.json()["id"]


def test_the_same_key_with_another_body_is_a_422(place):
    place((1, 2), **KEY)

    response = place((1, 3), **KEY)

    assert response.status_code == 422
    assert "different request body" in response.json()["detail"]
    assert Order.objects.count() == 1


def test_once_a_key_has_an_answer_even_an_invalid_body_under_it_is_a_422(place, customer):
    place((1, 2), **KEY)

    response = customer.post("/api/v1/orders/", {"items": []}, format="json", **KEY)

    assert response.status_code == 422


def test_an_invalid_body_does_not_use_the_key_up(customer, place):
    invalid = customer.post("/api/v1/orders/", {"items": []}, format="json", **KEY)

    response = place((1, 2), **KEY)

    assert (invalid.status_code, response.status_code) == (400, 201)


def test_a_rejection_is_replayed_too(place, product_svc):
    first = place((3, 5), **KEY)
    product_svc.inventory.products[3].stock = 50

    again = place((3, 5), **KEY)

    assert first.status_code == again.status_code == 409
    assert again.content == first.content


@pytest.mark.parametrize(
    "refusal",
    [
        OutOfStock([{"product_id": 3, "requested": 5, "available": 2}]),
        UnknownProducts([9], {"items": [{}, {"product_id": ["No such product: 9."]}]}),
    ],
    ids=["out-of-stock", "unknown-products"],
)
def test_a_refusal_kept_for_its_key_is_the_exception_handlers_answer_to_the_byte(refusal):
    # `StoredAnswer.refusal` builds the answer without rendering it; the view renders
    # the exception handler's, and a replay renders the kept one.
    kept = StoredAnswer.refusal(refusal)
    answered = domain_error_response(refusal)

    assert kept == StoredAnswer.of(answered)
    assert JSONRenderer().render(kept.body) == answered.content


def test_a_replay_repeats_the_kept_headers_in_their_first_order():
    record = idempotency.keys.begin(user_id=7, key="headers", request_hash="0" * 64)
    headers = {"Location": "/api/v1/orders/1/", "ETag": '"1"'}
    idempotency.keys.finish(record, StoredAnswer(201, {"id": 1}, headers))

    again = idempotency.keys.begin(user_id=7, key="headers", request_hash="0" * 64)

    assert list(again.headers.items()) == list(headers.items())


def test_a_503_gives_the_key_back_so_a_retry_can_place_the_order(place, product_svc):
    product_svc.mode = "error"
    assert place((1, 1), **KEY).status_code == 503
    product_svc.mode = "ok"

    response = place((1, 1), **KEY)

    assert response.status_code == 201
    assert product_svc.inventory.stock(1) == 9


def test_a_failure_after_the_answer_was_kept_leaves_the_key_answered(place, monkeypatch):
    def broken(*args: object) -> None:
        raise RuntimeError("a bug after the confirmation committed")

    place((2, 1))  # the client's middleware declares the series with `labels` once
    with monkeypatch.context() as patched:
        patched.setattr(services.metrics.ORDERS_PLACED, "labels", broken)
        assert place((1, 1), **KEY).status_code == 500

    again = place((1, 1), **KEY)

    # The answer committed with the order: the key is not given back for another order.
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.filter(lines__product_id=1).get().status == "confirmed"


def test_keys_belong_to_one_user(place, other_customer):
    mine = place((1, 1), **KEY)

    theirs = place((1, 1), client=other_customer, **KEY)

    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]


def test_a_key_expires_after_24_hours(place):
    first = place((1, 1), **KEY)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = place((1, 1), **KEY)

    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]


@pytest.mark.parametrize("key", ["", " padded ", "x" * 256, "tab\tinside", "ünïcode"])
def test_a_malformed_key_is_a_400(place, key):
    response = place((1, 1), HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_create_one_order_and_get_the_same_answer(product_svc):
    answers = []

    def post() -> None:
        try:
            body = order_body((2, 1))
            response = client_for(7).post("/api/v1/orders/", body, format="json", **KEY)
            answers.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Order.objects.count() == 1
    assert product_svc.inventory.stock(2) == 99
    order_id = str(Order.objects.get().id)
    assert sorted(set(answers)) == [(201, order_id)]


@pytest.mark.django_db(transaction=True)
def test_a_twin_that_waits_too_long_is_told_to_retry(product_svc, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.2
    product_svc.mode, product_svc.hang_seconds = "hang", 1.0
    first: list[int] = []

    def post() -> None:
        try:
            body = order_body((2, 1))
            first.append(
                client_for(7).post("/api/v1/orders/", body, format="json", **KEY).status_code
            )
        finally:
            connection.close()

    thread = threading.Thread(target=post)
    thread.start()
    assert wait_for_record()
    twin = client_for(7).post("/api/v1/orders/", order_body((2, 1)), format="json", **KEY)
    thread.join()

    assert twin.status_code == 409
    assert twin["Retry-After"] == "1"
    assert first == [201]


def wait_for_record() -> bool:
    for _ in range(100):
        if IdempotencyRecord.objects.exists():
            return True
        time.sleep(0.02)
    return False


def test_a_key_held_by_a_twin_rolls_the_pending_order_back(place, product_svc, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.1
    first = place((1, 1), **KEY)
    IdempotencyRecord.objects.update(state="processing", response_status=None, response_body=None)

    # The claim is the pending order's first statement: refused, it takes the order with it.
    twin = place((1, 1), **KEY)

    assert (first.status_code, twin.status_code) == (201, 409)
    assert Order.objects.count() == 1
    assert product_svc.inventory.stock(1) == 9
