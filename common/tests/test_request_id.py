import pytest

from shop_common.request_id import clean_request_id


@pytest.mark.parametrize("value", ["abc-123", "0f1e2d3c4b5a", "gw:1.2_3"])
def test_a_plain_caller_id_is_kept(value):
    assert clean_request_id(value) == value


@pytest.mark.parametrize("value", [None, "", "x" * 129, "has space", "<script>", "-leading"])
def test_an_odd_or_missing_id_is_replaced_by_a_new_one(value):
    new = clean_request_id(value)

    assert new != value
    assert len(new) == 32


def test_the_callers_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "from-the-caller-1"})

    assert response["X-Request-ID"] == "from-the-caller-1"


def test_a_request_without_an_id_gets_a_new_one_each_time(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert len(first) == 32
    assert first != second


def test_an_unsafe_id_is_not_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "evil\rinjected"})

    assert response["X-Request-ID"] != "evil\rinjected"
    assert len(response["X-Request-ID"]) == 32


def test_error_answers_carry_the_id_too(client):
    response = client.get("/no/such/path", headers={"X-Request-ID": "trace-me"})

    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-me"
