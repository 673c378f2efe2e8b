"""A market transcript: members talk to the real router on a real SQLite file."""

import itertools
from collections.abc import Iterator

import pytest
from sqlmodel import col, select

from bot.app import Core, build_core
from handlers.messages import Channel, Incoming, MediaRef, Reply
from storage.db import transaction
from storage.media import MediaStore
from storage.models import Community, Member, OutboxMessage, Product, Role
from tests.factories import Transcript

_photos = itertools.count(1)
_messages = itertools.count(1)


class Market:
    """`await market.say("Siti", "JUAL Keripik 15rb")` -> the reply texts, like a chat log.

    The replies themselves (buttons, media) of each person's last message stay in
    `last[name]`; `press(name, "Pasang")` presses a button of that message.
    """

    def __init__(self, core: Core, community: Community) -> None:
        self.core, self.community = core, community
        self.chat = Transcript(core)
        self.last: dict[str, list[Reply]] = {}
        self.usernames: dict[str, str] = {}
        self.channels: dict[str, Channel] = {}

    def photo(self) -> str:
        """Keep a new (unique) photo in the media store; returns its media id."""
        with transaction(self.core.open_session) as session:
            media = MediaStore(self.core.settings.media_dir).save(
                session=session,
                data=f"jpeg-bytes-{next(_photos)}".encode(),
                content_type="image/jpeg",
                now=self.core.clock.now(),
            )
            return media.id

    async def say(
        self,
        name: str,
        text: str = "",
        *,
        photo: bool | str = False,
        payload: str | None = None,
        channel: Channel | None = None,
    ) -> list[str]:
        """Send a message as `name` (with a photo if asked) and return the reply texts.

        The channel is remembered per name, so a WhatsApp member keeps talking on WhatsApp.
        """
        channel = self.channels[name] = channel or self.channels.get(name, Channel.LOCAL)
        media_id = self.photo() if photo is True else photo or None
        msg = Incoming(
            channel=channel,
            message_id=f"cat{next(_messages)}",
            address=name,
            display_name=name,
            received_at=self.core.clock.now(),
            text=text,
            media=(MediaRef("photo", media_id),) if media_id else (),
            payload=payload,
            username=self.usernames.get(name),
        )
        replies = await self.core.router.handle(msg)
        await self.core.drain()
        self.last[name] = replies
        return [reply.text for reply in replies]

    async def press(self, name: str, label: str) -> list[str]:
        """Press the button whose label contains `label` in `name`'s last replies."""
        for reply in self.last.get(name, []):
            for button in reply.buttons:
                if label.casefold() in button.label.casefold():
                    return await self.say(name, payload=button.payload)
        raise AssertionError(f"no button {label!r} in {self.last.get(name)}")

    def buttons(self, name: str) -> list[str]:
        """Labels of the buttons in `name`'s last replies."""
        return [b.label for r in self.last.get(name, []) for b in r.buttons]

    async def join(self, name: str, *, channel: Channel = Channel.LOCAL) -> Member:
        """Join the community and give consent."""
        self.channels[name] = channel
        await self.chat.join(name, channel=channel)
        member = self.chat.member(name, channel)
        assert member is not None
        return member

    async def post(self, name: str, text: str, *, photo: bool = False) -> int:
        """Post and confirm a product in one go; returns its id."""
        await self.say(name, f"JUAL {text}", photo=photo)
        await self.press(name, "Pasang")
        return self.products()[-1].id or 0

    def coordinator(self, name: str) -> None:
        """Make `name` a coordinator."""
        self.chat.set_role(name, Role.COORDINATOR)

    def products(self) -> list[Product]:
        """Every product row, oldest first."""
        with self.core.open_session() as session:
            return list(session.exec(select(Product).order_by(Product.id)).all())  # type: ignore[arg-type]

    def outbox(self) -> list[OutboxMessage]:
        """Every outbox row, oldest first."""
        with self.core.open_session() as session:
            return list(
                session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind != "reply")
                    .order_by(col(OutboxMessage.id))
                ).all()
            )

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
        """A new process on the same database file: new engine, router and senders."""
        self.core.close()
        self.core = build_core(self.core.settings, self.core.clock)
        self.chat = Transcript(self.core)


@pytest.fixture
def market(core: Core, community: Community) -> Iterator[Market]:
    """A community (invite KBA13) and a transcript helper on it."""
    shop = Market(core, community)
    yield shop
    if shop.core is not core:
        shop.core.close()
