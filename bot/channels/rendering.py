"""Text shaping shared by channels: numbered options for channels without keyboards (WhatsApp,
local), and cuts that never split what a reader sees as one character."""

import unicodedata
from collections.abc import Sequence

from handlers.messages import Reply

__all__ = ["grapheme_cut", "numbered_text", "numbered_texts", "utf16_fit", "utf16_length"]

ZWJ = "\u200d"  # joins emoji into one: 👨‍👩‍👧
SKIN_TONES = range(0x1F3FB, 0x1F400)
EMOJI_TAGS = range(0xE0020, 0xE0080)  # subdivision flags: 🏴󠁧󠁢󠁳󠁣󠁴󠁿
REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)  # two of them make a flag: 🇮🇩


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram and Twilio count it: an emoji may count twice.

    Never raises: a lone surrogate (in text stored before it was cleaned) counts as one unit,
    as utf16_fit counts it, so the splitters agree with this length.
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_fit(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


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


def _joined(text: str, index: int) -> bool:
    """Whether text[index - 1] and text[index] are parts of one visible character."""
    before, after = text[index - 1], text[index]
    if ZWJ in (before, after) or ord(after) in SKIN_TONES or ord(after) in EMOJI_TAGS:
        return True
    if unicodedata.category(after) in {"Mn", "Mc", "Me"}:  # accents, VS16 (❤️), keycaps (1️⃣)
        return True
    if ord(after) in REGIONAL_INDICATORS and ord(before) in REGIONAL_INDICATORS:
        run = 0
        while run < index and ord(text[index - 1 - run]) in REGIONAL_INDICATORS:
            run += 1
        return run % 2 == 1  # after an odd number of indicators: inside a flag
    return False


def grapheme_cut(text: str, index: int) -> int:
    """`index` moved back so that cutting there splits no emoji or accented letter.

    A hard cut (a word longer than a message) lands anywhere; this keeps 👍🏽, 🇮🇩 or a
    ZWJ family whole on one side. If the whole prefix is one cluster, `index` stays.
    """
    cut = index
    while 0 < cut < len(text) and _joined(text, cut):
        cut -= 1
    return cut if cut > 0 else index
