"""Plain SQL (SQLAlchemy Core) for the per-message hot paths.

Accepting a webhook, queueing its replies and recording their sending happen for every
message; through the ORM each costs an identity-map round, a flush and, for "insert unless
it exists", a SAVEPOINT. The profile of bench/inbound.py showed these at a third of the
bot's CPU per message. The statements here are built once and run with their values as
parameters: building a statement per call (coercing each value into a bind parameter and
hashing the result for the compiled cache) cost as much as running it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

__all__ = ["insert_returning_id", "insert_unless_exists", "run", "table_of"]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel class."""
    return model.__table__  # type: ignore[attr-defined,no-any-return]


@cache
def _insert_ignoring(dialect: str, table: Table) -> Executable:
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING tells whether a row went in: psycopg reports rowcount -1 for this statement
    return make(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def insert_unless_exists(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was added.

    The unique constraint decides, as before, so two writers racing on one key cannot both
    win; no SAVEPOINT is needed, as a conflict is not an error that aborts the transaction.
    Columns left out get their model defaults.
    """
    return insert_returning_id(session, model, values) is not None


def insert_returning_id(
    session: Session, model: type[SQLModel], values: dict[str, Any]
) -> int | None:
    """`insert_unless_exists`, giving the new row's id (None when the key was taken)."""
    statement = _insert_ignoring(session.get_bind().dialect.name, table_of(model))
    found = run(session, statement, values).first()
    return None if found is None else int(found[0])


def run(session: Session, statement: Executable, values: dict[str, Any]) -> Any:
    """Execute a prebuilt Core statement in the session's transaction; its result (first(),
    scalar(), scalar_one(), rowcount, all()).

    On SQLite the statement goes straight to the driver's cursor, compiled once per set of
    value names with SQLAlchemy's own bind processors (so values are stored exactly as
    through SQLAlchemy): its execution machinery cost five times the statement itself
    (35 µs against 7 µs for the router's UPDATE of the inbox row), and the main process
    runs about ten of these per message. Pending ORM changes are flushed first, as
    `session.execute` would. Elsewhere, or for a statement that needs more (expanding IN
    lists, server-side defaults), `session.execute` as before.
    """
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "sqlite":
        plan = _plan(dialect, statement, frozenset(values))
        if plan is not None:
            session.flush()  # as the autoflush of session.execute
            raw = connection.connection.driver_connection
            assert raw is not None
            cursor = raw.cursor()
            cursor.execute(plan.sql, plan.parameters(values))
            return _Result(cursor)
    return session.execute(statement, values)


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for the driver: SQL, its parameters' order and processing."""

    sql: str
    names: tuple[str, ...]
    processors: dict[str, Callable[[Any], Any]]
    defaults: dict[str, Any]  # columns left out: their scalar (or callable) default

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for name in self.names:
            if name in values:
                value = values[name]
            else:
                default = self.defaults[name]
                value = default(None) if callable(default) else default
            processor = self.processors.get(name)
            out.append(processor(value) if processor is not None else value)
        return tuple(out)


_PLANS: dict[tuple[type[Dialect], Executable, frozenset[str]], _Plan | None] = {}


def _plan(dialect: Dialect, statement: Executable, keys: frozenset[str]) -> _Plan | None:
    """The driver-level plan of `statement` for these value names (None: not this way).

    Keyed on the statement itself (the hot ones are module constants) and the dialect's
    class: every SQLite engine here compiles and processes values alike.
    """
    key = (type(dialect), statement, keys)
    if key not in _PLANS:
        _PLANS[key] = _make_plan(dialect, statement, keys)
    return _PLANS[key]


def _make_plan(dialect: Dialect, statement: Executable, keys: frozenset[str]) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))  # type: ignore[attr-defined]
    names = compiled.positiontup
    if names is None or compiled.literal_execute_params or compiled.post_compile_params:
        return None
    defaults: dict[str, Any] = {}
    table = getattr(statement, "table", None)
    for name in names:
        if name in keys:
            continue
        column = table.c.get(name) if table is not None else None
        default = getattr(column, "default", None)
        if default is None or not (default.is_scalar or default.is_callable):
            return None
        defaults[name] = default.arg
    return _Plan(str(compiled), tuple(names), dict(compiled._bind_processors), defaults)


class _Result:
    """What callers of `run` use of a CursorResult, on a driver cursor."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    @property
    def rowcount(self) -> int:
        return int(self.cursor.rowcount)

    def first(self) -> Any:
        return self.cursor.fetchone()

    def all(self) -> list[Any]:
        return list(self.cursor.fetchall())

    def scalar(self) -> Any:
        row = self.cursor.fetchone()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        row = self.cursor.fetchone()
        if row is None:
            raise LookupError("no row returned")
        return row[0]
