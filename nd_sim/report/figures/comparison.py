"""The figures only a comparison has, for choosing between options: what each option changes
against the base on the key county KPIs (`paired_differences`, a forest plot of paired
differences on common random numbers with 95% CIs) and what that costs (`cost_benefit`, added
cost against weeks of median wait saved, each point labelled where its label overlaps
nothing).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from nd_sim.report.data import ReportData
from nd_sim.report.figures.style import (
    GREY,
    LABEL_SIZE,
    NOTE_SIZE,
    PANEL_TITLE_SIZE,
    TICK_SIZE,
    add_title,
    new_figure,
    period_label,
    place_subtitle,
    scenario_colours,
    signed_tick,
    style_axes,
    thousands_axis,
    where_label,
    wrap,
)
from nd_sim.report.numbers import MINUS, money_gbp, number, with_interval
from nd_sim.results import registry

KEY_KPIS = {  # kpi: (panel title, unit on the axis, lower is better), from the registry
    k: (
        registry.label(k)[0].upper() + registry.label(k)[1:],
        "percentage points" if registry.unit(k) == "%" else registry.unit(k),
        bool(registry.lower_is_better(k)),
    )
    for k in (
        "child_weeks_waiting",
        "first_wait_median_weeks",
        "referred_seen_within_13w_pct",
        "open_end",
        "open_52w_plus_end",
        "assessed",
    )
}


def _county_rows(data: ReportData, kpi: str) -> pd.DataFrame:
    table = data.comparison
    rows = table[(table["area_type"] == "county") & (table["kpi"] == kpi)]
    return rows.set_index("folder")


def paired_differences(data: ReportData) -> Figure:
    """Forest plot: each option's paired difference from the base on the key county KPIs."""
    colours = scenario_colours(data)
    alternatives = data.scenarios[1:]
    kpis = list(KEY_KPIS)
    ncols = 2
    nrows = math.ceil(len(kpis) / ncols)
    fig = new_figure(1.3 + nrows * (0.55 + 0.38 * len(alternatives)))
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    ys = np.arange(len(alternatives))[::-1]
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        title, unit, lower_better = KEY_KPIS[kpi]
        style_axes(ax)
        ax.grid(False, axis="y")
        rows = _county_rows(data, kpi)
        digits = 1 if unit in ("weeks", "percentage points") else 0
        notes = []
        for y, run in zip(ys, alternatives, strict=True):
            if run.slug not in rows.index:
                continue
            r = rows.loc[run.slug]
            d, lo, hi = r["diff_from_base"], r["diff_ci95_low"], r["diff_ci95_high"]
            lo = d if pd.isna(lo) else lo
            hi = d if pd.isna(hi) else hi
            ax.errorbar(
                d,
                y,
                xerr=[[max(d - lo, 0)], [max(hi - d, 0)]],
                fmt="o",
                color=colours[run.slug],
                markersize=4.5,
                elinewidth=1.4,
                capsize=3,
                gid=f"diff:{kpi}:{run.slug}",
            )
            text = with_interval(d, lo, hi, digits=digits, signed=True)  # no CI if no width
            notes.append((d, y, text))
        ax.axvline(0, color="black", linewidth=0.9)
        ax.set_title(
            wrap(title, 34), fontsize=PANEL_TITLE_SIZE + 0.5, fontweight="bold", loc="left", pad=3
        )
        arrow = "◀ better" if lower_better else "better ▶"
        what = f"change from base, {unit}"
        ax.set_xlabel(
            f"{arrow}    {what}" if lower_better else f"{what}    {arrow}", fontsize=LABEL_SIZE
        )
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(FuncFormatter(signed_tick))
        lo, hi = ax.get_xlim()
        span = max(abs(lo), abs(hi))
        lo, hi = min(lo, -0.1 * span) - 0.08 * span, max(hi, 0.1 * span) + 0.08 * span
        ax.set_xlim(lo, hi)
        for d, y, text in notes:  # the value and its CI above each point, kept inside
            where = (d - lo) / (hi - lo)
            ha = "left" if where < 0.3 else "right" if where > 0.7 else "center"
            dx = {"left": -6, "right": 6, "center": 0}[ha]
            ax.annotate(
                text,
                (d, y),
                xytext=(dx, 5),
                textcoords="offset points",
                ha=ha,
                va="bottom",
                fontsize=NOTE_SIZE - 0.5,
                color="#333333",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"},
            )
    for ax in axes.flat[len(kpis) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("option", fontsize=LABEL_SIZE)
        ax.set_yticks(ys)
        ax.set_yticklabels([wrap(r.label, 24) for r in alternatives], fontsize=TICK_SIZE)
    ax = axes[:, 0][0]
    ax.set_ylim(-0.6, len(alternatives) - 0.4)
    reps = int(_county_rows(data, "first_wait_median_weeks")["replications"].max())
    base = data.base.label
    subtitle = (
        f"County, {period_label(data.base)}. Point: mean over {reps} replications of each option "
        f"minus '{base}', replication by replication (common random numbers); bars: paired 95% "
        "CI. An interval that crosses zero means no clear difference."
    )
    add_title(fig, f"What each option changes, against '{base}'", subtitle)
    place_subtitle(fig)
    return fig


def cost_benefit(data: ReportData) -> Figure:
    """Added cost (£) against the gain on the objective (by default the child-weeks of waiting
    saved in the county), one labelled point per option.

    The cost is `ReportData.added_cost_gbp`, so an options folder shows the money committed
    (as options.csv and options.md do) and a comparison the added staff and outsourcing cost.
    """
    colours = scenario_colours(data)
    goal = data.objective
    wait = _county_rows(data, goal.kpi)
    what = registry.label(goal.kpi)
    unit = registry.unit(goal.kpi)
    per = {"child-weeks": "child-week", "weeks": "week", "children": "child"}.get(unit, unit)
    fig = new_figure(5.0)
    ax = fig.add_subplot()
    style_axes(ax)
    points = []
    for i, run in enumerate(data.scenarios):
        x = data.added_cost_gbp(run.slug)
        if run.slug not in wait.index or np.isnan(x):
            continue
        y, lo, hi = data.objective_gain(run.slug)
        lo = y if np.isnan(lo) else lo
        hi = y if np.isnan(hi) else hi
        ax.errorbar(
            x,
            y,
            yerr=[[max(y - lo, 0)], [max(hi - y, 0)]],
            fmt="o" if i else "D",
            color=colours[run.slug],
            markersize=6,
            elinewidth=1.4,
            capsize=3,
            gid=f"cost:{run.slug}",
            zorder=3,
        )
        label = wrap(run.label + (" (base)" if i == 0 else ""), 30)
        label += "\n" + money_gbp(x, short=True) if i else ""
        per_unit = data.cost_per_gain_gbp(run.slug) if i else np.nan
        digits = 0 if abs(y) >= 100 else 1
        if not np.isnan(per_unit):  # a cost, and a gain clear of zero
            label += f", {money_gbp(per_unit)} per {per} gained"
        elif i and (lo <= 0 <= hi or number(y, digits) in ("0", "0.0")):
            label += f": no clear change in the {what}"
        elif i and hi < 0:
            label += f": {number(-y, digits)} {unit} worse"
        points.append((x, y, label, colours[run.slug]))
    ax.axhline(0, color="black", linewidth=0.9)
    ax.axvline(0, color=GREY, linewidth=0.6)
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    ax.xaxis.set_major_formatter(FuncFormatter(_money_tick(max(abs(v) for v in xs))))
    options = data.options is not None
    ax.set_xlabel(
        "money committed (£), as in options.csv"
        if options
        else "added cost against the base over the run (£): staff and outsourcing",
        fontsize=LABEL_SIZE,
    )
    ax.set_ylabel(wrap(f"{what}: gain ({unit})", 34) + "\n(higher is better)", fontsize=LABEL_SIZE)
    if unit in ("children", "child-weeks"):
        thousands_axis(ax)
    xspan = max(max(xs) - min(xs), 1.0)
    yspan = max(max(ys) - min(ys), 1.0)
    ax.set_xlim(min(xs) - 0.1 * xspan, max(xs) + 0.45 * xspan)
    ax.set_ylim(min(min(ys), 0) - 0.15 * yspan, max(ys) + 0.2 * yspan)
    reps = int(wait["replications"].max())
    subtitle = (
        f"County, {period_label(data.base)}. Across: {data.cost_meaning}. Up: the gain in the "
        f"{goal.describe()}, the objective ranked on, against '{data.base.label}', paired "
        f"over {reps} replications, with its 95% CI; below zero, the option makes it worse. "
        "Up and to the left is better value."
    )
    add_title(fig, f"Cost against benefit: {where_label(data)}", subtitle)
    fig.draw_without_rendering()  # the final layout, so labels are placed where they end up
    _label_points(fig, ax, points)
    place_subtitle(fig)
    return fig


def _money_tick(largest: float):
    """Tick labels in £m when the axis reaches a million, else in whole pounds."""
    if largest >= 1e6:
        return lambda v, _: "£0" if v == 0 else f"£{v / 1e6:g}m".replace("£-", MINUS + "£")
    return lambda v, _: money_gbp(v)


def _label_points(fig: Figure, ax: Axes, points: list[tuple]) -> None:
    """Label each point beside it, trying positions ever further away (joined to the point by
    a thin line) until the label overlaps no other label and no point. Options that cost the
    same and change nothing sit on one another, so their labels must move apart."""
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    placed = [_marker_box(ax, x, y) for x, y, _, _ in points]
    offsets = [
        (dx, sign * (4 + 18 * ring)) for ring in range(8) for sign in (1, -1) for dx in (8, -8)
    ]
    for x, y, label, colour in sorted(points, key=lambda p: -p[1]):
        for dx, dy in offsets:
            text = _point_label(ax, x, y, label, colour, dx, dy)
            box = _words_box(text, renderer).padded(3)
            fits = inside.x0 <= box.x0 and box.x1 <= inside.x1
            fits = fits and inside.y0 <= box.y0 and box.y1 <= inside.y1
            if fits and not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()
        else:  # nowhere free: beside the point, overlapping
            text = _point_label(ax, x, y, label, colour, *offsets[0])
            placed.append(_words_box(text, renderer))


def _point_label(ax: Axes, x: float, y: float, label: str, colour: str, dx: float, dy: float):
    return ax.annotate(
        label,
        (x, y),
        xytext=(dx, dy),
        textcoords="offset points",
        ha="left" if dx > 0 else "right",
        va="bottom" if dy > 0 else "top",
        fontsize=NOTE_SIZE + 0.5,
        color="black",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour, "lw": 0.8},
        arrowprops=(
            {"arrowstyle": "-", "color": colour, "lw": 0.7, "relpos": (dx < 0, dy < 0)}
            if abs(dy) > 4
            else None
        ),  # a far label is joined to its point from its nearest corner
        zorder=4,
        annotation_clip=False,
        in_layout=False,  # placed after the layout, so they must not move the axes
    )


def _words_box(text: Annotation, renderer) -> Bbox:
    """The window box of a label's words, without the line to its point."""
    text.update_positions(renderer)  # an annotation is placed from its point at draw time
    return Text.get_window_extent(text, renderer)


def _marker_box(ax: Axes, x: float, y: float) -> Bbox:
    """The window box of a point's marker (about 8 points across)."""
    cx, cy = ax.transData.transform((x, y))
    half = 4 * ax.figure.dpi / 72
    return Bbox.from_extents(cx - half, cy - half, cx + half, cy + half)
