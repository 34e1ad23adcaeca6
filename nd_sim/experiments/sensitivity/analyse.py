"""Indices from the design's KPI values, the one-at-a-time swings, and the words for them.

Morris: μ* is the mean absolute change of the KPI when the input steps across its range
(in quantile space, so in the KPI's own units for a step from the input's low end to its
high end), σ the spread of those changes (interactions or curvature). Sobol: S1 is the
share of the KPI's variance the input explains alone, ST with its interactions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nd_sim.experiments.sensitivity.design import MORRIS_LEVELS, Design, Input
from nd_sim.results import registry

MATTERS_SHARE = 0.1  # an input "matters" if its effect is at least this share of the largest
CONF_LEVEL = 0.95
BOOTSTRAP_SEED = 20260401


@dataclass(frozen=True)
class Swing:
    """The KPI with one input at its low end and at its high end, the others at their values."""

    input: Input
    at_low: float
    at_high: float

    @property
    def size(self) -> float:
        """How far the KPI moves across the input's range."""
        return abs(self.at_high - self.at_low)


def indices(design: Design, y: np.ndarray) -> pd.DataFrame:
    """One row per input: μ*, σ (Morris) or S1, ST (Sobol), with their 95% CIs."""
    problem = design.problem
    if design.method == "morris":
        from SALib.analyze import morris

        found = morris.analyze(
            problem, design.quantiles, y, num_levels=MORRIS_LEVELS, conf_level=CONF_LEVEL,
            seed=BOOTSTRAP_SEED,
        )  # fmt: skip
        frame = pd.DataFrame(
            {
                "mu_star": found["mu_star"],
                "mu_star_ci95": found["mu_star_conf"],
                "mu": found["mu"],
                "sigma": found["sigma"],
            }
        )
        key = "mu_star"
    else:
        from SALib.analyze import sobol

        found = sobol.analyze(
            problem, y, calc_second_order=False, conf_level=CONF_LEVEL, seed=BOOTSTRAP_SEED
        )
        frame = pd.DataFrame(
            {
                "S1": found["S1"],
                "S1_ci95": found["S1_conf"],
                "ST": found["ST"],
                "ST_ci95": found["ST_conf"],
            }
        )
        key = "ST"
    frame.insert(0, "input", [i.path for i in design.inputs])
    frame.insert(1, "value", [i.value for i in design.inputs])
    frame.insert(2, "low", [i.low for i in design.inputs])
    frame.insert(3, "high", [i.high for i in design.inputs])
    frame.insert(4, "dist", [i.dist for i in design.inputs])
    frame.insert(5, "members", [len(i.members) for i in design.inputs])
    order = frame[key].abs().rank(ascending=False, method="min").astype(int)
    frame.insert(6, "rank", order)
    return frame.sort_values(["rank", "input"]).reset_index(drop=True)


def with_swings(frame: pd.DataFrame, swings: list[Swing], base: float) -> pd.DataFrame:
    """The table with each input's one-at-a-time swing (the tornado's bars)."""
    by_path = {s.input.path: s for s in swings}
    out = frame.copy()
    out["kpi_at_value"] = base
    out["kpi_at_low"] = [by_path[p].at_low for p in out["input"]]
    out["kpi_at_high"] = [by_path[p].at_high for p in out["input"]]
    out["swing"] = (out["kpi_at_high"] - out["kpi_at_low"]).abs()
    return out


def matters(frame: pd.DataFrame, method: str) -> pd.DataFrame:
    """The inputs whose effect is at least `MATTERS_SHARE` of the largest, by rank."""
    key = "mu_star" if method == "morris" else "ST"
    effect = frame[key].abs()
    top = float(effect.max()) if len(effect) else 0.0
    if not np.isfinite(top) or top <= 0:
        return frame.iloc[:0]
    return frame[effect >= MATTERS_SHARE * top].sort_values("rank")


def paragraph(frame: pd.DataFrame, method: str, what: str, kpi: str, replications: int) -> str:
    """Which few inputs matter, in words for a commissioner deciding where data is worth it."""
    unit = registry.unit(kpi)
    key = "mu_star" if method == "morris" else "ST"
    chosen = matters(frame, method)
    n = len(frame)
    if chosen.empty:
        return (
            f"None of the {n} uncertain inputs moves {what} at all across its range "
            f"(on {replications} replications per point, common random numbers)."
        )
    named = [_named(row, key, unit) for row in chosen.itertuples(index=False)]
    rest = n - len(chosen)
    lead = (
        f"Of the {n} uncertain inputs, {len(chosen)} matter for {what}: "
        if len(chosen) > 1
        else f"Of the {n} uncertain inputs, one matters for {what}: "
    )
    tail = {
        0: "",
        1: " The other one moves it by less than a tenth of the largest effect.",
    }.get(rest, f" The other {rest} move it by less than a tenth of the largest effect each.")
    return (
        lead
        + "; ".join(named)
        + "."
        + tail
        + " Better evidence on the first of these would narrow the answer most."
    )


def _named(row, key: str, unit: str) -> str:
    value = getattr(row, key)
    if key == "mu_star":
        return (
            f"{row.input} (μ* {number(value)} {unit} across its range {row.low:,g}–{row.high:,g})"
        )
    return f"{row.input} (ST {value:.2f}, S1 {row.S1:.2f}, range {row.low:,g}–{row.high:,g})"


def number(value: float) -> str:
    """A KPI value as people read it: whole numbers with commas from 100, else 3 figures."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
