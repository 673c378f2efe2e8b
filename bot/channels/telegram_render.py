"""Shaping a Reply for Telegram: escaped HTML, texts split to fit, inline keyboards.

The handlers write plain text, so every piece of it is HTML-escaped here: a product called
`<b>Keripik</b>` shows exactly like that and can never inject markup. Telegram counts its
limits (4096 for a text, 1024 for a caption) after entity parsing, so plain text is split
first and each part escaped afterwards.

Callback data may hold at most 64 bytes. A longer button payload is sent as a short token
(`#h:` + a hash of the payload); the router already stores every shown button's payload in
the person's ConversationState, and `resolve_callback` finds the payload back from there.
A token whose buttons are no longer the last shown resolves to nothing, and the router then
answers "that button has expired", as it does for any stale button.
"""

import base64
import hashlib
import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.rendering import grapheme_cut, utf16_fit, utf16_length
from handlers.messages import Button

__all__ = [
    "CALLBACK_LIMIT",
    "CAPTION_LIMIT",
    "TEXT_LIMIT",
    "TOKEN_PREFIX",
    "callback_data",
    "escape",
    "keyboard",
    "resolve_callback",
    "split_caption",
    "split_text",
    "telegram_length",
]

telegram_length = utf16_length  # Telegram counts UTF-16 code units

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_LIMIT = 64
LABEL_LIMIT = 64
TOKEN_PREFIX = "#h:"


def escape(text: str) -> str:
    """Plain text made safe for parse_mode=HTML."""
    return html.escape(text, quote=False)


def _cut_point(text: str, limit: int) -> int:
    """Where to cut: the last paragraph, line or word break that fits, else a hard cut
    (never inside an emoji)."""
    fits = utf16_fit(text, limit)
    window = text[: fits + 1]  # a break right after the last fitting character is fine too
    for separator in ("\n\n", "\n", " "):
        position = window.rfind(separator)
        if position >= fits // 4 and position > 0:  # never leave a sliver of a part
            return position
    return grapheme_cut(text, max(fits, 1))


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split plain text into parts of at most `limit`, on line or word boundaries."""
    parts: list[str] = []
    rest = text.strip()
    while telegram_length(rest) > limit:
        cut = _cut_point(rest, limit)
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def split_caption(text: str) -> tuple[str, list[str]]:
    """A photo's caption (at most 1024) and the texts that follow it, if the text is long."""
    if telegram_length(text.strip()) <= CAPTION_LIMIT:
        return text.strip(), []
    cut = _cut_point(text.strip(), CAPTION_LIMIT)
    caption, rest = text.strip()[:cut].rstrip(), text.strip()[cut:]
    return caption, split_text(rest)


def callback_data(payload: str) -> str:
    """The payload itself when it fits in 64 bytes, else a short token standing for it."""
    if len(payload.encode()) <= CALLBACK_LIMIT and not payload.startswith(TOKEN_PREFIX):
        return payload
    digest = hashlib.sha256(payload.encode()).digest()[:12]
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode()


def resolve_callback(data: str, shown: Sequence[Sequence[str]]) -> str | None:
    """The payload behind callback data, given the [label, payload] buttons last shown.

    Plain data is the payload; a token is looked up, and None means it is no longer known.
    """
    if not data.startswith(TOKEN_PREFIX):
        return data
    for button in shown:
        if len(button) == 2 and callback_data(button[1]) == data:
            return button[1]
    return None


def _per_row(labels: Sequence[str]) -> int:
    """Short labels share a row (up to 3 very short, 2 short); longer ones get their own."""
    widest = max(len(label) for label in labels)
    return 3 if widest <= 8 else 2 if widest <= 16 else 1


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """An inline keyboard: one button per row unless the labels are short."""
    if not buttons:
        return None
    rows: list[list[Button]] = []
    for button in buttons:
        row = rows[-1] if rows else None
        if row is not None and len(row) < _per_row([*(b.label for b in row), button.label]):
            row.append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label[:LABEL_LIMIT], callback_data=callback_data(b.payload))
                for b in row
            ]
            for row in rows
        ]
    )
