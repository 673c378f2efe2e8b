"""The delivery engine: drains the outbox through the channels' senders.

Opt-out and reachability are checked here, at send time, not when an audience was built.
Each channel has its own feeders claiming small batches of the rows routed to it, and a
pool of sends in flight sized from its rate (so a slow round trip does not cut the rate);
the sender's limiter keeps every sliding window under the platform's limit. A claim is a
lease (claimed_by, updated_at): a crash leaves rows `sending`, and they are taken back
when their worker starts again, or by anyone once the lease is over.
"""

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from handlers.buttons import gather_notice
from handlers.clock import Clock
from handlers.messages import payload_to_reply
from jobs.pacing import SEND_PRIORITY, in_flight_for
from jobs.sending import Outbound, PermanentFailure, RetryLater, Sender, SendResult
from storage.communities import find_identity
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
from storage.outbox import (
    UNROUTED,
    ClaimedReply,
    claim_due,
    mark_failed,
    mark_retry,
    mark_sent,
    mark_sent_many,
    next_due,
    release_stuck,
)

__all__ = [
    "DeliveryReport",
    "DeliveryWorker",
    "ReplyRecorder",
    "backoff",
    "deliver_due",
    "send_claimed_replies",
    "worker_name",
]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
STUCK_AFTER = timedelta(minutes=10)  # the lease of a claim
NO_SENDER_DELAY = timedelta(minutes=5)
NEEDS_TEMPLATE_CODE = "63016"  # WhatsApp: outside the 24-hour window
FEEDERS = 2  # batches in hand per channel: one being sent, the next one ready
NOT_READY_WAIT = 0.2  # seconds between looks at a channel that is still starting


def worker_name() -> str:
    """This process's default worker name: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DeliveryReport:
    """Counts of one drain, by outcome."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    claimed: int = 0  # rows claimed by this drain (0: nothing was due)


@dataclass
class _Planned:
    row_id: int
    identity_id: int | None
    channel: str | None
    outbound: Outbound | None
    skip_reason: str | None = None
    alternatives: int = 0  # other usable apps of the same member, if this one fails
    lane: int = OutboxLane.NOTICE


REPLY_MAX_ATTEMPTS = 10  # a reply outlives a Twilio or Telegram outage of about 40 minutes


def backoff(
    attempts: int, lane: int = OutboxLane.NOTICE, rng: random.Random | None = None
) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour; replies start at 5 s (someone is waiting).

    With `rng`, a random share of the upper half is taken off (jitter: rows that failed
    together do not all come back in the same second); never more than without it.
    """
    first = 5 if lane == OutboxLane.REPLY else 30
    seconds = min(first * 2 ** max(attempts - 1, 0), 3600)
    return timedelta(seconds=seconds * (1 - rng.random() / 2) if rng else seconds)


def _max_attempts(row: OutboxMessage) -> int:
    return REPLY_MAX_ATTEMPTS if row.lane == OutboxLane.REPLY else MAX_ATTEMPTS


def _plan_reply(
    row: OutboxMessage | ClaimedReply,
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
    # the channel the row was routed to (their choice), else the app they used last
    identity = next((i for i in usable if i.channel == row.channel), usable[0])
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


def _plan_rows(
    session: Session, rows: Sequence[OutboxMessage], senders: Mapping[str, Sender]
) -> list[_Planned]:
    """Plan a claimed batch: members and their apps are read in two queries, not per row."""
    ids = sorted({row.member_id for row in rows if row.member_id})
    members = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(ids)))}
    apps: dict[int, list[ChannelIdentity]] = {}
    query = select(ChannelIdentity).where(col(ChannelIdentity.member_id).in_(ids))
    for app in session.exec(query) if ids else ():
        apps.setdefault(app.member_id or 0, []).append(app)
    for found in apps.values():  # most recently active first, like identities_of
        found.sort(key=lambda i: i.last_inbound_at or i.created_at, reverse=True)
    plans = []
    for row in rows:
        member = members.get(row.member_id) if row.member_id else None
        if row.address is not None and row.channel is not None:
            identity = find_identity(session=session, channel=row.channel, address=row.address)
            plan = _plan_reply(row, member, identity, senders)
        else:
            community = (
                session.get(Community, row.community_id)
                if row.chat_id and row.community_id
                else None
            )
            identities = apps.get(member.id or 0, []) if member else []
            language = community.language if community else "id"
            plan = _plan(row, member, identities, senders, language)
        plan.lane = row.lane
        plans.append(plan)
    return plans


async def deliver_due(
    *,
    open_session: SessionFactory,
    senders: Mapping[str, Sender],
    clock: Clock,
    batch: int = 200,
    inbox_id: int | None = None,
    lane: int | None = None,
    channel: str | None = None,
    worker: str | None = None,
    pools: Mapping[str, asyncio.Semaphore] | None = None,
    rng: random.Random | None = None,
    threaded: bool = False,
) -> DeliveryReport:
    """Send every due outbox row once (up to `batch`), replies first.

    `inbox_id` sends only the replies to that message (right after it was handled);
    `channel` only rows routed to that channel (UNROUTED: to none yet). Rows for one
    address go out one after another, in order; different addresses concurrently, at most
    as many per channel at once as its pool in `pools` allows. Senders apply the rate
    limits; outcomes are committed as they come, several in one transaction when many do.
    `threaded`: database work in a worker thread, so it never holds up the event loop (and
    with it the timing of sends already allowed through the rate limits).
    """
    report = DeliveryReport()

    def claim() -> list[_Planned]:
        with transaction(open_session) as session:
            now = clock.now()
            if inbox_id is None:
                release_stuck(session=session, older_than=STUCK_AFTER, now=now)
            claimed = claim_due(
                session=session,
                now=now,
                limit=batch,
                inbox_id=inbox_id,
                lane=lane,
                channel=channel,
                worker=worker,
            )
            report.claimed = len(claimed)
            return _plan_rows(session, claimed, senders) if claimed else []

    # in a thread: the sends of other batches in flight go on meanwhile, on time
    plans = await asyncio.to_thread(claim) if threaded else claim()
    await _send_plans(open_session, senders, clock, plans, report, pools, rng, threaded)
    return report


async def send_claimed_replies(
    *,
    open_session: SessionFactory,
    senders: Mapping[str, Sender],
    clock: Clock,
    rows: Sequence[ClaimedReply],
    member: Member | None,
    identity: ChannelIdentity | None,
    recorder: "ReplyRecorder | None" = None,
) -> DeliveryReport:
    """Send replies their caller wrote already claimed (storage/outbox.py
    enqueue_claimed_reply), planned from the member and identity it had at hand: the same
    sends and records as `deliver_due(inbox_id=...)`, without its claim transaction. With
    `recorder` (shared by every message in flight) the outcomes commit together with
    others'; this returns once its own are committed."""
    report = DeliveryReport(claimed=len(rows))
    plans = []
    for row in rows:
        plan = _plan_reply(row, member, identity, senders)
        plan.lane = row.lane
        plans.append(plan)
    await _send_plans(open_session, senders, clock, plans, report, shared=recorder)
    return report


async def _send_plans(
    open_session: SessionFactory,
    senders: Mapping[str, Sender],
    clock: Clock,
    plans: list[_Planned],
    report: DeliveryReport,
    pools: Mapping[str, asyncio.Semaphore] | None = None,
    rng: random.Random | None = None,
    threaded: bool = False,
    shared: "ReplyRecorder | None" = None,
) -> None:
    """Send claimed, planned rows (skipped ones recorded as such) and record the outcomes
    (through `shared` when given: returns once they are committed)."""
    skipped = [plan for plan in plans if plan.skip_reason]
    if skipped:
        with transaction(open_session) as session:
            for plan in skipped:
                _record_skip(session, plan, clock.now(), report)
    recorder = _Recorder(open_session, clock, report, rng, threaded)
    recorded: list[asyncio.Future[None]] = []

    async def send_in_order(queue: list[_Planned]) -> None:
        SEND_PRIORITY.set(queue[0].lane)  # this task's sends wait at the limiters by lane
        for plan in queue:
            pool = pools.get(plan.channel or "") if pools else None
            if pool is None:
                outcome = await _send(plan, senders)
            else:
                async with pool:
                    outcome = await _send(plan, senders)
            if shared is not None:
                recorded.append(shared.add(plan, outcome, report))
            else:
                recorder.add(plan, outcome)

    queues: dict[tuple[str | None, str], list[_Planned]] = {}
    for plan in plans:
        if plan.outbound is not None:
            queues.setdefault((plan.channel, plan.outbound.address), []).append(plan)
    try:
        await asyncio.gather(*(send_in_order(queue) for queue in queues.values()))
    finally:
        await recorder.flush()
        if recorded:
            await asyncio.gather(*recorded)
    if report.total:
        log.debug("delivery: %s", report.counts)


def _record_skip(session: Session, plan: _Planned, now: datetime, report: DeliveryReport) -> None:
    """A row that is not sent: deferred (no sender here) or skipped with its reason."""
    row = session.get(OutboxMessage, plan.row_id)
    if row is None or plan.skip_reason is None:
        return
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
        return
    mark_failed(
        session=session,
        row=row,
        status=OutboxStatus.SKIPPED,
        error=plan.skip_reason,
        error_code=None,
        now=now,
    )
    report.add("skipped")


class _Recorder:
    """Commits outcomes as they come: one transaction for all that arrived meanwhile.

    One commit per send would cap a SQLite outbox at a few hundred a second; batching only
    what is already waiting adds no delay when sends are few.
    """

    def __init__(
        self,
        open_session: SessionFactory,
        clock: Clock,
        report: DeliveryReport,
        rng: random.Random | None,
        threaded: bool = False,
    ) -> None:
        self.open_session, self.clock, self.report, self.rng = open_session, clock, report, rng
        self.threaded = threaded
        self._waiting: list[tuple[_Planned, SendResult | Exception]] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, plan: _Planned, outcome: SendResult | Exception) -> None:
        self._waiting.append((plan, outcome))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._commit_soon())

    async def _commit_soon(self) -> None:
        await asyncio.sleep(0)  # let the sends finishing in this same turn join in
        while self._waiting:
            waiting, self._waiting = self._waiting, []
            if self.threaded:
                await asyncio.to_thread(self._commit, waiting)
            else:
                self._commit(waiting)

    def _commit(self, waiting: list[tuple[_Planned, SendResult | Exception]]) -> None:
        _commit_outcomes(
            self.open_session,
            self.clock,
            self.rng,
            [(plan, outcome, self.report) for plan, outcome in waiting],
        )

    async def flush(self) -> None:
        """Commit everything recorded so far."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        waiting, self._waiting = self._waiting, []
        self._commit(waiting)


Outcome = tuple[_Planned, SendResult | Exception, DeliveryReport]


def _commit_outcomes(
    open_session: SessionFactory, clock: Clock, rng: random.Random | None, waiting: list[Outcome]
) -> None:
    """Record sends' outcomes in one transaction, each counted in its drain's report.

    Plain hand-overs (no notice buttons to keep) are marked together in one executemany:
    a broadcast's answers come by the dozen, and a statement each cost most of their CPU.
    """
    if waiting:
        with transaction(open_session) as session:
            now = clock.now()
            plain: list[tuple[_Planned, SendResult, DeliveryReport]] = []
            for plan, outcome, report in waiting:
                if _sent(outcome):  # usual: the row is not loaded
                    assert isinstance(outcome, SendResult)
                    if not _keeps_buttons(plan, outcome):
                        plain.append((plan, outcome, report))
                    elif _record_sent(session, plan, outcome, now):  # False: erased
                        report.add("sent")
                    continue
                row = session.get(OutboxMessage, plan.row_id)
                if row is not None:  # None: erased meanwhile
                    report.add(_record(session, row, plan, outcome, now, rng))
            _record_plain_sends(session, plain, now)


def _keeps_buttons(plan: _Planned, outcome: SendResult) -> bool:
    """Whether marking this send also remembers its buttons (a notice's, see `_record_sent`)."""
    return bool(
        outcome.buttons_shown
        and plan.outbound is not None
        and plan.outbound.kind != "reply"
        and plan.identity_id is not None
        and plan.outbound.reply.buttons
    )


def _record_plain_sends(
    session: Session, plain: list[tuple[_Planned, SendResult, DeliveryReport]], now: datetime
) -> None:
    """Mark sent rows in one statement; each counted in its report unless erased meanwhile."""
    if not plain:
        return
    marked = mark_sent_many(
        session=session,
        sent=[(plan.row_id, plan.channel or "", outcome.provider_id) for plan, outcome, _ in plain],
        now=now,
    )
    gone: set[int] = set()
    if marked < len(plain):  # some rows were erased meanwhile: count only those still there
        ids = [plan.row_id for plan, _, _ in plain]
        there = set(session.exec(select(OutboxMessage.id).where(col(OutboxMessage.id).in_(ids))))
        gone = {row_id for row_id in ids if row_id not in there}
    for plan, _, report in plain:
        if plan.row_id not in gone:
            report.add("sent")


class ReplyRecorder:
    """Records the outcomes of replies sent right after their messages, for all messages in
    flight at once: one transaction for every outcome waiting when it starts.

    Under load one commit per reply (and its transaction's set-up) was a sixth of the
    bot's CPU per message. Each sender still returns only once its own outcomes are
    committed; if that commit fails, every sender in the batch sees the error (their rows
    stay `sending` and are taken back like any claim a crash left).
    """

    def __init__(
        self, open_session: SessionFactory, clock: Clock, rng: random.Random | None = None
    ) -> None:
        self.open_session, self.clock, self.rng = open_session, clock, rng
        self._waiting: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self.commits = 0  # transactions so far (a test sees outcomes share them)

    def add(
        self, plan: _Planned, outcome: SendResult | Exception, report: DeliveryReport
    ) -> asyncio.Future[None]:
        """Queue one outcome; the future is done once it is committed (or failed to be)."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(((plan, outcome, report), done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._commit_soon(), name="reply-recorder")
        return done

    async def _commit_soon(self) -> None:
        await asyncio.sleep(0)  # let the sends finishing in this same turn join in
        while self._waiting:
            waiting, self._waiting = self._waiting, []
            try:
                self.commits += 1
                _commit_outcomes(
                    self.open_session, self.clock, self.rng, [item for item, _ in waiting]
                )
            except Exception as error:
                log.exception("delivery: outcomes of %d replies not recorded", len(waiting))
                for _, done in waiting:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in waiting:
                    if not done.done():
                        done.set_result(None)


def _record(
    session: Session,
    row: OutboxMessage,
    plan: _Planned,
    outcome: SendResult | Exception,
    now: datetime,
    rng: random.Random | None = None,
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
    if isinstance(outcome, PermanentFailure) and outcome.code == NEEDS_TEMPLATE_CODE:
        mark_failed(
            session=session,
            row=row,
            status=OutboxStatus.NEEDS_TEMPLATE,
            error=str(outcome),
            error_code=outcome.code,
            now=now,
            channel=plan.channel,
        )
        return "needs_template"
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
        else backoff(row.attempts, row.lane, rng)
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
    """Mark the row sent (False if it is gone) and keep the buttons a notice showed.

    A reply's buttons are not gathered here: the router kept them, numbered across all the
    replies to that message, in the transaction that queued them (gathering them again as
    a notice's would count them as an unanswered notice, and cost a state read and write
    per reply).
    """
    if not mark_sent(
        session=session,
        row=plan.row_id,
        channel=plan.channel or "",
        provider_id=outcome.provider_id,
        now=now,
    ):
        return False
    notice = plan.outbound is not None and plan.outbound.kind != "reply"
    if outcome.buttons_shown and notice and plan.outbound and plan.identity_id is not None:
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
    """Drains the outbox continuously: per channel, FEEDERS batches in hand at a time.

    Each channel that has a sender gets its own feeders (rows routed to it), and one more
    set serves rows not routed yet; so a slow channel never holds back a fast one. A feeder
    with nothing due waits for a kick, the next due row, or `interval` seconds.
    """

    def __init__(
        self,
        *,
        open_session: SessionFactory,
        senders: Mapping[str, Sender],
        clock: Clock,
        interval: float = 5.0,
        release_at_start: bool = True,
        name: str | None = None,
        shared_database: bool | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.open_session, self.senders, self.clock = open_session, senders, clock
        self.interval = interval
        self.release_at_start = release_at_start
        self.name = name or worker_name()
        # SQLite: one process per database, so at start every `sending` row is ours
        self.shared_database = shared_database
        self.rng = rng or random.Random()
        self.pools: dict[str, asyncio.Semaphore] = {}
        self._kicks = 0
        self.also_kick: list[Callable[[], None]] = []
        """Called on every kick: a web process (bot/web_processes.py) wakes the main one."""
        self._kicked = asyncio.Condition()
        self._stopping = False

    def kick(self) -> None:
        """Ask for a drain now (after a handler queued notices)."""
        self._kicks += 1
        for kick in self.also_kick:
            kick()
        with contextlib.suppress(RuntimeError):  # no running loop: the next pass sees it
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._kicked:
            self._kicked.notify_all()

    def in_flight(self, channel: str) -> int:
        """How many sends this channel keeps in flight: its rate x a slow round trip."""
        rate = getattr(self.senders.get(channel), "rate_per_second", 30.0)
        return in_flight_for(float(rate))

    def _pool(self, channel: str) -> asyncio.Semaphore:
        if channel not in self.pools:
            self.pools[channel] = asyncio.Semaphore(self.in_flight(channel))
        return self.pools[channel]

    def release_own(self) -> int:
        """Give back the rows a previous run of this worker left `sending` (it died).

        On SQLite (one process per database) that is every such row; on a shared database
        only this worker's, others' once their lease is over.
        """
        with transaction(self.open_session) as session:
            shared = self.shared_database
            if shared is None:
                shared = session.get_bind().dialect.name != "sqlite"
            now = self.clock.now()
            if shared:
                return release_stuck(
                    session=session, older_than=STUCK_AFTER, now=now, worker=self.name
                )
            return release_stuck(session=session, older_than=timedelta(0), now=now)

    async def run(self) -> None:
        """Loop until stop(); a failing drain is logged and retried, never fatal."""
        if self.release_at_start:
            try:
                released = self.release_own()
                if released:
                    log.info("delivery: %d rows left sending are queued again", released)
            except Exception:
                log.exception("could not release rows left sending")
        feeders: dict[str | None, list[asyncio.Task[None]]] = {}
        try:
            while not self._stopping:
                for channel in [*self.senders, UNROUTED]:
                    if channel not in feeders:
                        feeders[channel] = [
                            asyncio.create_task(self._feed(channel), name=f"outbox-{channel}")
                            for _ in range(FEEDERS)
                        ]
                async with self._kicked:  # a new channel may be added later (rehearsals)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._kicked.wait(), timeout=self.interval)
        finally:
            tasks = [task for group in feeders.values() for task in group]
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _feed(self, channel: str) -> None:
        """Claim and send this channel's due rows, batch after batch, while there are any."""
        pool = None if channel == UNROUTED else self._pool(channel)
        size = 200 if pool is None else max(20, min(500, 2 * self.in_flight(channel)))
        while not self._stopping:
            seen = self._kicks
            if not getattr(self.senders.get(channel), "ready", True):
                await self._wait_for_kick(seen, NOT_READY_WAIT)  # the channel is starting
                continue
            pools = {name: self._pool(name) for name in self.senders}
            try:
                report = await deliver_due(
                    open_session=self.open_session,
                    senders=self.senders,
                    clock=self.clock,
                    batch=size,
                    channel=channel,
                    worker=self.name,
                    pools=pools,
                    rng=self.rng,
                    threaded=True,
                )
                if report.claimed:
                    continue
                wait = self._until_due(channel)
            except Exception:
                log.exception("delivery drain failed")
                wait = self.interval
            if self._kicks != seen:
                continue
            await self._wait_for_kick(seen, wait)

    async def _wait_for_kick(self, seen: int, seconds: float) -> None:
        """Until kicked again after `seen` kicks, stopped, or `seconds` passed."""

        def kicked() -> bool:
            return self._kicks != seen or self._stopping

        async with self._kicked:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kicked.wait_for(kicked), timeout=seconds)

    def _until_due(self, channel: str) -> float:
        """Seconds until this channel's next row is due (at most `interval`)."""
        with self.open_session() as session:
            due = next_due(session=session, channel=channel)
        if due is None:
            return self.interval
        return min(self.interval, max((due - self.clock.now()).total_seconds(), 0.01))

    def stop(self) -> None:
        """Finish the current batches, then return from run()."""
        self._stopping = True
        self.kick()
