"""Typo-tolerant search: which words of the community's own vocabulary a query word may mean.

People type `kripik`, `keripk`, `krupuk`, `esteh`, `cabe` for "Keripik", "kerupuk", "Es teh",
"cabai". Rather than compare the query with every product, we compare each query word
with the *distinct words* of the community's live products (a few hundred to a few
thousand; storage/search_index.py keeps them for SQLite, storage/products.py reads them
elsewhere) using rapidfuzz's C++ edit distances, and search again with the close words
as alternatives. The decision is made here in Python, so SQLite and PostgreSQL return
the same products; the databases only answer "which products have these word starts".

How close is close enough (after `fold`, on the query word's length):
- 1-3 letters: exact only. `es`, `teh`, `tas` have too many one-letter neighbours.
- 4-5 letters: one letter missing or extra (Indel distance 1), no substitutions:
  `kopi` must not find `kapi`, `tahu` must not find `tahi`, `roti` not `rota`.
- 6-8 letters: one letter missing, extra, wrong, or two neighbours swapped (OSA 1).
- 9+ letters: two such edits (OSA 2).
- Words with digits (`15rb`, `500ml`): exact only.
Besides edits, a word may be two vocabulary words written together (`esteh` -> `es teh`)
and two query words may be one vocabulary word (`es teh` -> `esteh`).
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

__all__ = ["Alternative", "Group", "expand", "fold", "rank"]

MAX_ALTERNATIVES = 5
"""Close words kept per query word (the closest), so the expanded query stays small."""

# Old (pre-1972) and informal spellings folded to one form before measuring distance.
_OLD_SPELLING = (("dj", "j"), ("tj", "c"), ("oe", "u"), ("nj", "ny"), ("sj", "sy"))
_REPEATS = re.compile(r"(.)\1+")
# Colloquial Javanese/Betawi "e" for the "a" of a closed last syllable: pedes/pedas,
# sambel/sambal, bener/benar, seneng/senang.
_LAST_SYLLABLE_A = re.compile(r"(?<=[^aeiou])a([^aeiou]{1,2})$")


@dataclass(frozen=True)
class Alternative:
    """Words that together stand for one query word (all must start a product word)."""

    words: tuple[str, ...]
    cost: int


Group = tuple[Alternative, ...]
"""The alternatives for one query word (or two joined ones); any one of them may match."""


@lru_cache(maxsize=100_000)
def fold(word: str) -> str:
    """One spelling for common variants: `djamu`/`jamu`, `cabai`/`cabe`, `sambel`/`sambal`.

    Cached: the same vocabulary words are folded for every search.
    """
    for old, new in _OLD_SPELLING:
        word = word.replace(old, new)
    word = _REPEATS.sub(r"\1", word)
    if word.endswith("ai"):  # cabai/cabe, satai/sate, petai/pete
        word = word[:-2] + "e"
    elif word.endswith("au"):  # kalau/kalo, pulau/pulo
        word = word[:-2] + "o"
    return _LAST_SYLLABLE_A.sub(r"e\1", word)


def _scorer(length: int) -> tuple[Callable[..., int], int] | None:
    """The edit distance and the most edits allowed for a query word of this length."""
    if length <= 3:
        return None
    if length <= 5:
        return Indel.distance, 1
    if length <= 8:
        return OSA.distance, 1
    return OSA.distance, 2


def _close_words(word: str, vocabulary: Sequence[str]) -> list[Alternative]:
    """Vocabulary words within the allowed edits of `word`, closest first."""
    rule = _scorer(len(word))
    if rule is None or not word.isalpha():  # `15rb` and `10rb` are different prices
        return []
    scorer, most = rule
    candidates = [
        v
        for v in vocabulary
        if len(v) >= 3
        and abs(len(v) - len(word)) <= most + 2
        and v.isalpha()
        and not v.startswith(word)
    ]
    found = process.extract(
        fold(word),
        [fold(v) for v in candidates],
        scorer=scorer,
        score_cutoff=most,
        limit=None,
    )
    close = sorted((int(score), candidates[index]) for _, score, index in found)
    return [Alternative((v,), max(score, 1)) for score, v in close[:MAX_ALTERNATIVES]]


def _split(word: str, known: set[str]) -> list[Alternative]:
    """`esteh` -> `es teh` when both halves are words of the vocabulary."""
    if len(word) < 4:
        return []
    return [
        Alternative((word[:i], word[i:]), 1)
        for i in range(2, len(word) - 1)
        if word[:i] in known and word[i:] in known
    ][:MAX_ALTERNATIVES]


def expand(words: Sequence[str], vocabulary: Iterable[str]) -> list[Group] | None:
    """The query with close words as alternatives; None when nothing close was found."""
    listed = list(vocabulary)
    known = set(listed)
    groups: list[Group] = [
        (Alternative((w,), 0), *_close_words(w, listed), *_split(w, known)) for w in words
    ]
    joined: list[Group] = []
    i = 0
    while i < len(words):
        together = words[i] + words[i + 1] if i + 1 < len(words) else ""
        if together in known:
            pairs = tuple(
                Alternative(a.words + b.words, a.cost + b.cost)
                for a in groups[i]
                for b in groups[i + 1]
            )
            joined.append((*pairs, Alternative((together,), 1)))
            i += 2
        else:
            joined.append(groups[i])
            i += 1
    if all(len(group) == 1 for group in joined):
        return None
    return joined


def _matches(alternative: Alternative, words: Sequence[str]) -> bool:
    return all(any(w.startswith(part) for w in words) for part in alternative.words)


def rank(rows: Iterable[tuple[int, str]], groups: Sequence[Group]) -> list[int]:
    """Ids of (id, search_text) rows: more groups in the title, closer spelling, newer first."""
    scored = []
    for product_id, search_text in rows:
        title, _, body = search_text.partition(" | ")
        title_words, body_words = title.split(), body.split()
        everywhere = title_words + body_words
        in_title = cost = 0
        for group in groups:
            in_title += any(_matches(a, title_words) for a in group)
            costs = [a.cost for a in group if _matches(a, everywhere)]
            cost += min(costs, default=0)
        scored.append((-in_title, cost, -product_id))
    return [-key[2] for key in sorted(scored)]
