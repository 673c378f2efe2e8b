"""A member's profile: name, business name, area, number, and how buyers reach them."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from handlers.context import Context
from handlers.flow import Flow
from handlers.labels import CHANNEL_TEXT, ROLE_TEXT
from handlers.messages import Incoming, Reply
from handlers.phones import read_phone
from handlers.registry import REGISTRY
from handlers.shorten import shorten
from storage.communities import identities_of

TEXT_LIMIT = 64
FIELDS = {
    "nama": "name",
    "name": "name",
    "usaha": "business",
    "business": "business",
    "toko": "business",
    "area": "area",
    "daerah": "area",
    "alamat": "area",
    "nomor": "phone",
    "phone": "phone",
    "hp": "phone",
    "wa": "phone",
    "sembunyikan": "hide",
    "hide": "hide",
    "tampilkan": "show",
    "show": "show",
    "kontak": "contact",
    "contact": "contact",
}


class Asked(StrEnum):
    """The profile fields Guyub can ask for in a second message."""

    NAME = "name"
    BUSINESS = "business"
    AREA = "area"
    PHONE = "phone"


QUESTIONS = {
    Asked.NAME: "profile.ask.name",
    Asked.BUSINESS: "profile.ask.business",
    Asked.AREA: "profile.ask.area",
    Asked.PHONE: "profile.ask.phone",
}


@dataclass
class ProfileData:
    """Which field the next message is the value of."""

    field: Asked


PROFILE = Flow("profile", ProfileData)


@REGISTRY.command(
    "profile",
    slash=("profil", "profile"),
    en="profile",
)
async def profile(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`PROFIL` shows the card; `PROFIL USAHA Keripik Bu Siti` sets a field at once;
    `PROFIL Siti` (any other word) shows that member's public seller profile."""
    if not rest:
        return [_card(ctx)]
    word, _, value = rest.partition(" ")
    field = FIELDS.get(word.lower())
    if field is None:  # `/profil Siti`, `/profil #34`: another member's public profile
        from handlers.promotion.reputation import seller_profile  # keeps the menu's order

        return seller_profile(ctx, rest)
    if field in {"hide", "show"}:
        assert ctx.member is not None
        ctx.member.hide_phone = field == "hide"
        return _saved(ctx)
    if field == "contact":
        return _set_contact(ctx, value.strip().lower())
    asked = Asked(field)
    if not value.strip():
        PROFILE.start(ctx, "value", ProfileData(asked))
        return [ctx.reply(QUESTIONS[asked], count=TEXT_LIMIT)]
    return _set_field(ctx, asked, value)


@PROFILE.step("value", free_text=True)
async def value(msg: Incoming, ctx: Context, data: ProfileData) -> Sequence[Reply]:
    """The value for the field asked about."""
    return _set_field(ctx, data.field, msg.text)


def _set_field(ctx: Context, field: Asked, value: str) -> Sequence[Reply]:
    member = ctx.member
    assert member is not None
    value = " ".join(value.split())
    if not value:
        PROFILE.start(ctx, "value", ProfileData(field))
        return [ctx.reply("profile.invalid_text")]
    if field == Asked.PHONE:
        phone = read_phone(value)
        if phone is None:
            PROFILE.start(ctx, "value", ProfileData(field))
            return [ctx.reply("profile.invalid_phone", value=value[:32])]
        member.phone = phone
        PROFILE.end(ctx)
        return _saved(ctx)
    notes = []
    if len(value) > TEXT_LIMIT:
        value = shorten(value, TEXT_LIMIT)
        notes.append(ctx.reply("profile.truncated", count=TEXT_LIMIT))
    if field == Asked.NAME:
        member.display_name = value
    elif field == Asked.BUSINESS:
        member.business_name = value
    else:
        member.area = value
    PROFILE.end(ctx)
    return [*notes, *_saved(ctx)]


def _set_contact(ctx: Context, value: str) -> Sequence[Reply]:
    member = ctx.member
    assert member is not None
    if not value.startswith(("t", "w")):  # telegram / tg, whatsapp / wa
        return [_card(ctx)] if not value else [ctx.reply("profile.unknown_field", value=value[:20])]
    if value.startswith("t"):
        channels = {i.channel for i in identities_of(session=ctx.session, member_id=member.id or 0)}
        if "telegram" not in channels:
            return [ctx.reply("profile.no_telegram")]
        member.contact_channel = "telegram"
    else:
        if not member.phone:
            return [ctx.reply("profile.no_phone")]
        member.contact_channel = "whatsapp"
    return _saved(ctx)


def _saved(ctx: Context) -> Sequence[Reply]:
    assert ctx.member is not None
    ctx.member.updated_at = ctx.now
    ctx.session.add(ctx.member)
    return [ctx.reply("profile.saved"), _card(ctx)]


def _card(ctx: Context) -> Reply:
    member = ctx.member
    assert member is not None
    empty = ctx.t("profile.empty")
    contact = member.contact_channel or ("whatsapp" if member.phone else ctx.identity.channel)
    hide_or_show = (
        ctx.button("profile.button.show", "/profil tampilkan")
        if member.hide_phone
        else ctx.button("profile.button.hide", "/profil sembunyikan")
    )
    other_contact = (
        ctx.button("profile.button.contact_tg", "/profil kontak telegram")
        if contact == "whatsapp"
        else ctx.button("profile.button.contact_wa", "/profil kontak whatsapp")
    )
    return ctx.reply(
        "profile.card",
        name=member.display_name,
        business=member.business_name or empty,
        area=member.area or empty,
        phone=member.phone or empty,
        phone_shown=ctx.t("common.no" if member.hide_phone else "common.yes"),
        contact=ctx.t(CHANNEL_TEXT[contact]),
        role=ctx.t(ROLE_TEXT[member.role]),
        buttons=[
            ctx.button("profile.button.name", "/profil nama"),
            ctx.button("profile.button.business", "/profil usaha"),
            ctx.button("profile.button.area", "/profil area"),
            ctx.button("profile.button.phone", "/profil nomor"),
            hide_or_show,
            other_contact,
        ],
    )
