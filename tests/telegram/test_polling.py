"""Chats with the real PTB Application in polling mode, through the real router."""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from handlers.clock import ManualClock
from storage.models import Community, InboxMessage, Member, Role
from tests.factories import Transcript
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    bot_user,
    make_chat,
    make_text_update,
    make_user,
)
from tests.telegram.chats import add_member, fetched, identity_of
from tests.telegram.line import TelegramLine


async def test_join_by_deep_link_and_consent_button(
    chat: Transcript, line: TelegramLine, api: FakeTelegramAPI, core: Core
) -> None:
    await chat.say("Siti", "/start KBA13")
    (consent,) = line.sent("Siti")
    assert "KBA 13 Ulu" in consent.params["text"] and consent.params["parse_mode"] == "HTML"
    assert consent.params["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "Setuju", "callback_data": "join:yes"},
                {"text": "Batal", "callback_data": "join:no"},
            ]
        ]
    }

    await chat.press("Siti", "Setuju")  # on the message that showed the button
    welcome = line.sent("Siti")[-1]
    assert "Terima kasih, Siti!" in welcome.params["text"]
    (answer,) = api.calls_to("answerCallbackQuery")
    assert api.calls.index(answer) < api.calls.index(welcome)  # the spinner stops first

    identity = identity_of(core, 42)
    assert identity is not None and identity.member_id is not None
    assert identity.username == "siti_kripik"

    await chat.say("Siti", "/menu@GuyubTestBot")
    menu = line.sent("Siti")[-1]
    assert "/profil" in menu.params["text"] and "/hubungkan" not in menu.params["text"]


async def test_english_speaker_gets_english(chat: Transcript, line: TelegramLine) -> None:
    line.person("John", 55, language_code="en")
    (hello,) = await chat.say("John", "/start")
    assert hello.text.startswith("Hello!")


async def test_names_are_shown_literally_never_as_html(
    chat: Transcript, line: TelegramLine, core: Core, community: Community
) -> None:
    add_member(core, community, 42, "Siti")
    await chat.say("Siti", "/profil usaha <b>Bu</b> & <script>")
    _saved, card = line.sent("Siti")
    assert card.params["parse_mode"] == "HTML"
    assert "Nama usaha: &lt;b&gt;Bu&lt;/b&gt; &amp; &lt;script&gt;" in card.params["text"]
    assert "<b>" not in card.params["text"]
    rows = card.params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[0]] == ["Ubah nama", "Ubah nama usaha"]


async def test_a_duplicate_update_is_answered_once(
    chat: Transcript, line: TelegramLine, api: FakeTelegramAPI
) -> None:
    update = make_text_update(7, 42, "/menu")
    api.push_update(update)
    api.push_update(update)
    await chat.say("Siti", "/bahasa")  # the same chat is handled in order: the duplicate first
    replies = line.sent("Siti")
    assert "Menu" in replies[0].params["text"]
    assert "bahasa" in replies[1].params["text"].lower()
    assert len(api.sent_texts(42)) == 2


async def test_edits_and_voice_notes(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    line: TelegramLine,
) -> None:
    add_member(core, community, 42, "Siti")
    user, chat = make_user(42), make_chat(42, "private", first_name="Siti")
    base = {"date": 0, "chat": chat, "from": user}
    api.push_update({"update_id": 1, "edited_message": base | {"message_id": 3, "text": "x"}})
    voice = {"file_id": "voice-1", "file_unique_id": "u-voice-1", "duration": 2}
    api.push_update({"update_id": 2, "message": base | {"message_id": 4, "voice": voice}})
    await line.handled(2)
    (answer,) = line.sent("Siti")
    assert "hanya bisa membaca teks dan foto" in answer.params["text"]
    assert api.calls_to("getFile") == []  # voice notes are not downloaded


async def test_blocking_the_bot_marks_the_person_unreachable(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core, community: Community
) -> None:
    add_member(core, community, 42, "Siti")
    change = {
        "chat": make_chat(42, "private", first_name="Siti"),
        "from": make_user(42),
        "date": 0,
        "old_chat_member": {"user": bot_user(), "status": "member"},
        "new_chat_member": {"user": bot_user(), "status": "kicked", "until_date": 0},
    }
    api.push_update({"update_id": 9, "my_chat_member": change})
    await fetched(api, 9)
    await telegram.stop()  # lets the update in hand finish
    identity = identity_of(core, 42)
    assert identity is not None and identity.unreachable_at is not None


async def test_blocked_during_a_reply(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    chat: Transcript,
) -> None:
    add_member(core, community, 42, "Siti")
    api.block_chat(42)
    assert await chat.say("Siti", "/menu") == []  # nothing got through
    (refused,) = api.calls_to("sendMessage")
    await telegram.stop()
    assert refused.error_code == 403
    identity = identity_of(core, 42)
    assert identity is not None and identity.unreachable_at is not None
    assert identity.unreachable_reason == "Forbidden: bot was blocked by the user"


async def test_a_429_on_a_reply_is_waited_out_for_that_chat(
    chat: Transcript, api: FakeTelegramAPI, clock: ManualClock
) -> None:
    api.fail_next("sendMessage", 429, retry_after=0.1, chat_id=42)
    before = clock.now()
    (hello,) = await chat.say("Siti", "/start")
    assert [c.error_code for c in api.calls_to("sendMessage")] == [429, None]
    assert hello.text.startswith("Halo!")
    assert clock.now() - before >= timedelta(seconds=0.1)  # waited out, in virtual time


async def test_command_menus(
    coordinator: Member, telegram: TelegramChannel, api: FakeTelegramAPI
) -> None:
    menus = {
        (
            c.params["scope"]["type"],
            c.params.get("language_code"),
            c.params["scope"].get("chat_id"),
        ): [(command["command"], command["description"]) for command in c.params["commands"]]
        for c in api.calls_to("setMyCommands")
    }
    everyone_id = dict(menus[("default", None, None)])
    everyone_en = dict(menus[("default", "en", None)])
    assert everyone_id["gabung"] == "KODE — gabung ke komunitas"
    assert everyone_en["join"] == "CODE — join a community"
    assert everyone_id["menu"] == "Menu ini" and everyone_en["menu"] == "This menu"
    assert "profil" in everyone_id and "profile" in everyone_en
    assert "angkat" not in everyone_id and "hubungkan" not in everyone_id
    assert [name for name, _ in menus[("all_group_chats", None, None)]] == ["menu"]
    assert "hubungkan" in dict(menus[("all_chat_administrators", None, None)])
    assert "connect" in dict(menus[("all_chat_administrators", "en", None)])
    coordinator_menu = dict(menus[("chat", None, 7)])
    assert {"angkat", "hubungkan", "profil"} <= set(coordinator_menu)
    for menu in menus.values():
        for name, description in menu:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
            assert 1 <= len(description) <= 256


async def test_bot_username_reaches_the_handlers(telegram: TelegramChannel, core: Core) -> None:
    assert core.options.telegram_bot_username == "GuyubTestBot"
    assert core.router.options.telegram_bot_username == "GuyubTestBot"


@pytest.fixture
def coordinator(core: Core, community: Community) -> Member:
    """Bu Rina, coordinator, Telegram user 7 (made before the channel starts)."""
    return add_member(core, community, 7, "Bu Rina", Role.COORDINATOR)


async def test_an_update_delivered_again_after_a_restart_is_not_answered_twice(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    chat: Transcript,
    line: TelegramLine,
    update_ids: Iterator[int],
) -> None:
    update = make_text_update(70, 42, "/menu")
    api.push_update(update)
    await line.handled(70)
    (menu,) = line.sent("Siti")
    await telegram.stop()  # the process goes down ...

    again = TelegramChannel(core, poll_timeout=timedelta(seconds=1))
    await again.start()  # ... and comes back on the same database
    try:
        chat.use(TelegramLine(core, api, again, update_ids))  # Siti is user 42 there too
        api.push_update(update)  # Telegram had not seen our confirmation: it sends it again
        await chat.say("42", "/bahasa")
        replies = line.sent("Siti")
        assert replies[0] is menu and "bahasa" in replies[1].params["text"].lower()
        assert len(api.sent_texts(42)) == 2
    finally:
        await again.stop()


async def test_an_update_is_confirmed_only_once_it_is_in_the_inbox(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core, line: TelegramLine
) -> None:
    api.push_update(make_text_update(71, 42, "/start"))
    await fetched(api, 71)  # the next getUpdates offset confirms it to Telegram
    with core.open_session() as session:
        row = session.exec(select(InboxMessage).where(InboxMessage.platform_id == "u71")).one()
    assert row.channel == "telegram"
    await line.handled(71)
    (hello,) = line.sent("42")
    assert hello.params["text"].startswith("Halo!")
