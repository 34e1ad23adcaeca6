"""What each option changes, read from the resolved scenarios, in words a board can read.

Nobody should have to read TOML to know what was compared: every setting that differs
from the base is listed with both values and its source note, and each intervention is
described in a sentence (with the WTE a budget buys).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nd_sim.inputs.capacity import affordable_wte, committed_gbp
from nd_sim.inputs.model import Model
from nd_sim.scenario.models import Funding, MutualAid, Outsourcing, Scenario, StaffChange


@dataclass(frozen=True)
class Entry:
    """One scenario of a comparison: its name, the slug of its folder and its model."""

    name: str
    slug: str
    model: Model


IGNORED = {"name", "description", "extends", "run.replications", "run.seed", "notes"}


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to every leaf value of a scenario."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        out = {}
        for i, value in enumerate(node):
            out.update(flatten(value, f"{prefix}[{i}]"))
        return out
    return {prefix: node}


def _flat(scenario: Scenario) -> dict[str, Any]:
    dumped = scenario.model_dump(mode="json", by_alias=True, exclude={"notes"})
    return {k: v for k, v in flatten(dumped).items() if k not in IGNORED}


def differences(base: Scenario, other: Scenario) -> list[tuple[str, Any, Any]]:
    """(path, base value, other value) for every setting that differs; None = absent."""
    a, b = _flat(base), _flat(other)
    keys = sorted(set(a) | set(b))
    expanded = {k.split("[")[0] for k in keys if "[" in k}
    return [
        (k, a.get(k), b.get(k))
        for k in keys
        if a.get(k) != b.get(k) and not (k in expanded and [] in (a.get(k), b.get(k)))
    ]


def describe_intervention(scenario: Scenario, item: Any) -> str:
    """One sentence for an intervention, with the arithmetic a commissioner would ask for."""
    if isinstance(item, Funding):
        wte = affordable_wte(scenario, item)
        bought = ", ".join(f"{w:.1f} WTE {p}" for p, w in wte.items())
        spent = committed_gbp(scenario, item)
        teams = "all teams" if "all" in item.teams else ", ".join(item.teams)
        unspent = round(item.budget_gbp - spent)
        tail = (
            f"; £{unspent:,.0f} cannot be spent under the recruitment caps" if unspent > 1 else ""
        )
        return (
            f"**{item.name}**: £{item.budget_gbp:,.0f} from {item.from_date} for "
            f"{item.over_months:g} months buys {bought} for {teams}, starting after "
            f"{item.recruitment_lag_weeks:g} weeks' recruitment and {item.ramp_up_weeks:g} "
            f"weeks' ramp-up{tail}."
        )
    if isinstance(item, Outsourcing):
        where = "any district" if "all" in item.districts else ", ".join(item.districts)
        return (
            f"**{item.name}**: {item.assessments:,} outsourced assessments from {item.from_date} "
            f"to {item.until_date} at £{item.price_gbp_each:,.0f} each (up to "
            f"£{item.assessments * item.price_gbp_each:,.0f}), for children from {where}, "
            f"taken in queue order; outcome {item.weeks_to_outcome:g} weeks after the first "
            "appointment."
        )
    if isinstance(item, MutualAid):
        amount = (
            f"{item.share:.0%} of its {item.profession} hours"
            if item.share is not None
            else f"{item.hours_per_week:g} {item.profession} hours a week"
        )
        lost = (
            f", {item.overhead_share:.0%} lost to travel and handover"
            if item.overhead_share
            else ""
        )
        return (
            f"**{item.name}**: team {item.lender} lends {amount} to team {item.borrower} from "
            f"{item.from_date} to {item.until_date}{lost}."
        )
    if isinstance(item, StaffChange):
        verb = "adds" if item.wte >= 0 else "removes"
        end = f" until {item.until_date}" if item.until_date else ""
        return (
            f"**{item.name}**: {verb} {abs(item.wte):g} WTE {item.profession} in team "
            f"{item.team} from {item.from_date}{end} (recruitment {item.recruitment_lag_weeks:g} "
            f"weeks, ramp-up {item.ramp_up_weeks:g} weeks)."
        )
    return str(item)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.2f}"
    return f"`{value}`" if not isinstance(value, int | float) else f"{value:,}"


def changes_markdown(entries: tuple[Entry, ...]) -> str:
    """The changes of every option against the base, as Markdown."""
    base = entries[0].model.scenario
    lines = [
        "# What each option changes",
        "",
        f"Base: **{base.name}** (folder `scenarios/{entries[0].slug}`). "
        f"{base.description}".rstrip(),
        "",
    ]
    if base.interventions:
        lines += ["Interventions already in the base:", ""]
        lines += [f"- {describe_intervention(base, i)}" for i in base.interventions] + [""]
    for entry in entries[1:]:
        sc = entry.model.scenario
        lines += [f"## {sc.name} (folder `scenarios/{entry.slug}`)", ""]
        if sc.description:
            lines += [sc.description, ""]
        new = [i for i in sc.interventions if i not in base.interventions]
        if new:
            lines += ["Interventions:", ""]
            lines += [f"- {describe_intervention(sc, i)}" for i in new] + [""]
        diffs = differences(base, sc)
        if not diffs:
            lines += ["No setting differs from the base.", ""]
            continue
        lines += ["| setting | base | this option | source note |", "|---|---|---|---|"]
        for path, old, value in diffs:
            note = sc.notes.get(path, "").replace("|", "/")
            lines.append(f"| `{path}` | {_show(old)} | {_show(value)} | {note} |")
        lines.append("")
    return "\n".join(lines)
