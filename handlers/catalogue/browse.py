"""Finding products: KATALOG by category and CARI by words, five cards a page.

Only ACTIVE products of the member's own community are ever shown. Paging buttons
carry the query (`/cari @2 keripik`), so they work on every channel and after a restart.
"""

from collections.abc import Sequence

from handlers.arguments import is_page_number
from handlers.catalogue.cards import card_buttons, product_cards
from handlers.catalogue.categories import CATEGORIES, category_name
from handlers.catalogue.drafts import hint
from handlers.catalogue.fields import category_from_text, search_words
from handlers.catalogue.lookup import Page, category_page, search_page
from handlers.catalogue.search_text import unquoted
from handlers.context import Context, has_role
from handlers.messages import Button, Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Product, Role
from storage.products import category_counts

PAYLOAD_BYTES = 64  # Telegram's limit for callback data


def split_page(rest: str) -> tuple[int, str]:
    """`@2 keripik` or `kuliner @2` -> (2, the rest); no marker -> page 1."""
    words, page = [], 1
    for word in rest.split():
        if word.startswith("@") and is_page_number(word[1:]):
            page = max(int(word[1:]), 1)
        else:
            words.append(word)
    return page, " ".join(words)


@REGISTRY.command(
    "catalogue",
    slash=("katalog", "catalog", "catalogue"),
    en="catalog",
)
async def catalogue(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """KATALOG shows the categories with counts; `KATALOG kuliner` their products."""
    assert ctx.community is not None
    page, wanted = split_page(rest)
    if wanted.split() and is_page_number(wanted.split()[-1]):
        page, wanted = max(int(wanted.split()[-1]), 1), " ".join(wanted.split()[:-1])
    if not wanted:
        return [_categories(ctx)]
    category = category_from_text(wanted)
    if category is None:
        return [ctx.reply("catalogue.browse.unknown_category", name=wanted[:40]), _categories(ctx)]
    found = category_page(
        session=ctx.session, community_id=ctx.community.id or 0, category=category, number=page
    )
    name = category_name(category, ctx.lang)
    if not found.products:
        key = "catalogue.browse.empty_category" if page == 1 else "catalogue.browse.no_more"
        return [ctx.reply(key, category=name, page=found.number), _categories(ctx)]
    heading = ctx.reply("catalogue.browse.heading", category=name, page=found.number)
    return [heading, *_cards(ctx, found.products), *_pager(ctx, found, f"/katalog {category}")]


def _categories(ctx: Context) -> Reply:
    assert ctx.community is not None
    counts = category_counts(session=ctx.session, community_id=ctx.community.id or 0)
    buttons = [
        Button(f"{category_name(c.key, ctx.lang)} ({counts[c.key]})", f"/katalog {c.key}")
        for c in CATEGORIES
        if counts.get(c.key)
    ]
    if not buttons:
        return ctx.reply("catalogue.browse.nothing_yet", sell=hint(ctx, "sell"))
    return ctx.reply(
        "catalogue.browse.categories",
        community=ctx.community.name,
        count=sum(counts.values()),
        buttons=buttons,
    )


@REGISTRY.command(
    "search",
    slash=("cari", "search"),
    en="search",
)
async def search(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`CARI keripik pisang`: words starting title or description words, then close spellings."""
    page, query = split_page(rest)
    return search_replies(ctx, query, page, asked=False)


def search_replies(ctx: Context, query: str, page: int, *, asked: bool) -> list[Reply]:
    """The search CARI runs; `asked`: a question turned into a search, said as such.

    Nothing found on the first page: a pointer to KATALOG and a button that tells sellers
    someone is looking (a permintaan, handlers/catalogue/questions.py).
    """
    assert ctx.community is not None
    words = search_words(query)
    if not words:
        return [ctx.reply("catalogue.search.usage", search=hint(ctx, "search"))]
    found = search_page(
        session=ctx.session, community_id=ctx.community.id or 0, query=query, number=page
    )
    shown = unquoted(query)[:60]
    if not found.products:
        if page > 1:
            return [ctx.reply("catalogue.search.no_more", query=shown)]
        key = "catalogue.search.asked_none" if asked else "catalogue.search.none"
        tell = ctx.button("catalogue.button.tell_sellers", _fitting("/kabaripenjual", words))
        return [ctx.reply(key, query=shown, catalogue=hint(ctx, "catalogue"), buttons=[tell])]
    key = "catalogue.search.asked" if asked else "catalogue.search.heading"
    heading = ctx.reply(key, query=shown, page=found.number)
    base = _fitting("/cari", words)
    return [heading, *_cards(ctx, found.products), *_pager(ctx, found, base)]


def _fitting(command: str, words: list[str]) -> str:
    """`/cari keripik pisang`, dropping trailing words so a paging button fits Telegram."""
    while len(words) > 1 and len(f"{command} @999 {' '.join(words)}".encode()) > PAYLOAD_BYTES:
        words = words[:-1]
    base = f"{command} {' '.join(words)}".encode()[: PAYLOAD_BYTES - 5]
    return base.decode(errors="ignore")


def _cards(ctx: Context, products: list[Product]) -> list[Reply]:
    if not has_role(ctx.member, Role.COORDINATOR):
        return product_cards(ctx, products)
    return product_cards(
        ctx,
        products,
        lambda p: (
            *card_buttons(ctx, p),
            ctx.button("catalogue.button.hide", f"/sembunyikan {p.id}"),
            ctx.button("catalogue.button.remove", f"/hapusproduk {p.id}"),
        ),
    )


def _pager(ctx: Context, page: Page, base: str) -> list[Reply]:
    """The paging line: Sebelumnya / Berikutnya, when there is more than one page."""
    if page.number == 1 and not page.has_next:
        return []
    buttons = []
    if page.number > 1:
        buttons.append(ctx.button("catalogue.button.previous", f"{base} @{page.number - 1}"))
    if page.has_next:
        buttons.append(ctx.button("catalogue.button.next", f"{base} @{page.number + 1}"))
    key = "catalogue.browse.more" if page.has_next else "catalogue.browse.end"
    return [ctx.reply(key, page=page.number, buttons=buttons)]
