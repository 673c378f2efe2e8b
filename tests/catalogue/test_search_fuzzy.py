"""storage.search_fuzzy: which spellings count as the same word, and which never do."""

import pytest

from storage.search_fuzzy import Alternative, expand, fold, rank

VOCABULARY = [
    "5rb",
    "keripik",
    "kerupuk",
    "kopi",
    "kapi",
    "tahu",
    "es",
    "teh",
    "esteh",
    "jamu",
    "cabai",
]


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("djamu", "jamu"),  # old spelling
        ("tjabe", "cabe"),
        ("soerabaja", "surabaja"),
        ("cabai", "cabe"),  # -ai / -e
        ("kalau", "kalo"),  # -au / -o
        ("pedas", "pedes"),  # colloquial e for the a of a closed last syllable
        ("sambal", "sambel"),
        ("bakwn", "bakwn"),  # no vowel before the consonants: a typo, left alone
        ("kopiii", "kopi"),  # repeated letters
        ("es", "es"),
    ],
)
def test_fold(word: str, folded: str) -> None:
    assert fold(word) == folded


@pytest.mark.parametrize(
    ("query", "close"),
    [
        ("kripik", {"keripik"}),  # a letter missing (6-8 letters: one edit)
        ("keripk", {"keripik"}),
        ("krupuk", {"kerupuk"}),
        ("keripiik", {"keripik"}),  # a letter too many
        ("kopi", set()),  # 4-5 letters: a wrong letter is too far ("kapi")
        ("kopii", {"kopi"}),  # ...but a letter too many or missing is not
        ("kpoi", set()),  # ...nor are two letters swapped (two edits without substitution)
        ("tahi", set()),
        ("kpi", set()),  # 1-3 letters: exact only
        ("15rb", set()),  # prices and sizes: exact only
        ("cabe", {"cabai"}),
        ("djamu", {"jamu"}),
    ],
)
def test_close_words(query: str, close: set[str]) -> None:
    groups = expand([query], VOCABULARY)
    found = set() if groups is None else {w for a in groups[0][1:] for w in a.words}
    assert found == close


def test_words_written_together_or_apart() -> None:
    assert expand(["esteh"], VOCABULARY) == [
        (Alternative(("esteh",), 0), Alternative(("es", "teh"), 1))
    ]
    assert expand(["es", "teh"], VOCABULARY) == [
        (Alternative(("es", "teh"), 0), Alternative(("esteh",), 1))
    ]


def test_rank_prefers_the_title_then_fewer_edits_then_newer() -> None:
    groups = [(Alternative(("kripik",), 0), Alternative(("keripik",), 1))]
    rows = [
        (1, " keripik pisang | enak "),
        (2, " sambal | kripik juga "),
        (3, " keripik balado | "),
        (4, " nasi | keripik "),
    ]
    assert rank(rows, groups) == [3, 1, 2, 4]
