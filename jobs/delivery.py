"""The delivery worker: drains the outbox through the channels' senders.

Opt-out and reachability are checked here, at send time, not when an audience was built.
"""

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from handlers.buttons import gather_notice
from handlers.clock import Clock
from handlers.messages import payload_to_reply
from jobs.sending import Outbound, PermanentFailure, RetryLater, Sender, SendResult
from storage.communities import find_identity, identities_of
from storage.conversations import load_state
from storage.db import SessionFactory, transaction
from storage.models import (
    ChannelIdentity,
    Community,
    Member,
    OutboxLane,
    OutboxMessage,
    OutboxStatus,
)
from storage.outbox import claim_due, mark_failed, mark_retry, mark_sent, release_stuck

__all__ = ["DeliveryReport", "DeliveryWorker", "deliver_due"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
STUCK_AFTER = timedelta(minutes=10)
NO_SENDER_DELAY = timedelta(minutes=5)


@dataclass
class DeliveryReport:
    """Counts of one drain, by outcome."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class _Planned:
    row_id: int
    identity_id: int | None
    channel: str | None
    outbound: Outbound | None
    skip_reason: str | None = None
    alternatives: int = 0  # other usable apps of the same member, if this one fails


REPLY_MAX_ATTEMPTS = 10  # a reply outlives a Twilio or Telegram outage of about 40 minutes


def backoff(attempts: int, lane: int = OutboxLane.NOTICE) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour; replies start at 5 s (someone is waiting).

    Deterministic, so tests can predict it.
    """
    first = 5 if lane == OutboxLane.REPLY else 30
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), 3600))


def _max_attempts(row: OutboxMessage) -> int:
    return REPLY_MAX_ATTEMPTS if row.lane == OutboxLane.REPLY else MAX_ATTEMPTS


def _plan_reply(
    row: OutboxMessage,
    member: Member | None,
    identity: ChannelIdentity | None,
    senders: Mapping[str, Sender],
) -> _Planned:
    """A reply goes back where the message came from: no opt-out (they wrote to us), no
    other app; the 24-hour window counts from their last message."""
    assert row.address is not None and row.channel is not None
    if row.channel not in senders:
        return _Planned(row.id or 0, None, None, None, "no_sender")
    reply = payload_to_reply(row.payload, kind=row.kind)
    language = member.language if member else (identity.language if identity else None)
    number_from = row.payload.get("number_from", 1)
    outbound = Outbound(
        row.chat_id or row.address,
        reply,
        row.kind,
        language or "id",
        identity.last_inbound_at if identity else row.created_at,
        str(row.id),
        number_from if isinstance(number_from, int) else 1,
    )
    # in a group, an unreachable chat is the group, not this person
    identity_id = identity.id if identity is not None and row.chat_id is None else None
    return _Planned(row.id or 0, identity_id, row.channel, outbound)


def _plan(
    row: OutboxMessage,
    member: Member | None,
    identities: list[ChannelIdentity],
    senders: Mapping[str, Sender],
    group_language: str = "id",
) -> _Planned:
    reply = payload_to_reply(row.payload, kind=row.kind)
    if (
        row.chat_id is not None and row.community_id is not None
    ):  # a group chat (Telegram), not a person
        if "telegram" not in senders:
            return _Planned(row.id or 0, None, None, None, "no_channel")
        outbound = Outbound(row.chat_id, reply, row.kind, group_language, None, str(row.id))
        return _Planned(row.id or 0, None, "telegram", outbound)
    if member is None:
        return _Planned(row.id or 0, None, None, None, "member_gone")
    if member.opted_out_at is not None:
        return _Planned(row.id or 0, None, None, None, "opted_out")
    reachable = [i for i in identities if i.unreachable_at is None]
    usable = [i for i in reachable if i.channel in senders]
    if not usable:
        # reachable only on a channel this process does not run (a local rehearsal on a
        # live database): leave it for the process that does
        reason = "no_sender" if reachable else "unreachable"
        return _Planned(row.id or 0, None, None, None, reason)
    preferred = row.payload.get("channel")  # an announcement picks one app (Telegram: free)
    if preferred:
        usable.sort(key=lambda i: i.channel != preferred)
    identity = usable[0]  # else the app they used most recently
    outbound = Outbound(
        identity.address, reply, row.kind, member.language, identity.last_inbound_at, str(row.id)
    )
    return _Planned(row.id or 0, identity.id, identity.channel, outbound, None, len(usable) - 1)


async def _send(plan: _Planned, senders: Mapping[str, Sender]) -> SendResult | Exception:
    assert plan.outbound is not None and plan.channel is not None
    try:
        return await senders[plan.channel].send(plan.outbound)
    except (RetryLater, PermanentFailure) as error:
        return error
    except Exception as error:  # a sender bug must not lose the row
        log.exception("sender %s failed on outbox row %s", plan.channel, plan.row_id)
        return RetryLater(f"unexpected: {error!r}")


def _plan_row(session: Session, row: OutboxMessage, senders: Mapping[str, Sender]) -> _Planned:
    member = session.get(Member, row.member_id) if row.member_id else None
    if row.address is not None and row.channel is not None:
        identity = find_identity(session=session, channel=row.channel, address=row.address)
        return _plan_reply(row, member, identity, senders)
    identities = list(identities_of(session=session, member_id=member.id or 0)) if member else []
    community = (
        session.get(Community, row.community_id) if row.chat_id and row.community_id else None
    )
    return _plan(row, member, identities, senders, community.language if community else "id")


async def deliver_due(
    *,
    open_session: SessionFactory,
    senders: Mapping[str, Sender],
    clock: Clock,
    batch: int = 200,
    inbox_id: int | None = None,
    lane: int | None = None,
) -> DeliveryReport:
    """Send every due outbox row once, replies first; senders apply their own rate limits.

    `inbox_id` sends only the replies to that message (right after it was handled).
    Rows for one address go out one after another, in order; different addresses
    concurrently.
    """
    report = DeliveryReport()
    with transaction(open_session) as session:
        now = clock.now()
        if inbox_id is None:
            release_stuck(session=session, older_than=STUCK_AFTER, now=now)
        claimed = claim_due(session=session, now=now, limit=batch, inbox_id=inbox_id, lane=lane)
        plans = [_plan_row(session, row, senders) for row in claimed]
    with transaction(open_session) as session:
        now = clock.now()
        for plan in plans if any(plan.skip_reason for plan in plans) else []:
            skipped = session.get(OutboxMessage, plan.row_id)
            if skipped is None or plan.skip_reason is None:
                continue
            row = skipped
            if plan.skip_reason == "no_sender":
                row.attempts -= 1
                mark_retry(
                    session=session,
                    row=row,
                    error="no sender for this channel here",
                    retry_at=now + NO_SENDER_DELAY,
                    now=now,
                    max_attempts=MAX_ATTEMPTS,
                )
                report.add("deferred")
                continue
            mark_failed(
                session=session,
                row=row,
                status=OutboxStatus.SKIPPED,
                error=plan.skip_reason,
                error_code=None,
                now=now,
            )
            report.add("skipped")

    async def send_and_record(plan: _Planned) -> None:
        outcome = await _send(plan, senders)
        # each outcome is committed as soon as it is known, so a status callback that
        # arrives right after the send finds the provider's id already stored
        with transaction(open_session) as session:
            if isinstance(outcome, SendResult) and _sent(outcome):  # usual: row not loaded
                if _record_sent(session, plan, outcome, clock.now()):  # False: erased meanwhile
                    report.add("sent")
                return
            row = session.get(OutboxMessage, plan.row_id)
            if row is not None:  # None: erased meanwhile
                report.add(_record(session, row, plan, outcome, clock.now()))

    async def send_in_order(queue: list[_Planned]) -> None:
        for plan in queue:
            await send_and_record(plan)

    queues: dict[tuple[str | None, str], list[_Planned]] = {}
    for plan in plans:
        if plan.outbound is not None:
            queues.setdefault((plan.channel, plan.outbound.address), []).append(plan)
    await asyncio.gather(*(send_in_order(queue) for queue in queues.values()))
    if report.total:
        log.info("delivery: %s", report.counts)
    return report


def _record(
    session: Session,
    row: OutboxMessage,
    plan: _Planned,
    outcome: SendResult | Exception,
    now: datetime,
) -> str:
    if isinstance(outcome, SendResult):
        if outcome.status == OutboxStatus.NEEDS_TEMPLATE:
            mark_failed(
                session=session,
                row=row,
                status=OutboxStatus.NEEDS_TEMPLATE,
                error="outside the 24-hour window and no template configured",
                error_code=None,
                now=now,
                channel=plan.channel,
            )
            return "needs_template"
        _record_sent(session, plan, outcome, now)
        return "sent"
    if isinstance(outcome, PermanentFailure):
        if outcome.unreachable and row.chat_id is not None and row.community_id is not None:
            _unlink_group(session, row.community_id, row.chat_id)
        if outcome.unreachable and plan.identity_id is not None:
            identity = session.get(ChannelIdentity, plan.identity_id)
            if identity is not None:
                identity.unreachable_at, identity.unreachable_reason = now, str(outcome)[:200]
                session.add(identity)
        if outcome.unreachable and plan.alternatives:
            # another app of the same member may still reach them
            mark_retry(
                session=session,
                row=row,
                error=str(outcome),
                retry_at=now,
                now=now,
                max_attempts=MAX_ATTEMPTS,
            )
            row.error_code = outcome.code
            return "unreachable"
        mark_failed(
            session=session,
            row=row,
            status=OutboxStatus.FAILED,
            error=str(outcome),
            error_code=outcome.code,
            now=now,
            channel=plan.channel,
        )
        return "failed"
    assert isinstance(outcome, RetryLater)
    delay = (
        timedelta(seconds=outcome.retry_after)
        if outcome.retry_after
        else backoff(row.attempts, row.lane)
    )
    mark_retry(
        session=session,
        row=row,
        error=str(outcome),
        retry_at=now + delay,
        now=now,
        max_attempts=_max_attempts(row),
    )
    return "retry"


def _sent(outcome: SendResult | Exception) -> bool:
    return isinstance(outcome, SendResult) and outcome.status != OutboxStatus.NEEDS_TEMPLATE


def _record_sent(session: Session, plan: _Planned, outcome: SendResult, now: datetime) -> bool:
    """Mark the row sent (False if it is gone) and keep the buttons it showed."""
    if not mark_sent(
        session=session,
        row=plan.row_id,
        channel=plan.channel or "",
        provider_id=outcome.provider_id,
        now=now,
    ):
        return False
    if outcome.buttons_shown and plan.outbound and plan.identity_id is not None:
        _remember_buttons(session, plan.identity_id, plan.outbound, now)
    return True


def _unlink_group(session: Session, community_id: int | None, chat_id: str) -> None:
    """The bot was removed from the community's group: announcements go to members again."""
    community = session.get(Community, community_id)
    if community is not None and community.telegram_group_chat_id == chat_id:
        log.warning("community %s: bot can no longer post in its group; unlinked", community_id)
        community.telegram_group_chat_id = None
        session.add(community)


def _remember_buttons(
    session: Session, identity_id: int, outbound: Outbound, now: datetime
) -> None:
    """A notice's buttons become the ones `1`, `2` answer, unless the person is mid-flow.

    converse: several unanswered notices are gathered (handlers/buttons.py gather_notice).
    """
    if not outbound.reply.buttons:
        return
    state = load_state(session=session, identity_id=identity_id, now=now)
    gather_notice(state, outbound.reply.buttons, now)
    session.add(state)


class DeliveryWorker:
    """Drains the outbox whenever kicked, and every `interval` seconds regardless."""

    def __init__(
        self,
        *,
        open_session: SessionFactory,
        senders: Mapping[str, Sender],
        clock: Clock,
        interval: float = 5.0,
        release_at_start: bool = True,
    ) -> None:
        self.open_session, self.senders, self.clock = open_session, senders, clock
        self.interval = interval
        self.release_at_start = release_at_start
        self._wake = asyncio.Event()
        self._stopping = False

    def kick(self) -> None:
        """Ask for a drain now (after a handler queued notices)."""
        self._wake.set()

    async def run(self) -> None:
        """Loop until stop(); a failing drain is logged and retried, never fatal.

        Rows a crash left `sending` go back to pending at once: this process has sent
        nothing yet, so at-least-once beats waiting STUCK_AFTER (one process per database
        on SQLite; on PostgreSQL with several workers, STUCK_AFTER alone applies).
        """
        if self.release_at_start:
            try:
                with transaction(self.open_session) as session:
                    now = self.clock.now()
                    release_stuck(session=session, older_than=timedelta(0), now=now)
            except Exception:
                log.exception("could not release rows left sending")
        while not self._stopping:
            try:
                await deliver_due(
                    open_session=self.open_session, senders=self.senders, clock=self.clock
                )
            except Exception:
                log.exception("delivery drain failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()

    def stop(self) -> None:
        """Finish the current drain, then return from run()."""
        self._stopping = True
        self._wake.set()
