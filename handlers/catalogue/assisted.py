"""Assisted posting: a coordinator sells for someone without a smartphone.

`/jualuntuk Bu Siti` finds the member (name, phone, @username) or creates an assisted
member with that name; then the usual posting flow runs with that member as seller and
the coordinator as `posted_by`.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.arguments import NAME_LIMIT, is_skip, parse_member_ref, parse_name
from handlers.catalogue.posting import begin_post
from handlers.context import Context
from handlers.flow import Flow
from handlers.messages import Button, Incoming, Reply
from handlers.phones import mask_phone, read_phone, to_e164
from handlers.registry import REGISTRY
from handlers.shorten import shorten
from storage.communities import find_members
from storage.models import Member, Role

CREATE_WORDS = {"buat", "create"}


@dataclass
class AssistData:
    """The name the coordinator typed for the new assisted member."""

    name: str


ASSIST = Flow("assist", AssistData)


@REGISTRY.command(
    "sell_for",
    slash=("jualuntuk", "sellfor"),
    role=Role.COORDINATOR,
    en="sellfor",
)
async def sell_for(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/jualuntuk NAMA`: post for an existing member, or for a new assisted one."""
    assert ctx.community is not None
    name = parse_name(rest)
    if not name:
        return [ctx.reply("catalogue.assist.usage")]
    if (member_id := parse_member_ref(name)) is not None:
        member = ctx.session.get(Member, member_id)
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
        buttons = [Button(shorten(_who(m), 40), f"/jualuntuk #{m.id}") for m in found[:8]]
        return [ctx.reply("catalogue.assist.which", name=name, buttons=buttons)]
    ASSIST.start(ctx, "create", AssistData(name))
    return [ctx.reply("catalogue.assist.create", name=name, buttons=_create_buttons(ctx))]


def _create_buttons(ctx: Context) -> list[Button]:
    return [
        ASSIST.button(ctx, "catalogue.button.create_member", "create"),
        ASSIST.button(ctx, "common.cancel", "no"),
    ]


def _who(member: Member) -> str:
    """`#7 Bu Ani (Keripik Ani, RT 03)`: enough to tell two members of one name apart."""
    phone = mask_phone(member.phone) if member.phone else None
    details = ", ".join(d for d in (member.business_name, member.area, phone) if d)
    name = f"#{member.id} {member.display_name}"
    return f"{name} ({details})" if details else name


def _post_for(ctx: Context, seller: Member) -> list[Reply]:
    intro = ctx.reply("catalogue.assist.for", seller=seller.display_name)
    return [intro, *begin_post(ctx, seller, "", None, guided=True)]


@ASSIST.step("create")
async def create(msg: Incoming, ctx: Context, data: AssistData) -> Sequence[Reply]:
    """Confirm creating a member of that name."""
    if ASSIST.said_no(msg):
        ASSIST.end(ctx)
        return [ctx.reply("flow.cancelled")]
    typed = "" if msg.payload else msg.text.strip().casefold()
    if not (ASSIST.said_yes(msg, "create") or typed in CREATE_WORDS):
        buttons = _create_buttons(ctx)  # asked again with its buttons, never without
        return [ctx.reply("catalogue.assist.create_again", name=data.name, buttons=buttons)]
    ASSIST.start(ctx, "phone", data)
    skip = [ASSIST.button(ctx, "catalogue.button.skip", "skip")]
    return [ctx.reply("catalogue.assist.ask_phone", name=data.name, buttons=skip)]


@ASSIST.step("phone")
async def phone(msg: Incoming, ctx: Context, data: AssistData) -> Sequence[Reply]:
    """The new member's phone number, or Lewati."""
    typed = "" if msg.payload else msg.text.strip()
    number = None
    if not ASSIST.pressed(msg, "skip") and not is_skip(typed):
        number = read_phone(typed)
        if number is None:  # asked again, with Lewati still there
            skip = [ASSIST.button(ctx, "catalogue.button.skip", "skip")]
            return [ctx.reply("catalogue.assist.bad_phone", value=typed[:32], buttons=skip)]
    return _post_for(ctx, _assisted_member(ctx, data.name, number))


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
