"""The digest builder on plain data: at most ten products, one line each, within each
channel's length limit by leaving out whole lines, and what "nothing new" means."""

from datetime import UTC, datetime, timedelta

from handlers.digest import (
    MAX_PRODUCTS,
    DigestEvent,
    DigestProduct,
    Edition,
    digest_identity,
    length_limit,
    render,
    select_for,
)
from storage.models import ChannelIdentity, Community

NOW = datetime(2026, 12, 11, 2, 0, tzinfo=UTC)
COMMUNITY = Community(name="KBA 13 Ulu", invite_code="KBA13", created_at=NOW)
LONG = "Keripik pisang cokelat lumer rasa istimewa kemasan keluarga besar sekali"


def _products(count: int, *, seller_of: int = 7, title: str = "Produk") -> list[DigestProduct]:
    return [
        DigestProduct(
            id=i,
            seller_id=seller_of if i % 2 else 8,
            title=f"{title} {i}",
            price=15_000 * i,
            seller=f"Warung Sejahtera Abadi {i}",
            created_at=NOW - timedelta(hours=i),
            recommendations=i % 3,
        )
        for i in range(1, count + 1)
    ]


def _edition(products: list[DigestProduct], events: list[DigestEvent] = []) -> Edition:  # noqa: B006
    return Edition.of(community=COMMUNITY, now=NOW, ranked=products, events=events)


def test_at_most_ten_products_never_the_members_own() -> None:
    edition = _edition(_products(40))
    chosen = select_for(edition, member_id=7, since=NOW - timedelta(days=7))
    assert chosen is not None
    assert len(chosen.products) == MAX_PRODUCTS
    assert all(p.seller_id != 7 for p in chosen.products)
    assert [p.id for p in chosen.new] == [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]  # newest first


def test_new_products_then_fair_picks_then_the_most_recommended() -> None:
    edition = _edition(_products(12))
    chosen = select_for(edition, member_id=99, since=NOW - timedelta(hours=2, minutes=30))
    assert chosen is not None
    assert [p.id for p in chosen.new] == [1, 2]
    # picks: the ranking's order (as given), the three most recommended kept for the end
    assert [p.id for p in chosen.picks] == [3, 4, 6, 7, 9, 5, 8, 11]


def test_nothing_new_means_no_digest() -> None:
    event = DigestEvent("3:202612160100", "Posyandu", "Balai RW", NOW + timedelta(days=5))
    edition = _edition(_products(5), [event])
    last_week = NOW - timedelta(days=7)
    assert select_for(edition, member_id=99, since=NOW, seen_events=frozenset()) is not None
    assert select_for(edition, member_id=99, since=NOW, seen_events=frozenset({event.key})) is None
    assert select_for(edition, member_id=99, since=last_week, seen_events=frozenset({event.key}))
    assert select_for(_edition(_products(5)), member_id=99, since=NOW) is None


def test_each_channel_limit_is_kept_by_leaving_out_whole_lines() -> None:
    events = [
        DigestEvent(f"{i}:k", f"Arisan {LONG}", f"Balai {LONG}", NOW + timedelta(days=1, hours=i))
        for i in range(30)
    ]
    edition = _edition(_products(20, title=LONG), events)
    chosen = select_for(edition, member_id=99, since=NOW - timedelta(days=7))
    assert chosen is not None
    for channel, limit in (("whatsapp", 1600), ("telegram", 4096)):
        reply, shown = render(edition, chosen, lang="id", channel=channel, limit=limit)
        assert len(reply.text) <= limit
        lines = reply.text.splitlines()
        for product in shown.products:  # every product shown is one whole line
            (line,) = [line for line in lines if line.startswith(f"#{product.id} ")]
            assert line.endswith(product.seller) or "👍" in line
            assert "Rp" in line and "…" in line  # the long title shortened at a word
        assert lines[-1].startswith("Tidak ingin menerima")
    whatsapp, shown_wa = render(edition, chosen, lang="id", channel="whatsapp", limit=1600)
    telegram, shown_tg = render(edition, chosen, lang="id", channel="telegram", limit=4096)
    assert len(shown_wa.products) == len(shown_tg.products) == MAX_PRODUCTS
    assert 3 <= len(shown_wa.events) < len(shown_tg.events) == 8  # events give way first
    tight, shown = render(edition, chosen, lang="id", channel="whatsapp", limit=900)
    assert len(tight.text) <= 900 and 0 < len(shown.products) < MAX_PRODUCTS
    assert len(shown.events) == 3 and shown.products == chosen.products[: len(shown.products)]
    assert "LIHAT" in whatsapp.text and "/lihat" in telegram.text
    assert "Ketik BERHENTI" in whatsapp.text and "Ketik /berhenti" in telegram.text


def test_the_digest_chat_is_the_chosen_app_else_telegram() -> None:
    def chat(channel: str) -> ChannelIdentity:
        return ChannelIdentity(channel=channel, address="x", created_at=NOW)

    both = [chat("whatsapp"), chat("telegram")]
    assert digest_identity(None, both) is both[1]  # Telegram is free
    assert digest_identity("telegram", both) is both[1]
    assert digest_identity("whatsapp", both) is both[0]  # unless they chose WhatsApp
    both[0].unreachable_at = NOW
    assert digest_identity("whatsapp", both) is both[1]
    assert digest_identity("whatsapp", both[:1]) is None
    assert length_limit(both) == 4096
    assert length_limit([chat("whatsapp"), chat("telegram")]) == 1600
