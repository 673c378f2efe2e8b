"""The person's account: linking a second chat app, erasing data, promoting coordinators."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import select

from handlers.arguments import parse_name
from handlers.context import Context, in_language_of
from handlers.flow import Flow
from handlers.labels import CHANNEL_TEXT
from handlers.linking import check_link_code
from handlers.messages import Incoming, Reply
from handlers.phones import to_e164
from handlers.registry import REGISTRY
from storage.communities import (
    LINK_CODE_TTL,
    claim_link_code,
    create_link_code,
    erase_member,
    find_members,
    members_of,
    promote,
)
from storage.models import Community, Member, Product, Role


@dataclass
class EraseData:
    """Nothing to remember: the flow only waits for the confirmation button."""


ERASE = Flow("erase", EraseData)

BEFORE_ERASE: list[Callable[[Context, Member], None]] = []
"""Features append what must happen while the member's rows still name them (promo buddies
end the week's pairing and tell the buddy); run just before the erasure, in its transaction."""


@REGISTRY.command(
    "link",
    slash=("tautkan", "link"),
    role=None,
    en="link",
)
async def link(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """Members get a one-time code; the other app sends `TAUTKAN KODE` to become the same member."""
    code = rest.split()[0][:16] if rest.split() else ""
    if not code:
        if ctx.member is None:
            return [ctx.reply("link.need_code")]
        issued = create_link_code(session=ctx.session, member_id=ctx.member.id or 0, now=ctx.now)
        return [ctx.reply("link.code", code=issued, count=int(LINK_CODE_TTL.total_seconds() // 60))]
    member_id, refused = check_link_code(ctx, msg, code)
    if refused is not None:
        return [refused]
    if ctx.member is not None:  # the code stays valid for the app it was meant for
        key = "link.already_linked" if ctx.member.id == member_id else "link.other_member"
        return [ctx.reply(key)]
    member = ctx.session.get(Member, member_id)
    community = ctx.session.get(Community, member.community_id) if member else None
    if member is None or community is None:
        return [ctx.reply("link.bad_code", code=code)]
    claim_link_code(session=ctx.session, code=code, now=ctx.now)  # spent only by a success
    ctx.identity.member_id = member.id
    ctx.session.add(ctx.identity)
    if msg.channel == "whatsapp" and not member.phone:
        member.phone = to_e164(msg.address)
        ctx.session.add(member)
    ctx.member, ctx.community, ctx.lang = member, community, member.language
    return [
        ctx.reply(
            "link.done",
            channel=ctx.t(CHANNEL_TEXT[msg.channel]),
            name=member.display_name,
            community=community.name,
        )
    ]


@REGISTRY.command(
    "erase",
    slash=("hapusdata", "deletedata"),
    role=None,
    en="deletedata",
)
async def erase(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """Ask before erasing: the right to erasure must not be one mistyped word away."""
    if ctx.member is None or ctx.community is None:
        ctx.session.delete(ctx.identity)
        ctx.erased = True
        return [ctx.reply("erase.guest_done")]
    ERASE.start(ctx, "confirm", EraseData())
    return [
        ctx.reply(
            "erase.confirm",
            community=ctx.community.name,
            buttons=[
                ERASE.button(ctx, "erase.yes", "yes"),
                ERASE.button(ctx, "common.cancel", "no"),
            ],
        )
    ]


@ERASE.step("confirm")
async def confirm(msg: Incoming, ctx: Context, data: EraseData) -> Sequence[Reply]:
    """Only a yes (the button, its number, `ya`, `yes`, 👍) erases; anything else keeps the data."""
    ERASE.end(ctx)
    if not ERASE.said_yes(msg) or ctx.member is None:
        return [ctx.reply("erase.kept")]
    lang = ctx.lang
    for before_erase in BEFORE_ERASE:
        before_erase(ctx, ctx.member)
    orphaned = erase_member(session=ctx.session, member=ctx.member)
    media = ctx.media
    ctx.after_commit.append(lambda: media.delete_files(orphaned))  # files go once rows are gone
    ctx.erased, ctx.member, ctx.community, ctx.lang = True, None, None, lang
    return [ctx.reply("erase.done")]


@REGISTRY.command(
    "promote",
    slash=("angkat", "promote"),
    role=Role.COORDINATOR,
    en="promote",
)
async def promote_member(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """A coordinator makes another member of the same community a coordinator."""
    assert ctx.community is not None
    name = parse_name(rest)
    if not name:
        return [ctx.reply("promote.usage")]
    found = find_members(
        session=ctx.session, community_id=ctx.community.id or 0, name=name, phone=to_e164(name)
    )
    if not found:
        return [ctx.reply("promote.not_found", name=name, community=ctx.community.name)]
    if len(found) > 1:
        return [ctx.reply("promote.ambiguous", count=len(found), name=name)]
    return [make_coordinator(ctx, found[0])]


def make_coordinator(ctx: Context, member: Member) -> Reply:
    """Make a member of the coordinator's own community a coordinator; they hear it
    (`/angkat` and the dashboard)."""
    assert ctx.community is not None and member.community_id == ctx.community.id
    if member.role == Role.COORDINATOR:
        return ctx.reply("promote.already", name=member.display_name)
    promote(member=member, role=Role.COORDINATOR, now=ctx.now)
    ctx.session.add(member)
    theirs = in_language_of(ctx, member)
    ctx.notify(member.id or 0, theirs.reply("promote.notice", community=ctx.community.name))
    return ctx.reply("promote.done", name=member.display_name, community=ctx.community.name)


def step_down(ctx: Context, member: Member) -> Reply:
    """A coordinator back to seller (if they sell) or member; never oneself, never the last
    coordinator (someone must be able to look after the community). They hear it."""
    assert ctx.community is not None and member.community_id == ctx.community.id
    if member.role != Role.COORDINATOR:
        return ctx.reply("dashboard.members.not_coordinator", name=member.display_name)
    if ctx.member is not None and member.id == ctx.member.id:
        return ctx.reply("dashboard.members.not_yourself")
    coordinators = members_of(
        session=ctx.session, community_id=ctx.community.id or 0, roles=[Role.COORDINATOR]
    )
    if len(coordinators) <= 1:
        return ctx.reply("dashboard.members.last_coordinator")
    sells = ctx.session.exec(
        select(Product.id).where(Product.seller_id == member.id).limit(1)
    ).first()
    promote(member=member, role=Role.SELLER if sells else Role.MEMBER, now=ctx.now)
    ctx.session.add(member)
    theirs = in_language_of(ctx, member)
    ctx.notify(
        member.id or 0,
        theirs.reply("dashboard.members.demoted_notice", community=ctx.community.name),
    )
    return ctx.reply("dashboard.members.demoted", name=member.display_name)
