"""Small JPEG copies of product photos for the web pages, made once and kept on disk.

A phone on a slow connection should not fetch a 3 MB camera photo to show a 160-pixel card:
each photo gets a 4:3 copy 320 and 640 pixels wide (cards and the product page), kept in
the media folder under `thumbs/<width>/` and made again only if deleted.
"""

import contextlib
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from storage.media import MediaStore
from storage.models import Media

__all__ = ["WIDTHS", "thumbnail"]

WIDTHS = (320, 640)
QUALITY = 78


def height_of(width: int) -> int:
    """Thumbnails are 4:3, so pages can give every image its size before it loads."""
    return width * 3 // 4


def thumbnail(store: MediaStore, media: Media, width: int) -> Path | None:
    """The path of the photo's copy `width` pixels wide (made now if missing); None when the
    file is gone or is no picture Pillow reads."""
    target = store.root / "thumbs" / str(width) / f"{media.id}.jpg"
    if target.is_file():
        return target
    source = store.path_of(media)
    try:
        with Image.open(source) as opened:
            opened.draft("RGB", (width * 2, width * 2))  # JPEG: decode at a smaller scale
            small = ImageOps.fit(
                ImageOps.exif_transpose(opened).convert("RGB"),
                (width, height_of(width)),
                Image.Resampling.LANCZOS,
            )
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    # written beside and renamed: two requests at once never serve half a file
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            small.save(out, format="JPEG", quality=QUALITY, optimize=True, progressive=True)
        Path(temporary).replace(target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
    return target
