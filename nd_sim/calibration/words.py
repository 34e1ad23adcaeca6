"""`calibration.md`: what was fitted, from what, how well, and what stays an assumption."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from nd_sim.calibration.calibrate import Calibration
from nd_sim.calibration.history import History


def _number(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.4g}"


def calibration_markdown(result: Calibration, history: History, as_of: dt.date) -> str:
    lines = [
        "# Calibration",
        "",
        f"From {len(history.rows):,} referrals ({history.first_date} to {as_of}); "
        f"{history.rows_read:,} rows read, {len(history.rejected):,} problems set aside in "
        "`rejected_rows.csv`. Every fitted number is in `scenario.toml` with its estimate, "
        "95% interval and sample in its note; what the history cannot tell (the pathway's "
        "appointments and hours, workshops, costs, booking policy) is the template's.",
        "",
        "![The history against the fit](calibration.png)",
        "",
        "| parameter | area | estimate | 95% CI | n | method |",
        "|---|---|---|---|---|---|",
    ]
    for r in result.fit.itertuples(index=False):
        ci = "" if pd.isna(r.ci_low) else f"{_number(r.ci_low)} to {_number(r.ci_high)}"
        lines.append(
            f"| `{r.parameter}` | {r.area} | {_number(r.estimate)} | {ci} | {r.n:,} | {r.method} |"
        )
    lines += [
        "",
        "Capacity assumes each team worked at capacity over the last year (it had a backlog):",
        "its completed assessments a week then measure what its staff can do. A team that ran",
        "out of children would look smaller than it is.",
        "",
        f"The list at {as_of}: {len(result.waiting_list):,} children (`waiting_list.csv`), by "
        "stage: "
        + ", ".join(f"{k} {v:,}" for k, v in result.waiting_list.stage.value_counts().items())
        + ".",
    ]
    return "\n".join(lines) + "\n"
