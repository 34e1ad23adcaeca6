"""The shipped Lancashire footprint repeated k times: the scale benchmarks' scenarios.

Each copy's teams and districts are renamed (``north_2``, ``Burnley_2``), so each copy is
its own set of teams, as a region or England would be. The starting list and the ranges
are dropped, so that the work grows only with the copies (the issue's measurements did
the same). ``spread=True`` divides every referral rate by k and every WTE by k: the
same children and the same load, over k times the teams.
"""

from __future__ import annotations

import copy
from pathlib import Path

from nd_sim.inputs.model import Model, compile_model
from nd_sim.scenario.loader import read_raw, validate_raw

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "lancashire.toml"


def footprint_raw(k: int, spread: bool = False) -> dict:
    """The raw scenario dict of k copies of Lancashire."""
    raw, _ = read_raw(SCENARIO)
    raw = copy.deepcopy(raw)
    raw.pop("starting_list", None)
    raw.pop("uncertain", None)
    teams, districts = {}, {}
    for copy_no in range(1, k + 1):
        suffix = "" if copy_no == 1 else f"_{copy_no}"
        for name, team in raw["teams"].items():
            team = copy.deepcopy(team)
            if spread:
                for staff in team["staff"].values():
                    staff["wte"] = staff["wte"] / k
            teams[name + suffix] = team
        for name, district in raw["districts"].items():
            district = dict(district, team=district["team"] + suffix)
            if spread:
                district["referrals_per_week"] = district["referrals_per_week"] / k
            districts[name + suffix] = district
    raw["teams"], raw["districts"] = teams, districts
    return raw


def footprint(k: int, spread: bool = False) -> Model:
    """The compiled model of k copies of Lancashire."""
    return compile_model(validate_raw(footprint_raw(k, spread), {}, f"lancashire x{k}"))
