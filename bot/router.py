"""The router: dedupe -> who is it -> conversation state -> handler, inside an error boundary."""

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.inbox import incoming_to_payload
from bot.turn import Turn
from handlers.buttons import button_answer, remember_buttons
from handlers.clock import Clock
from handlers.context import Context, Options, has_role
from handlers.first_language import settle_first_language
from handlers.i18n import DEFAULT_LANGUAGE, normalize_language, t
from handlers.messages import Incoming, Reply, reply_to_payload
from handlers.registry import REGISTRY, Command, Registry
from handlers.text_hygiene import clean_text
from storage.communities import (
    find_identity,
    find_sender,
    get_or_create_identity,
    touch_identity,
)
from storage.conversations import new_state
from storage.db import SessionFactory, transaction
from storage.inbox import accept, mark_done, take
from storage.models import ChannelIdentity, InboxMessage, Member
from storage.outbox import ClaimedReply, enqueue, enqueue_claimed_reply, enqueue_reply

__all__ = ["ClaimedReplies", "Router", "queue_notices"]

log = logging.getLogger(__name__)

CANCEL_WORDS = {"batal", "cancel", "/batal", "/cancel"}
NAME_LIMIT = 64


@dataclass(frozen=True)
class ClaimedReplies:
    """Replies written already claimed, with what their sending needs (jobs/delivery.py
    send_claimed_replies): the sender's member and identity as the router had them."""

    rows: list[ClaimedReply]
    member: Member | None
    identity: ChannelIdentity | None


class Router:
    """Turns one Incoming into the replies for its sender; never raises."""

    def __init__(
        self,
        *,
        open_session: SessionFactory,
        clock: Clock,
        options: Options,
        registry: Registry = REGISTRY,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        import handlers.features  # noqa: F401  (registers every feature)

        self.open_session = open_session
        self.clock = clock
        self.options = options
        self.registry = registry
        self.on_outbox = on_outbox or (lambda: None)
        self.claimed: dict[int, ClaimedReplies] = {}
        """Replies of `process(claim_as=...)` by inbox id, until `take_claimed` hands them
        over to be sent."""
        # One message at a time per process: a transaction never waits on another one
        # held open across an await (SQLite has one writer); handling takes milliseconds.
        self._turn = Turn()

    async def handle(self, msg: Incoming) -> list[Reply]:
        """Accept a message into the inbox and route it at once (local channel, tests).

        Returns the replies queued for it; [] for a duplicate or what needs no answer.
        """
        inbox_id = self.accept(msg)
        if inbox_id is None:
            log.info("duplicate %s message %s dropped", msg.channel, msg.message_id)
            return []
        return await self.process(inbox_id, msg)

    def accept(self, msg: Incoming) -> int | None:
        """Write the message to the inbox (with its dedupe record); None for a duplicate."""
        with transaction(self.open_session) as session:
            return accept(
                session=session,
                channel=msg.channel,
                platform_id=msg.message_id,
                sender=msg.address,
                payload=incoming_to_payload(msg),
                now=self.clock.now(),
            )

    async def process(
        self, inbox_id: int, msg: Incoming, *, claim_as: str | None = None
    ) -> list[Reply]:
        """Route an inbox row; its effects, replies and `done` commit together.

        A row already done (processed twice after a crash or a race) is left alone. With
        `claim_as` (a delivery worker's name) the replies are written already claimed by it
        and kept for `take_claimed`: the caller sends them at once, without a claim
        transaction of its own (the inbox worker's hot path: one transaction less per
        message). Otherwise they wait in the outbox for any delivery worker.
        """
        async with self._turn:
            return await self._process(inbox_id, msg, claim_as)

    def take_claimed(self, inbox_id: int) -> ClaimedReplies | None:
        """The replies `process(claim_as=...)` wrote for this row, once; None if it wrote
        none that way (a duplicate, an apology, an erasure: those wait in the outbox)."""
        return self.claimed.pop(inbox_id, None)

    async def answer(self, inbox_id: int, msg: Incoming, replies: list[Reply]) -> None:
        """Queue replies decided before routing (a photo not fetched) and mark the row done."""
        async with self._turn:
            with transaction(self.open_session) as session:
                row = session.get(InboxMessage, inbox_id)
                if row is None or row.done_at is not None:
                    return
                identity = find_identity(session=session, channel=msg.channel, address=msg.address)
                member = (
                    session.get(Member, identity.member_id)
                    if identity and identity.member_id
                    else None
                )
                self._enqueue_replies(session, msg, inbox_id, replies, member)
                mark_done(session=session, row=row, now=self.clock.now())

    def skip(self, inbox_id: int) -> None:
        """Mark a row done that holds nothing to route (an edit, another bot, a status)."""
        with transaction(self.open_session) as session:
            row = session.get(InboxMessage, inbox_id)
            if row is not None and row.done_at is None:
                mark_done(session=session, row=row, now=self.clock.now())

    async def _process(self, inbox_id: int, msg: Incoming, claim_as: str | None) -> list[Reply]:
        try:
            with transaction(self.open_session) as session:
                if not take(session=session, inbox_id=inbox_id, now=self.clock.now()):
                    log.info("%s message %s already handled", msg.channel, msg.message_id)
                    return []
                ctx = self._context(session, msg)
                before = (ctx.state.flow, ctx.state.step)  # converse: for sticky buttons
                replies = await self._answer(msg, ctx)
                self._remember_buttons(ctx, msg, replies, before)
                queued = self._enqueue_notices(ctx, msg)
                rows = self._enqueue_replies(
                    session,
                    msg,
                    inbox_id,
                    replies,
                    None if ctx.erased else ctx.member,
                    None if ctx.erased else claim_as,  # erased: no identity to plan with
                )
            if rows:
                self.claimed[inbox_id] = ClaimedReplies(rows, ctx.member, ctx.identity)
            for action in ctx.after_commit:
                action()
            if queued:
                self.on_outbox()
            return replies
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("error ref=%s on %s message %s", ref, msg.channel, msg.message_id)
            return [self._apologise(inbox_id, msg, ref)]

    def _apologise(self, inbox_id: int, msg: Incoming, ref: str) -> Reply:
        """Queue the apology and mark the row done, so it is not handled (and failing) again.

        If even that cannot be written, the row stays in the inbox and is tried again later.
        """
        try:
            with transaction(self.open_session) as session:
                identity = get_or_create_identity(
                    session=session,
                    channel=msg.channel,
                    address=msg.address,
                    display_name=clean_text(msg.display_name)[:NAME_LIMIT],
                    now=self.clock.now(),
                )
                member = session.get(Member, identity.member_id) if identity.member_id else None
                apology = Reply(text=t(_language(identity, member, msg), "error.apology", ref=ref))
                row = session.get(InboxMessage, inbox_id)
                if row is not None and row.done_at is None:
                    self._enqueue_replies(session, msg, inbox_id, [apology], member)
                    mark_done(session=session, row=row, now=self.clock.now())
                return apology
        except Exception:
            log.exception("error boundary could not find who wrote; apologising plainly")
        # Whatever in the message broke the handling must not also keep the row from being
        # marked: a second, minimal transaction touches nothing the message carries.
        language = normalize_language(msg.language_hint) or DEFAULT_LANGUAGE
        apology = Reply(text=t(language, "error.apology", ref=ref))
        try:
            with transaction(self.open_session) as session:
                row = session.get(InboxMessage, inbox_id)
                if row is not None and row.done_at is None:
                    self._enqueue_replies(session, msg, inbox_id, [apology], None)
                    mark_done(session=session, row=row, now=self.clock.now())
        except Exception:
            log.exception("error boundary could not reach the database")
        return apology

    def _enqueue_replies(
        self,
        session: Session,
        msg: Incoming,
        inbox_id: int,
        replies: Sequence[Reply],
        member: Member | None,
        claim_as: str | None = None,
    ) -> list[ClaimedReply]:
        """The replies as outbox rows in the reply lane, keyed on the inbox id: handling the
        same row again adds none. Button numbers continue across them, as shown.

        With `claim_as` they are written already claimed by that worker, and returned.
        """
        rows, number = [], 1
        for index, reply in enumerate(replies):
            values: dict[str, Any] = {
                "session": session,
                "inbox_id": inbox_id,
                "index": index,
                "channel": msg.channel,
                "address": msg.address,
                "chat_id": msg.chat_id if msg.is_group else None,
                "community_id": member.community_id if member else None,
                "member_id": member.id if member else None,
                "payload": {**reply_to_payload(reply), "number_from": number},
                "now": self.clock.now(),
            }
            if claim_as is None:
                enqueue_reply(**values)
            elif (row := enqueue_claimed_reply(**values, worker=claim_as)) is not None:
                rows.append(row)
            number += len(reply.buttons)
        return rows

    def _context(self, session: Session, msg: Incoming) -> Context:
        now = self.clock.now()
        identity, member, community, state = find_sender(
            session=session, channel=msg.channel, address=msg.address
        )
        if identity is None:  # the first message from this address
            identity = get_or_create_identity(
                session=session,
                channel=msg.channel,
                address=msg.address,
                display_name=msg.display_name[:NAME_LIMIT],
                now=now,
            )
        touch_identity(
            session=session,
            identity=identity,
            now=now,
            display_name=msg.display_name[:NAME_LIMIT],
            username=msg.username,
        )
        settle_first_language(identity, member, msg, self.registry)  # a guest: JOIN, HELP, app
        if state is None:
            state = new_state(session=session, identity_id=identity.id or 0, now=now)
        return Context(
            session=session,
            clock=self.clock,
            options=self.options,
            identity=identity,
            state=state,
            member=member,
            community=community,
            lang=_language(identity, member, msg),
        )

    async def _answer(self, msg: Incoming, ctx: Context) -> list[Reply]:
        """The interceptors' replies first (registry.intercept), then the routed answer."""
        first: list[Reply] = []
        if not msg.is_group:
            for intercept in self.registry.interceptors:
                got = await intercept(msg, ctx)
                if got is not None:
                    first.extend(got.replies)
                    if got.done:
                        return first
        return [*first, *await self._dispatch(msg, ctx)]

    async def _dispatch(self, msg: Incoming, ctx: Context) -> Sequence[Reply]:
        text = msg.text.strip()
        if msg.is_group:
            return await self._group_command(msg, ctx, text)
        payload = msg.payload or button_answer(ctx, text)  # converse: handlers/buttons.py
        if isinstance(payload, Reply):
            return [payload]  # several notices' buttons: one numbered list of them all
        if payload:
            msg = replace(msg, payload=payload)
            if payload.startswith("/"):
                text = payload
        if _is_cancel(text):
            had_flow = ctx.state.flow is not None
            ctx.end_flow()
            return [ctx.reply("flow.cancelled" if had_flow else "flow.nothing_to_cancel")]

        # converse: bare command words count except in free-text steps (Registry docstring)
        bare = self.registry.reads_bare_command(ctx.state.flow, ctx.state.step, text)
        command, rest = self._parse_command(text, in_flow=not bare)
        if text.startswith("/") and command is None:
            return [ctx.reply("router.unknown_command", command=text.split()[0][:32])]
        if command is not None:
            return await self._run_command(command, msg, ctx, rest)
        if msg.payload and not msg.payload.startswith("/") and ctx.state.flow is None:
            return [ctx.reply("router.button_expired")]
        if ctx.state.flow is not None:
            flow = self.registry.flows.get(ctx.state.flow)
            if flow is None:
                ctx.end_flow()
            else:
                return await flow(msg, ctx)
        return await self._free_text(msg, ctx, text)

    async def _group_command(self, msg: Incoming, ctx: Context, text: str) -> Sequence[Reply]:
        """In a group only our in-group commands count; anything else (other bots' commands,
        chatter) gets no answer, and the person's private flow and buttons stay as they were.
        """
        if msg.payload and msg.payload.startswith("/"):
            text = msg.payload  # a button under one of our group messages
        command, rest = self._parse_command(text, in_flow=True)
        if command is None or not text.startswith("/") or not command.in_group:
            return []
        return await self._run_command(command, msg, ctx, rest)

    def _parse_command(self, text: str, *, in_flow: bool) -> tuple[Command | None, str]:
        if not text:
            return None, ""
        first, rest = [*text.split(maxsplit=1), ""][:2]
        if first.startswith("/"):
            name = first[1:].split("@", 1)[0]
            return self.registry.find(name, slash=True), rest.strip()
        if in_flow:
            return None, ""
        word = first.strip(".,!?:;").lower()
        return self.registry.find(word, slash=False), rest.strip()

    async def _run_command(
        self, command: Command, msg: Incoming, ctx: Context, rest: str
    ) -> Sequence[Reply]:
        if command.role is not None:
            if ctx.member is None:
                return [ctx.reply("router.join_first")]
            if not has_role(ctx.member, command.role):
                return [ctx.reply("router.not_allowed")]
        if ctx.state.flow is not None and not msg.is_group:
            ctx.end_flow()  # a command always wins over a half-finished flow
            if not msg.payload:  # converse: typed, so say the step was left
                return [*await command.handler(msg, ctx, rest), ctx.reply("flow.left")]
        return await command.handler(msg, ctx, rest)

    async def _free_text(self, msg: Incoming, ctx: Context, text: str) -> Sequence[Reply]:
        # converse: fallbacks first, also for guests (small talk greets them); each fallback
        # checks ctx.member itself
        for _, fallback in self.registry.fallbacks:
            replies = await fallback(msg, ctx)
            if replies is not None:
                return replies
        if ctx.member is None:
            if not text and not msg.media:
                return [ctx.reply("router.empty")]
            return [ctx.reply("router.not_joined")]
        if not text and msg.media:
            return [ctx.reply("router.media_unsupported")]
        if not text:
            return [ctx.reply("router.empty")]
        return [ctx.reply("router.not_understood")]

    def _remember_buttons(
        self,
        ctx: Context,
        msg: Incoming,
        replies: Sequence[Reply],
        before: tuple[str | None, str | None],
    ) -> None:
        """Keep the buttons shown, so `2` or a button's words map back to its payload.

        Replies in a group are not the person's own chat: its buttons stay as they were.
        converse: sticky until replaced or a day old (handlers/buttons.py).
        """
        if ctx.erased or msg.is_group:
            return
        remember_buttons(ctx, replies, before)
        ctx.session.add(ctx.state)

    def _enqueue_notices(self, ctx: Context, msg: Incoming) -> int:
        return queue_notices(ctx, f"{msg.channel}:{msg.message_id}", self.clock.now())

    @property
    def turn(self) -> Turn:
        """Held while a message is handled; the dashboard's actions take it too, so a write
        never waits on a transaction held open across an await."""
        return self._turn


def queue_notices(ctx: Context, key: str, now: datetime) -> int:
    """A handler's notices to other members (ctx.notify) as outbox rows keyed `key:index`;
    only to members of the handler's community. How many were queued."""
    if ctx.community is None or ctx.erased:
        return 0
    queued = 0
    for index, notice in enumerate(ctx.outbox):
        target = ctx.session.get(Member, notice.to_member) if notice.to_member else None
        if target is None or target.community_id != ctx.community.id:
            # one community's members are never reached from another (ARCHITECTURE.md)
            log.warning(
                "notice to member %s outside community %s dropped",
                notice.to_member,
                ctx.community.id,
            )
            continue
        enqueue(
            session=ctx.session,
            community_id=ctx.community.id or 0,
            member_id=notice.to_member,
            kind=notice.kind,
            idempotency_key=f"{key}:{index}",
            payload=reply_to_payload(notice),
            now=now,
        )
        queued += 1
    return queued


def _language(identity: ChannelIdentity, member: Member | None, msg: Incoming) -> str:
    if member is not None:
        return member.language
    return identity.language or normalize_language(msg.language_hint) or DEFAULT_LANGUAGE


def _is_cancel(text: str) -> bool:
    """`BATAL`, `batal.`, `Cancel!` or `/batal@GuyubBot`."""
    word = text.split("@", 1)[0] if text.startswith("/") else text
    return word.strip(".,!?:; ").lower() in CANCEL_WORDS
