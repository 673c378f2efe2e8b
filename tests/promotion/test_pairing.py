"""The pairing on its own: a pure function of sellers, week and history."""

from itertools import combinations

import pytest

from handlers.promotion.pairing import Group, links, pair_sellers


def _weeks(sellers: list[int], count: int, start: int = 1) -> dict[str, list[Group]]:
    """`count` weeks paired one after the other, each seeing the weeks before it."""
    history: dict[str, list[Group]] = {}
    for number in range(start, start + count):
        week = f"2027-W{number:02d}"
        history[week] = pair_sellers(sellers, week, history)
    return history


def _check_week(sellers: list[int], groups: list[Group]) -> None:
    """Everyone in exactly one group; pairs, plus one trio only for an odd count."""
    members = [m for group in groups for m in group]
    assert sorted(members) == sorted(sellers)
    sizes = sorted(len(group) for group in groups)
    assert sizes == [2] * (len(sellers) // 2 - 1) + ([3] if len(sellers) % 2 else [2])


@pytest.mark.parametrize(
    ("count", "weeks"),
    [
        (2, 1),
        (3, 2),  # a trio in both directions: each promotes each other once
        (4, 3),
        (5, 4),  # pair + trio, four weeks: everyone promotes everyone else exactly once
        (6, 5),
        (8, 7),
        (10, 9),
    ],
)
def test_no_one_promotes_the_same_seller_twice_before_everyone_had_everyone(
    count: int, weeks: int
) -> None:
    sellers = [10 * n for n in range(1, count + 1)]
    history = _weeks(sellers, weeks)
    used = [link for groups in history.values() for group in groups for link in links(group)]
    for groups in history.values():
        _check_week(sellers, groups)
    assert len(used) == len(set(used))  # no promoter -> partner link repeats
    assert set(used) == {(a, b) for a in sellers for b in sellers if a != b}


def test_four_sellers_play_a_round_robin_and_then_start_again_from_the_oldest_round() -> None:
    history = _weeks([1, 2, 3, 4], 6)
    rounds = list(history.values())
    pairs = [frozenset(group) for groups in rounds[:3] for group in groups]
    assert sorted(pairs, key=sorted) == sorted(
        (frozenset(c) for c in combinations([1, 2, 3, 4], 2)), key=sorted
    )
    assert rounds[3:] == rounds[:3]  # after a full round robin, the oldest round comes back


def test_seven_sellers_have_one_trio_and_no_repeat_in_the_first_weeks() -> None:
    sellers = [1, 2, 3, 4, 5, 6, 7]
    history = _weeks(sellers, 4)
    used = [link for groups in history.values() for group in groups for link in links(group)]
    for groups in history.values():
        _check_week(sellers, groups)
    assert len(used) == len(set(used)) == 28


@pytest.mark.parametrize(
    ("sellers", "expected"),
    [
        ([], []),
        ([5], []),  # alone: nobody to pair with
        ([7, 3], [(3, 7)]),
        ([3, 7, 3], [(3, 7)]),  # a seller listed twice is one seller
        ([3, 2, 1], [(1, 2, 3)]),  # a ring, written from its smallest id
    ],
)
def test_small_rosters(sellers: list[int], expected: list[Group]) -> None:
    assert pair_sellers(sellers, "2027-W01", {}) == expected


def test_it_is_deterministic_and_ignores_history_from_the_same_or_later_weeks() -> None:
    sellers = [4, 1, 3, 2, 5]
    history = _weeks(sellers, 3)
    again = pair_sellers(sellers, "2027-W03", history)
    assert again == history["2027-W03"]  # W03 itself and later are ignored
    assert pair_sellers(list(reversed(sellers)), "2027-W03", history) == again


def test_a_changed_roster_prefers_pairs_not_seen_recently() -> None:
    history = _weeks([1, 2, 3, 4], 2)  # (1,4)(2,3), then (1,2)(3,4)
    groups = pair_sellers([1, 2, 3, 4, 5, 6], "2027-W03", history)
    _check_week([1, 2, 3, 4, 5, 6], groups)
    seen = {frozenset(g) for weeks in history.values() for g in weeks}
    assert not {frozenset(g) for g in groups} & seen
    after_leaving = pair_sellers([1, 2, 3, 4], "2027-W04", {**history, "2027-W03": groups})
    recent = {frozenset(g) for g in [*history["2027-W02"], *groups]}
    assert not {frozenset(g) for g in after_leaving} & recent  # back to W01's, the oldest
    assert {frozenset(g) for g in after_leaving} == {frozenset(g) for g in history["2027-W01"]}
