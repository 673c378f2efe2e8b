"""The `guyub` command as a newcomer uses it."""

import io
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main
from storage.db import head_revision, make_engine


@pytest.fixture(autouse=True)
def no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run from an empty folder so no developer .env leaks in."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)


def test_demo_prints_the_whole_transcript(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "Siti > GABUNG KBA13",
        "1. Setuju",
        "anggota KBA 13 Ulu",
        "LANGUAGE id",
        "[1: Change name]",
        "Pak RT is now coordinator",
        "Selamat! Anda sekarang koordinator",
        "Laporan KBA 13 Ulu",
        "erased",
        "selesai / done",
        "Halo, Dewi! 👋",  # a greeting
        'Saya carikan "rendang"',  # a question turned into a search
        'Dewi > cari kripik\n  Guyub → Dewi:\n    🔎 Hasil untuk "kripik"',  # a typo found
        "📣 Dicatat",
        "Sama-sama, Dewi!",
        "bakso — 1 orang",
    ):
        assert expected in out


def test_community_member_and_chat_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "kba.db")
    assert (
        main(
            [
                "community",
                "create",
                "KBA 13 Ulu",
                "--tz",
                "Asia/Jakarta",
                "--invite",
                "KBA13",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert "GABUNG KBA13" in capsys.readouterr().out
    assert main(["community", "create", "Lagi", "--invite", "kba13", "--db", db]) == 2
    assert (
        main(["community", "create", "X", "--invite", "X1", "--tz", "Mars/Base", "--db", db]) == 2
    )
    script = tmp_path / "day1.txt"
    script.write_text(
        "# day one\nSiti: GABUNG KBA13\nSiti: 1\n@channel whatsapp\nSiti: MENU\n", encoding="utf-8"
    )
    assert main(["chat", "--db", db, "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "Guyub → Siti:" in out and "1. Setuju" in out and "HAPUSDATA" in out
    assert main(["member", "promote", "Siti", "--community", "KBA13", "--db", db]) == 0
    assert "coordinator" in capsys.readouterr().out
    assert main(["member", "promote", "Nobody", "--community", "KBA13", "--db", db]) == 2
    # successive runs continue the same community
    script.write_text("Siti: MENU\n", encoding="utf-8")
    assert main(["chat", "--db", db, "--script", str(script)]) == 0
    assert "ANGKAT NAMA" in capsys.readouterr().out
    assert main(["chat", "--db", db, "--script", str(tmp_path / "missing.txt")]) == 2


def test_db_commands_and_the_schema_guard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "g.db"
    assert main(["db", "upgrade", "--db", str(db)]) == 0
    assert f"empty -> {head_revision()}" in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000_old'"))
    engine.dispose()
    assert main(["db", "status", "--db", str(db)]) == 0
    assert "run: guyub db upgrade" in capsys.readouterr().out
    assert main(["community", "list", "--db", str(db)]) == 3
    assert "guyub db upgrade" in capsys.readouterr().err


def test_placeholder_secrets_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "changeme")
    assert main(["db", "status"]) == 2
    assert "placeholder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "invite"), [("Spasi", "KBA 14"), ("Kosong", ""), ("Panjang", "A" * 40), (" ", "OK1")]
)
def test_unusable_invite_codes_and_names_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, invite: str
) -> None:
    db = str(tmp_path / "kba.db")
    assert main(["community", "create", name, "--invite", invite, "--db", db]) == 2
    assert "guyub:" in capsys.readouterr().err
    assert main(["community", "list", "--db", db]) == 0
    assert capsys.readouterr().out == ""


def test_unreadable_script_and_database_get_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "latin1.txt"
    script.write_bytes(b"Siti: caf\xe9\n")
    assert main(["chat", "--db", str(tmp_path / "g.db"), "--script", str(script)]) == 2
    assert "UTF-8" in capsys.readouterr().err
    script.write_text("Siti: halo\n", encoding="utf-8")
    assert main(["chat", "--db", str(tmp_path), "--script", str(script)]) == 5  # a folder
    err = capsys.readouterr().err
    assert "database error" in err and "already running" not in err


def test_terminal_chat_asks_for_a_name_instead_of_saya(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10: a local user with no name was greeted "Terima kasih, Saya!"."""
    db = str(tmp_path / "kba.db")
    assert main(["community", "create", "KBA 13 Ulu", "--invite", "KBA13", "--db", db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("\nSiti\nGABUNG KBA13\n1\n"))
    assert main(["chat", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.count("Siapa nama Anda?") == 2  # asked again after an empty answer
    assert "Terima kasih, Siti!" in out and "Terima kasih, Saya" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("GABUNG KBA13\n1\n"))
    assert main(["chat", "--db", db, "--as", "Budi"]) == 0  # --as: no question
    out = capsys.readouterr().out
    assert "Siapa nama" not in out and "Terima kasih, Budi!" in out
