"""Splitting, escaping, keyboards and callback tokens, as plain functions."""

from bot.channels.telegram_render import (
    TOKEN_PREFIX,
    callback_data,
    escape,
    keyboard,
    resolve_callback,
    split_caption,
    split_text,
    telegram_length,
)
from handlers.messages import Button


def test_escape_keeps_text_literal() -> None:
    assert escape('<b>Keripik</b> & "Kue"') == '&lt;b&gt;Keripik&lt;/b&gt; &amp; "Kue"'


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    text = "Satu dua tiga.\n\nEmpat lima enam tujuh."
    assert split_text(text, 30) == ["Satu dua tiga.", "Empat lima enam tujuh."]
    assert split_text("aaa bbb ccc ddd", 8) == ["aaa bbb", "ccc ddd"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]  # no break: hard cut
    assert split_text("   ", 10) == []


def test_split_counts_emoji_as_telegram_does() -> None:
    text = "🎉" * 6  # 12 UTF-16 units
    parts = split_text(text, 5)
    assert all(telegram_length(part) <= 5 for part in parts) and "".join(parts) == text


def test_split_caption_moves_the_rest_to_texts() -> None:
    assert split_caption("Kue lapis\nRp15.000") == ("Kue lapis\nRp15.000", [])
    caption, rest = split_caption("kata " * 400)
    assert telegram_length(caption) <= 1024 and rest and not caption.endswith(" ")
    assert " ".join([caption, *rest]).split() == ["kata"] * 400


def test_short_labels_share_rows_long_ones_do_not() -> None:
    markup = keyboard(
        [Button("Ya", "y"), Button("Tidak", "n"), Button("Batal", "c"), Button("Nanti", "l")]
    )
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [
        ["Ya", "Tidak", "Batal"],
        ["Nanti"],
    ]
    markup = keyboard([Button("Dihubungi lewat WhatsApp", "w"), Button("Ubah area", "a")])
    assert markup is not None and [len(row) for row in markup.inline_keyboard] == [1, 1]
    assert keyboard([]) is None


def test_long_payloads_travel_as_tokens() -> None:
    short = "/profil usaha"
    long = "/profil usaha " + "Keripik Singkong Balado Pedas Manis Asli Buatan Ibu Siti"
    assert callback_data(short) == short
    token = callback_data(long)
    assert token.startswith(TOKEN_PREFIX) and len(token.encode()) <= 64
    shown = [["Usaha", long], ["Lain", short]]
    assert resolve_callback(token, shown) == long
    assert resolve_callback(short, shown) == short
    assert resolve_callback(token, [["Lain", short]]) is None  # no longer shown: expired
    assert callback_data(TOKEN_PREFIX + "x") != TOKEN_PREFIX + "x"  # never mistaken for one
    assert len(callback_data("é" * 40).encode()) <= 64  # 80 bytes although 40 characters


def test_a_hard_cut_never_splits_an_emoji() -> None:
    family = "👨\u200d👩\u200d👧"  # three people joined by ZWJ: 8 UTF-16 units
    for cluster, count, limit in ((family, 3, 10), ("👍🏽", 5, 6), ("🇮🇩", 5, 6), ("1️⃣", 9, 4)):
        parts = split_text(cluster * count, limit)
        assert all(telegram_length(part) <= limit for part in parts)
        assert all(part == cluster * (len(part) // len(cluster)) for part in parts), parts
        assert "".join(parts) == cluster * count


def test_an_entity_is_never_cut_in_half() -> None:
    """Telegram counts `&amp;` as one character: the plain text is cut, then escaped."""
    parts = split_text("&" * 5000)
    assert [len(part) for part in parts] == [4096, 904]
    assert escape(parts[1]) == "&amp;" * 904
