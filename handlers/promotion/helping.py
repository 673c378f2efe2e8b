"""The gotong-royong score: how much a member helped others sell, never what they sold.

Score = 3 × people brought by one's share links + 2 × buddy shares done (SUDAH)
      + 2 × products carried to an event (*titip*, reported with TERJUAL)
      + 1 × recommendations given, counted within one calendar month of the community.

Bringing a new person costs the most effort and helps the most, a buddy share is a
promise kept, a recommendation is one tap. Each source is one `HelpSource` in
`HELP_SOURCES`; another kind of help (the events' *titip*, carrying a friend's products
to a posyandu day) appends its own source, with its weight, counter and text, and the
leaderboard and profiles show it without further changes.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.consignments import carries_by_member
from storage.promotion import buddy_shares_done, people_brought, recommendations_given

__all__ = [
    "HELP_SOURCES",
    "HelpCounter",
    "HelpSource",
    "Helper",
    "help_counts",
    "month_window",
    "rank_helpers",
]


class HelpCounter(Protocol):
    """How often each member gave one kind of help in [since, until) (None: no bound)."""

    def __call__(
        self,
        *,
        session: Session,
        community_id: int,
        since: datetime | None,
        until: datetime | None,
        member_id: int | None = None,
    ) -> dict[int, int]: ...


@dataclass(frozen=True)
class HelpSource:
    """One kind of help: its points, how it is counted, and its texts (each with {count}):
    `text` says how often a member helped ("3 orang datang lewat bagikannya"), `points` how
    much it is worth on the leaderboard ("3 per orang yang datang lewat bagikan")."""

    key: str
    weight: int
    count: HelpCounter
    text: str
    points: str


HELP_SOURCES: list[HelpSource] = [
    HelpSource(
        "shares",
        3,
        people_brought,
        "reputation.help.people_brought",
        "reputation.points.people_brought",
    ),
    HelpSource(
        "buddies",
        2,
        buddy_shares_done,
        "reputation.help.buddy_shares",
        "reputation.points.buddy_shares",
    ),
    HelpSource(
        "carries",
        2,
        carries_by_member,
        "reputation.help.carries",
        "reputation.points.carries",
    ),
    HelpSource(
        "recommendations",
        1,
        recommendations_given,
        "reputation.help.recommendations",
        "reputation.points.recommendations",
    ),
]
"""Every source of the score, in the order profiles list them. Append to add one."""


@dataclass(frozen=True)
class Helper:
    """A member's help in one period: the score and the count per source key."""

    member_id: int
    score: int
    counts: Mapping[str, int]


def month_window(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The community's current calendar month as [start, end) instants."""
    local = now.astimezone(zone).date()
    start = datetime.combine(local.replace(day=1), time(), zone)
    next_month = (
        local.replace(year=local.year + 1, month=1, day=1)
        if local.month == 12
        else local.replace(month=local.month + 1, day=1)
    )
    return start, datetime.combine(next_month, time(), zone)


def help_counts(
    *,
    session: Session,
    community_id: int,
    since: datetime | None,
    until: datetime | None,
    member_id: int | None = None,
) -> dict[str, dict[int, int]]:
    """Per source key, how often each member helped (one query per source)."""
    return {
        source.key: source.count(
            session=session,
            community_id=community_id,
            since=since,
            until=until,
            member_id=member_id,
        )
        for source in HELP_SOURCES
    }


def rank_helpers(
    counts: Mapping[str, Mapping[int, int]], sources: Sequence[HelpSource] = ()
) -> list[Helper]:
    """Members with a score above zero, best first; equal scores by member id (oldest first)."""
    sources = sources or HELP_SOURCES
    members = {member_id for source in sources for member_id in counts.get(source.key, {})}
    helpers = []
    for member_id in members:
        mine = {source.key: counts.get(source.key, {}).get(member_id, 0) for source in sources}
        score = sum(source.weight * mine[source.key] for source in sources)
        if score > 0:
            helpers.append(Helper(member_id, score, mine))
    return sorted(helpers, key=lambda helper: (-helper.score, helper.member_id))
