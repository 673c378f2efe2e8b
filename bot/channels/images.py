"""Is a download really a photo? Bytes from the network are checked before they are stored.

Photos are served again from our own origin (/media), so only plain raster images that
Pillow can fully decode are kept; the type stored is the one the bytes have, not the one
the sender claimed.
"""

import io
import warnings

from PIL import Image

__all__ = ["MAX_PIXELS", "PHOTO_FORMATS", "NotAPhoto", "photo_type"]

PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_PIXELS = 40_000_000  # a 5 MB file claiming more is a decompression bomb, not a photo


class NotAPhoto(ValueError):
    """The bytes are not an image of an allowed type (or not a whole one)."""


def photo_type(data: bytes) -> str:
    """The MIME type of `data` if it is a whole JPEG, PNG, WebP or GIF; else NotAPhoto.

    Decoding takes milliseconds per megabyte: call it in a thread from async code.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(PHOTO_FORMATS)) as image:
                kind = image.format
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise NotAPhoto(f"{width}x{height} pixels is too many")
                image.verify()
            with Image.open(io.BytesIO(data), formats=list(PHOTO_FORMATS)) as image:
                image.load()  # verify() reads structure only; a truncated body fails here
    except NotAPhoto:
        raise
    except Exception as error:  # Pillow raises many kinds for malformed input
        raise NotAPhoto(f"not a readable image: {type(error).__name__}") from error
    if kind not in PHOTO_FORMATS:
        raise NotAPhoto(f"{kind} is not an allowed image type")
    return PHOTO_FORMATS[kind]
