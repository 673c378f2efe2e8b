"""Turning the public catalogue on and off: `/atur katalog publik on|off` and the CLI."""

from pathlib import Path

import pytest

from bot.cli import main
from handlers.public_catalogue import read_on_off
from storage.db import make_engine, session_factory
from storage.models import Community
from tests.factories import Transcript


def _public(chat: Transcript) -> bool:
    with chat.core.open_session() as session:
        community = session.get(Community, chat.community.id)
        assert community is not None
        return community.public_catalogue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on", True),
        ("publik on", True),
        ("Aktif", True),
        ("public off", False),
        ("mati", False),
        ("tutup", False),
        ("kadang", None),
        ("on off", None),
        ("", None),
    ],
)
def test_on_and_off_words(text: str, expected: bool | None) -> None:
    assert read_on_off(text) is expected


async def test_atur_katalog_publik(chat: Transcript) -> None:
    await chat.join("Pak RT")
    chat.coordinator("Pak RT")
    overview = await chat.text("Pak RT", "/atur")
    assert "Katalog publik di web: off" in overview
    assert not _public(chat)
    saved = await chat.text("Pak RT", "/atur katalog publik on")
    assert "Katalog publik aktif" in saved and "/k/kba13" in saved
    assert _public(chat)
    assert "Katalog publik di web: on" in await chat.text("Pak RT", "/atur")
    wrong = await chat.text("Pak RT", "/atur katalog publik kadang")
    assert "tidak saya mengerti" in wrong and _public(chat)
    assert "dimatikan" in await chat.text("Pak RT", "/atur katalog off")
    assert not _public(chat)


async def test_members_cannot_turn_it_on(chat: Transcript) -> None:
    await chat.join("Siti")
    await chat.say("Siti", "/atur katalog publik on")
    assert not _public(chat)


def test_the_cli_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "kba.db")
    assert main(["community", "create", "KBA 13 Ulu", "--invite", "KBA13", "--db", db]) == 0
    capsys.readouterr()
    assert (
        main(["community", "set", "kba13", "--public", "on", "--area", "Palembang", "--db", db])
        == 0
    )
    assert "public catalogue on at /k/kba13" in capsys.readouterr().out
    assert main(["community", "list", "--db", db]) == 0
    assert "public" in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{db}")
    try:
        with session_factory(engine)() as session:
            community = session.get(Community, 1)
            assert community is not None
            assert community.public_catalogue and community.area == "Palembang"
    finally:
        engine.dispose()
    assert main(["community", "set", "KBA13", "--public", "off", "--db", db]) == 0
    assert "off" in capsys.readouterr().out
    assert main(["community", "set", "NOPE", "--public", "on", "--db", db]) == 2
    assert main(["community", "set", "KBA13", "--db", db]) == 2
