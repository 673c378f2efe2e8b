"""Joining, the menu, language, profile and opting out, as chat transcripts."""

from sqlmodel import select

from handlers.messages import Channel
from storage.models import Member, Role
from tests.factories import Transcript


async def test_join_asks_consent_then_welcomes(chat: Transcript) -> None:
    assert "GABUNG" in await chat.text("Siti", "halo")
    consent = await chat.text("Siti", "GABUNG kba13")
    assert "Setuju?" in consent and "1. Setuju" in consent and "2. Batal" in consent
    assert chat.member("Siti") is None  # nothing stored before consent
    assert "anggota KBA 13 Ulu" in await chat.text("Siti", "1")
    member = chat.member("Siti")
    assert member is not None and member.consent_at is not None and member.role == Role.MEMBER


async def test_telegram_deep_link_and_consent_by_words(chat: Transcript) -> None:
    assert "Setuju?" in await chat.text("42", "/start KBA13", channel=Channel.TELEGRAM)
    assert "anggota" in await chat.text("42", "setuju", channel=Channel.TELEGRAM)


async def test_declining_consent_stores_nothing(chat: Transcript) -> None:
    await chat.say("Siti", "GABUNG KBA13")
    assert "tidak bergabung" in await chat.text("Siti", "2")
    assert chat.member("Siti") is None


async def test_wrong_code_missing_code_and_second_join(chat: Transcript) -> None:
    assert "tidak ditemukan" in await chat.text("Siti", "GABUNG NOPE")
    assert "contoh: GABUNG KBA13" in await chat.text("Siti", "GABUNG")
    await chat.join("Siti")
    assert "sudah menjadi anggota" in await chat.text("Siti", "GABUNG KBA13")
    with chat.core.open_session() as session:
        assert len(session.exec(select(Member)).all()) == 1


async def test_commands_need_membership(chat: Transcript) -> None:
    assert "belum bergabung" in await chat.text("Tamu", "/profil")


async def test_menu_lists_what_the_role_may_do(chat: Transcript) -> None:
    guest_menu = await chat.text("Tamu", "menu")
    assert "GABUNG KODE" in guest_menu and "PROFIL" not in guest_menu
    await chat.join("Siti")
    member_menu = await chat.text("Siti", "MENU")
    assert "PROFIL" in member_menu and "ANGKAT" not in member_menu
    chat.set_role("Siti", Role.COORDINATOR)
    assert "ANGKAT NAMA" in await chat.text("Siti", "/bantuan")


async def test_telegram_menu_shows_slash_commands(chat: Transcript) -> None:
    await chat.join("7", channel=Channel.TELEGRAM)
    menu = await chat.text("7", "/menu@GuyubBot", channel=Channel.TELEGRAM)
    assert "/profil" in menu and "/berhenti" in menu


async def test_language_switch_with_buttons_and_argument(chat: Transcript) -> None:
    await chat.join("Siti")
    choose = await chat.text("Siti", "/bahasa")
    assert "1. Bahasa Indonesia" in choose and "2. English" in choose
    assert "English" in await chat.text("Siti", "2")
    assert "this menu" in await chat.text("Siti", "MENU")
    assert "isn't available" in await chat.text("Siti", "LANGUAGE klingon")
    assert "Bahasa Indonesia" in await chat.text("Siti", "bahasa id")
    member = chat.member("Siti")
    assert member is not None and member.language == "id"


async def test_telegram_language_code_is_the_first_guess(chat: Transcript) -> None:
    reply = await chat.text("9", "/start", channel=Channel.TELEGRAM, language_hint="en-US")
    assert "Hello!" in reply


async def test_opt_out_and_back_in(chat: Transcript) -> None:
    await chat.join("Siti")
    assert "MULAI" in await chat.text("Siti", "BERHENTI")
    member = chat.member("Siti")
    assert member is not None and member.opted_out_at is not None
    assert "sudah berhenti" in await chat.text("Siti", "keluar")
    assert "kembali" in await chat.text("Siti", "MULAI")
    member = chat.member("Siti")
    assert member is not None and member.opted_out_at is None


async def test_profile_fields_are_kept_as_typed(chat: Transcript) -> None:
    await chat.join("Siti")
    card = await chat.text("Siti", "PROFIL USAHA <b>Keripik</b> & *Bu Siti*")
    assert "Nama usaha: <b>Keripik</b> & *Bu Siti*" in card
    assert "Ketik nomor WhatsApp" in await chat.text("Siti", "PROFIL NOMOR")
    assert "bukan nomor HP" in await chat.text("Siti", "halo")
    assert "+6281234567890" in await chat.text("Siti", "0812-3456-7890")
    long_area = "x" * 500
    assert "potong" in await chat.text("Siti", f"PROFIL AREA {long_area}")
    member = chat.member("Siti")
    assert member is not None and member.area == "x" * 63 + "…"  # cut with "…" (issue 10)
    hidden = await chat.text("Siti", "PROFIL SEMBUNYIKAN")
    assert "ditampilkan ke pembeli: Tidak" in hidden


async def test_cancel_leaves_a_flow(chat: Transcript) -> None:
    await chat.join("Siti")
    await chat.say("Siti", "PROFIL NAMA")
    assert "dibatalkan" in await chat.text("Siti", "batal")
    assert "Tidak ada yang sedang berjalan" in await chat.text("Siti", "batal")


async def test_coordinator_promotes_in_chat(chat: Transcript) -> None:
    await chat.join("Siti")
    await chat.join("6281234567890", channel=Channel.WHATSAPP)
    chat.set_role("Siti", Role.COORDINATOR)
    assert "tidak ditemukan" in await chat.text("Siti", "ANGKAT Joko")
    assert "koordinator KBA 13 Ulu" in await chat.text("Siti", "ANGKAT 0812-3456-7890")
    promoted = chat.member("6281234567890", Channel.WHATSAPP)
    assert promoted is not None and promoted.role == Role.COORDINATOR
    assert any("Selamat" in t for t in chat.delivered("6281234567890", "whatsapp"))


async def test_members_cannot_promote(chat: Transcript) -> None:
    await chat.join("Siti")
    assert "hanya untuk koordinator" in await chat.text("Siti", "/angkat Budi")


async def test_a_blank_or_multi_line_name_is_not_kept_as_sent(chat: Transcript) -> None:
    await chat.say("+6281234567890", "GABUNG KBA13", channel=Channel.WHATSAPP, display_name=" ")
    await chat.say("+6281234567890", "1", channel=Channel.WHATSAPP, display_name=" ")
    member = chat.member("+6281234567890", Channel.WHATSAPP)
    assert member is not None and member.display_name == "+6281234567890"
    await chat.say("Siti", "GABUNG KBA13", display_name="Siti\nHubungi: wa.me/1")
    assert "Terima kasih, Siti Hubungi: wa.me/1!" in await chat.text(
        "Siti", "1", display_name="Siti\nHubungi: wa.me/1"
    )


async def test_contact_choice_needs_a_channel_name(chat: Transcript) -> None:
    await chat.join("Siti")
    await chat.say("Siti", "PROFIL NOMOR 0812-3456-7890")
    assert "tidak dikenal" in await chat.text("Siti", "PROFIL KONTAK merpati")
    assert "Profil Anda" in await chat.text("Siti", "PROFIL KONTAK")
    member = chat.member("Siti")
    assert member is not None and member.contact_channel is None
    assert "Tersimpan" in await chat.text("Siti", "PROFIL KONTAK wa")
    member = chat.member("Siti")
    assert member is not None and member.contact_channel == "whatsapp"
