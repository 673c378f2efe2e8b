"""`guyub broadcast status` and `guyub outbox`, on the database a kampung used."""

from datetime import timedelta

import pytest

from bot.cli import main
from jobs.sending import PermanentFailure, RetryLater
from tests.announce.conftest import Kampung


@pytest.fixture
def db(kampung: Kampung, monkeypatch: pytest.MonkeyPatch) -> str:
    """The kampung's SQLite file, for `--db` (and no developer .env or DATABASE_URL)."""
    monkeypatch.chdir(kampung.core.settings.media_dir.parent)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return kampung.core.settings.database_url.removeprefix("sqlite:///")


async def test_broadcast_status_and_outbox(
    kampung: Kampung, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["broadcast", "status", "--db", db]) == 0
    assert capsys.readouterr().out == "no announcements yet\n"
    assert main(["outbox", "--db", db]) == 0
    assert capsys.readouterr().out == "outbox: nothing queued, retrying or failed\n"

    await kampung.coordinator_bu_rt()
    await kampung.people(telegram=3)  # Bu RT is on the local channel
    await kampung.say("Bu RT", "/umumkan Kerja bakti Minggu pagi di lapangan voli, bawa cangkul")
    await kampung.say("Bu RT", press="Semua")
    kampung.senders["telegram"].fail_next(PermanentFailure("blocked", "403", unreachable=False))
    kampung.senders["telegram"].fail_next(RetryLater("local channel busy"))
    await kampung.say("Bu RT", press="Kirim sekarang")
    await kampung.say("Bu RT", "/umumkan Rapat RT")
    await kampung.say("Bu RT", press="Penjual")
    await kampung.say("Bu RT", press="Jadwalkan")
    await kampung.say("Bu RT", "besok 08.00")

    assert main(["broadcast", "status", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:6] == [
        "id",
        "community",
        "state",
        "when (UTC)",
        "recipients",
        "sent",
    ]
    assert lines[1].split("\t") == [
        "#2", "KBA13", "scheduled", "2026-12-08 01:00", "0", "0", "0", "0", "0", "0", "0", "0",
        "Rapat RT",
    ]  # fmt: skip
    assert lines[2].split("\t") == [
        "#1", "KBA13", "sending", "2026-12-07 02:00", "3", "1", "0", "0", "1", "0", "0", "0",
        "Kerja bakti Minggu pagi di lapangan…",
    ]  # fmt: skip

    assert main(["outbox", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "state\tkind\tcount\treason",
        "retrying\tbroadcast\t1\tlocal channel busy",
        "failed\tbroadcast\t1\t403 blocked",
    ]

    kampung.clock.advance(timedelta(minutes=5))
    await kampung.minute(2)  # the retry goes out, then the job sees nothing left to send
    assert main(["broadcast", "status", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines()[2].split("\t")[2:6] == [
        "done", "2026-12-07 02:00", "3", "2"
    ]  # fmt: skip
