"""Storage tests run on a real SQLite file, and on PostgreSQL when one answers."""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine, prepare
from tests.factories import copy_database

PG_URL = os.environ.get("TEST_DATABASE_URL")


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
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set (no PostgreSQL server answered)")
    schema = f"guyub_test_{secrets.token_hex(4)}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    built = make_engine(f"{PG_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        prepare(built)
        yield built
    finally:
        built.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
