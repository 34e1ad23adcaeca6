"""The mix answer in one paragraph a service manager can read out: which staff, what they
cost, how often the mix met the target (on the search's replications and on fresh ones),
which professions are the bottleneck before and after, and what the fixed mixes a manager
would otherwise try (the equal split, each profession alone) cost for the same target.
"""

from __future__ import annotations

import math

import numpy as np

from nd_sim.experiments.ranking import change_words, money_words
from nd_sim.experiments.sizing.answer import where_words
from nd_sim.experiments.sizing.target import format_value
from nd_sim.experiments.sizing.window import long_date
from nd_sim.report.numbers import number
from nd_sim.results import registry


def _money(value: float) -> str:
    return "not costed" if math.isnan(value) else money_words(value)


def _prof(name: str) -> str:
    return name.replace("_", " ").replace("+", ", ")


def bottleneck_words(by_team: dict[str, tuple[str, ...]]) -> str:
    """ "paediatrician, then clinical psychologist, in every team", or by groups of teams:
    "north and central: slt, then ot; east: paediatrician"."""
    named = {team: _then(profs) for team, profs in by_team.items()}
    groups = list(dict.fromkeys(named.values()))
    if len(named) == 1:
        return groups[0]
    if len(groups) == 1:
        return f"{groups[0]}, in every team"
    parts = []
    for text in groups:
        teams = [t for t, p in named.items() if p == text]
        parts.append(f"{_and(teams)}: {text}")
    return "; ".join(parts)


def _then(profs: tuple[str, ...]) -> str:
    """ "paediatrician, then clinical psychologist and slt" (those close behind)."""
    words = [_prof(p) for p in profs]
    return words[0] + (f", then {_and(words[1:])}" if len(words) > 1 else "")


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _posts(r) -> str:
    space = r.space
    lag = f"starting work {space.lag_weeks:g} weeks after {long_date(space.start)}"
    if space.lag_weeks == 0:
        lag = f"starting work on {long_date(space.start)}"
    ramp = f", ramping up over {space.ramp_weeks:g} weeks" if space.ramp_weeks else ""
    term = (
        "permanent posts"
        if space.until is None
        else f"fixed-term posts to {long_date(space.until)}"
    )
    shared = ""
    if not r.by_team and len(r.scenario.teams) > 1:
        shared = ", each profession shared between the teams by referrals"
    return f"{term} {lag}{ramp}{shared}"


def _shared(r) -> str:
    return " (shared between the teams by referrals)" if len(r.scenario.teams) > 1 else ""


def _fixed_words(fixed, r) -> str:
    equal, singles = fixed[0], fixed[1:]
    k = len(r.professions)
    parts = []
    if equal.wte is None:
        parts.append(
            f"The equal split of the {k} professions did not meet the target up to "
            f"{equal.up_to_wte:g} WTE ({equal.n_met} of {r.replications} replications there)."
        )
    else:
        parts.append(
            f"The equal split of the {k} professions{_shared(r)} needs {equal.wte:g} WTE, about "
            f"{_money(equal.cost_per_year_gbp)} a year."
        )
    alone = []
    for f in singles:
        if f.wte is None:
            alone.append(f"{_prof(f.name)} cannot (tried up to {f.up_to_wte:g} WTE)")
        else:
            alone.append(f"{_prof(f.name)} needs {f.wte:g} WTE ({_money(f.cost_per_year_gbp)})")
    if alone:
        within = "twice the mix's cost a year, or the cap" if r.size else "the money"
        parts.append(f"Each profession on its own, within {within}: " + "; ".join(alone) + ".")
    return " ".join(parts)


def target_paragraph(r, result, answer_eval, fresh, fixed, before, after, worse, runs) -> str:
    """The target form's answer (see the module docstring)."""
    size = r.size
    target, window = size.target, size.window
    goal = target.kpi.goal.format(x=target.threshold_words())
    lead = f"To {goal} {window.describe(target.kpi.kind)}, {where_words(size.area, size.area_name)}"
    reps = r.replications
    need = math.ceil(r.confidence * reps - 1e-9)
    space = r.space
    rule = (
        f"a mix meets the target when at least {r.confidence:.0%} of its replications "
        f"({need} of {reps}) do"
    )
    how = (
        f"The search started from {result.started_from} ({space.describe(result.guess)}) "
        f"and took {len(result.path) - 1} steps; {result.evaluated} mixes and {runs} variants in "
        f"all were each run {reps} times on common random numbers; {rule}."
    )
    if result.answer is None:
        last = result.path[-1]
        text = (
            f"{lead}, no mix of {_prof('+'.join(r.professions))} within the recruitment caps "
            f"was found that meets it: the last mix tried ({space.describe(last.mix)}) met it "
            f"in {round(last.share_met * reps)} of {reps} replications (see path.csv). "
        )
        return text + _fixed_words(fixed, r) + " " + how
    if sum(result.answer) == 0:
        zero = result.path[0]
        return (
            f"{lead}, the service already meets the target with nothing added: met in "
            f"{round(zero.share_met * reps)} of {reps} replications; {rule}."
        )
    mean, low, high = answer_eval.interval
    unit = target.kpi.unit
    digits = 0 if unit == "children" else 1
    interval = "" if math.isnan(low) else f", 95% CI {low:,.{digits}f} to {high:,.{digits}f}"
    fresh_n = int(np.count_nonzero(fresh))
    cost = space.cost_per_year_gbp(result.answer)
    text = (
        f"{lead}, the least-cost mix found is {space.describe(result.answer)} "
        f"({space.total_wte(result.answer):g} WTE, about {_money(cost)} a year; {_posts(r)}). "
        f"It met the target in {answer_eval.n_met} of {reps} replications (mean "
        f"{format_value(mean, unit)}{interval}) and in {fresh_n} of {reps} fresh "
        "replications the search did not use"
    )
    if fresh_n < need:
        text += (
            f", fewer than the {need} asked: the search chose it on its own replications, "
            "so plan on a little more, or rerun with more replications"
        )
    text += (
        f". The bottleneck (fluid hours, as in the analytic panel; then the professions within "
        f"10% of it) today: {bottleneck_words(before)}. With the mix: "
        f"{bottleneck_words(after)}. "
    )
    equal = fixed[0]
    text += _fixed_words(fixed, r)
    if equal.wte is not None and not math.isnan(equal.cost_per_year_gbp):
        saving = equal.cost_per_year_gbp - cost
        word = "less" if saving >= 0 else "more"
        text += f" The mix costs {_money(abs(saving))} a year {word} than the equal split."
    if worse:
        said = "; ".join(w.words() for w in worse)
        text += f" Warning: over the whole run the mix {said} (see tradeoffs.csv)."
    return text + " " + how


def budget_paragraph(r, result, diff, fixed, zero_mean, before, after, worse) -> str:
    """The budget form's answer: the mix, its gain in the objective with a paired CI, and
    the equal split and each profession alone for the same money."""
    objective, space = r.objective, r.space
    label = registry.label(objective.kpi)
    mean, low, high = diff
    months = r.over_months
    answer = result.answer
    committed = space.committed_gbp(answer, months)
    lead = (
        f"With {_money(r.budget_gbp)} over {months:g} months ({_posts(r)}), the mix that most "
        f"improves the {objective.describe()}"
    )
    if sum(answer) == 0:
        return (
            f"{lead} is none: no affordable step of {_prof('+'.join(r.professions))} improved "
            f"it (doing nothing: {zero_mean:,.0f}). Steps of {space.step_wte:g} WTE were tried."
        )
    unit = registry.unit(objective.kpi)
    digits = 0 if unit in ("children", "child-weeks") or abs(mean) >= 100 else 1
    change = change_words(objective.kpi, mean)
    text = (
        f"{lead} is {space.describe(answer)} ({space.total_wte(answer):g} WTE, "
        f"{_money(committed)} committed). Against doing nothing it {change} (paired 95% CI "
        f"of the change {number(low, digits, signed=True)} to {number(high, digits, signed=True)}"
        f"; {label} with nothing added: {zero_mean:,.0f}; staff only: `nd-sim options` weighs "
        "outsourcing and workshops too). The bottleneck (fluid hours) today: "
        f"{bottleneck_words(before)}. With the mix: {bottleneck_words(after)}. "
    )
    sign = 1.0 if objective.lower_is_better else -1.0
    best = result.path[-1].score
    others = []
    for f in fixed:
        better = sign * (f.objective_mean - best)
        others.append(
            f"{_prof(f.name)} ({f.wte:g} WTE): {f.objective_mean:,.0f}"
            + (f", {better:,.0f} worse" if better > 0 else "")
        )
    if others:
        text += "The same money on fixed mixes: " + "; ".join(others) + ". "
    if worse:
        text += f"Warning: the mix {'; '.join(w.words() for w in worse)} (see tradeoffs.csv). "
    return text + (
        f"Searched in steps of {space.step_wte:g} WTE; {result.evaluated} mixes, each run "
        f"{r.replications} times on common random numbers."
    )
