"""Assisted posting: a coordinator sells for someone without a smartphone.

`/jualuntuk Bu Siti` finds the member (name, phone, @username) or creates an assisted
member with that name; then the usual posting flow runs with that member as seller and
the coordinator as `posted_by`.
"""

from collections.abc import Sequence
from typing import Any

from handlers.catalogue.drafts import begin_post
from handlers.catalogue.fields import is_skip
from handlers.context import Context
from handlers.messages import Button, Incoming, Reply
from handlers.phones import mask_phone, to_e164
from handlers.registry import REGISTRY
from storage.communities import find_members
from storage.models import Member, Role

ASSIST_FLOW = "assist"
NAME_LIMIT = 64
YES_WORDS = {"ya", "yes", "ok", "buat", "create"}


@REGISTRY.command(
    "sell_for",
    slash=("jualuntuk", "sellfor"),
    role=Role.COORDINATOR,
    en="sellfor",
)
async def sell_for(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/jualuntuk NAMA`: post for an existing member, or for a new assisted one."""
    assert ctx.community is not None
    name = " ".join(rest.split())[:NAME_LIMIT]
    if not name:
        return [ctx.reply("catalogue.assist.usage")]
    if name.startswith("#") and name[1:].isascii() and name[1:].isdigit() and len(name) <= 10:
        member = ctx.session.get(Member, int(name[1:]))
        found = [member] if member and member.community_id == ctx.community.id else []
    else:
        found = find_members(
            session=ctx.session,
            community_id=ctx.community.id or 0,
            name=name,
            phone=to_e164(name) if any(ch.isdigit() for ch in name) else None,
        )
    if len(found) == 1:
        return _post_for(ctx, found[0])
    if len(found) > 1:
        buttons = [Button(_who(m)[:40], f"/jualuntuk #{m.id}") for m in found[:8]]
        return [ctx.reply("catalogue.assist.which", name=name, buttons=buttons)]
    ctx.start_flow(ASSIST_FLOW, "create", {"name": name})
    buttons = [
        ctx.button("catalogue.button.create_member", "assist:create"),
        ctx.button("common.cancel", "assist:no"),
    ]
    return [ctx.reply("catalogue.assist.create", name=name, buttons=buttons)]


def _who(member: Member) -> str:
    """`#7 Bu Ani (Keripik Ani, RT 03)`: enough to tell two members of one name apart."""
    phone = mask_phone(member.phone) if member.phone else None
    details = ", ".join(d for d in (member.business_name, member.area, phone) if d)
    name = f"#{member.id} {member.display_name}"
    return f"{name} ({details})" if details else name


def _post_for(ctx: Context, seller: Member) -> list[Reply]:
    intro = ctx.reply("catalogue.assist.for", seller=seller.display_name)
    return [intro, *begin_post(ctx, seller, "", None, guided=True)]


@REGISTRY.flow(ASSIST_FLOW)
async def assist_flow(msg: Incoming, ctx: Context) -> Sequence[Reply]:
    """Creating the assisted member: confirm the name, then an optional phone number."""
    data: dict[str, Any] = dict(ctx.state.data)
    answer = (msg.payload or msg.text).strip()
    if ctx.state.step == "create":
        if answer == "assist:no":
            ctx.end_flow()
            return [ctx.reply("flow.cancelled")]
        if answer != "assist:create" and answer.casefold() not in YES_WORDS:
            return [ctx.reply("catalogue.assist.create_again", name=data.get("name", ""))]
        ctx.start_flow(ASSIST_FLOW, "phone", data)
        skip = [ctx.button("catalogue.button.skip", "product:skip")]
        return [ctx.reply("catalogue.assist.ask_phone", name=data.get("name", ""), buttons=skip)]
    phone = None
    if answer != "product:skip" and not is_skip(answer):
        phone = to_e164(answer)
        if phone is None:
            return [ctx.reply("catalogue.assist.bad_phone", value=answer[:32])]
    return _post_for(ctx, _assisted_member(ctx, str(data.get("name", "")), phone))


def _assisted_member(ctx: Context, name: str, phone: str | None) -> Member:
    """The seller as the coordinator named them; an existing number means an existing member."""
    assert ctx.community is not None
    if phone:
        found = find_members(
            session=ctx.session, community_id=ctx.community.id or 0, name=phone, phone=phone
        )
        if found:
            return found[0]
    member = Member(
        community_id=ctx.community.id or 0,
        display_name=name[:NAME_LIMIT] or "?",
        language=ctx.community.language,
        phone=phone,
        contact_channel="whatsapp" if phone else None,
        assisted=True,
        consent_at=ctx.now,  # given in person to the coordinator, who posts for them
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(member)
    ctx.session.flush()
    return member
