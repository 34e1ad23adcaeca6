"""Uncertain inputs: a number's range beside its value, and the scenario at any draw of them.

A scenario file may give any number a range: ``{ value = 0.003, low = 0.001, high = 0.006 }``.
The loader keeps the value where it stands and the range in ``Scenario.uncertain`` by dotted
path. Under parameter uncertainty a replication draws a quantile for each input (from its
own named random stream, so every option of a comparison sees the same draw) and runs the
scenario `at` those values; a sensitivity analysis sets them directly.

Shares that must sum to 1 (triage answers, the pathway mix, outcomes, priority classes) stay
summed to 1: when some members of such a group are set, the members not set are scaled to
make up the rest; if nothing is left to scale, the whole group is scaled.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from nd_sim.errors import Problem
from nd_sim.scenario import models
from nd_sim.scenario.paths import Part, dotted, get, is_number, parse, put

SPREAD_KEYS = frozenset({"low", "high", "dist", "sd", "group"})
LEAF_KEYS = frozenset({"value", "note", "source"}) | SPREAD_KEYS
FIXED_PATHS = ("horizon_weeks", "run.", "start_date")  # the shape of a run cannot vary


def is_leaf(node: Any) -> bool:
    """A number written with its note and/or range (``{ value = ..., ... }``)."""
    return isinstance(node, dict) and "value" in node and set(node) <= LEAF_KEYS


def spread_of(node: dict[str, Any]) -> dict[str, Any] | None:
    """The range part of a leaf, or None for a plain `{ value, note }`."""
    spread = {k: v for k, v in node.items() if k in SPREAD_KEYS}
    return spread or None


def range_problems(raw: dict[str, Any]) -> list[Problem]:
    """Every uncertain input must name a number of the scenario that lies in its range."""
    table = raw.get("uncertain")
    if not isinstance(table, dict):
        return []
    out = []
    for path, spec in table.items():
        where = str(path)
        if any(where == p or where.startswith(p) for p in FIXED_PATHS):
            rule = "cannot be uncertain: it sets the shape of the run, not a rate in it"
            out.append(Problem(where, where, rule))
            continue
        try:
            value = get(raw, parse(where))
        except LookupError:
            out.append(Problem(f"uncertain.{where}", where, "names no number in the scenario"))
            continue
        if not is_number(value):
            out.append(Problem(where, value, "a range can only be given to a number"))
            continue
        low, high = (spec.get(k) if isinstance(spec, dict) else None for k in ("low", "high"))
        if is_number(low) and is_number(high) and not low <= value <= high:
            rule = f"must lie within its range (low {low} to high {high})"
            out.append(Problem(where, value, rule))
    return out


def prune_ranges(raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` without the ranges a program's change has made stale: a range whose number is
    gone (a team removed) or was set outside it (a lever at 0.45 where the range was 0.06 to
    0.18). Only for scenarios a program builds: a file's stale range is an error instead."""
    table = raw.get("uncertain")
    if not isinstance(table, dict) or not table:
        return raw
    kept = {}
    for path, spec in table.items():
        try:
            value = get(raw, parse(path))
        except LookupError:
            continue
        low, high = float(spec["low"]), float(spec["high"])
        if is_number(value) and low <= value <= high:
            kept[path] = spec
    return {**raw, "uncertain": kept}


def at_ends(raw: dict[str, Any], end: str) -> dict[str, Any]:
    """The raw scenario with every uncertain input at its `end` ("low" or "high")."""
    table = raw.get("uncertain", {})
    values = {}
    for path, spec in table.items():
        try:
            if is_number(get(raw, parse(path))):
                values[path] = spec[end]
        except LookupError:
            continue  # reported by `range_problems`
    return at(raw, values)


def at(raw: dict[str, Any], values: dict[str, float], *, fresh: bool = False) -> dict[str, Any]:
    """The raw scenario with the numbers at `values` (by dotted path) and every group of
    shares it touches summed to 1 again; a copy, unless `fresh` says `raw` is the caller's
    own to change (a scenario just dumped, on a replication's path). A whole-number field
    whose range is whole numbers takes the nearest whole number."""
    out = raw if fresh else copy.deepcopy(raw)
    table = raw.get("uncertain", {})
    for path, value in values.items():
        parts = parse(path)
        if isinstance(get(raw, parts), int) and _whole(table.get(path)):
            value = round(value)
        put(out, parts, value)
    for group in share_groups(out):
        _rebalance(out, group, set(values))
    return out


def quantile(spec: models.UncertainInput, value: float, u: float) -> float:
    """The value at quantile `u` (0 to 1) of the input's distribution."""
    low, high = spec.low, spec.high
    if high <= low:
        return float(value)
    if spec.dist == "uniform":
        return low + u * (high - low)
    if spec.dist == "triangular":
        split = (value - low) / (high - low)
        if u < split:
            return low + math.sqrt(u * (high - low) * (value - low))
        return high - math.sqrt((1.0 - u) * (high - low) * (high - value))
    assert spec.sd is not None  # the model refuses normal and lognormal without sd
    if spec.dist == "lognormal":
        return math.exp(_cut_normal(math.log(value), spec.sd, math.log(low), math.log(high), u))
    return _cut_normal(value, spec.sd, low, high, u)


def _cut_normal(mean: float, sd: float, low: float, high: float, u: float) -> float:
    """Inverse CDF of a normal cut at low and high (exact at the ends, never outside)."""
    from scipy.special import ndtr, ndtri  # here: loading a scenario must stay light

    a, b = float(ndtr((low - mean) / sd)), float(ndtr((high - mean) / sd))
    if b - a < 1e-12:
        return min(max(mean, low), high)
    x = mean + sd * float(ndtri(a + u * (b - a)))
    return min(max(x, low), high)


def _whole(spec: Any) -> bool:
    """A range of whole numbers (in the raw form: a table with `low` and `high`)."""
    return isinstance(spec, dict) and all(
        float(spec.get(k, 0.5)).is_integer() for k in ("low", "high")
    )


# --------------------------------------------------------------------------------------------
# Groups of shares that must sum to 1
# --------------------------------------------------------------------------------------------

Member = tuple[list[Part], float]  # its path, and the default when the file leaves it out


def share_groups(raw: dict[str, Any]) -> list[list[Member]]:
    """The groups of shares in this scenario that must sum to 1, member by member."""
    groups: list[list[Member]] = []
    mix = models.ReferralMix.model_fields
    if isinstance(raw.get("demand", {}).get("referral_mix"), dict):
        groups.append(_table_group(["demand", "referral_mix"], mix))
    for name, district in raw.get("districts", {}).items():
        if isinstance(district, dict) and isinstance(district.get("referral_mix"), dict):
            groups.append(_table_group(["districts", name, "referral_mix"], mix))
    pathway = raw.get("pathway", {})
    if isinstance(pathway.get("outcomes"), dict):
        groups.append(_table_group(["pathway", "outcomes"], models.Outcomes.model_fields))
    if isinstance(pathway.get("triage"), dict):
        keys = ("accept", "signpost", "more_information")
        fields = {k: models.Triage.model_fields[k] for k in keys}
        groups.append(_table_group(["pathway", "triage"], fields))
    classes = raw.get("booking", {}).get("priority_classes", [])
    if isinstance(classes, list) and len(classes) > 1:
        for key, default in (("share_of_referrals", 0.0), ("share_of_new_slots", 1.0)):
            where = ["booking", "priority_classes"]
            groups.append([([*where, i, key], default) for i in range(len(classes))])
    return groups


def _table_group(where: list[Part], fields: dict[str, Any]) -> list[Member]:
    return [([*where, key], float(field.default)) for key, field in fields.items()]


def _rebalance(raw: dict[str, Any], group: list[Member], set_paths: set[str]) -> None:
    """Scale the members of `group` not in `set_paths` so the group sums to 1 again."""
    chosen = [dotted(parts) in set_paths for parts, _ in group]
    if not any(chosen):
        return
    values = [_value_or(raw, parts, default) for parts, default in group]
    fixed = sum(v for v, c in zip(values, chosen, strict=True) if c)
    rest = sum(v for v, c in zip(values, chosen, strict=True) if not c)
    if rest > 0 and fixed <= 1.0:
        scale = [1.0 if c else (1.0 - fixed) / rest for c in chosen]
    else:
        total = fixed + rest
        scale = [1.0 / total if total > 0 else 0.0] * len(group)
    for (parts, _), v, s in zip(group, values, scale, strict=True):
        if s != 1.0:
            _put_filled(raw, parts, v * s)


def _value_or(raw: dict[str, Any], parts: list[Part], default: float) -> float:
    try:
        value = get(raw, parts)
    except LookupError:
        return default
    return float(value) if is_number(value) else default


def _put_filled(raw: dict[str, Any], parts: list[Part], value: float) -> None:
    """Set a share, creating its key if the file left it to its default."""
    parent = get(raw, parts[:-1])
    parent[parts[-1]] = min(1.0, max(0.0, value))
