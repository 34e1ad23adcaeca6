"""The areas a replication's KPIs are reported for: each district, each team, the county.

Every per-area figure is worked out for all areas at once from per-district counts and
sums, and every order statistic of every area from a few passes over the children, which
find the value range holding each wanted rank and sort only those values
(`results.compiled.selected_values`): nothing is masked, sorted or summed once per area in
Python, so the cost grows with the children, not with children x areas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nd_sim.inputs.model import Model

COUNTY = "county"


@dataclass(frozen=True)
class Areas:
    """Districts first, then teams, then the county, as the KPI tables list them.

    `districts[a]` are area a's districts (None for the county: every child); `member[d]`
    the areas district d belongs to, one a layer, with index `len(kinds)` (a dummy area)
    where a district is in fewer layers; `matrix[a, d]` is 1 where district d is in area a.
    """

    kinds: tuple[str, ...]
    names: tuple[str, ...]
    districts: tuple[list[int] | None, ...]
    member: np.ndarray
    matrix: np.ndarray

    def __len__(self) -> int:
        return len(self.kinds)

    def counts(self, per_district: np.ndarray) -> np.ndarray:
        """Whole numbers per district (last axis) summed to every area: exact."""
        return per_district @ self.matrix.T

    def sums(self, per_district: np.ndarray) -> np.ndarray:
        """Real numbers per district summed to every area, with numpy's own summation
        order for each area's districts (the figures stay bit-for-bit what a sum over the
        area's districts gives)."""
        out = np.empty(len(self.kinds))
        for a, districts in enumerate(self.districts):
            if districts is None:
                out[a] = per_district.sum()
            elif len(districts) == 1:
                out[a] = per_district[districts[0]]
            else:
                out[a] = per_district[districts].sum()
        return out


def model_areas(model: Model) -> Areas:
    """The model's districts, teams and county."""
    kinds, names, chosen = [], [], []
    for d, name in enumerate(model.districts):
        kinds.append("district")
        names.append(name)
        chosen.append([d])
    for t, name in enumerate(model.teams):
        kinds.append("team")
        names.append(name)
        chosen.append([d for d, team in enumerate(model.team_of_district) if team == t])
    kinds.append("county")
    names.append(COUNTY)
    chosen.append(None)
    return areas_of(kinds, names, chosen, len(model.districts))


def areas_of(
    kinds: list[str], names: list[str], chosen: list[list[int] | None], n_districts: int
) -> Areas:
    """Areas from their district lists (None: every district)."""
    matrix = np.zeros((len(chosen), n_districts), np.int64)
    for a, districts in enumerate(chosen):
        matrix[a, slice(None) if districts is None else districts] = 1
    return Areas(tuple(kinds), tuple(names), tuple(chosen), membership(chosen, n_districts), matrix)


def membership(areas: list[list[int] | None] | tuple, n_districts: int) -> np.ndarray:
    """Row d: the areas district d belongs to, one column per layer of areas (a district
    in fewer layers points the spare columns at a dummy area, index len(areas))."""
    layers: list[list[int]] = [[] for _ in range(n_districts)]
    for g, districts in enumerate(areas):
        for d in range(n_districts) if districts is None else districts:
            layers[d].append(g)
    width = max((len(x) for x in layers), default=1)
    member = np.full((n_districts, width), len(areas), np.int64)
    for d, groups in enumerate(layers):
        member[d, : len(groups)] = groups
    return member


def quantiles(
    values: np.ndarray, district: np.ndarray, areas: Areas, n: np.ndarray, qs: tuple[float, ...]
) -> np.ndarray:
    """Each area's quantiles `qs` of its children's values (numpy's default, linear
    method, the same arithmetic), shape (areas, quantiles); NaN for an empty area.
    `n` is each area's number of values. The order statistics are selected, not sorted
    for (`compiled.selected_values`), unless a value is not finite or is -0.0."""
    from nd_sim.results.compiled import ranked_values, selected_values  # numba: when needed

    n_all = np.append(n, 0)  # the dummy area
    virtual = (n_all[:, None] - 1) * np.asarray(qs)
    low = np.floor(virtual).astype(np.int64)
    values = np.ascontiguousarray(values, np.float64)
    district = np.ascontiguousarray(district, np.int64)
    ranked, selected = selected_values(values, district, areas.member, low)
    if not selected:
        order = value_order(values)
        ranked = ranked_values(values[order], district[order], areas.member, low)
    return linear(ranked, virtual, low, n_all)[:-1]


def value_order(values: np.ndarray) -> np.ndarray:
    """`numpy.argsort(values, kind="stable")` of reals, by the compiled radix sort."""
    from nd_sim.engine.bulk import stable_argsort  # numba: loaded only when needed

    return stable_argsort(np.ascontiguousarray(values, np.float64))


def linear(ranked: np.ndarray, virtual: np.ndarray, low: np.ndarray, n: np.ndarray) -> np.ndarray:
    """numpy's linear quantile from the values at ranks low and low + 1 (last axis of
    `ranked`), with its own arithmetic: the same bits as `numpy.quantile`."""
    below, above, frac = ranked[..., 0], ranked[..., 1], virtual - low
    diff = above - below
    out = np.where(frac >= 0.5, above - diff * (1 - frac), below + diff * frac)
    out = np.where(low >= n[..., None] - 1, below, out)
    out[n == 0] = np.nan
    return out
