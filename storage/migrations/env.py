"""Alembic environment: the engine comes from Guyub itself, never from alembic.ini."""

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import include_object

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run migrations on the engine handed over by storage.db."""
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by dropping it; with foreign keys on, that drop
            # cascades and deletes the rows of every table pointing at it. The pragma only
            # works outside a transaction, hence before the migration's own.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


run_migrations_online()
