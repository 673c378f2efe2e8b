"""`guyub run`: every configured channel, the web server, the scheduler and the outbox worker."""

import asyncio
import contextlib
import functools
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable

import uvicorn

from bot.app import Core, build_core
from bot.channels.base import ChannelAdapter
from bot.channels.local import LocalChat, ask_name
from bot.settings import Settings
from bot.site.dashboard import dashboard_routes_for
from bot.site.routes import site_routes
from bot.web import build_web_app
from handlers.clock import Clock
from jobs.scheduler import build_specs, catch_up, start_scheduler

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
    settings: Settings, *, stop: asyncio.Event | None = None, clock: Clock | None = None
) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set); with no credentials, run the local channel.

    `stop` and `clock` let a test run the whole process in its own event loop; `stop`
    has no effect on the local channel, which ends when its input does.
    """
    quiet_http_loggers()
    core = build_core(settings, clock)
    channels = configured_channels(core)  # each registers its sender with the core
    specs = build_specs(core.job_env)
    await catch_up(specs, core.clock.now())
    scheduler = start_scheduler(core.job_env, specs)
    worker = asyncio.create_task(core.worker.run(), name="outbox-worker")

    async def stop_sending() -> None:
        """No more scheduled jobs; the outbox worker finishes the drain it is in."""
        if scheduler.running:
            scheduler.shutdown(wait=False)
        core.worker.stop()
        await worker

    try:
        if not channels:
            print(
                "Guyub: no TELEGRAM_BOT_TOKEN or TWILIO_* settings found, so no real channel "
                "is connected. Running the local channel: type messages below (Ctrl-D to quit).",
                flush=True,
            )
            await run_interactive(core, name=None)
        else:
            await _serve(core, channels, stop or asyncio.Event(), stop_sending)
    finally:
        await stop_sending()
        core.close()
        log.info("Guyub stopped")


async def _serve(
    core: Core,
    channels: list[ChannelAdapter],
    stop: asyncio.Event,
    stop_sending: Callable[[], Awaitable[None]],
) -> None:
    routes = [route for channel in channels for route in channel.routes()]
    routes += site_routes(open_session=core.open_session, options=lambda: core.options)
    routes += dashboard_routes_for(core)
    app = build_web_app(open_session=core.open_session, media=core.media, routes=routes)
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
        listener = socket.create_server((core.settings.host, core.settings.port))
    except OSError as error:
        raise CannotListen(
            f"cannot listen on {core.settings.host}:{core.settings.port}: "
            f"{error.strerror or error} (is another Guyub already running? set PORT)"
        ) from error
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    serving = asyncio.create_task(server.serve(sockets=[listener]), name="web")
    started: list[ChannelAdapter] = []
    try:
        for channel in channels:
            await channel.start()
            started.append(channel)
            log.info("channel %s started", channel.name)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        log.info("shutting down: no new updates, finishing in-flight work")
        # The web server goes first: it stops accepting and finishes the requests it has,
        # so no webhook is refused while the channels still work (Twilio does not retry
        # inbound messages). Then each channel finishes what those requests started.
        server.should_exit = True
        try:
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
