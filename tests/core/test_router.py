"""The router's promises: duplicates dropped, bad input answered kindly, errors contained."""

import logging
from collections.abc import Sequence

import pytest
from sqlalchemy import text as sql
from sqlmodel import select

import handlers.profile
from bot.router import Router
from handlers.context import Context
from handlers.messages import Channel, Incoming, Reply
from handlers.registry import REGISTRY, Registry
from storage.models import Member, OutboxMessage
from tests.factories import Transcript, make_community


async def test_duplicate_inbound_ids_are_answered_once(chat: Transcript) -> None:
    first = await chat.say("Siti", "halo", message_id="SM123")
    again = await chat.say("Siti", "halo", message_id="SM123")
    assert first and again == []


async def test_same_id_on_another_channel_is_not_a_duplicate(chat: Transcript) -> None:
    assert await chat.say("Siti", "halo", message_id="1")
    assert await chat.say("1", "halo", message_id="1", channel=Channel.TELEGRAM)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "kosong"),
        ("   ", "kosong"),
        ("😀😀😀", "belum paham"),
        ("x" * 10_000, "belum paham"),
        ("/tidakada", "tidak dikenal"),
        ("/", "tidak dikenal"),
        ("<script>alert(1)</script>", "belum paham"),
    ],
)
async def test_bad_input_gets_a_friendly_reply(chat: Transcript, text: str, expected: str) -> None:
    await chat.join("Siti")
    assert expected in await chat.text("Siti", text)


async def test_html_in_display_names_is_kept_as_typed(chat: Transcript) -> None:
    await chat.say("Siti", "GABUNG KBA13", display_name="<b>Siti</b> & co")
    assert "Terima kasih, <b>Siti</b> & co!" in await chat.text(
        "Siti", "1", display_name="<b>Siti</b> & co"
    )


async def test_a_very_long_display_name_is_cut(chat: Transcript) -> None:
    await chat.say("Siti", "GABUNG KBA13", display_name="S" * 300)
    await chat.say("Siti", "1", display_name="S" * 300)
    member = chat.member("Siti")
    assert member is not None and len(member.display_name) == 64


async def test_an_error_becomes_an_apology_and_nothing_half_stored(
    chat: Transcript, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.join("Siti")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(handlers.profile, "_card", broken)
    with caplog.at_level(logging.ERROR):
        reply = await chat.text("Siti", "PROFIL USAHA Keripik Bu Siti", message_id="boom")
    assert "Maaf, ada gangguan" in reply
    ref = reply.rsplit("kode: ", 1)[1].rstrip(")")
    assert any(ref in record.getMessage() for record in caplog.records)
    member = chat.member("Siti")
    assert member is not None and member.business_name is None  # rolled back
    assert (
        await chat.say("Siti", "PROFIL USAHA x", message_id="boom") == []
    )  # retry: no 2nd apology
    monkeypatch.undo()
    assert "Keripik" in await chat.text("Siti", "PROFIL USAHA Keripik")  # still serving


async def test_english_speakers_get_the_apology_in_english(
    chat: Transcript, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat.join("Siti")
    await chat.say("Siti", "LANGUAGE en")
    monkeypatch.setattr(handlers.profile, "_card", lambda *a, **k: 1 / 0)
    assert "Sorry, something went wrong" in await chat.text("Siti", "PROFILE")


async def test_expired_buttons_and_numbers_without_buttons(chat: Transcript) -> None:
    await chat.join("Siti")
    assert "sudah tidak berlaku" in await chat.text("Siti", payload="join:yes")
    assert "belum paham" in await chat.text("Siti", "7")


async def test_in_a_group_only_commands_are_answered(chat: Transcript) -> None:
    await chat.join("42", channel=Channel.TELEGRAM)
    group = {"channel": Channel.TELEGRAM, "chat_id": "-100", "is_group": True}
    assert await chat.say("42", "halo semua", **group) == []  # type: ignore[arg-type]
    assert await chat.say("42", "/profil", **group) == []  # type: ignore[arg-type]
    assert "Menu" in await chat.text("42", "/menu@GuyubBot", **group)  # type: ignore[arg-type]


async def test_keywords_work_without_slash_and_in_any_case(chat: Transcript) -> None:
    await chat.join("Siti")
    for text in ("menu", "Menu!", "/MENU", "bantuan"):
        assert "Menu KBA 13 Ulu" in await chat.text("Siti", text)
    with chat.core.open_session() as session:
        assert len(session.exec(select(Member)).all()) == 1


@pytest.mark.parametrize("text", ["²", "①", "9" * 5000])
async def test_digits_int_refuses_are_not_an_error(chat: Transcript, text: str) -> None:
    await chat.join("Siti")
    assert "2. English" in await chat.text("Siti", "/bahasa")
    assert "belum paham" in await chat.text("Siti", text)


async def test_cancel_tolerates_punctuation_and_the_bot_name(chat: Transcript) -> None:
    await chat.join("Siti")
    for text in ("Batal.", "/batal@GuyubBot", "cancel!"):
        await chat.say("Siti", "PROFIL NAMA")
        assert "dibatalkan" in await chat.text("Siti", text)


async def test_a_group_command_leaves_the_private_chat_alone(chat: Transcript) -> None:
    await chat.join("42", channel=Channel.TELEGRAM)
    group = {"channel": Channel.TELEGRAM, "chat_id": "-100", "is_group": True}
    await chat.say("42", "/profil nama", channel=Channel.TELEGRAM)
    assert "Menu" in await chat.text("42", "/menu", **group)  # type: ignore[arg-type]
    assert await chat.say("42", "/batal", **group) == []  # type: ignore[arg-type]
    other_bots_command = "/rules"
    assert await chat.say("42", other_bots_command, **group) == []  # type: ignore[arg-type]
    assert "Nama: Bu Siti" in await chat.text("42", "Bu Siti", channel=Channel.TELEGRAM)
    assert "1. Ubah nama" in await chat.text("42", "/profil", channel=Channel.TELEGRAM)
    await chat.say("42", "/menu", **group)  # type: ignore[arg-type]
    assert "Ketik nama" in await chat.text("42", "1", channel=Channel.TELEGRAM)


async def test_a_notice_never_crosses_into_another_community(
    chat: Transcript, caplog: pytest.LogCaptureFixture
) -> None:
    make_community(chat.core, name="Lain", invite="LAIN")
    await chat.join("Siti")
    await chat.join("Budi", invite="LAIN")
    budi = chat.member("Budi")
    assert budi is not None
    registry = Registry(flows=REGISTRY.flows, fallbacks=REGISTRY.fallbacks)

    @registry.command("leak", slash=("leak",), role=None)
    async def leak(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
        ctx.notify(budi.id or 0, Reply(text="psst"))
        return [Reply(text="ok")]

    core = chat.core
    core.router = Router(
        open_session=core.open_session, clock=core.clock, options=core.options, registry=registry
    )
    with caplog.at_level(logging.WARNING):
        assert "ok" in await chat.text("Siti", "/leak")
    assert chat.delivered("Budi") == []
    with core.open_session() as session:
        assert session.exec(select(OutboxMessage).where(OutboxMessage.kind != "reply")).all() == []
    assert "outside community" in caplog.text


async def test_database_errors_keep_phone_numbers_out_of_the_log(
    chat: Transcript, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.join("Siti")
    phone = "+62" + "81234567890"  # not spelled out: the traceback quotes this source

    def broken(ctx: Context) -> None:
        ctx.session.execute(sql("INSERT INTO nowhere VALUES (:p)"), {"p": phone})

    monkeypatch.setattr(handlers.profile, "_card", broken)
    with caplog.at_level(logging.ERROR):
        assert "Maaf, ada gangguan" in await chat.text("Siti", "PROFIL")
    assert "nowhere" in caplog.text and phone not in caplog.text
