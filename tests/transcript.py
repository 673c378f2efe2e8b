"""One transcript helper for every channel: say, press a button, read the last replies,
switch channel; tests read like a chat log.

    await chat.join("Siti")
    card = await chat.texts("Siti", "JUAL Keripik 15rb")
    await chat.press("Siti", "Pasang")
    chat.switch("Siti", Channel.WHATSAPP)

A person's messages travel on a `Line`. By default every channel's line hands an `Incoming`
straight to the router (`RouterLine`), as the local channel does; a test of the real
Telegram or WhatsApp path plugs in `TelegramLine` (tests/telegram/line.py: a real PTB
Application against the fake Bot API) or `WhatsAppLine` (tests/whatsapp/line.py: signed
webhooks into the real web app, replies read at the fake Twilio) with `chat.use(line)`,
and the same test vocabulary drives it.
"""

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from sqlmodel import col, select

from bot.app import Core, build_core
from bot.channels.rendering import numbered_texts
from handlers.messages import Button, Channel, Incoming, MediaRef, Reply
from jobs.sending import Outbound, PermanentFailure, RetryLater, SendResult
from storage.db import transaction
from storage.media import MediaStore
from storage.models import ChannelIdentity, Community, Member, OutboxMessage, Product, Role

__all__ = ["Line", "RecordingSender", "RouterLine", "Said", "Transcript"]

_ids = itertools.count(1)
_photos = itertools.count(1)


@dataclass(frozen=True)
class Said:
    """What a person sends, before a channel shapes it: text, a button press, media."""

    text: str = ""
    payload: str | None = None
    media: tuple[MediaRef, ...] = ()
    message_id: str | None = None
    language_hint: str | None = None
    display_name: str | None = None
    username: str | None = None
    chat_id: str | None = None
    is_group: bool = False


class Line(Protocol):
    """How one channel carries a person's message to Guyub and brings the replies back."""

    channel: Channel

    async def send(self, who: str, said: Said) -> list[Reply]:
        """Deliver `said` from `who`; the replies `who` got, once Guyub is done with it."""
        ...

    def pressing(self, button: Button) -> Said:
        """What pressing `button` sends on this channel (a payload, or a typed number)."""
        ...

    def address(self, who: str) -> str:
        """`who`'s address on this channel (a user id, a phone number, a local name)."""
        ...

    def new_photo(self) -> MediaRef:
        """A new photo as this channel would carry it."""
        ...


@dataclass
class RecordingSender:
    """A channel that remembers what it was asked to send, and fails on request."""

    channel: str
    sent: list[Outbound] = field(default_factory=list)  # what the bot started itself
    replies: list[Outbound] = field(default_factory=list)  # answers, also returned by `say`
    failures: list[Exception] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def send(self, outbound: Outbound) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        done = self.replies if outbound.kind == "reply" else self.sent
        done.append(outbound)
        async with self._changed:
            self._changed.notify_all()
        return SendResult(provider_id=f"{self.channel}-{len(done)}")

    async def wait_for(self, count: int) -> list[Outbound]:
        """Everything sent, once at least `count` messages were (a worker sends them)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.sent) >= count)
        return self.sent

    def texts_to(self, address: str) -> list[str]:
        return [o.reply.text for o in self.sent if o.address == address]

    def fail_next(self, error: RetryLater | PermanentFailure) -> None:
        self.failures.append(error)


class RouterLine:
    """The router itself, as the local channel uses it: `who` is the address."""

    def __init__(self, transcript: "Transcript", channel: Channel) -> None:
        self.transcript, self.channel = transcript, channel

    async def send(self, who: str, said: Said) -> list[Reply]:
        core = self.transcript.core
        msg = Incoming(
            channel=self.channel,
            message_id=said.message_id or f"m{next(_ids)}",
            address=self.address(who),
            display_name=said.display_name or who,
            received_at=core.clock.now(),
            text=said.text,
            payload=said.payload,
            media=said.media,
            username=said.username,
            language_hint=said.language_hint,
            chat_id=said.chat_id,
            is_group=said.is_group,
        )
        return await self.replies(msg)

    async def replies(self, msg: Incoming) -> list[Reply]:
        """The one place replies come from: what the router answers (then the outbox drains)."""
        core = self.transcript.core
        replies = await core.router.handle(msg)
        await core.drain()
        return replies

    def pressing(self, button: Button) -> Said:
        return Said(payload=button.payload)

    def address(self, who: str) -> str:
        return who

    def new_photo(self) -> MediaRef:
        return MediaRef("photo", self.transcript.photo())


class Transcript:
    """People talking to Guyub, each on their own channel; reads like a chat log in tests.

    Each person's last replies are kept (`last`, `buttons`), so `press` can press a button
    of them, on whichever line that person is.
    """

    def __init__(self, core: Core, community: Community | None = None) -> None:
        self.core, self._community = core, community
        self.senders = {c: RecordingSender(c) for c in ("local", "telegram", "whatsapp")}
        self.recording = [name for name in self.senders if name not in core.senders]
        for name in self.recording:  # a real channel's sender stays
            core.add_sender(self.senders[name])
        self.lines: dict[Channel, Line] = {c: RouterLine(self, c) for c in Channel}
        self.default = Channel.LOCAL
        self.channels: dict[str, Channel] = {}
        self.usernames: dict[str, str] = {}
        self._last: dict[str, list[Reply]] = {}

    @property
    def community(self) -> Community:
        """The community the test set up (the `community` fixture)."""
        assert self._community is not None, "Transcript(core, community) needed"
        return self._community

    # -- the lines ------------------------------------------------------------------------

    def use(self, line: Line, *, default: bool = False) -> None:
        """Carry `line.channel`'s messages on `line` (a real channel) from now on; with
        `default`, everyone not switched elsewhere writes on it."""
        self.lines[line.channel] = line
        if default:
            self.default = line.channel

    def switch(self, who: str, channel: Channel) -> None:
        """`who` writes on `channel` from now on."""
        self.channels[who] = channel

    # -- saying and pressing --------------------------------------------------------------

    async def say(
        self,
        who: str,
        text: str = "",
        *,
        channel: Channel | None = None,
        payload: str | None = None,
        press: str | None = None,
        photo: bool | str = False,
        media: Sequence[MediaRef] = (),
        message_id: str | None = None,
        language_hint: str | None = None,
        display_name: str | None = None,
        chat_id: str | None = None,
        is_group: bool = False,
    ) -> list[Reply]:
        """Send a message from `who` (on their channel, or `channel` from now on); the replies.

        `press` presses the button of `who`'s last replies whose label contains it; `photo`
        attaches a new photo (True) or a kept one (its media id).
        """
        if channel is not None:
            self.channels[who] = channel
        line = self.lines[self.channels.get(who, self.default)]
        if press is not None:
            said = line.pressing(self.button(who, press))
        else:
            attached = list(media)
            if photo is True:
                attached.append(line.new_photo())
            elif isinstance(photo, str):
                attached.append(MediaRef("photo", photo))
            said = Said(text=text, payload=payload, media=tuple(attached))
        said = replace(
            said,
            message_id=message_id,
            language_hint=language_hint,
            display_name=display_name,
            username=self.usernames.get(who),
            chat_id=chat_id,
            is_group=is_group,
        )
        replies = self._last[who] = await line.send(who, said)
        return replies

    async def press(self, who: str, label: str) -> list[Reply]:
        """Press the button whose label contains `label` in `who`'s last replies."""
        return await self.say(who, press=label)

    async def texts(self, who: str, text: str = "", **kwargs: object) -> list[str]:
        """`say`, returning the texts of the replies."""
        return [reply.text for reply in await self.say(who, text, **kwargs)]  # type: ignore[arg-type]

    async def bodies(self, who: str, text: str = "", **kwargs: object) -> list[str]:
        """`say`, returning each reply as one message body with its buttons numbered on
        through the batch, as WhatsApp (and the local channel) show them."""
        return numbered_texts(await self.say(who, text, **kwargs))  # type: ignore[arg-type]

    async def text(self, who: str, text: str = "", **kwargs: object) -> str:
        """The replies as one text, buttons numbered as WhatsApp would show them."""
        return "\n".join(numbered_texts(await self.say(who, text, **kwargs)))  # type: ignore[arg-type]

    # -- reading --------------------------------------------------------------------------

    def last(self, who: str) -> list[Reply]:
        """The replies to `who`'s last message."""
        return self._last.get(who, [])

    def buttons(self, who: str) -> list[str]:
        """Labels of the buttons in `who`'s last replies."""
        return [b.label for r in self.last(who) for b in r.buttons]

    def button(self, who: str, label: str) -> Button:
        """The button of `who`'s last replies whose label contains `label`."""
        for reply in self.last(who):
            for button in reply.buttons:
                if label.casefold() in button.label.casefold():
                    return button
        raise AssertionError(f"no button {label!r} in {self.last(who)}")

    def delivered(self, who: str, channel: str = "local") -> list[str]:
        """Texts the outbox delivered to `who` (through the recording senders)."""
        return self.senders[channel].texts_to(who)

    # -- people ---------------------------------------------------------------------------

    async def join(
        self,
        who: str,
        *,
        invite: str = "KBA13",
        channel: Channel | None = None,
        language_hint: str | None = None,
    ) -> Member:
        """Join the community and give consent; the new member."""
        await self.say(who, f"GABUNG {invite}", channel=channel, language_hint=language_hint)
        replies = await self.say(who, "1")
        assert any("anggota" in r.text or "member" in r.text for r in replies), replies
        member = self.member(who)
        assert member is not None
        return member

    def member(self, who: str, channel: Channel | None = None) -> Member | None:
        """The member behind `who` on their channel, fresh from the database."""
        channel = channel or self.channels.get(who, self.default)
        address = self.lines[channel].address(who)
        with self.core.open_session() as session:
            identity = session.exec(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.address == address
                )
            ).first()
            if identity is None or identity.member_id is None:
                return None
            return session.get(Member, identity.member_id)

    def set_role(self, who: str, role: Role) -> None:
        """Give `who` a role (as `guyub member promote` does)."""
        member = self.member(who)
        assert member is not None
        with transaction(self.core.open_session) as session:
            row = session.get(Member, member.id)
            assert row is not None
            row.role = role
            session.add(row)

    def coordinator(self, who: str) -> None:
        """Make `who` a coordinator."""
        self.set_role(who, Role.COORDINATOR)

    # -- the catalogue's builders ---------------------------------------------------------

    def photo(self) -> str:
        """Keep a new (unique) photo in the media store; its media id."""
        with transaction(self.core.open_session) as session:
            media = MediaStore(self.core.settings.media_dir).save(
                session=session,
                data=f"jpeg-bytes-{next(_photos)}".encode(),
                content_type="image/jpeg",
                now=self.core.clock.now(),
            )
            return media.id

    async def post(self, who: str, text: str, *, photo: bool = False) -> int:
        """Post and confirm a product in one go; its id."""
        await self.say(who, f"JUAL {text}", photo=photo)
        await self.press(who, "Pasang")
        return self.products()[-1].id or 0

    def products(self) -> list[Product]:
        """Every product row, oldest first."""
        with self.core.open_session() as session:
            return list(session.exec(select(Product).order_by(col(Product.id))).all())

    def outbox(self) -> list[OutboxMessage]:
        """Every outbox row the bot started itself (not replies), oldest first."""
        with self.core.open_session() as session:
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.kind != "reply")
                .order_by(col(OutboxMessage.id))
            )
            return list(session.exec(query).all())

    def update(self, product_id: int, **values: object) -> None:
        """Change a product row directly (to set up ages and states)."""
        with transaction(self.core.open_session) as session:
            product = session.get(Product, product_id)
            assert product is not None
            for key, value in values.items():
                setattr(product, key, value)
            session.add(product)

    def community_max(self, limit: int) -> None:
        """Allow each seller `limit` active products."""
        with transaction(self.core.open_session) as session:
            community = session.get(Community, self.community.id)
            assert community is not None
            community.max_active_products = limit
            session.add(community)

    def restart(self) -> None:
        """A new process on the same database file: new engine and router, same people."""
        self.core.close()
        self.core = build_core(self.core.settings, self.core.clock)
        for name in self.recording:
            self.core.add_sender(self.senders[name])
