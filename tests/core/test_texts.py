"""Catalogue texts, Rupiah and phone numbers."""

import pytest

from handlers.i18n import (
    LANGUAGES,
    all_texts,
    forms,
    normalize_language,
    placeholders,
    plural_categories,
    rupiah,
    t,
)
from handlers.phones import mask_phone, to_e164


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, variants in all_texts().items():
        assert set(variants) == set(LANGUAGES), f"{key} lacks a language"
        templates = [form for variant in variants.values() for form in forms(variant)]
        assert all(form.strip() for form in templates), f"{key} has an empty text"
        first = placeholders(templates[0])
        assert all(placeholders(form) == first for form in templates), key


def test_plural_texts_have_exactly_the_forms_their_language_needs() -> None:
    for key, variants in all_texts().items():
        for lang, variant in variants.items():
            if isinstance(variant, dict):
                assert set(variant) == plural_categories(lang), f"{key} in {lang}"


def test_every_count_is_plural_aware() -> None:
    """A `{count}` is a number that counts something, so it needs the forms of every language."""
    for key, variants in all_texts().items():
        if not any("count" in placeholders(f) for v in variants.values() for f in forms(v)):
            continue
        for lang, variant in variants.items():
            if len(plural_categories(lang)) > 1:
                assert isinstance(variant, dict), f"{key} in {lang} needs one/other forms"


@pytest.mark.parametrize(
    ("lang", "count", "text"),
    [
        ("en", 1, "👍 1 recommendation"),
        ("en", 2, "👍 2 recommendations"),
        ("en", 0, "👍 0 recommendations"),
        ("en", 21, "👍 21 recommendations"),
        ("id", 1, "👍 1 rekomendasi"),
        ("id", 2, "👍 2 rekomendasi"),
        (None, 1, "👍 1 rekomendasi"),
        ("jv", 1, "👍 1 rekomendasi"),
    ],
)
def test_counts_agree_in_number(lang: str | None, count: int, text: str) -> None:
    assert t(lang, "catalogue.card.recommendations", count=count) == text


def test_a_plural_text_needs_its_count() -> None:
    with pytest.raises(TypeError, match="count"):
        t("en", "catalogue.card.recommendations")


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
