"""DATAKU / MYDATA: a member sees everything Guyub holds about them, and gets it as JSON."""

import json
from pathlib import Path
from typing import Any

from sqlmodel import select

from handlers.messages import Channel, Reply
from storage.db import transaction
from storage.media import MediaStore
from storage.models import Media, Member, Product, ProductStatus
from tests.core.test_account import link_code
from tests.factories import Transcript


def add_product(chat: Transcript, who: str, title: str, price: int | None = 15000) -> int:
    member = chat.member(who)
    assert member is not None
    with transaction(chat.core.open_session) as session:
        now = chat.core.clock.now()
        product = Product(
            community_id=member.community_id,
            seller_id=member.id or 0,
            title=title,
            price=price,
            status=ProductStatus.ACTIVE,
            created_at=now,
            updated_at=now,
            last_confirmed_at=now,
        )
        session.add(product)
        session.flush()
        return product.id or 0


def exported(chat: Transcript, reply: Reply) -> dict[str, Any]:
    """The JSON file attached to a DATAKU reply."""
    (document,) = reply.documents
    with chat.core.open_session() as session:
        row = session.get(Media, document)
        assert row is not None
        assert row.content_type == "application/json" and row.path.endswith(".json")
        data = MediaStore(chat.core.options.media_dir).read(row)
    loaded = json.loads(data)
    assert isinstance(loaded, dict)
    return loaded


async def test_dataku_shows_the_profile_accounts_and_products_and_attaches_json(
    chat: Transcript,
) -> None:
    await chat.join("Siti")
    await chat.say("Siti", "PROFIL USAHA Dapur Siti")
    code = await link_code(chat, "Siti")
    await chat.say("+6281234567890", f"TAUTKAN {code}", channel=Channel.WHATSAPP)
    number = add_product(chat, "Siti", "Keripik pisang")

    (reply,) = await chat.say("Siti", "DATAKU")
    assert "Data Anda di Guyub (KBA 13 Ulu)" in reply.text
    assert "Nama usaha: Dapur Siti" in reply.text and "Peran: anggota" in reply.text
    assert "Nomor HP: +6281234567890" in reply.text
    assert "Akun chat: 2" in reply.text and "WhatsApp: +6281234567890" in reply.text
    assert f"#{number} Keripik pisang — Rp15.000 (Tayang)" in reply.text
    assert "file JSON terlampir" in reply.text and "HAPUSDATA" in reply.text

    data = exported(chat, reply)
    assert data["community"] == "KBA 13 Ulu" and data["format"] == 1
    (profile,) = data["data"]["profile"]
    assert profile["business_name"] == "Dapur Siti" and profile["phone"] == "+6281234567890"
    assert {a["address"] for a in data["data"]["chat_accounts"]} == {"Siti", "+6281234567890"}
    assert [p["title"] for p in data["data"]["products"]] == ["Keripik pisang"]


async def test_mydata_in_english_and_the_old_export_is_replaced(chat: Transcript) -> None:
    await chat.join("Budi", language_hint="en")
    await chat.say("Budi", "LANGUAGE en")
    (first,) = await chat.say("Budi", "/mydata")
    assert "Your data in Guyub (KBA 13 Ulu)" in first.text
    assert "Role: member" in first.text and "Chat accounts: 1" in first.text
    assert "attached JSON file" in first.text and "DELETEDATA" in first.text
    assert exported(chat, first)["data"]["profile"][0]["language"] == "en"
    with chat.core.open_session() as session:
        old = session.get(Media, first.documents[0])
    assert old is not None
    old_path = MediaStore(chat.core.options.media_dir).path_of(old)
    assert old_path.exists()

    (second,) = await chat.say("Budi", "MYDATA")
    assert second.documents != first.documents
    assert not old_path.exists()  # one export per member at a time
    with chat.core.open_session() as session:
        assert session.get(Media, first.documents[0]) is None


async def test_a_guest_sees_the_one_record_kept_and_gets_no_file(chat: Transcript) -> None:
    (reply,) = await chat.say("Tamu", "DATAKU")
    assert "belum menjadi anggota" in reply.text and "Tamu" in reply.text
    assert reply.documents == ()


async def test_erasure_removes_the_export_file_too(chat: Transcript, tmp_path: Path) -> None:
    await chat.join("Siti")
    (reply,) = await chat.say("Siti", "DATAKU")
    with chat.core.open_session() as session:
        row = session.get(Media, reply.documents[0])
        assert row is not None
    path = MediaStore(chat.core.options.media_dir).path_of(row)
    assert path.exists()
    await chat.say("Siti", "HAPUSDATA")
    assert "sudah dihapus" in await chat.text("Siti", "1")
    assert not path.exists() and not path.parent.exists()
    with chat.core.open_session() as session:
        assert session.exec(select(Media)).all() == []
        assert session.exec(select(Member)).all() == []
