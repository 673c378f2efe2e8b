"""Twilio status callbacks onto outbox rows: forward only, failures with their code."""

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session
from starlette.datastructures import FormData

from handlers.clock import Clock
from storage.db import SessionFactory, transaction
from storage.models import OutboxStatus
from storage.outbox import find_by_provider_id, mark_status

__all__ = ["StatusBook"]

log = logging.getLogger(__name__)

OUTSIDE_WINDOW = "63016"
# How far along a message is; a callback never moves a row to a lower rank (they can
# arrive out of order: `delivered` after `read`). Evidence of delivery beats a failure.
RANK: dict[str, int] = {
    OutboxStatus.PENDING: 0,
    OutboxStatus.SENDING: 0,
    OutboxStatus.SENT: 1,
    OutboxStatus.FAILED: 2,
    OutboxStatus.NEEDS_TEMPLATE: 2,
    OutboxStatus.DELIVERED: 3,
    OutboxStatus.READ: 4,
}
TWILIO_STATUSES: dict[str, str] = {
    "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED,
    "read": OutboxStatus.READ,
    "failed": OutboxStatus.FAILED,
    "undelivered": OutboxStatus.FAILED,  # the outbox knows one kind of failure; code says why
}
EARLY_TTL = timedelta(minutes=15)
EARLY_MAX = 5000


class StatusBook:
    """Applies delivery reports to the outbox.

    A report can beat the delivery worker, which records a batch's SIDs only after the
    whole batch was sent; reports for SIDs the sender just got (`expected`) wait here and
    are applied with later ones. Other unknown SIDs (direct replies) are ignored.
    """

    def __init__(
        self, open_session: SessionFactory, clock: Clock, expected: Callable[[str], bool]
    ) -> None:
        self.open_session, self.clock, self.expected = open_session, clock, expected
        self.early: OrderedDict[str, tuple[str, str | None, datetime]] = OrderedDict()

    def record(self, form: FormData) -> None:
        """Apply one signed callback (and any earlier one that can be applied now)."""
        sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
        raw = str(form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        code = str(form.get("ErrorCode") or "") or None
        status = TWILIO_STATUSES.get(raw)
        if status is not None and code == OUTSIDE_WINDOW:
            status = OutboxStatus.NEEDS_TEMPLATE
        if status in {OutboxStatus.FAILED, OutboxStatus.NEEDS_TEMPLATE}:
            log.warning("whatsapp message %s %s (error %s)", sid, raw, code)
        now = self.clock.now()
        with transaction(self.open_session) as session:
            for early_sid, (early_status, early_code, _) in list(self.early.items()):
                if self._apply(session, early_sid, early_status, early_code, now):
                    del self.early[early_sid]
            applied = (
                bool(sid) and status is not None and self._apply(session, sid, status, code, now)
            )
            if status is not None and not applied and self.expected(sid):
                self.early[sid] = (status, code, now)
        self._forget_old(now)

    def _apply(
        self, session: Session, sid: str, status: str, code: str | None, now: datetime
    ) -> bool:
        """False when no row has this SID (yet)."""
        row = find_by_provider_id(session=session, provider_id=sid)
        if row is None:
            return False
        current = RANK.get(row.status)
        if current is not None and RANK[status] > current:
            mark_status(session=session, row=row, status=status, error_code=code, now=now)
        return True

    def _forget_old(self, now: datetime) -> None:
        while self.early:
            sid, (_, _, seen) = next(iter(self.early.items()))
            if len(self.early) <= EARLY_MAX and now - seen < EARLY_TTL:
                break
            del self.early[sid]
