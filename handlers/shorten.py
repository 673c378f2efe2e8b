"""Cutting a name or a text to a limit the way a person would: at a word, with "…"."""

import re

__all__ = ["shorten"]

ELLIPSIS = "…"
LAST_SPACE = re.compile(r"\s\S*$")


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters; otherwise cut after its last whole word and
    end with "…" (at most `limit` characters in all).

    `Keripik pisang camilan keluarga` at 30 is `Keripik pisang camilan…`, never
    `…camilan kelu`. Only a word longer than half the limit is cut inside itself.
    """
    if len(text) <= limit:
        return text
    room = text[: max(limit - len(ELLIPSIS), 0)]
    space = None if text[len(room)].isspace() else LAST_SPACE.search(room)
    if space is not None and space.start() >= limit // 2:
        room = room[: space.start()]
    return room.rstrip(" \t\n,.;:-–—/") + ELLIPSIS
