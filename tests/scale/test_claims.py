"""The shared inbox on PostgreSQL: claims in order per sender, leases, and their expiry."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage.db import session_factory, transaction
from storage.inbox import accept, claim, hold, mark_done, release_claims

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def _write(engine: Engine, messages: list[tuple[str, str]], first: int = 0) -> list[int]:
    ids = []
    with transaction(session_factory(engine)) as session:
        for n, (sender, text) in enumerate(messages, start=first):
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


def _write_more(engine: Engine, messages: list[tuple[str, str]]) -> list[int]:
    return _write(engine, messages, first=100)


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


def test_a_sender_is_in_one_workers_hands_at_a_time_in_order(pg: Engine) -> None:
    a1, b1, a2, b2, a3 = _write(
        pg, [("+621", "a1"), ("+622", "b1"), ("+621", "a2"), ("+622", "b2"), ("+621", "a3")]
    )
    assert _claim(pg, "w1", limit=1) == [a1, a2, a3]  # Siti's rows, with her oldest
    assert _claim(pg, "w2") == [b1, b2]  # Budi's: another worker
    assert _claim(pg, "w3") == []  # everyone is in someone's hands
    (a4,) = _write_more(pg, [("+621", "a4")])
    assert _claim(pg, "w3") == []  # behind Siti's unfinished rows: never overtakes them
    for row in (a1, a2, a3):
        _done(pg, row)
    assert _claim(pg, "w3") == [a4]  # her next, by any worker


def test_the_rows_behind_a_failed_one_are_released_and_wait_for_it(pg: Engine) -> None:
    first, second = _write(pg, [("+621", "1"), ("+621", "2")])
    assert _claim(pg, "w1") == [first, second]
    with transaction(session_factory(pg)) as session:
        assert hold(session=session, row_id=first, worker="w1", now=NOW) == 1
        assert release_claims(session=session, worker="w1", ids=[second]) == 1
    assert _claim(pg, "w2", NOW + timedelta(seconds=1)) == []  # retry in 2 s; order kept
    assert _claim(pg, "w2", NOW + timedelta(seconds=2)) == [first, second]


def test_a_dead_workers_rows_wait_for_the_lease_then_anyone_takes_them(pg: Engine) -> None:
    (first, second) = _write(pg, [("+621", "1"), ("+621", "2")])
    assert _claim(pg, "dead") == [first, second]
    assert _claim(pg, "alive", NOW + LEASE - timedelta(seconds=1)) == []  # never before
    assert _claim(pg, "alive", NOW + LEASE) == [first, second]  # the lease is over


def test_a_restarted_worker_takes_its_own_rows_back_at_once(pg: Engine) -> None:
    (row,) = _write(pg, [("+621", "1")])
    assert _claim(pg, "w1") == [row]
    with transaction(session_factory(pg)) as session:
        assert release_claims(session=session, worker="w1") == 1
    assert _claim(pg, "w1") == [row]
