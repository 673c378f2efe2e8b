"""Joining a community by invite code, the menu, and choosing a language."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from handlers.commands import menu_lines
from handlers.context import Context
from handlers.flow import Flow
from handlers.i18n import normalize_language
from handlers.messages import Incoming, Reply
from handlers.phones import to_e164
from handlers.registry import REGISTRY
from handlers.shorten import shorten
from storage.communities import get_community_by_invite, join_community
from storage.models import Community


@dataclass
class JoinData:
    """The community whose invite code the person sent, waiting for their consent."""

    community_id: int


JOIN = Flow("join", JoinData)

DeepLink = Callable[[Incoming, Context, str], Awaitable[Sequence[Reply] | None]]

DEEP_LINKS: list[DeepLink] = []
"""Other things a Telegram deep link (`t.me/<bot>?start=ARG`) can carry than an invite
code: a feature appends a handler that answers its own ARG format (a share link's
`p12-<code>`) and returns None for anything else, which is then read as an invite code."""


@REGISTRY.command("start", slash=("start",), bare=(), role=None, listed=False)
async def start(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """Telegram's first message, or a deep link `/start KODE` (or a feature's `/start ARG`)."""
    if rest:
        for deep_link in DEEP_LINKS:
            replies = await deep_link(msg, ctx, rest.split()[0])
            if replies is not None:
                return replies
        return await join(msg, ctx, rest)
    if ctx.member is None:
        return [ctx.reply("join.intro")]
    return await menu(msg, ctx, "")


@REGISTRY.command(
    "join",
    slash=("gabung", "join"),
    role=None,
    en="join",
)
async def join(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`GABUNG KODE`: ask for consent before anything about the person is stored."""
    if ctx.member is not None and ctx.community is not None:
        return [ctx.reply("join.already_member", community=ctx.community.name)]
    code = rest.split()[0][:32] if rest.split() else ""
    if not code:
        return [ctx.reply("join.need_code")]
    community = get_community_by_invite(session=ctx.session, invite_code=code)
    if community is None:
        return [ctx.reply("join.unknown_code", code=code)]
    return [offer_join(ctx, community)]


def offer_join(ctx: Context, community: Community) -> Reply:
    """The join step for someone new to `community` (as after `GABUNG KODE`): the consent
    question, whose answer makes them a member. Features that meet a newcomer (a share
    link) use it too."""
    JOIN.start(ctx, "consent", JoinData(community_id=community.id or 0))
    return _consent_question(ctx, community)


def _consent_question(ctx: Context, community: Community) -> Reply:
    return ctx.reply(
        "join.consent",
        community=community.name,
        buttons=[JOIN.button(ctx, "join.agree", "yes"), JOIN.button(ctx, "common.cancel", "no")],
    )


@JOIN.step("consent")
async def consent(msg: Incoming, ctx: Context, data: JoinData) -> Sequence[Reply]:
    """The consent answer: only `Setuju` creates the member."""
    community = ctx.session.get(Community, data.community_id)
    if community is None:
        JOIN.end(ctx)
        return [ctx.reply("join.need_code")]
    if JOIN.said_no(msg):
        JOIN.end(ctx)
        return [ctx.reply("join.declined")]
    if not JOIN.said_yes(msg):
        return [_consent_question(ctx, community)]
    JOIN.end(ctx)
    phone = to_e164(msg.address) if msg.channel == "whatsapp" else None
    language = ctx.identity.language or normalize_language(msg.language_hint) or community.language
    member = join_community(
        session=ctx.session,
        identity=ctx.identity,
        community=community,
        display_name=_one_line(msg.display_name, ctx.identity.display_name, msg.address),
        language=language,
        phone=phone,
        now=ctx.now,
    )
    ctx.member, ctx.community, ctx.lang = member, community, language
    return [ctx.reply("join.welcome", name=member.display_name, community=community.name)]


def _one_line(*names: str) -> str:
    """The first name that is not blank, on one line (a name is never a fake card line)."""
    return next((shorten(" ".join(n.split()), 64) for n in names if n.strip()), "?")


@REGISTRY.command(
    "menu",
    slash=("menu", "bantuan", "help"),
    role=None,
    in_group=True,
)
async def menu(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """List what this person's role may do."""
    header = (
        ctx.t("menu.header", community=ctx.community.name)
        if ctx.community
        else ctx.t("menu.header_guest")
    )
    lines = [header, "", *(f"• {line}" for line in menu_lines(ctx)), "", ctx.t("menu.footer")]
    return [Reply(text="\n".join(lines))]


@REGISTRY.command(
    "language",
    slash=("bahasa", "language"),
    role=None,
    en="language",
)
async def language(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/bahasa en`: switch language, for members and for people who have not joined yet."""
    if not rest:
        return [
            ctx.reply(
                "language.choose",
                buttons=[
                    ctx.button("language.name_id", "/bahasa id"),
                    ctx.button("language.name_en", "/bahasa en"),
                ],
            )
        ]
    chosen = normalize_language(rest.split()[0])
    if chosen is None:
        return [ctx.reply("language.unknown", value=rest.split()[0][:20])]
    ctx.lang = chosen
    ctx.identity.language = chosen
    ctx.session.add(ctx.identity)
    if ctx.member is not None:
        ctx.member.language = chosen
        ctx.member.updated_at = ctx.now
        ctx.session.add(ctx.member)
    return [ctx.reply("language.set")]
