"""Button presses: answered at once, and payloads too long for Telegram found back."""

from bot.app import Core
from bot.channels.telegram_render import callback_data
from storage.conversations import load_state, save_state
from storage.db import transaction
from storage.models import Community
from tests.factories import Transcript
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.chats import add_member, identity_of
from tests.telegram.line import TelegramLine

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
    chat: Transcript, line: TelegramLine, api: FakeTelegramAPI, core: Core, community: Community
) -> None:
    add_member(core, community, 42, "Siti")
    show_buttons(core, 42, [["Simpan nama usaha", LONG]])
    token = callback_data(LONG)
    assert len(token.encode()) <= 64

    _saved, card = await chat.say("Siti", payload=token)  # as Telegram sends the press
    assert "Nama usaha: Keripik Singkong Balado Pedas Manis Asli Buatan Ibu Siti" in card.text
    (answer,) = api.calls_to("answerCallbackQuery")
    press = line.last_update_id
    assert answer.params == {"callback_query_id": f"cbq-{press}"}  # the spinner stops


async def test_a_token_no_longer_shown_has_expired(
    chat: Transcript, core: Core, community: Community
) -> None:
    add_member(core, community, 42, "Siti")
    (expired,) = await chat.say("Siti", payload=callback_data(LONG))
    assert "Tombol itu sudah tidak berlaku" in expired.text
