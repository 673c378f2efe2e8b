"""Opting out over WhatsApp: Guyub's own list, checked by the delivery worker at send time."""

import pytest

from bot.app import Core
from handlers.messages import Reply
from storage.models import Member
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import Phone, queue, row


@pytest.mark.parametrize("word", ["STOP", "BERHENTI", "keluar"])
async def test_stop_skips_queued_notices_and_mulai_brings_them_back(
    chat: Transcript, word: str, sari: Phone, core: Core, member: Member, api: FakeTwilioAPI
) -> None:
    queued = queue(core, member, Reply("Bazar UMKM hari Minggu!"))  # queued before she stops
    [stopped] = await chat.bodies("Sari", word)  # the drain after her message sees the opt-out
    assert stopped.startswith("Baik, Anda tidak akan menerima pesan promosi")
    assert row(core, queued).status == "skipped" and row(core, queued).last_error == "opted_out"
    assert (await core.drain()).counts == {}  # skipped for good, never sent later
    assert sari.bodies(api.messages) == [stopped]

    [back] = await chat.bodies("Sari", "MULAI")
    assert back.startswith("Selamat datang kembali!")
    again = queue(core, member, Reply("Bazar UMKM hari Minggu!"))
    assert (await core.drain()).counts == {"sent": 1}
    assert row(core, again).status == "sent"
    assert sari.bodies(api.messages)[-1] == "Bazar UMKM hari Minggu!"
