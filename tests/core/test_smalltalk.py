"""The small-talk table (handlers/smalltalk.py)."""

import pytest

from handlers.smalltalk import Kind, kind_of


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("halo", Kind.GREETING),
        ("Hai!", Kind.GREETING),
        ("haloo", Kind.GREETING),
        ("p", Kind.GREETING),
        ("P", Kind.GREETING),
        ("pagi", Kind.GREETING),
        ("pagi min", Kind.GREETING),
        ("Selamat pagi, kak", Kind.GREETING),
        ("hello", Kind.GREETING),
        ("assalamualaikum", Kind.SALAM),
        ("Assalamu'alaikum wr wb", Kind.SALAM),
        ("makasih", Kind.THANKS),
        ("makasihhh", Kind.THANKS),
        ("terima kasih", Kind.THANKS),
        ("Terima kasih ya bu", Kind.THANKS),
        ("thanks", Kind.THANKS),
        ("🙏", Kind.THANKS),
        ("🙏🙏🙏", Kind.THANKS),
        ("makasih 🙏", Kind.THANKS),
        ("halo 👋😊", Kind.GREETING),
        ("ok", Kind.ACK),
        ("Oke", Kind.ACK),
        ("👍", Kind.ACK),
        ("👍🏻", Kind.ACK),
    ],
)
def test_small_talk(text: str, kind: Kind) -> None:
    assert kind_of(text) is kind


@pytest.mark.parametrize(
    "text", ["", "bakso", "pagi ini ada nasi kuning?", "halo ada yang jual bakso", "pp kue", "12"]
)
def test_other_messages_are_not_small_talk(text: str) -> None:
    assert kind_of(text) is None
