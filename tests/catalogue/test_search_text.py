"""Tests for handlers.catalogue.search_text."""

import random

import pytest

from handlers.catalogue.search_text import normalize, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the brief's example
        ("Kopi Robusta – Lampung ☕ Café", "kopi robusta lampung cafe"),
        # accents and diacritics
        ("Café", "cafe"),
        ("naïve résumé", "naive resume"),
        ("São Paulo", "sao paulo"),
        ("Piñata ÀÉÎÕÜ", "pinata aeiou"),
        ("İstanbul", "istanbul"),
        # case
        ("KERIPIK Pisang", "keripik pisang"),
        # punctuation collapses to single spaces
        ("Keripik,pisang...coklat!!!", "keripik pisang coklat"),
        ("kue-kue", "kue kue"),
        ("Rp15.000,-", "rp15 000"),
        ("a_b/c\\d|e", "a b c d e"),
        ("  lots \t of \n\n space  ", "lots of space"),
        # apostrophes are dropped, not spaced, so both spellings match
        ("Jum'at", "jumat"),
        ("Jum’at", "jumat"),
        # emoji, including ZWJ sequences, flags, skin tones and keycaps
        ("🔥PROMO🔥", "promo"),
        ("Kopi☕Susu", "kopi susu"),
        ("👨‍👩‍👧 keluarga", "keluarga"),
        ("🇮🇩 Indonesia", "indonesia"),
        ("👍🏽 mantap", "mantap"),
        ("1️⃣ satu", "1 satu"),
        # compatibility forms
        ("ＫＯＰＩ １５", "kopi 15"),
        ("ﬁlter", "filter"),
        ("m²", "m2"),
        # empty-ish
        ("", ""),
        ("   ", ""),
        ("🔥☕!!!", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_tokens() -> None:
    assert tokens("Kopi Robusta – Lampung ☕ Café") == ["kopi", "robusta", "lampung", "cafe"]
    assert tokens("kue-kue KUE") == ["kue", "kue", "kue"]
    assert tokens("") == []
    assert tokens("🔥") == []


def test_normalize_is_idempotent_and_clean() -> None:
    rng = random.Random(7)
    for _ in range(500):
        text = "".join(chr(rng.randrange(0x30000)) for _ in range(rng.randrange(40)))
        once = normalize(text)
        assert normalize(once) == once
        assert once == once.strip()
        assert "  " not in once
        assert all(ch.isalnum() or ch == " " for ch in once)
        assert tokens(text) == once.split()
