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
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
