"""A scenario compiled once into the plain arrays and tuples the engine reads.

Compiling is deterministic (no random numbers), so it is done once per experiment and
the result is shipped to every worker; a replication is then a pure function of
(model, replication, seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nd_sim.inputs import demand
from nd_sim.inputs import starting_list as backlog
from nd_sim.inputs.capacity import Capacity, build_capacity
from nd_sim.inputs.starting_list import StartingChildren
from nd_sim.scenario.models import Scenario

EXIT_REASONS = ("waiting_at_end", "assessed", "signposted", "withdrawn", "met_by_workshop")
OUTCOMES = ("autism", "adhd", "autism_and_adhd", "other_nd", "no_nd")
QUEUE_ORDERS = ("referral_date", "priority_then_referral_date", "priority_shares")


@dataclass(frozen=True)
class Model:
    """Everything a replication needs, precomputed from one scenario."""

    scenario: Scenario
    districts: tuple[str, ...]
    team_of_district: tuple[int, ...]
    teams: tuple[str, ...]
    professions: tuple[str, ...]
    days: int
    weeks: int
    rates_per_day: tuple[np.ndarray, ...]
    accept_multiplier: tuple[np.ndarray, ...]
    capacity: Capacity
    triage_hours: tuple[tuple[int, float], ...]
    step_hours: tuple[tuple[tuple[int, float], ...], ...]
    step_gap_days: tuple[float, ...]
    mix_by_district: tuple[tuple[float, float, float], ...]
    priority_shares: tuple[float, ...]
    slot_shares: tuple[float, ...]
    queue_order: int
    outcome_cdf: tuple[float, ...]
    starting: StartingChildren

    @property
    def n_steps(self) -> int:
        """Appointments in the assessment."""
        return len(self.step_hours)


def compile_model(scenario: Scenario, starting: StartingChildren | None = None) -> Model:
    """Compile a validated scenario; raises `ScenarioError` if its starting CSV is bad.

    `starting` reuses a list already read for the same scenario at other values of its
    uncertain inputs (reading the CSV is most of the cost of compiling).
    """
    districts = tuple(scenario.districts)
    teams = tuple(scenario.teams)
    profs = tuple(scenario.professions)
    days = scenario.horizon_weeks * 7
    rates = demand.daily_rates(scenario, days)
    weights = {t: 0.0 for t in teams}
    for _name, district in scenario.districts.items():
        weights[district.team] += district.referrals_per_week
    pathway = scenario.pathway
    if starting is None and scenario.starting_list.csv:
        starting = backlog.read_starting_csv(scenario.starting_list.csv, scenario)
    if starting is None:
        starting = backlog.StartingChildren()
    outcomes = pathway.outcomes
    shares = np.array([getattr(outcomes, name) for name in OUTCOMES])
    return Model(
        scenario=scenario,
        districts=districts,
        team_of_district=tuple(teams.index(d.team) for d in scenario.districts.values()),
        teams=teams,
        professions=profs,
        days=days,
        weeks=scenario.horizon_weeks,
        rates_per_day=tuple(rates[d] for d in districts),
        accept_multiplier=tuple(
            demand.accept_multiplier_by_day(scenario, d, days) for d in districts
        ),
        capacity=build_capacity(scenario, weights),
        triage_hours=_hours(pathway.triage.hours_per_referral, profs),
        step_hours=tuple(_hours(a.hours, profs) for a in pathway.appointments),
        step_gap_days=tuple(7.0 * a.gap_weeks_to_next for a in pathway.appointments),
        mix_by_district=tuple(_mix(scenario, d) for d in districts),
        priority_shares=tuple(c.share_of_referrals for c in scenario.booking.priority_classes),
        slot_shares=tuple(c.share_of_new_slots for c in scenario.booking.priority_classes),
        queue_order=QUEUE_ORDERS.index(scenario.booking.queue_order),
        outcome_cdf=tuple(np.cumsum(shares / shares.sum()).tolist()),
        starting=starting,
    )


def _hours(table: dict[str, float], profs: tuple[str, ...]) -> tuple[tuple[int, float], ...]:
    return tuple((profs.index(p), float(h)) for p, h in table.items() if h > 0)


def _mix(scenario: Scenario, district: str) -> tuple[float, float, float]:
    mix = scenario.districts[district].referral_mix or scenario.demand.referral_mix
    total = mix.asd + mix.adhd + mix.both
    return (mix.asd / total, mix.adhd / total, mix.both / total)
