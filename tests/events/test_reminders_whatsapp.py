"""Reminders and the calendar file over WhatsApp for real (signed webhooks in, the real
twilio client out to the fake Twilio API): inside the 24-hour window a session message,
outside it the reminder Content template with the event's name, date and place, or
`needs_template` when none is configured."""

# ruff: noqa: F811  (the WhatsApp fixtures are imported from tests/whatsapp/conftest.py)

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar
from sqlmodel import select

from bot.settings import Settings
from handlers.messages import Channel
from storage.models import Member, OutboxMessage
from tests.events.test_reminders import EVENING_BEFORE, move_clock
from tests.events.town import create
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import (  # noqa: F401  (fixtures used by name)
    ACCOUNT_SID,
    BOT_NUMBER,
    PUBLIC,
    TOKEN,
    api,
    channel,
    chat,
    http,
    line,
    member,
    sari,
)

TEMPLATE_REMINDER = "HX" + "r" * 32
WEDNESDAY_10_WIB = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)


@pytest.fixture
def template_reminder() -> str | None:
    return TEMPLATE_REMINDER


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, api: FakeTwilioAPI, template_reminder: str | None
) -> Settings:
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=TOKEN,  # type: ignore[arg-type]
        twilio_whatsapp_from=BOT_NUMBER,
        twilio_api_base_url=api.base_url,
        public_base_url=PUBLIC,
        whatsapp_template_reminder=template_reminder,
        _env_file=None,  # type: ignore[call-arg]
    )


async def _posyandu(chat: Transcript, api: FakeTwilioAPI) -> None:
    """Bu RT (local) creates the posyandu; Sari answers HADIR on WhatsApp on Monday."""
    await chat.join("Bu RT", channel=Channel.LOCAL)
    chat.coordinator("Bu RT")
    await create(chat, "Posyandu Melati | Kamis 10 Des 08.00 | Balai RW 05")
    await chat.say("Sari", "HADIR 1")
    api.clear()


def _reminder_row(chat: Transcript) -> OutboxMessage:
    with chat.core.open_session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "reminder")
        return session.exec(query).one()


async def test_outside_the_window_the_reminder_template_carries_name_date_and_place(
    chat: Transcript, member: Member, api: FakeTwilioAPI
) -> None:
    await _posyandu(chat, api)
    api.outside_window(member.phone or "")
    await move_clock(chat, EVENING_BEFORE)  # 57 hours after her last message
    [sent] = api.messages
    assert sent.content_sid == TEMPLATE_REMINDER and sent.body is None
    assert sent.content_variables == {
        "1": "Posyandu Melati",
        "2": "Kamis, 10 Desember 2026 pukul 08.00 WIB",
        "3": "Balai RW 05",
    }
    assert _reminder_row(chat).status == "sent"


@pytest.mark.parametrize("template_reminder", [None])
async def test_outside_the_window_without_a_template_the_reminder_needs_one(
    chat: Transcript, member: Member, api: FakeTwilioAPI
) -> None:
    await _posyandu(chat, api)
    await move_clock(chat, EVENING_BEFORE)
    assert api.attempts == []
    assert _reminder_row(chat).status == "needs_template"


async def test_inside_the_window_the_reminder_is_a_plain_message(
    chat: Transcript, member: Member, api: FakeTwilioAPI
) -> None:
    await _posyandu(chat, api)
    chat.core.clock.set(WEDNESDAY_10_WIB)  # type: ignore[attr-defined]
    await chat.say("Sari", "ACARA")
    api.clear()
    await move_clock(chat, EVENING_BEFORE)
    [sent] = api.messages
    assert sent.content_sid is None and sent.body is not None
    assert "⏰ Pengingat: #1 Posyandu Melati" in sent.body
    assert "Kamis, 10 Desember 2026 pukul 08.00 WIB" in sent.body


async def test_the_calendar_file_is_a_private_link_on_whatsapp(
    chat: Transcript, member: Member, api: FakeTwilioAPI, http: httpx.AsyncClient
) -> None:
    await _posyandu(chat, api)
    text = "\n".join(await chat.bodies("Sari", "KALENDER 1"))
    assert all(m.media_url == [] for m in api.messages)
    link = next(line for line in text.splitlines() if line.startswith("📎 http"))
    response = await http.get(link.removeprefix(f"📎 {PUBLIC}"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert 'filename="acara-1.ics"' in response.headers["content-disposition"]
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == "event-1-202612100100@KBA13.guyub"
