"""The yes/no table every confirm step reads (handlers/answers.py)."""

import pytest

from handlers.answers import is_no, is_yes

YES = ["ya", "iya", "y", "yes", "ok", "oke", "okay", "siap", "betul", "benar", "boleh", "setuju"]
NO = ["tidak", "gak", "nggak", "enggak", "ga", "no", "batal", "jangan"]


@pytest.mark.parametrize("word", [*YES, "👍", "👍🏽", "Ya!", " IYA. ", "ok min", "Boleh kak"])
def test_yes_words(word: str) -> None:
    assert is_yes(word) and not is_no(word)


@pytest.mark.parametrize("word", [*NO, "Tidak.", "gak jadi", "NGGAK!", "jangan dong"])
def test_no_words(word: str) -> None:
    assert is_no(word) and not is_yes(word)


@pytest.mark.parametrize(
    "text", ["", "yang", "tidak tahu", "ya tapi nanti", "oke banget harganya", "1", "yes please"]
)
def test_other_answers_are_neither(text: str) -> None:
    assert not is_yes(text) and not is_no(text)
