"""*Titip produk*: a seller entrusts a product to someone going to an event.

`/titip 12 acara 3` (English `/consign 12 event 3`; `/titip 12` alone offers the upcoming
events as buttons; a number after the event is how many pieces: `/titip 12 acara 3 10`)
asks for product 12 to be brought to event 3's next occurrence. Only one's own active
product, to an event of one's own community that has not started and is not cancelled.
Members who answered Hadir volunteer as *pembawa*: `/bawa 3` lists the open requests,
`/bawa 3 12` takes one, `/bawa 3 semua` all; `/bawaan` lists what they carry with sellers
and prices. After the event starts, `/terjual 12 5` reports five sold (again: a
correction); the seller is told each time, in their own language. A reported carry is
promotion help for the carrier (storage.consignments.carries_by_member).
"""

import re
from collections.abc import Sequence

from handlers.arguments import parse_id
from handlers.catalogue.cards import CARD_BUTTONS, price_text, product_label
from handlers.commands import hint
from handlers.context import Context, in_language_of
from handlers.dates import short_date
from handlers.events.cards import Picked, event_label, list_line, pick, when_text, zone_of
from handlers.events.schedule import Occurrence, occurrence_at, upcoming
from handlers.messages import Button, Incoming, Reply
from handlers.registry import REGISTRY
from storage.consignments import (
    carried_by,
    consign,
    occurrence_consignments,
    report_sold,
    take,
    to_report,
)
from storage.events import find_event, find_rsvp
from storage.models import Consignment, Member, Product, ProductStatus, RsvpAnswer
from storage.products import find_product

__all__ = ["consign_button"]

EVENT_WORDS = {"acara", "event", "ke", "to"}
ALL_WORDS = {"semua", "all"}
QUANTITY = re.compile(r"^(\d{1,4})(?:\s*(?:pcs|buah|bungkus|biji|pieces?|packs?))?$", re.I)
MAX_CHOICES = 5
CARRY_LIST = 20


def _not_open(ctx: Context, picked: Picked) -> Reply | None:
    """Why nothing can be sent to (or carried to) the picked occurrence, if anything."""
    event, occurrence = picked.event, picked.occurrence
    if event.cancelled_at is not None:
        return ctx.reply("events.cancelled_event", event=event_label(event))
    if occurrence is None:
        return ctx.reply("events.no_next", event=event_label(event), cmd=hint(ctx, "events"))
    when = when_text(ctx, occurrence)
    if occurrence.cancelled:
        return ctx.reply("titip.cancelled", event=event_label(event), when=when)
    if occurrence.starts_at <= ctx.now:
        return ctx.reply("titip.past", event=event_label(event), when=when)
    return None


def _own_product(ctx: Context, product_id: int) -> tuple[Product | None, Reply | None]:
    assert ctx.member is not None and ctx.community is not None
    product = find_product(
        session=ctx.session, community_id=ctx.community.id or 0, product_id=product_id
    )
    if product is None:
        return None, ctx.reply("titip.product_not_found", id=product_id)
    if product.seller_id != ctx.member.id:
        return None, ctx.reply("titip.not_yours", product=product_label(product))
    if product.status != ProductStatus.ACTIVE:
        return None, ctx.reply("titip.not_active", product=product_label(product))
    return product, None


@REGISTRY.command("consign", slash=("titip", "consign"), en="consign")
async def consign_command(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """TITIP 12 acara 3 [jumlah]: ask someone going to event 3 to bring product 12."""
    assert ctx.member is not None and ctx.community is not None
    product_id, remainder = parse_id(rest)
    if product_id is None:
        return [ctx.reply("titip.usage", cmd=hint(ctx, "consign"))]
    product, problem = _own_product(ctx, product_id)
    if product is None:
        return [problem] if problem else []
    first, _, after = remainder.partition(" ")
    if first.casefold() in EVENT_WORDS:
        remainder = after.strip()
    if not remainder:
        return [_choose_event(ctx, product)]
    picked, problems = pick(ctx, remainder, "titip.usage")
    if picked is None:
        return problems
    event, occurrence = picked.event, picked.occurrence
    if (refusal := _not_open(ctx, picked)) is not None:
        return [refusal]
    assert occurrence is not None
    when = when_text(ctx, occurrence)
    quantity = None
    if picked.rest:
        match = QUANTITY.match(picked.rest.strip())
        if match is None or int(match[1]) < 1:
            return [ctx.reply("titip.bad_quantity", value=picked.rest[:20])]
        quantity = int(match[1])
    _, new = consign(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        event_id=event.id or 0,
        occurrence=occurrence.original,
        product=product,
        quantity=quantity,
        now=ctx.now,
    )
    key = "titip.saved" if new else "titip.already"
    return [
        ctx.reply(
            key,
            product=product_label(product),
            event=event_label(event),
            when=when,
            cmd=hint(ctx, "carry"),
            id=event.id,
        )
    ]


def _choose_event(ctx: Context, product: Product) -> Reply:
    """`/titip 12`: the upcoming events, each a button that finishes the command."""
    assert ctx.community is not None
    coming = upcoming(ctx.session, ctx.community.id or 0, now=ctx.now, zone=zone_of(ctx))
    if not coming:
        return ctx.reply("titip.no_events", cmd=hint(ctx, "events"))
    lines = [ctx.t("titip.choose", product=product_label(product))]
    buttons = []
    for occurrence in coming[:MAX_CHOICES]:
        lines.append(list_line(ctx, occurrence))
        payload = f"/titip {product.id} acara {occurrence.event.id} {occurrence.key}"
        buttons.append(Button(event_label(occurrence.event)[:40], payload))
    return Reply(text="\n".join(lines), buttons=tuple(buttons))


def consign_button(ctx: Context, product: Product) -> Button | None:
    """ "🧺 Titip ke acara" on one's own active products, when an event is coming."""
    if ctx.member is None or ctx.community is None or product.seller_id != ctx.member.id:
        return None
    if product.status != ProductStatus.ACTIVE:
        return None
    if not upcoming(ctx.session, ctx.community.id or 0, now=ctx.now, zone=zone_of(ctx)):
        return None
    return ctx.button("titip.button.consign", f"/titip {product.id}")


if consign_button not in CARD_BUTTONS:
    CARD_BUTTONS.append(consign_button)


# --- carriers -------------------------------------------------------------------------


def _going(ctx: Context, occurrence: Occurrence) -> bool:
    assert ctx.member is not None
    rsvp = find_rsvp(
        session=ctx.session,
        event=occurrence.event,
        occurrence=occurrence.original,
        member_id=ctx.member.id or 0,
    )
    return rsvp is not None and rsvp.answer == RsvpAnswer.HADIR and not rsvp.waitlisted


def _item(ctx: Context, row: Consignment, product: Product, seller: Member) -> str:
    count = ctx.t("titip.pieces", count=row.quantity) if row.quantity else ""
    return ctx.t(
        "titip.item",
        product=product_label(product),
        price=price_text(ctx, product.price),
        seller=seller.display_name,
        pieces=count,
    ).rstrip()


@REGISTRY.command("carry", slash=("bawa", "carry"), en="carry")
async def carry(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """BAWA 3: the titip requests of event 3; BAWA 3 12 takes one, BAWA 3 semua all."""
    assert ctx.member is not None and ctx.community is not None
    picked, problems = pick(ctx, rest, "titip.carry_usage")
    if picked is None:
        return problems
    event, occurrence = picked.event, picked.occurrence
    if (refusal := _not_open(ctx, picked)) is not None:
        return [refusal]
    assert occurrence is not None
    when = when_text(ctx, occurrence)
    if not _going(ctx, occurrence):
        return [
            ctx.reply(
                "titip.not_going",
                event=event_label(event),
                cmd=hint(ctx, "rsvp_yes", typed=True),
                id=event.id,
            )
        ]
    rows = occurrence_consignments(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        event_id=event.id or 0,
        occurrence=occurrence.original,
    )
    me = ctx.member.id
    open_rows = [(c, p, s) for c, p, s in rows if c.carrier_id is None and c.seller_id != me]
    choice = picked.rest.strip()
    if not choice:
        return [_open_list(ctx, occurrence, open_rows)]
    if choice.casefold() in ALL_WORDS:
        chosen = open_rows
    else:
        product_id, _ = parse_id(choice)
        if product_id is None:
            return [ctx.reply("titip.carry_usage", cmd=hint(ctx, "events"))]
        mine = [c for c, p, s in rows if c.product_id == product_id and c.seller_id == me]
        if mine:
            return [ctx.reply("titip.own_product")]
        taken = [c for c, p, s in rows if c.product_id == product_id and c.carrier_id is not None]
        if taken:
            key = "titip.yours_already" if taken[0].carrier_id == me else "titip.taken"
            return [ctx.reply(key, id=product_id)]
        chosen = [(c, p, s) for c, p, s in open_rows if c.product_id == product_id]
        if not chosen:
            return [ctx.reply("titip.no_request", id=product_id, event=event_label(event))]
    if not chosen:
        return [ctx.reply("titip.nothing_open", event=event_label(event))]
    take(session=ctx.session, rows=[c for c, _, _ in chosen], carrier_id=me or 0, now=ctx.now)
    for _row, product, seller in chosen:
        theirs = in_language_of(ctx, seller)
        notice = theirs.reply(
            "titip.notice.taken",
            carrier=ctx.member.display_name,
            product=product_label(product),
            event=event_label(event),
            when=when_text(theirs, occurrence),
        )
        ctx.notify(seller.id or 0, notice)
    lines = [ctx.t("titip.carrying", event=event_label(event), when=when, count=len(chosen))]
    lines += [_item(ctx, c, p, s) for c, p, s in chosen]
    lines.append(ctx.t("titip.after", cmd=hint(ctx, "sold"), id=chosen[0][0].product_id))
    return [Reply(text="\n".join(lines))]


def _open_list(
    ctx: Context, occurrence: Occurrence, rows: list[tuple[Consignment, Product, Member]]
) -> Reply:
    event = occurrence.event
    if not rows:
        return ctx.reply("titip.nothing_open", event=event_label(event))
    lines = [ctx.t("titip.open", event=event_label(event), when=when_text(ctx, occurrence))]
    lines += [_item(ctx, c, p, s) for c, p, s in rows]
    lines.append(ctx.t("titip.open_how", cmd=hint(ctx, "carry"), id=event.id))
    buttons = [
        ctx.button(
            "titip.button.take",
            f"/bawa {event.id} {occurrence.key} {c.product_id}",
            id=c.product_id,
        )
        for c, _, _ in rows[:MAX_CHOICES]
    ]
    if len(rows) > 1:
        buttons.append(
            ctx.button("titip.button.take_all", f"/bawa {event.id} {occurrence.key} semua")
        )
    return Reply(text="\n".join(lines), buttons=tuple(buttons))


@REGISTRY.command("carrying", slash=("bawaan", "carrying"), en="carrying")
async def carrying(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """BAWAAN [3]: what I carry, per occurrence, with sellers and prices."""
    assert ctx.member is not None and ctx.community is not None
    event_id, _ = parse_id(rest)
    if event_id is not None and (
        find_event(session=ctx.session, community_id=ctx.community.id or 0, event_id=event_id)
        is None
    ):
        return [ctx.reply("events.not_found", cmd=hint(ctx, "events"))]
    rows = carried_by(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        carrier_id=ctx.member.id or 0,
        event_id=event_id,
    )[-CARRY_LIST:]
    if not rows:
        return [ctx.reply("titip.carrying_none", cmd=hint(ctx, "events"))]
    lines = [ctx.t("titip.carrying_heading", count=len(rows))]
    current: tuple[int, object] | None = None
    zone = zone_of(ctx)
    for row, product, seller in rows:
        if (row.event_id, row.occurrence) != current:
            current = (row.event_id, row.occurrence)
            event = find_event(
                session=ctx.session, community_id=ctx.community.id or 0, event_id=row.event_id
            )
            if event is not None:
                found = occurrence_at(ctx.session, event, row.occurrence, zone=zone)
                start = found.starts_at if found is not None else row.occurrence
                date = short_date(start, lang=ctx.lang, zone=zone)
                lines.append(ctx.t("titip.carrying_event", event=event_label(event), when=date))
        line = _item(ctx, row, product, seller)
        if row.sold is not None:
            line += " " + ctx.t("titip.sold_mark", count=row.sold)
        lines.append(line)
    lines.append(ctx.t("titip.after", cmd=hint(ctx, "sold"), id=rows[-1][0].product_id))
    return [Reply(text="\n".join(lines))]


@REGISTRY.command("sold", slash=("terjual", "sold"), en="sold")
async def sold(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """TERJUAL 12 5: five of product 12 sold at the event I carried it to."""
    assert ctx.member is not None and ctx.community is not None
    product_id, remainder = parse_id(rest)
    number = remainder.split()[0] if remainder.split() else ""
    if product_id is None or not (number.isascii() and number.isdigit() and len(number) <= 5):
        return [ctx.reply("titip.sold_usage", cmd=hint(ctx, "sold"))]
    count = int(number)
    rows = to_report(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        carrier_id=ctx.member.id or 0,
        product_id=product_id,
    )
    if not rows:
        return [ctx.reply("titip.not_carrying", id=product_id, cmd=hint(ctx, "carrying"))]
    zone = zone_of(ctx)
    started: list[tuple[Consignment, Occurrence]] = []
    for row in rows:
        event = find_event(
            session=ctx.session, community_id=ctx.community.id or 0, event_id=row.event_id
        )
        found = occurrence_at(ctx.session, event, row.occurrence, zone=zone) if event else None
        if found is not None and found.starts_at <= ctx.now and not found.cancelled:
            started.append((row, found))
    if not started:
        return [ctx.reply("titip.not_yet", id=product_id)]
    row, occurrence = started[0]
    if row.quantity is not None and count > row.quantity:
        return [ctx.reply("titip.too_many", count=row.quantity, id=product_id)]
    product = ctx.session.get(Product, row.product_id)
    seller = ctx.session.get(Member, row.seller_id)
    assert product is not None
    report_sold(session=ctx.session, row=row, sold=count, now=ctx.now)
    event = occurrence.event
    if seller is not None:
        theirs = in_language_of(ctx, seller)
        notice = theirs.reply(
            "titip.notice.sold",
            carrier=ctx.member.display_name,
            product=product_label(product),
            event=event_label(event),
            count=count,
        )
        ctx.notify(seller.id or 0, notice)
    return [
        ctx.reply(
            "titip.sold_saved",
            product=product_label(product),
            event=event_label(event),
            count=count,
            seller=seller.display_name if seller else "-",
        )
    ]
