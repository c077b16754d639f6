"""Every error is JSON with a `detail`; bad input is a 4xx, never a 500 or an HTML page."""

import logging

import pytest

from shop_common.errors import DomainError


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def test_malformed_json_is_a_400_that_says_so(client):
    response = client.post("/api/items/", data="{not json", content_type="application/json")

    body = assert_json_error(response, 400)
    assert "JSON" in body["detail"]


def test_validation_errors_name_each_bad_field(client):
    response = client.post(
        "/api/items/", data={"name": "x" * 50, "quantity": 0}, content_type="application/json"
    )

    body = assert_json_error(response, 400)
    assert set(body["errors"]) == {"name", "quantity"}
    assert body["detail"].startswith(("name:", "quantity:"))


def test_a_json_list_instead_of_an_object_is_a_400(client):
    response = client.post("/api/items/", data=[1, 2], content_type="application/json")

    body = assert_json_error(response, 400)
    assert "non_field_errors" in body["errors"]


def test_a_body_that_is_not_json_is_a_415(client):
    response = client.post("/api/items/", data="name=x", content_type="text/plain")

    assert_json_error(response, 415)


def test_a_wrong_method_on_an_api_view_is_a_405(client):
    response = client.delete("/api/items/")

    assert_json_error(response, 405)


def test_a_wrong_method_on_a_plain_view_is_a_json_405_with_allow(client):
    response = client.post("/plain/")

    assert_json_error(response, 405)
    assert response["Allow"] == "GET"


def test_an_unknown_path_is_a_json_404(client):
    assert_json_error(client.get("/no/such/path/"), 404)


@pytest.mark.parametrize("debug", [True, False])
def test_the_404_is_json_whatever_debug_says(client, settings, debug):
    settings.DEBUG = debug

    assert_json_error(client.get("/no/such/path/"), 404)


def test_an_oversized_body_is_a_413_before_it_is_read(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = '{"name": "' + "x" * 200 + '", "quantity": 1}'

    response = client.post("/api/items/", data=body, content_type="application/json")

    detail = assert_json_error(response, 413)["detail"]
    assert "100 bytes" in detail


def test_a_path_allowed_a_larger_body_alone_takes_one(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.LARGER_BODY_PATHS = [(r"/api/items/[0-9]+/", 1000, "image")]
    body = "x" * 500

    allowed = client.post("/api/items/7/", data=body, content_type="application/json")
    still_limited = client.post("/api/items/", data=body, content_type="application/json")
    beyond = client.post("/api/items/7/", data=body * 3, content_type="application/json")

    assert allowed.status_code not in (400, 413)
    assert "100 bytes" in assert_json_error(still_limited, 413)["detail"]
    # An upload too large is that field's 400, as the contract answers an image over 5 MB.
    assert assert_json_error(beyond, 400)["errors"] == {
        "image": ["The upload is larger than 1000 bytes."]
    }


def test_a_non_numeric_content_length_is_a_400(client):
    response = client.generic(
        "POST", "/api/items/", "{}", content_type="application/json", CONTENT_LENGTH="lots"
    )

    assert_json_error(response, 400)


def test_a_bug_is_a_json_500_without_the_traceback(client):
    client.raise_request_exception = False

    body = assert_json_error(client.get("/api/boom/"), 500)

    assert "a bug" not in body["detail"]


def test_a_database_refusing_connections_is_a_503_to_retry_not_a_500(client):
    response = client.get("/api/database-gone/")

    body = assert_json_error(response, 503)
    assert response["Retry-After"] == "1"
    assert "too many clients" not in body["detail"]


def test_a_disallowed_host_is_a_json_400(client):
    assert_json_error(client.get("/plain/", HTTP_HOST="evil.example"), 400)


def test_a_domain_error_answers_with_its_status_detail_extra_fields_and_retry_after(client):
    response = client.post("/api/cheese/")

    body = assert_json_error(response, 409)
    assert body == {"detail": "Out of brie, comte.", "cheeses": ["brie", "comte"]}
    assert response["Retry-After"] == "3"


def test_a_domain_error_without_its_own_detail_says_the_default_one(client):
    response = client.post("/api/refuse/")

    assert assert_json_error(response, 400) == {"detail": "The request could not be carried out."}
    assert not response.has_header("Retry-After")


def test_a_plain_view_answers_a_domain_error_exactly_as_a_drf_view_does(client):
    plain = client.get("/plain/cheese/")
    drf = client.post("/api/cheese/")

    assert (plain.status_code, plain.json(), plain["Retry-After"]) == (
        drf.status_code,
        drf.json(),
        drf["Retry-After"],
    )
    assert plain["Content-Type"] == drf["Content-Type"]


def test_the_request_log_names_the_domain_error_by_its_code(client, caplog):
    with caplog.at_level(logging.INFO, logger="shop.request"):
        client.post("/api/cheese/")

    [record] = [r for r in caplog.records if r.name == "shop.request"]
    assert (record.status, record.error_code) == (409, "out_of_cheese")


def test_a_domain_error_is_named_by_its_class_unless_it_names_itself():
    class ReservationReleased(DomainError, status=410):
        pass

    class TokenRejected(DomainError, status=401):
        code = "token_not_valid"

    assert (ReservationReleased.code, ReservationReleased.status_code) == (
        "reservation_released",
        410,
    )
    assert (TokenRejected.code, TokenRejected.status_code) == ("token_not_valid", 401)
    assert DomainError.status_code == 400


def test_invalid_fields_answer_like_a_serializer_naming_each_field(client):
    response = client.post("/api/taken-name/")

    assert assert_json_error(response, 400) == {
        "detail": "name: This name is taken.",
        "errors": {"name": ["This name is taken."]},
    }


def test_a_model_rule_broken_in_a_view_is_a_400_naming_the_field(client):
    response = client.post("/api/model-rule/")

    assert assert_json_error(response, 400) == {
        "detail": "parent: A category can't be its own parent.",
        "errors": {"parent": ["A category can't be its own parent."]},
    }
