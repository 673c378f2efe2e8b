"""The final report counts what Twilio's signed status callbacks said about each message."""

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from bot.app import Core
from handlers.messages import Channel
from storage.models import Community
from tests.announce.conftest import Kampung, wa
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import (  # noqa: F401  (the real WhatsApp channel's fixtures)
    api,
    channel,
    http,
    line,
    sari,
    settings,  # a template for notices only: broadcasts outside the window need one
    template_notice,
)
from tests.whatsapp.line import WhatsAppLine
from tests.whatsapp.test_status import report


@pytest.fixture
def kampung(core: Core, community: Community, line: WhatsAppLine) -> Iterator[Kampung]:  # noqa: F811
    town = Kampung(core, community)
    town.use(line)
    yield town


async def test_report_counts_delivered_read_failed_and_needs_template(
    kampung: Kampung,
    api: FakeTwilioAPI,  # noqa: F811
    http: httpx.AsyncClient,  # noqa: F811
) -> None:
    await kampung.coordinator_bu_rt()  # on the local channel
    await kampung.people(whatsapp=5)
    kampung.clock.advance(timedelta(days=2))
    for n in (1, 2, 3, 4):  # W5 stays silent: outside the window, and no template is set
        await kampung.say(wa(n), "MENU")
    await kampung.say(wa(4), "BERHENTI")
    api.clear()

    await kampung.say("Bu RT", "/umumkan Kerja bakti Minggu", channel=Channel.LOCAL)
    await kampung.say("Bu RT", press="Semua")  # W4 opted out: not in the audience
    await kampung.say("Bu RT", press="Kirim sekarang")
    by_number = {m.to or "": m for m in api.messages}
    assert sorted(by_number) == [f"whatsapp:{wa(n)}" for n in (1, 2, 3)]
    assert all("Kerja bakti Minggu" in (m.body or "") for m in api.messages)

    assert await report(http, api, by_number[f"whatsapp:{wa(1)}"], "delivered") == 200
    assert await report(http, api, by_number[f"whatsapp:{wa(2)}"], "read") == 200
    assert await report(http, api, by_number[f"whatsapp:{wa(3)}"], "undelivered", 63024) == 200
    await kampung.minute()

    assert kampung.delivered("Bu RT")[-1].splitlines() == [
        "📊 Laporan pengumuman #1",
        "Penerima: 4",
        "Terkirim: 2",
        "Diterima (WhatsApp): 2",
        "Dibaca (WhatsApp): 1",
        "Gagal: 1",
        "  · 63024: 1",
        "Sudah berhenti langganan: 0",
        "Perlu template WhatsApp (di luar 24 jam): 1",
    ]
