"""`nd-sim size --optimise-mix`: the cheapest mix of professions (and teams) that meets a
target by a date, or the best mix for a budget, checked and written atomically.

Target form: the mix search (`mix_search.search_target`), then the answer checked on fresh
replications the search never saw, then the fixed mixes a manager would otherwise try
(the equal split of the same professions, and each profession alone) sized on the same
replications for comparison, then the headline measures the mix makes worse. Budget form:
the best mix within the money (`mix_search.search_budget`) against the equal split of the
money and each profession alone. Files: `mix.csv`, `path.csv` (and `path.png`/`.svg`),
`comparisons.csv`, `tradeoffs.csv`, `answer.md` and `manifest.json`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.engine.replication import run_replication
from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.ranking import Objective, money_words, objective_for
from nd_sim.experiments.sizing import levers as levers_mod
from nd_sim.experiments.sizing.evaluate import Evaluation, Evaluator
from nd_sim.experiments.sizing.guess import first_guess
from nd_sim.experiments.sizing.levers import STAFF, Lever
from nd_sim.experiments.sizing.mix import Mix, MixSpace, mix_space, within_caps
from nd_sim.experiments.sizing.mix_guess import bottlenecks, first_mix_guess
from nd_sim.experiments.sizing.mix_search import MixResult, MixSearch, search_budget, search_target
from nd_sim.experiments.sizing.mix_words import budget_paragraph, target_paragraph
from nd_sim.experiments.sizing.run import SizeRequest, prepare
from nd_sim.experiments.sizing.tradeoffs import Worse, worse_than_base
from nd_sim.inputs.capacity import WEEKS_PER_MONTH
from nd_sim.inputs.model import Model, compile_model
from nd_sim.results.kpis import replication_kpis
from nd_sim.results.statistics import t_interval
from nd_sim.run.pipeline import Stage, staged
from nd_sim.run.runner import package_versions
from nd_sim.run.settings import RunSettings
from nd_sim.scenario.models import Scenario

BUDGET_STEPS = 20  # the budget form's grid: about this many steps of the cheapest profession
COMPARE_COST_TIMES = 2.0  # fixed mixes are sized up to this times the mix's cost a year


@dataclass(frozen=True)
class MixRequest:
    """A checked mix question: the target form (`size` set) or the budget form."""

    scenario: Scenario
    space: MixSpace
    professions: tuple[str, ...]
    by_team: bool
    replications: int
    seed: int
    jobs: int
    confidence: float
    size: SizeRequest | None = None  # the target form
    budget_gbp: float | None = None  # the budget form
    over_months: float | None = None
    objective: Objective | None = None

    @property
    def budget_form(self) -> bool:
        """True for "the best mix for this money"."""
        return self.size is None


@dataclass(frozen=True)
class Fixed:
    """A fixed mix sized for comparison: the equal split, or one profession alone."""

    name: str
    wte: float | None  # None: not met up to `up_to_wte`
    cost_per_year_gbp: float
    n_met: int
    up_to_wte: float
    objective_mean: float = math.nan  # the budget form


@dataclass(frozen=True)
class MixOutcome:
    """What the command line prints."""

    out: Path
    paragraph: str
    mix: pd.DataFrame
    path: pd.DataFrame
    comparisons: pd.DataFrame
    result: MixResult
    evaluations: int
    wall_seconds: float
    worse: tuple[Worse, ...] = ()


def prepare_mix(
    scenario: Scenario,
    *,
    target: str | None,
    by: str | None,
    lever: str | None,
    by_team: bool = False,
    budget_gbp: float | None = None,
    over_months: float | None = None,
    objective: str | None = None,
    area: str = "county",
    confidence: float = 0.8,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    step: float | None = None,
    cap: float | None = None,
    lag_weeks: float | None = None,
    ramp_weeks: float = 0.0,
) -> MixRequest:
    """Check a mix question; raise `ScenarioError` listing every problem (exit code 2)."""
    budget_form = budget_gbp is not None or over_months is not None
    lever = lever or ",".join(recruitable(scenario))
    problems = _form_problems(budget_form, target, by, budget_gbp, over_months, objective)
    if problems:
        raise ScenarioError("nd-sim size --optimise-mix", problems)
    reps = replications or scenario.run.replications
    seed = scenario.run.seed if seed is None else seed
    if budget_form:
        return _prepare_budget(
            scenario, lever, by_team, budget_gbp, over_months, objective, area, confidence,
            reps, seed, jobs, step, cap, lag_weeks, ramp_weeks,
        )  # fmt: skip
    request = prepare(
        scenario, target, by, lever, cap=cap, step=step, lag_weeks=lag_weeks,
        ramp_weeks=ramp_weeks, area=area, confidence=confidence, replications=reps,
        seed=seed, jobs=jobs, marginal_rows=0,
    )  # fmt: skip
    fixed = _staff_lever(request.levers[0], lever)
    space = mix_space(
        scenario, fixed.professions, by_team=by_team, step_wte=fixed.step, cap_wte=fixed.cap,
        lag_weeks=fixed.lag_weeks, ramp_weeks=fixed.ramp_weeks,
    )  # fmt: skip
    return MixRequest(
        scenario, space, fixed.professions, by_team, reps, seed, jobs, confidence, size=request
    )


def _form_problems(budget_form, target, by, budget_gbp, over_months, objective) -> list[Problem]:
    problems = []
    if budget_form:
        if target is not None or by is not None:
            rule = "the budget form (--budget-gbp, --over-months) takes no --target or --by"
            problems.append(Problem("--target", target or by, rule))
        if budget_gbp is None or not budget_gbp > 0:
            problems.append(Problem("--budget-gbp", budget_gbp, "must be given, above 0"))
        if over_months is None or not over_months > 0:
            problems.append(Problem("--over-months", over_months, "must be given, above 0"))
    else:
        for name, value in (("--target", target), ("--by", by)):
            if value is None:
                rule = "is needed (or give --budget-gbp and --over-months for the budget form)"
                problems.append(Problem(name, value, rule))
        if objective is not None:
            rule = "only the budget form ranks on an objective; the target form meets --target"
            problems.append(Problem("--objective", objective, rule))
    return problems


def _staff_lever(lever: Lever, text: str) -> Lever:
    if lever.kind != STAFF:
        rule = (
            "--optimise-mix mixes professions: name them (e.g. "
            '"paediatrician,clinical_psychologist"), or leave --lever out for every one'
        )
        raise ScenarioError("--lever", [Problem("--lever", text, rule)])
    return lever


def _prepare_budget(
    scenario, lever_text, by_team, budget_gbp, over_months, objective, area, confidence,
    reps, seed, jobs, step, cap, lag_weeks, ramp_weeks,
) -> MixRequest:  # fmt: skip
    last = scenario.start_date + dt.timedelta(days=scenario.horizon_weeks * 7 - 1)
    problems = []
    try:
        chosen = objective_for(objective, area, tuple(scenario.districts), tuple(scenario.teams))
    except ScenarioError as exc:
        problems += exc.problems
    try:
        lever = levers_mod.parse_levers(
            lever_text, scenario, last, cap=cap, step=step, lag_weeks=lag_weeks,
            ramp_weeks=ramp_weeks,
        )[0]  # fmt: skip
        lever = _staff_lever(lever, lever_text)
    except ScenarioError as exc:
        problems += exc.problems
    horizon_months = scenario.horizon_weeks / WEEKS_PER_MONTH
    if over_months > horizon_months:
        rule = f"must be at most the horizon, {horizon_months:.1f} months"
        problems.append(Problem("--over-months", over_months, rule))
    if problems:
        raise ScenarioError("nd-sim size --optimise-mix", problems)
    until = scenario.start_date + dt.timedelta(days=round(over_months * WEEKS_PER_MONTH * 7))
    cheapest = min(scenario.professions[p].cost_gbp_per_wte_year for p in lever.professions)
    affordable = budget_gbp / max(cheapest * over_months / 12.0, 1e-9)
    width = step if step is not None else max(lever.step, _half_up(affordable / BUDGET_STEPS))
    space = mix_space(
        scenario, lever.professions, by_team=by_team, step_wte=width, cap_wte=lever.cap,
        lag_weeks=lever.lag_weeks, ramp_weeks=lever.ramp_weeks, until=until,
    )  # fmt: skip
    return MixRequest(
        scenario, space, lever.professions, by_team, reps, seed, jobs, confidence,
        budget_gbp=budget_gbp, over_months=over_months, objective=chosen,
    )  # fmt: skip


def _half_up(wte: float) -> float:
    """Up to the next half WTE."""
    return math.ceil(wte * 2 - 1e-9) / 2


def recruitable(scenario: Scenario) -> list[str]:
    """Professions that have a cost and that some appointment uses."""
    used = {p for a in scenario.pathway.appointments for p, h in a.hours.items() if h > 0}
    return [
        p
        for p in scenario.professions
        if p in used and scenario.professions[p].cost_gbp_per_wte_year > 0
    ]


def expected_replications(request: MixRequest) -> int:
    """A typical count of replications (for the progress bar): about three rounds of moves
    for the search and a few bisections per comparison."""
    moves = len(request.space.cells) + 1
    fixed = (len(request.professions) + 1) * 5
    return (3 * moves + fixed + 3) * request.replications


def optimise_to_folder(
    request: MixRequest, settings: RunSettings, on_done: Callable[[int], None] | None = None
) -> MixOutcome:
    """Run the search and write the results folder atomically (staged and resumable)."""
    from nd_sim.experiments.sizing.mix_plot import path_figure
    from nd_sim.report.figures.style import save

    started = time.perf_counter()
    r = request
    base = compile_model(r.scenario)
    asked = {
        "optimise_mix": True,
        "by_team": r.by_team,
        "professions": list(r.professions),
        "step_wte": r.space.step_wte,
        "confidence": r.confidence,
        "target": r.size.target.text if r.size else None,
        "by": r.size.window.by.isoformat() if r.size else None,
        "area": r.size.area_name if r.size else r.objective.as_dict(),
        "budget_gbp": r.budget_gbp,
        "over_months": r.over_months,
    }
    runs = expected_replications(r)
    with staged(settings, "size", [base], runs=runs, **asked) as stage:
        if r.budget_form:
            done = _budget(r, stage, base, on_done)
        else:
            done = _target(r, stage, base, on_done)
        result, text, comparisons, worse, evaluations, fresh = done
        wall = time.perf_counter() - started
        path = path_frame(r, result)
        mix = mix_frame(r.scenario, r.space, result.answer)
        folder = stage.folder
        folder.write_csv("mix.csv", mix)
        folder.write_csv("path.csv", path)
        folder.write_csv("comparisons.csv", comparisons)
        folder.write_csv("tradeoffs.csv", _tradeoff_frame(worse))
        folder.write_text("answer.md", text + "\n")
        save(path_figure(path, r, result), folder.path("path.png").parent, "path")
        info = _manifest(r, result, comparisons, fresh, wall, evaluations)
        folder.write_json("manifest.json", info)
    return MixOutcome(
        settings.out, text, mix, path, comparisons, result, evaluations, wall, tuple(worse)
    )


def _target(r: MixRequest, stage: Stage, base: Model, on_done):
    size = r.size
    evaluator = Evaluator(r.scenario, size.target, size.window, size.area, stage, on_done)
    equal_lever = size.levers[0]
    needs = first_guess(base, equal_lever, size.target, size.window, size.area)
    target = size.target
    goal = (r.confidence, target.threshold, target.higher_is_better)
    guess = first_mix_guess(base, r.space, needs.teams)
    if r.by_team:
        # The area-wide search first (a step per profession, shared by referrals: few
        # moves), then its answer split between the teams on the grid is the team search's
        # start, which the team search refines by adding and taking back single steps.
        shared = shared_space(r)
        first = MixSearch(evaluator, r.scenario, base, shared)
        found = search_target(first, first_mix_guess(base, shared, needs.teams), *goal)
        if found.answer is not None:
            guess = split_between_teams(shared, found.answer, r.space)
    search = MixSearch(evaluator, r.scenario, base, r.space)
    result = search_target(search, guess, *goal)
    if r.by_team and found.answer is not None:
        cost = money_words(shared.cost_per_year_gbp(found.answer))
        start = (
            f"the area-wide mix ({shared.describe(found.answer)}, {cost} a year, shared between "
            "the teams by referrals in fractions of posts) split into whole steps by team"
        )
        result = replace(result, started_from=start)
    fresh = None
    worse: list[Worse] = []
    answer_cost = math.nan
    if result.answer is not None:
        answer_scenario = r.space.apply(r.scenario, result.answer)
        fresh = evaluator.fresh(answer_scenario)
        answer_cost = r.space.cost_per_year_gbp(result.answer)
        if sum(result.answer) > 0:
            total = r.space.total_wte(result.answer)
            worse = worse_than_base(
                stage, r.scenario, answer_scenario, "the mix", total, target.kpi.name
            )
    fixed = _fixed_mixes(evaluator, r, equal_lever, answer_cost)
    before = bottlenecks(base, r.space, r.space.zero())
    after = bottlenecks(base, r.space, result.answer) if result.answer is not None else None
    answer_eval = search.evaluate(result.answer) if result.answer is not None else None
    text = target_paragraph(
        r, result, answer_eval, fresh, fixed, before, after, worse, evaluator.runs
    )
    return result, text, _fixed_frame(fixed, r), worse, evaluator.runs, fresh


def shared_space(r: MixRequest) -> MixSpace:
    """The request's professions as whole-area cells (shared between teams by referrals)."""
    space = r.space
    return mix_space(
        r.scenario, r.professions, by_team=False, step_wte=space.step_wte,
        cap_wte=max(space.max_steps) * space.step_wte, lag_weeks=space.lag_weeks,
        ramp_weeks=space.ramp_weeks, until=space.until,
    )  # fmt: skip


def split_between_teams(shared: MixSpace, mix: Mix, teams: MixSpace) -> Mix:
    """A whole-area mix as team cells: each profession's steps shared by referrals, by
    largest remainders (so the total, and the cost, stay the same), within the caps."""
    weights = dict(shared.weights)
    steps = dict.fromkeys(teams.cells, 0)
    for cell, total in zip(shared.cells, mix, strict=True):
        mine = [c for c in teams.cells if c.profession == cell.profession]
        ideal = {c: total * weights[c.team] for c in mine}
        for c in mine:
            steps[c] = math.floor(ideal[c])
        left = total - sum(steps[c] for c in mine)
        for c in sorted(mine, key=lambda c: ideal[c] - steps[c], reverse=True)[:left]:
            steps[c] += 1
    out = tuple(min(steps[c], top) for c, top in zip(teams.cells, teams.max_steps, strict=True))
    return out if within_caps(teams, out) else teams.zero()


def _fixed_mixes(
    evaluator: Evaluator, r: MixRequest, equal: Lever, answer_cost: float
) -> list[Fixed]:
    """The equal split, then each profession alone, each sized on the grid up to twice the
    mix's cost a year (the lever's cap when the mix was not found)."""
    levers = [equal]
    if len(r.professions) > 1:
        levers += [replace(equal, professions=(p,)) for p in r.professions]
    out = []
    for lever in levers:
        per_wte = lever.cost_per_year(r.scenario, 1.0)
        top = lever.cap
        if math.isfinite(answer_cost) and per_wte > 0:
            top = min(top, max(COMPARE_COST_TIMES * answer_cost / per_wte, 4 * lever.step))
        top_index = max(1, math.ceil(top / lever.step - 1e-9))
        evaluation = _smallest_meeting(evaluator, lever, top_index, r.confidence)
        up_to = round(top_index * lever.step, 10)
        if evaluation is None:
            last = evaluator.at(lever, top_index)
            out.append(Fixed(lever.name, None, math.nan, last.n_met, up_to))
        else:
            cost = evaluation.cost_per_year_gbp
            out.append(Fixed(lever.name, evaluation.x, cost, evaluation.n_met, up_to))
    return out


def _smallest_meeting(
    evaluator: Evaluator, lever: Lever, top: int, confidence: float
) -> Evaluation | None:
    """The smallest grid value up to `top` that meets the target, by bisection (the KPI is
    taken as monotone in one lever; the answer's own step below is run and missed)."""

    def meets(i: int) -> bool:
        return evaluator.at(lever, i).share_met >= confidence - 1e-12

    if not meets(top):
        return None
    low, high = 0, top
    if meets(0):
        return evaluator.at(lever, 0)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if meets(mid) else (mid, high)
    return evaluator.at(lever, high)


def area_value(
    model: Model, replication: int, seed: int, *, kpi: str, area_type: str, area: str
) -> float:
    """One replication's whole-run KPI in one area (module level: picklable)."""
    raw = run_replication(model, replication, seed)
    for t, name, k, v in replication_kpis(raw, model):
        if t == area_type and name == area and k == kpi:
            return float(v)
    return math.nan


def _budget(r: MixRequest, stage: Stage, base: Model, on_done):
    objective = r.objective
    work = functools.partial(
        area_value, kpi=objective.kpi, area_type=objective.area_type, area=objective.area
    )
    arrays: dict[Mix, np.ndarray] = {}

    def values(mix: Mix) -> np.ndarray:
        if mix not in arrays:
            model = compile_model(r.space.apply(r.scenario, mix))
            arrays[mix] = np.array(stage.map(work, model, on_done, key="mix-objective"), float)
        return arrays[mix]

    search = MixSearch(None, r.scenario, base, r.space)
    result = search_budget(search, values, objective.lower_is_better, r.budget_gbp, r.over_months)
    fixed = []
    for name, mix in _money_splits(r):
        v = values(mix)
        cost = r.space.cost_per_year_gbp(mix)
        fixed.append(
            Fixed(name, r.space.total_wte(mix), cost, 0, r.space.total_wte(mix), float(v.mean()))
        )
    zero = values(r.space.zero())
    diff = t_interval(values(result.answer) - zero)
    worse: list[Worse] = []
    if sum(result.answer) > 0:
        total = r.space.total_wte(result.answer)
        variant = r.space.apply(r.scenario, result.answer)
        worse = worse_than_base(stage, r.scenario, variant, "the mix", total, objective.kpi)
    before = bottlenecks(base, r.space, r.space.zero())
    after = bottlenecks(base, r.space, result.answer)
    text = budget_paragraph(r, result, diff, fixed, float(zero.mean()), before, after, worse)
    return result, text, _fixed_frame(fixed, r), worse, len(arrays), None


def _money_splits(r: MixRequest) -> list[tuple[str, Mix]]:
    """The money split equally between the professions, and all of it on each alone, as
    mixes on the grid (rounded down, so within the budget and the caps)."""
    space, months = r.space, r.over_months
    out = []
    groups = [("equal split", r.professions)]
    if len(r.professions) > 1:
        groups += [(p, (p,)) for p in r.professions]
    for name, chosen in groups:
        share = r.budget_gbp / len(chosen)
        mix = []
        for cell, cost, top in zip(
            space.cells, space.cost_gbp_per_wte_year, space.max_steps, strict=True
        ):
            if cell.profession not in chosen or cost <= 0:
                mix.append(0)
                continue
            cells_of = sum(1 for c in space.cells if c.profession == cell.profession)
            wte = share / cells_of / (cost * months / 12.0)
            mix.append(min(int(wte / space.step_wte + 1e-9), top))
        mix = tuple(mix)
        if within_caps(space, mix):
            out.append((name, mix))
    return out


def mix_frame(scenario: Scenario, space: MixSpace, mix: Mix | None) -> pd.DataFrame:
    """mix.csv: extra WTE and cost a year by team and profession (whole-area cells shared
    between teams by referrals, as the posts are)."""
    columns = ["team", "profession", "extra_wte", "cost_gbp_per_year", "searched_as"]
    if mix is None:
        return pd.DataFrame(columns=columns)
    weights = dict(space.weights)
    rows = []
    for cell, wte, cost in zip(
        space.cells, space.wte(mix), space.cost_gbp_per_wte_year, strict=True
    ):
        if wte <= 0:
            continue
        shares = {cell.team: 1.0} if cell.team else weights
        how = "team" if cell.team else "area, shared by referrals"
        for team, share in shares.items():
            rows.append([team, cell.profession, wte * share, wte * share * cost, how])
    return pd.DataFrame(rows, columns=columns)


def path_frame(r: MixRequest, result: MixResult) -> pd.DataFrame:
    """path.csv: every accepted step, with the mix after it."""
    rows = []
    for k, step in enumerate(result.path):
        row = {
            "step": k,
            "action": step.action,
            "move": step.cells,
            "total_wte": r.space.total_wte(step.mix),
            "cost_gbp_per_year": r.space.cost_per_year_gbp(step.mix),
            "kpi_mean": step.mean,
            "replications_met": (
                math.nan if math.isnan(step.share_met) else round(step.share_met * r.replications)
            ),
            "shortfall_mean": math.nan if r.budget_form else step.score,
            "mixes_tried": step.tried,
            "mix": r.space.describe(step.mix),
        }
        for cell, wte in zip(r.space.cells, r.space.wte(step.mix), strict=True):
            row[f"wte.{cell.profession}" + (f".{cell.team}" if cell.team else "")] = wte
        rows.append(row)
    return pd.DataFrame(rows)


def _fixed_frame(fixed: list[Fixed], r: MixRequest) -> pd.DataFrame:
    rows = [
        {
            "option": f.name,
            "extra_wte": f.wte,
            "cost_gbp_per_year": f.cost_per_year_gbp,
            "replications_met": math.nan if r.budget_form else f.n_met,
            "replications": r.replications,
            "met": (f.wte is not None) if not r.budget_form else math.nan,
            "searched_up_to_wte": f.up_to_wte,
            "objective_mean": f.objective_mean,
        }
        for f in fixed
    ]
    return pd.DataFrame(rows)


def _tradeoff_frame(worse: list[Worse]) -> pd.DataFrame:
    columns = ["option", "extra_wte", "kpi", "diff_from_base", "diff_ci95_low", "diff_ci95_high"]
    rows = [[w.lever, w.x, w.kpi, w.diff, w.ci95_low, w.ci95_high] for w in worse]
    return pd.DataFrame(rows, columns=columns)


def _manifest(r: MixRequest, result: MixResult, comparisons, fresh, wall, evaluations) -> dict:
    def clean(value):
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    answer = result.answer
    return {
        "kind": "size --optimise-mix",
        "scenario_name": r.scenario.name,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "form": "budget" if r.budget_form else "target",
        "target": r.size.target.text if r.size else None,
        "by": r.size.window.by.isoformat() if r.size else None,
        "objective": r.objective.as_dict() if r.objective else None,
        "budget_gbp": r.budget_gbp,
        "over_months": r.over_months,
        "professions": list(r.professions),
        "by_team": r.by_team,
        "step_wte": r.space.step_wte,
        "confidence": r.confidence,
        "replications": r.replications,
        "seed": r.seed,
        "answer": None if answer is None else r.space.describe(answer),
        "answer_wte": None if answer is None else r.space.total_wte(answer),
        "answer_cost_gbp_per_year": None if answer is None else r.space.cost_per_year_gbp(answer),
        "fresh_replications_met": None if fresh is None else int(np.count_nonzero(fresh)),
        "mixes_evaluated": result.evaluated,
        "variants_evaluated": evaluations,
        "comparisons": [
            {k: clean(v) for k, v in row.items()} for row in comparisons.to_dict("records")
        ],
        "wall_seconds": round(wall, 2),
        "versions": package_versions(),
    }
