"""Photos on reports and resolutions: checked to be images, resized, original's hash kept."""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from pm_platform.core.errors import ValidationError

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 10 * 1024 * 1024   # a phone photo is 2–6 MB; anything larger is refused
MAX_PIXELS = 50_000_000              # a decompression bomb is refused, not decoded
LONG_EDGE = 1600                     # enough to see a crack or a meter reading on a screen


@dataclass(frozen=True)
class ProcessedPhoto:
    content: bytes          # JPEG
    original_sha256: str
    original_bytes: int
    width: int
    height: int


def process_photos(photos, field: str = "photos") -> list[ProcessedPhoto]:
    photos = list(photos or ())
    if len(photos) > MAX_PHOTOS:
        raise ValidationError("at most {limit} photos", field, limit=MAX_PHOTOS)
    return [process_photo(data, f"{field}[{index}]") for index, data in enumerate(photos)]


def process_photo(data: bytes, field: str = "photo") -> ProcessedPhoto:
    if not data:
        raise ValidationError("the photo is empty", field)
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError("the photo is larger than {size} MB", field, size=MAX_PHOTO_BYTES // (1024 * 1024))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise ValidationError("the photo has too many pixels", field)
                probe.verify()  # a truncated or forged file fails here
            with Image.open(io.BytesIO(data)) as image:
                image = ImageOps.exif_transpose(image)  # phones store rotation in EXIF
                image = image.convert("RGB")
                image.thumbnail((LONG_EDGE, LONG_EDGE))
                out = io.BytesIO()
                image.save(out, "JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError("the file is not an image (JPEG, PNG, WebP …)", field) from error
    return ProcessedPhoto(out.getvalue(), hashlib.sha256(data).hexdigest(), len(data), image.width, image.height)
