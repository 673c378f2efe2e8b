"""Real (tiny) image files for tests: downloads are decoded before they are stored."""

import io

from PIL import Image

__all__ = ["image_bytes"]


def image_bytes(label: str, kind: str = "JPEG", size: tuple[int, int] = (8, 8)) -> bytes:
    """A small image whose pixels depend on `label`, so different labels give different bytes."""
    seed = sum(label.encode())
    color = (seed % 256, (seed * 7) % 256, (seed * 13) % 256)
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=kind)
    return out.getvalue()
