"""The one format of a button payload that is not a command: `flow:action[:arg]`.

`product:edit:price`, `join:yes`, `post:category:food`. Buttons that run a command carry
the command itself (`/hapus 12 ya`) and are no `Payload`. Read payloads with `Payload.parse`,
never by slicing, so a payload that is malformed or from an older version is just "not
understood" instead of a wrong field or a crash.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

__all__ = ["Payload"]

E = TypeVar("E", bound=StrEnum)

_NAME = r"[a-z][a-z0-9_]{0,31}"
_PAYLOAD_RE = re.compile(rf"(?P<flow>{_NAME}):(?P<action>{_NAME})(?::(?P<arg>[^\s:]{{1,40}}))?")


@dataclass(frozen=True, slots=True)
class Payload:
    """A button's meaning inside a flow: which flow, what to do, and an optional argument."""

    flow: str
    action: str
    arg: str | None = None

    def __post_init__(self) -> None:
        if not _PAYLOAD_RE.fullmatch(str(self)):
            raise ValueError(f"not a valid payload: {self.flow!r} {self.action!r} {self.arg!r}")

    def __str__(self) -> str:
        return f"{self.flow}:{self.action}" + (f":{self.arg}" if self.arg is not None else "")

    @classmethod
    def parse(cls, text: str | None) -> "Payload | None":
        """The payload in `text`; None for no payload, a command button or anything malformed."""
        match = _PAYLOAD_RE.fullmatch(text or "")
        if match is None:
            return None
        return cls(match["flow"], match["action"], match["arg"])

    def arg_as(self, kind: type[E]) -> E | None:
        """The argument as one of `kind`'s values (`product:edit:price` -> Field.PRICE)."""
        try:
            return kind(self.arg) if self.arg is not None else None
        except ValueError:
            return None
