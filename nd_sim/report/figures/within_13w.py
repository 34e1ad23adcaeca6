"""The NICE QS51 view: an autism assessment should start within 3 months (13 weeks) of
referral, so this figure puts the share of each month's referrals first seen within 13 weeks
(the cohort of the `referred_seen_within_13w_pct` KPI) above the open referrals that have
already waited 13, 52 and 104 weeks or more. The module is `within_13w`, not
`within_13_weeks`, so that it does not share its name with the figure function the package
exports.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from nd_sim.report.data import ReportData, ScenarioResult
from nd_sim.report.figures.events import event_handles, event_note, mark, report_events
from nd_sim.report.figures.style import (
    LABEL_SIZE,
    NICE_WEEKS,
    OKABE_ITO,
    PANEL_TITLE_SIZE,
    add_legend,
    add_title,
    child_rows_words,
    date_axis,
    legend_height,
    new_figure,
    period_label,
    place_subtitle,
    replication_count,
    scenario_colours,
    scenario_handles,
    style_axes,
    thousands_axis,
    where_label,
)
from nd_sim.report.figures.waiting_list import draw_fan, open_list_bands, quantile_bands


def within_13_weeks_by_month(run: ScenarioResult) -> pd.DataFrame:
    """% of each month's referrals first seen within 13 weeks, per replication (county).

    The NICE QS51 cohort of `referred_seen_within_13w_pct`: children referred during the run
    at least 13 weeks before its end and not signposted at triage; children who left unseen
    count as not seen. Rows: month of referral; columns: replications.
    """
    c = run.children
    referral = pd.to_datetime(c["referral_date"])
    keep = (
        (c["start_stage"] == "new")
        & (referral <= run.end_date - pd.Timedelta(weeks=NICE_WEEKS))
        & (c["triage_result"] != "signposted")
    ).to_numpy()
    c, referral = c[keep], referral[keep]
    first = pd.to_datetime(c["first_appointment_date"])
    in_time = ((first - referral).dt.days <= 7 * NICE_WEEKS).to_numpy()  # NaT compares False
    frame = pd.DataFrame(
        {
            "month": referral.dt.to_period("M").dt.to_timestamp().to_numpy(),
            "replication": c["replication"].to_numpy(),
            "in_time": in_time,
        }
    )
    pct = frame.groupby(["month", "replication"])["in_time"].mean().unstack() * 100.0
    return pct


def within_13_weeks(data: ReportData) -> Figure:
    """% of each month's referrals seen within 13 weeks; open referrals waiting 13/52/104+."""
    colours = scenario_colours(data)
    events = report_events(data)
    single = data.kind != "comparison"
    keys = 3 if single else len(data.scenarios)
    fig = new_figure(7.0 + legend_height(keys if events else 1, events))
    if single:
        grid = fig.add_gridspec(2, 1, height_ratios=[1.0, 1.1])
        top = fig.add_subplot(grid[0])
        bottom = [fig.add_subplot(grid[1])]
    else:
        grid = fig.add_gridspec(2, 3, height_ratios=[1.1, 1.0])
        top = fig.add_subplot(grid[0, :])
        bottom = [fig.add_subplot(grid[1, 0])]
        bottom += [fig.add_subplot(grid[1, i], sharex=bottom[0]) for i in (1, 2)]
    for ax in [top, *bottom]:
        style_axes(ax)
    highest = 0.0
    band_keys: list[tuple] = []  # the long-waiter bands, for a single run
    for run in data.scenarios:
        pct = within_13_weeks_by_month(run)
        bands = quantile_bands(pct)
        highest = max(highest, float(np.nan_to_num(bands[0.95].max())))
        bands.index = bands.index + pd.Timedelta(days=14)
        draw_fan(top, bands, colours[run.slug], inner=False, lw=1.5, gid=f"within13:{run.slug}")
        top.plot(
            bands.index,
            bands[0.5],
            linestyle="none",
            marker="o",
            markersize=2.5,
            color=colours[run.slug],
        )
    mark(top, events)
    # From 0, up to a little above the highest band (not to 100%: options would be unreadable).
    top.set_ylim(0, min(100.0, max(10.0, math.ceil(highest * 1.15 / 5) * 5)))
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    top.set_ylabel("% first seen\nwithin 13 weeks", fontsize=LABEL_SIZE)
    top.set_xlabel("month of referral", fontsize=LABEL_SIZE)
    top.set_title(
        "County: % of each month's referrals first seen within 13 weeks of referral",
        fontsize=PANEL_TITLE_SIZE + 0.5,
        fontweight="bold",
        loc="left",
        pad=3,
    )
    date_axis(top, data, maxticks=12)
    bands_cols = [("open_13w_plus", "13"), ("open_52w_plus", "52"), ("open_104w_plus", "104")]
    if single:
        ax = bottom[0]
        band_colours = [OKABE_ITO["sky_blue"], OKABE_ITO["blue"], OKABE_ITO["black"]]
        for (column, weeks), colour in zip(bands_cols, band_colours, strict=True):
            draw_fan(ax, open_list_bands(data.base, column)["county"], colour, inner=False)
            band_keys.append((Line2D([], [], color=colour, linewidth=1.6), f"open ≥{weeks} weeks"))
        mark(ax, events)
        ax.set_title(
            "County: open referrals by weeks waited so far (13+, 52+ and 104+)",
            fontsize=PANEL_TITLE_SIZE + 0.5,
            fontweight="bold",
            loc="left",
            pad=3,
        )
        ax.set_ylabel("open referrals\n(children)", fontsize=LABEL_SIZE)
        ax.set_xlabel("end of week", fontsize=LABEL_SIZE)
        thousands_axis(ax)
        ax.set_ylim(bottom=0)
        date_axis(ax, data, maxticks=12)
    else:
        for ax, (column, weeks) in zip(bottom, bands_cols, strict=True):
            for run in data.scenarios:
                bands = open_list_bands(run, column)["county"]
                draw_fan(ax, bands, colours[run.slug], inner=False, gid=f"{column}:{run.slug}")
            mark(ax, events)
            ax.set_title(
                f"Open, waiting {weeks}+ weeks",
                fontsize=PANEL_TITLE_SIZE,
                fontweight="bold",
                loc="left",
                pad=3,
            )
            ax.set_xlabel("end of week", fontsize=LABEL_SIZE)
            thousands_axis(ax)
            ax.set_ylim(bottom=0)
            date_axis(ax, data, maxticks=4)
        bottom[0].set_ylabel("county: open referrals\n(children)", fontsize=LABEL_SIZE)
    reps = replication_count(data.base)
    subtitle = (
        "NICE QS51: an autism assessment should start within 3 months (13 weeks) of referral. "
        f"{period_label(data.base)}. Line: median of {reps} replications; "
        "band: 90% of replications. "
        f"Top ({child_rows_words(data.base)}): children referred during the run at least 13 "
        "weeks before its end, not "
        "signposted; those who left unseen count as not seen." + event_note(events)
    )
    add_title(fig, f"Seen within 13 weeks, and the long waiters: {where_label(data)}", subtitle)
    handles = band_keys if single else scenario_handles(data, colours)
    add_legend(fig, handles, event_handles(events), ncols=1 if events else 3)
    place_subtitle(fig)
    return fig
