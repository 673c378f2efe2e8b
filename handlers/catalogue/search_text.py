"""Normalisation for catalogue search.

Buyers type "cafe", sellers write "Café ☕"; both must land on the same tokens. The
rules are deliberately simple and predictable so an index built today still matches
queries normalised tomorrow: change them only together with a re-index.
"""

import unicodedata

# Apostrophes are dropped rather than turned into a space so that "Jum'at" and "Jumat"
# (both common spellings) produce the same token.
_APOSTROPHES = frozenset("'`´‘’ʼ")


def normalize(text: str) -> str:
    """Lowercase ``text``, strip accents, drop emoji and collapse everything else to spaces.

    NFKD splits "é" into "e" + a combining accent (category Mn), which we drop; it also
    folds compatibility forms such as full-width letters, ligatures and superscripts.
    Anything that is not a letter or digit afterwards (punctuation, symbols, emoji)
    becomes a single separating space.
    """
    chars: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.category(ch) == "Mn" or ch in _APOSTROPHES:
            continue
        chars.append(ch.lower() if ch.isalnum() else " ")
    return " ".join("".join(chars).split())


def tokens(text: str) -> list[str]:
    """Split ``text`` into normalised search tokens, in order, duplicates kept."""
    return normalize(text).split()


# Quotes people put around search words ("kopi", 'kopi', “kopi”, «kopi»); the reply
# quotes the search itself, so they would show doubled.
_QUOTES = "\"'`´‘’“”„«»"


def unquoted(query: str) -> str:
    """`"kopi" susu` -> `kopi susu`: the words as typed, without quotes around them."""
    return " ".join(word.strip(_QUOTES) for word in query.split() if word.strip(_QUOTES))
