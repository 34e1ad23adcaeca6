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
from nd_sim.experiments.compare import (
    ComparisonResult,
    check_comparable,
    compare_into,
    end_words,
)
from nd_sim.experiments.districts import district_words, gains_and_losses
from nd_sim.experiments.ranking import (
    Objective,
    gain_text,
    money_words,
    per_million_text,
    sentence,
)
from nd_sim.inputs.analytic import team_panels
from nd_sim.inputs.capacity import WEEKS_PER_MONTH, committed_gbp
from nd_sim.inputs.model import Model, compile_model
from nd_sim.inputs.starting_list import list_inputs
from nd_sim.results import registry
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


def _compiled(scenarios: list[Scenario]) -> list[Model]:
    """Each scenario compiled, the starting list read once for all that read it alike (it
    is most of a compile's cost, and the options made here change no input it reads)."""
    first = compile_model(scenarios[0])
    same = list_inputs(scenarios[0])
    return [first] + [
        compile_model(s, first.starting if list_inputs(s) == same else None) for s in scenarios[1:]
    ]


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
    models = _compiled([o.scenario for o in options])
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
    objective: Objective | None = None,
) -> tuple[ComparisonResult, pd.DataFrame, list[Problem]]:
    """Simulate every allowed option against doing nothing and rank them on the objective
    (`plan`: from `plan_options`, made here when not given; every check is done before the
    staged folder is opened)."""
    plan = plan or plan_options(base, budget, extra)
    options, refused, models = plan.options, plan.refused, plan.models
    paths = [Path(f"{o.slug}.toml") for o in options]
    with staged(settings, "options", models) as stage:
        result = compare_into(stage, models, paths, on_done, objective)
        end = end_words(models[0])
        ranked = ranking_table(result, options, end)
        stage.folder.write_csv("options.csv", ranked)
        text = options_markdown(ranked, budget, refused, result.objective, end)
        stage.folder.write_text("options.md", text)
    return result, ranked, refused


def ranking_table(
    result: ComparisonResult, options: list[Option], end: str | None = None
) -> pd.DataFrame:
    """One row per option, best first on the objective: what it commits and costs, the
    objective's paired change (and per £1m), every trade-off measure's change, and the
    trade-offs in words."""
    objective = result.objective
    table = result.comparison
    here = table[(table.area_type == objective.area_type) & (table.area == objective.area)]
    here = here.set_index(["folder", "kpi"])
    county = table[table.area == COUNTY].set_index(["folder", "kpi"])
    label = {e.slug: o.label for o, e in zip(options, result.entries, strict=True)}
    committed = {e.slug: o.cost_gbp for o, e in zip(options, result.entries, strict=True)}
    sign = -1.0 if objective.lower_is_better else 1.0
    rows = []
    for r in result.ranks.itertuples(index=False):

        def get(kpi: str, field: str, frame: pd.DataFrame = here, folder: str = r.folder):
            key = (folder, kpi)
            return float(frame.loc[key, field]) if key in frame.index else np.nan

        gain = sign * r.objective_diff
        low, high = sorted((sign * r.objective_diff_ci95_low, sign * r.objective_diff_ci95_high))
        cost = committed[r.folder]
        row = {
            "rank": r.rank,
            "option": label[r.folder],
            "folder": r.folder,
            "objective": r.objective,
            "objective_area": r.objective_area,
            "budget_committed_gbp": cost,
            "cost_in_horizon_gbp": get("intervention_cost_gbp", "mean", county),
            "objective_mean": r.objective_mean,
            "objective_gain": gain,
            "gain_ci95_low": low,
            "gain_ci95_high": high,
            "gain_is_clear": bool(low > 0),
            "gain_per_million_gbp": gain / cost * 1e6 if cost else np.nan,
        }
        for kpi in registry.TRADEOFF_KPIS:
            row[f"{kpi}_change"] = get(kpi, "diff_from_base")
        row["tradeoffs"] = r.tradeoffs
        row["tradeoffs_text"] = r.tradeoffs_text
        row["gains"] = r.gains
        row["gains_text"] = r.gains_text
        sign_back = -1.0 if objective.lower_is_better else 1.0
        diff_low, diff_high = sorted((sign_back * low, sign_back * high))
        row["summary"] = sentence(
            label[r.folder], objective, sign_back * gain, diff_low, diff_high, r, end
        )
        row["districts_text"] = district_words(*gains_and_losses(table, r.folder))
        if row["districts_text"]:
            row["summary"] += f" By district: {row['districts_text']}."
        rows.append(row)
    return pd.DataFrame(rows)


def options_markdown(
    ranked: pd.DataFrame,
    settings: Settings,
    refused: list[Problem],
    objective: Objective,
    end: str,
) -> str:
    """The ranking in words, trade-offs first-class."""
    better = "lower" if objective.lower_is_better else "higher"
    lines = [
        f"# Ways to spend £{settings.budget_gbp:,.0f} over {settings.over_months:g} months",
        "",
        f"From {settings.start}, ranked on the {objective.describe()} to {end} ({better} is "
        "better), each against doing nothing on the same simulated children. Intervals are "
        "paired 95% CIs over replications. A trade-off is a headline measure that the option "
        "makes clearly worse (its paired 95% CI lies wholly on the bad side of zero).",
        "",
        f"| rank | option | committed | {registry.short(objective.kpi)}: gain "
        "| gain per £1m | trade-offs |",
        "|---|---|---|---|---|---|",
    ]
    for r in ranked.itertuples(index=False):
        gain = gain_text(r.objective_gain, r.gain_ci95_low, r.gain_ci95_high)
        per = per_million_text(r.gain_per_million_gbp)
        worse = r.tradeoffs_text or "none"
        lines.append(
            f"| {r.rank} | {r.option} | {money_words(r.budget_committed_gbp)} | {gain} "
            f"| {per} | {worse} |"
        )
    lines += ["", "## In words", ""]
    lines += [f"- {r.summary}" for r in ranked.itertuples(index=False)]
    if refused:
        lines += ["", "Refused (over budget):", ""] + [f"- {p}" for p in refused]
    lines += [
        "",
        "Assumptions: posts are fixed-term for the period, capped at "
        f"{settings.max_recruits_wte:g} WTE per profession, start after "
        f"{settings.recruitment_lag_weeks:g} weeks and ramp up over {settings.ramp_up_weeks:g}; "
        f"outsourced assessments cost £{settings.price_gbp_each:,.0f} each; a workshop session "
        f"costs £{settings.workshop_cost_gbp_per_session:,.0f}. Money the caps cannot spend is "
        "left unspent (see `committed`). See `changes.md` for every option in full, "
        "`comparison.csv` for every measure and `financial_years.csv` for when the benefit "
        "arrives.",
    ]
    return "\n".join(lines) + "\n"
