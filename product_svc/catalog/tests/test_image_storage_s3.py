"""Product images in an S3-compatible bucket: a real S3 server (moto's, in a thread of the
test process) behind django-storages, uploads through the API and the admin."""

import io
import json
import runpy
import uuid
from collections.abc import Iterator

import boto3
import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from PIL import Image

import product_svc.settings
from catalog.models import ProductImage
from catalog.storage import IMMUTABLE, s3_image_storage
from catalog.tests.factories import ProductFactory
from catalog.tests.test_admin import product_form_with_image
from catalog.tests.test_product_images import picture, upload

pytestmark = pytest.mark.django_db

REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """A new bucket, and product images stored in it."""
    # Read by boto3, as in production; moto takes any key.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "shop-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "shop-test-secret")
    name = f"images-{uuid.uuid4().hex[:12]}"
    bucket = boto3.resource("s3", endpoint_url=s3_endpoint, region_name=REGION).Bucket(name)
    bucket.create()
    # Anyone may read the product images, as docs/product_svc.md asks of a bucket.
    bucket.Policy().put(Policy=json.dumps(public_read_policy(name)))
    use_bucket(settings, bucket, s3_endpoint)
    return bucket


def public_read_policy(bucket_name: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket_name}/products/*",
            }
        ],
    }


def use_bucket(settings, bucket, endpoint: str, public_url: str = "") -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_image_storage(
            bucket=bucket.name, endpoint_url=endpoint, region=REGION, public_url=public_url
        ),
    }


def keys(bucket) -> set[str]:
    return {stored.key for stored in bucket.objects.all()}


def fetch(url: str) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False
        return session.get(url, timeout=5)


def test_an_upload_stores_the_image_and_its_thumbnail_in_the_bucket(
    staff_client, bucket, s3_endpoint
):
    content = picture("PNG", mode="RGBA")
    product = ProductFactory()
    # The client's name and content type are wrong: the bytes decide.
    file = SimpleUploadedFile("photo.html", content, content_type="text/html")

    response = staff_client.post(
        f"/api/v1/products/{product.pk}/images/", {"image": file}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    image = ProductImage.objects.get(pk=response.json()["id"])
    assert keys(bucket) == {image.image.name, image.thumbnail.name}
    stored = bucket.Object(image.image.name)
    assert (stored.content_type, stored.cache_control) == ("image/png", IMMUTABLE)
    assert bucket.Object(image.thumbnail.name).content_type == "image/webp"
    body = response.json()
    assert body["url"] == f"{s3_endpoint}/{bucket.name}/{image.image.name}"
    assert body["thumbnail_url"] == f"{s3_endpoint}/{bucket.name}/{image.thumbnail.name}"
    assert fetch(body["url"]).content == content
    with Image.open(io.BytesIO(fetch(body["thumbnail_url"]).content)) as thumbnail:
        assert (thumbnail.format, max(thumbnail.size)) == ("WEBP", 400)


def test_an_image_added_in_the_admin_goes_to_the_bucket(admin_browser, bucket):
    product = ProductFactory()
    change = f"/admin/catalog/product/{product.pk}/change/"
    photo = SimpleUploadedFile("a.jpg", picture("JPEG"), content_type="image/jpeg")

    response = admin_browser.post(change, product_form_with_image(product, photo))

    assert response.status_code == 302
    [image] = product.images.all()
    assert keys(bucket) == {image.image.name, image.thumbnail.name}
    page = admin_browser.get(change).content.decode()
    assert f'src="{image.thumbnail.url}"' in page
    assert image.thumbnail.url.startswith(f"{bucket.meta.client.meta.endpoint_url}/")


def test_deleting_an_image_or_its_product_removes_the_objects(
    staff_client, bucket, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    kept = upload(staff_client, product, picture("JPEG")).json()
    gone = upload(staff_client, product, picture("WEBP")).json()
    assert len(keys(bucket)) == 4

    with django_capture_on_commit_callbacks(execute=True):
        image_deleted = staff_client.delete(f"/api/v1/products/{product.pk}/images/{gone['id']}/")
    image = ProductImage.objects.get(pk=kept["id"])
    left = keys(bucket)
    with django_capture_on_commit_callbacks(execute=True):
        product_deleted = staff_client.delete(f"/api/v1/products/{product.pk}/")

    assert (image_deleted.status_code, product_deleted.status_code) == (204, 204)
    assert left == {image.image.name, image.thumbnail.name}
    assert keys(bucket) == set()


def test_urls_name_the_public_address_when_one_is_given(
    staff_client, anonymous_client, bucket, s3_endpoint, settings
):
    # The S3 server itself stands in for a CDN in front of the bucket.
    public_url = f"{s3_endpoint}/{bucket.name}/"
    use_bucket(settings, bucket, s3_endpoint, public_url=public_url)
    content = picture("JPEG")
    product = ProductFactory()
    upload(staff_client, product, content)

    [shown] = anonymous_client.get(f"/api/v1/products/{product.pk}/").json()["images"]

    image = ProductImage.objects.get()
    assert shown["url"] == f"{public_url}{image.image.name}"
    assert shown["thumbnail_url"] == f"{public_url}{image.thumbnail.name}"
    assert fetch(shown["url"]).content == content


def test_a_cdn_address_is_used_as_given():
    storage = s3_image_storage(
        bucket="shop", endpoint_url="", region="", public_url="https://img.example.com/shop"
    )

    assert storage["OPTIONS"]["url_protocol"] == "https:"
    assert storage["OPTIONS"]["custom_domain"] == "img.example.com/shop"


@pytest.mark.parametrize(
    "public_url", ["img.example.com", "ftp://img.example.com", "https://img.example.com/?v=1"]
)
def test_a_public_address_that_is_not_a_url_stops_the_service(public_url):
    with pytest.raises(ImproperlyConfigured, match="PRODUCT_IMAGES_S3_PUBLIC_URL"):
        s3_image_storage(bucket="shop", endpoint_url="", region="", public_url=public_url)


def test_the_bucket_is_configured_from_the_environment(monkeypatch):
    monkeypatch.setenv("PRODUCT_IMAGES_S3_BUCKET", "shop-images")
    monkeypatch.setenv("PRODUCT_IMAGES_S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("PRODUCT_IMAGES_S3_REGION", "eu-central-1")
    monkeypatch.setenv("PRODUCT_IMAGES_S3_PUBLIC_URL", "https://img.example.com")

    # The settings module's code again, under this environment (Django's stay as they are).
    read = runpy.run_path(product_svc.settings.__file__)

    storage = read["STORAGES"]["default"]
    assert storage["BACKEND"] == "catalog.s3_storage.ProductImageStorage"
    assert {
        name: storage["OPTIONS"][name]
        for name in ("bucket_name", "endpoint_url", "region_name", "custom_domain")
    } == {
        "bucket_name": "shop-images",
        "endpoint_url": "http://minio:9000",
        "region_name": "eu-central-1",
        "custom_domain": "img.example.com",
    }
    # product_svc serves /media/ (through the gateway) only from the local folder.
    assert read["SERVE_MEDIA"] is False
