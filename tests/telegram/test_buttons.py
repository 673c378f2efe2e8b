"""Button presses: answered at once, and payloads too long for Telegram found back."""

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_render import callback_data
from storage.conversations import load_state, save_state
from storage.db import transaction
from storage.models import Community
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.chats import TelegramUser, add_member, identity_of

LONG = "/profil usaha Keripik Singkong Balado Pedas Manis Asli Buatan Ibu Siti"


def show_buttons(core: Core, user_id: int, buttons: list[list[str]]) -> None:
    """Leave `buttons` as the last ones shown, as the router does after a reply."""
    identity = identity_of(core, user_id)
    assert identity is not None
    with transaction(core.open_session) as session:
        state = load_state(session=session, identity_id=identity.id or 0, now=core.clock.now())
        save_state(
            session=session,
            state=state,
            flow=None,
            step=None,
            data={},
            buttons=buttons,
            now=core.clock.now(),
        )
        session.add(state)


async def test_a_long_payload_comes_back_from_its_token(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    siti: TelegramUser,
) -> None:
    add_member(core, community, 42, "Siti")
    show_buttons(core, 42, [["Simpan nama usaha", LONG]])
    token = callback_data(LONG)
    assert len(token.encode()) <= 64

    press = siti.press(token, message_id=5)
    _saved, card = await siti.hears(2)
    assert (
        "Nama usaha: Keripik Singkong Balado Pedas Manis Asli Buatan Ibu Siti"
        in (card.params["text"])
    )
    (answer,) = api.calls_to("answerCallbackQuery")
    assert answer.params == {"callback_query_id": f"cbq-{press}"}  # the spinner stops


async def test_a_token_no_longer_shown_has_expired(
    telegram: TelegramChannel, core: Core, community: Community, siti: TelegramUser
) -> None:
    add_member(core, community, 42, "Siti")
    siti.press(callback_data(LONG))
    (expired,) = await siti.hears()
    assert "Tombol itu sudah tidak berlaku" in expired.params["text"]
