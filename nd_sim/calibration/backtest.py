"""`nd-sim backtest`: fit on the history before a date, simulate from the list at that date,
and compare with what happened next, against three naive forecasts.

Measures, by month after the date: the open list, those waiting 13 and 52 weeks or more
(at each month end), first appointments and completed assessments (in each month). The
model's P10-P90 band over replications either holds the observed value or not (`inside`);
its coverage is reported. Its median's mean absolute error is set beside three naive
forecasts' (the list stays flat; the last 12 months' linear trend goes on; the fluid
arithmetic of the analytic panel: today's list plus referrals less what the staff can
complete and those who leave). A model that does not beat them is told so plainly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nd_sim.engine.codes import ASSESSED, WAITING
from nd_sim.engine.replication import run_replication
from nd_sim.inputs.analytic import team_panels
from nd_sim.inputs.model import compile_model
from nd_sim.scenario.models import Scenario

MEASURES = (
    "open_list",
    "open_13w_plus",
    "open_52w_plus",
    "first_appointments",
    "assessments_completed",
)
STOCKS = MEASURES[:3]


def month_ends(start: dt.date, months: int) -> list[dt.date]:
    """The last day of each of the `months` months after `start`'s month."""
    out, day = [], start.replace(day=1)
    for _ in range(months + 1):
        nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append(nxt - dt.timedelta(days=1))
        day = nxt
    return [e for e in out if e >= start][:months]


def measures(
    referral: np.ndarray,
    first: np.ndarray,
    leave: np.ndarray,
    assessed: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    """(measures, months) from days: referral, first appointment, leaving (inf if not yet),
    whether the leaving was an outcome; `ends` are the month ends (days), the first's
    month counted from the day before the first end's month starts."""
    out = np.zeros((len(MEASURES), len(ends)))
    starts = np.r_[ends[0] - 31, ends[:-1]]
    for m, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        open_ = (referral <= hi) & (leave > hi)
        waited = hi - referral
        out[0, m] = open_.sum()
        out[1, m] = (open_ & (waited >= 91)).sum()
        out[2, m] = (open_ & (waited >= 364)).sum()
        out[3, m] = ((first > lo) & (first <= hi)).sum()
        out[4, m] = (assessed & (leave > lo) & (leave <= hi)).sum()
    return out


def observed(rows: pd.DataFrame, start: dt.date, ends: list[dt.date]) -> np.ndarray:
    """The measures from the history (dates relative to `start`)."""
    origin = pd.Timestamp(start)

    def days(column: str) -> np.ndarray:
        return ((rows[column] - origin).dt.total_seconds() / 86400).to_numpy(float)

    leave = np.fmin(days("exit_date"), days("outcome_date"))
    leave = np.where(np.isnan(leave), np.inf, leave)
    first = np.nan_to_num(days("first_appointment_date"), nan=np.inf)
    assessed = rows.outcome_date.notna().to_numpy()
    end_days = np.array([(e - start).days + 1 for e in ends], float)
    return measures(days("referral_date"), first, leave, assessed, end_days)


def simulated(scenario: Scenario, ends: list[dt.date], replications: int, seed: int) -> np.ndarray:
    """The measures in every replication: (replications, measures, months). Under the
    scenario's parameter uncertainty each replication draws the fitted rates from their
    confidence intervals, so that the band allows for the fit being off."""
    weeks = int(np.ceil(((ends[-1] - scenario.start_date).days + 1) / 7)) + 1
    model = compile_model(scenario.model_copy(update={"horizon_weeks": weeks}))
    end_days = np.array([(e - scenario.start_date).days + 1 for e in ends], float)
    out = []
    for r in range(replications):
        raw = run_replication(model, r, seed)
        leave = np.where(raw.exit_code == WAITING, np.inf, raw.exit_day)
        first = np.where(np.isnan(raw.first_day) | (raw.first_day < 0), np.inf, raw.first_day)
        assessed = raw.exit_code == ASSESSED
        out.append(measures(raw.referral_day, first, leave, assessed, end_days))
    return np.stack(out)


def naive(
    rows: pd.DataFrame, start: dt.date, ends: list[dt.date], scenario: Scenario
) -> dict[str, np.ndarray]:
    """The three naive forecasts, (measures, months) each."""
    before = rows[rows.referral_date < pd.Timestamp(start)]
    past_ends = month_ends(start - dt.timedelta(days=366), 12)
    past = observed(before, start, past_ends)
    now = observed(before, start, [start - dt.timedelta(days=1)])[:, 0]
    months = np.arange(1, len(ends) + 1)
    stock = (np.arange(len(MEASURES)) < len(STOCKS))[:, None]
    flat = np.where(stock, now[:, None], past[:, -3:].mean(axis=1)[:, None]) * np.ones(len(ends))
    x = np.arange(-len(past_ends) + 1, 1)
    slope = np.array([np.polyfit(x, series, 1)[0] for series in past])
    trend = np.where(stock, now[:, None], past[:, -1:]) + slope[:, None] * months
    fluid = np.full((len(MEASURES), len(ends)), np.nan)
    model = compile_model(scenario)
    panels = team_panels(model)
    per_month = 365.25 / 12 / 7
    capacity = sum(p.capacity_per_week for p in panels) * per_month
    demand = sum(p.demand_per_week for p in panels) * per_month
    leaving = sum(p.leavers_per_week_start for p in panels) * per_month
    referrals = sum(p.referrals_per_week for p in panels) * per_month
    signposted = referrals - demand
    fluid[0] = np.maximum(now[0] + (referrals - signposted - capacity - leaving) * months, 0.0)
    fluid[3] = capacity
    fluid[4] = capacity
    return {"flat": flat, "trend": trend, "fluid": fluid}


@dataclass(frozen=True)
class Backtest:
    table: pd.DataFrame  # month, measure, observed, p10, p50, p90, inside
    errors: pd.DataFrame  # measure, forecast, mae (and at 6 and 12 months for the list)
    coverage: float


def compare(
    obs: np.ndarray, sims: np.ndarray, forecasts: dict[str, np.ndarray], ends: list[dt.date]
) -> Backtest:
    p10, p50, p90 = np.percentile(sims, [10, 50, 90], axis=0)
    rows = []
    for k, name in enumerate(MEASURES):
        for m, end in enumerate(ends):
            inside = p10[k, m] <= obs[k, m] <= p90[k, m]
            rows.append(
                (end.strftime("%Y-%m"), name, obs[k, m], p10[k, m], p50[k, m], p90[k, m], inside)
            )
    table = pd.DataFrame(
        rows, columns=["month", "measure", "observed", "p10", "p50", "p90", "inside"]
    )
    errs = []
    for k, name in enumerate(MEASURES):
        for forecast, values in {"model median": p50, **forecasts}.items():
            if np.all(np.isnan(values[k])):
                continue
            errs.append((name, forecast, float(np.mean(np.abs(values[k] - obs[k])))))
    errors = pd.DataFrame(errs, columns=["measure", "forecast", "mean_abs_error"])
    return Backtest(table, errors, float(table.inside.mean()))


def backtest_markdown(
    result: Backtest, start: dt.date, months: int, replications: int, bands: str = ""
) -> str:
    """The verdict in words: coverage, and whether the median beats the naive forecasts."""
    lines = [
        f"# Backtest from {start}, {months} months",
        "",
        f"Fitted on the history before {start}, simulated {replications} times from the list "
        f"at {start}, and compared with what the history shows next. The P10-P90 band held "
        f"the observed value in {result.coverage:.0%} of the {len(result.table)} month-measure "
        "values (a well-calibrated 80% band holds about 80%).",
        "",
        "| measure | model median | flat | trend | fluid |",
        "|---|---|---|---|---|",
    ]
    verdicts = []
    for name in MEASURES:
        mine = result.errors[result.errors.measure == name].set_index("forecast").mean_abs_error
        cells = [
            f"{mine[f]:,.1f}" if f in mine else "–"
            for f in ("model median", "flat", "trend", "fluid")
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
        rivals = mine.drop("model median")
        if len(rivals) and mine["model median"] > rivals.min():
            verdicts.append(f"{name}: the {rivals.idxmin()} forecast did better than the model")
    lines += ["", "Mean absolute error of each forecast, by measure.", ""]
    if verdicts:
        lines += ["**The model did not beat every naive forecast:** " + "; ".join(verdicts) + "."]
    else:
        lines += ["The model's median beat every naive forecast on every measure."]
    lines += ["", bands, "", "![Observed against the model's band](backtest.png)", ""]
    return "\n".join(lines)


def backtest_figure(result: Backtest):
    """Each measure's observed values against the model's P10-P90 band and median."""
    from nd_sim.report.figures.style import (
        LABEL_SIZE,
        SERIES,
        add_title,
        new_figure,
        place_subtitle,
        style_axes,
    )

    fig = new_figure(7.0)
    axes = fig.subplots(len(MEASURES), 1, sharex=True)
    for ax, name in zip(axes, MEASURES, strict=True):
        style_axes(ax)
        rows = result.table[result.table.measure == name]
        x = np.arange(len(rows))
        ax.fill_between(x, rows.p10, rows.p90, color=SERIES[0], alpha=0.25, linewidth=0)
        ax.plot(x, rows.p50, color=SERIES[0], linewidth=1.2)
        ax.plot(x, rows.observed, "o", color="black", markersize=3)
        ax.set_ylabel(name.replace("_", " "), fontsize=LABEL_SIZE)
    axes[-1].set_xticks(np.arange(len(rows)))
    axes[-1].set_xticklabels(rows.month, rotation=45, ha="right")
    axes[-1].set_xlabel("month", fontsize=LABEL_SIZE)
    add_title(fig, "Backtest: what happened (dots) against the model (band P10-P90, line median)")
    place_subtitle(fig)
    return fig
