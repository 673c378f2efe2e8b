"""The share image: a square picture for WhatsApp status and Instagram (*Bagikan*).

Product photo (or a clean placeholder) on top; below it the name, the price in Rupiah, the
seller and a QR code of the sharer's personal link. Drawn with Pillow and the bundled
DejaVu Sans (open licence, full Indonesian coverage), so it looks the same on every
server. `layout` decides every text line and its size; `render_share_image` only draws
them, so tests can read what the picture says without OCR.
"""

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

__all__ = [
    "FONTS",
    "SIZE",
    "ShareCard",
    "TextLine",
    "font",
    "layout",
    "qr_image",
    "qr_modules",
    "render_share_image",
]

SIZE = 1080
MARGIN = 60
PHOTO_HEIGHT = 540
QR_SIZE = 300
TEXT_WIDTH = SIZE - 3 * MARGIN - QR_SIZE  # the column left of the QR code
FONTS = Path(__file__).with_name("fonts")

BACKGROUND = (255, 250, 240)
INK = (34, 34, 34)
MUTED = (102, 96, 88)
ACCENT = (200, 76, 24)
PLACEHOLDER = (240, 196, 120)
BADGE = (34, 34, 34)

NAME_SIZES = (64, 56, 48, 42, 36)  # largest first; a 40-character name fits in two lines
NAME_LINES = 2


@dataclass(frozen=True)
class ShareCard:
    """What the picture says; every text already in the sharer's language."""

    title: str
    price: str  # `Rp15.000`, or "tanya penjual"
    seller: str
    community: str
    link: str  # what the QR code holds
    scan_label: str  # "Pindai untuk melihat"
    photo: bytes | None = None


@dataclass(frozen=True)
class TextLine:
    """One line of text on the picture."""

    text: str
    xy: tuple[int, int]
    size: int
    bold: bool
    colour: tuple[int, int, int]


@cache
def font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    """The bundled DejaVu Sans at a size."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _width(text: str, size: int, bold: bool) -> float:
    return font(size, bold).getlength(text)


def _wrap(text: str, size: int, bold: bool, width: int) -> list[str]:
    """Words into lines no wider than `width`; a word wider than a line is cut by letters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if _width(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while _width(current, size, bold) > width:  # one very long word
            cut = len(current)
            while cut > 1 and _width(current[:cut], size, bold) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines or [""]


def _fit(
    text: str, sizes: tuple[int, ...], bold: bool, width: int, max_lines: int
) -> tuple[int, list[str]]:
    """The largest size at which `text` fits in `max_lines`; at the smallest, the last line
    ends in "…" if it still does not fit."""
    for size in sizes:
        lines = _wrap(text, size, bold, width)
        if len(lines) <= max_lines:
            return size, lines
    size = sizes[-1]
    lines = _wrap(text, size, bold, width)[:max_lines]
    last = lines[-1]
    while last and _width(f"{last}…", size, bold) > width:
        last = last[:-1]
    lines[-1] = f"{last.rstrip()}…"
    return size, lines


def _one_line(text: str, size: int, bold: bool, width: int) -> str:
    if _width(text, size, bold) <= width:
        return text
    while text and _width(f"{text}…", size, bold) > width:
        text = text[:-1]
    return f"{text.rstrip()}…"


def layout(card: ShareCard) -> list[TextLine]:
    """Every text on the picture, where and how big: community badge, name, price, seller,
    and the label under the QR code."""
    lines = [
        TextLine(
            _one_line(card.community, 32, True, SIZE - 4 * MARGIN),
            (MARGIN + 20, MARGIN + 12),
            32,
            True,
            (255, 255, 255),
        )
    ]
    y = PHOTO_HEIGHT + 40
    size, name_lines = _fit(card.title, NAME_SIZES, True, TEXT_WIDTH, NAME_LINES)
    for text in name_lines:
        lines.append(TextLine(text, (MARGIN, y), size, True, INK))
        y += int(size * 1.2)
    y += 16
    price_size = 72 if _width(card.price, 72, True) <= TEXT_WIDTH else 48
    lines.append(
        TextLine(
            _one_line(card.price, price_size, True, TEXT_WIDTH),
            (MARGIN, y),
            price_size,
            True,
            ACCENT,
        )
    )
    y += int(price_size * 1.3)
    lines.append(
        TextLine(_one_line(card.seller, 36, False, TEXT_WIDTH), (MARGIN, y), 36, False, MUTED)
    )
    qr_bottom = PHOTO_HEIGHT + 40 + QR_SIZE
    label = _one_line(card.scan_label, 26, False, QR_SIZE + MARGIN)
    label_x = SIZE - MARGIN - QR_SIZE // 2 - int(_width(label, 26, False)) // 2
    lines.append(TextLine(label, (label_x, qr_bottom + 14), 26, False, MUTED))
    return lines


def _photo(data: bytes | None) -> Image.Image | None:
    """The product photo, or None when there is none or it is no picture Pillow reads."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            return ImageOps.fit(opened.convert("RGB"), (SIZE, PHOTO_HEIGHT))
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None


def _placeholder(title: str) -> Image.Image:
    """A calm coloured panel with the product's first letter, when there is no photo."""
    panel = Image.new("RGB", (SIZE, PHOTO_HEIGHT), PLACEHOLDER)
    draw = ImageDraw.Draw(panel)
    radius = 150
    centre = (SIZE // 2, PHOTO_HEIGHT // 2)
    draw.ellipse(
        (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius),
        fill=BACKGROUND,
    )
    initial = next((ch.upper() for ch in title if ch.isalnum()), "?")
    draw.text(centre, initial, font=font(180, True), fill=ACCENT, anchor="mm")
    return panel


def qr_modules(link: str) -> list[list[bool]]:
    """The link as a QR code's modules (True: dark), with the 4-module quiet zone."""
    code = segno.make(link, error="m")
    return [[bool(dark) for dark in row] for row in code.matrix_iter(scale=1, border=4)]


def qr_image(link: str, size: int = QR_SIZE) -> Image.Image:
    """The link as a QR code, exactly `size` square, with its quiet zone (the share image
    and the join poster, handlers/poster.py)."""
    modules = qr_modules(link)
    count = len(modules)
    image = Image.new("1", (count, count), 1)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x, y), 0)
    return image.resize((size, size), Image.Resampling.NEAREST).convert("RGB")


def render_share_image(card: ShareCard) -> bytes:
    """The picture as PNG bytes (SIZE x SIZE)."""
    image = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    image.paste(_photo(card.photo) or _placeholder(card.title), (0, 0))
    draw = ImageDraw.Draw(image)
    lines = layout(card)
    badge = lines[0]
    badge_width = int(_width(badge.text, badge.size, badge.bold))
    draw.rounded_rectangle(
        (MARGIN, MARGIN, MARGIN + badge_width + 40, MARGIN + badge.size + 28),
        radius=20,
        fill=BADGE,
    )
    for line in lines:
        draw.text(line.xy, line.text, font=font(line.size, line.bold), fill=line.colour)
    image.paste(qr_image(card.link), (SIZE - MARGIN - QR_SIZE, PHOTO_HEIGHT + 40))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
