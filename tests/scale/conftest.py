"""Several processes on PostgreSQL: a fresh schema per test (skipped without a server)."""

from tests.postgres import pg, pg_schema

__all__ = ["pg", "pg_schema"]
