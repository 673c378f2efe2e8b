"""Recommending on Telegram: the 👍 inline button on a card, and a testimonial with markup
shown exactly as typed (escaped for Telegram's HTML, never interpreted)."""

from sqlmodel import select

from storage.models import Recommendation
from tests.factories import Transcript
from tests.telegram.line import TelegramLine


async def test_the_inline_button_recommends_and_markup_stays_as_typed(
    chat: Transcript, line: TelegramLine
) -> None:
    await chat.join("Siti")
    product = await chat.post("Siti", "Keripik pisang 15rb")
    await chat.join("Dewi")
    await chat.say("Dewi", "/cari keripik")
    button = chat.button("Dewi", "Rekomendasikan")
    assert button.payload == f"/rekomendasi {product}"  # the callback data, under 64 bytes

    [done] = await chat.press("Dewi", "Rekomendasikan")
    assert "Anda merekomendasikan" in done.text and done.buttons[0].payload == "recommend:skip"
    await chat.say("Dewi", "<b>Enak</b> banget!")
    await chat.join("Budi")
    cards = await chat.texts("Budi", "/cari keripik")
    assert any('💬 "<b>Enak</b> banget!" — Dewi' in text for text in cards)
    raw = " ".join(str(c.params.get("text") or c.params.get("caption")) for c in line.sent("Budi"))
    assert "&lt;b&gt;Enak&lt;/b&gt; banget!" in raw  # escaped on the wire: shown, not bold

    with chat.core.open_session() as session:
        [row] = session.exec(select(Recommendation)).all()
    assert row.testimonial == "<b>Enak</b> banget!"
