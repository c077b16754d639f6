import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.images import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from catalog.models import ProductImage
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def picture(image_format: str, size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, "teal").save(output, format=image_format)
    return output.getvalue()


def upload(client, product, content: bytes, name: str = "photo.jpg", **form):
    url = f"/api/v1/products/{product.pk}/images/"
    file = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client.post(url, {"image": file, **form}, format="multipart")


def stored_files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    ("image_format", "mode", "extension"),
    [("JPEG", "RGB", "jpg"), ("PNG", "RGBA", "png"), ("WEBP", "RGB", "webp")],
)
def test_staff_add_an_image_stored_by_its_content(
    staff_client, media_root, image_format, mode, extension
):
    product = ProductFactory()

    response = upload(
        staff_client, product, picture(image_format, mode=mode), name="x.gif", alt="Front"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "url", "thumbnail_url", "alt"}
    assert body["alt"] == "Front"
    assert body["url"].startswith("http://testserver/media/products/")
    assert body["url"].endswith(f".{extension}")
    image = ProductImage.objects.get(pk=body["id"])
    assert stored_files(media_root) == {image.image.name, image.thumbnail.name}
    with Image.open(media_root / image.thumbnail.name) as thumbnail:
        assert thumbnail.format == "WEBP"
        assert max(thumbnail.size) == 400


def test_an_image_larger_than_other_bodies_may_be_is_taken(staff_client, settings):
    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000))
    output = io.BytesIO()
    noise.save(output, format="PNG")
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(output.getvalue()) < MAX_IMAGE_BYTES

    response = upload(staff_client, ProductFactory(), output.getvalue(), name="noise.png")

    assert response.status_code == 201


def test_the_url_answers_the_image_itself(staff_client, anonymous_client):
    content = picture("PNG")
    body = upload(staff_client, ProductFactory(), content).json()

    response = anonymous_client.get(body["url"].removeprefix("http://testserver"))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, named like a photo", "Upload a JPEG, PNG or WebP image."),
        (picture("GIF"), "Upload a JPEG, PNG or WebP image."),
        (picture("PNG")[:200], "Upload a JPEG, PNG or WebP image."),
    ],
    ids=["text", "gif", "truncated"],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused(staff_client, media_root, content, message):
    response = upload(staff_client, ProductFactory(), content, name="photo.jpg")

    assert response.status_code == 400
    assert response.json()["errors"] == {"image": [message]}
    assert stored_files(media_root) == set()


def test_a_file_over_5_mb_is_refused(staff_client, media_root):
    too_big = picture("PNG") + b"\0" * (MAX_IMAGE_BYTES + 1 - len(picture("PNG")))
    assert len(too_big) == MAX_IMAGE_BYTES + 1

    response = upload(staff_client, ProductFactory(), too_big, name="photo.png")

    assert response.status_code == 400
    assert "larger than 5242880 bytes" in response.json()["errors"]["image"][0]
    assert stored_files(media_root) == set()


def test_a_file_far_over_5_mb_is_refused_as_the_images_400_before_it_is_read(
    staff_client, media_root
):
    # Past the path's body limit (the image and its form), the body is never read: still
    # the contract's 400 naming `image`, not a 413.
    far_too_big = picture("PNG") + b"\0" * (2 * MAX_IMAGE_BYTES)

    response = upload(staff_client, ProductFactory(), far_too_big, name="photo.png")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["image"]
    assert stored_files(media_root) == set()


def test_an_image_of_too_many_pixels_is_refused_unread(staff_client, media_root):
    # A one-bit PNG compresses a huge blank area into a few kilobytes: a decompression bomb.
    bomb = picture("PNG", size=(10_000, MAX_IMAGE_PIXELS // 10_000 + 1), mode="1")
    assert len(bomb) < MAX_IMAGE_BYTES

    response = upload(staff_client, ProductFactory(), bomb, name="photo.png")

    assert response.status_code == 400
    assert response.json()["errors"]["image"] == [
        f"The image has more than {MAX_IMAGE_PIXELS} pixels."
    ]
    assert stored_files(media_root) == set()


def test_a_missing_file_names_the_field(staff_client):
    product = ProductFactory()

    response = staff_client.post(
        f"/api/v1/products/{product.pk}/images/", {"alt": "x"}, format="multipart"
    )

    assert response.status_code == 400
    assert "image" in response.json()["errors"]


def test_only_staff_add_or_delete_images(staff_client, customer_client, anonymous_client):
    product = ProductFactory()
    image_id = upload(staff_client, product, picture("JPEG")).json()["id"]
    item = f"/api/v1/products/{product.pk}/images/{image_id}/"

    assert upload(customer_client, product, picture("JPEG")).status_code == 403
    assert upload(anonymous_client, product, picture("JPEG")).status_code == 401
    assert customer_client.delete(item).status_code == 403
    assert anonymous_client.delete(item).status_code == 401
    assert ProductImage.objects.count() == 1


def test_the_upload_view_alone_reads_forms(staff_client):
    product = ProductFactory()

    response = staff_client.patch(
        f"/api/v1/products/{product.pk}/", {"name": "Formed"}, format="multipart"
    )

    assert response.status_code == 415


def test_products_show_their_images_in_order(staff_client, anonymous_client):
    product = ProductFactory()
    first = upload(staff_client, product, picture("JPEG"), alt="Front").json()
    second = upload(staff_client, product, picture("PNG"), alt="Back").json()

    listed = anonymous_client.get("/api/v1/products/").json()["results"][0]
    shown = anonymous_client.get(f"/api/v1/products/{product.pk}/").json()

    assert [image["id"] for image in listed["images"]] == [first["id"], second["id"]]
    assert shown["images"] == [first, second]


def test_deleting_an_image_removes_its_files(
    staff_client, media_root, catalog_bumps, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    kept = upload(staff_client, product, picture("JPEG")).json()
    gone = upload(staff_client, product, picture("PNG")).json()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.delete(f"/api/v1/products/{product.pk}/images/{gone['id']}/")

    assert response.status_code == 204
    assert catalog_bumps == ["bump"]
    image = ProductImage.objects.get(pk=kept["id"])
    assert stored_files(media_root) == {image.image.name, image.thumbnail.name}


def test_an_image_of_another_product_is_not_found(staff_client):
    image_id = upload(staff_client, ProductFactory(), picture("JPEG")).json()["id"]
    other = ProductFactory()

    response = staff_client.delete(f"/api/v1/products/{other.pk}/images/{image_id}/")

    assert response.status_code == 404
    assert ProductImage.objects.filter(pk=image_id).exists()


def test_deleting_a_product_removes_its_images_files(
    staff_client, media_root, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    upload(staff_client, product, picture("JPEG"))
    upload(staff_client, product, picture("WEBP"))

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.delete(f"/api/v1/products/{product.pk}/")

    assert response.status_code == 204

    assert stored_files(media_root) == set()


def test_an_upload_bumps_the_catalog_version(
    staff_client, catalog_bumps, django_capture_on_commit_callbacks
):
    product = ProductFactory()

    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, product, picture("JPEG"))

    assert catalog_bumps == ["bump"]
