"""`guyub run`: every configured channel, the web server, the scheduler and the outbox worker."""

import asyncio
import contextlib
import functools
import gc
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import Core, build_core
from bot.channels.base import ChannelAdapter
from bot.channels.local import LocalChat, ask_name
from bot.inbox_writer import Arrival, ArrivalDesk, forward_over
from bot.leader import Leadership
from bot.roles import ProcessRole, sqlite_guard
from bot.settings import Settings
from bot.site.dashboard import dashboard_routes_for
from bot.site.routes import site_routes
from bot.web import build_web_app, readiness
from bot.web_link import Handlers, Immediate
from bot.web_processes import (
    ChildSpec,
    WebChildren,
    become_child,
    link_to_parent,
    watch_lifeline,
    web_process_count,
)
from handlers.clock import Clock
from jobs.scheduler import build_specs, catch_up, start_scheduler
from storage.checkpoints import Checkpointer
from storage.db import transaction
from storage.processes import beat, forget

__all__ = ["CannotListen", "run_bot", "run_interactive"]

log = logging.getLogger(__name__)

HTTP_LOGGERS = ("httpx", "httpcore")


class CannotListen(RuntimeError):
    """The web server's address is taken or not allowed."""


def configured_channels(core: Core) -> list[ChannelAdapter]:
    """The channels whose credentials are set."""
    channels: list[ChannelAdapter] = []
    if core.settings.has_telegram:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(core))
    if core.settings.has_whatsapp:
        from bot.channels.whatsapp import WhatsAppChannel

        channels.append(WhatsAppChannel(core))
    elif core.settings.twilio_account_sid:
        log.warning(
            "WhatsApp is off: it needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
            "TWILIO_WHATSAPP_FROM and PUBLIC_BASE_URL all set"
        )
    return channels


def quiet_http_loggers() -> None:
    """httpx and httpcore at WARNING, whatever channels run.

    httpx logs every URL it requests at INFO: Bot API URLs hold the bot token and Twilio
    media URLs the Account SID. Our own logs say what matters, with numbers masked.
    """
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def fast_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop for the live bot where it is installed, else asyncio's (None).

    Measured with bench/inbound.py: with uvicorn's httptools parser, about a sixth less of
    the bot's CPU per inbound message (README "Inbound load").
    """
    try:
        import uvloop
    except ImportError:  # Windows, or a trimmed install: the standard loop works the same
        return None
    return uvloop.new_event_loop


async def run_bot(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    role: ProcessRole = ProcessRole.ALL,
    web_child: ChildSpec | None = None,
    own_process: bool = False,
) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set); with no credentials, run the local channel.

    `stop` and `clock` let a test run the whole process in its own event loop; `stop`
    has no effect on the local channel, which ends when its input does. `role` (PostgreSQL
    only, bot/roles.py) runs one part of the bot; `all` runs all of it, as always.
    `web_child` is given to a web process `guyub run` started itself (bot/web_processes.py).
    `own_process`: the process is this bot's alone (the CLI), so its garbage collector is
    tuned for it (`settle_garbage_collector`); a test running the bot in its own process
    leaves that alone.
    """
    quiet_http_loggers()
    child = None
    if web_child is not None:
        child = become_child(web_child)  # before anything slow: it dies with its parent
        role = ProcessRole.WEB
    # NotShareable: a clear refusal (a web child shares its parent's database by design)
    guard = None if child is not None else sqlite_guard(settings.database_url, role)
    try:
        await _run(settings, stop or asyncio.Event(), clock, role, web_child, child, own_process)
    finally:
        if guard is not None:
            guard.release()


async def _run(
    settings: Settings,
    stop: asyncio.Event,
    clock: Clock | None,
    role: ProcessRole,
    spec: ChildSpec | None = None,
    child: tuple[socket.socket, Callable[[bytes], None]] | None = None,
    own_process: bool = False,
) -> None:
    # the process that handles messages checkpoints SQLite's log in a thread, not in commits
    core = build_core(settings, clock, role=role, background_checkpoints=role.works)
    checkpointer = None
    path = core.engine.url.database
    if core.engine.dialect.name == "sqlite" and role.works and path and path != ":memory:":
        checkpointer = Checkpointer(Path(path)).start()
    if spec is not None and child is not None:
        watch_lifeline(spec)
        wake = child[1]  # the rows this process writes are the parent's to work on
        core.inbox.also_kick.append(functools.partial(wake, b"i"))
        core.worker.also_kick.append(functools.partial(wake, b"o"))
        core.options = core.router.options = replace(
            core.options, telegram_bot_username=spec.telegram_bot_username
        )
    channels = configured_channels(core)  # each registers its sender with the core
    if own_process:
        settle_garbage_collector()
    if spec is not None:  # a web process: its link to the main process
        core.parent_link = await link_to_parent(spec, {})
        if core.engine.dialect.name == "sqlite":  # the main process writes (bot/inbox_writer.py)
            core.inbox_writer.forward = forward_over(core.parent_link)
    leadership = Leadership(core.engine, core.clock, settings.leader_poll_seconds)
    state = _State(core, leadership, role)
    if role.schedules and leadership.lock is None:  # SQLite: leads at once, as before
        await state.lead(channels, receive_telegram=False)
    worker = asyncio.create_task(core.worker.run(), name="outbox-worker") if role.works else None
    state.tasks.extend([worker] if worker is not None else [])
    lost: list[BaseException] = []

    async def stop_sending() -> None:
        """No more scheduled jobs; the outbox worker finishes the drain it is in."""
        state.stop_scheduler()
        core.worker.stop()
        if worker is not None:
            await worker

    background = [asyncio.create_task(state.beat(), name="heartbeat")]
    if role.schedules and leadership.lock is not None:  # PostgreSQL: wait to lead
        background.append(
            asyncio.create_task(
                state.lead(channels, receive_telegram=role == ProcessRole.SCHEDULER),
                name="leader",
            )
        )
    state.tasks.extend(background)

    def on_end(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            lost.append(task.exception() or RuntimeError())
            log.error("%s ended: %s; stopping", task.get_name(), task.exception())
            stop.set()

    for task in background:
        task.add_done_callback(on_end)
    try:
        if not channels and role == ProcessRole.ALL:
            print(
                "Guyub: no TELEGRAM_BOT_TOKEN or TWILIO_* settings found, so no real channel "
                "is connected. Running the local channel: type messages below (Ctrl-D to quit).",
                flush=True,
            )
            await run_interactive(core, name=None)
        else:
            await _serve(core, channels, stop, stop_sending, state, child[0] if child else None)
    finally:
        for task in background:
            task.remove_done_callback(on_end)
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await state.forget()
        await stop_sending()
        await state.stop_leading()
        if checkpointer is not None:
            checkpointer.stop()
        core.close()
        log.info("Guyub stopped")
    if lost:
        raise lost[0]


def settle_garbage_collector() -> None:
    """Everything built at start-up moves out of the collector's sight (`gc.freeze`), and
    the youngest generation is collected every 7,000 allocations instead of 700.

    Each message allocates thousands of short-lived objects (SQLAlchemy's above all); with
    the defaults the collector kept walking the start-up heap, in pauses that showed as the
    ack p99: alternating bench/inbound.py runs at 500/s gave p99 78–93 ms against 182–197
    ms, and 484–494 against 458–467 messages/s handled. Cyclic garbage is still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 20, 100)


HEARTBEAT = 5.0  # seconds between a process's heartbeats (storage/processes.py)


class _State:
    """What one process runs, for its shutdown, its heartbeat and /readyz."""

    def __init__(self, core: Core, leadership: Leadership, role: ProcessRole) -> None:
        self.core, self.leadership, self.role = core, leadership, role
        self.scheduler: AsyncIOScheduler | None = None
        self.started_at = core.clock.now()
        self.leader_channels: list[ChannelAdapter] = []
        self.tasks: list[asyncio.Task[None]] = []  # the role's loops: all must be running

    def running(self) -> bool:
        """Whether every loop of the role still runs (for /readyz); a web process also
        needs its link to the main process, which handles what it accepts."""
        link = self.core.parent_link
        linked = link is None or not link.closed.done()
        return linked and all(not task.done() for task in self.tasks)

    async def lead(self, channels: list[ChannelAdapter], *, receive_telegram: bool) -> None:
        """Wait for the leader lock, then run the scheduled jobs (a catch-up first) and, for
        a `scheduler` process, receive Telegram (the one poller); hold on while it leads."""
        await self.leadership.elected()
        specs = build_specs(self.core.job_env)
        await catch_up(specs, self.core.clock.now())
        self.scheduler = start_scheduler(self.core.job_env, specs)
        if receive_telegram:
            for channel in channels:
                if channel.name == "telegram":
                    await channel.start(serve_inbox=False, receive=True)
                    self.leader_channels.append(channel)
        if self.leadership.lock is not None:
            await self.leadership.kept()

    def stop_scheduler(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def stop_leading(self) -> None:
        for channel in self.leader_channels:
            try:
                await channel.stop()
            except Exception:
                log.exception("channel %s did not stop cleanly", channel.name)
        self.leader_channels.clear()
        self.leadership.resign()

    def _beat(self) -> None:
        tag = self.core.tag
        with transaction(self.core.open_session) as session:
            beat(
                session=session,
                process_id=tag.name,
                role=tag.role.value,
                host=tag.host,
                pid=tag.pid,
                started_at=self.started_at,
                now=self.core.clock.now(),
                leader=self.leadership.leading and self.role.schedules,
            )

    async def beat(self) -> None:
        """Tell the database this process is alive, every HEARTBEAT seconds of real time."""
        while True:
            try:
                await asyncio.to_thread(self._beat)
            except Exception as error:  # the database is away: /readyz says so
                log.warning("heartbeat not recorded: %s", error)
            await asyncio.sleep(HEARTBEAT)

    async def forget(self) -> None:
        """A clean stop leaves the process list at once."""

        def forget_me() -> None:
            with transaction(self.core.open_session) as session:
                forget(session=session, process_id=self.core.tag.name)

        try:
            await asyncio.to_thread(forget_me)
        except Exception:
            log.warning("could not remove this process from the process list")


async def _serve(
    core: Core,
    channels: list[ChannelAdapter],
    stop: asyncio.Event,
    stop_sending: Callable[[], Awaitable[None]],
    state: _State,
    inherited: socket.socket | None = None,
) -> None:
    """Serve HTTP and the channels until `stop`. A web child serves on the socket its
    parent bound (`inherited`); a main process with WEB_PROCESSES leaves HTTP to children."""
    role = state.role
    webhook_routes = [route for channel in channels for route in channel.routes()]
    routes = [
        *webhook_routes,
        *site_routes(open_session=core.open_session, options=lambda: core.options),
        *dashboard_routes_for(core),
    ]
    app = build_web_app(
        open_session=core.open_session,
        media=core.media,
        routes=routes if role.serves_webhooks else [],
        ready=lambda: readiness(core.engine, role.value, state.leadership.leading, state.running()),
    )
    config = uvicorn.Config(
        app,
        host=core.settings.host,
        port=core.settings.port,
        log_level=core.settings.log_level.lower(),
        lifespan="off",
    )
    server = uvicorn.Server(config)
    # Bind before any channel starts: a taken port is a clear error, not a half-started bot.
    try:
        listener = inherited or socket.create_server((core.settings.host, core.settings.port))
    except OSError as error:
        raise CannotListen(
            f"cannot listen on {core.settings.host}:{core.settings.port}: "
            f"{error.strerror or error} (is another Guyub already running? set PORT)"
        ) from error
    children = None
    # polling alone needs no child
    count = web_process_count(core.settings) if inherited is None and webhook_routes else 0
    if role == ProcessRole.ALL and count:

        def wake(kinds: bytes) -> None:  # a child wrote inbox rows (b"i"), outbox rows (b"o")
            if b"i" in kinds:
                core.inbox.kick()
            if b"o" in kinds:
                core.worker.kick()

        desk = ArrivalDesk(core.open_session, core.router.turn, core.inbox.kick)

        async def write_rows(rows: list[dict[str, Any]]) -> list[int | None]:
            return await desk.take([Arrival.from_json(row) for row in rows])

        calls: Handlers = {"inbox": write_rows}
        for channel in channels:
            calls.update(getattr(channel, "parent_calls", dict)())
        immediate: Immediate = {
            "inbox": lambda bodies: desk.take_now(
                [[Arrival.from_json(row) for row in rows] for rows in bodies]
            )
        }
        children = WebChildren(core.settings, listener, count, wake, calls, immediate)
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    # a web process leaves Ctrl-C (SIGINT, sent to the whole terminal) to its parent, which
    # stops it with SIGTERM once it is its turn
    stop_on = (signal.SIGTERM,) if inherited is not None else (signal.SIGINT, signal.SIGTERM)
    for sig in stop_on:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    serving: asyncio.Task[None] | None = None
    if children is None:  # connections wait in the socket's backlog meanwhile
        serving = asyncio.create_task(server.serve(sockets=[listener]), name="web")
    started: list[ChannelAdapter] = []
    try:
        for channel in channels:
            if role == ProcessRole.ALL:
                await channel.start()
            elif role == ProcessRole.WORKER:
                await channel.start(serve_inbox=True, receive=False)
            elif role == ProcessRole.WEB:
                channel.accept_webhooks()
            else:
                continue  # scheduler: the leader starts Telegram itself
            started.append(channel)
            log.info("channel %s started", channel.name)
        if children is not None:  # after the channels: the bot's username is known now
            children.telegram_bot_username = core.options.telegram_bot_username
            serving = asyncio.create_task(children.run(), name="web-processes")
        assert serving is not None
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        log.info("shutting down: no new updates, finishing in-flight work")
        # The web server goes first: it stops accepting and finishes the requests it has,
        # so no webhook is refused while the channels still work (Twilio does not retry
        # inbound messages). Then each channel finishes what those requests started.
        if children is not None:
            await children.stop()
        server.should_exit = True
        try:
            if serving is not None:
                await serving
            await stop_sending()  # while the channels can still deliver what is in flight
        finally:
            for channel in reversed(started):
                try:
                    await channel.stop()
                except Exception:
                    log.exception("channel %s did not stop cleanly", channel.name)
            for sig in handled:  # Ctrl-C behaves as usual again once we are down
                loop.remove_signal_handler(sig)
            if children is not None:  # no uvicorn here to close it
                listener.close()


async def run_interactive(core: Core, name: str | None) -> None:
    """Chat in the terminal as `name` (asked for when None); `@as OTHER` switches user;
    `@clock`, `@channel` work."""
    chat = LocalChat(core)
    read_line = functools.partial(asyncio.to_thread, sys.stdin.readline)
    name = name or await ask_name(read_line, lambda text: print(text, end="", flush=True))
    if name is None:
        print()
        return
    while True:
        print(f"{name} > ", end="", flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            print()
            return
        line = line.rstrip("\n")
        if line.startswith("@as "):
            name = line[4:].strip() or name
        elif line.startswith(("@", "#")):
            await chat.line(line)
        elif line.strip():
            await chat.say(name, line)
