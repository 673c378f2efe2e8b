"""Delivery tests: a community with many members, and PostgreSQL when one answers."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.postgres import prepared_postgres


@pytest.fixture
def postgres() -> Iterator[Engine]:
    """A prepared throw-away schema on the PostgreSQL of TEST_DATABASE_URL."""
    with prepared_postgres() as built:
        yield built
