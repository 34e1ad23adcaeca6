"""A one-team scenario from NHS England's published Autism Waiting Time Statistics.

The long-format CSV (one row per month, area, breakdown and metric; both the
`METRIC_DESCRIPTION` and the later `METRIC_NAME` vintages; `*` suppressed; sub-national
counts rounded to 5) gives, for a sub-ICB location and children aged 0-17:

* ASD12a, new referrals in the month -> `referrals_per_week` (Poisson interval; rounding to
  5 adds up to ±2.5 a month, said in the note);
* ASD13a, closed referrals in the month -> the team's throughput: the template's first team
  is scaled so that its whole-assessment capacity (the analytic panel's) equals the
  closures a week less the withdrawals the template's hazard expects from the open list;
* ASD16b and ASD16c, children with an open referral, and those open 13 weeks or more, in
  the last month at or before the as-of date -> a starting list profiled by weeks waited
  (0-13 weeks, and 13-52 weeks: the statistics say only "at least 13", so the upper end is
  an assumption, marked as such).

Everything else (the pathway, triage, DNAs, withdrawals, costs) is the template's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import tomli_w

from nd_sim.calibration.fit import Estimate, poisson_rate
from nd_sim.errors import Problem, ScenarioError
from nd_sim.inputs.analytic import team_panels
from nd_sim.inputs.model import compile_model
from nd_sim.scenario.models import Scenario
from nd_sim.scenario.uncertain import prune_ranges

METRICS = {"ASD12a": "referrals", "ASD13a": "closures", "ASD16b": "open", "ASD16c": "open_13w"}
NEEDED = ("REPORTING_PERIOD_START", "PRIMARY_LEVEL", "METRIC", "METRIC_VALUE")
LONGEST_WEEKS = 52.0  # assumption: the upper end of "open 13 weeks or more"


def read_autism_stats(path: Path, code: str) -> tuple[pd.DataFrame, str]:
    """Monthly referrals, closures, open and open 13+ weeks (children) for one sub-ICB
    location, and its name; `ScenarioError` naming what is missing or unknown."""
    return monthly_for(load_autism_stats(path), code)


def load_autism_stats(path: Path) -> pd.DataFrame:
    """The published file as text columns, checked for the columns the fit needs."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            str(path), [Problem("--autism-stats", str(path), f"cannot read: {exc}")]
        ) from None
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        rule = "required column of the Autism Waiting Time Statistics long format"
        raise ScenarioError(str(path), [Problem(f"column {c}", "(missing)", rule) for c in missing])
    return frame


def sub_icb_codes(frame: pd.DataFrame) -> list[str]:
    """Every sub-ICB location in the file, in its order."""
    return list(dict.fromkeys(frame.PRIMARY_LEVEL.str.strip().str.upper()))


def monthly_for(frame: pd.DataFrame, code: str) -> tuple[pd.DataFrame, str]:
    """One location's monthly series and its name (see `read_autism_stats`)."""
    key = code.strip().upper()
    mine = frame[frame.PRIMARY_LEVEL.str.strip().str.upper() == key]
    if "SECONDARY_LEVEL" in mine:
        mine = mine[mine.SECONDARY_LEVEL.str.strip().str.upper().isin(["NONE", ""])]
    if mine.empty:
        known = ", ".join(sorted(frame.PRIMARY_LEVEL.str.strip().unique())[:20])
        raise ScenarioError(
            "--sub-icb", [Problem("--sub-icb", code, f"not in the file; e.g. {known}")]
        )
    mine = mine[mine.METRIC.isin(METRICS)]
    values = pd.to_numeric(mine.METRIC_VALUE.str.strip().replace("*", np.nan), errors="coerce")
    month = pd.to_datetime(
        mine.REPORTING_PERIOD_START.str.strip(), format="%d/%m/%Y", errors="coerce"
    )
    table = (
        pd.DataFrame({"month": month, "metric": mine.METRIC.map(METRICS), "value": values})
        .dropna(subset=["month"])
        .pivot_table(index="month", columns="metric", values="value", aggfunc="first")
        .reindex(columns=list(METRICS.values()))
        .sort_index()
    )
    names = (
        frame.loc[mine.index, "PRIMARY_LEVEL_DESCRIPTION"]
        if "PRIMARY_LEVEL_DESCRIPTION" in frame
        else []
    )
    name = str(names.iloc[0]) if len(names) else key
    return table, name


def published_scenario(
    monthly: pd.DataFrame, template: Scenario, as_of: dt.date, code: str, name: str, source: str
) -> tuple[str, list[Estimate]]:
    """The scenario (TOML text) and its fitted numbers."""
    known = monthly[monthly.index <= pd.Timestamp(as_of)]
    if known.empty or known.referrals.isna().all():
        rule = f"no month at or before --as-of {as_of} with ASD12a referrals"
        raise ScenarioError("--as-of", [Problem("--as-of", str(as_of), rule)])
    days = known.index.days_in_month.to_numpy(float)
    weeks = float(days[~known.referrals.isna()].sum() / 7)
    n_ref = int(known.referrals.sum())
    rate, low, high = poisson_rate(n_ref, weeks)
    span = f"{source} ({name}), {known.index[0]:%b %Y} to {known.index[-1]:%b %Y}"
    rounding = "counts are rounded to 5, so each month is ±2.5"
    estimates = [
        Estimate(
            f"districts.{code}.referrals_per_week",
            code,
            rate,
            low,
            high,
            f"ASD12a new referrals aged 0-17 / weeks ({rounding})",
            n_ref,
        ),
    ]
    last = known.dropna(subset=["open"]).iloc[-1] if known.open.notna().any() else None
    open_all = float(last.open) if last is not None else 0.0
    open_13 = float(last.open_13w) if last is not None and not np.isnan(last.open_13w) else 0.0
    closures = known.closures.dropna()
    close_weeks = float(closures.index.days_in_month.to_numpy(float).sum() / 7)
    closed, c_low, c_high = poisson_rate(int(closures.sum()), close_weeks)
    hazard = template.pathway.withdrawal.weekly_hazard
    completed = max(closed - hazard * open_all, 0.0)
    team = next(iter(template.teams))
    district = next(d for d in template.districts.values() if d.team == team)
    one_team = template.model_copy(
        update={
            "districts": {code: district.model_copy(update={"referrals_per_week": rate})},
            "teams": {team: template.teams[team]},
            "interventions": [],
            "starting_list": template.starting_list.model_copy(update={"csv": None, "profile": []}),
        }
    )
    capacity = team_panels(compile_model(one_team))[0].capacity_per_week
    scale = completed / capacity if capacity > 0 else np.nan
    estimates.append(
        Estimate(
            f"teams.{team}.staff (WTE scale)",
            team,
            scale,
            max(c_low - hazard * open_all, 0) / capacity,
            (c_high - hazard * open_all) / capacity,
            f"ASD13a closures {closed:.1f} a week less {hazard * open_all:.1f} expected "
            f"withdrawals, against the template team's capacity {capacity:.1f} a week",
            int(closures.sum()),
        )
    )
    raw = _raw(
        one_team,
        team,
        code,
        rate,
        low,
        high,
        scale,
        span,
        estimates,
        as_of,
        open_all,
        open_13,
        last,
    )
    raw["name"] = f"{name}: from the Autism Waiting Time Statistics"
    raw["description"] = (
        f"One team fitted to {span}; the pathway and everything else are the template's "
        f"({template.name})."
    )
    return tomli_w.dumps(prune_ranges(raw)), estimates


def _raw(
    one_team, team, code, rate, low, high, scale, span, estimates, as_of, open_all, open_13, last
):
    raw = one_team.model_dump(mode="python", by_alias=True, exclude={"notes"}, exclude_none=True)
    n = estimates[0].n
    note = f"fitted from {span}: {rate:.3g} a week, 95% CI {low:.3g} to {high:.3g}, n = {n}"
    raw["districts"][code]["referrals_per_week"] = {"value": round(rate, 4), "note": note}
    raw["districts"][code].pop("children", None)
    for prof, group in one_team.teams[team].staff.items():
        raw["teams"][team]["staff"][prof]["wte"] = {
            "value": round(group.wte * scale, 4),
            "note": f"template's {group.wte:g} WTE x {scale:.3f} ({estimates[1].method})",
        }
    raw["start_date"] = as_of
    raw["demand"]["shocks"] = []
    raw["demand"]["criteria_changes"] = []
    raw["demand"]["growth_per_year"] = {
        "value": 0.0,
        "note": "assumption: too few months to fit growth",
    }
    raw["demand"]["seasonality"] = "none"
    raw["demand"].pop("monthly_multipliers", None)
    month = f"{last.name:%B %Y}" if last is not None else "no month"
    raw["starting_list"] = {
        "profile": [
            {
                "district": code,
                "weeks_waiting_min": 0.0,
                "weeks_waiting_max": 13.0,
                "count": {
                    "value": int(max(open_all - open_13, 0)),
                    "note": f"ASD16b - ASD16c, {month}",
                },
            },
            {
                "district": code,
                "weeks_waiting_min": 13.0,
                "weeks_waiting_max": LONGEST_WEEKS,
                "count": {
                    "value": int(open_13),
                    "note": f"ASD16c, {month}; assumption: spread to {LONGEST_WEEKS:g} weeks",
                },
            },
        ]
    }
    raw["starting_list"]["profile"] = [
        b for b in raw["starting_list"]["profile"] if b["count"]["value"] > 0
    ]
    return raw


def published_figure(monthly: pd.DataFrame, name: str):
    """The published series: referrals and closures a month, the open list and its 13+ weeks."""
    from nd_sim.report.figures.style import (
        LABEL_SIZE,
        SERIES,
        add_legend,
        add_title,
        axes_entries,
        new_figure,
        place_subtitle,
        style_axes,
    )

    fig = new_figure(4.6)
    left, right = fig.subplots(1, 2)
    for ax in (left, right):
        style_axes(ax)
    left.plot(
        monthly.index, monthly.referrals, "o-", color=SERIES[0], label="new referrals (ASD12a)"
    )
    left.plot(monthly.index, monthly.closures, "s-", color=SERIES[1], label="closed (ASD13a)")
    left.set_ylabel("referrals a month", fontsize=LABEL_SIZE)
    right.plot(monthly.index, monthly.open, "o-", color=SERIES[2], label="open (ASD16b)")
    right.plot(
        monthly.index, monthly.open_13w, "s-", color=SERIES[3], label="open 13+ weeks (ASD16c)"
    )
    right.set_ylabel("children on the list", fontsize=LABEL_SIZE)
    for ax in (left, right):
        ax.set_xlabel("month", fontsize=LABEL_SIZE)
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    add_legend(fig, axes_entries(left, right), ncols=2)
    add_title(fig, f"Published series: {name}", "Children aged 0-17; counts rounded to 5.")
    place_subtitle(fig)
    return fig
