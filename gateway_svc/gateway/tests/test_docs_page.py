"""The API docs page, /api/docs/, works without the internet: everything it loads comes
from the gateway, collected the way `make run` and the image collect static files."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from gateway import routes
from shop_common.service_table import SERVICES


class LoadedURLs(HTMLParser):
    """Every URL a page has the browser load or link to: `src` and `href` of any tag."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def loaded_urls(page: str) -> list[str]:
    parser = LoadedURLs()
    parser.feed(page)
    return parser.urls


@pytest.fixture
def collected(settings, tmp_path) -> Client:
    """A client of a gateway whose static files were collected, with DEBUG off: WhiteNoise
    serves what collectstatic wrote, as in production (a new client loads the middleware
    again, so it reads this STATIC_ROOT)."""
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)
    return Client()


def test_the_docs_page_names_no_other_host(client):
    page = client.get("/api/docs/").content.decode()

    urls = loaded_urls(page)
    assert len(urls) == 4  # the icon, the stylesheet and two scripts
    assert [url for url in urls if urlsplit(url).netloc or urlsplit(url).scheme] == []
    assert re.findall(r"https?://\S+", page) == []


def test_every_file_the_docs_page_loads_answers_from_the_gateway(collected):
    page = collected.get("/api/docs/").content.decode()

    for url in loaded_urls(page):
        answer = collected.get(url)
        assert answer.status_code == 200, url
        assert b"".join(answer.streaming_content), url


def test_the_docs_page_offers_the_schema_of_every_service_in_the_table(client):
    page = client.get("/api/docs/").content.decode()

    for service in SERVICES.values():
        if service.public:
            continue
        schema = f"/api/v1/{service.name}/schema/"
        assert f'{{"name": "{service.name}", "url": "{schema}"}}' in page
        assert routes.match(schema).service == service.name
