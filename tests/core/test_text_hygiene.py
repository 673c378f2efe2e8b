"""Text as it enters: lone surrogates, control and bidi characters (issue 9, findings 4, 5)."""

from dataclasses import replace

import pytest
from sqlmodel import select

from bot.channels import telegram_render, whatsapp_text
from bot.channels.rendering import utf16_fit, utf16_length
from handlers.messages import Channel, Incoming
from handlers.text_hygiene import clean_text
from storage.models import ChannelIdentity, ProcessedInbound
from tests.factories import Transcript

APOLOGY = "Maaf, ada gangguan"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Bu\ud800di", "Bu\ufffddi"),
        ("\udfff", "\ufffd"),
        ("\ud83d\ude00 split pair", "😀 split pair"),  # halves of one emoji, joined again
        ("a\x00b\x07c\x1bd\x7fe\x85f", "abcdef"),
        ("baris 1\r\nbaris 2\rbaris 3\tkolom", "baris 1\nbaris 2\nbaris 3\tkolom"),
        ("\u202eexe.gnp\u202c \u2066x\u2069 \u202a\u202b\u202d", "exe.gnp x "),
        ("Ibu Émilie 👩‍👩‍👧 ❤️ \u200f", "Ibu Émilie 👩‍👩‍👧 ❤️ \u200f"),  # as typed
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_every_text_field_of_an_incoming_is_cleaned(chat: Transcript) -> None:
    msg = Incoming(
        channel=Channel.TELEGRAM,
        message_id="1",
        address="42",
        display_name="Bu\ud800di\x00",
        received_at=chat.core.clock.now(),
        text="halo\u202e",
        payload="x\x00",
        username="budi\ud800",
        language_hint="id\x00",
    )
    assert (msg.display_name, msg.text, msg.payload) == ("Bu\ufffddi", "halo", "x")
    assert (msg.username, msg.language_hint) == ("budi\ufffd", "id")
    assert replace(msg, text="\x00ok").text == "ok"  # replace() goes through the same door


def test_lengths_and_splitters_never_raise_on_a_lone_surrogate() -> None:
    text = "Bu\ud800di " * 1000
    assert utf16_length("Bu\ud800di") == 5 and utf16_fit("Bu\ud800di", 3) == 3
    for part in whatsapp_text.split_text(text) + telegram_render.split_text(text):
        assert 0 < utf16_length(part) <= 4096
    assert utf16_length(whatsapp_text.flat_variable(text)) <= whatsapp_text.VARIABLE_LIMIT


async def test_a_lone_surrogate_in_a_name_or_profile_is_answered_and_stored_cleaned(
    chat: Transcript,
) -> None:
    await chat.say("Budi", "GABUNG KBA13", display_name="Bu\ud800di")
    welcome = await chat.text("Budi", "1", display_name="Bu\ud800di")
    assert "Terima kasih, Bu\ufffddi!" in welcome
    card = await chat.text("Budi", "PROFIL USAHA Keripik \ud800 Balado", display_name="Bu\ud800di")
    assert APOLOGY not in card and "Keripik \ufffd Balado" in card
    member = chat.member("Budi")
    assert member is not None and member.display_name == "Bu\ufffddi"
    assert member.business_name == "Keripik \ufffd Balado"


async def test_control_and_bidi_characters_are_not_stored(chat: Transcript) -> None:
    name = "\u202eSari\x00 Dewi\x07"
    await chat.say("Sari", "GABUNG KBA13", display_name=name)
    await chat.say("Sari", "1", display_name=name)
    card = await chat.text(
        "Sari", "PROFIL USAHA Toko\x00 \u2066Sari\u2069\x1b[31m", display_name=name
    )
    assert "Toko Sari[31m" in card
    member = chat.member("Sari")
    assert member is not None and member.display_name == "Sari Dewi"
    assert member.business_name == "Toko Sari[31m"


async def test_the_error_boundary_survives_the_input_that_caused_the_error(
    chat: Transcript,
) -> None:
    """Even text no channel cleaned (a channel built another way) is apologised for once."""
    msg = Incoming(
        channel=Channel.TELEGRAM,
        message_id="u7",
        address="77",
        display_name="x",
        received_at=chat.core.clock.now(),
        text="halo",
    )
    object.__setattr__(msg, "display_name", "Bu\ud800di")  # past __post_init__'s cleaning
    [reply] = await chat.core.router.handle(msg)
    assert APOLOGY in reply.text
    assert await chat.core.router.handle(msg) == []  # marked handled: no second apology
    with chat.core.open_session() as session:
        assert session.exec(select(ProcessedInbound.message_id)).all() == ["u7"]
        [identity] = session.exec(select(ChannelIdentity)).all()
    assert identity.display_name == "Bu\ufffddi"
