"""The schema guard, migrations and SQLite settings."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import storage.db
from bot.app import build_core
from bot.settings import Settings
from handlers.clock import ManualClock
from storage.db import (
    SchemaOutOfDate,
    check_schema,
    current_revision,
    head_revision,
    make_engine,
    prepare,
)


def test_sqlite_gets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'guyub.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()


def test_an_out_of_date_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    prepare(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000_old'"))
    with pytest.raises(SchemaOutOfDate, match="guyub db upgrade"):
        prepare(engine)
    engine.dispose()


def test_a_database_from_elsewhere_is_not_touched(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaOutOfDate):
        prepare(engine)
    with pytest.raises(SchemaOutOfDate):
        check_schema(engine)
    engine.dispose()


def test_postgres_urls_as_hosts_give_them_use_psycopg() -> None:
    for url in ("postgres://guyub:pw@127.0.0.1/guyub", "postgresql://guyub:pw@127.0.0.1/guyub"):
        engine = make_engine(url)  # connects lazily: no server needed
        assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
        engine.dispose()


def test_a_copied_template_is_not_migrated_again(
    settings: Settings, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-test copy of the migrated template is at head, so build_core only checks it."""

    def refuse(engine: Engine) -> None:
        raise AssertionError("build_core migrated a database that was already at head")

    monkeypatch.setattr(storage.db, "upgrade", refuse)
    core = build_core(settings, clock)
    try:
        assert current_revision(core.engine) == head_revision()
    finally:
        core.close()
