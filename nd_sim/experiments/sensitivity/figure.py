"""The tornado chart: how far the KPI moves when each input goes from its low end to its
high end with the others at their values, largest swing on top."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from nd_sim.experiments.sensitivity.analyse import number
from nd_sim.report.figures.style import (
    LABEL_SIZE,
    NOTE_SIZE,
    OKABE_ITO,
    TICK_SIZE,
    add_title,
    new_figure,
    place_subtitle,
    style_axes,
    thousands_axis,
)

LOW_COLOUR = OKABE_ITO["sky_blue"]
HIGH_COLOUR = OKABE_ITO["vermillion"]
MAX_BARS = 20


def tornado_figure(table: pd.DataFrame, what: str, unit: str, replications: int) -> Figure:
    """Bars from the KPI at the base values to the KPI with one input at each end."""
    rows = table.sort_values("swing", ascending=False).head(MAX_BARS).iloc[::-1]
    fig = new_figure(1.6 + 0.32 * len(rows))
    ax = fig.add_subplot()
    base = float(rows["kpi_at_value"].iloc[0]) if len(rows) else 0.0
    y = range(len(rows))
    for i, row in zip(y, rows.itertuples(index=False), strict=True):
        for end, colour in ((row.kpi_at_low, LOW_COLOUR), (row.kpi_at_high, HIGH_COLOUR)):
            ax.barh(i, end - base, left=base, color=colour, height=0.6)
        ax.text(
            max(row.kpi_at_low, row.kpi_at_high, base),
            i,
            f"  {row.low:,g} – {row.high:,g}",
            va="center",
            fontsize=NOTE_SIZE,
            color="#333333",
        )
    ax.axvline(base, color=OKABE_ITO["black"], linewidth=0.8)
    ax.set_yticks(list(y), [str(p) for p in rows["input"]], fontsize=TICK_SIZE)
    ax.set_xlabel(f"{what} ({unit})", fontsize=LABEL_SIZE)
    ax.margins(x=0.25)
    style_axes(ax)
    thousands_axis(ax, "x")
    handles = [
        Patch(color=LOW_COLOUR, label="input at its low end"),
        Patch(color=HIGH_COLOUR, label="input at its high end"),
    ]
    fig.legend(
        handles=handles, fontsize=NOTE_SIZE, frameon=False, loc="outside lower center", ncols=2
    )
    add_title(
        fig,
        f"What moves {what} most",
        f"Each bar: the mean over {replications} replications (common random numbers) with one "
        f"input at the end of its range and every other at its value ({number(base)} {unit}, "
        "the line). The range is written beside each bar.",
    )
    place_subtitle(fig)
    return fig
