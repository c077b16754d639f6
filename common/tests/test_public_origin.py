import pytest
from django.core.exceptions import ImproperlyConfigured

from shop_common.settings import public_origin

HOSTS = ["127.0.0.1", "shop.example.com"]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://shop.example.com/", "https://shop.example.com"),
        (" https://shop.example.com:8443 ", "https://shop.example.com:8443"),
    ],
)
def test_a_public_origin_keeps_scheme_host_and_port(url, origin):
    assert public_origin(url, allowed_hosts=HOSTS) == origin


@pytest.mark.parametrize(
    "url",
    [
        "shop.example.com",
        "ftp://shop.example.com",
        "https://",
        "https://shop.example.com/shop",
        "https://shop.example.com/?a=1",
        "https://user:pw@shop.example.com",
        "https://elsewhere.example.com",
    ],
)
def test_anything_but_an_allowed_http_origin_stops_the_start(url):
    with pytest.raises(ImproperlyConfigured):
        public_origin(url, allowed_hosts=HOSTS)
