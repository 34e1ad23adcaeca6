"""Means and t-based 95% confidence intervals of KPIs over replications."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nd_sim.results import registry
from nd_sim.results.kpis import kpi_units

if TYPE_CHECKING:  # imported where used: workers import this module, never pandas
    import pandas as pd

CONFIDENCE = 0.95
KEYS = ["area_type", "area", "kpi"]  # a KPI row's labels
NOT_NEGATIVE = frozenset({"children", "child-weeks", "weeks", "children/week", "ratio", "%"})


def t_quantile(dof, confidence: float = CONFIDENCE):
    """The two-sided t quantile for `confidence` with `dof` degrees of freedom (a number or
    an array). The bare special function, not `scipy.stats.t.ppf`: the same numbers at a
    hundredth of the cost (a comparison asks for it some 27,000 times, and `stats` spent
    3.5 s on them). scipy is imported here, not at the top: most commands never need it."""
    from scipy.special import stdtrit

    return stdtrit(dof, 0.5 + confidence / 2)


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and the t-based confidence interval of the mean; NaNs are ignored."""
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(x.mean())
    if x.size == 1:
        return (mean, np.nan, np.nan)
    half = float(t_quantile(x.size - 1, confidence) * x.std(ddof=1) / np.sqrt(x.size))
    return (mean, mean - half, mean + half)


def t_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's mean and t half-width, exactly as `t_interval` gives them for the row's
    values alone (numpy reduces each row of a C-ordered array as it reduces a 1-d one);
    for rows of at least 2 values, none missing."""
    mean, half, _ = _t_rows_sd(rows)
    return mean, half


def _t_rows_sd(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`t_rows` and each row's standard deviation (worked out once for both)."""
    n = rows.shape[1]
    if not rows.size:
        return np.empty(rows.shape[0]), np.empty(rows.shape[0]), np.empty(rows.shape[0])
    sd = rows.std(axis=1, ddof=1)
    return rows.mean(axis=1), t_quantile(n - 1) * sd / np.sqrt(n), sd


def unit_range(unit: str) -> tuple[float, float]:
    """The values a measure in `unit` can take: counts, waits and ratios are never below
    0, a percentage never above 100; money (a saving can be negative) is unbounded."""
    if unit == "%":
        return 0.0, 100.0
    return (0.0, np.inf) if unit in NOT_NEGATIVE else (-np.inf, np.inf)


def kpi_range(kpi: str) -> tuple[float, float]:
    """The values a KPI can take, from its unit (`unit_range`)."""
    return unit_range(registry.unit(kpi))


def within_range(
    units: Sequence[str], mean: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Means' t intervals cut to the values their measures (in `units`, one each) can take.
    With few replications the interval of a count that is nearly always 0 reaches below 0
    ("1, -1 to 2"), which no reader can act on; the mean itself is never outside the
    range, so cutting the interval there keeps its coverage. A bound the mean passes (it
    should not) is not applied."""
    ranges = {u: unit_range(u) for u in set(units)}
    floor = np.array([ranges[u][0] for u in units], float)
    ceiling = np.array([ranges[u][1] for u in units], float)
    mean = np.asarray(mean, float)
    with np.errstate(invalid="ignore"):
        floor[mean < floor] = -np.inf
        ceiling[mean > ceiling] = np.inf
        return np.maximum(low, floor), np.minimum(high, ceiling)  # NaN bounds stay NaN


def within_unit_range(unit: str, mean: float, low: float, high: float) -> tuple[float, float]:
    """`within_range` of one interval (a target's KPI, a comparison's single row)."""
    (low,), (high,) = within_range([unit], [mean], [low], [high])
    return float(low), float(high)


def symmetric(mean: float, low: float, high: float) -> bool:
    """Whether an interval is the mean plus and minus one half-width (`within_range` has
    not cut it), so that "mean ± half" describes it."""
    return math.isclose(mean - low, high - mean, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True)
class Groups:
    """Each row's group (numbered in the order the groups first appear) and each group's
    label: what `frame.groupby(keys, sort=False)` finds, when a caller knows it already.
    With `codes` None the rows are the groups in order, over and over (one block of rows a
    replication, each with every KPI in the same order), `rows` of them in all."""

    codes: np.ndarray | None
    labels: list
    rows: int = 0

    @classmethod
    def of(cls, frame: pd.DataFrame, keys: list[str]) -> Groups:
        """The groups pandas finds in `frame` by `keys`."""
        grouping = frame.groupby(keys, sort=False)
        return cls(grouping.ngroup().to_numpy(), list(grouping.size().index))

    def repeated(self) -> bool:
        """Whether the rows are the groups in order, over and over."""
        k = len(self.labels)
        if self.codes is None:
            return True
        if not k or self.codes.size % k:
            return False
        return bool((self.codes.reshape(-1, k) == np.arange(k)).all())

    @property
    def n_rows(self) -> int:
        return self.rows if self.codes is None else self.codes.size


def grouped_rows(
    frame: pd.DataFrame, keys: list[str], columns: list[str]
) -> tuple[list, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The groups of `frame` by `keys` (in the order they first appear); `whole`, the
    groups of the longest length with no value missing; each column as a (groups x
    longest group) array in the frame's order, NaN-padded; and each group's rows."""
    return grouped_arrays(Groups.of(frame, keys), [frame[c].to_numpy(float) for c in columns])


def grouped_arrays(
    groups: Groups, columns: list[np.ndarray], with_members: bool = True
) -> tuple[list, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """`grouped_rows` of rows whose groups are known: the columns are arrays, a value a
    row; without `with_members`, no group's rows (an empty list)."""
    labels, k = groups.labels, len(groups.labels)
    if groups.repeated():  # every replication lists the same rows in the same order
        n = groups.n_rows // k
        whole = np.ones(k, bool)
        arrays = [np.ascontiguousarray(c.reshape(-1, k).T) for c in columns]
        members = [np.arange(g, groups.n_rows, k) for g in range(k)] if with_members else []
        return labels, _whole(whole, arrays, n), arrays, members
    codes = groups.codes
    sizes = np.bincount(codes, minlength=len(labels))
    n = int(sizes.max(initial=0))
    order = np.argsort(codes, kind="stable")
    position = np.arange(codes.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    arrays = []
    for column in columns:
        table = np.full((len(labels), n), np.nan)
        table[codes[order], position] = column[order]
        arrays.append(table)
    members = np.split(order, np.cumsum(sizes)[:-1]) if with_members else []
    return labels, _whole(sizes == n, arrays, n), arrays, members


def _whole(whole: np.ndarray, arrays: list[np.ndarray], n: int) -> np.ndarray:
    """The groups of the longest length (`whole`) with no value missing, if that length
    is at least 2."""
    for table in arrays:
        whole &= ~np.isnan(table).any(axis=1)
    if n < 2:
        whole[:] = False
    return whole


def summarise(by_replication: pd.DataFrame) -> pd.DataFrame:
    """One row per area and KPI: mean, 95% CI, sd and how many replications defined it.

    The KPIs defined in every replication (nearly all) are worked out together
    (`t_rows`: the same numbers as one by one); the rest one by one."""
    groups = Groups.of(by_replication, KEYS)
    return summarise_groups(groups, by_replication["value"].to_numpy(float))


def summarise_groups(groups: Groups, values: np.ndarray) -> pd.DataFrame:
    """`summarise` of values whose groups by area and KPI are known (`Groups`)."""
    import pandas as pd

    labels, whole, (table,), _ = grouped_arrays(groups, [values], with_members=False)
    mean = np.full(len(labels), np.nan)
    low, high, sd = mean.copy(), mean.copy(), mean.copy()
    valid = np.zeros(len(labels), np.int64)
    rows = table[whole]
    mean[whole], half, sd[whole] = _t_rows_sd(rows)
    low[whole], high[whole] = mean[whole] - half, mean[whole] + half
    valid[whole] = table.shape[1]
    for g in np.flatnonzero(~whole).tolist():
        values = table[g][~np.isnan(table[g])]
        mean[g], low[g], high[g] = t_interval(values)
        sd[g] = float(values.std(ddof=1)) if values.size > 1 else np.nan
        valid[g] = values.size
    units = kpi_units()
    frame = pd.DataFrame(labels, columns=KEYS) if labels else pd.DataFrame(columns=KEYS)
    frame["unit"] = [units.get(k.split(".")[0], "") for k in frame["kpi"].tolist()]
    low, high = within_range(frame["unit"].tolist(), mean, low, high)
    return frame.assign(mean=mean, ci95_low=low, ci95_high=high, sd=sd, replications=valid)
