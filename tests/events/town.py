"""Helpers for event tests: read the event tables, make a coordinator, create an event."""

from sqlmodel import col, select

from storage.models import Event, EventOccurrence, Rsvp
from tests.factories import Transcript


def events(chat: Transcript) -> list[Event]:
    """Every event row, oldest first."""
    with chat.core.open_session() as session:
        return list(session.exec(select(Event).order_by(col(Event.id))).all())


def exceptions(chat: Transcript) -> list[EventOccurrence]:
    """Every moved or cancelled occurrence."""
    with chat.core.open_session() as session:
        query = select(EventOccurrence).order_by(col(EventOccurrence.id))
        return list(session.exec(query).all())


def answers(chat: Transcript) -> list[Rsvp]:
    """Every RSVP row, oldest first."""
    with chat.core.open_session() as session:
        return list(session.exec(select(Rsvp).order_by(col(Rsvp.id))).all())


async def coordinator(chat: Transcript, who: str = "Bu RT", invite: str = "KBA13") -> None:
    """`who` joins and is made a coordinator."""
    await chat.join(who, invite=invite)
    chat.coordinator(who)


async def create(chat: Transcript, line: str, who: str = "Bu RT") -> int:
    """`/acara <line>` confirmed with Ya; the new event's id."""
    await chat.say(who, f"/acara {line}")
    done = await chat.texts(who, press="Ya, simpan")
    assert "tersimpan" in done[0], done
    return events(chat)[-1].id or 0
