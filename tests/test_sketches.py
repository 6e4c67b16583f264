"""DDSketch percentiles against exact `percentile_cont` on generated durations: the 1 % the page promises."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest

from bot.domain.sketches import MIN_SECONDS, RELATIVE_ACCURACY, SketchGrid, decode, sketch_bytes
from bot.metrics import percentile_cont

FRACTIONS = (0.5, 0.9)
Draw = Callable[[random.Random], float]

DISTRIBUTIONS: dict[str, Draw] = {
    "urgent claims (lognormal, minutes)": lambda rng: rng.lognormvariate(7.8, 1.1),
    "resolutions (lognormal, days)": lambda rng: rng.lognormvariate(12.8, 1.0),
    "uniform seconds to a week": lambda rng: rng.uniform(0, 7 * 86400),
    "exponential": lambda rng: rng.expovariate(1 / 3600),
    "business time, a third zero": lambda rng: 0.0 if rng.random() < 0.33 else rng.lognormvariate(9, 1.5),
    "ties: whole hours 1-4": lambda rng: 3600.0 * rng.randint(1, 4),
    "milliseconds to years": lambda rng: 10 ** rng.uniform(-3, 8),
}


def sketched(groups: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Percentiles of each group's values read back from its encoded sketch."""
    grid = SketchGrid(len(groups), 1)
    for gid, values in enumerate(groups):
        codes, counts, _ = decode([sketch_bytes([values])])
        grid.add_codes(np.full(len(codes), gid, dtype=np.int64), codes, counts)
    return grid.quantiles(FRACTIONS)


def assert_within_accuracy(estimate: float, exact: float) -> None:
    # A hair over 1 % is floating point at a bucket's edge, not a looser promise.
    assert abs(estimate - exact) <= RELATIVE_ACCURACY * abs(exact) * (1 + 1e-9) + 1e-12, (estimate, exact)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
@pytest.mark.parametrize("size", [1, 2, 3, 10, 101, 5000])
def test_percentiles_within_one_percent_of_exact(name: str, size: int) -> None:
    rng = random.Random(f"{name}-{size}")
    values = [DISTRIBUTIONS[name](rng) for _ in range(size)]
    estimates, counts = sketched([values])
    assert counts[0, 0] == size
    exact = sorted(values)
    for position, fraction in enumerate(FRACTIONS):
        assert_within_accuracy(estimates[0, 0, position], percentile_cont(exact, fraction))


def test_zero_and_sub_millisecond_durations_read_as_zero() -> None:
    estimates, counts = sketched([[0.0, 0.0, MIN_SECONDS / 2], [0.0, 7200.0]])
    assert counts.tolist() == [[3], [2]]
    assert estimates[0, 0].tolist() == [0.0, 0.0]
    assert_within_accuracy(estimates[1, 0, 0], 3600.0)  # halfway between 0 and 2 h
    assert_within_accuracy(estimates[1, 0, 1], 6480.0)


def test_an_empty_sketch_has_no_percentile() -> None:
    estimates, counts = sketched([[]])
    assert counts[0, 0] == 0 and np.isnan(estimates[0, 0]).all()


def test_merged_weekly_sketches_equal_the_sketch_of_all_values() -> None:
    """Merging is adding counts: twelve weeks merged give what one sketch of their union gives."""
    rng = random.Random(7)
    weeks = [[rng.lognormvariate(9, 1.2) for _ in range(rng.randint(0, 300))] for _ in range(12)]
    grid = SketchGrid(1, 1)
    for values in weeks:
        codes, counts, _ = decode([sketch_bytes([values])])
        grid.add_codes(np.zeros(len(codes), dtype=np.int64), codes, counts)
    merged, merged_counts = grid.quantiles(FRACTIONS)
    union = [value for values in weeks for value in values]
    whole, whole_counts = sketched([union])
    assert merged_counts.tolist() == whole_counts.tolist() == [[len(union)]]
    assert merged.tolist() == whole.tolist()
    for position, fraction in enumerate(FRACTIONS):
        assert_within_accuracy(merged[0, 0, position], percentile_cont(sorted(union), fraction))


def test_several_measures_and_raw_values_in_one_grid() -> None:
    """Stored sketches and the open weeks' raw durations add up in one grid, each measure apart."""
    rng = random.Random(3)
    stored = [[rng.expovariate(1 / 600) for _ in range(200)], [rng.expovariate(1 / 86400) for _ in range(150)]]
    raw = [[rng.expovariate(1 / 600) for _ in range(40)], [rng.expovariate(1 / 86400) for _ in range(25)]]
    grid = SketchGrid(1, 2)
    codes, counts, _ = decode([sketch_bytes(stored)])
    grid.add_codes(np.zeros(len(codes), dtype=np.int64), codes, counts)
    for measure, values in enumerate(raw):
        grid.add_values([np.zeros(len(values), dtype=np.int64)], measure, np.array(values))
    estimates, value_counts = grid.quantiles(FRACTIONS)
    assert value_counts.tolist() == [[240, 175]]
    for measure in range(2):
        exact = sorted(stored[measure] + raw[measure])
        for position, fraction in enumerate(FRACTIONS):
            assert_within_accuracy(estimates[0, measure, position], percentile_cont(exact, fraction))
