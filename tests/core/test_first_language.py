"""A new person's first language follows their first English command word or their
Telegram app (issue 10: `JOIN KS01` and `help` got Indonesian until `LANGUAGE en`)."""

import handlers.features  # noqa: F401  (registers every command)
from handlers.first_language import english_words
from handlers.messages import Channel
from tests.factories import Transcript


def test_english_words_come_from_the_registry() -> None:
    words = english_words()
    assert {"join", "help", "sell", "search", "profile", "language"} <= words
    assert not {"stop", "start", "menu", "gabung", "bantuan", "jual"} & words


async def test_join_in_english_gets_english_from_the_consent_on(chat: Transcript) -> None:
    consent = await chat.text("Tom", "JOIN KBA13")
    assert "Do you agree?" in consent and "Setuju" not in consent
    welcome = await chat.text("Tom", "1")
    assert "Thank you, Tom! You are now a member of KBA 13 Ulu" in welcome
    member = chat.member("Tom")
    assert member is not None and member.language == "en"
    assert "SELL" in await chat.text("Tom", "help")
    assert "GABUNG" not in await chat.text("Tom", "halo")  # later replies stay English


async def test_help_first_then_gabung_stays_english(chat: Transcript) -> None:
    guest_menu = await chat.text("Ann", "help")
    assert "JOIN" in guest_menu and "GABUNG" not in guest_menu
    assert "Do you agree?" in await chat.text("Ann", "GABUNG KBA13")  # the first language holds


async def test_indonesian_words_keep_the_community_language(chat: Transcript) -> None:
    consent = await chat.text("Siti", "GABUNG KBA13")
    assert "Setuju" in consent
    assert "Terima kasih, Siti!" in await chat.text("Siti", "1")
    assert "JUAL" in await chat.text("Siti", "MENU")


async def test_telegram_app_language_is_the_first_language(chat: Transcript) -> None:
    await chat.say("7", "halo", channel=Channel.TELEGRAM, language_hint="en-GB")
    consent = await chat.text("7", "/gabung KBA13")  # the hint is not sent again
    assert "Do you agree?" in consent
    assert "You are now a member" in await chat.text("7", press="I agree")


async def test_a_chosen_language_is_not_guessed_over(chat: Transcript) -> None:
    await chat.join("Budi")
    assert "JUAL" in await chat.text("Budi", "help")  # a member: HELP is just the menu
    await chat.say("Dewi", "BAHASA id")
    assert "Setuju" in await chat.text("Dewi", "JOIN KBA13")
