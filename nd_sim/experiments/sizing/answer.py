"""The answer in one paragraph of plain language, every number from the solver's evaluations.

A service manager should be able to read it out: how much of the lever, what it costs, how
sure (in how many of the simulated futures the target was met, at the answer and one step
below), what happens with nothing added, and, when the cap is not enough, the earliest date
it would be.
"""

from __future__ import annotations

import math

from nd_sim.experiments.sizing.evaluate import Evaluation
from nd_sim.experiments.sizing.levers import WORKSHOPS
from nd_sim.experiments.sizing.solver import Solution
from nd_sim.experiments.sizing.target import Target, format_value
from nd_sim.experiments.sizing.window import Window, long_date


def _words(names: tuple[str, ...]) -> str:
    return " and ".join(n.replace("_", " ") for n in names) or "the lever"


def money(value: float) -> str:
    """£ for people: "£1.2m", "£960,000"."""
    if math.isnan(value):
        return "not costed"
    if abs(value) >= 1_000_000:
        return f"£{value / 1_000_000:.1f}m"
    return f"£{round(value, -3):,.0f}" if abs(value) >= 10_000 else f"£{value:,.0f}"


def lever_cost_to_by(solution: Solution, evaluation: Evaluation) -> float:
    """The lever's own cost from the start to --by: staff paid plus outsourcing bought,
    less what the scenario spends without the lever (mean over replications)."""
    zero = solution.zero
    staff = evaluation.staff_cost_to_by_gbp - zero.staff_cost_to_by_gbp
    bought = float((evaluation.outsourced_cost_gbp - zero.outsourced_cost_gbp).mean())
    if solution.lever.kind == WORKSHOPS:
        return math.nan
    return staff + bought


def paragraph(
    solutions: list[Solution],
    target: Target,
    window: Window,
    where: str,
    confidence: float,
    replications: int,
    evaluations: int,
) -> str:
    """One paragraph answering the question for every lever solved."""
    goal = target.kpi.goal.format(x=target.threshold_words())
    when = window.describe(target.kpi.kind)
    need = math.ceil(confidence * replications - 1e-9)
    rule = f"the {confidence:.0%} ({need} of {replications}) asked"
    counts = f"{confidence:.0%} of its replications ({need} of {replications})"
    parts = []
    for k, solution in enumerate(solutions):
        alone = f" with {_words(solution.lever.professions)} alone," if len(solutions) > 1 else ""
        lead = f"To {goal} {when}, {where},{alone}"
        if k > 0:
            lead = f"With {_words(solution.lever.professions)} alone,"
        parts.append(_sentences(solution, target, lead, rule, replications))
    parts.append(
        f"These are results of the model under the scenario's assumptions, from {evaluations} "
        f"values of the lever each run {replications} times on common random numbers; a value "
        f"counts as meeting the target when it is met in at least {counts}."
    )
    return " ".join(parts)


def _sentences(solution: Solution, target: Target, lead: str, rule: str, reps: int) -> str:
    lever, zero = solution.lever, solution.zero
    unit = target.kpi.unit
    base = f"with nothing added it was met in {zero.n_met} of {reps} ({_mean(zero, unit)})"
    if solution.answer is not None and solution.answer.x == 0:
        return f"{lead} the service already meets the target: {base}, at least {rule}."
    if solution.answer is None:
        return _infeasible(solution, target, lead, rule, reps, base)
    answer, below = solution.answer, solution.below
    per_year = answer.cost_per_year_gbp
    cost = (
        f", costing about {money(per_year)} a year ({money(lever_cost_to_by(solution, answer))} "
        f"up to {long_date(lever.by)})"
        if not math.isnan(per_year)
        else ""
    )
    text = (
        f"{lead} the service needs about {lever.amount(answer.x, more=True)} ({lever.describe()})"
        f"{cost}. With {lever.amount(answer.x)} the target was met in {answer.n_met} of {reps} "
        f"replications ({_mean(answer, unit)}); with {lever.amount(below.x)}, one step less, "
        f"in {below.n_met} of {reps}, short of {rule}; {base}."
    )
    if solution.guess.value is not None:
        text += f" The fluid first guess was {lever.amount(round(solution.guess.value, 2))}."
    if solution.noisy:
        shown = ", ".join(f"{lever.amount(e.x)} ({e.n_met} of {reps})" for e in solution.noisy)
        text += (
            f" By chance, {shown} also met it although values above missed, so the curve is "
            "noisy there; the answer is the smallest value whose step below was run and missed."
        )
    return text


def _infeasible(
    solution: Solution,
    target: Target,
    lead: str,
    rule: str,
    reps: int,
    base: str,
) -> str:
    lever, cap, unit = solution.lever, solution.cap, target.kpi.unit
    at_cap = f"met in {cap.n_met} of {reps} replications ({_mean(cap, unit)})" if cap else ""
    text = (
        f"{lead} even at the cap of {lever.amount(cap.x if cap else lever.cap)} "
        f"({lever.describe()}) the service cannot do it: the target was {at_cap}, short of "
        f"{rule}; {base}."
    )
    early = solution.earliest
    if early is not None and early.date is not None:
        text += (
            f" Kept at the cap, it is first met {_window_to(target, early.date)} "
            f"({early.n_met} of {reps} replications)."
        )
    elif early is not None:
        text += (
            " Kept at the cap, it is not met by the end of the horizon, "
            f"{long_date(early.horizon_end)} (met in {early.n_met} of {reps} replications then)."
        )
    return text


def _window_to(target: Target, day) -> str:
    kind = target.kpi.kind
    if kind == "stock":
        return f"by {long_date(day)}"
    if kind == "cohort":
        return f"for children referred in the 13 weeks ending 13 weeks before {long_date(day)}"
    return f"in the 13 weeks to {long_date(day)}"


def _mean(evaluation: Evaluation, unit: str) -> str:
    """ "mean 95.8%, 95% CI 93.4 to 98.2%", "mean 13 children, 95% CI 9 to 17"."""
    mean, low, high = evaluation.interval
    if math.isnan(mean):
        return "the KPI was undefined"
    text = f"mean {format_value(mean, unit)}"
    if math.isnan(low):
        return text
    digits = 0 if unit == "children" else 1
    pct = "%" if unit == "%" else ""
    return f"{text}, 95% CI {low:,.{digits}f} to {high:,.{digits}f}{pct}"


def where_words(area: tuple[str, int], name: str) -> str:
    """The area in words: county-wide, in a district, or for a team."""
    kind = area[0]
    return (
        "county-wide"
        if kind == "county"
        else (f"in {name}" if kind == "district" else f"for the {name} team")
    )
