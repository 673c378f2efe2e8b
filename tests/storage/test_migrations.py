"""Models and migrations agree, and `guyub db revision` writes the next migration.

Whatever tables the models have, a database migrated to head must hold exactly them:
a model change without its migration fails here (run `guyub db revision -m ...`).
"""

import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, ForeignKey, Integer, String, Table, text
from sqlmodel import Session, SQLModel

from bot.cli import main
from storage.db import (
    MIGRATIONS_DIR,
    NothingToMigrate,
    _alembic_config,
    current_revision,
    head_revision,
    include_object,
    make_engine,
    new_revision,
    next_revision_id,
    upgrade,
)
from storage.products import search_products
from tests.postgres import PG_URL, fresh_schema, schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it (PostgreSQL: a fresh schema of its own)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set (no PostgreSQL server answered)")
    with fresh_schema() as schema:
        engine = make_engine(schema_url(schema))
        try:
            yield engine
        finally:
            engine.dispose()


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, SQLModel.metadata))


def test_the_migrations_build_exactly_the_models(empty_database: Engine) -> None:
    upgrade(empty_database)
    with Session(empty_database) as session:  # the derived search index, where there is one
        search_products(session=session, community_id=1, words=["keripik"], limit=5)
        session.commit()
    assert differences(empty_database) == []
    assert current_revision(empty_database) == head_revision()


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    """A copy of the migrations folder, for revisions written by a test."""
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_no_model_change_means_no_new_revision(migrations: Path) -> None:
    with pytest.raises(NothingToMigrate):
        new_revision("nothing", migrations=migrations)
    assert sorted(p.name for p in (migrations / "versions").glob("*.py")) == sorted(
        p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")
    )


def test_a_new_table_becomes_the_next_numbered_revision(migrations: Path, tmp_path: Path) -> None:
    following = next_revision_id(migrations)
    assert following == f"{int(head_revision() or 0) + 1:04d}"
    table = Table(
        "throwaway_gossip",
        SQLModel.metadata,
        Column("id", Integer, primary_key=True),
        Column("community_id", Integer, ForeignKey("community.id"), nullable=False),
        Column("note", String, nullable=False),
    )
    try:
        behind = make_engine(f"sqlite:///{tmp_path / 'head.db'}")
        upgrade(behind)
        added = [d[1].name for d in differences(behind) if d[0] == "add_table"]
        assert "throwaway_gossip" in added  # the comparison is not blind
        behind.dispose()

        path = new_revision("add throwaway gossip", migrations=migrations)
        assert path.name == f"{following}_add_throwaway_gossip.py"
        source = path.read_text(encoding="utf-8")
        assert "op.create_table('throwaway_gossip'" in source
        assert f"down_revision: str | None = '{head_revision()}'" in source

        engine = make_engine(f"sqlite:///{tmp_path / 'next.db'}")
        command.upgrade(_alembic_config(engine, migrations), "head")
        assert differences(engine) == []  # the new revision makes the database match
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == following
        engine.dispose()
    finally:
        SQLModel.metadata.remove(table)


def test_guyub_db_revision_refuses_an_empty_one(
    migrations: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setattr("bot.cli.new_revision", partial(new_revision, migrations=migrations))
    assert main(["db", "revision", "-m", "nothing"]) == 1
    assert "nothing to add" in capsys.readouterr().err
    assert main(["db", "revision", "-m", " "]) == 2


def test_a_database_with_rows_upgrades_from_0001(tmp_path: Path) -> None:
    """0002 is the first revision on top of a deployed 0001: rows already there survive,
    new NOT NULL columns get their defaults and old outbox rows land in their lane."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(_alembic_config(engine), "0001")
    now = "2026-12-01 02:00:00.000000"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO community (id, name, invite_code, timezone, language,"
                " approval_required, max_active_products, created_at)"
                " VALUES (1, 'KBA', 'KBA13', 'Asia/Jakarta', 'id', 0, 20, :now)"
            ),
            {"now": now},
        )
        for kind in ("notice", "digest", "broadcast"):
            connection.execute(
                text(
                    "INSERT INTO outbox (community_id, kind, idempotency_key, payload, status,"
                    " attempts, next_attempt_at, created_at, updated_at)"
                    " VALUES (1, :kind, :key, '{}', 'pending', 0, :now, :now, :now)"
                ),
                {"kind": kind, "key": f"k-{kind}", "now": now},
            )
        # a member with a chat account and a product: a later revision that rebuilt the
        # member table (SQLite's batch mode drops it) would cascade-delete both
        connection.execute(
            text(
                "INSERT INTO member (id, community_id, display_name, role, language, hide_phone,"
                " assisted, created_at, updated_at)"
                " VALUES (1, 1, 'Siti', 'seller', 'id', 0, 0, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO channelidentity (channel, address, member_id, display_name,"
                " created_at) VALUES ('local', 'Siti', 1, 'Siti', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO product (community_id, seller_id, title, description, category,"
                " status, search_text, created_at, updated_at, last_confirmed_at)"
                " VALUES (1, 1, 'Keripik', '', 'kuliner', 'active', 'keripik', :now, :now, :now)"
            ),
            {"now": now},
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        lanes = {
            kind: lane for kind, lane in connection.execute(text("SELECT kind, lane FROM outbox"))
        }
        kept = [
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("member", "channelidentity", "product")
        ]
        flags = (
            connection.execute(
                text(
                    "SELECT leaderboard_hidden FROM member"
                    " UNION ALL SELECT public_catalogue FROM community"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert lanes == {"notice": 1, "digest": 2, "broadcast": 2}
    assert kept == [1, 1, 1]
    assert flags == [0, 0]  # new NOT NULL flags default to off
