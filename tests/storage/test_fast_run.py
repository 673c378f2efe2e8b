"""storage/core.py `run`: on SQLite the hot statements skip SQLAlchemy's execution
machinery, and must store exactly what it would have stored."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from storage.core import run, table_of
from storage.inbox import INSERT_ROW, TAKE
from storage.models import InboxMessage

NOW = datetime(2026, 12, 7, 2, 0, 0, 123456, tzinfo=UTC)
ROW: dict[str, Any] = {
    "channel": "whatsapp",
    "platform_id": "SM1",
    "sender": "+6281200000001",
    "payload": {"fields": {"Body": "Keripik {rasa} 15rb", "ü": "ok"}},
    "received_at": NOW,
}


def raw_rows(engine: Engine) -> list[tuple[object, ...]]:
    """The inbox as stored, every column as the database holds it."""
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(table_of(InboxMessage))).all()]


def test_rows_written_by_run_are_stored_as_sqlalchemy_stores_them(engine: Engine) -> None:
    with Session(engine) as session:
        fast_id = run(session, INSERT_ROW, ROW).scalar_one()
        slow_id = session.execute(
            insert(table_of(InboxMessage)).returning(table_of(InboxMessage).c.id),
            {**ROW, "platform_id": "SM2"},
        ).scalar_one()
        session.commit()
    fast, slow = sorted(raw_rows(engine))
    assert (fast[0], slow[0]) == (fast_id, slow_id)
    assert fast[1:] == tuple(v if v != "SM2" else "SM1" for v in slow[1:])  # same bytes
    with Session(engine) as session:
        loaded = session.get(InboxMessage, fast_id)
        assert loaded is not None
        assert loaded.payload == ROW["payload"] and loaded.received_at == NOW
        assert loaded.attempts == 0  # the column's default, filled in as SQLAlchemy would


def test_an_update_with_returning_reports_whether_it_changed_a_row(engine: Engine) -> None:
    with Session(engine) as session:
        row_id = run(session, INSERT_ROW, ROW).scalar_one()
        values = {"row_id": row_id, "done_at": NOW, "payload": {}, "sender": ""}
        assert run(session, TAKE, values).first() is not None
        assert run(session, TAKE, values).first() is None  # done already
        session.commit()
        stored = session.get(InboxMessage, row_id)
        assert stored is not None and stored.done_at == NOW and stored.payload == {}


def test_pending_orm_changes_are_written_before_the_statement(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(InboxMessage(**{**ROW, "platform_id": "SM9"}))  # not flushed yet
        row_id = run(session, INSERT_ROW, ROW).scalar_one()
        session.commit()
        ids = session.execute(select(table_of(InboxMessage).c.id).order_by("id")).scalars().all()
    assert len(ids) == 2 and ids[-1] == row_id  # the added row went in first
