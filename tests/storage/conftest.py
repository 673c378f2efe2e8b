"""Storage tests run on a real SQLite file, and on PostgreSQL when one answers."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from storage.db import make_engine, prepare
from tests.factories import copy_database
from tests.postgres import prepared_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path
) -> Iterator[Engine]:
    """An empty, prepared database; PostgreSQL gets a throw-away schema of its own."""
    if request.param == "sqlite":
        built = make_engine(copy_database(migrated_template, tmp_path / "store.db"))
        prepare(built)  # only checks the revision: the copy is migrated already
        yield built
        built.dispose()
        return
    with prepared_postgres() as built:
        yield built
