"""PostgreSQL for tests: a throw-away schema per test on TEST_DATABASE_URL (set by .ci/run
when a server answers), skipped without one. Shared by the storage, delivery and scale tests."""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine, prepare

PG_URL = os.environ.get("TEST_DATABASE_URL")


def schema_url(schema: str) -> str:
    """TEST_DATABASE_URL with `schema` first on the search path."""
    assert PG_URL is not None
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """An empty schema, dropped afterwards; its URL via schema_url()."""
    assert PG_URL is not None
    schema = f"guyub_test_{secrets.token_hex(4)}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def prepared_engine(schema: str) -> Iterator[Engine]:
    """A prepared (migrated) engine on `schema`."""
    built = make_engine(schema_url(schema))
    try:
        prepare(built)
        yield built
    finally:
        built.dispose()


@contextmanager
def prepared_postgres() -> Iterator[Engine]:
    """A prepared engine on a fresh schema of its own (skips the test without a server)."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set (no PostgreSQL server answered)")
    with fresh_schema() as schema, prepared_engine(schema) as built:
        yield built


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """An empty schema of this test's own."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set (no PostgreSQL server answered)")
    with fresh_schema() as schema:
        yield schema


@pytest.fixture
def pg(pg_schema: str) -> Iterator[Engine]:
    """A prepared engine on the test's own schema."""
    with prepared_engine(pg_schema) as built:
        yield built
