"""The sandboxes' server-side request budget: refuse over budget, refill with the (injected) clock."""

from __future__ import annotations

import pytest

from orderlayer.sandboxes.kit.budget import RequestBudget


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_refused_until_the_clock_refills_it() -> None:
    clock = Clock()
    budget = RequestBudget(2, clock=clock)
    assert [budget.allows() for _ in range(3)] == [True, True, False]
    clock.now += 0.5  # one call's worth at 2 per second
    assert [budget.allows() for _ in range(2)] == [True, False]
    clock.now += 60  # never more than the burst is banked
    assert [budget.allows() for _ in range(3)] == [True, True, False]


def test_a_per_minute_budget_banks_a_minute() -> None:
    clock = Clock()
    budget = RequestBudget(60 / 60.0, 60, clock=clock)
    assert sum(budget.allows() for _ in range(70)) == 60
    clock.now += 3
    assert sum(budget.allows() for _ in range(10)) == 3


@pytest.mark.parametrize("rate", [None, 0])
def test_no_rate_means_no_limit(rate: float | None) -> None:
    budget = RequestBudget(rate, clock=Clock())
    assert not budget.limited
    assert all(budget.allows() for _ in range(1000))


def test_a_negative_rate_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="rate >= 0"):
        RequestBudget(-1)
