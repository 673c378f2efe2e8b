"""Recommending on WhatsApp: the 👍 button is a numbered option, and so is Lewati."""

from sqlmodel import select

from handlers.messages import Channel
from storage.models import Recommendation
from tests.factories import Transcript


async def test_numbered_buttons_recommend_and_skip_the_testimonial(chat: Transcript) -> None:
    chat.switch("Siti", Channel.LOCAL)
    await chat.join("Siti")
    product = await chat.post("Siti", "Keripik pisang 15rb")
    await chat.join("Sari")
    bodies = await chat.bodies("Sari", "CARI keripik")
    card = next(body for body in bodies if "Keripik pisang" in body)
    assert "1. 👍 Rekomendasikan" in card

    [done] = await chat.bodies("Sari", "1")  # the option's number, as Sari types it
    assert f"Anda merekomendasikan #{product} Keripik pisang" in done
    assert done.endswith("1. Lewati")
    [skipped] = await chat.bodies("Sari", "1")
    assert "tetap tercatat" in skipped

    with chat.core.open_session() as session:
        [row] = session.exec(select(Recommendation)).all()
    assert row.product_id == product and row.testimonial is None
    refused = await chat.texts("Sari", f"REKOMENDASI {product}")
    assert "sudah merekomendasikan" in refused[0]
