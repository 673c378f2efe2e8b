"""Reputation through the local channel: a seller's public profile (`/profil NAMA`, the
"Lihat penjual" button) and the monthly gotong-royong leaderboard, with the saling-promosi
rows (recommendations, share openings, buddy weeks) built directly."""

import itertools
from datetime import datetime, timedelta

from sqlmodel import select

from handlers.clock import ManualClock
from handlers.messages import Channel
from storage.db import transaction
from storage.models import (
    BuddyAssignment,
    Member,
    Recommendation,
    ShareLink,
    ShareOpen,
)
from tests.conftest import MONDAY_9_WIB
from tests.factories import Transcript, make_community

NOW = MONDAY_9_WIB  # Monday 7 December 2026, 09:00 WIB
LAST_MONTH = datetime(2026, 11, 30, 16, 0, tzinfo=NOW.tzinfo)  # 23:00 WIB, 30 November
_codes = itertools.count(1)


# -- builders: the rows the recommendation, share and buddy commands will write ------------


def _id(chat: Transcript, who: str) -> int:
    member = chat.member(who)
    assert member is not None
    return member.id or 0


def recommend(chat: Transcript, who: str, product_id: int, at: datetime = NOW) -> None:
    """`who` recommends a product."""
    with transaction(chat.core.open_session) as session:
        session.add(
            Recommendation(
                community_id=chat.community.id or 0,
                product_id=product_id,
                member_id=_id(chat, who),
                testimonial="Enak!",
                created_at=at,
            )
        )


def share(
    chat: Transcript,
    who: str,
    product_id: int,
    *,
    brought: int,
    uncredited: int = 0,
    at: datetime = NOW,
    community_id: int | None = None,
    member_id: int | None = None,
) -> None:
    """`who` shares a product; `brought` new people open it (credited), `uncredited` repeats."""
    community_id = community_id or chat.community.id or 0
    with transaction(chat.core.open_session) as session:
        link = ShareLink(
            community_id=community_id,
            product_id=product_id,
            member_id=member_id or _id(chat, who),
            code=f"code{next(_codes)}",
            created_at=at,
        )
        session.add(link)
        session.flush()
        for credited in [True] * brought + [False] * uncredited:
            session.add(
                ShareOpen(
                    community_id=community_id,
                    share_link_id=link.id or 0,
                    credited=credited,
                    opened_at=at,
                )
            )


def buddy_done(
    chat: Transcript, who: str, partner: str, product_id: int, *, done: bool = True
) -> None:
    """`who` promoted `partner`'s product this week (answered SUDAH when `done`)."""
    with transaction(chat.core.open_session) as session:
        session.add(
            BuddyAssignment(
                community_id=chat.community.id or 0,
                week="2026-W50",
                member_id=_id(chat, who),
                partner_id=_id(chat, partner),
                product_id=product_id,
                done_at=NOW if done else None,
                created_at=NOW,
            )
        )


async def market(chat: Transcript) -> dict[str, int]:
    """Siti sells keripik and rendang (her number hidden); Dewi, Budi and Ani help or not."""
    for who in ("Siti", "Dewi", "Budi", "Ani"):
        await chat.join(who)
    await chat.say("Siti", "PROFIL USAHA Keripik Bu Siti")
    await chat.say("Siti", "PROFIL AREA RT 03 13 Ulu")
    await chat.say("Siti", "PROFIL NOMOR 0812-3456-7890")
    await chat.say("Siti", "PROFIL SEMBUNYIKAN")
    keripik = await chat.post("Siti", "Keripik pisang coklat 15rb")
    rendang = await chat.post("Siti", "Rendang daging sapi 85rb")
    kue = await chat.post("Dewi", "Kue lapis legit 120rb")
    return {"keripik": keripik, "rendang": rendang, "kue": kue}


def board_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1].isdigit()]


# -- the leaderboard ------------------------------------------------------------------------


async def test_the_leaderboard_ranks_this_months_help_not_sales(
    chat: Transcript, clock: ManualClock
) -> None:
    products = await market(chat)
    recommend(chat, "Dewi", products["keripik"])
    recommend(chat, "Dewi", products["rendang"])
    share(chat, "Dewi", products["keripik"], brought=2, uncredited=3)  # 3 × 2
    buddy_done(chat, "Budi", "Siti", products["keripik"])  # 2
    buddy_done(chat, "Ani", "Dewi", products["kue"], done=False)  # not done: nothing
    share(chat, "Ani", products["kue"], brought=4, at=LAST_MONTH)  # November: not counted
    recommend(chat, "Ani", products["kue"], at=LAST_MONTH)

    board = await chat.text("Ani", "/gotongroyong")
    assert board.startswith("🤝 Gotong royong Desember 2026")
    assert board_lines(board) == ["1. Dewi — 8 poin", "2. Budi — 2 poin"]
    assert "Anda belum punya poin bulan ini" in board
    assert "3 per orang yang datang lewat bagikan Anda, 2 per promosi pasangan (SUDAH)" in board
    assert "1 per rekomendasi" in board
    assert "Siti" not in board  # sold the most, helped nobody
    mine = await chat.text("Dewi", "GOTONGROYONG")
    assert "Anda peringkat 1 dengan 8 poin" in mine

    await chat.say("Budi", "BAHASA en")
    english = await chat.text("Budi", "/leaderboard")
    assert english.startswith("🤝 Helping hands, December 2026")
    assert board_lines(english) == ["1. Dewi — 8 points", "2. Budi — 2 points"]
    assert "Hide yourself from the list: LEADERBOARD hide" in english

    clock.advance(timedelta(days=30))  # January: a new month starts from nothing
    january = await chat.text("Dewi", "/gotongroyong")
    assert "Januari 2027" in january
    assert board_lines(january) == []
    assert "Belum ada yang membantu promosi bulan ini" in january


async def test_ties_share_a_rank_and_only_ten_are_listed(chat: Transcript) -> None:
    products = await market(chat)
    with transaction(chat.core.open_session) as session:
        helpers = [
            Member(
                community_id=chat.community.id or 0,
                display_name=f"Penolong {n:02}",
                created_at=NOW,
                updated_at=NOW,
            )
            for n in range(1, 13)
        ]
        session.add_all(helpers)
        session.flush()
        ids = [m.id or 0 for m in helpers]
    # Penolong 01..12 bring 12, 11, 11, 10 ... people; Budi recommends once
    for n, member_id in enumerate(ids, start=1):
        share(
            chat, "", products["kue"], brought=max(13 - n, 1) if n != 3 else 11, member_id=member_id
        )
    recommend(chat, "Budi", products["keripik"])

    board = await chat.text("Budi", "/gotongroyong")
    lines = board_lines(board)
    assert len(lines) == 10
    assert lines[:4] == [
        "1. Penolong 01 — 36 poin",
        "2. Penolong 02 — 33 poin",
        "2. Penolong 03 — 33 poin",
        "4. Penolong 04 — 27 poin",
    ]
    assert lines[-1] == "10. Penolong 10 — 9 poin"
    assert "Penolong 11" not in board and "Penolong 12" not in board
    assert "Anda: peringkat 13, 1 poin." in board
    assert board == await chat.text("Budi", "/gotongroyong")  # the same order every time


async def test_hidden_members_are_left_out_but_see_their_own_rank(chat: Transcript) -> None:
    products = await market(chat)
    share(chat, "Dewi", products["keripik"], brought=2)  # 6
    buddy_done(chat, "Budi", "Siti", products["keripik"])  # 2

    hidden = await chat.text("Dewi", "/gotongroyong sembunyi")
    assert "tidak lagi tampil" in hidden
    assert chat.member("Dewi").leaderboard_hidden  # type: ignore[union-attr]
    others = await chat.text("Budi", "/gotongroyong")
    assert board_lines(others) == ["1. Budi — 2 poin"]
    assert "Dewi" not in others
    own = await chat.text("Dewi", "/gotongroyong")
    assert board_lines(own) == ["1. Budi — 2 poin"]
    assert "Hanya Anda yang melihat ini: peringkat 1, 6 poin" in own
    assert "/gotongroyong tampil" in own or "GOTONGROYONG tampil" in own

    assert "tampil lagi" in await chat.text("Dewi", "GOTONGROYONG TAMPIL")
    assert board_lines(await chat.text("Budi", "/gotongroyong")) == [
        "1. Dewi — 6 poin",
        "2. Budi — 2 poin",
    ]
    assert "sembunyi" in await chat.text("Dewi", "/gotongroyong juara")  # usage, nothing changes
    assert not chat.member("Dewi").leaderboard_hidden  # type: ignore[union-attr]


# -- the profile ----------------------------------------------------------------------------


async def test_a_sellers_public_profile_by_name(chat: Transcript) -> None:
    products = await market(chat)
    await chat.say("Siti", f"HABIS {products['rendang']}")
    recommend(chat, "Dewi", products["keripik"])
    recommend(chat, "Budi", products["keripik"])
    recommend(chat, "Ani", products["rendang"])
    recommend(chat, "Siti", products["kue"])
    share(chat, "Siti", products["kue"], brought=3, uncredited=2)
    buddy_done(chat, "Siti", "Dewi", products["kue"])

    profile = await chat.text("Dewi", "/profil siti")
    assert profile.splitlines()[:3] == [
        "👤 Profil penjual: Siti",
        "🏪 Keripik Bu Siti",
        "📍 RT 03 13 Ulu",
    ]
    assert f"• #{products['keripik']} Keripik pisang coklat — Rp15.000" in profile
    assert "Rendang" not in profile  # sold out: not an active product
    assert "🛍️ Produk aktif (1):" in profile
    assert "👍 3 rekomendasi diterima" in profile
    assert "• 3 orang datang lewat produk yang dibagikannya" in profile
    assert "• 1 kali membagikan produk pasangan promosi" in profile
    assert "• 1 rekomendasi untuk produk teman" in profile
    assert "812" not in profile  # her number is hidden
    assert not chat.buttons("Dewi")  # a profile to read, not to edit

    assert profile == await chat.text("Dewi", "PROFIL Keripik Bu Siti")  # business name
    assert profile == await chat.text("Dewi", "profil KERIPIK")  # part of it
    assert profile == await chat.text("Dewi", f"/profil #{_id(chat, 'Siti')}")

    await chat.say("Ani", "LANGUAGE en")
    english = await chat.text("Ani", "PROFILE Siti")
    assert "👤 Seller profile: Siti" in english
    assert "👍 3 recommendations received" in english
    assert "• 3 people came through products they shared" in english


async def test_own_profile_commands_are_unchanged(chat: Transcript) -> None:
    await market(chat)
    own = await chat.text("Siti", "/profil")
    assert "Keripik Bu Siti" in own and "Profil penjual" not in own
    assert any("usaha" in label.lower() for label in chat.buttons("Siti"))
    await chat.say("Dewi", "/profil usaha Kue Dewi")
    assert chat.member("Dewi").business_name == "Kue Dewi"  # type: ignore[union-attr]
    assert "tidak dikenal" in await chat.text("Siti", "PROFIL KONTAK merpati")


async def test_several_matches_ask_which_one_and_unknown_names_explain(chat: Transcript) -> None:
    await market(chat)
    await chat.join("Sitiawati")
    await chat.say("Sitiawati", "PROFIL AREA RT 05")
    which = await chat.text("Dewi", "/profil siti")
    assert "Siti" in which  # exactly "Siti" wins over the longer name
    choice = await chat.text("Dewi", "/profil sit")
    assert "Ada beberapa anggota yang cocok" in choice
    assert f"#{_id(chat, 'Siti')} Siti (Keripik Bu Siti, RT 03 13 Ulu)" in choice
    assert f"#{_id(chat, 'Sitiawati')} Sitiawati (RT 05)" in choice
    picked = await chat.text("Dewi", "2")
    assert picked.startswith("👤 Profil penjual: Sitiawati")

    unknown = await chat.text("Dewi", "/profil Joko")
    assert 'Anggota "Joko" tidak ditemukan' in unknown
    assert "/profil #12" in unknown or "PROFIL #12" in unknown
    # a phone number finds nobody, even the member whose (hidden) number it is
    assert "tidak ditemukan" in await chat.text("Dewi", "/profil +6281234567890")
    assert "tidak ditemukan" in await chat.text("Dewi", "/profil #999")


async def test_a_telegram_username_finds_the_member(chat: Transcript) -> None:
    await market(chat)
    chat.usernames["2001"] = "rina_kue"
    await chat.join("2001", channel=Channel.TELEGRAM)
    await chat.say("2001", "/profil usaha Kue Rina")
    assert "🏪 Kue Rina" in await chat.text("Dewi", "/profil @Rina_Kue")
    assert "tidak ditemukan" in await chat.text("Dewi", "/profil @rina")


async def test_the_lihat_penjual_button_on_cards(chat: Transcript) -> None:
    products = await market(chat)
    await chat.say("Dewi", "CARI keripik")
    button = chat.button("Dewi", "Lihat penjual")
    assert button.payload == f"/profil #{_id(chat, 'Siti')}"
    profile = await chat.text("Dewi", press="Lihat penjual")
    assert profile.startswith("👤 Profil penjual: Siti")
    assert f"#{products['keripik']} Keripik pisang coklat" in profile
    await chat.say("Siti", "CARI keripik")  # her own product: no button
    assert not any("Lihat penjual" in label for label in chat.buttons("Siti"))


# -- one community only; erasure ------------------------------------------------------------


async def test_another_communitys_members_never_appear_or_resolve(chat: Transcript) -> None:
    products = await market(chat)
    other = make_community(chat.core, name="Kampung Lain", invite="LAIN")
    await chat.join("Joko", invite="LAIN")
    await chat.say("Joko", "PROFIL USAHA Bakso Joko")
    joko = _id(chat, "Joko")
    bakso = await chat.post("Joko", "Bakso urat 20rb")
    share(chat, "Joko", bakso, brought=5, community_id=other.id)
    share(chat, "Dewi", products["keripik"], brought=1)

    board = await chat.text("Dewi", "/gotongroyong")
    assert board_lines(board) == ["1. Dewi — 3 poin"]
    for ref in ("Joko", "Bakso Joko", f"#{joko}", "jok"):
        assert "tidak ditemukan" in await chat.text("Dewi", f"/profil {ref}"), ref
    assert board_lines(await chat.text("Joko", "/gotongroyong")) == [
        "1. Joko (Bakso Joko) — 15 poin"
    ]
    assert "tidak ditemukan" in await chat.text("Joko", f"/profil #{_id(chat, 'Siti')}")
    assert "tidak ditemukan" in await chat.text("Joko", "/profil Siti")


async def test_an_erased_helper_leaves_no_name_behind(chat: Transcript) -> None:
    products = await market(chat)
    recommend(chat, "Budi", products["keripik"])
    share(chat, "Budi", products["keripik"], brought=2)
    buddy_done(chat, "Budi", "Siti", products["keripik"])
    share(chat, "Dewi", products["keripik"], brought=1)
    assert board_lines(await chat.text("Ani", "/gotongroyong"))[0] == "1. Budi — 9 poin"

    await chat.say("Budi", "HAPUSDATA")
    assert "sudah dihapus" in await chat.text("Budi", "1")

    board = await chat.text("Ani", "/gotongroyong")
    assert board_lines(board) == ["1. Dewi — 3 poin"]
    assert "Budi" not in board
    profile = await chat.text("Ani", "/profil Siti")
    assert "Budi" not in profile
    assert "👍 1 rekomendasi diterima" in profile  # still counted, naming nobody
    assert "tidak ditemukan" in await chat.text("Ani", "/profil Budi")
    with chat.core.open_session() as session:
        assert all(r.member_id is None for r in session.exec(select(Recommendation)).all())
        assert session.exec(select(ShareLink).where(ShareLink.member_id.is_not(None))).all()  # type: ignore[union-attr]
