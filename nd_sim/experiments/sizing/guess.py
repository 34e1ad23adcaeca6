"""The analytic first guess the solver starts from: a Fong/Walton relief capacity per team,
turned into a lever value.

Fong/Walton's relief capacity is demand + (queue - target queue) / time. Here, per team,
from the analytic panel (`nd_sim.inputs.analytic.team_panels`): the queue starts at today's
list, grows at demand - capacity - withdrawals until the lever arrives (the recruitment lag
plus half the ramp), and must then fall to the target queue by the `--by` date. The target queue is
demand x a target wait: a quarter of 13 or 18 weeks for a % within target (Fong/Walton's
target mean wait = target / 4), the wait itself for a median or mean, the band for "waiting
52+ weeks", the threshold itself for a count of the open list. Demand grows with the
scenario's growth over the period. The extra assessments a week needed become WTE through
the hours one assessment takes of each listed profession (the bottleneck one decides), and £
through the professions' costs. It ignores queueing variability, workshops, re-referrals and
priorities, so it is only where the search starts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nd_sim.experiments.sizing.levers import FUNDING, OUTSOURCED, STAFF, Lever, team_weights
from nd_sim.experiments.sizing.target import COHORT, Target
from nd_sim.experiments.sizing.window import WINDOW_WEEKS, Window
from nd_sim.inputs.analytic import team_panels
from nd_sim.inputs.capacity import WEEKS_PER_MONTH, WEEKS_PER_YEAR, hours_per_wte
from nd_sim.inputs.model import Model

FIRST_STOCKS = ("not_yet_seen_end", "backlog_not_seen_end")


@dataclass(frozen=True)
class TeamNeed:
    """One team's fluid arithmetic, in assessments a week (children for queues)."""

    team: str
    referrals_per_week: float
    demand_per_week: float
    capacity_per_week: float  # of the professions that limit the KPI (see _relevant_professions)
    backlog: int
    relief_capacity_52w: float  # Fong/Walton, as in analytic.csv
    target_queue: float
    extra_per_week: float  # capacity to add from the lever's arrival to meet the target queue


@dataclass(frozen=True)
class Guess:
    """The first guess (None when the lever has no fluid reading, e.g. workshop uptake)."""

    value: float | None
    teams: tuple[TeamNeed, ...]


def first_guess(model: Model, lever: Lever, target: Target, window: Window, area: tuple) -> Guess:
    """The lever value the fluid arithmetic says meets the target (clipped to the cap)."""
    weeks = window.end_day / 7.0 - (WINDOW_WEEKS if target.kpi.kind == COHORT else 0.0)
    arrive = 0.0 if lever.kind == OUTSOURCED else lever.lag_weeks + lever.ramp_weeks / 2
    hazard = model.scenario.pathway.withdrawal.weekly_hazard
    growth = _growth_factor(model.scenario.demand.growth_per_year, weeks)
    weights = team_weights(model.scenario)
    first_only = _first_only(target)
    none = np.zeros(len(model.professions))
    needs = []
    for t, panel in enumerate(team_panels(model)):
        demand = panel.demand_per_week * growth
        referrals = panel.referrals_per_week * growth
        capacity = _capacity(model, t, referrals, first_only, none)
        queue = _target_queue(model, target, demand, weights[panel.team])
        served = 0.0 if target.kpi.name == "backlog_not_seen_end" else demand  # backlog first
        extra = np.nan
        if queue is not None:
            extra = _extra_needed(
                panel.backlog_start, served, capacity, hazard, weeks, arrive, queue
            )
        needs.append(
            TeamNeed(
                panel.team,
                referrals,
                demand,
                capacity,
                panel.backlog_start,
                panel.relief_capacity_per_week,
                np.nan if queue is None else queue,
                extra,
            )
        )
    chosen = [n for t, n in enumerate(needs) if _in_area(model, t, area)]
    value = _to_lever(model, lever, chosen, weights, first_only)
    if value is not None:
        value = float(np.clip(value, 0.0, lever.cap))
    return Guess(value, tuple(needs))


def _first_only(target: Target) -> bool:
    """True when the KPI is about first appointments (or children not yet seen)."""
    name = target.kpi.name
    return name.startswith(("first_", "referred_")) or name in FIRST_STOCKS


def _capacity(
    model: Model, team: int, referrals: float, first_only: bool, extra: np.ndarray
) -> float:
    """Children a week the team can take, with `extra` WTE by profession (fluid).

    For a whole assessment, the profession with the fewest assessments' worth of hours
    decides. For first appointments, hours a profession cannot spend on follow-ups (because
    another profession holds them up) go back to first appointments, as in the diary: the
    first-appointment rate r is the largest with r x first hours + min(r, follow-up rate) x
    follow-up hours within each first-appointment profession's hours.
    """
    p_dna = model.scenario.pathway.dna.probability
    first = np.zeros(len(model.professions))
    later = np.zeros(len(model.professions))
    for k, step in enumerate(model.step_hours):
        for p, h in step:
            (first if k == 0 else later)[p] += h / (1.0 - p_dna)
    per_wte = np.array(
        [hours_per_wte(model.scenario, model.teams[team], prof) for prof in model.professions]
    )
    spare = spare_hours(model, team, referrals) + extra * per_wte
    total = first + later
    with np.errstate(divide="ignore", invalid="ignore"):
        whole = float(np.where(total > 0, spare / total, np.inf).min())
        if not first_only:
            return whole
        rest = float(np.where((first == 0) & (later > 0), spare / later, np.inf).min())
        rates = np.where(
            spare / total <= rest, spare / total, np.maximum(rest, (spare - rest * later) / first)
        )
        return float(np.where(first > 0, rates, np.inf).min())


def spare_hours(model: Model, team: int, referrals: float) -> np.ndarray:
    """Each profession's hours a week at the start, less what the triage panel takes."""
    tri = model.scenario.pathway.triage
    per_referral = dict(model.triage_hours) if tri.enabled else {}
    have = model.capacity.hours[team, :, 0].astype(float)
    for p, h in per_referral.items():
        have[p] -= min(h * referrals, tri.max_share_of_hours * have[p])
    return have


def _growth_factor(growth: float, weeks: float) -> float:
    """Mean of (1 + g)^t over the weeks to the date (t in years)."""
    years = max(weeks, 1e-9) / WEEKS_PER_YEAR
    if abs(growth) < 1e-12:
        return 1.0
    rate = np.log1p(growth)
    return float(np.expm1(rate * years) / (rate * years))


def _target_queue(model: Model, target: Target, demand: float, share: float) -> float | None:
    """Children the team may have waiting at the date for the target to hold (fluid)."""
    name, x = target.kpi.name, target.threshold
    good_up = name.endswith("_pct") or name == "open_under_18w_pct_end"
    if target.higher_is_better != good_up:
        return None  # e.g. "open_end >= 100": more of the lever does not help
    if name in ("first_within_13w_pct", "referred_seen_within_13w_pct"):
        return demand * 13 / 4
    if name == "first_within_18w_pct":
        return demand * 18 / 4
    if name == "open_under_18w_pct_end":
        return demand * 18
    if name.startswith("first_wait_"):
        return demand * x
    if name.startswith("outcome_wait_"):
        gaps = sum(max(a.gap_weeks_to_next, 1.0) for a in model.scenario.pathway.appointments[:-1])
        return demand * max(x - gaps, 1.0)
    if name == "open_wait_median_end_weeks":
        return demand * 2 * x
    if name.startswith("open_") and name.endswith("w_plus_end"):
        return demand * int(name.split("_")[1].rstrip("w")) + x * share
    return x * share  # open_end, not_yet_seen_end, backlog_not_seen_end


def _queue_at(
    backlog: float,
    demand: float,
    capacity: float,
    hazard: float,
    weeks: float,
    arrive: float,
    extra: float,
) -> float:
    queue = float(backlog)
    for w in range(round(weeks)):
        served = capacity + (extra if w >= arrive else 0.0)
        queue = max(queue + demand - served - hazard * queue, 0.0)
    return queue


def _extra_needed(
    backlog: float,
    demand: float,
    capacity: float,
    hazard: float,
    weeks: float,
    arrive: float,
    queue: float,
) -> float:
    """Least extra assessments a week (from `arrive`) that bring the queue to `queue` (fluid)."""
    args = (backlog, demand, capacity, hazard, weeks, arrive)
    if weeks <= arrive:
        return np.inf
    if _queue_at(*args, 0.0) <= queue:
        return 0.0
    low, high = 0.0, max(demand + backlog, 1.0)
    if _queue_at(*args, high) > queue:
        return np.inf
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (low, mid) if _queue_at(*args, mid) <= queue else (mid, high)
    return high


def _in_area(model: Model, team: int, area: tuple) -> bool:
    kind, index = area
    if kind == "team":
        return team == index
    if kind == "district":
        return model.team_of_district[index] == team
    return True


def _to_lever(
    model: Model,
    lever: Lever,
    needs: list[TeamNeed],
    weights: dict[str, float],
    first_only: bool,
) -> float | None:
    """Extra assessments a week per team turned into the lever's units."""
    if not needs or any(np.isnan(n.extra_per_week) for n in needs):
        return None
    if any(np.isinf(n.extra_per_week) for n in needs):
        return lever.cap
    share = sum(weights[n.team] for n in needs)
    if lever.kind == OUTSOURCED:
        return sum(n.extra_per_week for n in needs) / max(share, 1e-9) * WEEKS_PER_MONTH
    if lever.kind not in (STAFF, FUNDING):
        return None
    wte = sum(weights[n.team] * _team_wte(model, lever, n, weights, first_only) for n in needs)
    wte /= max(share, 1e-9)
    if lever.kind == STAFF:
        return wte
    years = lever.months(lever.by) / 12.0
    costs = [model.scenario.professions[p].cost_gbp_per_wte_year for p in lever.professions]
    per_pound = sum(1.0 / c for c in costs if c > 0) / (len(costs) * years)  # WTE per £
    return wte / per_pound if per_pound > 0 else lever.cap


def _team_wte(
    model: Model, lever: Lever, need: TeamNeed, weights: dict[str, float], first_only: bool
) -> float:
    """Total lever WTE (all teams) that gives this team the capacity it needs: the team gets
    its share, split equally over the listed professions (found by bisection)."""
    t = model.teams.index(need.team)
    goal = need.capacity_per_week + need.extra_per_week
    mix = np.array([p in lever.professions for p in model.professions], float)
    mix *= weights[need.team] / len(lever.professions)

    def enough(x: float) -> bool:
        return _capacity(model, t, need.referrals_per_week, first_only, x * mix) >= goal - 1e-9

    if not enough(lever.cap):
        return lever.cap
    low, high = 0.0, lever.cap
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return high


def hours_per_assessment(model: Model) -> np.ndarray:
    """Profession-hours one completed assessment takes, DNAs included."""
    p_dna = model.scenario.pathway.dna.probability
    hours = np.zeros(len(model.professions))
    for step in model.step_hours:
        for p, h in step:
            hours[p] += h / (1.0 - p_dna)
    return hours
