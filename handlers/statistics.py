"""Charts of a community's weeks, and `STATISTIK` (English `STATS`): the same pictures the
dashboard shows, sent in chat to a coordinator (on a phone a picture beats a table).

matplotlib (Agg) is imported only when a chart is drawn, so starting the bot never pays for it.
"""

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from babel.dates import format_date

from handlers.context import Context
from handlers.i18n import t
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Role
from storage.statistics import DELIVERY_STATES, WeeklyStats, weekly_stats

__all__ = ["ALT_TEXT", "CHARTS", "draw_chart", "stats_for"]

CHARTS = ("growth", "promotion", "delivery")
# colours that stay apart for colour-blind readers and in black and white (Okabe-Ito)
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#999999")


STATE_TEXT = {
    "sent": "dashboard.chart.state.sent",
    "delivered": "dashboard.chart.state.delivered",
    "failed": "dashboard.chart.state.failed",
    "opted_out": "dashboard.chart.state.opted_out",
}
KIND_TEXT = {
    "digest": "dashboard.chart.delivery.digest",
    "broadcast": "dashboard.chart.delivery.broadcast",
}
TITLE_TEXT = {
    "growth": "dashboard.chart.growth.title",
    "promotion": "dashboard.chart.promotion.title",
}
ALT_TEXT = {
    "growth": "dashboard.chart.growth.alt",
    "promotion": "dashboard.chart.promotion.alt",
    "delivery": "dashboard.chart.delivery.alt",
}
"""What each chart shows, in words (the dashboard's alt text)."""


def stats_for(ctx: Context) -> WeeklyStats:
    """The last eight weeks of the coordinator's own community."""
    assert ctx.community is not None
    return weekly_stats(session=ctx.session, community=ctx.community, now=ctx.now)


def _week_labels(weeks: list[date], lang: str) -> list[str]:
    return [f"{week.day}/{week.month}" for week in weeks]


def _axes(axis: Any, labels: list[str], highest: int) -> None:
    """Weeks along the bottom; whole numbers up the side, from 0 even for an empty week."""
    axis.set_xticks(range(len(labels)), labels)
    axis.set_ylim(0, max(highest, 1) * 1.15)
    axis.yaxis.get_major_locator().set_params(integer=True)


def _bars(axis: Any, labels: list[str], series: list[tuple[str, list[int]]]) -> None:
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series):
        positions = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        axis.bar(positions, values, width, label=name, color=COLOURS[i])
    _axes(axis, labels, max((max(values) for _, values in series), default=0))
    axis.legend(frameon=False, fontsize=9)
    axis.spines[["top", "right"]].set_visible(False)


def _stacked(axis: Any, labels: list[str], series: list[tuple[str, list[int]]]) -> None:
    bottom = [0] * len(labels)
    for i, (name, values) in enumerate(series):
        axis.bar(range(len(labels)), values, 0.7, bottom=bottom, label=name, color=COLOURS[i])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _axes(axis, labels, max(bottom, default=0))
    axis.legend(frameon=False, fontsize=8, ncols=2)
    axis.spines[["top", "right"]].set_visible(False)


def draw_chart(name: str, stats: WeeklyStats, lang: str) -> bytes:
    """One chart as a PNG (phone-sized, readable when printed in black and white)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = _week_labels(stats.weeks, lang)
    week = t(lang, "dashboard.chart.week")
    if name == "delivery":
        figure = Figure(figsize=(6, 6.4), dpi=100)
        axes = figure.subplots(2, 1)
        for axis, kind in zip(axes, ("digest", "broadcast"), strict=True):
            states = stats.delivery[kind]
            series = [(t(lang, STATE_TEXT[state]), states[state]) for state in DELIVERY_STATES]
            _stacked(axis, labels, series)
            axis.set_title(t(lang, KIND_TEXT[kind]), fontsize=11)
        axes[-1].set_xlabel(week)
    else:
        figure = Figure(figsize=(6, 3.4), dpi=100)
        axis = figure.subplots()
        if name == "growth":
            series = [
                (t(lang, "dashboard.chart.joined"), stats.joined),
                (t(lang, "dashboard.chart.products"), stats.products),
            ]
        elif name == "promotion":
            series = [
                (t(lang, "dashboard.chart.recommendations"), stats.recommendations),
                (t(lang, "dashboard.chart.shares"), stats.shares),
            ]
        else:
            raise ValueError(f"no chart {name!r}")
        _bars(axis, labels, series)
        axis.set_title(t(lang, TITLE_TEXT[name]), fontsize=12)
        axis.set_xlabel(week)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


@REGISTRY.command("statistics", slash=("statistik", "stats"), role=Role.COORDINATOR, en="stats")
async def statistics(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """STATISTIK: the community's last eight weeks as three pictures and one line."""
    community = ctx.community
    assert community is not None
    stats = stats_for(ctx)
    pictures = [
        ctx.media.save(
            session=ctx.session,
            data=draw_chart(name, stats, ctx.lang),
            content_type="image/png",
            now=ctx.now,
            community_id=community.id,
        ).id
        for name in CHARTS
    ]
    summary = ctx.t(
        "dashboard.stats.summary",
        community=community.name,
        since=format_date(stats.weeks[0], "d MMM", locale=ctx.lang),
        joined=sum(stats.joined),
        products=sum(stats.products),
        recommendations=sum(stats.recommendations),
        shares=sum(stats.shares),
    )
    return [Reply(text=summary, media=tuple(pictures))]
