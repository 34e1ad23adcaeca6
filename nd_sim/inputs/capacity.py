"""Staff, funding and outsourcing turned into profession-hours per team per week.

Capacity is staff time: WTE x hours per WTE-week x clinical share x (1 - leave). The
schedule is computed once per scenario (it has no randomness), so the engine only
reads ``hours[team, profession, week]``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from nd_sim.scenario.models import ALL, Funding, MutualAid, Outsourcing, Scenario, StaffChange

WEEKS_PER_YEAR = 365.25 / 7.0
WEEKS_PER_MONTH = WEEKS_PER_YEAR / 12.0


@dataclass(frozen=True)
class OutsourcingBlock:
    """Whole assessments bought for a window: how many per week, from which districts."""

    name: str
    districts: tuple[int, ...]
    per_week: tuple[int, ...]
    price_gbp_each: float
    weeks_to_outcome: float


@dataclass(frozen=True)
class Capacity:
    """Deterministic staffing schedule of a scenario.

    ``wte`` (productive: new posts ramp up), ``employed_wte`` (paid in full from the first
    day) and ``hours`` have shape (teams, professions, weeks).
    """

    teams: tuple[str, ...]
    professions: tuple[str, ...]
    wte: np.ndarray
    employed_wte: np.ndarray
    added_employed_wte: np.ndarray
    hours: np.ndarray
    cost_gbp_per_wte_week: np.ndarray
    funding_budget_gbp: float
    funding_committed_gbp: float
    outsourcing: tuple[OutsourcingBlock, ...]

    def staff_cost_gbp(self) -> float:
        """Cost of every WTE employed over the horizon."""
        return float((self.employed_wte * self.cost_gbp_per_wte_week[None, :, None]).sum())

    def added_cost_gbp(self) -> float:
        """Cost of the WTE added by interventions (funding and staff changes) over the horizon."""
        return float((self.added_employed_wte * self.cost_gbp_per_wte_week[None, :, None]).sum())


def week_of(start: dt.date, when: dt.date) -> float:
    """Weeks from the start date to a date (may be negative or fractional)."""
    return (when - start).days / 7.0


def build_capacity(scenario: Scenario, team_weights: dict[str, float]) -> Capacity:
    """Staffing of every team and profession for every week of the horizon."""
    teams = tuple(scenario.teams)
    profs = tuple(scenario.professions)
    weeks = scenario.horizon_weeks
    base = np.zeros((len(teams), len(profs), weeks))
    per_wte = np.zeros((len(teams), len(profs)))
    for ti, team in enumerate(teams):
        for pi, prof in enumerate(profs):
            per_wte[ti, pi] = hours_per_wte(scenario, team, prof)
            group = scenario.teams[team].staff.get(prof)
            base[ti, pi, :] = group.wte if group else 0.0
    added = np.zeros_like(base)
    employed = np.zeros_like(base)
    budget = committed = 0.0
    for item in scenario.interventions:
        if isinstance(item, StaffChange):
            ti, pi = teams.index(item.team), profs.index(item.profession)
            productive, paid = _profile(scenario, item, weeks)
            added[ti, pi] += item.wte * productive
            employed[ti, pi] += item.wte * paid
        elif isinstance(item, Funding):
            productive, paid = _funded_wte(scenario, item, teams, profs, team_weights)
            added += productive
            employed += paid
            budget += item.budget_gbp
            committed += committed_gbp(scenario, item)
    wte = np.maximum(base + added, 0.0)
    employed_wte = np.maximum(base + employed, 0.0)
    cost = np.array([scenario.professions[p].cost_gbp_per_wte_year for p in profs])
    hours = wte * per_wte[:, :, None]
    for item in scenario.interventions:
        if isinstance(item, MutualAid):
            lend(scenario, item, teams, profs, hours)
    return Capacity(
        teams=teams,
        professions=profs,
        wte=wte,
        employed_wte=employed_wte,
        added_employed_wte=employed_wte - np.maximum(base, 0.0),
        hours=hours,
        cost_gbp_per_wte_week=cost / WEEKS_PER_YEAR,
        funding_budget_gbp=budget,
        funding_committed_gbp=committed,
        outsourcing=_outsourcing(scenario),
    )


def lend(
    scenario: Scenario,
    item: MutualAid,
    teams: tuple[str, ...],
    profs: tuple[str, ...],
    hours: np.ndarray,
) -> None:
    """Move hours from the lender to the borrower for the weeks of the loan (part weeks
    pro rata), in place: the lender loses all it lends, the borrower gains it less the
    overhead. Loans apply in the order listed, each to the hours left by the ones before."""
    lender, borrower = teams.index(item.lender), teams.index(item.borrower)
    p = profs.index(item.profession)
    weeks = hours.shape[2]
    w = np.arange(weeks, dtype=float)
    start = week_of(scenario.start_date, item.from_date)
    end = week_of(scenario.start_date, item.until_date)
    inside = np.clip(np.minimum(w + 1.0, end) - np.maximum(w, start), 0.0, 1.0)
    have = hours[lender, p]
    if item.share is not None:
        lent = have * item.share * inside
    else:
        lent = np.minimum(item.hours_per_week * inside, have)
    hours[lender, p] = have - lent
    hours[borrower, p] += lent * (1.0 - item.overhead_share)


def hours_per_wte(scenario: Scenario, team: str, prof: str) -> float:
    """Clinical hours a WTE gives this pathway in a week, after leave and absence."""
    default = scenario.professions[prof]
    group = scenario.teams[team].staff.get(prof)

    def pick(name: str) -> float:
        value = getattr(group, name) if group is not None else None
        return getattr(default, name) if value is None else value

    return pick("hours_per_wte_week") * pick("clinical_share") * (1.0 - pick("leave_fraction"))


def _ramp(weeks: int, start_week: float, ramp_weeks: float, end_week: float) -> np.ndarray:
    """Share of a post at work in each week: the part of the week inside [start, end),
    times productivity, which ramps linearly from the start over `ramp_weeks`."""
    w = np.arange(weeks, dtype=float)
    inside = np.clip(np.minimum(w + 1.0, end_week) - np.maximum(w, start_week), 0.0, 1.0)
    if ramp_weeks > 0:
        level = np.clip((w - np.floor(start_week) + 1.0) / ramp_weeks, 0.0, 1.0)
    else:
        level = np.ones(weeks)
    return inside * level


def _profile(scenario: Scenario, item: StaffChange, weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """Productive and paid share of a post, per week."""
    start = week_of(scenario.start_date, item.from_date) + item.recruitment_lag_weeks
    end = np.inf if item.until_date is None else week_of(scenario.start_date, item.until_date)
    if item.wte < 0:  # posts lost: gone from the date, no lag and no ramp
        gone = _ramp(weeks, week_of(scenario.start_date, item.from_date), 0.0, end)
        return gone, gone
    return _ramp(weeks, start, item.ramp_up_weeks, end), _ramp(weeks, start, 0.0, end)


def affordable_wte(scenario: Scenario, item: Funding) -> dict[str, float]:
    """WTE the budget pays for over its period, by profession, after the recruitment caps."""
    years = item.over_months / 12.0
    out = {}
    for prof, share in item.spend_on.items():
        cost = scenario.professions[prof].cost_gbp_per_wte_year
        wte = share * item.budget_gbp / (cost * years) if cost > 0 else 0.0
        cap = item.max_recruits_wte.get(prof)
        out[prof] = min(wte, cap) if cap is not None else wte
    return out


def committed_gbp(scenario: Scenario, item: Funding) -> float:
    """What the posts the budget can fill will cost over the term (caps can leave money unspent)."""
    years = item.over_months / 12.0
    return sum(
        wte * scenario.professions[prof].cost_gbp_per_wte_year * years
        for prof, wte in affordable_wte(scenario, item).items()
    )


def _funded_wte(
    scenario: Scenario,
    item: Funding,
    teams: tuple[str, ...],
    profs: tuple[str, ...],
    team_weights: dict[str, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-term posts: they start after the lag, ramp up, and are paid for `over_months`."""
    weeks = scenario.horizon_weeks
    chosen = teams if ALL in item.teams else tuple(t for t in teams if t in item.teams)
    total_weight = sum(team_weights.get(t, 0.0) for t in chosen)
    if total_weight <= 0:  # no referrals anywhere chosen: split the posts evenly
        team_weights = {t: 1.0 for t in chosen}
        total_weight = float(len(chosen))
    start = week_of(scenario.start_date, item.from_date) + item.recruitment_lag_weeks
    end = start + item.over_months * WEEKS_PER_MONTH
    productive = _ramp(weeks, start, item.ramp_up_weeks, end)
    paid = _ramp(weeks, start, 0.0, end)
    out = np.zeros((2, len(teams), len(profs), weeks))
    for prof, wte in affordable_wte(scenario, item).items():
        for team in chosen:
            share = team_weights.get(team, 0.0) / total_weight
            out[0, teams.index(team), profs.index(prof)] += wte * share * productive
            out[1, teams.index(team), profs.index(prof)] += wte * share * paid
    return out[0], out[1]


def _outsourcing(scenario: Scenario) -> tuple[OutsourcingBlock, ...]:
    names = list(scenario.districts)
    blocks = []
    for item in scenario.interventions:
        if not isinstance(item, Outsourcing):
            continue
        start = week_of(scenario.start_date, item.from_date)
        end = week_of(scenario.start_date, item.until_date)
        blocks.append(
            OutsourcingBlock(
                name=item.name,
                districts=tuple(
                    i for i, n in enumerate(names) if ALL in item.districts or n in item.districts
                ),
                per_week=spread_over_weeks(item.assessments, start, end, scenario.horizon_weeks),
                price_gbp_each=item.price_gbp_each,
                weeks_to_outcome=item.weeks_to_outcome,
            )
        )
    return tuple(blocks)


def spread_over_weeks(total: int, start: float, end: float, weeks: int) -> tuple[int, ...]:
    """Whole assessments per week, spread evenly over the window (the sum is exact)."""
    span = max(end - start, 1e-9)
    w = np.arange(weeks + 1, dtype=float)
    cumulative = np.floor(np.clip((w - start) / span, 0.0, 1.0) * total + 1e-9)
    return tuple(int(x) for x in np.diff(cumulative))
