"""When the benefit arrives, and whether it lasts: each option's paired difference from the base,
week by week, on the county's open list and its 52+ week waiters, with 95% bands. Financial
years (1 April) are marked because boards budget by them, and the day each option's
fixed-term money stops is marked because what happens after it is the question a board asks
of non-recurrent money. The same years, as numbers, are in `financial_years.csv`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from nd_sim.report.data import ReportData, ScenarioResult
from nd_sim.report.figures.style import (
    EVENT_GREY,
    GREY,
    LABEL_SIZE,
    NOTE_SIZE,
    PANEL_TITLE_SIZE,
    add_legend,
    add_title,
    date_axis,
    date_label,
    legend_height,
    new_figure,
    period_label,
    place_subtitle,
    scenario_colours,
    signed_tick,
    style_axes,
    wrap,
)
from nd_sim.results.financial_year import (
    financial_years,
    fixed_term_ends,
    paired_intervals,
    year_starts,
)

PANELS = {
    # column of weekly.parquet: panel title
    "open_referrals": "Open referrals (any stage): change from the base",
    "open_52w_plus": "Open referrals waiting 52+ weeks: change from the base",
}
BAND_ALPHA = 0.18
MIN_LABELLED_WEEKS = 13
DASHED = (0, (4, 2))
WRAP = 55  # characters a legend line holds, two columns to the page


def county_weekly(run: ScenarioResult, column: str) -> np.ndarray:
    """A weekly stock summed over districts, shape (replications, weeks), replication order."""
    table = run.weekly.groupby(["replication", "week"])[column].sum().unstack("week")
    return table.sort_index().to_numpy(float)


def difference_over_time(data: ReportData) -> Figure:
    """Each option minus the base at the end of every week (county), with paired 95% bands."""
    colours = scenario_colours(data)
    base, options = data.base, data.scenarios[1:]
    ends = money_ends(data, colours)
    key = _key(options, colours) + [(_dashed(e.colour), e.label) for e in ends]
    lines = sum(label.count("\n") + 1 for _, label in key)
    fig = new_figure(6.2 + legend_height(math.ceil(lines / 2) + 1, []))
    axes = fig.subplots(len(PANELS), 1, sharex=True)
    x = base.start_date + pd.to_timedelta(7 * (np.arange(base.scenario.horizon_weeks) + 1), "D")
    for ax, (column, title) in zip(axes, PANELS.items(), strict=True):
        style_axes(ax)
        reference = county_weekly(base, column)
        for run in options:
            diff = county_weekly(run, column) - reference
            mean, low, high = paired_intervals(diff)
            colour = colours[run.slug]
            ax.fill_between(x, low, high, color=colour, alpha=BAND_ALPHA, linewidth=0)
            ax.plot(x, mean, color=colour, linewidth=1.5, gid=f"diff:{column}:{run.slug}")
        for end in ends:
            ax.axvline(end.day, color=end.colour, linestyle=DASHED, linewidth=1.0)
        ax.axhline(0, color="black", linewidth=0.9)
        _mark_years(ax, base)
        ax.set_title(title, fontsize=PANEL_TITLE_SIZE + 0.5, fontweight="bold", loc="left")
        ax.set_ylabel("children\n(below 0: fewer than the base)", fontsize=LABEL_SIZE)
        ax.yaxis.set_major_formatter(FuncFormatter(signed_tick))
        date_axis(ax, data)
    axes[-1].set_xlabel("end of week", fontsize=LABEL_SIZE)
    _label_years(axes[0], base)
    add_legend(fig, key, ncols=2)
    reps = len(base.weekly["replication"].unique())
    subtitle = (
        f"County, {period_label(base)}. Line: mean over {reps} replications of the option minus "
        f"'{base.label}' at the end of each week, replication by replication (common random "
        "numbers); band: paired 95% CI. Grey lines: 1 April, a new financial year; dashed "
        "lines: the day fixed-term money ends (in grey when several options, or the base, "
        "share it). Yearly figures: financial_years.csv."
    )
    title = f"When the benefit arrives, and whether it lasts: against '{base.label}'"
    add_title(fig, title, subtitle)
    place_subtitle(fig)
    return fig


@dataclass(frozen=True)
class MoneyEnd:
    """A day on which fixed-term money ends inside the run, and whose it is."""

    day: pd.Timestamp
    label: str
    colour: str


def money_ends(data: ReportData, colours: dict[str, str]) -> list[MoneyEnd]:
    """One mark per day: an option's own end in its colour; an end several options share,
    or the base's own (it moves every difference), in grey. An option's end that the base
    shares changes nothing between them, so it is not marked."""
    base = data.base
    shared = set(fixed_term_ends(base.scenario))
    owners: dict[pd.Timestamp, list[ScenarioResult]] = {}
    for run in data.scenarios:
        for day in fixed_term_ends(run.scenario):
            inside = base.start_date < pd.Timestamp(day) < base.end_date
            if inside and (run is base or day not in shared):
                owners.setdefault(pd.Timestamp(day), []).append(run)
    out = []
    for day, runs in sorted(owners.items()):
        names = ", ".join(r.label + (" (base)" if r is base else "") for r in runs)
        own = len(runs) == 1 and runs[0] is not base
        colour = colours[runs[0].slug] if own else EVENT_GREY
        out.append(MoneyEnd(day, wrap(f"money ends {date_label(day)}: {names}", WRAP), colour))
    return out


def _dashed(colour: str) -> Line2D:
    return Line2D([], [], color=colour, linestyle=DASHED, linewidth=1.0)


def _mark_years(ax, base: ScenarioResult) -> None:
    for day in year_starts(base.scenario.start_date, base.scenario.horizon_weeks):
        ax.axvline(pd.Timestamp(day), color=GREY, linewidth=0.7, alpha=0.7, zorder=0)


def _label_years(ax, base: ScenarioResult) -> None:
    """Each financial year's name at the top of the panel, in the middle of its weeks."""
    start = base.start_date
    for year in financial_years(base.scenario.start_date, base.scenario.horizon_weeks):
        if year.end_week - year.first_week < MIN_LABELLED_WEEKS:
            continue  # too narrow for its name
        middle = start + pd.Timedelta(days=3.5 * (year.first_week + year.end_week))
        ax.annotate(
            year.label.split(" ")[0],
            (middle, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -2),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=NOTE_SIZE,
            color="#555555",
        )


def _key(options: list[ScenarioResult], colours: dict[str, str]) -> list[tuple]:
    return [
        (
            (
                Patch(color=colours[r.slug], alpha=BAND_ALPHA, linewidth=0),
                Line2D([], [], color=colours[r.slug], linewidth=1.5),
            ),
            wrap(r.label, WRAP),
        )
        for r in options
    ]
