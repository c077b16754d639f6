"""Reading what a client sends, refusing with a 400 what would otherwise fail later as a 500.

Python's `json` and DRF's `JSONParser` let through input that breaks something further
on: nesting that exhausts the recursion limit (`RecursionError`, which DRF does not
catch), lone surrogates (`"\\ud800"`, which no answer, log line or database can encode),
NUL characters (refused by PostgreSQL text), numbers beyond a float (`1e999` parses as
infinity), and charsets other than UTF-8. `parse_json` refuses all of them at once, for
every service's DRF views (`JSONParser`) and for the gateway's own reading of a login.
`UnreadableInputMiddleware` refuses the same in the path, the query string and headers.
"""

import codecs
import json
from collections.abc import Callable
from typing import IO, Any
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse
from rest_framework.parsers import BaseParser

from shop_common.errors import DomainError, InvalidFields, domain_error_response

# Deeper than any body the shop reads (an order is three levels): deeper is an attack.
MAX_DEPTH = 32


class UnreadableInput(DomainError):
    default_detail = "The request could not be read."


class UnsupportedCharset(DomainError, status=415):
    default_detail = "JSON is accepted in UTF-8 only."


def text_problem(text: str) -> str | None:
    """What makes `text` unusable (a NUL or a lone surrogate), or None when it is fine."""
    if "\x00" in text:
        return "contains a NUL character"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    return None


def refuse_bad_values(data: Any) -> None:
    """Walk parsed JSON without recursion: too deep, or a bad key or string, is refused."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise UnreadableInput(f"JSON is nested deeper than {MAX_DEPTH} levels.")
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                value = value.values()
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise UnreadableInput(f"A JSON string {problem}.")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"number {literal[:20]} is out of range")
    return number


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> Any:
    """The JSON value of a UTF-8 body, or `UnreadableInput` saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"The body is not valid UTF-8 (at byte {exc.start}).") from None
    try:
        data = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise UnreadableInput(f"JSON is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:
        raise UnreadableInput(f"JSON parse error: {exc}") from None
    refuse_bad_values(data)
    return data


class JSONParser(BaseParser):
    """DRF's JSON parser, through `parse_json`."""

    media_type = "application/json"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        charset = charset_of(media_type or "")
        if charset is not None and charset != "utf-8":
            raise UnsupportedCharset()
        return parse_json(stream.read())


def charset_of(content_type: str) -> str | None:
    """The `charset` a Content-Type names, by its codec's name (`UTF8` is `utf-8`)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip('"')
            try:
                return codecs.lookup(value).name
            except LookupError:
                return value.lower()
    return None


def text_bytes_problem(raw: bytes) -> str | None:
    """What makes `raw` unusable as UTF-8 text, or None."""
    try:
        return text_problem(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "is not valid UTF-8"


def request_problems(request: HttpRequest) -> dict[str, list[str]]:
    """Each query parameter and header that is not UTF-8 text we can use, named as the
    client names it. A WSGI server passes the bytes on decoded as latin-1 (PEP 3333)."""
    problems = {}
    query = request.META.get("QUERY_STRING", "").encode("latin-1", errors="replace")
    for pair in query.split(b"&"):
        name, _, value = (
            unquote_to_bytes(part.replace(b"+", b" ")) for part in pair.partition(b"=")
        )
        problem = text_bytes_problem(name) or text_bytes_problem(value)
        if problem:
            problems[name.decode("utf-8", errors="replace")] = [f"The parameter {problem}."]
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            problem = text_bytes_problem(value.encode("latin-1", errors="replace"))
            if problem:
                problems[key[5:].replace("_", "-").title()] = [f"The header {problem}."]
    return problems


class UnreadableInputMiddleware:
    """A 400 for a path, query parameter or header that is not UTF-8 or holds a NUL; the
    query parameters and headers are named in `errors`. Django itself decodes the path,
    percent-encoding again what is not UTF-8, so only a NUL can be wrong there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = text_problem(request.path_info)
        if problem:
            return domain_error_response(UnreadableInput(f"The path {problem}."))
        problems = request_problems(request)
        if problems:
            return domain_error_response(InvalidFields(problems))
        return self.get_response(request)
