"""Interventions and demand changes, marked where they happen on every time axis: a reader
has to see when an option's staff, funding or outsourcing starts and when demand or triage
criteria shift to read the lines around them. Each scenario's changes become `Event`s once
per `ReportData` (an event every option shares is drawn once, in grey; an option's own in its
colour), `mark` draws them as dashed (interventions) or dotted (demand) vertical lines on the
panels of the districts, teams or options they touch, and `event_handles` lists them in the
legend. It is apart from `style` because it reads the scenarios, not only the axes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from nd_sim.report.data import ReportData, ScenarioResult
from nd_sim.report.figures.style import (
    EVENT_COLOURS,
    EVENT_GREY,
    GREY,
    NOTE_SIZE,
    date_label,
    profession_label,
    scenario_colours,
    signed_text,
    wrap,
)
from nd_sim.report.numbers import money_gbp


@dataclass
class Event:
    """Something that happens on a date: an intervention or a change in demand."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp | None  # shaded window (outsourcing)
    districts: frozenset[str]  # the districts it touches
    teams: frozenset[str]
    demand: bool  # a demand shock or criteria change (dotted) rather than an intervention
    colour: str = GREY
    drawn: tuple | str = ""  # the line style on the panels (set by `report_events`)
    owners: frozenset[str] = frozenset()  # slugs of the options that have it
    number: int = 0  # its tag where events are drawn in grey

    @property
    def style(self) -> tuple:
        """Dotted for demand, dashed for interventions (as in the legend)."""
        return (0, (1, 1.5)) if self.demand else (0, (4, 2))


def _event_areas(
    scenario, districts: Iterable[str] | None = None, teams: Iterable[str] | None = None
) -> tuple[frozenset[str], frozenset[str]]:
    team_of = {d: spec.team for d, spec in scenario.districts.items()}
    if teams is not None:
        chosen_teams = set(scenario.teams) if "all" in teams else set(teams)
        chosen = {d for d, t in team_of.items() if t in chosen_teams}
    else:
        names = list(districts or ["all"])
        chosen = set(team_of) if "all" in names else set(names)
        chosen_teams = {team_of[d] for d in chosen if d in team_of}
    return frozenset(chosen), frozenset(chosen_teams)


def _in(names: frozenset[str], everything: Iterable[str]) -> str:
    everything = set(everything)
    if names >= everything:
        return "all districts"
    return ", ".join(sorted(names))


def _scenario_events(run: ScenarioResult) -> list[Event]:
    sc = run.scenario
    events = []
    for iv in sc.interventions:
        start = pd.Timestamp(iv.from_date)
        if iv.kind == "outsourced_assessments":
            where = _event_areas(sc, districts=iv.districts)
            label = (
                f"{iv.name}: {iv.assessments:,} outsourced assessments, "
                f"{date_label(iv.from_date)} to {date_label(iv.until_date)}"
            )
            events.append(Event(label, start, pd.Timestamp(iv.until_date), *where, False))
        elif iv.kind == "funding":
            where = _event_areas(sc, teams=iv.teams)
            label = (
                f"{iv.name}: {money_gbp(iv.budget_gbp, short=True)} from "
                f"{date_label(iv.from_date)} (staff start after {iv.recruitment_lag_weeks:g} "
                f"weeks{_spent_note(run, iv.budget_gbp)})"
            )
            events.append(Event(label, start, None, *where, False))
        elif iv.kind == "mutual_aid":
            where = _event_areas(sc, teams=[iv.lender, iv.borrower])
            amount = f"{iv.share:.0%} of" if iv.share is not None else f"{iv.hours_per_week:g} h/wk"
            label = (
                f"{iv.name}: {iv.lender} lends {amount} {profession_label(iv.profession).lower()} "
                f"hours to {iv.borrower}, {date_label(iv.from_date)} to {date_label(iv.until_date)}"
            )
            events.append(Event(label, start, pd.Timestamp(iv.until_date), *where, False))
        else:  # staff_change
            where = _event_areas(sc, teams=[iv.team])
            label = (
                f"{iv.name}: {signed_text(iv.wte, 1)} WTE "
                f"{profession_label(iv.profession).lower()} "
                f"({iv.team} team) from {date_label(iv.from_date)}"
            )
            events.append(Event(label, start, None, *where, False))
    for shock in sc.demand.shocks:
        where = _event_areas(sc, districts=shock.districts)
        until = f" to {date_label(shock.until_date)}" if shock.until_date else ""
        label = (
            f"{shock.name}: referrals ×{shock.multiplier:g} in {_in(where[0], sc.districts)} "
            f"from {date_label(shock.from_date)}{until}"
        )
        events.append(Event(label, pd.Timestamp(shock.from_date), None, *where, True))
    for change in sc.demand.criteria_changes:
        where = _event_areas(sc, districts=change.districts)
        label = (
            f"{change.name}: triage acceptance ×{change.accept_multiplier:g} in "
            f"{_in(where[0], sc.districts)} from {date_label(change.from_date)}"
        )
        events.append(Event(label, pd.Timestamp(change.from_date), None, *where, True))
    return events


def _spent_note(run: ScenarioResult, budget_gbp: float) -> str:
    """ "; caps allow £688,000" where a scenario's only funding cannot all be spent, so that
    the legend's money agrees with the costs the report shows."""
    sc = run.scenario
    if sum(iv.kind == "funding" for iv in sc.interventions) != 1:
        return ""  # the unspent money is known only in total
    s = run.summary
    rows = s[(s["area_type"] == "county") & (s["kpi"] == "funding_unspent_gbp")]
    if not len(rows) or not rows["mean"].iloc[0] >= 500:
        return ""
    spent = budget_gbp - float(rows["mean"].iloc[0])
    return f"; the recruitment caps let {money_gbp(spent, short=True)} of it be spent"


def report_events(data: ReportData) -> list[Event]:
    """Every scenario's events, each once; coloured by the option it belongs to.

    An event shared by every option (inherited from the base) is grey; in a single run, each
    event gets its own colour (none of them the data's blue).
    """
    found: dict[tuple, tuple[Event, list[int]]] = {}
    for i, run in enumerate(data.scenarios):
        for ev in _scenario_events(run):
            key = (ev.label, ev.start, ev.end)
            if key in found:
                found[key][1].append(i)
            else:
                found[key] = (ev, [i])
    events = []
    n = len(data.scenarios)
    colours = scenario_colours(data)
    for k, (ev, owners) in enumerate(sorted(found.values(), key=lambda e: e[0].start)):
        ev.number = k + 1
        ev.owners = frozenset(data.scenarios[i].slug for i in owners)
        if n == 1:
            ev.colour = EVENT_COLOURS[k % len(EVENT_COLOURS)]
        elif len(owners) == n:
            ev.label += " (all options)"
        else:
            ev.colour = colours[data.scenarios[owners[0]].slug]
            names = ", ".join(data.scenarios[i].label for i in owners)
            ev.label += f" [{names}]"
        events.append(ev)
    # Events on the same date would hide one another: their dashes take turns instead.
    for start in {ev.start for ev in events}:
        same = [ev for ev in events if ev.start == start]
        for k, ev in enumerate(same):
            ev.drawn = ev.style if len(same) == 1 else (3 * k, (3, 3 * (len(same) - 1)))
    return events


def mark(
    ax: Axes,
    events: list[Event],
    district: str | None = None,
    team: str | None = None,
    option: str | None = None,
    grey: bool = False,
) -> None:
    """Draw the events that touch this panel (its district, team or option; all by default).

    `grey` draws them in grey, each tagged with its number (for figures whose colours already
    stand for something else).
    """
    tagged: dict[pd.Timestamp, int] = {}
    for ev in events:
        if option is not None and option not in ev.owners:
            continue
        if district is not None and district not in ev.districts:
            continue
        if team is not None and team not in ev.teams:
            continue
        colour = EVENT_GREY if grey else ev.colour
        ax.axvline(ev.start, color=colour, linestyle=ev.drawn, linewidth=1.2, zorder=1.5)
        if ev.end is not None:
            ax.axvspan(ev.start, ev.end, color=colour, alpha=0.08, linewidth=0, zorder=0.5)
        if grey:  # events on one date stack their tags downwards
            row = tagged.get(ev.start, 0)
            tagged[ev.start] = row + 1
            ax.annotate(
                str(ev.number),
                xy=(ev.start, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2 - 8 * row),
                textcoords="offset points",
                fontsize=NOTE_SIZE - 1,
                color=EVENT_GREY,
                ha="left",
                va="top",
            )


def event_handles(events: list[Event], grey: bool = False) -> list:
    handles = []
    for ev in events:
        line = Line2D(
            [], [], color=EVENT_GREY if grey else ev.colour, linestyle=ev.style, linewidth=1.2
        )
        label = f"{ev.number}: {ev.label}" if grey else ev.label
        handles.append((line, wrap(label, 58)))
    return handles


def event_note(events: list[Event]) -> str:
    return " Vertical lines: interventions (dashed) and demand changes (dotted)." if events else ""
