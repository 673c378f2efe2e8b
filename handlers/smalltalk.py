"""Small talk: greetings, thanks and "ok" get a warm, short answer with the next step.

People greet a shop before they ask (`halo`, `assalamualaikum`, `pagi min`, `p`), thank it
(`makasih`, 🙏) and acknowledge (`ok`, 👍). A small table, not a model: `kind_of` reads the
whole message (without a trailing "min", "kak", "bu" ...), and only an exact entry counts,
so a product word is never taken for small talk. Guests get the same warmth and how to join.
"""

import re
from collections.abc import Sequence
from enum import StrEnum

from handlers.commands import hint
from handlers.context import Context
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY

__all__ = ["SMALL_TALK", "Kind", "kind_of", "small_talk"]


class Kind(StrEnum):
    """What a small-talk message is."""

    GREETING = "greeting"
    SALAM = "salam"  # assalamualaikum, answered with waalaikumsalam
    THANKS = "thanks"
    ACK = "ack"


SMALL_TALK: dict[str, Kind] = {
    **dict.fromkeys(
        (
            "halo", "hallo", "helo", "hello", "hai", "hay", "hi", "hei", "hey", "p", "pp",
            "pagi", "siang", "sore", "malam", "met pagi", "selamat pagi", "selamat siang",
            "selamat sore", "selamat malam", "good morning", "good afternoon", "good evening",
            "permisi", "punten", "misi", "tes", "test", "👋",
        ),
        Kind.GREETING,
    ),
    **dict.fromkeys(
        (
            "assalamualaikum", "assalamu'alaikum", "assalamu alaikum", "asalamualaikum",
            "assalamualaikum wr wb", "assalamualaikum warahmatullahi wabarakatuh",
            "ass", "askum", "salam",
        ),
        Kind.SALAM,
    ),
    **dict.fromkeys(
        (
            "makasih", "makasi", "mksh", "trims", "terima kasih", "terimakasih",
            "terima kasih banyak", "makasih banyak", "thanks", "thank you", "thx", "tq",
            "nuwun", "matur nuwun", "suwun", "🙏",
        ),
        Kind.THANKS,
    ),
    **dict.fromkeys(
        ("ok", "oke", "okay", "okey", "okee", "sip", "siap", "mantap", "baik", "👍", "👌"),
        Kind.ACK,
    ),
}  # fmt: skip
"""Every small-talk message, written as it is read: lower case, single spaces."""

SALAM_STARTS = ("assalamu", "asalamu", "assalaamu")
ADDRESS_WORDS = ("min", "admin", "kak", "ka", "bu", "pak", "mas", "mbak", "bot", "guyub", "semua")
_TRAILING_EMOJI = re.compile(r"[^\w\s'.,!?]+$")
_SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400)) + "\ufe0f"

KEYS = {
    Kind.GREETING: "smalltalk.greeting",
    Kind.SALAM: "smalltalk.salam",
    Kind.THANKS: "smalltalk.thanks",
    Kind.ACK: "smalltalk.ack",
}
GUEST_KEYS = {
    Kind.GREETING: "smalltalk.guest.greeting",
    Kind.SALAM: "smalltalk.guest.salam",
    Kind.THANKS: "smalltalk.guest.thanks",
    Kind.ACK: "smalltalk.guest.greeting",
}


def kind_of(text: str) -> Kind | None:
    """The kind of a small-talk message (`Pagi min!` -> GREETING), or None."""
    kind = _kind_of(text)
    if kind is None:  # "makasih 🙏", "halo 👋😊": the words without the emoji after them
        words = _TRAILING_EMOJI.sub("", text).strip()
        kind = _kind_of(words) if words and words != text.strip() else None
    return kind


def _kind_of(text: str) -> Kind | None:
    words = " ".join(text.casefold().split())
    for tone in _SKIN_TONES:
        words = words.replace(tone, "")
    words = words.strip(" .,!?~")
    if words and len(set(words)) == 1 and not words.isalnum():
        words = words[0]  # 🙏🙏🙏 -> 🙏
    for _ in range(2):  # "makasih ya kak", "pagi min"
        last = words.rsplit(" ", 1)
        if len(last) == 2 and last[1] in (*ADDRESS_WORDS, "ya", "yaa", "ya!"):
            words = last[0].strip(" .,!?~")
    if words in SMALL_TALK:
        return SMALL_TALK[words]
    if words.startswith(SALAM_STARTS):  # "assalamu'alaikum wr. wb.", "... warahmatullahi ..."
        return Kind.SALAM
    # a letter repeated for warmth: "haloo", "makasihhh"
    squeezed = "".join(c for i, c in enumerate(words) if i == 0 or c != words[i - 1])
    return SMALL_TALK.get(squeezed)


@REGISTRY.fallback(40)
async def small_talk(msg: Incoming, ctx: Context) -> Sequence[Reply] | None:
    """Answer small talk warmly, and say what to do next (guests: how to join)."""
    kind = kind_of(msg.text) if msg.text and not msg.media else None
    if kind is None:
        return None
    if ctx.member is None:
        return [ctx.reply(GUEST_KEYS[kind])]
    return [
        ctx.reply(
            KEYS[kind],
            name=ctx.member.display_name,
            catalogue=hint(ctx, "catalogue"),
            menu=hint(ctx, "menu"),
        )
    ]
