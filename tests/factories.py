"""Builders and test doubles: chat transcripts through the real router, recording senders."""

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Core
from bot.channels.rendering import numbered_texts
from handlers.messages import Channel, Incoming, MediaRef, Reply
from jobs.sending import Outbound, PermanentFailure, RetryLater, SendResult
from storage.communities import create_community
from storage.db import transaction
from storage.models import ChannelIdentity, Community, Member, Role

_ids = itertools.count(1)


def make_community(
    core: Core, *, name: str = "KBA 13 Ulu", invite: str = "KBA13", timezone: str = "Asia/Jakarta"
) -> Community:
    """A community, as `guyub community create` makes it."""
    with transaction(core.open_session) as session:
        return create_community(
            session=session,
            name=name,
            invite_code=invite,
            timezone=timezone,
            language="id",
            now=core.clock.now(),
        )


@dataclass
class RecordingSender:
    """A channel that remembers what it was asked to send, and fails on request."""

    channel: str
    sent: list[Outbound] = field(default_factory=list)  # what the bot started itself
    replies: list[Outbound] = field(default_factory=list)  # answers, also returned by `say`
    failures: list[Exception] = field(default_factory=list)

    async def send(self, outbound: Outbound) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        done = self.replies if outbound.kind == "reply" else self.sent
        done.append(outbound)
        return SendResult(provider_id=f"{self.channel}-{len(done)}")

    def texts_to(self, address: str) -> list[str]:
        return [o.reply.text for o in self.sent if o.address == address]

    def fail_next(self, error: RetryLater | PermanentFailure) -> None:
        self.failures.append(error)


class Transcript:
    """Talk to the real router the way a channel would; reads like a chat log in tests."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.senders = {c: RecordingSender(c) for c in ("local", "telegram", "whatsapp")}
        for sender in self.senders.values():
            core.add_sender(sender)

    async def say(
        self,
        who: str,
        text: str = "",
        *,
        channel: Channel = Channel.LOCAL,
        payload: str | None = None,
        media: Sequence[MediaRef] = (),
        message_id: str | None = None,
        language_hint: str | None = None,
        display_name: str | None = None,
        chat_id: str | None = None,
        is_group: bool = False,
    ) -> list[Reply]:
        """Send a message from `who` and return the replies (deliveries are drained too)."""
        msg = Incoming(
            channel=channel,
            message_id=message_id or f"m{next(_ids)}",
            address=who,
            display_name=display_name or who,
            received_at=self.core.clock.now(),
            text=text,
            payload=payload,
            media=tuple(media),
            language_hint=language_hint,
            chat_id=chat_id,
            is_group=is_group,
        )
        replies = await self.core.router.handle(msg)
        await self.core.drain()
        return replies

    async def text(self, who: str, text: str = "", **kwargs: object) -> str:
        """The replies as one text, buttons numbered as WhatsApp would show them."""
        return "\n".join(numbered_texts(await self.say(who, text, **kwargs)))  # type: ignore[arg-type]

    async def join(
        self,
        who: str,
        *,
        invite: str = "KBA13",
        channel: Channel = Channel.LOCAL,
        language_hint: str | None = None,
    ) -> None:
        """Join the community and give consent."""
        await self.say(who, f"GABUNG {invite}", channel=channel, language_hint=language_hint)
        replies = await self.say(who, "1", channel=channel)
        assert any("anggota" in r.text or "member" in r.text for r in replies), replies

    def member(self, who: str, channel: Channel = Channel.LOCAL) -> Member | None:
        """The member behind an address, fresh from the database."""
        with self.core.open_session() as session:
            identity = session.exec(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.address == who
                )
            ).first()
            if identity is None or identity.member_id is None:
                return None
            return session.get(Member, identity.member_id)

    def set_role(self, who: str, role: Role) -> None:
        """Make someone a coordinator (as `guyub member promote` does)."""
        member = self.member(who)
        assert member is not None
        with transaction(self.core.open_session) as session:
            row = session.get(Member, member.id)
            assert row is not None
            row.role = role
            session.add(row)

    def delivered(self, who: str, channel: str = "local") -> list[str]:
        """Texts the outbox delivered to `who`."""
        return self.senders[channel].texts_to(who)


SELLER_SAMPLES = Path(__file__).resolve().parents[2] / "shared/samples/seller_posts.jsonl"
"""The shared seller posts with their expected prices (../shared beside the checkout)."""


def seller_sample_params() -> list[Any]:
    """One pytest param per shared seller-post sample, or one skip when shared/ is absent."""
    if not SELLER_SAMPLES.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SELLER_SAMPLES} not found"))]
    lines = SELLER_SAMPLES.read_text(encoding="utf-8").splitlines()
    return [
        pytest.param(json.loads(line), id=f"line{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
