"""`guyub digest preview`: the digest as it would go out now, printed, nothing queued."""

from datetime import timedelta

import pytest

from bot.cli import main
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.messages import Channel
from tests.digest.conftest import digest_exposures, digest_rows, digests, to_friday
from tests.factories import Transcript


def _db(settings: Settings) -> str:
    return settings.database_url.removeprefix("sqlite:///")


async def test_preview_prints_without_queueing(
    market: Transcript, settings: Settings, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    await market.join("Ani")
    await market.join("+6281311112222", channel=Channel.WHATSAPP)
    await market.join("Dewi")
    rendang = await market.post("Ani", "Rendang 85rb")
    clock.advance(timedelta(days=2))
    db = _db(settings)

    assert main(["digest", "preview", "KBA13", "--db", db], clock=clock) == 0
    out = capsys.readouterr().out
    assert "KBA 13 Ulu: 2 digests would go out now (1 on local, 1 on whatsapp)" in out
    assert f"#{rendang} Rendang — Rp85.000 · Ani" in out

    assert main(["digest", "preview", "KBA13", "--member", "Dewi", "--db", db], clock=clock) == 0
    out = capsys.readouterr().out
    assert out.startswith("--- to Dewi on local ---\n📬 Rangkuman mingguan KBA 13 Ulu")
    assert f"Ketik LIHAT {rendang} untuk melihat produk." in out

    wa = ["digest", "preview", "KBA13", "--member", "+6281311112222", "--db", db]
    assert main(wa, clock=clock) == 0
    out = capsys.readouterr().out
    assert "outside the WhatsApp window" in out and "Balas KATALOG" in out and "Rendang" in out

    assert main(["digest", "preview", "KBA13", "--member", "Ani", "--db", db], clock=clock) == 0
    assert "no digest for Ani now" in capsys.readouterr().out  # only her own product
    assert main(["digest", "preview", "NOPE", "--db", db], clock=clock) == 2
    assert main(["digest", "preview", "KBA13", "--member", "Zed", "--db", db], clock=clock) == 2
    assert digest_rows(market) == [] and digests(market) == [] and digest_exposures(market) == []

    await to_friday(market)  # the real run; a preview afterwards still shows this week's
    assert len(digests(market)) == 2
    assert main(["digest", "preview", "KBA13", "--member", "Dewi", "--db", db], clock=clock) == 0
    assert "Rendang" in capsys.readouterr().out
    assert len(digest_rows(market)) == 2
