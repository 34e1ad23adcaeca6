"""The fan chart of the open waiting list, the report's first picture of how many children
wait, county and each district, week by week: a median line with bands across replications,
so that the randomness of one run is never mistaken for a trend. `open_list_bands` turns any
weekly stock into those quantiles and `draw_fan` draws a band with its median; `within_13w` uses
both for the long waiters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from nd_sim.report.data import ReportData, ScenarioResult
from nd_sim.report.figures.events import event_handles, event_note, mark, report_events
from nd_sim.report.figures.style import (
    COLUMNS,
    LABEL_SIZE,
    add_legend,
    add_title,
    area_grid,
    county_title,
    date_axis,
    district_names,
    grid_height,
    legend_height,
    new_figure,
    period_label,
    place_subtitle,
    replication_count,
    scenario_colours,
    scenario_handles,
    thousands_axis,
    where_label,
)
from nd_sim.results.bands import CHANCE, CHANCE_AND_ASSUMPTIONS, band_kind

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)  # the fan's bands and median


def quantile_bands(table: pd.DataFrame, qs=QUANTILES) -> pd.DataFrame:
    """Rows: x; columns: replications -> rows: x; columns: the quantiles across replications."""
    return pd.DataFrame({q: table.quantile(q, axis=1) for q in qs})


def open_list_bands(run: ScenarioResult, column: str = "open_referrals") -> dict[str, pd.DataFrame]:
    """Per area (each district and 'county'): quantiles across replications of a weekly stock.

    Rows are dates at the END of each week (stocks are counted then); columns are the
    quantiles 0.05, 0.25, 0.5, 0.75 and 0.95. Worked out on a (replication, week,
    district) array, the same numbers as pandas' pivots and quantiles (a test holds them
    equal) at a fraction of the cost: 1,000 replications' weekly rows took 1.1 s a stock."""
    weekly = run.weekly
    week, weeks = pd.factorize(weekly["week_start"].to_numpy(), sort=True)
    rep, reps = pd.factorize(weekly["replication"].to_numpy(), sort=True)
    district, names = pd.factorize(weekly["district"], sort=False)  # as they first appear
    shape = (reps.size, weeks.size, names.size)
    cell = (rep * weeks.size + week) * names.size + district
    if cell.size != np.prod(shape) or (np.bincount(cell, minlength=cell.size) != 1).any():
        return _open_list_bands_grouped(weekly, column)  # not one row each: pandas' way
    values = np.empty(cell.size)
    values[cell] = weekly[column].to_numpy(float)
    values = values.reshape(shape)
    end = pd.DatetimeIndex(weeks, name="week_end") + pd.Timedelta(days=7)
    out = {"county": _bands(values.sum(axis=2), end)}
    for d, name in enumerate(names):
        out[str(name)] = _bands(values[:, :, d], end)
    return out


def _bands(table: np.ndarray, index: pd.DatetimeIndex) -> pd.DataFrame:
    """(replications, weeks) -> rows: weeks; columns: the quantiles across replications,
    by numpy's percentile as pandas' `quantile` calls it."""
    qs = np.asarray(QUANTILES)
    levels = np.percentile(table, qs * 100, axis=0, method="linear")
    return pd.DataFrame(dict(zip(QUANTILES, levels, strict=True)), index=index)


def _open_list_bands_grouped(weekly: pd.DataFrame, column: str) -> dict[str, pd.DataFrame]:
    out = {}
    county = weekly.groupby(["week_start", "replication"])[column].sum().unstack()
    out["county"] = quantile_bands(county)
    for district, part in weekly.groupby("district", sort=False):
        out[str(district)] = quantile_bands(
            part.pivot(index="week_start", columns="replication", values=column)
        )
    for frame in out.values():
        frame.index = pd.DatetimeIndex(frame.index) + pd.Timedelta(days=7)
        frame.index.name = "week_end"
    return out


def draw_fan(
    ax: Axes, bands: pd.DataFrame, colour: str, inner: bool, lw: float = 1.4, gid: str = ""
) -> None:
    """A 90% band (and a 50% one if `inner`) with its median line; `gid` names the line
    (e.g. "fan:<option>:<area>") so that tests can find an option's line and its colour."""
    x = bands.index
    ax.fill_between(x, bands[0.05], bands[0.95], color=colour, alpha=0.15, linewidth=0)
    if inner:
        ax.fill_between(x, bands[0.25], bands[0.75], color=colour, alpha=0.3, linewidth=0)
    ax.plot(x, bands[0.5], color=colour, linewidth=lw, gid=gid or None)


BAND_WORDS = {  # what a band holds, as summary.csv's `bands` says it
    CHANCE: " (chance only, the assumptions fixed).",
    CHANCE_AND_ASSUMPTIONS: " (chance and uncertainty in the assumptions).",
}


def fan_chart(data: ReportData) -> Figure:
    """The open waiting list over time, county and each district, with intervention dates."""
    districts = district_names(data)
    colours = scenario_colours(data)
    events = report_events(data)
    single = data.kind != "comparison"
    keys = 3 if single else len(data.scenarios)
    fig = new_figure(grid_height(districts, 2.5) + legend_height(keys, events))
    county, panels = area_grid(fig, districts, county_height=1.7)
    for run in data.scenarios:
        bands = open_list_bands(run)
        colour = colours[run.slug]
        draw_fan(county, bands["county"], colour, single, lw=1.8, gid=f"fan:{run.slug}:county")
        for name, ax in panels.items():
            draw_fan(ax, bands[name], colour, single, lw=1.1, gid=f"fan:{run.slug}:{name}")
    mark(county, events)
    for name, ax in panels.items():
        mark(ax, events, district=name)
    county_title(county, data)
    date_axis(county, data, maxticks=10)
    thousands_axis(county)
    county.set_ylim(bottom=0)
    county.set_ylabel("open referrals\n(children)", fontsize=LABEL_SIZE)
    for i, ax in enumerate(panels.values()):
        date_axis(ax, data, maxticks=4)
        thousands_axis(ax)
        if i % COLUMNS == 0:
            ax.set_ylabel("children", fontsize=LABEL_SIZE)
    first = next(iter(panels.values()))
    first.set_ylim(bottom=0)
    for ax in list(panels.values())[-min(COLUMNS, len(panels)) :]:
        ax.set_xlabel("end of week", fontsize=LABEL_SIZE)
    reps = replication_count(data.base)
    subtitle = (
        f"{period_label(data.base)}; end of each week. Line: median of {reps} replications; "
        + ("bands: 50% and 90% of replications" if single else "band: 90% of replications")
        + BAND_WORDS[band_kind(data.base.scenario)]
        + event_note(events)
        + " District panels share one scale."
    )
    add_title(
        fig, f"Open referrals (the waiting list, at any stage): {where_label(data)}", subtitle
    )
    if single:
        colour = colours[data.base.slug]
        handles = [
            (Line2D([], [], color=colour, linewidth=1.8), "median"),
            (Patch(color=colour, alpha=0.45), "50% of replications"),
            (Patch(color=colour, alpha=0.15), "90% of replications"),
        ]
    else:
        handles = scenario_handles(data, colours)
    add_legend(fig, handles, event_handles(events), ncols=1 if events else 3)
    place_subtitle(fig)
    return fig
