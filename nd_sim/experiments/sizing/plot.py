"""The curve the solver explored: the KPI against the lever with its 95% band, the threshold,
the answer, and what each value costs, drawn in the report's look (Okabe–Ito colours, which
any colour vision can tell apart; the `Figure` has its own canvas, so no pyplot state).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from nd_sim.experiments.sizing.solver import Solution
from nd_sim.experiments.sizing.target import Target
from nd_sim.experiments.sizing.window import Window
from nd_sim.report.figures.style import (
    LABEL_SIZE,
    NOTE_SIZE,
    OKABE_ITO,
    SERIES,
    add_title,
    new_figure,
    place_subtitle,
    style_axes,
)

COST = OKABE_ITO["orange"]
MISS = "#ffffff"


def curve_figure(
    curve: pd.DataFrame,
    solutions: list[Solution],
    target: Target,
    window: Window,
    confidence: float,
    where: str,
) -> Figure:
    """KPI mean (markers: filled where the target was met) with its 95% CI band per lever;
    the threshold as a dashed line; the answer marked; the yearly cost on a second axis."""
    fig = new_figure(4.6)
    ax = fig.add_subplot(1, 1, 1)
    style_axes(ax)
    cost_ax = ax.twinx()
    cost_ax.spines["top"].set_visible(False)
    any_cost = False
    for k, solution in enumerate(solutions):
        colour = SERIES[k % len(SERIES)]
        rows = curve[curve.lever == solution.lever.name].sort_values("value")
        x = rows.value.to_numpy(float)
        ax.fill_between(
            x, rows.kpi_ci95_low, rows.kpi_ci95_high, color=colour, alpha=0.18, linewidth=0
        )
        ax.plot(x, rows.kpi_mean, color=colour, linewidth=1.4, label=solution.lever.name)
        met = rows.meets_target.to_numpy(bool)
        ax.scatter(x[met], rows.kpi_mean[met], color=colour, s=22, zorder=3)
        ax.scatter(x[~met], rows.kpi_mean[~met], facecolor=MISS, edgecolor=colour, s=22, zorder=3)
        if solution.answer is not None:
            ax.axvline(solution.answer.x, color=colour, linestyle=":", linewidth=1.2)
            ax.annotate(
                f"answer: {solution.lever.amount(solution.answer.x)}",
                (solution.answer.x, 0.02 + 0.06 * k),
                xycoords=("data", "axes fraction"),
                xytext=(4, 0),
                textcoords="offset points",
                fontsize=NOTE_SIZE,
                color=colour,
            )
        cost = rows.cost_per_year_gbp.to_numpy(float)
        if not np.all(np.isnan(cost)):
            any_cost = True
            cost_ax.plot(x, cost, color=COST, linestyle="--", linewidth=1.0)
    ax.axhline(target.threshold, color=OKABE_ITO["black"], linestyle="--", linewidth=1.0)
    ax.annotate(
        f"target {target.op} {target.threshold_text()}",
        (0, target.threshold),
        xycoords=("axes fraction", "data"),
        xytext=(2, 3),
        textcoords="offset points",
        fontsize=NOTE_SIZE,
    )
    ax.set_xlabel(f"lever: {_lever_axis(solutions)}", fontsize=LABEL_SIZE)
    ax.set_ylabel(f"{target.kpi.label} ({target.kpi.unit})", fontsize=LABEL_SIZE)
    if any_cost:
        cost_ax.set_ylabel("cost a year, £ (dashed)", fontsize=LABEL_SIZE, color=COST)
        cost_ax.tick_params(labelsize=7, colors=COST)
        cost_ax.yaxis.set_major_formatter(FuncFormatter(_pounds))
        cost_ax.set_ylim(bottom=0)
    else:
        cost_ax.set_visible(False)
    if len(solutions) > 1:
        ax.legend(fontsize=NOTE_SIZE, frameon=False, loc="best")
    reps = solutions[0].zero.met.size
    add_title(
        fig,
        f"{target.kpi.label.capitalize()} {window.describe(target.kpi.kind)}, {where}, "
        "against the lever",
        f"Mean over {reps} replications with its 95% CI (band); filled markers: the target was "
        f"met in at least {confidence:.0%} of replications; open markers: not. The dotted line "
        "marks the answer, the dashed black line the threshold, the dashed orange line the "
        "lever's cost a year (right axis).",
    )
    place_subtitle(fig)
    return fig


def _lever_axis(solutions: list[Solution]) -> str:
    lever = solutions[0].lever
    if len(solutions) > 1:
        return f"{lever.unit}, each profession on its own"
    return f"{lever.name} ({lever.unit})"


def _pounds(value: float, _pos=None) -> str:
    if math.isnan(value):
        return ""
    if abs(value) >= 1_000_000:
        return f"£{value / 1_000_000:g}m"
    if abs(value) >= 1_000:
        return f"£{value / 1_000:g}k"
    return f"£{value:g}"
