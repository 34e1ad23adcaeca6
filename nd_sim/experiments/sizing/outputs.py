"""The tables `nd-sim size` writes: the curve it explored and the marginal gain of each step.

Both say which window they measure (`window_from`, `window_to`) and where (`area`), so a
table read on its own cannot be mistaken for a whole-run figure from `summary.csv`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from nd_sim.experiments.sizing.answer import lever_cost_to_by
from nd_sim.experiments.sizing.evaluate import Evaluator
from nd_sim.experiments.sizing.solver import Solution
from nd_sim.experiments.sizing.target import Target
from nd_sim.experiments.sizing.window import Window
from nd_sim.results.statistics import t_interval

CURVE_COLUMNS = (
    "lever",
    "value",
    "unit",
    "kpi",
    "area",
    "window_from",
    "window_to",
    "kpi_mean",
    "kpi_ci95_low",
    "kpi_ci95_high",
    "replications_met",
    "replications",
    "share_met",
    "meets_target",
    "is_answer",
    "cost_to_by_gbp_mean",
    "cost_per_year_gbp",
)


def curve_frame(
    evaluator: Evaluator,
    solutions: list[Solution],
    target: Target,
    window: Window,
    area: str,
    confidence: float,
) -> pd.DataFrame:
    """One row per lever value evaluated, in ascending order of the value."""
    rows = []
    kind = target.kpi.kind
    for solution in solutions:
        lever = solution.lever
        mine = [e for (name, _), e in evaluator.cache.items() if name == lever.name]
        for e in sorted(mine, key=lambda e: e.x):
            mean, low, high = e.interval
            rows.append(
                {
                    "lever": lever.name,
                    "value": e.x,
                    "unit": lever.unit,
                    "kpi": target.kpi.name,
                    "area": area,
                    "window_from": window.first_date(kind).isoformat(),
                    "window_to": window.last_date(kind).isoformat(),
                    "kpi_mean": mean,
                    "kpi_ci95_low": low,
                    "kpi_ci95_high": high,
                    "replications_met": e.n_met,
                    "replications": int(e.met.size),
                    "share_met": e.share_met,
                    "meets_target": bool(e.share_met >= confidence - 1e-12),
                    "is_answer": bool(solution.answer is not None and e.x == solution.answer.x),
                    "cost_to_by_gbp_mean": lever_cost_to_by(solution, e),
                    "cost_per_year_gbp": e.cost_per_year_gbp,
                }
            )
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def marginal_frame(
    evaluator: Evaluator, solutions: list[Solution], target: Target, window: Window, area: str
) -> pd.DataFrame:
    """The gain in the KPI from each step of the lever, paired replication by replication.

    `gain` is the improvement in the target's direction (positive = better): a rise for a
    "higher is better" KPI, a fall for waits and counts.
    """
    rows = []
    sign = 1.0 if target.higher_is_better else -1.0
    kind = target.kpi.kind
    for solution in solutions:
        lever = solution.lever
        points = [evaluator.cache[(lever.name, round(x / lever.step))] for x in solution.marginal]
        for a, b in itertools.pairwise(points):
            diff = sign * (b.values - a.values)
            gain, low, high = t_interval(diff)
            steps = (b.x - a.x) / lever.step
            rows.append(
                {
                    "lever": lever.name,
                    "from_value": a.x,
                    "to_value": b.x,
                    "unit": lever.unit,
                    "kpi": target.kpi.name,
                    "area": area,
                    "window_from": window.first_date(kind).isoformat(),
                    "window_to": window.last_date(kind).isoformat(),
                    "kpi_from_mean": a.interval[0],
                    "kpi_to_mean": b.interval[0],
                    "gain_mean": gain,
                    "gain_ci95_low": low,
                    "gain_ci95_high": high,
                    "gain_per_step": gain / steps if steps > 0 else np.nan,
                    "step": lever.step,
                    "replications_met_to": b.n_met,
                    "says": _says(lever, a.x, b.x, gain, target),
                }
            )
    return pd.DataFrame(rows)


def _says(lever, a: float, b: float, gain: float, target: Target) -> str:
    """ "the 5th extra WTE (4 to 5 WTE) buys 3.1 weeks off the median wait"."""
    if np.isnan(gain):
        return f"{lever.amount(a)} to {lever.amount(b)}: the KPI is undefined"
    unit = target.kpi.unit
    label = target.kpi.label
    size = abs(gain)
    if unit == "%":
        effect = f"{size:.1f} percentage points ({label})"
        effect = f"buys {effect}" if gain >= 0 else f"loses {effect}"
    elif unit == "weeks":
        effect = f"buys {size:.1f} weeks off" if gain >= 0 else f"adds {size:.1f} weeks to"
        effect += f" the {label}"
    else:
        effect = f"buys {size:,.0f} fewer" if gain >= 0 else f"leaves {size:,.0f} more"
        effect += f" {label}"
    if round(size, 1) == 0:
        effect = f"makes no measurable difference ({label})"
    what = f"{lever.amount(a)} to {lever.amount(b)}"
    if lever.unit == "WTE" and b - a == 1 and float(b).is_integer():
        what = f"the {_ordinal(int(b))} extra WTE ({what})"
    return f"{what} {effect}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
