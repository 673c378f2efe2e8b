"""`guyub status` and the process tag in every log line."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.roles import ProcessRole, TagFilter, identity
from bot.settings import Settings
from bot.status import status_lines
from storage.db import session_factory, transaction
from storage.inbox import accept
from storage.outbox import enqueue
from storage.processes import beat
from tests.postgres import schema_url

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_status_shows_processes_the_leader_and_queues(pg: Engine, pg_schema: str) -> None:
    with transaction(session_factory(pg)) as session:
        for name, role, leader, seen in (
            ("web1", "web", False, NOW),
            ("sched1", "scheduler", True, NOW - timedelta(seconds=3)),
            ("gone", "worker", False, NOW - timedelta(minutes=5)),  # died long ago
        ):
            beat(
                session=session,
                process_id=name,
                role=role,
                host="box",
                pid=100,
                started_at=NOW - timedelta(minutes=2),
                now=seen,
                leader=leader,
            )
        accept(
            session=session,
            channel="whatsapp",
            platform_id="SM1",
            sender="+621",
            payload={},
            now=NOW - timedelta(seconds=40),
        )
        enqueue(
            session=session,
            community_id=None,
            member_id=None,
            kind="notice",
            idempotency_key="k1",
            payload={"text": "hi"},
            now=NOW - timedelta(minutes=3),
        )
    settings = Settings(database_url=schema_url(pg_schema), _env_file=None)  # type: ignore[call-arg]
    text = "\n".join(status_lines(settings, NOW))
    assert "processes (2 seen in the last 30 s)" in text
    assert "gone" not in text
    assert "leader: sched1" in text
    assert "inbox: 1 pending (oldest 40 s old)" in text
    assert "outbox: 1 pending, 0 sending, 0 failed (oldest pending 3 min old)" in text


def test_every_log_line_names_the_role_and_process(caplog: pytest.LogCaptureFixture) -> None:
    tag = identity(ProcessRole.WORKER, "worker-7")
    record = logging.LogRecord("guyub", logging.INFO, __file__, 1, "hello", None, None)
    assert TagFilter(tag).filter(record)
    from bot.roles import LOG_FORMAT

    line = logging.Formatter(LOG_FORMAT).format(record)
    assert "[worker worker-7] guyub: hello" in line
