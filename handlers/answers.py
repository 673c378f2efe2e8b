"""Yes and no as people type them: one table for every confirm step, in both languages.

`ya`, `iya`, `ok`, 👍 ... mean yes; `tidak`, `gak`, `batal` ... mean no. A confirm step asks
`is_yes` / `is_no` (or the Flow kit's `FLOW.said_yes(msg)` / `FLOW.said_no(msg)`), never its
own word list, so every step understands the same words. `batal` is also the router's
cancel word: in a confirm step both end the same way, with nothing done.
"""

__all__ = ["NO_WORDS", "YES_WORDS", "is_no", "is_yes", "normalise_answer"]

YES_WORDS = frozenset(
    {
        "ya", "iya", "iyaa", "y", "yes", "yep", "ok", "oke", "okay", "okey", "okee", "sip",
        "siap", "betul", "benar", "bener", "boleh", "setuju", "agree", "sure",
        "👍", "👌", "✅",
    }
)  # fmt: skip
NO_WORDS = frozenset(
    {
        "tidak", "tdk", "gak", "ga", "nggak", "ngga", "enggak", "engga", "gk", "no", "nope",
        "batal", "jangan", "cancel", "tidak jadi", "gak jadi", "nggak jadi", "ga jadi",
        "👎", "❌",
    }
)  # fmt: skip
_SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400)) + "\ufe0f"


def normalise_answer(text: str) -> str:
    """`Ya!`, ` IYA. `, `ok min`, `👍🏽` -> the word to look up (`ya`, `iya`, `ok`, `👍`)."""
    words = " ".join(text.casefold().split()).strip(" .,!?~")
    for tone in _SKIN_TONES:
        words = words.replace(tone, "")
    for polite in (" min", " kak", " bu", " pak", " mas", " mbak", " dong", " deh", " aja"):
        words = words.removesuffix(polite)
    return words.strip(" .,!?~")


def is_yes(text: str) -> bool:
    """True when the whole message says yes."""
    return normalise_answer(text) in YES_WORDS


def is_no(text: str) -> bool:
    """True when the whole message says no."""
    return normalise_answer(text) in NO_WORDS
