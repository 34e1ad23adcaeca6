"""What is the best use of a budget? Every way the scenario can spend it, costed and
simulated against doing nothing on common random numbers, then ranked.

The ways: recruit each profession (fixed-term posts through the scenario's costs,
recruitment lag and caps), buy outsourced assessments, run more workshop sessions, and a
mix (half on the bottleneck profession, half on outsourcing). An option that would cost
more than the budget is refused, not run.

`plan_options` checks the settings and builds and checks every option (bad input raises
`ScenarioError`) before `options_to_folder` opens its staged folder, so bad input never
leaves anything behind.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.compare import HEADLINE, ComparisonResult, check_comparable, compare_into
from nd_sim.inputs.analytic import team_panels
from nd_sim.inputs.capacity import WEEKS_PER_MONTH, committed_gbp
from nd_sim.inputs.model import Model, compile_model
from nd_sim.results.kpis import COUNTY
from nd_sim.run.pipeline import staged
from nd_sim.run.settings import RunSettings
from nd_sim.scenario.bounds import MAX_CHILDREN
from nd_sim.scenario.models import Funding, Outsourcing, Scenario, Workshop
from nd_sim.scenario.variants import varied

BUDGET_TOLERANCE_GBP = 1.0
MAX_PLACES_PER_SESSION = next(  # the scenario's own bound on a workshop's places
    m.le for m in Workshop.model_fields["places_per_session"].metadata if hasattr(m, "le")
)


@dataclass(frozen=True)
class Settings:
    """How the budget may be spent (assumptions the user can change on the command line)."""

    budget_gbp: float
    over_months: float
    start: dt.date
    max_recruits_wte: float = 8.0
    recruitment_lag_weeks: float = 12.0
    ramp_up_weeks: float = 6.0
    price_gbp_each: float = 1500.0
    workshop_cost_gbp_per_session: float = 600.0


@dataclass(frozen=True)
class Option:
    """One way to spend the budget: a scenario variant and what it costs."""

    slug: str
    label: str
    scenario: Scenario
    cost_gbp: float
    source: Path | None = None  # the file of a user's own option


@dataclass(frozen=True)
class Plan:
    """The checked options, ready to run: the allowed ones and their compiled models, and
    the ones refused for costing more than the budget."""

    options: list[Option]
    refused: list[Problem]
    models: list[Model]


def check_settings(base: Scenario, settings: Settings) -> None:
    """Refuse settings no option could be built from, naming the command-line option:
    a budget or price not above 0, more outsourced assessments than a scenario may hold,
    a start outside the scenario's horizon."""
    problems = []
    budget, price = settings.budget_gbp, settings.price_gbp_each
    if not (math.isfinite(budget) and budget > 0):
        problems.append(Problem("--budget-gbp", budget, "must be a finite amount above 0"))
    if not (math.isfinite(price) and price > 0):
        problems.append(Problem("--price-gbp-each", price, "a price must be above 0"))
    elif math.isfinite(budget) and budget // price > MAX_CHILDREN:
        count = budget // price
        many = f"{count:,.0f}" if count < 1e15 else f"about {count:.3g}"
        many = many if math.isfinite(count) else "more than 10^308"
        rule = (
            f"£{budget:,.0f} at £{price:,.6g} each buys {many} outsourced assessments; a "
            f"scenario holds at most {MAX_CHILDREN:,}: raise --price-gbp-each or lower "
            "--budget-gbp"
        )
        value = f"{budget:g} / {price:g}"
        problems.append(Problem("--budget-gbp / --price-gbp-each", value, rule))
    if not (math.isfinite(settings.over_months) and settings.over_months > 0):
        problems.append(Problem("--over-months", settings.over_months, "must be above 0"))
    last = base.start_date + dt.timedelta(days=base.horizon_weeks * 7 - 1)
    if not base.start_date <= settings.start <= last:
        rule = f"must be inside the scenario's horizon: from {base.start_date} to {last}"
        problems.append(Problem("--from", settings.start, rule))
    if problems:
        raise ScenarioError("nd-sim options", problems)


def plan_options(
    base: Scenario,
    settings: Settings,
    extra: tuple[Option, ...] = (),
    base_path: Path | None = None,
) -> Plan:
    """Check the settings, build every option and check that each can be compared with
    doing nothing (the user's own must have the base's districts, horizon and start);
    raise `ScenarioError` listing every problem. Nothing is written."""
    check_settings(base, settings)
    options, refused = build_options(base, settings, extra)
    if len(options) < 2:
        raise ScenarioError(
            "options", [*refused, Problem("options", 0, "no option fits the budget")]
        )
    models = [compile_model(o.scenario) for o in options]
    paths = [o.source or Path(f"{o.slug}.toml") for o in options]
    paths[0] = base_path or Path("the base scenario")
    own = [i for i, o in enumerate(options) if any(o is e for e in extra)]
    if own:  # the options made here share the base's districts, horizon and start
        try:
            check_comparable([models[i] for i in (0, *own)], [paths[i] for i in (0, *own)])
        except ScenarioError as exc:
            named = [Problem(f"--option {p.path}", p.value, p.rule) for p in exc.problems]
            raise ScenarioError("--option", named) from None
    return Plan(options, refused, models)


def build_options(
    base: Scenario, settings: Settings, extra: tuple[Option, ...] = ()
) -> tuple[list[Option], list[Problem]]:
    """Every option the scenario can express (plus the user's own), and the ones refused
    for costing more than the budget."""
    options = [
        Option(
            "do-nothing", "Do nothing", varied(base, "option: do nothing", name="Do nothing"), 0.0
        )
    ]
    for prof in _recruitable(base):
        options.append(
            _recruit(base, settings, {prof: 1.0}, f"recruit-{prof}", f"Recruit {_words(prof)}")
        )
    options.append(
        _outsource(base, settings, settings.budget_gbp, "outsource", "Outsourced assessments")
    )
    if base.pathway.workshops:
        options.append(_workshops(base, settings))
    bottleneck = _bottleneck(base)
    if bottleneck:
        half = settings.budget_gbp / 2
        recruit = _recruit(base, settings, {bottleneck: 1.0}, "mix", "mix", budget=half)
        mixed = _outsource(recruit.scenario, settings, half, "mix", "mix")
        label = f"Mix: half on {_words(bottleneck)}, half on outsourced assessments"
        options.append(
            Option(
                "mix",
                label,
                varied(mixed.scenario, f"option: {label}", name=label),
                recruit.cost_gbp + mixed.cost_gbp,
            )
        )
    options += list(extra)
    refused = [
        Problem(
            f"option {o.slug}",
            round(o.cost_gbp),
            f"costs more than the budget (£{settings.budget_gbp:,.0f})",
        )
        for o in options
        if o.cost_gbp > settings.budget_gbp + BUDGET_TOLERANCE_GBP
    ]
    allowed = [o for o in options if o.cost_gbp <= settings.budget_gbp + BUDGET_TOLERANCE_GBP]
    return allowed, refused


def _words(name: str) -> str:
    return name.upper() if len(name) <= 3 else name.replace("_", " ")


def custom_option(
    base: Scenario, scenario: Scenario, slug: str, settings: Settings, source: Path | None = None
) -> Option:
    """A user's own option (a scenario extending the base, read from `source`): its cost is
    what its new interventions commit over the budget period."""
    cost = 0.0
    for item in scenario.interventions:
        if item in base.interventions:
            continue
        if isinstance(item, Funding):
            cost += committed_gbp(scenario, item)
        elif isinstance(item, Outsourcing):
            cost += item.assessments * item.price_gbp_each
        else:  # a staff change, paid for the budget period
            yearly = scenario.professions[item.profession].cost_gbp_per_wte_year
            cost += max(item.wte, 0.0) * yearly * settings.over_months / 12.0
    return Option(slug, scenario.name, scenario, cost, source)


def _recruitable(base: Scenario) -> list[str]:
    """Professions that have a cost and are used by some appointment or the panel."""
    used = {p for a in base.pathway.appointments for p, h in a.hours.items() if h > 0}
    used |= {p for p, h in base.pathway.triage.hours_per_referral.items() if h > 0}
    return [
        p for p in base.professions if p in used and base.professions[p].cost_gbp_per_wte_year > 0
    ]


def _recruit(
    base: Scenario,
    settings: Settings,
    spend_on: dict[str, float],
    slug: str,
    label: str,
    budget: float | None = None,
) -> Option:
    item = Funding(
        kind="funding",
        name=label or "recruitment",
        budget_gbp=settings.budget_gbp if budget is None else budget,
        from_date=settings.start,
        over_months=settings.over_months,
        spend_on=spend_on,
        max_recruits_wte={p: settings.max_recruits_wte for p in spend_on},
        recruitment_lag_weeks=settings.recruitment_lag_weeks,
        ramp_up_weeks=settings.ramp_up_weeks,
    )
    scenario = varied(
        base,
        f"option: {label or slug}",
        name=label or base.name,
        interventions=[*base.interventions, item],
    )
    return Option(slug, label, scenario, committed_gbp(scenario, item))


def _outsource(base: Scenario, settings: Settings, budget: float, slug: str, label: str) -> Option:
    count = int(budget // settings.price_gbp_each)
    until = settings.start + dt.timedelta(weeks=settings.over_months * WEEKS_PER_MONTH)
    item = Outsourcing(
        kind="outsourced_assessments",
        name=label or "outsourced assessments",
        assessments=count,
        price_gbp_each=settings.price_gbp_each,
        from_date=settings.start,
        until_date=until,
    )
    scenario = varied(
        base,
        f"option: {label or slug}",
        name=label or base.name,
        interventions=[*base.interventions, item],
    )
    return Option(slug, label, scenario, count * settings.price_gbp_each)


def _workshops(base: Scenario, settings: Settings) -> Option:
    """More places: the budget buys extra sessions, spread over every team and kind, up to
    the most places a session may have (money beyond that is left unspent)."""
    weeks = settings.over_months * WEEKS_PER_MONTH
    kinds = base.pathway.workshops
    teams = len(base.teams)
    sessions_now = sum(weeks / w.every_weeks for w in kinds) * teams
    extra = settings.budget_gbp // settings.workshop_cost_gbp_per_session
    factor = 1.0 + extra / sessions_now if sessions_now else 1.0
    most = min(
        (MAX_PLACES_PER_SESSION / w.places_per_session for w in kinds if w.places_per_session),
        default=factor,
    )
    if factor > most:
        factor = most
        extra = math.floor((factor - 1.0) * sessions_now)
    more = [
        w.model_copy(
            update={
                "places_per_session": min(
                    math.ceil(w.places_per_session * factor), MAX_PLACES_PER_SESSION
                )
            }
        )
        for w in kinds
    ]
    label = "More workshop sessions"
    pathway = base.pathway.model_copy(update={"workshops": more})
    scenario = varied(base, f"option: {label}", name=label, pathway=pathway)
    return Option("workshops", label, scenario, extra * settings.workshop_cost_gbp_per_session)


def _bottleneck(base: Scenario) -> str | None:
    """The profession most teams are short of, by the analytic panel."""
    names = [
        p.bottleneck for p in team_panels(compile_model(base)) if p.bottleneck in base.professions
    ]
    return max(set(names), key=names.count) if names else None


def options_to_folder(
    base: Scenario,
    budget: Settings,
    settings: RunSettings,
    on_done: Callable[[int], None] | None = None,
    extra: tuple[Option, ...] = (),
    plan: Plan | None = None,
) -> tuple[ComparisonResult, pd.DataFrame, list[Problem]]:
    """Simulate every allowed option against doing nothing and rank them (`plan`: from
    `plan_options`, made here when not given; every check is done before the staged
    folder is opened)."""
    plan = plan or plan_options(base, budget, extra)
    options, refused, models = plan.options, plan.refused, plan.models
    paths = [Path(f"{o.slug}.toml") for o in options]
    with staged(settings, "options", models) as stage:
        result = compare_into(stage, models, paths, on_done)
        ranked = ranking_table(result, options)
        stage.folder.write_csv("options.csv", ranked)
        stage.folder.write_text("options.md", options_markdown(ranked, budget, refused))
    return result, ranked, refused


def ranking_table(result: ComparisonResult, options: list[Option]) -> pd.DataFrame:
    """One row per option: cost, wait saved (paired CI), per £1m, extra children in 13 weeks."""
    table = result.comparison
    county = table[(table.area == COUNTY)].set_index(["folder", "kpi"])
    rows = []
    for option, entry in zip(options, result.entries, strict=True):

        def get(kpi: str, field: str, folder: str = entry.slug) -> float:
            key = (folder, kpi)
            return float(county.loc[key, field]) if key in county.index else np.nan

        saved = -get(HEADLINE, "diff_from_base")
        cost = get("intervention_cost_gbp", "mean")
        rows.append(
            {
                "option": option.label,
                "folder": entry.slug,
                "budget_committed_gbp": option.cost_gbp,
                "cost_in_horizon_gbp": cost,
                "median_wait_saved_weeks": saved,
                "saved_ci95_low": -get(HEADLINE, "diff_ci95_high"),
                "saved_ci95_high": -get(HEADLINE, "diff_ci95_low"),
                "weeks_saved_per_million_gbp": saved / option.cost_gbp * 1e6
                if option.cost_gbp
                else 0.0,
                "extra_seen_within_13w": get("first_within_13w", "diff_from_base"),
                "extra_seen_ci95_low": get("first_within_13w", "diff_ci95_low"),
                "extra_seen_ci95_high": get("first_within_13w", "diff_ci95_high"),
                "open_52w_plus_change": get("open_52w_plus_end", "diff_from_base"),
            }
        )
    frame = pd.DataFrame(rows)
    # options that clearly help first (most weeks saved per £), then doing nothing, then
    # options that cost money for no clear gain (cheapest first)
    frame["helps"] = frame.saved_ci95_low > 0
    frame = frame.sort_values(
        ["helps", "weeks_saved_per_million_gbp", "budget_committed_gbp"],
        ascending=[False, False, True],
        kind="stable",
    ).drop(columns="helps")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    by_children = frame.extra_seen_within_13w.rank(ascending=False, method="min")
    frame.insert(1, "rank_by_children_within_13w", by_children.astype(int))
    return frame.reset_index(drop=True)


def options_markdown(ranked: pd.DataFrame, settings: Settings, refused: list[Problem]) -> str:
    """The ranking in words."""
    lines = [
        f"# Ways to spend £{settings.budget_gbp:,.0f} over {settings.over_months:g} months",
        "",
        f"From {settings.start}, ranked by weeks of median wait (referral to first "
        "appointment, county) saved per £1m, each against doing nothing on the same "
        "simulated children. Intervals are paired 95% CIs over replications.",
        "",
        "| rank | option | committed £ | median wait saved (weeks) | weeks per £1m "
        "| extra seen within 13 weeks |",
        "|---|---|---|---|---|---|",
    ]
    for r in ranked.itertuples(index=False):
        lines.append(
            f"| {r.rank} | {r.option} | {r.budget_committed_gbp:,.0f} | "
            f"{r.median_wait_saved_weeks:.1f} "
            f"({r.saved_ci95_low:.1f} to {r.saved_ci95_high:.1f}) | "
            f"{r.weeks_saved_per_million_gbp:.1f} | {r.extra_seen_within_13w:+.0f} "
            f"({r.extra_seen_ci95_low:+.0f} to {r.extra_seen_ci95_high:+.0f}) |"
        )
    if refused:
        lines += ["", "Refused (over budget):", ""] + [f"- {p}" for p in refused]
    lines += [
        "",
        "Assumptions: posts are fixed-term for the period, capped at "
        f"{settings.max_recruits_wte:g} WTE per profession, start after "
        f"{settings.recruitment_lag_weeks:g} weeks and ramp up over {settings.ramp_up_weeks:g}; "
        f"outsourced assessments cost £{settings.price_gbp_each:,.0f} each; a workshop session "
        f"costs £{settings.workshop_cost_gbp_per_session:,.0f}. Money the caps cannot spend is "
        "left unspent (see `committed £`). See `changes.md` for every option in full.",
    ]
    return "\n".join(lines) + "\n"
