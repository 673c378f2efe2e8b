"""The contract between the delivery worker and each channel's sender."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers.messages import Reply

__all__ = ["Outbound", "PermanentFailure", "RetryLater", "SendResult", "Sender"]


@dataclass(frozen=True)
class Outbound:
    """One bot-initiated message for one address on one channel."""

    address: str  # Telegram chat id, E.164 number, local name
    reply: Reply
    kind: str  # notice, digest, broadcast, reminder
    language: str
    last_inbound_at: datetime | None  # for WhatsApp's 24-hour window
    status_key: str  # the outbox row id, echoed back by status callbacks
    number_from: int = 1  # numbered buttons continue across the replies to one message


@dataclass(frozen=True)
class SendResult:
    """What the channel did with it: `sent` (with the provider's id) or `needs_template`."""

    status: str = "sent"
    provider_id: str | None = None
    buttons_shown: bool = True  # False when a template went out instead (no buttons)


class RetryLater(Exception):
    """A passing problem (rate limit, network): try again after `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Will never work as it is; `unreachable` marks the address as gone (blocked, invalid)."""

    def __init__(self, reason: str, code: str | None = None, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.code = code
        self.unreachable = unreachable


class Sender(Protocol):
    """A channel that can start a conversation."""

    channel: str

    async def send(self, outbound: Outbound) -> SendResult: ...
