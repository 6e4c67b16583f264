"""Mergeable quantile sketches (DDSketch) of durations, so closed weeks need not be sorted again.

Why: exact percentiles over a range feed every request's value into a sort once per group and duration
(bench/README.md: over 500 ms for twelve weeks at a million requests). A DDSketch (Masson, Rim and Lee,
VLDB 2019) counts values in logarithmic buckets; any percentile read from it is within `RELATIVE_ACCURACY`
of the true value, and two sketches merge by adding their counts, so stored weekly sketches of closed
weeks add up to any range of weeks. Written here rather than taken from the `ddsketch` package: the
report merges thousands of small sketches per page, which only vector operations (numpy) do in time.

Bucket k holds the values in (gamma^(k-1), gamma^k], gamma = (1 + a) / (1 - a); its estimate
2 gamma^k / (gamma + 1) is within a of every value in it. Durations under `MIN_SECONDS` (and the rare
negative one, a clock skew between two events) are counted as zero. Percentiles interpolate between
neighbouring ranks like PostgreSQL's `percentile_cont`; a mix of two estimates, each within a of its
value, is within a of the mix, so the stated error holds for the interpolated figure too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
#: Durations below a millisecond count as zero (SQLite keeps moments to the millisecond).
MIN_SECONDS = 1e-3
#: The largest duration a bucket is kept for (about 31 years); larger ones fall in the last bucket.
MAX_SECONDS = 1e9
_MIN_KEY = math.ceil(math.log(MIN_SECONDS) / _LOG_GAMMA)
_MAX_KEY = math.ceil(math.log(MAX_SECONDS) / _LOG_GAMMA)
#: Buckets per sketch: index 0 is zero, index i > 0 is key _MIN_KEY + i - 1.
WIDTH = _MAX_KEY - _MIN_KEY + 2

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_ESTIMATES: FloatArray = np.concatenate(
    ([0.0], 2.0 * np.power(GAMMA, np.arange(_MIN_KEY, _MAX_KEY + 1, dtype=np.float64)) / (GAMMA + 1.0))
)


def bucket_indexes(seconds: npt.ArrayLike) -> IntArray:
    """The bucket of each duration (seconds), 0 for zero."""
    values = np.asarray(seconds, dtype=np.float64)
    positive = np.maximum(values, MIN_SECONDS)
    keys = np.ceil(np.log(positive) / _LOG_GAMMA).astype(np.int64)
    indexes = np.clip(keys, _MIN_KEY, _MAX_KEY) - _MIN_KEY + 1
    return np.where(values < MIN_SECONDS, 0, indexes).astype(np.int64)


#: One stored bucket: (measure, bucket) code and its count, packed; a row's sketches are a run of these.
ENTRY = np.dtype([("code", "<u2"), ("count", "<u4")])


def encode(measures: IntArray, buckets: IntArray, counts: IntArray) -> bytes:
    """Bucket counts of several measures as packed `ENTRY` records, code = measure * WIDTH + bucket."""
    records = np.empty(len(buckets), dtype=ENTRY)
    records["code"] = measures * WIDTH + buckets
    records["count"] = counts
    return records.tobytes()


def decode(blobs: Sequence[bytes]) -> tuple[IntArray, IntArray, IntArray]:
    """(codes, counts, entries per blob) of many `encode`d blobs at once: one parse, however many rows."""
    lengths = np.fromiter((len(blob) // ENTRY.itemsize for blob in blobs), dtype=np.int64, count=len(blobs))
    records = np.frombuffer(b"".join(blobs), dtype=ENTRY)
    return records["code"].astype(np.int64), records["count"].astype(np.int64), lengths


def sketch_bytes(values: Sequence[Sequence[float]]) -> bytes:
    """One sketch per measure (its values in seconds) as `encode`d bytes, only the buckets that hold values."""
    measures: list[IntArray] = []
    buckets: list[IntArray] = []
    counts: list[IntArray] = []
    for measure, measure_values in enumerate(values):
        if not measure_values:
            continue
        found, found_counts = np.unique(bucket_indexes(measure_values), return_counts=True)
        measures.append(np.full(len(found), measure, dtype=np.int64))
        buckets.append(found)
        counts.append(found_counts.astype(np.int64))
    if not measures:
        return b""
    return encode(np.concatenate(measures), np.concatenate(buckets), np.concatenate(counts))


class SketchGrid:
    """Bucket counts of `groups` x `measures` sketches, filled by adding encoded sketches or raw values."""

    def __init__(self, groups: int, measures: int) -> None:
        self.groups = groups
        self.measures = measures
        self._flat: list[IntArray] = []
        self._weights: list[IntArray] = []

    def add_codes(self, group_ids: IntArray, codes: IntArray, counts: IntArray) -> None:
        """Add decoded sketch entries, entry i to group `group_ids[i]`."""
        self._flat.append(group_ids * (self.measures * WIDTH) + codes)
        self._weights.append(counts)

    def add_values(self, group_ids: Sequence[IntArray], measure: int, seconds: FloatArray) -> None:
        """Add raw durations of one measure, value i to each group `ids[i]` of `group_ids` (bucketed once)."""
        codes = measure * WIDTH + bucket_indexes(seconds)
        ones = np.ones(len(codes), dtype=np.int64)
        for ids in group_ids:
            self.add_codes(ids, codes, ones)

    def quantiles(self, fractions: Sequence[float]) -> tuple[FloatArray, IntArray]:
        """(estimates [group, measure, fraction] with NaN where a sketch is empty, counts [group, measure]).

        Only the buckets some entry uses get a column, so the running counts stay small.
        """
        flat = np.concatenate(self._flat) if self._flat else np.zeros(0, dtype=np.int64)
        weights = np.concatenate(self._weights) if self._weights else np.zeros(0, dtype=np.int64)
        buckets = flat % WIDTH
        used = np.flatnonzero(np.bincount(buckets, minlength=WIDTH))
        column = np.zeros(WIDTH, dtype=np.int64)
        column[used] = np.arange(len(used))
        width = max(len(used), 1)
        compact = (flat // WIDTH) * width + column[buckets]
        dense = np.bincount(compact, weights=weights, minlength=self.groups * self.measures * width)
        cumulative = np.cumsum(dense.reshape(self.groups, self.measures, width), axis=2)
        counts = cumulative[:, :, -1].astype(np.int64)
        values = _ESTIMATES[used] if len(used) else np.zeros(1)
        estimates = np.full((self.groups, self.measures, len(fractions)), np.nan)
        for position, fraction in enumerate(fractions):
            rank = np.maximum(counts - 1, 0) * fraction
            low, high = np.floor(rank), np.ceil(rank)
            low_value = values[_column_of_rank(cumulative, low)]
            high_value = values[_column_of_rank(cumulative, high)]
            estimates[:, :, position] = np.where(
                counts > 0, low_value + (high_value - low_value) * (rank - low), np.nan
            )
        return estimates, counts


def _column_of_rank(cumulative: npt.NDArray[Any], rank: FloatArray) -> IntArray:
    """Per sketch, the column holding the value of 0-based rank `rank`: the first whose running count passes it."""
    found = (cumulative <= rank[:, :, None]).sum(axis=2)
    columns: IntArray = np.minimum(found, cumulative.shape[2] - 1).astype(np.int64)
    return columns
