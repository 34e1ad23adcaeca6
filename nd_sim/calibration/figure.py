"""The calibration's evidence as one figure: the county's monthly referrals observed
against the fitted model (growth and month of year), and each team's completed
assessments a week over the last year against the mean the capacity fit uses."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from nd_sim.report.figures.style import (
    LABEL_SIZE,
    SERIES,
    add_legend,
    add_title,
    axes_entries,
    new_figure,
    place_subtitle,
    style_axes,
)


def calibration_figure(monthly: pd.DataFrame, weekly: pd.DataFrame) -> Figure:
    fig = new_figure(5.6)
    top, bottom = fig.subplots(2, 1)
    for ax in (top, bottom):
        style_axes(ax)
    county = monthly.groupby("start")[["count", "fitted"]].sum()
    per_day = county.div(monthly.groupby("start").days.first(), axis=0) * 30.4
    top.plot(per_day.index, per_day["count"], "o", color=SERIES[0], markersize=3, label="observed")
    top.plot(per_day.index, per_day["fitted"], color="black", linewidth=1.2, label="fitted")
    top.set_ylabel("referrals a month\n(county, per 30.4 days)", fontsize=LABEL_SIZE)
    top.set_xlabel("month", fontsize=LABEL_SIZE)
    for k, (team, rows) in enumerate(weekly.groupby("team", sort=False)):
        colour = SERIES[k % len(SERIES)]
        bottom.plot(rows.week, rows.completed, color=colour, linewidth=1.0, label=team)
        bottom.axhline(rows.completed.mean(), color=colour, linestyle="--", linewidth=0.8)
    bottom.set_xlabel("week of the last year before the as-of date", fontsize=LABEL_SIZE)
    bottom.set_ylabel("assessments\ncompleted a week", fontsize=LABEL_SIZE)
    add_legend(fig, axes_entries(top, bottom), ncols=6)
    add_title(
        fig,
        "Calibration: the history against the fitted scenario",
        "Dashed: each team's mean, which sets its staff (the capacity fit).",
    )
    place_subtitle(fig)
    return fig
