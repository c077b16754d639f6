"""Reading an uploaded product image: what it is is decided by its content, never by its
name or the client's content type, and a thumbnail for lists is made from it at once.

Pillow identifies the format from the bytes (only JPEG, PNG and WebP are tried), `verify`
checks the structure, and the pixel count is checked before anything is decoded, so a
small file that would unpack to gigabytes (a decompression bomb) is refused unread.
"""

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# 50 megapixels: more than any product photo, far less than memory can take decoded.
MAX_IMAGE_PIXELS = 50_000_000
# Pillow's format name and the file extension it is stored with.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (400, 400)
THUMBNAIL_CONTENT_TYPE = "image/webp"
NOT_AN_IMAGE = "Upload a JPEG, PNG or WebP image."


@dataclass(frozen=True)
class CheckedImage:
    extension: str
    content_type: str
    thumbnail: bytes


def check_image(upload: UploadedFile) -> CheckedImage:
    """The upload's extension and content type by its content and its thumbnail (WebP), or
    a `ValidationError` saying what is wrong with it."""
    if upload.size is None or upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(f"The image is larger than {MAX_IMAGE_BYTES} bytes (5 MB).")
    try:
        with warnings.catch_warnings():
            # Pillow warns from MAX_IMAGE_PIXELS up and raises from twice that; our own,
            # lower limit below refuses either way.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=list(FORMATS)) as picture:
                image_format = picture.format
                _check_pixels(picture)
                picture.verify()
            upload.seek(0)
            with Image.open(upload, formats=list(FORMATS)) as picture:
                thumbnail = _thumbnail(picture)
    except Image.DecompressionBombError:
        raise ValidationError(_too_many_pixels()) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(NOT_AN_IMAGE) from None
    finally:
        upload.seek(0)
    return CheckedImage(
        extension=FORMATS[image_format], content_type=Image.MIME[image_format], thumbnail=thumbnail
    )


def _too_many_pixels() -> str:
    return f"The image has more than {MAX_IMAGE_PIXELS} pixels."


def _check_pixels(picture: Image.Image) -> None:
    if picture.width * picture.height > MAX_IMAGE_PIXELS:
        raise ValidationError(_too_many_pixels())


def _thumbnail(picture: Image.Image) -> bytes:
    """At most `THUMBNAIL_SIZE`, turned upright by its EXIF orientation, as WebP (which
    keeps transparency and is smaller than JPEG at the same quality)."""
    picture = ImageOps.exif_transpose(picture)
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    picture.thumbnail(THUMBNAIL_SIZE)
    output = io.BytesIO()
    picture.save(output, format="WEBP", quality=85)
    return output.getvalue()
