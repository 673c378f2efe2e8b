"""A Telegram name with a lone surrogate or control characters, through the real PTB
Application and the fake Bot API (issue 9, findings 4 and 5)."""

from collections.abc import Iterator

from sqlmodel import select

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from storage.models import ChannelIdentity, Member
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.chats import TelegramUser


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
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core, update_ids: Iterator[int]
) -> None:
    # The Bot API sends JSON, where "\ud800" is legal: json.loads gives a lone surrogate.
    budi = TelegramUser(api, update_ids, 77, first_name="\u202eBu\ud800di\x00")
    budi.say("/start KBA13")
    (consent,) = await budi.hears()
    assert "KBA 13 Ulu" in consent.params["text"]
    budi.press("join:yes", message_id=consent.result["message_id"])
    welcome = (await budi.hears(2))[-1]
    assert "Terima kasih, Bu\ufffddi!" in welcome.params["text"]

    budi.say("PROFIL USAHA Keripik\x00 \u2066Balado\ud800")
    saved, card = (await budi.hears(4))[-2:]
    assert "Tersimpan" in saved.params["text"]
    assert "Keripik Balado\ufffd" in card.params["text"]
    assert member_of(core, "77") == ("Bu\ufffddi", "Keripik Balado\ufffd")
    for call in api.calls_to("sendMessage"):
        text = call.params["text"]
        assert not any(c in text for c in "\x00\u202e\u2066") and "\ud800" not in text
