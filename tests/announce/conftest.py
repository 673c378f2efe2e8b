"""A kampung with members on every app, a coordinator, and the announcements job at hand."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.app import Core
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.messages import Channel
from jobs.announcements import run_announcements
from jobs.delivery import deliver_due
from storage.communities import get_or_create_identity, join_community
from storage.db import transaction
from storage.models import Announcement, Community, Event, Member, OutboxMessage, Rsvp
from tests.factories import Transcript

PRICE = 800
CAP = 3


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """A template message costs Rp800 here, and the sender may start 3 conversations a day."""
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        whatsapp_template_price_idr=PRICE,
        whatsapp_daily_business_initiated_cap=CAP,
        _env_file=None,  # type: ignore[call-arg]
    )


class Kampung(Transcript):
    """The transcript helper, plus the announcements job run the way the clock runs it."""

    @property
    def clock(self) -> ManualClock:
        clock = self.core.clock
        assert isinstance(clock, ManualClock)
        return clock

    async def minute(self, count: int = 1, *, batch: int | None = None) -> None:
        """Let `count` minutes pass, running the job and draining the outbox each minute
        (only `batch` rows a minute: a large send takes a while)."""
        for _ in range(count):
            self.clock.advance(timedelta(minutes=1))
            await run_announcements(self.core.job_env, self.clock.now())
            if batch is None:
                await self.core.drain()
            else:
                await deliver_due(
                    open_session=self.core.open_session,
                    senders=self.core.senders,
                    clock=self.clock,
                    batch=batch,
                )

    def crowd(self, count: int) -> None:
        """`count` members on the local channel (C1, C2 ...), straight into the database."""
        now = self.clock.now()
        with transaction(self.core.open_session) as session:
            community = session.get(Community, self.community.id)
            assert community is not None
            for n in range(1, count + 1):
                identity = get_or_create_identity(
                    session=session, channel="local", address=f"C{n}", display_name=f"C{n}", now=now
                )
                join_community(
                    session=session,
                    identity=identity,
                    community=community,
                    display_name=f"C{n}",
                    language="id",
                    phone=None,
                    now=now,
                )

    async def people(self, local: int = 0, telegram: int = 0, whatsapp: int = 0) -> None:
        """Members who joined on each app: L1.., T1.., and WhatsApp numbers W1.."""
        for n in range(1, local + 1):
            await self.join(f"L{n}", channel=Channel.LOCAL)
        for n in range(1, telegram + 1):
            await self.join(f"T{n}", channel=Channel.TELEGRAM)
        for n in range(1, whatsapp + 1):
            await self.join(wa(n), channel=Channel.WHATSAPP)

    async def coordinator_bu_rt(self) -> None:
        """Bu RT joins (on the local channel) and becomes the coordinator."""
        await self.join("Bu RT", channel=Channel.LOCAL)
        self.coordinator("Bu RT")

    def link(self, who: str, channel: str, address: str) -> None:
        """`who` also uses `channel` (as LINK does), active just now."""
        member = self.member(who)
        assert member is not None
        with transaction(self.core.open_session) as session:
            identity = get_or_create_identity(
                session=session,
                channel=channel,
                address=address,
                display_name=who,
                now=self.clock.now(),
            )
            identity.member_id = member.id
            identity.last_inbound_at = self.clock.now()
            session.add(identity)

    def change(self, who: str, **values: object) -> None:
        """Change `who`'s member row directly."""
        member = self.member(who)
        assert member is not None
        with transaction(self.core.open_session) as session:
            row = session.get(Member, member.id)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)
            session.add(row)

    def broadcast_rows(self, announcement_id: int = 1) -> list[OutboxMessage]:
        """The outbox rows carrying one announcement, in order."""
        with self.core.open_session() as session:
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.broadcast_id == announcement_id)
                .order_by(col(OutboxMessage.id))
            )
            return list(session.exec(query).all())

    def announcement(self, announcement_id: int = 1) -> Announcement:
        with self.core.open_session() as session:
            row = session.get(Announcement, announcement_id)
            assert row is not None
            return row

    def event_with(self, title: str, *going: str, maybe: tuple[str, ...] = ()) -> int:
        """An event in three days; `going` answered Hadir, `maybe` Mungkin. Its id."""
        now = self.clock.now()
        with transaction(self.core.open_session) as session:
            event = Event(
                community_id=self.community.id or 0,
                title=title,
                starts_at=now + timedelta(days=3),
                created_at=now,
                updated_at=now,
            )
            session.add(event)
            session.flush()
            for names, answer in ((going, "hadir"), (maybe, "mungkin")):
                for who in names:
                    member = self.member(who)
                    assert member is not None
                    session.add(
                        Rsvp(
                            community_id=event.community_id,
                            event_id=event.id or 0,
                            occurrence=event.starts_at,
                            member_id=member.id or 0,
                            answer=answer,
                            created_at=now,
                            updated_at=now,
                        )
                    )
            return event.id or 0


def wa(n: int) -> str:
    """The n-th WhatsApp member's number."""
    return f"+6281200000{n:03d}"


@pytest.fixture
def kampung(core: Core, community: Community) -> Iterator[Kampung]:
    """KBA 13 Ulu (WIB, invite KBA13) and the transcript helper on it."""
    town = Kampung(core, community)
    yield town
    if town.core is not core:
        town.core.close()


@pytest.fixture
def group(core: Core, community: Community) -> str:
    """The community's linked Telegram group."""
    chat_id = "-100777"
    with transaction(core.open_session) as session:
        row = session.get(Community, community.id)
        assert row is not None
        row.telegram_group_chat_id = chat_id
        session.add(row)
    return chat_id
