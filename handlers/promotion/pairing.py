"""Who promotes whom this week: a pure, deterministic function of sellers, week and history.

A group is a tuple in ring order: each member promotes the next one's product, the last
promotes the first's. `(a, b)` is a pair (a promotes b, b promotes a); `(a, b, c)` is the
one group of three an odd count needs (a -> b -> c -> a), so nobody is ever left out.

The candidates are the rounds of a round-robin tournament (circle method) over the sorted
sellers; with an odd count the one who would sit out joins a pair, in either direction.
Each candidate costs what its promoter -> partner links cost in the history (a link seen
last week costs most, one never seen nothing), and the cheapest wins, earliest on ties.
With a steady roster that walks the tournament round by round, so no pair repeats before
everyone has been paired with everyone (and then the oldest round comes back first); when
sellers join or leave, the same costs prefer links not seen recently.
"""

from collections.abc import Iterator, Mapping, Sequence

__all__ = ["Group", "links", "pair_sellers"]

Group = tuple[int, ...]
HISTORY_WEEKS = 52  # a year of weeks is plenty to remember who promoted whom


def links(group: Group) -> list[tuple[int, int]]:
    """The (promoter, partner) links of a group in ring order."""
    return [(group[i], group[(i + 1) % len(group)]) for i in range(len(group))]


def _circle_rounds(sellers: Sequence[int]) -> Iterator[list[tuple[int | None, int | None]]]:
    """The circle method: the first seller stays, the others turn one place per round."""
    players: list[int | None] = list(sellers)
    if len(players) % 2:
        players.append(None)  # whoever meets None sits out this round (joins a pair below)
    size = len(players)
    fixed, turning = players[0], players[1:]
    for round_no in range(size - 1):
        line = [fixed, *turning[round_no:], *turning[:round_no]]
        yield [(line[i], line[size - 1 - i]) for i in range(size // 2)]


def _candidates(sellers: Sequence[int]) -> Iterator[list[Group]]:
    for round_pairs in _circle_rounds(sellers):
        pairs = [(a, b) for a, b in round_pairs if a is not None and b is not None]
        sitting_out = [a if b is None else b for a, b in round_pairs if a is None or b is None]
        if not sitting_out:
            yield [tuple(sorted(pair)) for pair in pairs]
            continue
        extra = sitting_out[0]
        assert extra is not None
        for index, (a, b) in enumerate(pairs):
            others = [tuple(sorted(pair)) for pair in pairs[:index] + pairs[index + 1 :]]
            yield [*others, (extra, a, b)]
            yield [*others, (extra, b, a)]


def _link_costs(week: str, history: Mapping[str, Sequence[Group]]) -> dict[tuple[int, int], int]:
    """Each link's cost: higher the more recently it was used (the latest use counts)."""
    weeks = sorted((w for w in history if w < week), reverse=True)[:HISTORY_WEEKS]
    costs: dict[tuple[int, int], int] = {}
    for age, past in enumerate(weeks):
        for group in history[past]:
            for link in links(group):
                costs.setdefault(link, len(weeks) - age)
    return costs


def pair_sellers(
    sellers: Sequence[int], week: str, history: Mapping[str, Sequence[Group]]
) -> list[Group]:
    """This week's groups (pairs, and one trio for an odd count); none for fewer than two.

    `history` maps earlier weeks (`2026-W49`) to their groups; weeks not before `week`
    are ignored, so pairing a week again gives the same answer.
    """
    roster = sorted(set(sellers))
    if len(roster) < 2:
        return []
    costs = _link_costs(week, history)
    best: list[Group] = []
    best_cost: int | None = None
    for candidate in _candidates(roster):
        cost = sum(costs.get(link, 0) for group in candidate for link in links(group))
        if best_cost is None or cost < best_cost:
            best, best_cost = candidate, cost
    return sorted(_from_smallest(group) for group in best)


def _from_smallest(group: Group) -> Group:
    """The same ring, written from its smallest member: (3, 1, 2) is (1, 2, 3)."""
    start = group.index(min(group))
    return group[start:] + group[:start]
