"""The QR join poster: an A4 sheet for the posyandu wall or the warung window (`POSTER`).

The community's name, a line of why to join, a QR code for the Telegram deep link and one
for the WhatsApp `GABUNG KODE` link, the code written large, and the public catalogue's
address when the catalogue is public. Black on white, so it prints cleanly on any printer.

`poster_for` decides every text; `render_png` (Pillow, 150 dpi) and `render_pdf` (fpdf2:
vector text in the bundled DejaVu font, QR codes drawn as vector squares) only draw it.
Coordinators get both in chat; the web serves them at /poster/<code> for a public community
(bot/site), since the poster carries nothing but the invite code, which is what it is for.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fpdf import FPDF
from PIL import Image, ImageDraw

from handlers.context import Context, Options
from handlers.i18n import t
from handlers.messages import Incoming, Reply
from handlers.promotion.share_image import FONTS, font, qr_image, qr_modules
from handlers.public_catalogue import JoinLink, catalogue_url, join_links
from handlers.registry import REGISTRY
from storage.models import Community, Role

__all__ = ["A4_PX", "Poster", "poster_for", "render_pdf", "render_png"]

DPI = 150
A4_MM = (210.0, 297.0)
A4_PX = (round(A4_MM[0] / 25.4 * DPI), round(A4_MM[1] / 25.4 * DPI))  # 1240 x 1754
INK = (0, 0, 0)
PAPER = (255, 255, 255)
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)  # the same poster is the same bytes (media dedupe)

SCAN_KEYS = {"telegram": "site.poster.scan_telegram", "whatsapp": "site.poster.scan_whatsapp"}


@dataclass(frozen=True)
class PosterCode:
    """One QR code on the poster and the words under it."""

    link: str
    label: str


@dataclass(frozen=True)
class Poster:
    """Everything the poster says, already in one language."""

    community: str
    area: str
    headline: str
    why: str
    codes: tuple[PosterCode, ...]
    code_label: str
    code: str
    send_line: str
    catalogue: str  # "" when the catalogue is not public or its address is unknown


def poster_for(
    community: Community, *, options: Options, lang: str, base_url: str | None
) -> Poster:
    """The poster of a community, in `lang`; `base_url` is the server's public address."""
    links: Sequence[JoinLink] = join_links(options, community)
    url = catalogue_url(base_url, community) if community.public_catalogue else None
    return Poster(
        community=community.name,
        area=community.area or "",
        headline=t(lang, "site.poster.headline"),
        why=t(lang, "site.poster.why"),
        codes=tuple(PosterCode(link.link, t(lang, SCAN_KEYS[link.channel])) for link in links),
        code_label=t(lang, "site.poster.code"),
        code=community.invite_code,
        send_line=t(lang, "site.poster.send", code=community.invite_code),
        catalogue=t(lang, "site.poster.catalogue", url=url) if url else "",
    )


# --- PNG ----------------------------------------------------------------------------------

MARGIN = 90


def _wrap(text: str, size: int, bold: bool, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font(size, bold).getlength(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    return [*lines, current] if current else lines


def _fitting_size(text: str, largest: int, bold: bool, width: int) -> int:
    size = largest
    while size > 24 and font(size, bold).getlength(text) > width:
        size -= 4
    return size


def render_png(poster: Poster) -> bytes:
    """The poster as an A4 PNG at 150 dpi, black on white."""
    width, height = A4_PX
    image = Image.new("RGB", A4_PX, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, width - 41, height - 41), outline=INK, width=6)
    inner = width - 2 * MARGIN
    centre = width // 2
    y = MARGIN + 20

    def centred(text: str, size: int, bold: bool, gap: float = 1.25) -> None:
        nonlocal y
        for line in _wrap(text, size, bold, inner):
            draw.text((centre, y), line, font=font(size, bold), fill=INK, anchor="mt")
            y += int(size * gap)

    centred(poster.community, _fitting_size(poster.community, 96, True, inner), True)
    if poster.area:
        centred(poster.area, 40, False)
    y += 30
    centred(poster.headline, 56, True)
    y += 10
    centred(poster.why, 36, False, 1.35)
    y += 50
    if poster.codes:
        qr_size = 460 if len(poster.codes) > 1 else 560
        gap = (width - len(poster.codes) * qr_size) // (len(poster.codes) + 1)
        for index, code in enumerate(poster.codes):
            x = gap + index * (qr_size + gap)
            image.paste(qr_image(code.link, qr_size), (x, y))
            label_size = _fitting_size(code.label, 34, True, qr_size)
            draw.text(
                (x + qr_size // 2, y + qr_size + 12),
                code.label,
                font=font(label_size, True),
                fill=INK,
                anchor="mt",
            )
        y += qr_size + 110
    centred(poster.code_label, 36, False)
    centred(poster.code, _fitting_size(poster.code, 180, True, inner), True, 1.1)
    centred(poster.send_line, 36, False)
    if poster.catalogue:
        y += 20
        centred(poster.catalogue, _fitting_size(poster.catalogue, 34, False, inner), False)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, dpi=(DPI, DPI))
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------

PDF_MARGIN = 15.0


def _pdf_qr(pdf: FPDF, link: str, x: float, y: float, size: float) -> None:
    """A QR code as vector squares: sharp at any printer's resolution."""
    modules = qr_modules(link)
    step = size / len(modules)
    pdf.set_fill_color(0, 0, 0)
    for row, line in enumerate(modules):
        column = 0
        while column < len(line):
            if not line[column]:
                column += 1
                continue
            start = column
            while column < len(line) and line[column]:
                column += 1
            pdf.rect(x + start * step, y + row * step, (column - start) * step, step, style="F")


def render_pdf(poster: Poster) -> bytes:
    """The poster as a one-page A4 PDF with real (selectable) text."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(poster.community)
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    page_width = A4_MM[0]
    inner = page_width - 2 * PDF_MARGIN
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(1.0)
    pdf.rect(7, 7, page_width - 14, A4_MM[1] - 14)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(PDF_MARGIN, PDF_MARGIN + 3)

    def centred(text: str, size: float, bold: bool, line: float) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        while size > 10 and pdf.get_string_width(text) > inner and " " not in text:
            size -= 2
            pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_x(PDF_MARGIN)
        pdf.multi_cell(inner, line, text, align="C", new_x="LMARGIN", new_y="NEXT")

    centred(poster.community, 34, True, 14)
    if poster.area:
        centred(poster.area, 15, False, 8)
    pdf.ln(4)
    centred(poster.headline, 20, True, 10)
    centred(poster.why, 13, False, 7)
    pdf.ln(8)
    if poster.codes:
        size = 78.0 if len(poster.codes) > 1 else 95.0
        gap = (page_width - len(poster.codes) * size) / (len(poster.codes) + 1)
        top = pdf.get_y()
        for index, code in enumerate(poster.codes):
            x = gap + index * (size + gap)
            _pdf_qr(pdf, code.link, x, top, size)
            pdf.set_font("DejaVu", "B", 12)
            pdf.set_xy(x, top + size + 1)
            pdf.cell(size, 6, code.label, align="C")
        pdf.set_xy(PDF_MARGIN, top + size + 14)
    centred(poster.code_label, 13, False, 7)
    centred(poster.code, 64, True, 26)
    centred(poster.send_line, 13, False, 7)
    if poster.catalogue:
        pdf.ln(3)
        centred(poster.catalogue, 12, False, 7)
    return bytes(pdf.output())


# --- POSTER in chat -------------------------------------------------------------------------


@REGISTRY.command("poster", slash=("poster",), role=Role.COORDINATOR)
async def poster(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """POSTER: the community's join poster as a picture and as a printable PDF."""
    community = ctx.community
    assert community is not None
    sheet = poster_for(
        community, options=ctx.options, lang=ctx.lang, base_url=ctx.options.public_base_url
    )
    png = ctx.media.save(
        session=ctx.session,
        data=render_png(sheet),
        content_type="image/png",
        now=ctx.now,
        community_id=community.id,
    )
    pdf = ctx.media.save(
        session=ctx.session,
        data=render_pdf(sheet),
        content_type="application/pdf",
        now=ctx.now,
        community_id=community.id,
        filename=f"poster-{community.invite_code.lower()}.pdf",
    )
    key = "site.poster.sent" if sheet.codes else "site.poster.sent_no_links"
    public = "site.poster.public" if community.public_catalogue else "site.poster.private"
    return [
        Reply(text=ctx.t(key, code=community.invite_code), media=(png.id,)),
        Reply(text=ctx.t(public), documents=(pdf.id,)),
    ]
