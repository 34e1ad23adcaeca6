"""How long the children referred in each month wait for a first appointment, read off
Kaplan–Meier curves. A plain median of the waits finished so far would flatter recent months,
whose longest waiters are still waiting, so a child who left unseen or was still waiting at
the end is censored there. Where the median or 90th percentile is not reached, only a lower
bound is known (the longest follow-up, which shrinks towards the end of the run); it is drawn
dotted in a grey "not known yet" region, never as a line falling to zero. One figure shows
the county; the other adds a panel per district.
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
    GREY,
    LABEL_SIZE,
    NICE_WEEKS,
    NOTE_SIZE,
    OKABE_ITO,
    add_legend,
    add_title,
    area_grid,
    child_rows_words,
    county_title,
    date_axis,
    district_names,
    emphasise,
    grid_height,
    legend_height,
    new_figure,
    period_label,
    place_subtitle,
    scenario_colours,
    scenario_handles,
    style_axes,
    where_label,
)
from nd_sim.results.km import km_quantile


def first_wait_durations(run: ScenarioResult) -> pd.DataFrame:
    """Each child referred during the run: weeks to first appointment or to censoring.

    Columns: replication, district, month (first day of the referral month), weeks, seen.
    A child never seen is censored when they left the list unseen (`exit_date`) or, if still
    waiting, at the end of the run.
    """
    c = run.children
    c = c[c["start_stage"] == "new"]
    referral = pd.to_datetime(c["referral_date"])
    first = pd.to_datetime(c["first_appointment_date"])
    exit_ = pd.to_datetime(c["exit_date"])
    seen = first.notna()
    stop = first.where(seen, exit_.fillna(run.end_date))
    weeks = (stop - referral).dt.days.to_numpy(float) / 7.0
    return pd.DataFrame(
        {
            "replication": c["replication"].to_numpy(),
            "district": c["district"].astype(str).to_numpy(),
            "month": referral.dt.to_period("M").dt.to_timestamp().to_numpy(),
            "weeks": np.maximum(weeks, 0.0),
            "seen": seen.to_numpy(),
        }
    )


def referral_month_waits(run: ScenarioResult, district: str | None = None) -> pd.DataFrame:
    """Kaplan–Meier median and P90 weeks to first appointment by month of referral.

    Pooled over replications. Columns: month, children, median, median_reached, p90,
    p90_reached; where a quantile is not reached its value is the longest follow-up, an
    "at least" figure.
    """
    table = first_wait_durations(run)
    if district is not None:
        table = table[table["district"] == district]
    return _km_by_month(table)


def _km_by_month(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for month, part in table.groupby("month", sort=True):
        weeks, seen = part["weeks"].to_numpy(), part["seen"].to_numpy()
        median, median_reached = km_quantile(weeks, seen, 0.5)
        p90, p90_reached = km_quantile(weeks, seen, 0.9)
        rows.append((month, len(part), median, median_reached, p90, p90_reached))
    columns = ["month", "children", "median", "median_reached", "p90", "p90_reached"]
    return pd.DataFrame(rows, columns=columns)


def _km_series(ax: Axes, km: pd.DataFrame, colour: str, slug: str, area: str, small: bool):
    """Median (solid, dots) and P90 (dashed, squares) where known; a dotted lower bound where
    not, so that the falling "at least" values of recent months never read as falling waits.

    The lower bound starts at the last known value before each run of unknown months, so the
    reader sees the line go on, dotted, from where it stopped.
    """
    x = km["month"] + pd.Timedelta(days=14)  # the middle of the month
    size = 2.6 if small else 3.6
    median_known = km["median_reached"].to_numpy(bool)
    for q, style, marker in (("median", "-", "o"), ("p90", (0, (3, 1.5)), "s")):
        reached = km[f"{q}_reached"].to_numpy(bool)
        y = km[q].to_numpy(float)
        ax.plot(
            x,
            np.where(reached, y, np.nan),
            color=colour,
            linestyle=style,
            linewidth=0.9 if small else 1.3,
            marker="none" if small else marker,
            markersize=size * (0.8 if q == "p90" else 1.0),
            gid=f"km:{q}:{slug}:{area}",
        )
        # Where both quantiles are unknown they share one "at least" value: one line.
        unknown = ~reached if q == "median" else ~reached & median_known
        ax.plot(
            x,
            lower_bound_line(y, unknown),
            color=colour,
            linestyle=LOWER_BOUND_STYLE,
            linewidth=0.9 if small else 1.2,
            gid=f"km:{q}-at-least:{slug}:{area}",
        )


LOWER_BOUND_STYLE = (0, (1, 1.6))  # dotted: "at least this long"
UNKNOWN_GREY = "#d9d9d9"


def lower_bound_line(y: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """The y values of a dotted "at least" line: the unknown points, each run of them joined
    to the known point just before it; NaN elsewhere (so runs are not joined to each other)."""
    out = np.where(unknown, y, np.nan)
    starts = np.flatnonzero(unknown[1:] & ~unknown[:-1])  # known, then unknown
    out[starts] = y[starts]
    return out


def unknown_from(km: pd.DataFrame) -> pd.Timestamp | None:
    """The first referral month from which the median is not known (every later month too),
    or None when the last month's median is known."""
    reached = km["median_reached"].to_numpy(bool)
    if not len(km) or reached[-1]:
        return None
    last = np.flatnonzero(reached)
    return km["month"].iloc[last[-1] + 1 if last.size else 0]


def _unknown_span(ax: Axes, tables: list[pd.DataFrame], data: ReportData, label: bool) -> None:
    """Shade the referral months from which some option's median is not known yet."""
    starts = [s for s in (unknown_from(km) for km in tables) if s is not None]
    if not starts:
        return
    start = min(starts)
    ax.axvspan(start, data.base.end_date, color=UNKNOWN_GREY, alpha=0.45, linewidth=0, zorder=0.4)
    if not label:
        return
    ax.annotate(
        "not known yet: most children referred\nhere are still waiting at the end;\n"
        "dotted lines are lower bounds",
        xy=(start, 0.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, 3),
        textcoords="offset points",
        fontsize=NOTE_SIZE - 0.5,
        color="#444444",
        ha="left",
        va="bottom",
        bbox={"boxstyle": "square,pad=0.15", "fc": "#ececec", "ec": "none", "alpha": 0.9},
        zorder=4,
    )


def _nice_line(ax: Axes, label: bool) -> None:
    ax.axhline(NICE_WEEKS, color=OKABE_ITO["black"], linestyle=(0, (5, 3)), linewidth=0.9)
    if label:
        ax.annotate(
            "NICE QS51: 3 months",
            xy=(0.0, NICE_WEEKS),
            xycoords=("axes fraction", "data"),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=NOTE_SIZE,
            va="bottom",
            bbox={"boxstyle": "square,pad=0.1", "fc": "#f7f7f7", "ec": "none", "alpha": 0.9},
        )


def _km_handles(data: ReportData, colours: dict[str, str]) -> list:
    handles = []
    if data.kind == "comparison":
        handles += scenario_handles(data, colours, band=False)
    ink = colours[data.base.slug] if data.kind != "comparison" else GREY
    handles += [
        (Line2D([], [], color=ink, marker="o", markersize=3.6), "median (Kaplan–Meier)"),
        (
            Line2D([], [], color=ink, marker="s", markersize=2.9, linestyle=(0, (3, 1.5))),
            "90th percentile (Kaplan–Meier)",
        ),
        (
            (
                Patch(color=UNKNOWN_GREY, alpha=0.45, linewidth=0),
                Line2D([], [], color=ink, linestyle=LOWER_BOUND_STYLE, linewidth=1.2),
            ),
            "not known yet (still waiting at the end): at least this long",
        ),
        (
            Line2D([], [], color="black", linestyle=(0, (5, 3)), linewidth=0.9),
            "NICE QS51: assessment to start within 3 months (13 weeks)",
        ),
    ]
    return handles


def _km_subtitle(data: ReportData) -> str:
    return (
        f"Children referred {period_label(data.base)}, pooled over "
        f"{child_rows_words(data.base)}. "
        "Children who left unseen or were still waiting at the end are counted up to then "
        "(Kaplan–Meier). For recent months most children are still waiting when the run "
        "ends, so their wait is not known yet: the shaded months, where a dotted line shows "
        "only the least it can be."
    )


def waits_by_referral_month(data: ReportData) -> Figure:
    """County: KM median and P90 weeks from referral to first appointment, by referral month."""
    colours = scenario_colours(data)
    events = report_events(data)
    keys = 4 + (len(data.scenarios) if data.kind == "comparison" else 0)
    fig = new_figure(4.6 + legend_height(keys / 2 if not events else keys, events))
    ax = fig.add_subplot()
    style_axes(ax)
    emphasise(ax)
    tables = []
    for run in data.scenarios:
        km = _km_by_month(first_wait_durations(run))
        _km_series(ax, km, colours[run.slug], run.slug, "county", small=False)
        tables.append(km)
    _unknown_span(ax, tables, data, label=True)
    mark(ax, events)
    _nice_line(ax, label=True)
    county_title(ax, data)
    date_axis(ax, data, maxticks=12)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("month of referral", fontsize=LABEL_SIZE)
    ax.set_ylabel("weeks from referral to first appointment", fontsize=LABEL_SIZE)
    add_title(
        fig,
        f"Waits for a first appointment by month of referral: {where_label(data)}",
        _km_subtitle(data) + event_note(events),
    )
    add_legend(fig, _km_handles(data, colours), event_handles(events), ncols=1 if events else 2)
    place_subtitle(fig)
    return fig


def waits_by_referral_month_districts(data: ReportData) -> Figure:
    """The same as `waits_by_referral_month`, with a panel per district."""
    colours = scenario_colours(data)
    events = report_events(data)
    districts = district_names(data)
    keys = 4 + (len(data.scenarios) if data.kind == "comparison" else 0)
    legend = legend_height(keys / 2 if not events else keys, events)
    fig = new_figure(grid_height(districts, 2.6) + legend)
    county, panels = area_grid(fig, districts, county_height=1.6)
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in ["county", *panels]}
    for run in data.scenarios:
        table = first_wait_durations(run)
        colour = colours[run.slug]
        km = _km_by_month(table)
        _km_series(county, km, colour, run.slug, "county", small=False)
        tables["county"].append(km)
        for name, ax in panels.items():
            km = _km_by_month(table[table["district"] == name])
            _km_series(ax, km, colour, run.slug, name, small=True)
            tables[name].append(km)
    _unknown_span(county, tables["county"], data, label=True)
    for name, ax in panels.items():
        _unknown_span(ax, tables[name], data, label=False)
    mark(county, events)
    _nice_line(county, label=True)
    county_title(county, data)
    date_axis(county, data, maxticks=10)
    county.set_ylim(bottom=0)
    county.set_ylabel("weeks to first\nappointment", fontsize=LABEL_SIZE)
    for i, (name, ax) in enumerate(panels.items()):
        mark(ax, events, district=name)
        _nice_line(ax, label=False)
        date_axis(ax, data, maxticks=4)
        if i % COLUMNS == 0:
            ax.set_ylabel("weeks", fontsize=LABEL_SIZE)
    next(iter(panels.values())).set_ylim(bottom=0)
    for ax in list(panels.values())[-min(COLUMNS, len(panels)) :]:
        ax.set_xlabel("month of referral", fontsize=LABEL_SIZE)
    add_title(
        fig,
        f"Waits for a first appointment by month of referral, by district: {where_label(data)}",
        _km_subtitle(data) + event_note(events) + " District panels share one scale.",
    )
    add_legend(fig, _km_handles(data, colours), event_handles(events), ncols=1 if events else 2)
    place_subtitle(fig)
    return fig
