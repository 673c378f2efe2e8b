"""Buttons as numbered options, for channels without inline keyboards (WhatsApp, local)."""

from collections.abc import Sequence

from handlers.messages import Reply

__all__ = ["numbered_text", "numbered_texts"]


def numbered_text(reply: Reply, start: int = 1) -> str:
    """The reply's text followed by `1. Label` lines, numbered from `start`."""
    if not reply.buttons:
        return reply.text
    options = "\n".join(f"{start + i}. {b.label}" for i, b in enumerate(reply.buttons))
    return f"{reply.text}\n\n{options}"


def numbered_texts(replies: Sequence[Reply]) -> list[str]:
    """Texts of a batch of replies; numbering runs on across the batch, as the router maps it."""
    texts, number = [], 1
    for reply in replies:
        texts.append(numbered_text(reply, number))
        number += len(reply.buttons)
    return texts
