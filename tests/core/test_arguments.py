"""Reading what people type after a command, and showing a command the way they type it."""

from datetime import UTC, datetime
from typing import cast

import pytest
from sqlmodel import Session

import handlers.features  # noqa: F401  (registers the commands `hint` shows)
from handlers.arguments import is_page_number, is_skip, parse_id, parse_member_ref, parse_name
from handlers.clock import ManualClock
from handlers.commands import hint
from handlers.context import Context, Options
from storage.models import ChannelIdentity, ConversationState

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rest", "parsed"),
    [
        ("12", (12, "")),
        ("#12 foto tidak pantas", (12, "foto tidak pantas")),
        ("  12   ya ", (12, "ya")),
        ("²", (None, "²")),
        ("١٢", (None, "١٢")),
        ("9999999999", (None, "9999999999")),
        ("dua belas", (None, "dua belas")),
        ("", (None, "")),
    ],
)
def test_parse_id(rest: str, parsed: tuple[int | None, str]) -> None:
    assert parse_id(rest) == parsed


def test_member_refs_names_pages_and_skips() -> None:
    assert parse_member_ref("#7") == 7
    assert parse_member_ref("#7 Bu Ani") is None and parse_member_ref("7") is None
    assert parse_name("  Bu   Siti\nRT 03 ") == "Bu Siti RT 03"
    assert len(parse_name("x" * 200)) == 64
    assert is_page_number("15") and not is_page_number("²") and not is_page_number("1" * 7)
    assert is_skip(" Lewati! ") and is_skip("-") and not is_skip("lewat sini")


def _context(channel: str, lang: str = "id") -> Context:
    identity = ChannelIdentity(id=1, channel=channel, address="Siti", created_at=NOW)
    return Context(
        session=cast(Session, None),
        clock=ManualClock(NOW),
        options=Options(),
        identity=identity,
        state=ConversationState(identity_id=1, updated_at=NOW),
        lang=lang,
    )


@pytest.mark.parametrize(
    ("channel", "lang", "key", "typed", "shown"),
    [
        ("telegram", "id", "sell", False, "/jual"),
        ("whatsapp", "id", "sell", False, "JUAL"),
        ("whatsapp", "en", "sell", False, "SELL"),
        ("whatsapp", "id", "available", False, "/ada"),  # no bare word: the slash works
        ("whatsapp", "id", "available", True, "ADA"),  # typed: `ADA 12` is understood too
        ("telegram", "id", "available", True, "/ada"),
        ("local", "en", "my_products", False, "MYPRODUCTS"),
    ],
)
def test_one_hint_for_every_way_of_showing_a_command(
    channel: str, lang: str, key: str, typed: bool, shown: str
) -> None:
    assert hint(_context(channel, lang), key, typed=typed) == shown
