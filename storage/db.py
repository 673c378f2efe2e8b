"""Engines, sessions and the schema guard, for SQLite (default) and PostgreSQL alike."""

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

import storage.models  # noqa: F401  (registers the tables on the metadata)

__all__ = [
    "NothingToMigrate",
    "SchemaOutOfDate",
    "SessionFactory",
    "check_schema",
    "make_engine",
    "new_revision",
    "prepare",
    "session_factory",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SessionFactory = Callable[[], Session]


class SchemaOutOfDate(RuntimeError):
    """The database was made by another version of Guyub; refuse rather than corrupt it."""


class NothingToMigrate(RuntimeError):
    """The models already match the newest migration: a new revision would be empty."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def make_engine(url: str, *, background_checkpoints: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection.

    Statement parameters are kept out of error messages: they hold phone numbers and link
    codes, and errors end up in logs. `background_checkpoints` (SQLite): commits never
    checkpoint; the caller runs storage/checkpoints.py's Checkpointer instead.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        if background_checkpoints:
            event.listen(engine, "connect", _no_autocheckpoint)
        return engine
    if parsed.drivername in {"postgresql", "postgres"}:  # postgres:// as hosts often give it
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


DERIVED_PREFIXES = ("product_fts",)
"""Tables Guyub derives and rebuilds by itself (the SQLite search index), outside Alembic."""


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate filter: leave derived tables (storage/search_index.py) alone."""
    return not (type_ == "table" and name is not None and name.startswith(DERIVED_PREFIXES))


def _alembic_config(engine: Engine, migrations: Path = MIGRATIONS_DIR) -> Config:
    """Alembic's settings, made here rather than read from an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["engine"] = engine
    return config


def next_revision_id(migrations: Path = MIGRATIONS_DIR) -> str:
    """Revisions are numbered 0001, 0002, ... so their files sort in the order they run."""
    numbers = [
        int(match.group(1))
        for path in (migrations / "versions").glob("*.py")
        if (match := re.match(r"(\d{4})_", path.name))
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def new_revision(message: str, *, migrations: Path = MIGRATIONS_DIR, empty: bool = False) -> Path:
    """Write the next migration (`guyub db revision -m ...`): what the models add to head.

    Alembic autogenerate compares the models with a scratch SQLite database migrated to
    head, as the initial migration was made, so no real database is needed or touched.
    Raises NothingToMigrate when there is no difference, unless `empty` (for a data-only
    migration written by hand).
    """
    found_nothing = False

    def keep_if_changed(context: Any, revision: Any, directives: list[Any]) -> None:
        nonlocal found_nothing
        if not empty and directives and directives[0].upgrade_ops.is_empty():
            found_nothing = True
            directives.clear()

    with tempfile.TemporaryDirectory(prefix="guyub-revision-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'head.db'}")
        try:
            config = _alembic_config(engine, migrations)
            command.upgrade(config, "head")
            script = command.revision(
                config,
                message=message,
                autogenerate=True,
                rev_id=next_revision_id(migrations),
                process_revision_directives=keep_if_changed,
            )
        finally:
            engine.dispose()
    if found_nothing:
        raise NothingToMigrate("the models match the newest migration; nothing to add")
    scripts = script if isinstance(script, list) else [script]
    assert scripts and scripts[0] is not None
    return Path(scripts[0].path)


def head_revision() -> str | None:
    """The schema revision this code expects."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (`guyub db upgrade`); on PostgreSQL under
    the migrations lock, so two upgrades at once run one after the other."""
    from storage.locks import migration_lock

    with migration_lock(engine):
        _upgrade(engine)


def _upgrade(engine: Engine) -> None:
    command.upgrade(_alembic_config(engine), "head")


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutOfDate unless the database is exactly at the code's revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"The database schema is at revision {current or 'none'}, but this version of "
            f"Guyub needs {head}. Back up the database, then run: guyub db upgrade"
        )


def prepare(engine: Engine) -> None:
    """Create the schema in an empty database; otherwise insist it is up to date.

    An empty database has nothing to corrupt, so a first start needs no extra step;
    an existing one is never migrated behind the operator's back. On PostgreSQL this runs
    under an advisory lock: processes starting together create the schema once.
    """
    from storage.locks import migration_lock

    with migration_lock(engine):
        if not inspect(engine).get_table_names():
            _upgrade(engine)
        check_schema(engine)


def session_factory(engine: Engine) -> SessionFactory:
    """A callable that opens a new session whose objects stay usable after commit."""

    def open_session() -> Session:
        return Session(engine, expire_on_commit=False)

    return open_session


@contextmanager
def transaction(open_session: SessionFactory) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with open_session() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
