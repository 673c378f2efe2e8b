"""Start-up errors are one clear line naming the setting to fix (issue 10: a 30-line
traceback for a webhook without a secret, a chained traceback when Telegram is
unreachable, "WhatsApp is off" then "no TWILIO_* settings found" for half a Twilio set-up)."""

import asyncio
import logging
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.channels.base import CannotStart
from bot.channels.telegram import START_DELAYS
from bot.cli import main
from bot.runner import run_bot
from bot.settings import Settings
from handlers.clock import ManualClock
from tests.core.test_run import run_guyub
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:GUYUB-START-TOKEN"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: Telegram, unreachable."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_webhook_without_a_secret_is_one_line(tmp_path: Path) -> None:
    result = run_guyub(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_URL="https://guyub.example/telegram",
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "guyub: configuration error: TELEGRAM_WEBHOOK_URL is set, so TELEGRAM_WEBHOOK_SECRET "
        "must be too: 1-256 characters of A-Z, a-z, 0-9, _ and - (or remove "
        "TELEGRAM_WEBHOOK_URL to use long polling)"
    ]


def test_half_set_twilio_names_the_missing_settings(tmp_path: Path) -> None:
    result = run_guyub(tmp_path, TWILIO_ACCOUNT_SID="AC0123456789")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "guyub: configuration error: WhatsApp is half set up: TWILIO_ACCOUNT_SID set but "
        "TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM, PUBLIC_BASE_URL missing; set the missing "
        "ones, or remove the TWILIO_* settings to run without WhatsApp"
    ]
    assert "WhatsApp is off" not in result.stdout + result.stderr
    assert "no TWILIO_* settings found" not in result.stdout


def test_setting_errors_name_the_setting_and_hide_the_value(tmp_path: Path) -> None:
    result = run_guyub(tmp_path, PORT="eighty", TELEGRAM_BOT_TOKEN="changeme")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("guyub: configuration error: PORT: ")
    assert "eighty" not in result.stderr and "Traceback" not in result.stderr


def test_unreachable_telegram_retries_then_exits_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    port = closed_port()
    for name, value in {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "PORT": str(closed_port()),
    }.items():
        monkeypatch.setenv(name, value)
    clock = ManualClock()
    start = clock.now()
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram"):
        assert main(["run", "--db", str(tmp_path / "g.db")], clock=clock) == 6
    err = capsys.readouterr().err
    attempts = len(START_DELAYS) + 1
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("guyub:")] == [
        f"guyub: cannot reach Telegram at 127.0.0.1:{port} after {attempts} attempts "
        f"(aiohttp.ClientConnectorError: cannot connect to 127.0.0.1:{port}); check the "
        "network or TELEGRAM_API_BASE_URL"
    ]
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == len(START_DELAYS)
    assert retries[0].endswith(f"attempt 1 of {attempts}, retrying in 1 s")
    assert clock.now() - start >= timedelta(seconds=sum(START_DELAYS))  # backoff, virtually


async def test_a_flaky_telegram_is_waited_for(tmp_path: Path, clock: ManualClock) -> None:
    async with FakeTelegramAPI() as api:
        api.fail_next("getMe", 502, "Bad Gateway", times=2)
        settings = _settings(tmp_path, api)
        stop = asyncio.Event()
        running = asyncio.create_task(run_bot(settings, stop=stop, clock=clock))
        await api.wait_for("getUpdates")  # polling: it started after all
        stop.set()
        await running
    assert [c.ok for c in api.calls_to("getMe")][:3] == [False, False, True]


async def test_a_refused_token_stops_at_once(tmp_path: Path, clock: ManualClock) -> None:
    start = clock.now()
    async with FakeTelegramAPI(token="999:OTHER") as api:
        with pytest.raises(CannotStart, match="Telegram refused TELEGRAM_BOT_TOKEN") as refused:
            await run_bot(_settings(tmp_path, api), clock=clock)
        assert TOKEN not in str(refused.value)  # PTB's own message names the token
    assert clock.now() == start  # no retries: a wrong token stays wrong


def _settings(tmp_path: Path, api: FakeTelegramAPI) -> Settings:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'g.db'}",
        media_dir=tmp_path / "media",
        host="127.0.0.1",
        port=port,
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_base_url=api.base_url,
        telegram_api_file_url=api.base_file_url,
        _env_file=None,  # type: ignore[call-arg]
    )
