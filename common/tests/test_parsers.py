"""Bad input that Python's and DRF's own parsing let through is a JSON 400 (or 415) at
once, never a 500 later: deep nesting, lone surrogates, NULs, infinite numbers, bytes that
are not UTF-8, in the body, the path, the query string and the headers."""

import time

import pytest

from shop_common.parsers import MAX_DEPTH, UnreadableInput, parse_json

ITEMS = "/api/items/"


def post_json(client, body: bytes, content_type: str = "application/json"):
    return client.generic("POST", ITEMS, body, content_type=content_type)


def refusal(response, status: int = 400) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"[" * 100_000, "nested deeper"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested deeper"),
        (b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), "nested deeper"),
        (b'{"\\ud800": 1, "name": "n", "quantity": 1}', "lone surrogate"),
        (b'{"name": "\\udfff", "quantity": 1}', "lone surrogate"),
        (b'{"name": "n", "quantity": 1, "tags": [["\\ud800"]]}', "lone surrogate"),
        (b'{"name": "a\\u0000b", "quantity": 1}', "NUL"),
        (b'{"\\u0000": 1, "name": "n", "quantity": 1}', "NUL"),
        (b'{"name": 1e999999, "quantity": 1}', "out of range"),
        (b'{"name": "n", "quantity": NaN}', "NaN"),
        (b'{"name": "n", "quantity": -Infinity}', "Infinity"),
        (b'{"name": "n", "quantity": 1' + b"0" * 5000 + b"}", "JSON parse error"),
        (b'{"name": "\xff", "quantity": 1}', "not valid UTF-8"),
    ],
    ids=[
        "100000 brackets",
        "one level too deep",
        "objects one level too deep",
        "surrogate key",
        "surrogate value",
        "surrogate deep inside",
        "NUL value",
        "NUL key",
        "infinite float",
        "NaN",
        "-Infinity",
        "5000-digit integer",
        "not UTF-8",
    ],
)
def test_unreadable_json_is_a_400_that_says_why_at_once(client, body, said):
    started = time.perf_counter()
    response = post_json(client, body)

    assert said in refusal(response)
    assert time.perf_counter() - started < 1.0


def test_json_as_deep_as_allowed_and_paired_surrogates_are_read():
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    emoji = b'{"name": "\\ud83d\\ude00"}'

    assert parse_json(nested) is not None
    assert parse_json(emoji) == {"name": "\N{GRINNING FACE}"}


def test_a_good_body_still_parses(client):
    response = post_json(client, b'{"name": "caf\xc3\xa9", "quantity": 2}')

    assert response.status_code == 201
    assert response.json() == {"name": "café", "quantity": 2}


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=latin-1", "application/json; charset=no-such"]
)
def test_json_in_another_charset_is_a_415(client, content_type):
    response = post_json(client, b'{"name": "n", "quantity": 1}', content_type)

    assert "UTF-8" in refusal(response, 415)


def test_utf8_named_any_way_is_read(client):
    content_type = 'application/json; charset="UTF8"'
    response = post_json(client, b'{"name": "n", "quantity": 1}', content_type)

    assert response.status_code == 201


def test_parse_json_raises_a_domain_error_the_gateway_can_catch():
    with pytest.raises(UnreadableInput):
        parse_json(b'{"email": "\\ud800@example.com"}')


# As a WSGI server passes them on (PEP 3333): the bytes decoded as latin-1.
@pytest.mark.parametrize(
    ("path", "environ", "named", "said"),
    [
        ("/plain/?q=%ff", {}, "q", "The parameter is not valid UTF-8."),
        ("/plain/?q=%ed%a0%80", {}, "q", "The parameter is not valid UTF-8."),
        ("/plain/?a=1&q=a%00b", {}, "q", "The parameter contains a NUL character."),
        ("/plain/?%00=1", {}, "\x00", "The parameter contains a NUL character."),
        ("/plain/", {"HTTP_X_THING": "\xff\xfe"}, "X-Thing", "The header is not valid UTF-8."),
    ],
    ids=["query not UTF-8", "query encoded surrogate", "query NUL", "name NUL", "header"],
)
def test_unreadable_query_parameters_and_headers_are_a_400_naming_them(
    client, path, environ, named, said
):
    response = client.get(path, **environ)

    assert said in refusal(response)
    assert response.json()["errors"] == {named: [said]}


def test_a_nul_in_the_path_is_a_400(client):
    response = client.get("/plain/", PATH_INFO="/plain/\x00/")

    assert refusal(response) == "The path contains a NUL character."


def test_utf8_in_paths_queries_and_headers_passes(client):
    response = client.get("/plain/?q=caf%C3%A9+au+lait", headers={"X-Thing": "caf\xc3\xa9"})
    unknown = client.get("/caf%C3%A9/")

    assert response.status_code == 200
    assert unknown.status_code == 404
