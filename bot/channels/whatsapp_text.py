"""Shaping text for WhatsApp: 1600-character bodies, flat template variables."""

import re

from bot.channels.rendering import grapheme_cut, utf16_fit, utf16_length

__all__ = ["BODY_LIMIT", "CAPTION_LIMIT", "VARIABLE_LIMIT", "flat_variable", "split_text"]

BODY_LIMIT = 1600  # Twilio's limit for one WhatsApp body
CAPTION_LIMIT = 1024  # WhatsApp's limit for the caption of a photo
VARIABLE_LIMIT = 1024  # a template variable


def split_text(text: str, limit: int = BODY_LIMIT) -> list[str]:
    """Cut `text` into bodies of at most `limit`, at a line break, else a space, else anywhere."""
    text = text.strip()
    parts: list[str] = []
    while utf16_length(text) > limit:
        fit = utf16_fit(text, limit)
        window = text[: fit + 1]  # a break right after the last fitting character is fine too
        cut = window.rfind("\n")
        if cut < limit // 3:  # a line break too early would leave a stub: try a space
            cut = max(cut, window.rfind(" "))
        if cut <= 0:
            cut = max(grapheme_cut(text, fit), 1)  # a hard cut, never inside an emoji
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def flat_variable(value: str, limit: int = VARIABLE_LIMIT) -> str:
    """A template variable WhatsApp accepts: no line breaks, tabs or runs of spaces."""
    lines = [" ".join(line.split()) for line in value.splitlines()]
    flat = " · ".join(line for line in lines if line)
    flat = re.sub(r"\s{2,}", " ", flat)
    if utf16_length(flat) > limit:
        flat = flat[: grapheme_cut(flat, utf16_fit(flat, limit - 1))].rstrip() + "…"
    return flat
