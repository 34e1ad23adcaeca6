"""Districts side by side, before and after each option: which families wait longest, and
which an option helps or hurts. Two panels share the district axis, sorted by the base's
median wait to an outcome (longest first): that median (base as a bar, each option as a
marker in its own colour, the county as a dashed line) and the children waiting 52 weeks
or more at the end. A county average can hide one district's families waiting twice as
long as another's; this figure cannot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nd_sim.report.data import ReportData
from nd_sim.report.figures.style import (
    GREY,
    LABEL_SIZE,
    NOTE_SIZE,
    add_title,
    new_figure,
    place_subtitle,
    scenario_colours,
    style_axes,
)
from nd_sim.results.kpis import COUNTY

PANELS = (
    ("pathway_wait_median_weeks", "median weeks from\nreferral to an outcome"),
    ("open_52w_plus_end", "children waiting\n52+ weeks at the end"),
)


def _means(data: ReportData, kpi: str, area_type: str) -> pd.DataFrame:
    """Mean of `kpi` by area (rows) and scenario slug (columns)."""
    table = data.comparison
    rows = table[(table.kpi == kpi) & (table.area_type == area_type)]
    return rows.pivot_table(index="area", columns="folder", values="mean", aggfunc="first")


def districts_side_by_side(data: ReportData) -> Figure:
    """The districts' whole-pathway waits and year-long waiters, base against each option."""
    colours = scenario_colours(data)
    base = data.scenarios[0].slug
    order = _means(data, PANELS[0][0], "district")[base].sort_values(ascending=False).index
    fig = new_figure(5.8)
    axes = fig.subplots(2, 1, sharex=True)
    x = np.arange(len(order))
    for ax, (kpi, label) in zip(axes, PANELS, strict=True):
        style_axes(ax)
        means = _means(data, kpi, "district").reindex(order)
        county = _means(data, kpi, "county")
        ax.bar(x, means[base], color=GREY, width=0.6, label=data.scenarios[0].label)
        for k, run in enumerate(data.scenarios[1:]):
            if run.slug in means:
                offset = (k - (len(data.scenarios) - 2) / 2) * 0.12
                ax.scatter(
                    x + offset, means[run.slug], color=colours[run.slug], s=22, zorder=3,
                    label=run.label,
                )  # fmt: skip
        if kpi == PANELS[0][0] and COUNTY in county.index:
            ax.axhline(county.loc[COUNTY, base], color="black", linestyle="--", linewidth=0.9)
            ax.annotate(
                "county (base)", (x[-1] + 0.4, county.loc[COUNTY, base]), xytext=(0, 3),
                textcoords="offset points", ha="right", fontsize=NOTE_SIZE,
            )  # fmt: skip
        ax.set_ylabel(label, fontsize=LABEL_SIZE)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, fontsize=NOTE_SIZE, frameon=False, loc="outside lower center", ncols=3
    )
    axes[1].set_xticks(x)
    axes[1].set_xticklabels(order, rotation=35, ha="right")
    axes[1].set_xlabel("district, longest median wait first (in the base)", fontsize=LABEL_SIZE)
    add_title(
        fig,
        "Districts side by side: who waits longest, and what each option changes",
        "Bars: the base; markers: each option. Sorted by the base's median wait to an outcome.",
    )
    place_subtitle(fig)
    return fig
