"""Catalogue texts, Rupiah and phone numbers."""

import pytest

from handlers.i18n import LANGUAGES, all_texts, normalize_language, placeholders, rupiah, t
from handlers.phones import mask_phone, to_e164


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, variants in all_texts().items():
        assert set(variants) == set(LANGUAGES), f"{key} lacks a language"
        assert all(v.strip() for v in variants.values()), f"{key} has an empty text"
        assert placeholders(variants["id"]) == placeholders(variants["en"]), key


def test_missing_language_falls_back_to_indonesian() -> None:
    assert t("jv", "common.yes") == "Ya"
    assert t(None, "common.yes") == "Ya"
    with pytest.raises(KeyError):
        t("id", "no.such.text")


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (15000, "Rp15.000"),
        (0, "Rp0"),
        (500, "Rp500"),
        (1_500_000, "Rp1.500.000"),
        (1_000_000_000, "Rp1.000.000.000"),
    ],
)
def test_rupiah(amount: int, text: str) -> None:
    assert rupiah(amount) == text


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("whatsapp:+6281234567890", "+6281234567890"),
        ("(0812) 3456 7890", "+6281234567890"),
        ("+14155238886", "+14155238886"),
        ("halo", None),
        ("12", None),
        ("", None),
    ],
)
def test_phone_numbers_become_e164(raw: str, e164: str | None) -> None:
    assert to_e164(raw) == e164


def test_phone_numbers_are_masked_for_logs() -> None:
    assert mask_phone("+6281234567890") == "+6281****7890"


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("id", "id"),
        ("in", "id"),
        ("id-ID", "id"),
        ("EN", "en"),
        ("en_US", "en"),
        ("english", "en"),
        ("fr", None),
        (None, None),
        ("", None),
    ],
)
def test_language_codes(code: str | None, lang: str | None) -> None:
    assert normalize_language(code) == lang
