"""DATAKU on Telegram: the summary, then the JSON export as a document with its own name."""

import json

from bot.app import Core
from storage.models import Community
from tests.factories import Transcript
from tests.telegram.chats import add_member
from tests.telegram.line import TelegramLine


async def test_dataku_sends_the_json_as_a_document(
    chat: Transcript, line: TelegramLine, core: Core, community: Community
) -> None:
    add_member(core, community, 42, "Siti")
    await chat.say("Siti", "/dataku")
    summary, document = line.sent("Siti", "sendMessage", "sendDocument")
    assert summary.method == "sendMessage" and "Data Anda di Guyub" in summary.params["text"]
    assert document.method == "sendDocument"
    assert document.file_names["document"] == "guyub-data-2026-12-07.json"
    data = document.file("document")
    assert isinstance(data, bytes)
    assert json.loads(data)["data"]["profile"][0]["display_name"] == "Siti"
