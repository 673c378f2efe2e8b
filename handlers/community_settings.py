"""`/atur`: a coordinator's view of the community's settings, and one line to change each.

Features add their own setting with one `register_setting(Setting(...))` at import time (the
weekly digest: `/atur digest Jumat 09.00`), so `/atur` alone always lists every setting with
its current value and an example, and `/atur NAME VALUE` reaches the feature's own reader.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from handlers.commands import hint
from handlers.context import Context
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Community, Role

__all__ = ["SETTINGS", "Setting", "register_setting"]

RECOMMENDATIONS_PER_DAY = range(1, 51)


@dataclass(frozen=True)
class Setting:
    """One community setting as `/atur` shows and changes it.

    `line` is a text with `{value}` and `{cmd}` (how this person types `/atur`, for the
    example in it); `show` gives the current value in the coordinator's language; `change`
    reads what was typed after the name and either saves it (the confirmation) or changes
    nothing (a friendly correction with an example).
    """

    names: tuple[str, ...]  # the first is shown; all are understood (Indonesian, English)
    line: str
    show: Callable[[Context, Community], str]
    change: Callable[[Context, Community, str], Reply]


SETTINGS: list[Setting] = []


def register_setting(setting: Setting) -> Setting:
    """Offer a setting in `/atur` (once; a name may not be taken twice)."""
    taken = {name for other in SETTINGS if other is not setting for name in other.names}
    if set(setting.names) & taken:
        raise ValueError(f"setting {setting.names[0]!r} clashes with another")
    if setting not in SETTINGS:
        SETTINGS.append(setting)
    return setting


@REGISTRY.command("settings", slash=("atur", "settings"), role=Role.COORDINATOR, en="settings")
async def settings(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/atur` lists the settings; `/atur pasangan Senin 08.00` changes one."""
    assert ctx.community is not None
    name, _, value = rest.strip().partition(" ")
    if not name:
        return [_overview(ctx, ctx.community)]
    setting = next((s for s in SETTINGS if name.casefold() in s.names), None)
    if setting is None:
        return [ctx.reply("settings.unknown", name=name[:20]), _overview(ctx, ctx.community)]
    if not value.strip():
        return [ctx.reply("settings.needs_value", setting=_line(ctx, ctx.community, setting))]
    return [setting.change(ctx, ctx.community, value.strip())]


def _line(ctx: Context, community: Community, setting: Setting) -> str:
    return ctx.t(setting.line, value=setting.show(ctx, community), cmd=hint(ctx, "settings"))


def _overview(ctx: Context, community: Community) -> Reply:
    lines = [_line(ctx, community, setting) for setting in SETTINGS]
    return ctx.reply("settings.overview", community=community.name, settings="\n\n".join(lines))


def _show_recommendations(ctx: Context, community: Community) -> str:
    return str(community.recommendations_per_day)


def _change_recommendations(ctx: Context, community: Community, value: str) -> Reply:
    text = value.split()[0] if value.split() else ""
    number = int(text) if text.isdigit() else None
    if number is None or number not in RECOMMENDATIONS_PER_DAY:
        return ctx.reply(
            "settings.recommendations.invalid",
            value=value[:20],
            low=RECOMMENDATIONS_PER_DAY.start,
            high=RECOMMENDATIONS_PER_DAY.stop - 1,
            cmd=hint(ctx, "settings"),
        )
    community.recommendations_per_day = number
    ctx.session.add(community)
    return ctx.reply("settings.recommendations.saved", count=number)


register_setting(
    Setting(
        names=("rekomendasi", "recommendations", "recommend"),
        line="settings.recommendations.line",
        show=_show_recommendations,
        change=_change_recommendations,
    )
)
