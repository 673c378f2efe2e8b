"""The local channel: the offline face of Guyub, in a terminal or from a transcript file.

Script lines:
    NAME: message        a message from local user NAME (`\\n` for a new line;
                         `[foto]` or `[foto FILE]` attaches a photo, `[stiker]` a sticker;
                         `[teruskan OTHER]` forwards the first message Guyub last sent OTHER)
    @clock 2026-12-09 18:00   move the simulated clock (community's zone), running due jobs
    @channel whatsapp    render replies the way WhatsApp (numbers) or Telegram (keyboard) would
    # comment
"""

import logging
import re
import struct
import uuid
import zlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.app import Core
from bot.channels.rendering import numbered_text
from handlers.clock import ManualClock, OffsetClock
from handlers.messages import Channel, Incoming, MediaRef, Reply
from jobs.scheduler import build_specs, due_between
from jobs.sending import Outbound, SendResult
from storage.db import transaction
from storage.models import ChannelIdentity, Community

__all__ = ["LocalChat", "LocalSender", "ask_name", "tiny_png"]

log = logging.getLogger(__name__)

MEDIA_MARK = re.compile(r"\[(foto|photo|stiker|sticker|suara|voice)(?:\s+([^\]]+))?\]\s*", re.I)
FORWARD_MARK = re.compile(r"\[(?:teruskan|forward)\s+([^\]]+)\]", re.I)
STYLES = ("local", "whatsapp", "telegram")


def tiny_png(seed: str) -> bytes:
    """A valid one-pixel PNG whose colour depends on `seed`: a stand-in photo offline."""
    colour = zlib.crc32(seed.encode()).to_bytes(4, "big")[:3]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + colour)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def render(
    name: str,
    replies: list[Reply],
    style: str,
    note: str = "",
    where: Callable[[str], str] = str,
) -> str:
    """Replies as the chosen channel would show them, with the recipient and button numbers;
    a document shows as the file `where` finds for its media id."""
    blocks, number = [], 1
    for reply in replies:
        lines = []
        if reply.media:
            lines.append("[📷 foto]")
        if style == "telegram":
            lines.append(reply.text)
            if reply.buttons:
                keys = " ".join(f"[{number + i}: {b.label}]" for i, b in enumerate(reply.buttons))
                lines.append(keys)
        else:
            lines.append(numbered_text(reply, number))
        lines.extend(f"[📄 {where(d)}]" for d in reply.documents)
        number += len(reply.buttons)
        body = "\n".join(lines).replace("\n", "\n    ")
        blocks.append(f"  Guyub → {name}{note}:\n    {body}")
    return "\n".join(blocks)


async def ask_name(
    read_line: Callable[[], Awaitable[str]], emit: Callable[[str], None]
) -> str | None:
    """The local user's name, asked once at the start of a terminal chat; None at end of input.

    Guyub greets people by name ("Terima kasih, Siti!"), so a terminal user gets asked
    instead of being called something made up. `--as NAME` (or `@as NAME`) skips the question.
    """
    while True:
        emit("Siapa nama Anda? (What is your name?) ")
        line = await read_line()
        if not line:
            return None
        name = " ".join(line.split())[:64]
        if name and not name.startswith(("@", "#")):
            return name


class LocalSender:
    """Delivers outbox messages to local users by printing them."""

    channel = "local"

    def __init__(self, emit: Callable[[str], None], style: Callable[[], str]) -> None:
        self.emit, self.style = emit, style
        self.count = 0

    async def send(self, outbound: Outbound) -> SendResult:
        self.count += 1
        if outbound.kind == "reply":  # printed already, as `say` returned it
            return SendResult(provider_id=f"local-{self.count}")
        self.emit(render(outbound.address, [outbound.reply], self.style(), f" ({outbound.kind})"))
        return SendResult(provider_id=f"local-{self.count}")


class LocalChat:
    """Talk to the router as local users; prints every reply with its recipient."""

    def __init__(self, core: Core, emit: Callable[[str], None] = print) -> None:
        self.core, self.emit = core, emit
        self.style = "local"
        self.sender = LocalSender(emit, lambda: self.style)
        self.last: dict[str, list[Reply]] = {}  # what each person was last answered
        core.add_sender(self.sender)

    async def say(self, name: str, text: str) -> list[Reply]:
        """Send `text` as local user `name` and print the answer and any deliveries."""
        forward = FORWARD_MARK.fullmatch(text.strip())
        if forward:  # a message someone forwarded from another chat (a share, say)
            earlier = self.last.get(forward.group(1).strip(), [])
            text = next((reply.text for reply in earlier if reply.text), "")
        media: list[MediaRef] = []
        for match in MEDIA_MARK.finditer(text):
            media.append(self._media(match.group(1).lower(), match.group(2)))
        text = MEDIA_MARK.sub("", text).replace("\\n", "\n").strip()
        msg = Incoming(
            channel=Channel.LOCAL,
            message_id=f"local-{uuid.uuid4().hex}",
            address=name,
            display_name=name,
            received_at=self.core.clock.now(),
            text=text,
            media=tuple(media),
        )
        replies = await self.core.router.handle(msg)
        self.last[name] = replies
        if replies:
            self.emit(render(name, replies, self.style, where=self._file_of))
        await self.core.drain()
        return replies

    def _file_of(self, media_id: str) -> str:
        """Where a document sent to a local user lies on disk."""
        with self.core.open_session() as session:
            row = self.core.media.get(session=session, media_id=media_id)
        return str(self.core.media.path_of(row)) if row else media_id

    def _media(self, kind: str, path: str | None) -> MediaRef:
        if kind not in {"foto", "photo"}:
            return MediaRef("sticker" if kind.startswith("st") else "audio", f"local:{kind}")
        file = Path(path).expanduser() if path else None
        data = file.read_bytes() if file and file.is_file() else tiny_png(path or "foto")
        content_type = (
            "image/jpeg" if file and file.suffix.lower() in {".jpg", ".jpeg"} else "image/png"
        )
        with transaction(self.core.open_session) as session:
            row = self.core.media.save(
                session=session, data=data, content_type=content_type, now=self.core.clock.now()
            )
            return MediaRef("photo", row.id, content_type)

    async def line(self, raw: str) -> None:
        """Act on one script line."""
        line = raw.strip()
        if not line or line.startswith("#"):
            return
        if line.startswith("@clock"):
            await self.move_clock(line.removeprefix("@clock").strip())
        elif line.startswith("@channel"):
            style = line.removeprefix("@channel").strip().lower()
            if style in STYLES:
                self.style = style
                self.emit(f"-- tampilan: {style} --")
            else:
                self.emit(f"!! @channel needs one of {', '.join(STYLES)}")
        elif ":" in line and line.split(":", 1)[0].strip():
            name, text = line.split(":", 1)
            self.emit(f"{name.strip()} > {text.strip()}")
            await self.say(name.strip(), text.strip())
        else:
            self.emit(f"!! not understood (expected NAME: message): {line[:60]}")

    async def move_clock(self, when_text: str) -> None:
        """`@clock`: move simulated time, running every scheduled job that falls due on the way."""
        clock = self.core.clock
        if not isinstance(clock, ManualClock | OffsetClock):
            self.emit("!! @clock needs a simulated clock")
            return
        with self.core.open_session() as session:
            real_members = session.exec(
                select(ChannelIdentity.id).where(
                    col(ChannelIdentity.channel).in_(["telegram", "whatsapp"]),
                    col(ChannelIdentity.member_id).is_not(None),
                )
            ).first()
            community = session.exec(select(Community).order_by(col(Community.id))).first()
        if real_members is not None:
            self.emit(
                "!! @clock refused: this database has real Telegram/WhatsApp members, "
                "and a rehearsal must never send them real messages."
            )
            return
        zone = ZoneInfo(community.timezone if community else self.core.settings.default_timezone)
        try:
            target = datetime.strptime(when_text, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            self.emit("!! @clock needs a time like 2026-12-09 18:00")
            return
        start = clock.now()
        if target < start:
            self.emit(
                f"!! @clock cannot go back; it is already {start.astimezone(zone):%Y-%m-%d %H:%M}"
            )
            return
        for fire_time, spec in due_between(build_specs(self.core.job_env), start, target):
            clock.set(fire_time)
            try:
                await spec.run(fire_time)
            except Exception as error:  # a rehearsal reports a broken job and goes on, as live
                log.exception("job %s failed at %s", spec.id, fire_time)
                self.emit(f"!! job {spec.id} failed: {error!r}")
            await self.core.drain()
        clock.set(target)
        await self.core.drain()
        self.emit(f"-- jam: {target:%Y-%m-%d %H:%M} {zone_label(zone)} --")


def zone_label(zone: ZoneInfo) -> str:
    """WIB, WITA or WIT, as Indonesians name their zones."""
    return {
        "Asia/Jakarta": "WIB",
        "Asia/Pontianak": "WIB",
        "Asia/Makassar": "WITA",
        "Asia/Jayapura": "WIT",
    }.get(zone.key, zone.key)
