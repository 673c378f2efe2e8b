"""Photos: fetched once into the media store; sent as one card, by file_id after the first time."""

import threading
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from handlers.messages import Button, Reply
from jobs.sending import Outbound
from storage.db import transaction
from storage.media import MediaStore
from storage.models import Community, Media
from tests.factories import Transcript
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.chats import JPEG, add_member, kept_photo
from tests.telegram.line import TelegramLine

REPLIES = ("sendMessage", "sendPhoto")


def outbound(reply: Reply, address: str = "42") -> Outbound:
    return Outbound(address, reply, "notice", "id", None, "1")


async def test_a_product_photo_becomes_a_card_and_is_downloaded_once(
    chat: Transcript,
    line: TelegramLine,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
) -> None:
    add_member(core, community, 42, "Siti")
    api.add_file("photo-l", JPEG, file_path="photos/photo-l.jpg")

    await chat.say("Siti", "Keripik singkong <balado> 15rb", photo=True)
    (card,) = line.sent("Siti", *REPLIES)
    assert card.method == "sendPhoto" and card.params["photo"] == "photo-l"  # no re-upload
    assert "#1 Keripik singkong &lt;balado&gt;" in card.params["caption"]
    assert "Rp15.000" in card.params["caption"] and card.params["parse_mode"] == "HTML"
    buttons = [b for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["callback_data"] == "product:ok"

    await chat.press("Siti", "Pasang")  # the card's own button, on the card
    published = line.sent("Siti", *REPLIES)[1]  # the first answer to the press
    assert "#1 Keripik singkong &lt;balado&gt; sudah tayang!" in published.params["text"]

    assert await chat.say("Siti", "Keripik singkong original 12rb", photo=True)  # same picture
    assert [c.params["file_id"] for c in api.calls_to("getFile")] == ["photo-l"]  # the largest
    with core.open_session() as session:
        (media,) = session.exec(select(Media)).all()
    assert media.telegram_file_id == "photo-l" and media.community_id == community.id
    assert MediaStore(core.options.media_dir).read(media) == JPEG


async def test_a_photo_from_someone_who_has_not_joined_is_not_kept(
    chat: Transcript, api: FakeTelegramAPI, core: Core
) -> None:
    api.add_file("photo-l", JPEG)
    (answer,) = await chat.say("Siti", "Kue lapis", photo=True)
    assert "GABUNG" in answer.text
    assert api.calls_to("getFile") == []
    with core.open_session() as session:
        assert session.exec(select(Media)).all() == []


async def test_a_failed_download_asks_for_the_photo_again(
    chat: Transcript, core: Core, community: Community
) -> None:
    add_member(core, community, 42, "Siti")  # the fake knows no file "photo-l": getFile 400
    (sorry,) = await chat.say("Siti", "Kue lapis", photo=True)
    assert "kirim ulang fotonya" in sorry.text


@pytest.mark.parametrize("data", [b"<html>not a photo</html>", JPEG[: len(JPEG) // 2]])
async def test_a_download_that_is_not_a_photo_is_not_kept(
    chat: Transcript, api: FakeTelegramAPI, core: Core, community: Community, data: bytes
) -> None:
    add_member(core, community, 42, "Siti")
    api.add_file("photo-l", data)
    (sorry,) = await chat.say("Siti", "Kue lapis", photo=True)
    assert "kirim ulang fotonya" in sorry.text
    with core.open_session() as session:
        assert session.exec(select(Media)).all() == []


async def test_a_product_card_is_one_message_and_the_upload_happens_once(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core
) -> None:
    photo = kept_photo(core)
    card = Reply(
        text="Keripik <Balado> & Co\nRp15.000",
        media=(photo.id,),
        buttons=(Button("Pesan", "/pesan 1"), Button("Penjual", "/penjual 1")),
    )
    await telegram.sender.send(outbound(card))
    await telegram.sender.send(outbound(card, address="43"))

    uploaded, by_id = api.calls_to("sendPhoto")
    assert api.calls_to("sendMessage") == []
    assert uploaded.files == {"photo": JPEG}
    assert uploaded.params["caption"] == "Keripik &lt;Balado&gt; &amp; Co\nRp15.000"
    assert uploaded.params["parse_mode"] == "HTML"
    assert uploaded.params["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "Pesan", "callback_data": "/pesan 1"},
                {"text": "Penjual", "callback_data": "/penjual 1"},
            ]
        ]
    }
    file_id = uploaded.result["photo"][-1]["file_id"]
    assert by_id.files == {} and by_id.params["photo"] == file_id
    with core.open_session() as session:
        row = session.get(Media, photo.id)
        assert row is not None and row.telegram_file_id == file_id


async def test_a_long_caption_continues_as_text_with_the_keyboard_last(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core
) -> None:
    photo = kept_photo(core)
    lines = [f"Baris {i}: keripik singkong renyah buatan rumah" for i in range(40)]
    reply = Reply(text="\n".join(lines), media=(photo.id,), buttons=(Button("Pesan", "/pesan 1"),))
    await telegram.sender.send(outbound(reply))

    (sent_photo,) = api.calls_to("sendPhoto")
    (rest,) = api.calls_to("sendMessage")
    caption = sent_photo.params["caption"]
    assert len(caption) <= 1024 and "reply_markup" not in sent_photo.params
    assert caption.endswith(lines[len(caption.splitlines()) - 1])  # cut at a line break
    assert caption.split("\n") + rest.params["text"].split("\n") == lines
    assert rest.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/pesan 1"


async def test_a_forgotten_file_id_is_uploaded_again(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core
) -> None:
    photo = kept_photo(core)
    with transaction(core.open_session) as session:
        row = session.get(Media, photo.id)
        assert row is not None
        row.telegram_file_id = "from-another-bot"
        session.add(row)
    api.fail_next("sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified")
    await telegram.sender.send(outbound(Reply(text="Kue", media=(photo.id,))))
    refused, uploaded = api.calls_to("sendPhoto")
    assert refused.params["photo"] == "from-another-bot" and refused.error_code == 400
    assert uploaded.files == {"photo": JPEG} and uploaded.ok
    with core.open_session() as session:
        row = session.get(Media, photo.id)
        assert row is not None
        assert row.telegram_file_id == uploaded.result["photo"][-1]["file_id"]


async def test_a_photo_is_written_to_disk_off_the_event_loop(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    chat: Transcript,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_member(core, community, 42, "Siti")
    api.add_file("photo-l", JPEG)
    loop_thread, writers = threading.get_ident(), []
    save = MediaStore.save

    def recording_save(self: MediaStore, **kwargs: Any) -> Media:
        writers.append(threading.get_ident())
        return save(self, **kwargs)

    monkeypatch.setattr(MediaStore, "save", recording_save)
    assert await chat.say("Siti", "Keripik singkong 15rb", photo=True)
    assert len(writers) == 1 and writers[0] != loop_thread
