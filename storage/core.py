"""Plain SQL (SQLAlchemy Core) for the per-message hot paths.

Accepting a webhook, queueing its replies and recording their sending happen for every
message; through the ORM each costs an identity-map round, a flush and, for "insert unless
it exists", a SAVEPOINT. The profile of bench/inbound.py showed these at a third of the
bot's CPU per message. The statements here are built once and run with their values as
parameters: building a statement per call (coercing each value into a bind parameter and
hashing the result for the compiled cache) cost as much as running it.
"""

from functools import cache
from typing import Any

from sqlalchemy import Executable, Table
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
    """Execute a prebuilt Core statement in the session's transaction; its CursorResult."""
    return session.execute(statement, values)
