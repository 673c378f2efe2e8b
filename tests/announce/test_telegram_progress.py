"""On Telegram the coordinator's progress line is one message, edited in place (the real
PTB adapter against the fake Bot API)."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.app import Core
from handlers.messages import Channel
from storage.models import Community
from tests.announce.conftest import Kampung
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.conftest import (  # noqa: F401  (the real Telegram channel's fixtures)
    api,
    line,
    settings,
    telegram,
    timedelta_periods,
    update_ids,
)
from tests.telegram.line import TelegramLine

BU_RT = 4242


@pytest.fixture
def kampung(core: Core, community: Community, line: TelegramLine) -> Iterator[Kampung]:  # noqa: F811
    town = Kampung(core, community)
    town.use(line)
    line.person("Bu RT", BU_RT)
    yield town


async def test_progress_is_edited_in_place_then_reported(
    kampung: Kampung,
    api: FakeTelegramAPI,  # noqa: F811
) -> None:
    await kampung.join("Bu RT", channel=Channel.TELEGRAM)
    kampung.coordinator("Bu RT")
    kampung.crowd(60)
    await kampung.say("Bu RT", "/umumkan Kerja bakti Minggu")
    await kampung.say("Bu RT", press="Semua")
    await kampung.say("Bu RT", press="Jadwalkan")
    await kampung.say("Bu RT", "hari ini jam 09.29")
    kampung.clock.advance(timedelta(minutes=28))

    await kampung.minute(8, batch=25)

    progress = [c for c in api.calls_to("sendMessage") if "terkirim" in c.params["text"]]
    assert [c.params["text"] for c in progress] == ["📣 Pengumuman #1: terkirim 0/60"]
    assert progress[0].chat_id == BU_RT
    first_id = progress[0].result["message_id"]
    edits = api.calls_to("editMessageText")
    assert [(e.chat_id, e.params["message_id"], e.params["text"]) for e in edits] == [
        (BU_RT, first_id, "📣 Pengumuman #1: terkirim 24/60"),
        (BU_RT, first_id, "📣 Pengumuman #1: terkirim 48/60"),
    ]
    assert all(e.ok for e in edits)
    report = api.sent_texts(BU_RT)[-1]
    assert report.startswith("📊 Laporan pengumuman #1\nPenerima: 60\nTerkirim: 60")
    assert len(kampung.senders["local"].sent) == 60  # the members, each once
