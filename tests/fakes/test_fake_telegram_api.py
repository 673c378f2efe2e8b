"""Proves FakeTelegramAPI against the real python-telegram-bot Application (no mocks)."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from tests.fakes.telegram_api import (
    BOT_USERNAME,
    FakeTelegramAPI,
    make_callback_update,
    make_photo_update,
    make_text_update,
)

TOKEN = "123456:GUYUB-TEST-TOKEN"
PNG = b"\x89PNG\r\n\x1a\n" + b"kerupuk" * 10


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    """A running fake Bot API."""
    async with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
def timedelta_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to timedelta time periods.

    Without it, constructing ``RetryAfter`` itself emits a PTBDeprecationWarning, which
    ``filterwarnings = error`` turns into an exception replacing the RetryAfter.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def build_app(api: FakeTelegramAPI) -> Application[Any, Any, Any, Any, Any, Any]:
    """A real PTB Application pointed at the fake."""
    return (
        Application.builder()
        .token(TOKEN)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )


def running_updater(app: Application[Any, Any, Any, Any, Any, Any]) -> Updater:
    """The app's Updater (always built by ApplicationBuilder unless disabled)."""
    assert app.updater is not None
    return app.updater


async def test_polling_command_and_text_replies(api: FakeTelegramAPI) -> None:
    app = build_app(api)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message and update.effective_user
        await update.effective_message.reply_text(f"Halo {update.effective_user.first_name}!")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message
        await update.effective_message.reply_text(f"Kamu bilang: {update.effective_message.text}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))

    async with app:
        assert app.bot.username == BOT_USERNAME
        await app.start()
        await running_updater(app).start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
        api.push_update(make_text_update(1, 42, "halo"))
        api.push_update(make_text_update(2, 77, "/start", first_name="Budi"))
        sent = await api.wait_for("sendMessage", count=2)
        await running_updater(app).stop()
        await app.stop()

    assert [(c.chat_id, c.params["text"]) for c in sent] == [
        (42, "Kamu bilang: halo"),
        (77, "Halo Budi!"),
    ]
    assert all(c.ok for c in sent)
    assert api.calls_to("getMe") and api.calls_to("deleteWebhook")
    # The shutdown getUpdates confirmed both updates (offset=3), so none is redelivered.
    assert api.pending_updates == []
    assert api.calls_to("getUpdates")[-1].params["offset"] == 3


async def test_long_poll_returns_early_on_push_and_empty_on_stop() -> None:
    async with FakeTelegramAPI() as api, httpx.AsyncClient() as client:
        url = f"{api.base_url}{TOKEN}/getUpdates"
        poll = asyncio.create_task(client.post(url, data={"timeout": "30"}))
        await api.wait_for("getUpdates")
        api.push_update(make_text_update(5, 42, "pagi"))
        assert [u["update_id"] for u in (await poll).json()["result"]] == [5]

        poll = asyncio.create_task(client.post(url, json={"offset": 6, "timeout": 30}))
        await api.wait_for("getUpdates", count=2)
        assert api.pending_updates == []
        await api.stop()
        response = await asyncio.wait_for(poll, timeout=2)
        assert response.json() == {"ok": True, "result": []}


async def test_send_photo_by_file_id_and_bytes_then_download(api: FakeTelegramAPI) -> None:
    async with build_app(api) as app:
        by_id = await app.bot.send_photo(chat_id=42, photo="AgACfile-123", caption="Keripik")
        uploaded = await app.bot.send_photo(chat_id=-1001234, photo=PNG, caption="Baru!")
        downloaded = await (
            await app.bot.get_file(uploaded.photo[-1].file_id)
        ).download_as_bytearray()

    first, second = api.calls_to("sendPhoto")
    assert first.params["photo"] == "AgACfile-123" and first.files == {}
    assert first.file("photo") == "AgACfile-123"
    assert second.files == {"photo": PNG} and second.file("photo") == PNG
    assert second.params["caption"] == "Baru!" and second.chat_id == -1001234
    assert by_id.caption == "Keripik" and by_id.chat.type == "private"
    assert uploaded.chat.type == "supergroup" and uploaded.from_user.is_bot
    assert len(uploaded.photo) == 3
    assert uploaded.photo[0].width < uploaded.photo[-1].width
    assert uploaded.message_id > by_id.message_id
    assert bytes(downloaded) == PNG


async def test_send_document_keeps_the_upload_and_its_file_name(api: FakeTelegramAPI) -> None:
    async with build_app(api) as app:
        sent = await app.bot.send_document(chat_id=42, document=b'{"a": 1}', filename="d.json")
        downloaded = await (await app.bot.get_file(sent.document.file_id)).download_as_bytearray()
    (call,) = api.calls_to("sendDocument")
    assert call.file("document") == b'{"a": 1}' and call.file_names == {"document": "d.json"}
    assert sent.document.file_name == "d.json" and bytes(downloaded) == b'{"a": 1}'


async def test_send_media_group_mixes_uploads_and_file_ids(api: FakeTelegramAPI) -> None:
    async with build_app(api) as app:
        messages = await app.bot.send_media_group(
            chat_id=42,
            media=[InputMediaPhoto(PNG, caption="Album"), InputMediaPhoto("AgACfile-9")],
        )
    (call,) = api.calls_to("sendMediaGroup")
    assert call.media() == [PNG, "AgACfile-9"]
    assert call.params["media"][0]["caption"] == "Album"
    assert len(messages) == 2 and messages[0].media_group_id == messages[1].media_group_id
    assert messages[0].caption == "Album" and messages[1].photo


async def test_retry_after_429(api: FakeTelegramAPI, timedelta_env: None) -> None:
    api.fail_next("sendMessage", 429, retry_after=3)
    async with build_app(api) as app:
        with pytest.raises(RetryAfter) as excinfo:
            await app.bot.send_message(chat_id=42, text="promo")
        await app.bot.send_message(chat_id=42, text="promo")  # only the next call fails

    assert excinfo.value.retry_after == dtm.timedelta(seconds=3)
    failed, ok = api.calls_to("sendMessage")
    assert failed.error_code == 429 and failed.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert ok.ok and api.sent_texts(42) == ["promo"]


async def test_forbidden_and_bad_request(api: FakeTelegramAPI) -> None:
    api.block_chat(99)
    api.fail_next("sendMessage", 400, chat_id=-555)
    async with build_app(api) as app:
        with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
            await app.bot.send_message(chat_id=99, text="halo")
        with pytest.raises(Forbidden):  # blocked chats stay blocked
            await app.bot.send_photo(chat_id=99, photo="AgAC")
        with pytest.raises(BadRequest, match=r"^Chat not found$"):
            await app.bot.send_message(chat_id=-555, text="halo")
        with pytest.raises(EndPointNotFound):
            await app.bot.do_api_request("sendSomethingNew")
    assert api.calls_to("sendSomethingNew")[0].error_code == 404


async def test_get_file_and_download(api: FakeTelegramAPI) -> None:
    api.add_file("doc-katalog", b"%PDF-1.4 katalog")
    async with build_app(api) as app:
        tg_file = await app.bot.get_file("doc-katalog")
        assert tg_file.file_path == f"{api.base_file_url}{TOKEN}/documents/file_1_doc-katalog"
        assert bytes(await tg_file.download_as_bytearray()) == b"%PDF-1.4 katalog"
        with pytest.raises(BadRequest, match=r"^Invalid file_id$"):
            await app.bot.get_file("nope")


async def test_callback_query_is_answered(api: FakeTelegramAPI) -> None:
    app = build_app(api)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Oke!")

    app.add_handler(CallbackQueryHandler(on_button))
    async with app:
        await app.start()
        await running_updater(app).start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
        api.push_update(make_callback_update(10, 42, "beli:3", message_id=8))
        (answer,) = await api.wait_for("answerCallbackQuery")
        await running_updater(app).stop()
        await app.stop()

    assert answer.params == {"callback_query_id": "cbq-10", "text": "Oke!"}
    assert answer.ok and answer.result is True


async def test_reply_markup_is_decoded(api: FakeTelegramAPI) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Beli", callback_data="beli:1")]])
    async with build_app(api) as app:
        message = await app.bot.send_message(chat_id=42, text="Menu", reply_markup=keyboard)
        assert message.reply_markup == keyboard

    call = api.calls_to("sendMessage")[0]
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Beli", "callback_data": "beli:1"}]]
    }


async def test_commands_and_webhook(api: FakeTelegramAPI) -> None:
    async with build_app(api) as app:
        bot = app.bot
        await bot.set_my_commands([BotCommand("start", "Mulai"), BotCommand("katalog", "Lihat")])
        await bot.set_my_commands([BotCommand("join", "Join")], language_code="en")
        assert [[c["command"] for c in menu] for menu in api.commands.values()] == [
            ["start", "katalog"],
            ["join"],
        ]

        await bot.set_webhook("https://guyub.example/tg", secret_token="rahasia")
        assert api.webhook is not None and api.webhook["url"] == "https://guyub.example/tg"
        assert api.webhook["secret_token"] == "rahasia"
        with pytest.raises(Conflict):
            await bot.get_updates()
        await bot.delete_webhook()
        assert api.webhook is None
        assert await bot.get_updates() == ()


async def test_methods_guyub_does_not_call_are_not_found(api: FakeTelegramAPI) -> None:
    """The fake is trimmed to what production uses: anything else fails loudly."""
    async with build_app(api) as app:  # PTB reads a 404 on a named method as a bad token
        with pytest.raises(InvalidToken, match="method not found"):
            await app.bot.get_chat(-100777)
        with pytest.raises(InvalidToken, match="method not found"):
            await app.bot.delete_message(chat_id=42, message_id=1)
    assert [c.error_code for c in api.calls if c.method != "getMe"] == [404, 404]


async def test_edit_message_text_keeps_the_message_id(api: FakeTelegramAPI) -> None:
    """An announcement's progress line is edited in place: same message, new text."""
    async with build_app(api) as app:
        sent = await app.bot.send_message(chat_id=42, text="terkirim 1/60")
        edited = await app.bot.edit_message_text("terkirim 30/60", chat_id=42, message_id=sent.id)
    assert isinstance(edited, Message)
    assert (edited.message_id, edited.text) == (sent.message_id, "terkirim 30/60")


def test_update_builders_are_valid_ptb_updates() -> None:
    text = Update.de_json(make_text_update(1, 42, "/start@GuyubTestBot promo"), None)
    assert text.message is not None and text.message.entities[0].length == len(
        "/start@GuyubTestBot"
    )
    assert text.effective_chat is not None and text.effective_chat.type == "private"

    group = Update.de_json(make_text_update(2, 42, "halo", chat_id=-5, chat_type="group"), None)
    assert group.effective_chat is not None and group.effective_chat.id == -5

    photo = Update.de_json(make_photo_update(3, 42, caption="Kue", file_ids=["a", "b"]), None)
    assert photo.message is not None and photo.message.photo[-1].file_id == "b"
    assert photo.message.photo[-1].width > photo.message.photo[0].width

    callback = Update.de_json(make_callback_update(4, 42, "x", message_id=9), None)
    assert callback.callback_query is not None and callback.callback_query.message is not None
    assert callback.callback_query.message.message_id == 9


async def test_raw_json_and_multipart_bodies_are_decoded() -> None:
    async with FakeTelegramAPI(token=TOKEN) as api, httpx.AsyncClient() as client:
        url = f"{api.base_url}{TOKEN}"
        markup = '{"inline_keyboard": [[{"text": "Ya", "callback_data": "ya"}]]}'
        sent = await client.post(
            f"{url}/sendMessage", json={"chat_id": "42", "text": "123", "reply_markup": markup}
        )
        photo = await client.post(
            f"{url}/sendPhoto",
            data={"chat_id": "-5", "caption": "Daftar harga"},
            files={"photo": ("harga.png", PNG, "image/png")},
        )
        wrong_token = await client.post(f"{api.base_url}1:WRONG/getMe")

    assert sent.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Ya"
    message, upload = api.calls
    assert message.params == {
        "chat_id": 42,
        "text": "123",
        "reply_markup": {"inline_keyboard": [[{"text": "Ya", "callback_data": "ya"}]]},
    }
    assert upload.files == {"photo": PNG} and upload.file_names == {"photo": "harga.png"}
    assert upload.params == {"chat_id": -5, "caption": "Daftar harga"}
    assert photo.json()["result"]["caption"] == "Daftar harga"
    assert wrong_token.status_code == 401 and len(api.calls) == 2
