"""One cleaning for every text that enters from a chat app, so what is stored is what is shown.

* A lone surrogate (JSON allows `"\\ud800"`) cannot be encoded as UTF-8: every database
  write of it fails. Pairs that arrive split are joined; lone halves become U+FFFD.
* NUL and the other C0/C1 control characters are invisible, break terminals, logs and
  PostgreSQL (which refuses NUL in text); newline and tab are kept, CR becomes a newline.
* Bidi overrides, embeddings and isolates (U+202A-U+202E, U+2066-U+2069) make a name or a
  product text read differently to other members than it was stored ("gnp.exe").

Everything else stays as typed: accents, emoji, joiners, RLM/LRM marks.
"""

import re

__all__ = ["clean_optional", "clean_text"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """`text` without lone surrogates, control characters (but newline, tab) or bidi overrides."""
    if _SURROGATE.search(text):
        # surrogatepass joins a split pair back into one character; "replace" marks the rest
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNWANTED.sub("", text)


def clean_optional(text: str | None) -> str | None:
    """clean_text for optional fields; None stays None."""
    return None if text is None else clean_text(text)
