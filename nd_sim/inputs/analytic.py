"""The instant analytic panel shown beside every simulated result.

Fluid (average-rate) rules, no randomness: load = demand / capacity per team, the
backlog clearance estimate B / (capacity - demand), and the Fong/Walton relief capacity
(demand + (queue - target queue) / time, with target mean wait = target / 4). They ignore
queueing variability, so they are a sanity check and a first guess, not the answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from nd_sim.inputs.model import Model

TARGET_WEEKS = 13.0
RELIEF_WEEKS = 52.0
OPENING_WEEKS = 13


@dataclass(frozen=True)
class TeamPanel:
    """Fluid figures for one team; rates are children per week."""

    team: str
    referrals_per_week: float
    demand_per_week: float
    capacity_per_week: float
    load_start: float
    load_peak: float  # highest 13-week rolling load over the horizon
    peak_week: int  # first week of that 13-week window
    bottleneck: str
    peak_bottleneck: str
    backlog_start: int
    leavers_per_week_start: float
    clearance_weeks: float
    relief_capacity_per_week: float


def accepted_share(model: Model) -> float:
    """Share of referrals that end up needing an assessment (after triage and more-info)."""
    tri = model.scenario.pathway.triage
    if not tri.enabled:
        return 1.0
    second = tri.accept / (tri.accept + tri.signpost) if tri.accept + tri.signpost > 0 else 0.0
    return tri.accept + tri.more_information * second


def team_panels(model: Model) -> list[TeamPanel]:
    """One panel row per team."""
    share = accepted_share(model)
    p_dna = model.scenario.pathway.dna.probability
    attempts = 1.0 / (1.0 - p_dna) if p_dna < 1 else np.inf
    n_prof = len(model.professions)
    per_assessment = np.zeros(n_prof)
    for step in model.step_hours:
        for p, h in step:
            per_assessment[p] += h * attempts
    per_triage = np.zeros(n_prof)
    if model.scenario.pathway.triage.enabled:
        for p, h in model.triage_hours:
            per_triage[p] += h
    starting_team = np.asarray(model.team_of_district, int)[model.starting.district]
    hazard = model.scenario.pathway.withdrawal.weekly_hazard
    cap_share = model.scenario.pathway.triage.max_share_of_hours
    rows = []
    for t, team in enumerate(model.teams):
        refs = _weekly_referrals(model, t)
        hours = model.capacity.hours[t]  # (prof, weeks)
        triage_used = np.minimum(refs[None, :] * per_triage[:, None], cap_share * hours)
        spare = hours - triage_used
        with np.errstate(divide="ignore", invalid="ignore"):
            by_prof = np.where(per_assessment[:, None] > 0, spare / per_assessment[:, None], np.inf)
            # the panel decides at most cap_share x hours / hours-per-referral referrals
            triaged = np.where(
                per_triage[:, None] > 0, cap_share * hours / per_triage[:, None], np.inf
            ).min(axis=0)
        cap_by_prof = np.vstack([by_prof, triaged * share])
        capacity = cap_by_prof.min(axis=0) + _outsourced_for_team(model, t)
        demand = refs * share
        with np.errstate(divide="ignore", invalid="ignore"):
            quarter_demand, quarter_capacity = _quarterly(demand), _quarterly(capacity)
            load = np.where(quarter_capacity > 0, quarter_demand / quarter_capacity, np.inf)
        peak = int(load.argmax())
        bottleneck = _bottleneck(model, cap_by_prof, slice(0, OPENING_WEEKS))
        peak_bottleneck = _bottleneck(model, cap_by_prof, slice(peak, peak + OPENING_WEEKS))
        cap0 = float(capacity[:OPENING_WEEKS].mean())
        dem0 = float(demand[:OPENING_WEEKS].mean())
        backlog = int(np.count_nonzero(starting_team == t)) + _profile_count(model, t)
        rows.append(
            TeamPanel(
                team=team,
                referrals_per_week=float(refs[:OPENING_WEEKS].mean()),
                demand_per_week=dem0,
                capacity_per_week=cap0,
                load_start=dem0 / cap0 if cap0 > 0 else np.inf,
                load_peak=float(load.max()),
                peak_week=peak,
                bottleneck=bottleneck,
                peak_bottleneck=peak_bottleneck,
                backlog_start=backlog,
                leavers_per_week_start=backlog * hazard,
                clearance_weeks=backlog / (cap0 - dem0) if cap0 > dem0 else np.inf,
                relief_capacity_per_week=dem0 + (backlog - dem0 * TARGET_WEEKS / 4) / RELIEF_WEEKS,
            )
        )
    return rows


def _bottleneck(model: Model, cap_by_prof: np.ndarray, window: slice) -> str:
    """The profession (or the triage panel) that allows the fewest assessments over a window."""
    names = (*model.professions, "triage panel")
    return names[int(np.argmin(cap_by_prof[:, window].mean(axis=1)))]


def _profile_count(model: Model, team: int) -> int:
    """Children the age-of-wait profile puts on this team's list."""
    teams = {name: model.team_of_district[d] for d, name in enumerate(model.districts)}
    return sum(b.count for b in model.scenario.starting_list.profile if teams[b.district] == team)


def _quarterly(series: np.ndarray) -> np.ndarray:
    """Rolling 13-week means: a single busy week is not a sustained overload."""
    window = min(OPENING_WEEKS, series.size)
    kernel = np.ones(window) / window
    return np.convolve(series, kernel, mode="valid")


def _weekly_referrals(model: Model, team: int) -> np.ndarray:
    total = np.zeros(model.weeks)
    for d, rates in enumerate(model.rates_per_day):
        if model.team_of_district[d] == team:
            total += rates[: model.weeks * 7].reshape(model.weeks, 7).sum(axis=1)
    return total


def _outsourced_for_team(model: Model, team: int) -> np.ndarray:
    """Outsourced assessments a week this team's children can expect: each block is shared
    over the districts it covers in proportion to their baseline referrals (a fluid guess)."""
    out = np.zeros(model.weeks)
    rates = {name: d.referrals_per_week for name, d in model.scenario.districts.items()}
    for block in model.capacity.outsourcing:
        covered = [model.districts[d] for d in block.districts]
        total = sum(rates[n] for n in covered)
        mine = sum(
            rates[n] for n in covered if model.team_of_district[model.districts.index(n)] == team
        )
        if total > 0:
            out += np.asarray(block.per_week, float) * mine / total
    return out


def panel_frame(model: Model) -> pd.DataFrame:
    """The panel as a table (written to analytic.csv)."""
    return pd.DataFrame([asdict(row) for row in team_panels(model)])
