"""Cross-reference checks on a raw scenario dict.

They run on the raw dict (not the model) and tolerate missing pieces, so that a typo'd key
and an unknown district are reported in the same run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from nd_sim.errors import Problem
from nd_sim.scenario import models
from nd_sim.scenario.bounds import normalise_code

ALL = "all"
TOLERANCE = 1e-6


def cross_checks(raw: dict[str, Any]) -> list[Problem]:
    """Every cross-reference and sum rule that single fields cannot express."""
    districts = _keys(raw.get("districts"))
    teams = _keys(raw.get("teams"))
    professions = _keys(raw.get("professions"))
    checks: list[tuple[str, Callable[[], list[Problem]]]] = [
        ("districts", lambda: _check_district_teams(raw, teams)),
        ("teams", lambda: _check_team_staff(raw, professions)),
        ("(shares)", lambda: _check_sums(raw)),
        ("demand", lambda: _check_demand(raw, districts)),
        ("pathway", lambda: _check_pathway(raw, professions)),
        ("booking", lambda: _check_booking(raw)),
        ("booking.pools", lambda: _check_pools(raw, teams)),
        ("interventions", lambda: _check_interventions(raw, districts, teams, professions)),
        ("starting_list", lambda: _check_profile(raw, districts)),
    ]
    problems: list[Problem] = []
    for table in ("districts", "teams", "professions"):
        for key in _keys(raw.get(table)):
            if not key.strip():
                problems.append(Problem(f"{table}.{key!r}", key, "a name must not be empty"))
    for section, check in checks:
        try:
            problems += check()
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # Every check guards its types; this is the net under a guard someone forgot,
            # so that a value of a surprising type is still reported, not a traceback.
            rule = f"could not be cross-checked ({type(exc).__name__}); check its types"
            problems.append(Problem(section, "(see the other problems)", rule))
    return problems


def _keys(node: Any) -> set[str]:
    return set(node) if isinstance(node, dict) else set()


def _number(value: Any) -> bool:
    """A finite int or float that is not a boolean (the only values the sums may add)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _date(value: Any) -> dt.date | None:
    """A TOML date (or datetime, or ISO string), or None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _names(value: Any) -> list[str]:
    """The strings in a list of names (other values are the structural checks' business)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


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
    values = [v for v in shares.values() if _number(v)]
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
    if normalise_code(demand.get("seasonality")) == "monthly":
        months = demand.get("monthly_multipliers")
        if not isinstance(months, list) or len(months) != 12:
            rule = "seasonality = 'monthly' needs twelve monthly_multipliers"
            out.append(Problem("demand.monthly_multipliers", months, rule))
        elif all(_number(m) for m in months) and sum(months) <= 0:
            out.append(Problem("demand.monthly_multipliers", months, "must not all be 0"))
    return out


def _check_district_list(item: dict[str, Any], path: str, districts: set[str]) -> list[Problem]:
    out = []
    for name in _names(item.get("districts", [ALL])):
        if name != ALL and districts and name not in districts:
            out.append(Problem(path, name, _unknown("district", districts)))
    return out


def _check_window(item: dict[str, Any], path: str) -> list[Problem]:
    start, end = _date(item.get("from")), _date(item.get("until"))
    if start is not None and end is not None and end <= start:
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
        if "hours" in appt and not any(_number(v) and v > 0 for v in needed.values()):
            rule = "an appointment must take some profession-hours"
            out.append(Problem(f"pathway.appointments[{i}].hours", needed, rule))
    names = [a.get("name") for _, a in _items(pathway, "appointments")]
    names = [n.strip().lower() for n in names if isinstance(n, str)]
    for name in sorted({n for n in names if names.count(n) > 1}):
        out.append(Problem("pathway.appointments", name, "appointment names must be unique"))
    kinds = [w.get("kind") for _, w in _items(pathway, "workshops")]
    kinds = [k.strip().lower() for k in kinds if isinstance(k, str)]
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
    names = [c.get("name") for _, c in classes if isinstance(c.get("name"), str)]
    for name in {n for n in names if names.count(n) > 1}:
        out.append(Problem("booking.priority_classes", name, "class names must be unique"))
    if normalise_code(booking.get("queue_order")) == "priority_shares":
        out += _sum_to_one(
            {c.get("name", str(i)): c.get("share_of_new_slots", 1.0) for i, c in classes},
            "booking.priority_classes.share_of_new_slots",
        )
    return out


def _check_pools(raw: dict[str, Any], teams: set[str]) -> list[Problem]:
    """Each pool names two or more known teams, and no team is in two pools."""
    out = []
    seen: set[str] = set()
    pools = _table(raw, "booking").get("pools", [])
    if not isinstance(pools, list):
        return out
    for k, pool in enumerate(pools):
        path = f"booking.pools[{k}]"
        if not isinstance(pool, list):
            continue
        if len(set(pool)) < 2:
            out.append(Problem(path, pool, "a pool needs two or more different teams"))
        for name in pool:
            if teams and isinstance(name, str) and name not in teams:
                out.append(Problem(path, name, _unknown("team", teams)))
            elif name in seen:
                out.append(Problem(path, name, "a team can be in one pool only"))
        seen |= {n for n in pool if isinstance(n, str)}
    return out


def _check_interventions(
    raw: dict[str, Any], districts: set[str], teams: set[str], professions: set[str]
) -> list[Problem]:
    out = []
    for i, item in _items(raw, "interventions"):
        path = f"interventions[{i}]"
        kind = normalise_code(item.get("kind"))
        if kind == "staff_change":
            team = item.get("team")
            if teams and isinstance(team, str) and team not in teams:
                out.append(Problem(f"{path}.team", team, _unknown("team", teams)))
            prof = item.get("profession")
            if professions and isinstance(prof, str) and prof not in professions:
                out.append(Problem(f"{path}.profession", prof, _unknown("profession", professions)))
            out += _check_window(item, path)
        elif kind == "funding":
            for prof in _table(item, "spend_on"):
                if professions and prof not in professions:
                    rule = _unknown("profession", professions)
                    out.append(Problem(f"{path}.spend_on.{prof}", prof, rule))
            shares = [v for v in _table(item, "spend_on").values() if _number(v)]
            if shares and sum(shares) > 1 + TOLERANCE:
                rule = "shares of the budget must not sum over 1"
                out.append(Problem(f"{path}.spend_on", round(sum(shares), 6), rule))
            for name in _names(item.get("teams", [ALL])):
                if name != ALL and teams and name not in teams:
                    out.append(Problem(f"{path}.teams", name, _unknown("team", teams)))
            out += _check_funded_costs(raw, item, path)
        elif kind == "outsourced_assessments":
            out += _check_district_list(item, f"{path}.districts", districts)
            out += _check_window(item, path)
        elif kind == "mutual_aid":
            out += _check_mutual_aid(item, path, teams, professions)
    return out


def _check_mutual_aid(
    item: dict[str, Any], path: str, teams: set[str], professions: set[str]
) -> list[Problem]:
    """Known teams (two different ones), a known profession, one amount, a window."""
    out = []
    for key in ("lender", "borrower"):
        team = item.get(key)
        if teams and isinstance(team, str) and team not in teams:
            out.append(Problem(f"{path}.{key}", team, _unknown("team", teams)))
    if item.get("lender") is not None and item.get("lender") == item.get("borrower"):
        rule = "a team cannot lend to itself: name another borrower"
        out.append(Problem(f"{path}.borrower", item.get("borrower"), rule))
    prof = item.get("profession")
    if professions and isinstance(prof, str) and prof not in professions:
        out.append(Problem(f"{path}.profession", prof, _unknown("profession", professions)))
    given = [k for k in ("share", "hours_per_week") if item.get(k) is not None]
    if len(given) != 1:
        rule = "give exactly one of share (of the lender's hours) and hours_per_week"
        out.append(Problem(f"{path}.share", item.get("share"), rule))
    return out + _check_window(item, path)


def _check_funded_costs(raw: dict[str, Any], item: dict[str, Any], path: str) -> list[Problem]:
    out = []
    for prof, share in _table(item, "spend_on").items():
        cost = _table(_table(raw, "professions"), prof).get("cost_gbp_per_wte_year", 0)
        if _number(share) and share > 0 and _number(cost) and cost == 0:
            rule = f"funding needs professions.{prof}.cost_gbp_per_wte_year > 0"
            out.append(Problem(f"{path}.spend_on.{prof}", share, rule))
    return out


def _check_profile(raw: dict[str, Any], districts: set[str]) -> list[Problem]:
    out = []
    for i, band in _items(_table(raw, "starting_list"), "profile"):
        path = f"starting_list.profile[{i}]"
        name = band.get("district")
        if districts and isinstance(name, str) and name not in districts:
            out.append(Problem(f"{path}.district", name, _unknown("district", districts)))
        low, high = band.get("weeks_waiting_min"), band.get("weeks_waiting_max")
        if _number(low) and _number(high) and high <= low:
            out.append(Problem(f"{path}.weeks_waiting_max", high, "must exceed weeks_waiting_min"))
    return out


def _unknown(what: str, known: set[str]) -> str:
    listed = ", ".join(sorted(known)[:14])
    return f"unknown {what}; known: {listed}"
