"""Staff capacity, which explains the waits: profession-hours each team has and uses week by
week (`staff`, with interventions marked in grey because colours already stand for
professions) and utilisation over the whole run with its 95% CI (`utilisation`), so that a
reader sees which team and profession is short or idle. The module is `staffing`, not
`staff`, so that it does not share its name with the figure function the package exports.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from nd_sim.report.data import ReportData, ScenarioResult
from nd_sim.report.figures.events import event_handles, event_note, mark, report_events
from nd_sim.report.figures.style import (
    GREY,
    LABEL_SIZE,
    NICE_WEEKS,
    PANEL_TITLE_SIZE,
    SERIES,
    TICK_SIZE,
    add_legend,
    add_title,
    date_axis,
    legend_height,
    new_figure,
    period_label,
    place_subtitle,
    profession_label,
    replication_count,
    style_axes,
    wrap,
)


def _profession_colours(data: ReportData) -> dict[str, str]:
    names: list[str] = []
    for run in data.scenarios:
        for p in run.scenario.professions:
            if p not in names:
                names.append(p)
    return {p: SERIES[i % len(SERIES)] for i, p in enumerate(names)}


def staff_hours(run: ScenarioResult) -> pd.DataFrame:
    """Per team, profession and week: 13-week centred rolling means of the median over
    replications of hours available and used. Index: (team, profession, week_start)."""
    med = (
        run.staff_weekly.groupby(["team", "profession", "week_start"])[
            ["hours_available", "hours_used"]
        ]
        .median()
        .sort_index()
    )
    return med.groupby(level=["team", "profession"], group_keys=False).apply(
        lambda g: g.rolling(NICE_WEEKS, center=True, min_periods=1).mean()
    )


def _team_title(run: ScenarioResult, team: str, width: int) -> str:
    served = [d for d, spec in run.scenario.districts.items() if spec.team == team]
    return wrap(f"{team.capitalize()} team: {', '.join(served)}", width)


def staff(data: ReportData) -> Figure:
    """Per team: profession-hours available (dashed) and used (solid) per week."""
    colours = _profession_colours(data)
    events = report_events(data)
    teams = list(data.base.scenario.teams)
    runs = data.scenarios
    if len(runs) == 1:
        ncols = min(2, len(teams))
        nrows = math.ceil(len(teams) / ncols)
        fig = new_figure(1.1 + 2.3 * nrows + legend_height(4, events))
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        cells = [(runs[0], team, axes.flat[i]) for i, team in enumerate(teams)]
        for ax in axes.flat[len(teams) :]:
            ax.set_visible(False)
        width = 48
    else:
        nrows, ncols = len(teams), len(runs)
        fig = new_figure(1.6 + 1.75 * nrows + legend_height(4, events))
        axes = fig.subplots(nrows, ncols, sharex=True, sharey="row", squeeze=False)
        cells = [
            (run, team, axes[r, c]) for r, team in enumerate(teams) for c, run in enumerate(runs)
        ]
        width = 26
    used_professions: list[str] = []
    for run, team, ax in cells:
        style_axes(ax)
        hours = staff_hours(run)
        if team in hours.index.get_level_values("team"):
            for profession, part in hours.loc[team].groupby(level="profession", sort=False):
                x = part.index.get_level_values("week_start")
                colour = colours.get(profession, GREY)
                ax.plot(
                    x, part["hours_available"], color=colour, linestyle=(0, (4, 2)), linewidth=1.1
                )
                ax.plot(x, part["hours_used"], color=colour, linewidth=1.3)
                if profession not in used_professions:
                    used_professions.append(profession)
        mark(ax, events, team=team, option=run.slug, grey=True)
        date_axis(ax, data, maxticks=4 if len(runs) > 1 else 6)
        if len(runs) == 1:
            ax.set_title(_team_title(run, team, width), fontsize=PANEL_TITLE_SIZE, pad=2)
    for ax in axes.flat:
        ax.set_ylim(bottom=0)  # after every panel is drawn: the panels share y
    for ax in axes[:, 0]:
        ax.set_ylabel("hours per week", fontsize=LABEL_SIZE)
    if len(runs) > 1:
        for c, run in enumerate(runs):
            axes[0, c].set_title(
                wrap(run.label, width), fontsize=PANEL_TITLE_SIZE, fontweight="bold", pad=3
            )
        for r, team in enumerate(teams):
            axes[r, -1].yaxis.set_label_position("right")
            axes[r, -1].set_ylabel(
                wrap(f"{team} team", 12),
                fontsize=LABEL_SIZE,
                fontweight="bold",
                rotation=270,
                labelpad=10,
            )
            axes[r, 0].set_ylabel("hours per week", fontsize=LABEL_SIZE)
    for ax in axes[-1, :]:
        ax.set_xlabel("week", fontsize=LABEL_SIZE)
    subtitle = (
        f"{period_label(data.base)}. Profession-hours on the pathway each week: available "
        "(dashed) and used (solid), 13-week rolling means of the median over "
        f"{replication_count(data.base)} "
        "replications. Used hours include triage panels and slots lost to DNAs."
        + event_note(events)
    )
    where = data.base.label if len(runs) == 1 else f"{len(runs)} options, by team"
    add_title(fig, f"Staff hours available and used, by team and profession: {where}", subtitle)
    handles = [
        (Line2D([], [], color=colours[p], linewidth=1.6), profession_label(p))
        for p in colours
        if p in used_professions
    ]
    handles += [
        (Line2D([], [], color=GREY, linestyle=(0, (4, 2)), linewidth=1.1), "available"),
        (Line2D([], [], color=GREY, linewidth=1.3), "used"),
    ]
    add_legend(fig, handles, event_handles(events, grey=True), ncols=2 if events else 4)
    place_subtitle(fig)
    return fig


def utilisation(data: ReportData) -> Figure:
    """Utilisation % by team and profession over the whole run, with a 100% line."""
    colours = _profession_colours(data)
    runs = data.scenarios
    fig = new_figure(1.3 + 1.75 * len(runs) if len(runs) > 1 else 4.2)
    axes = fig.subplots(len(runs), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    top = 100.0
    shown: list[str] = []
    for run, ax in zip(runs, axes, strict=True):
        style_axes(ax)
        ax.grid(False, axis="x")
        s = run.summary
        rows = s[s["kpi"].str.startswith("utilisation_pct.")].copy()
        rows["profession"] = rows["kpi"].str.removeprefix("utilisation_pct.")
        groups = [t for t in run.scenario.teams if t in set(rows["area"])] + ["county"]
        professions = [p for p in colours if p in set(rows["profession"])]
        width = 0.8 / max(len(professions), 1)
        for j, profession in enumerate(professions):
            part = rows[rows["profession"] == profession].set_index("area")
            xs, ys, lows, highs = [], [], [], []
            for g, group in enumerate(groups):
                if group not in part.index:
                    continue
                r = part.loc[group]
                xs.append(g - 0.4 + width * (j + 0.5))
                ys.append(r["mean"])
                lows.append(r["mean"] - r["ci95_low"] if pd.notna(r["ci95_low"]) else 0.0)
                highs.append(r["ci95_high"] - r["mean"] if pd.notna(r["ci95_high"]) else 0.0)
            ax.bar(
                xs,
                ys,
                width=width * 0.92,
                color=colours[profession],
                yerr=[lows, highs],
                error_kw={"elinewidth": 0.7, "capsize": 1.5},
            )
            top = max(top, *(np.add(ys, highs)), 0)
            if profession not in shown:
                shown.append(profession)
        ax.axhline(100, color="black", linewidth=0.9, linestyle=(0, (5, 3)))
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([_group_label(run, g) for g in groups], fontsize=TICK_SIZE)
        ax.set_ylabel("utilisation, %", fontsize=LABEL_SIZE)
        if len(runs) > 1:
            ax.set_title(
                run.label, fontsize=PANEL_TITLE_SIZE + 0.5, fontweight="bold", loc="left", pad=2
            )
    axes[0].set_ylim(0, max(110.0, top * 1.05))
    axes[-1].set_xlabel("team (districts served)", fontsize=LABEL_SIZE)
    subtitle = (
        f"{period_label(data.base)}. Profession-hours used ÷ available over the whole run (triage "
        f"panels and slots lost to DNAs count as used); mean of {replication_count(data.base)} "
        "replications with its 95% CI. Dashed line: 100%."
    )
    where = data.base.label if len(runs) == 1 else f"{len(runs)} options"
    add_title(fig, f"Staff utilisation by team and profession: {where}", subtitle)
    handles = [(Patch(color=colours[p]), profession_label(p)) for p in shown]
    add_legend(fig, handles, ncols=min(len(handles), 6))
    place_subtitle(fig)
    return fig


def _group_label(run: ScenarioResult, group: str) -> str:
    if group == "county":
        return "All teams\n(county)"
    served = [d for d, spec in run.scenario.districts.items() if spec.team == group]
    return f"{group.capitalize()} team\n({len(served)} district{'s' * (len(served) != 1)})"
