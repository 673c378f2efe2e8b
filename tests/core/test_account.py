"""Linking a second chat app and erasing data, as chat transcripts."""

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from handlers.messages import Channel, MediaRef
from storage.models import ChannelIdentity, Member, OutboxMessage, Product, ProductStatus
from tests.factories import Transcript, make_community


async def link_code(chat: Transcript, who: str) -> str:
    text = await chat.text(who, "TAUTKAN")
    return next(line.split()[1] for line in text.splitlines() if line.startswith("TAUTKAN "))


async def test_second_channel_becomes_the_same_member(chat: Transcript) -> None:
    await chat.join("Siti")
    code = await link_code(chat, "Siti")
    reply = await chat.text("+6281234567890", f"tautkan {code.lower()}", channel=Channel.WHATSAPP)
    assert "Tersambung" in reply and "WhatsApp" in reply
    local, wa = chat.member("Siti"), chat.member("+6281234567890", Channel.WHATSAPP)
    assert local is not None and wa is not None and local.id == wa.id
    assert wa.phone == "+6281234567890"
    assert "Profil Anda" in await chat.text("+6281234567890", "PROFIL", channel=Channel.WHATSAPP)


async def test_link_codes_are_single_use_and_expire(chat: Transcript) -> None:
    from datetime import timedelta

    await chat.join("Siti")
    code = await link_code(chat, "Siti")
    await chat.say("100", f"/tautkan {code}", channel=Channel.TELEGRAM)
    assert "kedaluwarsa" in await chat.text("200", f"/tautkan {code}", channel=Channel.TELEGRAM)
    code = await link_code(chat, "Siti")
    chat.core.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
    assert "kedaluwarsa" in await chat.text("300", f"/tautkan {code}", channel=Channel.TELEGRAM)
    assert "kode dari aplikasi" in await chat.text("400", "/tautkan", channel=Channel.TELEGRAM)


async def test_an_account_of_another_member_is_not_taken_over(chat: Transcript) -> None:
    await chat.join("Siti")
    await chat.join("Budi")
    code = await link_code(chat, "Siti")
    assert "anggota lain" in await chat.text("Budi", f"TAUTKAN {code}")


async def test_erasure_needs_confirmation_and_removes_everything(
    chat: Transcript, tmp_path: Path
) -> None:
    await chat.join("Siti")
    code = await link_code(chat, "Siti")
    await chat.say("+6281234567890", f"TAUTKAN {code}", channel=Channel.WHATSAPP)
    member = chat.member("Siti")
    assert member is not None
    with chat.core.open_session() as session:
        photo = chat.core.media.save(
            session=session, data=b"jpeg", content_type="image/jpeg", now=chat.core.clock.now()
        )
        now = chat.core.clock.now()
        session.add(
            Product(
                community_id=member.community_id,
                seller_id=member.id or 0,
                title="Keripik",
                status=ProductStatus.ACTIVE,
                photo_media_id=photo.id,
                created_at=now,
                updated_at=now,
                last_confirmed_at=now,
            )
        )
        session.commit()
        photo_path = chat.core.media.path_of(photo)
    assert photo_path.exists()

    assert "Lanjutkan?" in await chat.text("Siti", "HAPUSDATA")
    assert "tetap aman" in await chat.text("Siti", "2")
    assert chat.member("Siti") is not None
    assert "Tidak bisa dibatalkan" in await chat.text("Siti", "/hapusdata")
    assert "sudah dihapus" in await chat.text("Siti", "1")

    with chat.core.open_session() as session:
        assert session.exec(select(Member)).all() == []
        assert session.exec(select(ChannelIdentity)).all() == []
        assert session.exec(select(Product)).all() == []
        assert session.exec(select(OutboxMessage).where(OutboxMessage.kind != "reply")).all() == []
    assert not photo_path.exists()
    assert "GABUNG KODE" in await chat.text("Siti", "MENU")


async def test_guest_erasure_forgets_the_identity(chat: Transcript) -> None:
    await chat.say("Tamu", "halo")
    assert "sudah kami hapus" in await chat.text("Tamu", "HAPUSDATA")
    with chat.core.open_session() as session:
        assert session.exec(select(ChannelIdentity)).all() == []


async def test_sticker_alone_gets_a_friendly_reply(chat: Transcript) -> None:
    await chat.join("Siti")
    reply = await chat.text("Siti", media=[MediaRef("sticker", "CAACAg")])
    assert "hanya bisa membaca teks dan foto" in reply


async def test_a_failed_claim_does_not_spend_the_code(chat: Transcript) -> None:
    """A member of another community trying the code leaves it for the app it was meant for."""
    make_community(chat.core, name="Lain", invite="LAIN")
    await chat.join("Siti")
    await chat.join("Budi", invite="LAIN")
    code = await link_code(chat, "Siti")
    assert "anggota lain" in await chat.text("Budi", f"TAUTKAN {code}")
    reply = await chat.text("+6281234567890", f"TAUTKAN {code}", channel=Channel.WHATSAPP)
    assert "Tersambung" in reply
    assert "kedaluwarsa" in await chat.text("200", f"/tautkan {code}", channel=Channel.TELEGRAM)


async def test_five_wrong_codes_an_hour_then_a_friendly_wait(chat: Transcript) -> None:
    await chat.join("Siti")
    guesser = {"channel": Channel.TELEGRAM}
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"):
        assert "tidak dikenal" in await chat.text("99", f"/tautkan {guess}", **guesser)
    code = await link_code(chat, "Siti")
    wait = await chat.text("99", f"/tautkan {code}", **guesser)  # even the right one waits
    assert "terlalu banyak kode yang salah" in wait and "60 menit" in wait
    assert chat.member("99", Channel.TELEGRAM) is None
    assert "Tersambung" in await chat.text(
        "+6281234567890", f"TAUTKAN {code}", channel=Channel.WHATSAPP
    )

    chat.core.clock.advance(timedelta(minutes=59))  # type: ignore[attr-defined]
    assert "1 menit" in await chat.text("99", "/tautkan FFFFFF", **guesser)
    chat.core.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    code = await link_code(chat, "Siti")
    assert "Tersambung" in await chat.text("99", f"/tautkan {code}", **guesser)


async def test_the_wait_outlives_erasing_and_speaks_english(chat: Transcript) -> None:
    guesser = {"channel": Channel.TELEGRAM, "language_hint": "en"}
    for _ in range(5):
        await chat.say("99", "/link ZZZZZZ", **guesser)  # type: ignore[arg-type]
    await chat.say("99", "/deletedata", **guesser)  # type: ignore[arg-type]
    wait = await chat.text("99", "/link ZZZZZZ", **guesser)
    assert "too many wrong codes" in wait and "60 minutes" in wait
