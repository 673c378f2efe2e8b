"""A Telegram name with a lone surrogate or control characters, through the real PTB
Application and the fake Bot API (issue 9, findings 4 and 5)."""

from sqlmodel import select

from bot.app import Core
from storage.models import ChannelIdentity, Member
from tests.factories import Transcript
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.line import TelegramLine


def member_of(core: Core, address: str) -> tuple[str, str | None]:
    """(display name, business name) of the member behind a Telegram user id."""
    with core.open_session() as session:
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.address == address)
        ).one()
        member = session.get(Member, identity.member_id)
        assert member is not None
        return member.display_name, member.business_name


async def test_a_lone_surrogate_in_a_telegram_name_does_not_silence_the_person(
    chat: Transcript, line: TelegramLine, api: FakeTelegramAPI, core: Core
) -> None:
    # The Bot API sends JSON, where "\ud800" is legal: json.loads gives a lone surrogate.
    line.person("Budi", 77, first_name="\u202eBu\ud800di\x00")
    (consent,) = await chat.say("Budi", "/start KBA13")
    assert "KBA 13 Ulu" in consent.text
    welcome = (await chat.say("Budi", press="Setuju"))[0]  # join:yes, on the consent message
    assert "Terima kasih, Bu\ufffddi!" in welcome.text

    saved, card = (await chat.say("Budi", "PROFIL USAHA Keripik\x00 \u2066Balado\ud800"))[-2:]
    assert "Tersimpan" in saved.text
    assert "Keripik Balado\ufffd" in card.text
    assert member_of(core, "77") == ("Bu\ufffddi", "Keripik Balado\ufffd")
    for call in api.calls_to("sendMessage"):
        text = call.params["text"]
        assert not any(c in text for c in "\x00\u202e\u2066") and "\ud800" not in text
