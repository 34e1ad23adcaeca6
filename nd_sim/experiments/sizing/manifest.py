"""`manifest.json` of a size run: the question, the rule, every value run and the answer, so
that an answer can be traced and reproduced (same scenario, seed and replications, same
answer, whatever `--jobs`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict
from typing import Any

from nd_sim.experiments.sizing.evaluate import Evaluator
from nd_sim.experiments.sizing.solver import Solution


def manifest(
    request,
    solutions: list[Solution],
    evaluator: Evaluator,
    wall: float,
    command: str,
    versions: dict[str, str],
) -> dict[str, Any]:
    """Everything needed to trace the answer (NaN written as null)."""
    r = request
    kind = r.target.kpi.kind
    info = {
        "kind": "size",
        "scenario_name": r.scenario.name,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "target": {
            "text": r.target.text,
            "kpi": r.target.kpi.name,
            "alias": r.target.alias,
            "operator": r.target.op,
            "threshold": r.target.threshold,
            "unit": r.target.kpi.unit,
            "meaning": r.target.kpi.label,
        },
        "window": {
            "kind": kind,
            "by": r.window.by.isoformat(),
            "from": r.window.first_date(kind).isoformat(),
            "to": r.window.last_date(kind).isoformat(),
            "description": r.window.describe(kind),
        },
        "area": r.area_name,
        "confidence": r.confidence,
        "confidence_rule": (
            "a lever value meets the target when at least this share of replications meet "
            "the threshold (not the CI of the mean)"
        ),
        "replications": r.replications,
        "seed": r.seed,
        "jobs": r.jobs,
        "levers": [_lever(s) for s in solutions],
        "evaluations": evaluator.runs,
        "replications_run": evaluator.runs * r.replications + _date_search_runs(solutions, r),
        "evaluated": [
            {
                "lever": e.lever,
                "value": e.x,
                "replications_met": e.n_met,
                "kpi_mean": e.interval[0],
            }
            for e in evaluator.order
        ],
        "wall_seconds": round(wall, 3),
        "versions": versions,
    }
    return _clean(info)


def _lever(solution: Solution) -> dict[str, Any]:
    lever, answer, below = solution.lever, solution.answer, solution.below
    early = solution.earliest
    return {
        "name": lever.name,
        "kind": lever.kind,
        "professions": list(lever.professions),
        "unit": lever.unit,
        "semantics": lever.describe(),
        "cap": lever.cap,
        "step": lever.step,
        "recruitment_lag_weeks": lever.lag_weeks,
        "ramp_up_weeks": lever.ramp_weeks,
        "price_gbp_each": lever.price_gbp_each,
        "analytic_guess": solution.guess.value,
        "analytic_teams": [asdict(t) for t in solution.guess.teams],
        "feasible": solution.feasible,
        "answer": None if answer is None else answer.x,
        "answer_replications_met": None if answer is None else answer.n_met,
        "answer_cost_per_year_gbp": None if answer is None else answer.cost_per_year_gbp,
        "step_below": None if below is None else below.x,
        "step_below_replications_met": None if below is None else below.n_met,
        "cap_replications_met": None if solution.cap is None else solution.cap.n_met,
        "earliest_date_at_cap": None if early is None or early.date is None else str(early.date),
        "earliest_date_searched_to": None if early is None else str(early.horizon_end),
        "noisy_values_below_answer": [e.x for e in solution.noisy],
    }


def _date_search_runs(solutions: list[Solution], request) -> int:
    return sum(request.replications for s in solutions if s.earliest is not None)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
