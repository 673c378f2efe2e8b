"""Every shared seller-post sample, posted with JUAL, shows the expected price on its card."""

import json

import pytest

from handlers.i18n import rupiah
from tests.factories import SELLER_SAMPLES, Transcript


async def test_every_sample_post_shows_its_price(market: Transcript) -> None:
    if not SELLER_SAMPLES.exists():
        pytest.skip(f"{SELLER_SAMPLES} not found")
    samples = [
        json.loads(line) for line in SELLER_SAMPLES.read_text("utf-8").splitlines() if line.strip()
    ]
    await market.join("Siti")
    for sample in samples:
        card = (await market.texts("Siti", f"JUAL {sample['text']}"))[0]
        expected = rupiah(sample["price"]) if sample["price"] is not None else "tanya penjual"
        assert f"Harga: {expected}\n" in card, (sample, card)
        title_line = card.splitlines()[1].casefold()
        assert all(word in title_line for word in sample["title_has"]), (sample, card)
        await market.press("Siti", "Batal")
    assert market.products() == []
