"""The shared inbox on PostgreSQL: claims in order per sender, leases, and their expiry."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage.db import session_factory, transaction
from storage.inbox import accept, claim, hold, mark_done, release_claims

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def _write(engine: Engine, messages: list[tuple[str, str]]) -> list[int]:
    ids = []
    with transaction(session_factory(engine)) as session:
        for n, (sender, text) in enumerate(messages):
            row_id = accept(
                session=session,
                channel="whatsapp",
                platform_id=f"SM{n}",
                sender=sender,
                payload={"text": text},
                now=NOW,
            )
            assert row_id is not None
            ids.append(row_id)
    return ids


def _claim(engine: Engine, worker: str, now: datetime = NOW, limit: int = 10) -> list[int]:
    with transaction(session_factory(engine)) as session:
        rows = claim(
            session=session,
            channels=["whatsapp"],
            worker=worker,
            now=now,
            until=now + LEASE,
            limit=limit,
        )
        return [row.id or 0 for row in rows]


def _done(engine: Engine, row_id: int) -> None:
    with transaction(session_factory(engine)) as session:
        mark_done(session=session, row=row_id, now=NOW)


def test_one_row_per_sender_in_order_across_workers(pg: Engine) -> None:
    a1, b1, a2, b2, a3 = _write(
        pg, [("+621", "a1"), ("+622", "b1"), ("+621", "a2"), ("+622", "b2"), ("+621", "a3")]
    )
    assert _claim(pg, "w1") == [a1, b1]  # each sender's oldest only
    assert _claim(pg, "w2") == []  # the next rows wait for the ones in hand
    _done(pg, a1)
    assert _claim(pg, "w2") == [a2]  # Siti's next, by any worker
    _done(pg, b1)
    _done(pg, a2)
    assert _claim(pg, "w1", limit=1) == [b2]
    assert _claim(pg, "w1") == [a3]


def test_a_dead_workers_rows_wait_for_the_lease_then_anyone_takes_them(pg: Engine) -> None:
    (first, second) = _write(pg, [("+621", "1"), ("+621", "2")])
    assert _claim(pg, "dead") == [first]
    assert _claim(pg, "alive", NOW + LEASE - timedelta(seconds=1)) == []  # never before
    assert _claim(pg, "alive", NOW + LEASE) == [first]  # the lease is over
    _done(pg, first)
    assert _claim(pg, "alive", NOW + LEASE) == [second]


def test_a_restarted_worker_takes_its_own_rows_back_at_once(pg: Engine) -> None:
    (row,) = _write(pg, [("+621", "1")])
    assert _claim(pg, "w1") == [row]
    with transaction(session_factory(pg)) as session:
        assert release_claims(session=session, worker="w1") == 1
    assert _claim(pg, "w1") == [row]


def test_a_failed_row_waits_its_retry_time_and_holds_back_the_senders_next(pg: Engine) -> None:
    first, second = _write(pg, [("+621", "1"), ("+621", "2")])
    assert _claim(pg, "w1") == [first]
    with transaction(session_factory(pg)) as session:
        assert hold(session=session, row_id=first, worker="w1", now=NOW) == 1
    assert _claim(pg, "w2", NOW + timedelta(seconds=1)) == []  # retry in 2 s; order kept
    assert _claim(pg, "w2", NOW + timedelta(seconds=2)) == [first]
    assert second not in _claim(pg, "w2", NOW + timedelta(seconds=3))
