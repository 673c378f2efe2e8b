"""`guyub broadcast status` and `guyub outbox`: what the operator sees of sending.

Plain tab-separated lines, like `guyub community list`, so they read in a terminal and
paste into a spreadsheet.
"""

from sqlmodel import Session

from handlers.shorten import shorten
from storage.announcements import broadcast_counts, outbox_summary, recent_announcements
from storage.models import Announcement

__all__ = ["broadcast_status_lines", "outbox_lines"]

TEXT_WIDTH = 40


def _state(row: Announcement) -> str:
    if row.cancelled_at is not None:
        return "cancelled"
    if row.started_at is None:
        return "scheduled"
    return "sending" if row.finished_at is None else "done"


def broadcast_status_lines(session: Session, *, limit: int = 20) -> list[str]:
    """The latest announcements of every community with their counts, newest first."""
    lines = [
        "id\tcommunity\tstate\twhen (UTC)\trecipients\tsent\tdelivered\tread\tfailed"
        "\topted_out\tneeds_template\theld\ttext"
    ]
    for row, community in recent_announcements(session=session, limit=limit):
        counts = broadcast_counts(
            session=session, community_id=row.community_id, announcement_id=row.id or 0
        )
        text = shorten(" ".join(row.text.split()), TEXT_WIDTH)
        values = (
            f"#{row.id}",
            community.invite_code,
            _state(row),
            f"{row.scheduled_for:%Y-%m-%d %H:%M}",
            counts.total,
            counts.sent,
            counts.delivered,
            counts.read,
            counts.failed + counts.skipped,
            counts.opted_out,
            counts.needs_template,
            counts.held,
            text,
        )
        lines.append("\t".join(str(v) for v in values))
    if len(lines) == 1:
        return ["no announcements yet"]
    return lines


def outbox_lines(session: Session) -> list[str]:
    """Rows queued, being sent, retrying, needing a template or failed, by kind and reason."""
    rows = outbox_summary(session=session)
    if not rows:
        return ["outbox: nothing queued, retrying or failed"]
    lines = ["state\tkind\tcount\treason"]
    lines += [f"{state}\t{kind}\t{count}\t{reason}" for state, kind, reason, count in rows]
    return lines
