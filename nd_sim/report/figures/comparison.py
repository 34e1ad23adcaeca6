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
from matplotlib.ticker import FuncFormatter, MaxNLocator

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
    signed_text,
    signed_tick,
    style_axes,
    thousands_axis,
    where_label,
    wrap,
)

KEY_KPIS = {
    # kpi: (panel title, unit on the axis, lower is better)
    "first_wait_median_weeks": ("Median wait to first appointment", "weeks", True),
    "referred_seen_within_13w_pct": (
        "Referrals first seen within 13 weeks (NICE QS51)",
        "percentage points",
        False,
    ),
    "open_end": ("Open referrals at the end", "children", True),
    "open_52w_plus_end": ("Open referrals waiting 52+ weeks at the end", "children", True),
    "assessed": ("Assessments completed over the run", "children", False),
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
    nrows = math.ceil((len(kpis) + 1) / ncols)
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
            text = (
                f"{signed_text(d, digits)} ({signed_text(lo, digits)} to {signed_text(hi, digits)})"
            )
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
    """Added cost (£) against weeks of county median wait saved, one labelled point per option."""
    colours = scenario_colours(data)
    cost = _county_rows(data, "intervention_cost_gbp")
    wait = _county_rows(data, "first_wait_median_weeks")
    ratio = _county_rows(data, "cost_per_week_of_median_wait_saved_gbp")
    fig = new_figure(5.0)
    ax = fig.add_subplot()
    style_axes(ax)
    points = []
    for i, run in enumerate(data.scenarios):
        if run.slug not in cost.index or run.slug not in wait.index:
            continue
        x = float(cost.loc[run.slug, "diff_from_base"])
        w = wait.loc[run.slug]
        y = -float(w["diff_from_base"])
        lo = -float(w["diff_ci95_high"]) if pd.notna(w["diff_ci95_high"]) else y
        hi = -float(w["diff_ci95_low"]) if pd.notna(w["diff_ci95_low"]) else y
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
        per_week = ratio["mean"].get(run.slug, np.nan) if i else np.nan
        if x > 0 and lo > 0 and pd.notna(per_week):  # a cost, and a saving clear of zero
            label += f"\n£{per_week:,.0f} per week saved"
        elif i and lo <= 0 <= hi:
            label += "\nno clear change in the median wait"
        points.append((x, y, label, colours[run.slug]))
    ax.axhline(0, color="black", linewidth=0.9)
    ax.axvline(0, color=GREY, linewidth=0.6)
    thousands_axis(ax, "x")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"£{v:,.0f}"))
    ax.set_xlabel(
        "added cost against the base over the run (£): staff and outsourcing", fontsize=LABEL_SIZE
    )
    ax.set_ylabel("weeks of median wait saved\n(higher is better)", fontsize=LABEL_SIZE)
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    xspan = max(max(xs) - min(xs), 1.0)
    yspan = max(max(ys) - min(ys), 1.0)
    ax.set_xlim(min(xs) - 0.1 * xspan, max(xs) + 0.45 * xspan)
    ax.set_ylim(min(min(ys), 0) - 0.15 * yspan, max(ys) + 0.2 * yspan)
    _label_points(fig, ax, points)
    reps = int(wait["replications"].max())
    subtitle = (
        f"County, {period_label(data.base)}. Weeks saved: fall in the median wait to a first "
        f"appointment against '{data.base.label}', paired over {reps} replications, with its "
        "95% CI. Up and to the left is better value."
    )
    add_title(fig, f"Cost against benefit: {where_label(data)}", subtitle)
    place_subtitle(fig)
    return fig


def _label_points(fig: Figure, ax: Axes, points: list[tuple]) -> None:
    """Label each point beside it, trying positions until the label overlaps nothing placed."""
    renderer = fig.canvas.get_renderer()
    placed = []
    offsets = [
        (8, 4, "left", "bottom"),
        (8, -4, "left", "top"),
        (-8, 4, "right", "bottom"),
        (-8, -4, "right", "top"),
        (8, 22, "left", "bottom"),
        (8, -22, "left", "top"),
        (-8, 22, "right", "bottom"),
        (-8, -22, "right", "top"),
    ]
    for x, y, label, colour in sorted(points, key=lambda p: -p[1]):
        for dx, dy, ha, va in offsets:
            text = ax.annotate(
                label,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=NOTE_SIZE + 0.5,
                color="black",
                bbox={
                    "boxstyle": "round,pad=0.2",
                    "fc": "white",
                    "ec": colour,
                    "lw": 0.8,
                    "alpha": 0.9,
                },
            )
            box = text.get_window_extent(renderer)
            inside = ax.get_window_extent(renderer)
            fits = (
                box.x0 >= inside.x0
                and box.x1 <= inside.x1
                and box.y0 >= inside.y0
                and box.y1 <= inside.y1
            )
            if fits and not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()
        else:
            text = ax.annotate(
                label, (x, y), xytext=(8, 4), textcoords="offset points", fontsize=NOTE_SIZE + 0.5
            )
            placed.append(text.get_window_extent(renderer))
