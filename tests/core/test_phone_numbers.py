"""Typed phone numbers are checked, never "fixed" (issue 10: `0812abc` was stored as
`+620812222`)."""

import pytest
from sqlmodel import select

from handlers.phones import read_phone, to_e164
from storage.models import Member
from tests.factories import Transcript


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("0812 1111 2222", "+6281211112222"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("(0812) 3456 7890", "+6281234567890"),
        ("+44 7911 123456", "+447911123456"),  # a valid mobile number abroad
        ("0812abc", None),  # letters are never read as digits (abc -> 222)
        ("0812", None),
        ("0812-3456-789O", None),  # a letter O for a zero
        ("021-555-1234", None),  # a landline: buyers reach sellers on WhatsApp
        ("08123", None),
        ("belum tahu", None),
        ("", None),
    ],
)
def test_read_phone(typed: str, stored: str | None) -> None:
    assert read_phone(typed) == stored


def test_channel_addresses_still_read_but_letters_are_no_digits() -> None:
    assert to_e164("whatsapp:+6281234567890") == "+6281234567890"
    assert to_e164("0812abc") is None


async def test_profile_number_with_letters_is_asked_again(chat: Transcript) -> None:
    await chat.join("Siti")
    reply = await chat.text("Siti", "profil nomor 0812abc")
    assert '"0812abc" bukan nomor HP yang bisa dipakai' in reply
    assert "contoh: 0812-3456-7890" in reply
    member = chat.member("Siti")
    assert member is not None and member.phone is None  # not +620812222
    assert "+6281234567890" in await chat.text("Siti", "0812-3456-7890")  # the re-ask's answer
    member = chat.member("Siti")
    assert member is not None and member.phone == "+6281234567890"


async def test_profile_number_in_english(chat: Transcript) -> None:
    await chat.join("Budi")
    await chat.say("Budi", "LANGUAGE en")
    reply = await chat.text("Budi", "PROFILE phone 0812abc")
    assert "is not a mobile number Guyub can use" in reply and "e.g. 0812-3456-7890" in reply


async def test_sell_for_phone_step_asks_again_with_skip(chat: Transcript) -> None:
    await chat.join("Rina")
    chat.coordinator("Rina")
    await chat.say("Rina", "/jualuntuk Mbah Sarmi")
    await chat.press("Rina", "Buat anggota")
    reply = await chat.text("Rina", "0812abc")
    assert '"0812abc" bukan nomor HP yang benar' in reply and "0812-3456-7890" in reply
    assert chat.buttons("Rina") == ["Lewati"]  # Skip is still there
    replies = await chat.texts("Rina", "0812 1111 2222")
    assert "atas nama Mbah Sarmi" in replies[0]
    sarmi = [m for m in _members(chat) if m.display_name == "Mbah Sarmi"]
    assert [m.phone for m in sarmi] == ["+6281211112222"]


def _members(chat: Transcript) -> list[Member]:
    with chat.core.open_session() as session:
        return list(session.exec(select(Member)).all())
