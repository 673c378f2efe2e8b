"""Control and bidi characters in a signed WhatsApp webhook (issue 9, finding 5): not stored,
not shown to anyone; text otherwise as typed."""

from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import SARI, Phone
from tests.whatsapp.line import WhatsAppLine

HIDDEN = "\x00\x07\x1b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_control_and_bidi_characters_never_reach_the_database_or_a_reply(
    chat: Transcript, line: WhatsAppLine, sari: Phone, api: FakeTwilioAPI
) -> None:
    line.person("Sari", SARI, "\u202eBu\x00 Sari\u2069")  # the ProfileName Twilio sends
    await chat.bodies("Sari", "GABUNG KBA13")
    [welcome] = await chat.bodies("Sari", "1")
    assert "Terima kasih, Bu Sari!" in welcome
    await chat.bodies("Sari", "PROFIL USAHA Warung\x00 \u202eSari\x07\r\nBaru\tenak")
    member = chat.member("Sari")
    assert member is not None
    assert member.display_name == "Bu Sari"
    assert member.business_name == "Warung Sari Baru enak"  # the profile folds whitespace
    for body in sari.bodies(api.messages):  # as Twilio took them
        assert not any(c in body for c in HIDDEN), repr(body)
