"""Levers: a number x >= 0 turned into a variant of the scenario, so the solver can search x.

Every variant keeps the scenario's own interventions and adds the lever's, from the scenario
start, so replication k of every variant sees the same children (common random numbers) and
differs only by the lever. Semantics, one per lever:

* **staff** (``--lever "clinical_psychologist,paediatrician"``): x extra WTE *in total*, split
  over the listed professions equally (a fixed mix) and over the teams in proportion to their
  baseline referrals; permanent posts approved on the start date that start work after the
  recruitment lag, then ramp up. ``--each`` sizes every profession on its own instead.
* **outsourced_per_month**: x outsourced assessments a month, bought from the start to the
  date, at a price each, for every district.
* **workshop_uptake**: the uptake of every workshop set to x (their need-met shares kept).
* **funding_gbp**: £x spent over the months from the start to the date through a `funding`
  intervention, split equally over the listed professions (``funding_gbp:PROF,PROF``; bare,
  the professions the appointments use) and turned into fixed-term posts by their costs and
  the recruitment lag.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from nd_sim.errors import Problem, ScenarioError
from nd_sim.inputs.capacity import WEEKS_PER_MONTH
from nd_sim.scenario.bounds import MAX_CHILDREN, MAX_GBP, MAX_WTE
from nd_sim.scenario.models import Funding, Outsourcing, Scenario, StaffChange
from nd_sim.scenario.variants import varied

STAFF = "staff"
OUTSOURCED = "outsourced_per_month"
WORKSHOPS = "workshop_uptake"
FUNDING = "funding_gbp"
DEFAULTS = {  # lever: (cap, step)
    STAFF: (40.0, 0.5),
    OUTSOURCED: (2000.0, 25.0),
    WORKSHOPS: (1.0, 0.05),
    FUNDING: (20_000_000.0, 100_000.0),
}
MAX_GRID_POINTS = 10_000  # lever values above 0 up to the cap (a finer grid is a typo)
DEFAULT_LAG_WEEKS = 12.0
DEFAULT_PRICE_GBP = 1500.0


@dataclass(frozen=True)
class Lever:
    """A lever and its settings; `apply` makes the variant for a value x."""

    kind: str
    professions: tuple[str, ...]
    cap: float
    step: float
    start: dt.date
    by: dt.date
    lag_weeks: float = DEFAULT_LAG_WEEKS
    ramp_weeks: float = 0.0
    price_gbp_each: float = DEFAULT_PRICE_GBP
    teams: int = 1  # teams in the scenario (for the words only)

    @property
    def name(self) -> str:
        """Short name for tables: the professions, or the lever's kind."""
        if self.kind == STAFF:
            return "+".join(self.professions)
        if self.kind == FUNDING:
            return f"funding_gbp:{','.join(self.professions)}"
        return self.kind

    @property
    def unit(self) -> str:
        """Unit of x, for axes and tables."""
        return {STAFF: "WTE", OUTSOURCED: "assessments a month", WORKSHOPS: "uptake"}.get(
            self.kind, "£"
        )

    def amount(self, x: float, more: bool = False) -> str:
        """x in words: "7.5 WTE" (or "7.5 more WTE"), "150 outsourced assessments a month",
        "a workshop uptake of 0.45", "£1,200,000"."""
        if self.kind == STAFF:
            return f"{x:g} more WTE" if more else f"{x:g} WTE"
        if self.kind == OUTSOURCED:
            return f"{x:,.0f} outsourced assessments a month"
        if self.kind == WORKSHOPS:
            return f"a workshop uptake of {x:.2f}"
        return f"£{x:,.0f}"

    def describe(self) -> str:
        """What the lever does, in one sentence (for answer.md and the manifest)."""
        names = _words(self.professions)
        lag = f"starting work {self.lag_weeks:g} weeks after {_d(self.start)}"
        if self.lag_weeks == 0:
            lag = f"starting work on {_d(self.start)}"
        ramp = f", ramping up over {self.ramp_weeks:g} weeks" if self.ramp_weeks else ""
        if self.kind == STAFF:
            split = [" split equally between them"] if len(self.professions) > 1 else []
            if self.teams > 1:
                split.append(" shared between the teams in proportion to their referrals")
            how = " and".join(split) + ("," if split else "")
            return f"extra permanent WTE of {names},{how} {lag}{ramp}"
        if self.kind == OUTSOURCED:
            return (
                f"outsourced assessments at £{self.price_gbp_each:,.0f} each, bought every "
                f"month from {_d(self.start)} to {_d(self.by)}"
            )
        if self.kind == WORKSHOPS:
            return "the uptake of every workshop (the share of accepted families who sign up)"
        return (
            f"money from {_d(self.start)} to {_d(self.by)} spent on fixed-term posts of "
            f"{names} (equal shares), {lag}{ramp}"
        )

    def months(self, until: dt.date) -> float:
        """Months from the start to `until` (outsourcing and funding are spread over them)."""
        return _months(self.start, until)

    def apply(self, scenario: Scenario, x: float, until: dt.date | None = None) -> Scenario:
        """The scenario with the lever at x, bought up to `until` (default: the end of `by`).

        Outsourcing and funding keep the same monthly rate if `until` is later (the
        earliest-date search keeps the cap going to the horizon); staff posts are permanent.
        """
        until = until or self.by + dt.timedelta(days=1)
        if self.kind == WORKSHOPS:
            shops = [w.model_copy(update={"uptake": x}) for w in scenario.pathway.workshops]
            pathway = scenario.pathway.model_copy(update={"workshops": shops})
            return varied(scenario, f"nd-sim size: {self.name} = {x:g}", pathway=pathway)
        if x <= 0:
            return scenario
        added = {
            STAFF: self._staff,
            OUTSOURCED: self._outsourced,
            FUNDING: self._funding,
        }[self.kind](scenario, x, until)
        interventions = [*scenario.interventions, *added]
        return varied(scenario, f"nd-sim size: {self.name} = {x:g}", interventions=interventions)

    def cost_per_year(self, scenario: Scenario, x: float) -> float:
        """The lever's running cost a year at x (NaN for workshops, which are not costed)."""
        if self.kind == STAFF:
            k = len(self.professions)
            return sum(
                x / k * scenario.professions[p].cost_gbp_per_wte_year for p in self.professions
            )
        if self.kind == OUTSOURCED:
            return x * 12.0 * self.price_gbp_each
        if self.kind == FUNDING:
            return x * 12.0 / self.months(self.by + dt.timedelta(days=1))
        return math.nan

    def _staff(self, scenario: Scenario, x: float, until: dt.date) -> list[StaffChange]:
        weights = team_weights(scenario)
        out = []
        for team, weight in weights.items():
            for prof in self.professions:
                wte = x * weight / len(self.professions)
                if wte > 0:
                    out.append(
                        StaffChange(
                            kind="staff_change",
                            name=f"nd-sim size: {prof}",
                            team=team,
                            profession=prof,
                            wte=wte,
                            from_date=self.start,
                            recruitment_lag_weeks=self.lag_weeks,
                            ramp_up_weeks=self.ramp_weeks,
                        )
                    )
        return out

    def _outsourced(self, scenario: Scenario, x: float, until: dt.date) -> list[Outsourcing]:
        count = round(x * self.months(until))
        return [
            Outsourcing(
                kind="outsourced_assessments",
                name="nd-sim size: outsourced",
                assessments=count,
                price_gbp_each=self.price_gbp_each,
                from_date=self.start,
                until_date=until,
            )
        ]

    def _funding(self, scenario: Scenario, x: float, until: dt.date) -> list[Funding]:
        months = self.months(until)
        rate = x / self.months(self.by + dt.timedelta(days=1))
        share = 1.0 / len(self.professions)
        return [
            Funding(
                kind="funding",
                name="nd-sim size: funding",
                budget_gbp=rate * months,
                from_date=self.start,
                over_months=months,
                spend_on={p: share for p in self.professions},
                recruitment_lag_weeks=self.lag_weeks,
                ramp_up_weeks=self.ramp_weeks,
            )
        ]


def team_weights(scenario: Scenario) -> dict[str, float]:
    """Each team's share of the baseline referrals (evenly if there are none)."""
    totals = {t: 0.0 for t in scenario.teams}
    for district in scenario.districts.values():
        totals[district.team] += district.referrals_per_week
    whole = sum(totals.values())
    if whole <= 0:
        return {t: 1.0 / len(totals) for t in totals}
    return {t: v / whole for t, v in totals.items()}


def parse_levers(
    text: str,
    scenario: Scenario,
    by: dt.date,
    *,
    each: bool = False,
    cap: float | None = None,
    step: float | None = None,
    lag_weeks: float | None = None,
    ramp_weeks: float = 0.0,
    price_gbp_each: float = DEFAULT_PRICE_GBP,
) -> list[Lever]:
    """The lever(s) a ``--lever`` text names; several with ``each`` (one per profession).

    Raises `ScenarioError` for an unknown or repeated profession, a lever the scenario
    cannot express (workshop uptake without workshops), a price not above 0, or a bad cap
    or step: not above 0, a cap beyond what a scenario may hold (`cap_limit`), a step larger
    than the cap, or more than `MAX_GRID_POINTS` grid points above 0 up to the cap.
    """
    head, _, tail = text.strip().partition(":")
    kind = {OUTSOURCED: OUTSOURCED, "outsourced": OUTSOURCED, WORKSHOPS: WORKSHOPS}.get(head)
    kind = FUNDING if head == FUNDING else kind
    names = tail if kind == FUNDING else ("" if kind else text)
    profs = tuple(p.strip() for p in names.split(",") if p.strip())
    problems = _check(scenario, kind, profs, text, cap, step)
    if kind == FUNDING and not profs:
        used = {p for a in scenario.pathway.appointments for p, h in a.hours.items() if h > 0}
        profs = tuple(p for p in scenario.professions if p in used)
    kind = kind or STAFF
    if kind == OUTSOURCED and not (math.isfinite(price_gbp_each) and price_gbp_each > 0):
        problems.append(Problem("--price-gbp-each", price_gbp_each, "a price must be above 0"))
    grid, more = _grid(scenario, kind, by, cap, step)
    problems += more
    if problems:
        raise ScenarioError("--lever", problems)
    if lag_weeks is None:
        funded = [i for i in scenario.interventions if isinstance(i, Funding)]
        lag_weeks = funded[0].recruitment_lag_weeks if funded else DEFAULT_LAG_WEEKS
    common = {
        "cap": grid[0],
        "step": grid[1],
        "start": scenario.start_date,
        "by": by,
        "lag_weeks": lag_weeks,
        "ramp_weeks": ramp_weeks,
        "price_gbp_each": price_gbp_each,
        "teams": len(scenario.teams),
    }
    groups = [(p,) for p in profs] if each and kind in (STAFF, FUNDING) else [profs]
    return [Lever(kind=kind, professions=g, **common) for g in groups]


def cap_limit(scenario: Scenario, kind: str, by: dt.date) -> tuple[float, str]:
    """The largest cap a lever may have, and why: every value up to the cap must make a
    scenario within the models' bounds (`nd_sim.scenario.bounds`), kept on to the end of the
    horizon (the earliest-date search keeps the cap going that long)."""
    start = scenario.start_date
    horizon = _months(start, start + dt.timedelta(days=scenario.horizon_weeks * 7))
    to_by = _months(start, by + dt.timedelta(days=1))
    if kind == OUTSOURCED:
        limit = MAX_CHILDREN / horizon
        why = (
            f"a cap that misses is kept on to the end of the horizon ({horizon:.1f} months), "
            f"and more a month would then buy over {MAX_CHILDREN:,} assessments, the most an "
            "outsourced_assessments block may hold"
        )
        return limit, why
    if kind == FUNDING:
        limit = MAX_GBP * to_by / horizon * (1 - 1e-9)
        why = (
            "a cap that misses is kept on at the same monthly rate to the end of the horizon "
            f"({horizon:.1f} months), and more would then spend over £{MAX_GBP:,.0f}, the most "
            "a funding budget may hold"
        )
        return limit, why
    if kind == WORKSHOPS:
        return 1.0, "an uptake is at most 1"
    return MAX_WTE, f"a staff change is at most {MAX_WTE:,.0f} WTE"


def _grid(
    scenario: Scenario, kind: str, by: dt.date, cap: float | None, step: float | None
) -> tuple[tuple[float, float], list[Problem]]:
    """The cap and step to search (defaults filled in, a default cap kept within
    `cap_limit`), and the problems with the ones given."""
    default_cap, default_step = DEFAULTS[kind]
    limit, why = cap_limit(scenario, kind, by)
    problems = []
    if cap is not None and cap > limit:
        most = _num(math.floor(limit * 100) / 100)
        problems.append(Problem("--cap", cap, f"must be at most {most}: {why}"))
    top = min(default_cap, limit) if cap is None else cap
    width = default_step if step is None else step
    if step is None and width > top:
        width = top  # a default step never goes beyond the cap (e.g. --cap 10 assessments)
    if problems or top <= 0 or width <= 0 or not (math.isfinite(top) and math.isfinite(width)):
        return (top, width), problems  # already refused (here or in _check)
    if width > top:  # only a given step: a default one is cut to the cap above
        name, value = "--step", step
        rule = (
            f"the step ({_num(width)}) is larger than the cap ({_num(top)}), so only 0 "
            "would be searched; use a step at most the cap"
        )
        return (top, width), [Problem(name, value, rule)]
    ratio = top / width
    points = math.floor(ratio + 1e-9) if math.isfinite(ratio) else None  # as the solver counts
    if points is None or points > MAX_GRID_POINTS:
        name, value = ("--step", step) if step is not None else ("--cap", cap)
        many = "more than 10^308" if points is None else f"{points:,}"
        many = f"about {ratio:.3g}" if points is not None and points >= 1e12 else many
        rule = (
            f"a step of {_num(step or width)} up to a cap of {_num(top)} makes {many} grid points "
            f"above 0; at most {MAX_GRID_POINTS:,}: use a larger --step or a smaller --cap"
        )
        problems.append(Problem(name, value, rule))
    return (top, width), problems


def _num(x: float) -> str:
    """A number for messages: 1,500, 0.05, 4,183,912.37, 1e-300."""
    return f"{x:,.12g}"


def _months(start: dt.date, until: dt.date) -> float:
    return (until - start).days / 7.0 / WEEKS_PER_MONTH


def _check(
    scenario: Scenario,
    kind: str | None,
    profs: tuple[str, ...],
    text: str,
    cap: float | None,
    step: float | None,
) -> list[Problem]:
    problems = []
    known = list(scenario.professions)
    for prof in profs:
        if prof not in scenario.professions:
            levers = f"{OUTSOURCED}, {WORKSHOPS}, {FUNDING}[:PROFESSIONS]"
            rule = f"unknown profession {prof!r}; professions are {', '.join(known)} (or {levers})"
            problems.append(Problem("--lever", text, rule))
    twice = sorted({p for p in profs if profs.count(p) > 1})
    if twice:
        rule = f"names {', '.join(twice)} more than once; list each profession once"
        problems.append(Problem("--lever", text, rule))
    if kind is None and not profs:
        problems.append(Problem("--lever", text, "name one or more professions, or a lever"))
    if kind == WORKSHOPS and not scenario.pathway.workshops:
        problems.append(Problem("--lever", text, "the scenario has no workshops to take up"))
    if cap is not None and not cap > 0:  # NaN too
        problems.append(Problem("--cap", cap, "must be above 0"))
    if step is not None and not (step > 0 and math.isfinite(step)):
        problems.append(Problem("--step", step, "must be a finite number above 0"))
    return problems


def _words(names: tuple[str, ...]) -> str:
    """Professions in words: "a", "a and b", "a, b and c" ("" for none: outsourcing and
    workshops name no profession)."""
    words = [n.replace("_", " ") for n in names]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _d(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
