"""England from the published statistics: one scenario, a team and a district for every
sub-ICB location with data (`nd-sim calibrate --autism-stats FILE --all-sub-icbs`).

Each location is fitted exactly as `--sub-icb CODE` fits it alone (its referrals, its
capacity from closures, its starting list profiled by weeks waited), and the one-team
scenarios are merged: the location's code names its district and its team. Locations with
no usable referrals by the as-of date, or whose closures give no capacity, are skipped and
listed with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass

import pandas as pd
import tomli_w

from nd_sim.calibration.fit import Estimate
from nd_sim.calibration.published import monthly_for, published_scenario, sub_icb_codes
from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario.models import Scenario


@dataclass(frozen=True)
class National:
    """The merged scenario, every fitted number, and the locations left out (and why)."""

    toml: str
    teams: int
    estimates: list[Estimate]
    skipped: pd.DataFrame  # code, name, reason


def national_scenario(
    frame: pd.DataFrame, template: Scenario, as_of: dt.date, source: str
) -> National:
    """One team per sub-ICB location with data, from the loaded published file."""
    merged: dict | None = None
    estimates: list[Estimate] = []
    skipped = []
    for code in sub_icb_codes(frame):
        try:
            monthly, name = monthly_for(frame, code)
            text, found = published_scenario(monthly, template, as_of, code, name, source)
        except ScenarioError as exc:
            reasons = "; ".join(p.rule for p in exc.problems) or "no usable data"
            skipped.append({"code": code, "name": code, "reason": reasons})
            continue
        scale = found[1].estimate
        if math.isnan(scale) or scale <= 0:
            reason = "the closures give no capacity (suppressed or zero)"
            skipped.append({"code": code, "name": name, "reason": reason})
            continue
        one = tomllib.loads(text)
        merged = _merge(merged, one, code, name)
        estimates += [_renamed(e, one, code) for e in found]
    if merged is None:
        rule = "no sub-ICB location has referrals and closures to fit by --as-of"
        raise ScenarioError(source, [Problem("--autism-stats", source, rule)])
    merged["name"] = "England: every sub-ICB location from the Autism Waiting Time Statistics"
    merged["description"] = (
        f"{len(merged['teams'])} sub-ICB locations fitted one by one from {source} to "
        f"{as_of}; the pathway and everything else are the template's ({template.name})."
    )
    table = merged.get("uncertain", {})
    merged["uncertain"] = {
        p: v for p, v in table.items() if not p.startswith(("teams.", "districts."))
    }
    return National(
        tomli_w.dumps(merged),
        len(merged["teams"]),
        estimates,
        pd.DataFrame(skipped, columns=["code", "name", "reason"]),
    )


def _merge(merged: dict | None, one: dict, code: str, name: str) -> dict:
    """Add one location's team, district and starting bands to the merged scenario."""
    team_key = next(iter(one["teams"]))
    team = one["teams"][team_key]
    district = one["districts"][code]
    district["team"] = code
    bands = one.get("starting_list", {}).get("profile", [])
    if merged is None:
        merged = {**one, "teams": {}, "districts": {}, "starting_list": {"profile": []}}
    merged["teams"][code] = team
    merged["districts"][code] = district
    merged["starting_list"]["profile"] += bands
    merged.setdefault("notes", {})[f"districts.{code}"] = name
    return merged


def _renamed(e: Estimate, one: dict, code: str) -> Estimate:
    """An estimate named by the merged scenario's keys (the team is the location's code)."""
    team_key = next(iter(one["teams"]))
    parameter = e.parameter.replace(f"teams.{team_key}.", f"teams.{code}.")
    area = code if e.area == team_key else e.area
    return Estimate(parameter, area, e.estimate, e.ci_low, e.ci_high, e.method, e.n)
