"""The mix search's path as a figure: the KPI after each accepted step (filled where the
target was met), the threshold, and below it the WTE of each profession the mix holds, so a
reader sees which professions the search bought, in which order, and which it took back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nd_sim.experiments.sizing.mix_search import MixResult
from nd_sim.report.figures.style import (
    LABEL_SIZE,
    NOTE_SIZE,
    SERIES,
    add_title,
    new_figure,
    place_subtitle,
    style_axes,
)
from nd_sim.results import registry


def path_figure(path: pd.DataFrame, request, result: MixResult) -> Figure:
    """Two panels sharing the step axis: the KPI (or objective) and the WTE by profession."""
    fig = new_figure(5.6)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for ax in (top, bottom):
        style_axes(ax)
    steps = path.step.to_numpy()
    top.plot(steps, path.kpi_mean, color=SERIES[0], linewidth=1.4)
    if request.budget_form:
        ylabel = registry.label(request.objective.kpi)
        top.scatter(steps, path.kpi_mean, color=SERIES[0], s=22, zorder=3)
        title = "The budget search: each step buys the move with the largest gain per £"
    else:
        target = request.size.target
        ylabel = target.kpi.label
        met = path.replications_met.to_numpy(float) >= np.ceil(
            request.confidence * request.replications - 1e-9
        )
        top.scatter(steps[met], path.kpi_mean[met], color=SERIES[0], s=22, zorder=3)
        top.scatter(
            steps[~met], path.kpi_mean[~met], facecolor="white", edgecolor=SERIES[0], s=22,
            zorder=3,
        )  # fmt: skip
        top.axhline(target.threshold, color="#555555", linestyle="--", linewidth=1.0)
        top.annotate(
            f"target {target.op} {target.threshold:g}",
            (steps[-1], target.threshold),
            xytext=(0, 3),
            textcoords="offset points",
            ha="right",
            fontsize=NOTE_SIZE,
        )
        title = "The mix search: add the best step per £, then take back any not needed"
    top.set_ylabel(_wrap(ylabel), fontsize=LABEL_SIZE)
    _stacked(bottom, path, steps)
    bottom.set_xlabel("step of the search (0 = nothing added)", fontsize=LABEL_SIZE)
    bottom.set_ylabel("extra WTE", fontsize=LABEL_SIZE)
    bottom.set_xticks(steps)
    bottom.set_xticklabels([f"{s}\n{a}" for s, a in zip(steps, path.action, strict=True)])
    subtitle = (
        "Filled markers: the target met in enough replications." if not request.budget_form else ""
    )
    add_title(fig, title, subtitle)
    place_subtitle(fig)
    return fig


def _stacked(ax, path: pd.DataFrame, steps: np.ndarray) -> None:
    """WTE by profession (summed over teams), stacked."""
    columns = [c for c in path.columns if c.startswith("wte.")]
    professions = list(dict.fromkeys(c.split(".")[1] for c in columns))
    bottom = np.zeros(len(path))
    for k, prof in enumerate(professions):
        mine = [c for c in columns if c.split(".")[1] == prof]
        wte = path[mine].sum(axis=1).to_numpy(float)
        if not wte.any():
            continue
        colour = SERIES[k % len(SERIES)]
        ax.bar(steps, wte, bottom=bottom, color=colour, width=0.7, label=prof.replace("_", " "))
        bottom += wte
    if bottom.any():
        ax.legend(fontsize=NOTE_SIZE, frameon=False, ncols=3, loc="upper left")


def _wrap(text: str, width: int = 34) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])
