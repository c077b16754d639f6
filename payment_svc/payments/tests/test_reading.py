"""Reading payments: the owner and staff see them; anyone else gets a 404."""

import uuid

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/"


def test_the_owner_reads_a_payment_by_its_id(customer, paid):
    payment = paid("tok_visa")

    response = customer.get(f"{URL}{payment['id']}/")

    assert response.status_code == 200
    assert response.json() == payment


def test_someone_elses_payment_is_a_404(other_customer, paid):
    payment = paid("tok_visa")

    assert other_customer.get(f"{URL}{payment['id']}/").status_code == 404


def test_staff_read_anyones_payment(staff, paid):
    payment = paid("tok_visa")

    assert staff.get(f"{URL}{payment['id']}/").json()["id"] == payment["id"]


def test_an_unknown_or_malformed_id_is_a_json_404(customer):
    assert customer.get(f"{URL}{uuid.uuid4()}/").status_code == 404
    response = customer.get(f"{URL}not-a-uuid/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_the_list_filters_by_order_and_shows_only_the_callers_own(
    customer, other_customer, paid, pay, order_svc
):
    declined, second = paid("tok_chargeDeclined"), None
    order_id = declined["order_id"]
    second = pay(uuid.UUID(order_id), "tok_visa").json()
    paid("tok_visa")  # another order's

    listed = customer.get(URL, {"order_id": order_id}).json()

    assert listed["count"] == 2
    assert [p["id"] for p in listed["results"]] == [second["id"], declined["id"]]
    assert customer.get(URL).json()["count"] == 3
    assert other_customer.get(URL, {"order_id": order_id}).json()["count"] == 0


def test_staff_list_everyones_payments(staff, paid):
    paid("tok_visa")

    assert staff.get(URL).json()["count"] == 1


def test_a_malformed_order_id_filter_is_a_400(customer):
    response = customer.get(URL, {"order_id": "nope"})

    assert response.status_code == 400
    assert "order_id" in response.json()["errors"]


def test_reading_without_a_token_is_a_401(client):
    assert client.get(URL).status_code == 401
