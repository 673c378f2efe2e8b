"""DATAKU on Telegram: the summary, then the JSON export as a document with its own name."""

import json

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from storage.models import Community
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.chats import TelegramUser, add_member


async def test_dataku_sends_the_json_as_a_document(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    siti: TelegramUser,
) -> None:
    add_member(core, community, 42, "Siti")
    siti.say("/dataku")
    summary, document = await siti.hears(2, "sendMessage", "sendDocument")
    assert summary.method == "sendMessage" and "Data Anda di Guyub" in summary.params["text"]
    assert document.method == "sendDocument"
    assert document.file_names["document"] == "guyub-data-2026-12-07.json"
    data = document.file("document")
    assert isinstance(data, bytes)
    assert json.loads(data)["data"]["profile"][0]["display_name"] == "Siti"
