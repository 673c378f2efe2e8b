"""DATAKU / MYDATA: everything Guyub holds about a person, as a message and a JSON file.

Indonesia's personal data law gives the right of access as well as the right to erasure
(HAPUSDATA). Both read the same declarations (storage/personal_data.py), so a table that
declares its rule is exported here without touching this module: sections this module
does not know are still counted in the message and complete in the file.

The file is kept in the media store as the member's own (erased with them, replaced by
the next DATAKU) and sent as a document on Telegram; Twilio's WhatsApp takes no JSON
files, so WhatsApp gets a download link to it (bot/channels/whatsapp_send.py).
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from handlers.context import Context
from handlers.i18n import rupiah
from handlers.labels import CHANNEL_TEXT, ROLE_TEXT, STATUS_TEXT, label
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.personal_data import export, subject_of

EXPORT_FORMAT = 1
PRODUCTS_SHOWN = 10

COUNTED = {
    "products_posted_for_others": "mydata.count.posted_for_others",
    "photos": "mydata.count.photos",
    "messages": "mydata.count.messages",
    "conversations": "mydata.count.conversations",
    "link_codes": "mydata.count.link_codes",
    "files": "mydata.count.files",
}
SHOWN = {"profile", "chat_accounts", "products"}  # written out in full in the message


@REGISTRY.command(
    "mydata",
    slash=("dataku", "mydata"),
    role=None,
    en="mydata",
)
async def my_data(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """Show a member their data and attach all of it as JSON; a guest sees their one record."""
    member = ctx.member
    if member is None or member.id is None:
        sections = export(
            ctx.session, subject_of(ctx.session, member_id=None, identity_id=ctx.identity.id)
        )
        return [Reply(text="\n\n".join([ctx.t("mydata.guest"), *_accounts(ctx, sections)]))]
    store = ctx.media
    replaced = store.drop_member_files(session=ctx.session, member_id=member.id)
    ctx.after_commit.append(lambda: store.delete_files(replaced))
    sections = export(ctx.session, subject_of(ctx.session, member_id=member.id))
    community = ctx.community.name if ctx.community else ""
    document = {
        "format": EXPORT_FORMAT,
        "generated_at": ctx.now.isoformat(),
        "community": community,
        "data": sections,
    }
    raw = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()
    saved = store.save(
        session=ctx.session,
        data=raw,
        content_type="application/json",
        now=ctx.now,
        community_id=member.community_id,
        member_id=member.id,
        filename=f"guyub-data-{ctx.now.astimezone(ctx.zone):%Y-%m-%d}.json",
    )
    return [Reply(text=_summary(ctx, community, sections), documents=(saved.id,))]


def _summary(ctx: Context, community: str, sections: dict[str, list[dict[str, Any]]]) -> str:
    """The readable part: profile, chat accounts and products in full, the rest counted."""
    blocks = [ctx.t("mydata.header", community=community, when=_when(ctx, ctx.now.isoformat()))]
    for profile in sections.get("profile", []):
        blocks.append(_profile(ctx, profile))
    blocks += _accounts(ctx, sections)
    products = sections.get("products", [])
    if products:
        lines = [ctx.t("mydata.products", number=len(products))]
        for product in products[:PRODUCTS_SHOWN]:
            lines.append(
                ctx.t(
                    "mydata.product",
                    id=product["id"],
                    title=product["title"],
                    price=(
                        rupiah(product["price"])
                        if product["price"] is not None
                        else ctx.t("catalogue.card.no_price")
                    ),
                    status=label(ctx, STATUS_TEXT, product["status"]),
                )
            )
        if len(products) > PRODUCTS_SHOWN:
            lines.append(ctx.t("mydata.more", count=len(products) - PRODUCTS_SHOWN))
        blocks.append("\n".join(lines))
    counts = []
    for section, rows in sections.items():
        if section in SHOWN or not rows:
            continue
        counts.append(
            ctx.t(COUNTED[section], number=len(rows))
            if section in COUNTED
            else ctx.t("mydata.count.other", section=section, number=len(rows))
        )
    if counts:
        blocks.append("\n".join(counts))
    blocks.append(ctx.t("mydata.footer"))
    return "\n\n".join(blocks)


def _profile(ctx: Context, row: dict[str, Any]) -> str:
    none = ctx.t("mydata.none")
    phone = row["phone"] or none
    if row["phone"] and row["hide_phone"]:
        phone = ctx.t("mydata.phone_hidden", phone=phone)
    text = ctx.t(
        "mydata.profile",
        name=row["display_name"],
        business=row["business_name"] or none,
        area=row["area"] or none,
        phone=phone,
        role=label(ctx, ROLE_TEXT, row["role"]),
        language=row["language"],
        contact=label(ctx, CHANNEL_TEXT, row["contact_channel"], none),
        consent=_when(ctx, row["consent_at"]) if row["consent_at"] else none,
        joined=_when(ctx, row["created_at"]),
    )
    if row["opted_out_at"]:
        text += "\n" + ctx.t("mydata.opted_out", when=_when(ctx, row["opted_out_at"]))
    return text


def _accounts(ctx: Context, sections: dict[str, list[dict[str, Any]]]) -> list[str]:
    accounts = sections.get("chat_accounts", [])
    if not accounts:
        return []
    lines = [ctx.t("mydata.accounts", number=len(accounts))]
    for account in accounts:
        name = f" (@{account['username']})" if account["username"] else ""
        lines.append(
            ctx.t(
                "mydata.account",
                channel=label(ctx, CHANNEL_TEXT, account["channel"]),
                address=f"{account['address']}{name}",
                since=_when(ctx, account["created_at"]),
            )
        )
    return ["\n".join(lines)]


def _when(ctx: Context, iso: str) -> str:
    """An exported time, in the community's zone."""
    return f"{datetime.fromisoformat(iso).astimezone(ctx.zone):%d-%m-%Y %H:%M}"
