"""Which districts an option helps and which it hurts, for the terminal, `options.md` and
the report: a commissioner must see that lending the north central's staff shortens
Lancaster's waits *and* lengthens Preston's, not only the county's average.

A district gains (or loses) when the paired 95% CI of its change in the median wait from
referral to an outcome (`pathway_wait_median_weeks`) lies wholly on the good (bad) side of
zero and the change would show at a tenth of a week.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from nd_sim.experiments.ranking import significantly_better, significantly_worse
from nd_sim.report.numbers import number

EQUITY_KPI = "pathway_wait_median_weeks"


def gains_and_losses(
    table: pd.DataFrame, folder: str, kpi: str = EQUITY_KPI
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(district, paired change) of the districts that clearly gain and clearly lose,
    largest change first, from a comparison table (comparison.csv's columns)."""
    rows = table[(table.folder == folder) & (table.area_type == "district") & (table.kpi == kpi)]
    gain, lose = [], []
    for r in rows.itertuples(index=False):
        low, high, diff = r.diff_ci95_low, r.diff_ci95_high, r.diff_from_base
        if significantly_better(kpi, low, high, diff):
            gain.append((str(r.area), float(diff)))
        elif significantly_worse(kpi, low, high, diff):
            lose.append((str(r.area), float(diff)))
    gain.sort(key=lambda x: x[1])
    lose.sort(key=lambda x: -x[1])
    return gain, lose


def district_words(
    gain: list[tuple[str, float]],
    lose: list[tuple[str, float]],
    fmt: Callable[[str, float], str] | None = None,
) -> str:
    """ "Lancaster (−3.3 weeks) and Wyre (−3.8) wait less for an outcome; Preston (+10.0)
    waits longer", or "" when no district clearly changes. `fmt(area, change)` may write
    each number (the report wraps it in a span naming its source)."""

    def show(area: str, diff: float) -> str:
        return fmt(area, diff) if fmt is not None else number(diff, 1, signed=True)

    parts = []
    for names, verb_one, verb_many in (
        (gain, "waits less", "wait less"),
        (lose, "waits longer", "wait longer"),
    ):
        if not names:
            continue
        shown = [
            f"{area} ({show(area, diff)}{' weeks' if k == 0 else ''})"
            for k, (area, diff) in enumerate(names)
        ]
        listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        parts.append(f"{listed} {verb_one if len(shown) == 1 else verb_many} for an outcome")
    return "; ".join(parts)
