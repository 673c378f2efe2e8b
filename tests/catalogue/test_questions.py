"""Which messages are someone looking for a product (handlers/catalogue/questions.py)."""

import pytest

from handlers.catalogue.questions import looked_for


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("ada yang jual bakso?", "bakso"),
        ("Ada yg jual bakso gak kak?", "bakso"),
        ("mau pesan nasi kuning", "nasi kuning"),
        ("bakso", "bakso"),
        ("Bakso?", "bakso"),
        ("butuh tukang jahit", "tukang jahit"),
        ("ada kripik?", "kripik"),
        ("looking for batik", "batik"),
        ("anyone selling sambal?", "sambal"),
    ],
)
def test_looking_for(text: str, wanted: str) -> None:
    assert looked_for(text) == wanted


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12",
        "ya",
        "tidak",
        "apa",
        "wkwk",
        "hmm",
        "ok",
        "lewati",
        "hmm oke deh kalau begitu",
        "ada 12",
        "mau pesan",
        "ada apa",
        "kapan",
        "x1",
    ],
)
def test_not_looking_for(text: str) -> None:
    assert looked_for(text) is None
