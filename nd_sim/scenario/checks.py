"""Cross-reference checks on a raw scenario dict.

They run on the raw dict (not the model) and tolerate missing pieces, so that a typo'd key
and an unknown district are reported in the same run.
"""

from __future__ import annotations

from typing import Any

from nd_sim.errors import Problem
from nd_sim.scenario import models

ALL = "all"
TOLERANCE = 1e-6


def cross_checks(raw: dict[str, Any]) -> list[Problem]:
    """Every cross-reference and sum rule that single fields cannot express."""
    problems: list[Problem] = []
    districts = _keys(raw.get("districts"))
    teams = _keys(raw.get("teams"))
    professions = _keys(raw.get("professions"))
    problems += _check_district_teams(raw, teams)
    problems += _check_team_staff(raw, professions)
    problems += _check_sums(raw)
    problems += _check_demand(raw, districts)
    problems += _check_pathway(raw, professions)
    problems += _check_booking(raw)
    problems += _check_interventions(raw, districts, teams, professions)
    problems += _check_profile(raw, districts)
    return problems


def _keys(node: Any) -> set[str]:
    return set(node) if isinstance(node, dict) else set()


def _table(node: Any, key: str) -> dict[str, Any]:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def _items(node: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]


def _check_district_teams(raw: dict[str, Any], teams: set[str]) -> list[Problem]:
    out = []
    served = set()
    for name, district in _table(raw, "districts").items():
        team = district.get("team") if isinstance(district, dict) else None
        if isinstance(team, str):
            served.add(team)
            if teams and team not in teams:
                out.append(Problem(f"districts.{name}.team", team, _unknown("team", teams)))
    for team in sorted(teams - served):
        if _table(raw, "districts"):
            out.append(Problem(f"teams.{team}", team, "no district names this team"))
    return out


def _check_team_staff(raw: dict[str, Any], professions: set[str]) -> list[Problem]:
    out = []
    for team, body in _table(raw, "teams").items():
        for prof in _table(body, "staff"):
            if professions and prof not in professions:
                path = f"teams.{team}.staff.{prof}"
                out.append(Problem(path, prof, _unknown("profession", professions)))
    return out


def _check_sums(raw: dict[str, Any]) -> list[Problem]:
    out = []
    demand = _table(raw, "demand")
    mix = _table(demand, "referral_mix")
    out += _sum_to_one(_filled(mix, models.ReferralMix), "demand.referral_mix")
    for name, district in _table(raw, "districts").items():
        mix = _table(district, "referral_mix")
        out += _sum_to_one(_filled(mix, models.ReferralMix), f"districts.{name}.referral_mix")
    pathway = _table(raw, "pathway")
    out += _sum_to_one(_filled(_table(pathway, "outcomes"), models.Outcomes), "pathway.outcomes")
    triage = _table(pathway, "triage")
    keys = ("accept", "signpost", "more_information")
    out += _sum_to_one(_filled(triage, models.Triage, keys), "pathway.triage")
    return out


def _filled(given: dict[str, Any], model: Any, keys: tuple[str, ...] | None = None) -> dict:
    """The shares the model will hold: given values, defaults for the rest."""
    if not given:
        return {}
    keys = keys or tuple(model.model_fields)
    return {k: given.get(k, model.model_fields[k].default) for k in keys}


def _sum_to_one(shares: dict[str, Any], path: str) -> list[Problem]:
    values = [v for v in shares.values() if isinstance(v, int | float)]
    if not shares or len(values) != len(shares):
        return []
    total = sum(values)
    if abs(total - 1.0) > TOLERANCE:
        names = " + ".join(shares)
        return [Problem(path, round(total, 6), f"shares ({names}) must sum to 1")]
    return []


def _check_demand(raw: dict[str, Any], districts: set[str]) -> list[Problem]:
    demand = _table(raw, "demand")
    out = []
    for key in ("shocks", "criteria_changes"):
        for i, item in _items(demand, key):
            out += _check_district_list(item, f"demand.{key}[{i}].districts", districts)
            out += _check_window(item, f"demand.{key}[{i}]")
    if demand.get("seasonality") == "monthly":
        months = demand.get("monthly_multipliers")
        if not isinstance(months, list) or len(months) != 12:
            rule = "seasonality = 'monthly' needs twelve monthly_multipliers"
            out.append(Problem("demand.monthly_multipliers", months, rule))
        elif all(isinstance(m, int | float) for m in months) and sum(months) <= 0:
            out.append(Problem("demand.monthly_multipliers", months, "must not all be 0"))
    return out


def _check_district_list(item: dict[str, Any], path: str, districts: set[str]) -> list[Problem]:
    names = item.get("districts", [ALL])
    if not isinstance(names, list):
        return []
    out = []
    for name in names:
        if name != ALL and districts and name not in districts:
            out.append(Problem(path, name, _unknown("district", districts)))
    return out


def _check_window(item: dict[str, Any], path: str) -> list[Problem]:
    start, end = item.get("from"), item.get("until")
    if start is not None and end is not None and not isinstance(start, str) and end <= start:
        return [Problem(f"{path}.until", str(end), f"must be after 'from' ({start})")]
    return []


def _check_pathway(raw: dict[str, Any], professions: set[str]) -> list[Problem]:
    pathway = _table(raw, "pathway")
    out = []
    hours = _table(_table(pathway, "triage"), "hours_per_referral")
    for prof in hours:
        if professions and prof not in professions:
            path = f"pathway.triage.hours_per_referral.{prof}"
            out.append(Problem(path, prof, _unknown("profession", professions)))
    for i, appt in _items(pathway, "appointments"):
        needed = _table(appt, "hours")
        for prof in needed:
            if professions and prof not in professions:
                path = f"pathway.appointments[{i}].hours.{prof}"
                out.append(Problem(path, prof, _unknown("profession", professions)))
        if "hours" in appt and not any(
            isinstance(v, int | float) and v > 0 for v in needed.values()
        ):
            rule = "an appointment must take some profession-hours"
            out.append(Problem(f"pathway.appointments[{i}].hours", needed, rule))
    kinds = [w.get("kind") for _, w in _items(pathway, "workshops")]
    for kind in {k for k in kinds if kinds.count(k) > 1}:
        out.append(Problem("pathway.workshops", kind, "workshop kinds must be unique"))
    return out


def _check_booking(raw: dict[str, Any]) -> list[Problem]:
    booking = _table(raw, "booking")
    classes = _items(booking, "priority_classes")
    if not classes:
        return []
    out = _sum_to_one(
        {c.get("name", str(i)): c.get("share_of_referrals") for i, c in classes},
        "booking.priority_classes.share_of_referrals",
    )
    names = [c.get("name") for _, c in classes]
    for name in {n for n in names if names.count(n) > 1}:
        out.append(Problem("booking.priority_classes", name, "class names must be unique"))
    if booking.get("queue_order") == "priority_shares":
        out += _sum_to_one(
            {c.get("name", str(i)): c.get("share_of_new_slots", 1.0) for i, c in classes},
            "booking.priority_classes.share_of_new_slots",
        )
    return out


def _check_interventions(
    raw: dict[str, Any], districts: set[str], teams: set[str], professions: set[str]
) -> list[Problem]:
    out = []
    for i, item in _items(raw, "interventions"):
        path = f"interventions[{i}]"
        kind = item.get("kind")
        if kind == "staff_change":
            if teams and item.get("team") not in teams:
                out.append(Problem(f"{path}.team", item.get("team"), _unknown("team", teams)))
            prof = item.get("profession")
            if professions and prof not in professions:
                out.append(Problem(f"{path}.profession", prof, _unknown("profession", professions)))
            out += _check_window(item, path)
        elif kind == "funding":
            for prof in _table(item, "spend_on"):
                if professions and prof not in professions:
                    rule = _unknown("profession", professions)
                    out.append(Problem(f"{path}.spend_on.{prof}", prof, rule))
            shares = [v for v in _table(item, "spend_on").values() if isinstance(v, int | float)]
            if shares and sum(shares) > 1 + TOLERANCE:
                rule = "shares of the budget must not sum over 1"
                out.append(Problem(f"{path}.spend_on", round(sum(shares), 6), rule))
            for name in item.get("teams", [ALL]) if isinstance(item.get("teams"), list) else []:
                if name != ALL and teams and name not in teams:
                    out.append(Problem(f"{path}.teams", name, _unknown("team", teams)))
            out += _check_funded_costs(raw, item, path)
        elif kind == "outsourced_assessments":
            out += _check_district_list(item, f"{path}.districts", districts)
            out += _check_window(item, path)
    return out


def _check_funded_costs(raw: dict[str, Any], item: dict[str, Any], path: str) -> list[Problem]:
    out = []
    for prof, share in _table(item, "spend_on").items():
        cost = _table(_table(raw, "professions"), prof).get("cost_gbp_per_wte_year", 0)
        if isinstance(share, int | float) and share > 0 and cost == 0:
            rule = f"funding needs professions.{prof}.cost_gbp_per_wte_year > 0"
            out.append(Problem(f"{path}.spend_on.{prof}", share, rule))
    return out


def _check_profile(raw: dict[str, Any], districts: set[str]) -> list[Problem]:
    out = []
    for i, band in _items(_table(raw, "starting_list"), "profile"):
        path = f"starting_list.profile[{i}]"
        name = band.get("district")
        if districts and name not in districts:
            out.append(Problem(f"{path}.district", name, _unknown("district", districts)))
        low, high = band.get("weeks_waiting_min"), band.get("weeks_waiting_max")
        if isinstance(low, int | float) and isinstance(high, int | float) and high <= low:
            out.append(Problem(f"{path}.weeks_waiting_max", high, "must exceed weeks_waiting_min"))
    return out


def _unknown(what: str, known: set[str]) -> str:
    listed = ", ".join(sorted(known)[:14])
    return f"unknown {what}; known: {listed}"
