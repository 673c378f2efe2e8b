"""The real Telegram channel (real PTB Application) against FakeTelegramAPI, on real SQLite."""

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from bot.settings import Settings
from storage.models import Community
from tests.factories import Transcript
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.line import TelegramLine

TOKEN = "123456:GUYUB-TEST-TOKEN"


@pytest.fixture(autouse=True)
def timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB builds RetryAfter without a deprecation warning (an error here)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    """A running fake Bot API on 127.0.0.1."""
    async with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, database_url: str, api: FakeTelegramAPI) -> Settings:
    """Polling-mode settings pointed at the fake (overrides the shared fixture)."""
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_base_url=api.base_url,
        telegram_api_file_url=api.base_file_url,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def telegram(core: Core, community: Community) -> AsyncIterator[TelegramChannel]:
    """The started channel, registered as the core's Telegram sender; stopped afterwards."""
    channel = TelegramChannel(core, poll_timeout=timedelta(seconds=1))
    await channel.start()
    yield channel
    await channel.stop()


@pytest.fixture
def update_ids() -> Iterator[int]:
    """Fresh update ids for one test."""
    return itertools.count(100)


@pytest.fixture
def line(
    core: Core, api: FakeTelegramAPI, telegram: TelegramChannel, update_ids: Iterator[int]
) -> TelegramLine:
    """Telegram for real, with Siti (user 42, @siti_kripik) among its people."""
    telegram_line = TelegramLine(core, api, telegram, update_ids)
    telegram_line.person("Siti", 42, username="siti_kripik")
    return telegram_line


@pytest.fixture
def chat(core: Core, community: Community, line: TelegramLine) -> Transcript:
    """The transcript helper, everyone on Telegram (the real PTB path) unless switched."""
    transcript = Transcript(core, community)
    transcript.use(line, default=True)
    return transcript
