"""`guyub status`: the running processes, the leader, and what waits in the queues."""

from datetime import datetime

from bot.settings import Settings
from handlers.clock import SystemClock
from storage.db import make_engine, session_factory
from storage.processes import live, queue_depths

__all__ = ["print_status", "status_lines"]


def _age(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "-"
    seconds = int((now - then).total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def status_lines(settings: Settings, now: datetime) -> list[str]:
    """The report, line by line (read-only: it never migrates or writes)."""
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            processes = live(session=session, now=now)
            depths = queue_depths(session=session)
    finally:
        engine.dispose()
    lines = [f"processes ({len(processes)} seen in the last 30 s):"]
    for p in processes:
        lead = "  LEADER" if p.leader else ""
        lines.append(
            f"  {p.id:<28} {p.role:<9} {p.host}:{p.pid}  up {_age(now, p.started_at)},"
            f" seen {_age(now, p.seen_at)} ago{lead}"
        )
    leaders = [p.id for p in processes if p.leader]
    lines.append(f"leader: {', '.join(leaders) if leaders else 'none'}")
    outbox = depths.outbox
    oldest = _age(now, depths.outbox_oldest_pending)
    lines.append(
        f"inbox: {depths.inbox_pending} pending (oldest {_age(now, depths.inbox_oldest)} old)"
    )
    lines.append(
        f"outbox: {outbox.get('pending', 0)} pending, {outbox.get('sending', 0)} sending, "
        f"{outbox.get('failed', 0)} failed (oldest pending {oldest} old)"
    )
    return lines


def print_status(settings: Settings) -> int:
    """Print the report; 0."""
    for line in status_lines(settings, SystemClock().now()):
        print(line)
    return 0
