"""`nd-sim size` as a library function: the question checked, solved, and written atomically.

`prepare` turns the command line's text into a request and reports every problem at once
(exit code 2); `size_to_folder` runs the search and writes `curve.csv`, `curve.png` and
`curve.svg`, `marginal.csv`, `answer.md` and `manifest.json` into a results folder that
appears only when every file is complete.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.compare import end_words
from nd_sim.experiments.sizing import levers as levers_mod
from nd_sim.experiments.sizing.answer import paragraph, where_words
from nd_sim.experiments.sizing.evaluate import Evaluator
from nd_sim.experiments.sizing.guess import first_guess
from nd_sim.experiments.sizing.levers import Lever
from nd_sim.experiments.sizing.outputs import curve_frame, marginal_frame
from nd_sim.experiments.sizing.solver import MARGINAL_ROWS, Solution, solve
from nd_sim.experiments.sizing.target import COHORT, Target, parse_target
from nd_sim.experiments.sizing.tradeoffs import Worse, worse_at_answer
from nd_sim.experiments.sizing.window import WINDOW_DAYS, Window
from nd_sim.inputs.model import compile_model
from nd_sim.run.pipeline import staged
from nd_sim.run.runner import package_versions
from nd_sim.run.settings import RunSettings
from nd_sim.scenario.models import Scenario


@dataclass(frozen=True)
class SizeRequest:
    """A checked question: what to reach, by when, where, with which lever(s), how sure."""

    scenario: Scenario
    target: Target
    window: Window
    levers: tuple[Lever, ...]
    area: tuple[str, int]
    area_name: str
    confidence: float
    replications: int
    seed: int
    jobs: int = 1
    marginal_rows: int = MARGINAL_ROWS


@dataclass(frozen=True)
class SizeResult:
    """What the command line prints."""

    out: Path
    paragraph: str
    curve: pd.DataFrame
    marginal: pd.DataFrame
    solutions: tuple[Solution, ...]
    evaluations: int
    wall_seconds: float
    worse: tuple[Worse, ...] = ()  # headline KPIs clearly worse at an answer


def prepare(
    scenario: Scenario,
    target: str,
    by: str,
    lever: str,
    *,
    each: bool = False,
    cap: float | None = None,
    step: float | None = None,
    lag_weeks: float | None = None,
    ramp_weeks: float = 0.0,
    price_gbp_each: float = levers_mod.DEFAULT_PRICE_GBP,
    area: str = "county",
    confidence: float = 0.8,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    marginal_rows: int = MARGINAL_ROWS,
) -> SizeRequest:
    """Check every input against the scenario; raise `ScenarioError` listing all problems."""
    problems: list[Problem] = []
    parsed: dict = {}
    for key, make in (
        ("target", lambda: parse_target(target)),
        ("by", lambda: _by_date(scenario, by)),
        ("area", lambda: _area(scenario, area)),
    ):
        try:
            parsed[key] = make()
        except ScenarioError as exc:
            problems += exc.problems
    if "by" in parsed:
        try:
            parsed["levers"] = levers_mod.parse_levers(
                lever, scenario, parsed["by"], each=each, cap=cap, step=step,
                lag_weeks=lag_weeks, ramp_weeks=ramp_weeks, price_gbp_each=price_gbp_each,
            )  # fmt: skip
        except ScenarioError as exc:
            problems += exc.problems
    if not 0 < confidence <= 1:
        problems.append(Problem("--confidence", confidence, "must be above 0 and at most 1"))
    if "target" in parsed and "by" in parsed and parsed["target"].kpi.kind == COHORT:
        first = scenario.start_date + dt.timedelta(days=2 * WINDOW_DAYS - 1)
        if parsed["by"] < first:
            rule = f"the cohort (referred 26 to 13 weeks before) needs --by on or after {first}"
            problems.append(Problem("--by", by, rule))
    if problems:
        raise ScenarioError("nd-sim size", problems)
    area_kind, area_index, area_name = parsed["area"]
    return SizeRequest(
        scenario=scenario,
        target=parsed["target"],
        window=Window(scenario.start_date, parsed["by"]),
        levers=tuple(parsed["levers"]),
        area=(area_kind, area_index),
        area_name=area_name,
        confidence=confidence,
        replications=replications or scenario.run.replications,
        seed=scenario.run.seed if seed is None else seed,
        jobs=jobs,
        marginal_rows=marginal_rows,
    )


def _by_date(scenario: Scenario, text: str) -> dt.date:
    try:
        by = dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ScenarioError("--by", [Problem("--by", text, "must be a date YYYY-MM-DD")]) from None
    last = scenario.start_date + dt.timedelta(days=scenario.horizon_weeks * 7 - 1)
    if not scenario.start_date < by <= last:
        rule = f"must be inside the horizon: after {scenario.start_date}, at most {last}"
        raise ScenarioError("--by", [Problem("--by", text, rule)])
    return by


def _area(scenario: Scenario, text: str) -> tuple[str, int, str]:
    if text == "county":
        return ("county", -1, "county")
    if text in scenario.districts:
        return ("district", list(scenario.districts).index(text), text)
    if text in scenario.teams:
        return ("team", list(scenario.teams).index(text), text)
    known = ", ".join(["county", *scenario.districts, *scenario.teams])
    raise ScenarioError("--area", [Problem("--area", text, f"one of {known}")])


def expected_replications(request: SizeRequest) -> int:
    """A typical count of replications the search runs (for the progress bar): 0, the guess,
    a few to bracket and bisect, and the marginal grid; a poor guess needs more."""
    per_lever = 0
    for lever in request.levers:
        top = max(int(lever.cap / lever.step), 1)
        per_lever += 4 + math.ceil(math.log2(top + 1) / 2) + request.marginal_rows
    return per_lever * request.replications


def settings_for(request: SizeRequest, out: Path, **more) -> RunSettings:
    """Run settings matching a request's replications, seed and jobs (for callers that
    build a request without the command line)."""
    return RunSettings(request.replications, request.seed, out, request.jobs, **more)


def size_to_folder(
    request: SizeRequest,
    settings: RunSettings,
    on_done: Callable[[int], None] | None = None,
) -> SizeResult:
    """Solve every lever and write the results folder atomically (staged and resumable:
    every lever value already run is kept, so `--resume` goes straight on)."""
    from nd_sim.experiments.sizing.manifest import manifest
    from nd_sim.experiments.sizing.plot import curve_figure
    from nd_sim.report.figures.style import save  # matplotlib is only needed here

    started = time.perf_counter()
    r = request
    base = compile_model(r.scenario)
    asked = {  # what a resume must match, besides the scenario, replications and seed
        "target": r.target.text,
        "by": r.window.by.isoformat(),
        "levers": [repr(lever) for lever in r.levers],
        "area": r.area_name,
        "confidence": r.confidence,
    }
    with staged(settings, "size", [base], runs=settings.replications, **asked) as stage:
        evaluator = Evaluator(r.scenario, r.target, r.window, r.area, stage, on_done)
        solutions = []
        for lever in r.levers:
            guess = first_guess(base, lever, r.target, r.window, r.area)
            solutions.append(solve(evaluator, lever, guess, r.confidence, r.marginal_rows))
        where = where_words(r.area, r.area_name)
        curve = curve_frame(evaluator, solutions, r.target, r.window, r.area_name, r.confidence)
        marginal = marginal_frame(evaluator, solutions, r.target, r.window, r.area_name)
        text = paragraph(
            solutions, r.target, r.window, where, r.confidence, r.replications, evaluator.runs
        )
        kpi = r.target.kpi.name
        worse = [w for s in solutions for w in worse_at_answer(stage, r.scenario, s, kpi)]
        text += warning_text(worse, end_words(base))
        figure = curve_figure(curve, solutions, r.target, r.window, r.confidence, where)
        wall = time.perf_counter() - started
        folder = stage.folder
        folder.write_csv("curve.csv", curve)
        folder.write_csv("marginal.csv", marginal)
        folder.write_csv("tradeoffs.csv", tradeoff_frame(worse))
        folder.write_text("answer.md", text + "\n")
        save(figure, folder.path("curve.png").parent, "curve")
        info = manifest(r, solutions, evaluator, wall, " ".join(sys.argv), package_versions())
        folder.write_json("manifest.json", info)
    out = settings.out
    return SizeResult(
        out, text, curve, marginal, tuple(solutions), evaluator.runs, wall, tuple(worse)
    )


def warning_text(worse: list[Worse], end: str) -> str:
    """A warning paragraph for answer.md and the terminal (empty when nothing is worse)."""
    if not worse:
        return ""
    lines = []
    for lever in dict.fromkeys(w.lever for w in worse):
        mine = [w for w in worse if w.lever == lever]
        said = "; ".join(w.words(end) for w in mine)
        lines.append(
            f"Warning: the target improves with {mine[0].x:g} of {lever}, but over the whole "
            f"run it {said} (paired 95% CIs wholly on the worse side: see tradeoffs.csv)."
        )
    return "\n\n" + "\n\n".join(lines)


def tradeoff_frame(worse: list[Worse]) -> pd.DataFrame:
    """tradeoffs.csv: one row per lever answer and headline KPI it makes clearly worse."""
    columns = ["lever", "value", "kpi", "diff_from_zero", "diff_ci95_low", "diff_ci95_high"]
    rows = [[w.lever, w.x, w.kpi, w.diff, w.ci95_low, w.ci95_high] for w in worse]
    return pd.DataFrame(rows, columns=columns)
