"""Delivery tests: a community with many members, and PostgreSQL when one answers."""

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine, prepare

PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def postgres() -> Iterator[Engine]:
    """A prepared throw-away schema on the PostgreSQL of TEST_DATABASE_URL."""
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
