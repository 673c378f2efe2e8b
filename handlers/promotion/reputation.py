"""Reputation: a seller's public profile (`/profil NAMA`, the "Lihat penjual" card button)
and the monthly gotong-royong leaderboard (`/gotongroyong`), ranked by help given to
others (handlers/promotion/helping.py), never by sales.

Only members of the viewer's own community are found or listed; nothing private is shown
(a hidden number stays hidden, a phone number never finds anyone). An erased member's
rows name nobody, so they leave no name here.
"""

from collections.abc import Sequence

from handlers.arguments import parse_member_ref, parse_name
from handlers.catalogue.cards import CARD_BUTTONS, contact_line, price_text, product_label
from handlers.commands import hint
from handlers.context import Context
from handlers.i18n import month_year
from handlers.messages import Button, Incoming, Reply
from handlers.promotion.helping import HELP_SOURCES, Helper, help_counts, month_window, rank_helpers
from handlers.registry import REGISTRY
from handlers.shorten import shorten
from storage.models import Member, Product
from storage.promotion import (
    member_by_username,
    members_by_id,
    members_named,
    recommendations_received,
    seller_products,
)

__all__ = ["BOARD_SIZE", "seller_button", "seller_profile"]

BOARD_SIZE = 10
PROFILE_PRODUCTS = 10
CHOICES = 8
NAME_WIDTH = 40
HIDE_WORDS = {"sembunyi", "sembunyikan", "hide"}
SHOW_WORDS = {"tampil", "tampilkan", "show"}


# -- the seller profile -------------------------------------------------------------------


def seller_profile(ctx: Context, rest: str) -> Sequence[Reply]:
    """`/profil Siti`, `/profil @siti_keripik`, `/profil #34`: another member's public profile.

    Called by `/profil` for anything that is not one of its own fields.
    """
    assert ctx.community is not None
    name = parse_name(rest)
    found = _find(ctx, name)
    if len(found) == 1:
        return [_profile_card(ctx, found[0])]
    if not found:
        return [ctx.reply("reputation.lookup.not_found", name=name, profile=hint(ctx, "profile"))]
    buttons = [Button(shorten(_who(m), NAME_WIDTH), f"/profil #{m.id}") for m in found[:CHOICES]]
    if len(found) > CHOICES:
        return [
            ctx.reply(
                "reputation.lookup.many",
                name=name,
                count=len(found),
                shown=CHOICES,
                buttons=buttons,
            )
        ]
    return [ctx.reply("reputation.lookup.which", name=name, buttons=buttons)]


def _find(ctx: Context, name: str) -> list[Member]:
    """`#34` is one member, `@user` a Telegram username; a name matches exactly, or in part."""
    community_id = ctx.community.id or 0 if ctx.community else 0
    if (member_id := parse_member_ref(name)) is not None:
        member = members_by_id(session=ctx.session, community_id=community_id, ids=[member_id])
        return list(member.values())
    if name.startswith("@"):
        by_username = member_by_username(
            session=ctx.session, community_id=community_id, username=name
        )
        return [by_username] if by_username else []
    found = members_named(session=ctx.session, community_id=community_id, text=name)
    wanted = name.casefold()
    exact = [
        m
        for m in found
        if wanted in {m.display_name.casefold(), (m.business_name or "").casefold()}
    ]
    return exact or found


def _business(member: Member) -> str:
    return member.business_name or ""


def _who(member: Member) -> str:
    """`#7 Bu Ani (Keripik Ani, RT 03)`: enough to tell two members apart, nothing private."""
    details = ", ".join(d for d in (member.business_name, member.area) if d)
    name = f"#{member.id} {member.display_name}"
    return f"{name} ({details})" if details else name


def _profile_card(ctx: Context, seller: Member) -> Reply:
    community_id = ctx.community.id or 0 if ctx.community else 0
    seller_id = seller.id or 0
    lines = [ctx.t("reputation.profile.heading", name=seller.display_name)]
    if seller.business_name:
        lines.append(ctx.t("reputation.profile.business", business=seller.business_name))
    if seller.area:
        lines.append(ctx.t("reputation.profile.area", area=seller.area))
    products, total = seller_products(
        session=ctx.session, community_id=community_id, seller_id=seller_id, limit=PROFILE_PRODUCTS
    )
    lines.append("")
    if total:
        lines.append(ctx.t("reputation.profile.products", count=total))
        lines.extend(_product_line(ctx, product) for product in products)
        if total > len(products):
            lines.append(ctx.t("reputation.profile.more_products", count=total - len(products)))
    else:
        lines.append(ctx.t("reputation.profile.no_products"))
    received = recommendations_received(
        session=ctx.session, community_id=community_id, seller_id=seller_id
    )
    lines.append(ctx.t("reputation.profile.recommended", count=received))
    lines.append("")
    lines.append(ctx.t("reputation.profile.helped"))
    counts = help_counts(
        session=ctx.session, community_id=community_id, since=None, until=None, member_id=seller_id
    )
    for source in HELP_SOURCES:
        lines.append(ctx.t(source.text, count=counts[source.key].get(seller_id, 0)))
    lines.append("")
    lines.append(contact_line(ctx, seller))
    return Reply(text="\n".join(lines))


def _product_line(ctx: Context, product: Product) -> str:
    return ctx.t(
        "reputation.profile.product",
        product=shorten(product_label(product), NAME_WIDTH),
        price=price_text(ctx, product.price),
    )


def seller_button(ctx: Context, product: Product) -> Button | None:
    """ "Lihat penjual" on someone else's product card: the seller's public profile."""
    if ctx.member is None or ctx.member.id == product.seller_id:
        return None
    return ctx.button("reputation.button.seller", f"/profil #{product.seller_id}")


if seller_button not in CARD_BUTTONS:
    CARD_BUTTONS.append(seller_button)


# -- the leaderboard ----------------------------------------------------------------------


@REGISTRY.command(
    "leaderboard",
    slash=("gotongroyong", "leaderboard"),
    en="leaderboard",
)
async def leaderboard(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/gotongroyong`: this month's top helpers; `sembunyi` / `tampil` hides or shows oneself."""
    member = ctx.member
    assert member is not None
    word = rest.strip().casefold()
    if word in HIDE_WORDS or word in SHOW_WORDS:
        member.leaderboard_hidden = word in HIDE_WORDS
        member.updated_at = ctx.now
        ctx.session.add(member)
        key = "reputation.board.hidden" if member.leaderboard_hidden else "reputation.board.shown"
        return [ctx.reply(key, cmd=hint(ctx, "leaderboard"))]
    if word:
        return [ctx.reply("reputation.board.usage", cmd=hint(ctx, "leaderboard"))]
    return [_board(ctx, member)]


def _board(ctx: Context, viewer: Member) -> Reply:
    community_id = ctx.community.id or 0 if ctx.community else 0
    since, until = month_window(ctx.now, ctx.zone)
    helpers = rank_helpers(
        help_counts(session=ctx.session, community_id=community_id, since=since, until=until)
    )
    members = members_by_id(
        session=ctx.session, community_id=community_id, ids=[h.member_id for h in helpers]
    )
    visible = [
        h
        for h in helpers
        if h.member_id in members
        and (not members[h.member_id].leaderboard_hidden or h.member_id == viewer.id)
    ]
    listed = [h for h in visible if not members[h.member_id].leaderboard_hidden]
    month = month_year(ctx.lang, since.astimezone(ctx.zone).date())
    lines = [ctx.t("reputation.board.heading", month=month)]
    shown = listed[:BOARD_SIZE]
    if not shown:
        lines.append(ctx.t("reputation.board.empty"))
    for helper in shown:
        rank = _rank(helper, listed)
        lines.append(
            ctx.t(
                "reputation.board.line",
                rank=rank,
                name=_board_name(members[helper.member_id]),
                count=helper.score,
            )
        )
    lines.append("")
    lines.append(_own_line(ctx, viewer, visible, shown))
    rules = ", ".join(ctx.t(source.points, count=source.weight) for source in HELP_SOURCES)
    lines.append(ctx.t("reputation.board.footer", rules=rules, cmd=hint(ctx, "leaderboard")))
    return Reply(text="\n".join(lines))


def _rank(helper: Helper, ranked: Sequence[Helper]) -> int:
    """Equal scores share a rank (1, 2, 2, 4); the list itself orders them by member id."""
    return 1 + sum(1 for other in ranked if other.score > helper.score)


def _own_line(
    ctx: Context, viewer: Member, visible: Sequence[Helper], shown: Sequence[Helper]
) -> str:
    """The viewer's own place, for their eyes only (also when hidden from the list)."""
    mine = next((h for h in visible if h.member_id == viewer.id), None)
    if mine is None:
        return ctx.t("reputation.board.you_none")
    rank = _rank(mine, visible)  # among the listed members and the viewer
    if viewer.leaderboard_hidden:
        return ctx.t(
            "reputation.board.you_hidden", rank=rank, count=mine.score, cmd=hint(ctx, "leaderboard")
        )
    if mine in shown:
        return ctx.t("reputation.board.you_listed", rank=rank, count=mine.score)
    return ctx.t("reputation.board.you", rank=rank, count=mine.score)


def _board_name(member: Member) -> str:
    name = member.display_name
    if member.business_name and member.business_name != name:
        name = f"{name} ({member.business_name})"
    return shorten(name, NAME_WIDTH)
