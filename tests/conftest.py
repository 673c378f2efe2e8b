"""Shared fixtures: a real SQLite file per test, a clock that only moves when told."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Without this, python-telegram-bot warns while building RetryAfter (an error under our
# filterwarnings); production sets it in bot/channels/telegram.py as well.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.app import Core, build_core
from bot.settings import Settings
from handlers.clock import ManualClock
from storage.db import make_engine, prepare
from storage.models import Community
from tests.factories import Transcript, copy_database, make_community

MONDAY_9_WIB = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """Monday 7 December 2026, 09:00 WIB."""
    return ManualClock(MONDAY_9_WIB)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated with Alembic once per run; tests start from copies of it.

    Migrating takes tens of milliseconds, a copy a fraction of that, and a copy is at the
    head revision, so `build_core` only checks the schema. tests/storage/test_db.py and the
    CLI's `db upgrade` test still migrate for real.
    """
    path = tmp_path_factory.mktemp("template") / "guyub.db"
    engine = make_engine(f"sqlite:///{path}")
    prepare(engine)
    engine.dispose()  # the last connection closing folds the WAL back into the file
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> str:
    """A migrated SQLite file of this test's own."""
    return copy_database(migrated_template, tmp_path / "guyub.db")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings on a fresh SQLite file, ignoring any .env on the machine."""
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def core(settings: Settings, clock: ManualClock) -> Iterator[Core]:
    """The assembled bot core on a real SQLite file."""
    built = build_core(settings, clock)
    yield built
    built.close()


@pytest.fixture
def community(core: Core) -> Community:
    """KBA 13 Ulu, invite code KBA13, in WIB."""
    return make_community(core)


@pytest.fixture
def chat(core: Core, community: Community) -> Transcript:
    """A transcript helper on the community's database."""
    return Transcript(core, community)
