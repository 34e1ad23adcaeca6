"""Sanity checks of the plain SimPy model of the pathway (``benchmarks/simpy_pathway.py``), the
yardstick for nd-sim's speed: it must be correct for the ratio to be honest. Short horizons."""

from __future__ import annotations

import importlib.util
import math
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "lancashire.toml"


def load_module():
    """The benchmark script, imported from its path (``benchmarks`` is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "simpy_pathway", ROOT / "benchmarks" / "simpy_pathway.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("simpy_pathway", module)
    spec.loader.exec_module(module)
    return module


simpy_pathway = load_module()


@pytest.fixture(scope="module")
def half_year() -> dict:
    return simpy_pathway.run(SCENARIO, seed=7, horizon_weeks=26)


def test_every_child_is_counted_once_unit(half_year: dict) -> None:
    r = half_year
    exits = r["assessed"] + r["signposted"] + r["withdrawn"] + r["met_by_workshop"]
    assert exits + r["waiting_end"] == r["children"]
    assert min(r["assessed"], r["signposted"], r["withdrawn"], r["waiting_end"]) > 0
    assert sum(r["outcomes"].values()) == r["assessed"]
    assert r["first_appointments"] >= r["assessed"]
    # every appointment held is attended (one per step of an assessment at most) or missed
    assert r["appointments"] >= r["assessed"] * 4 + r["dna"]


def test_same_seed_same_result_unit(half_year: dict) -> None:
    assert simpy_pathway.run(SCENARIO, seed=7, horizon_weeks=26) == half_year
    assert simpy_pathway.run(SCENARIO, seed=8, horizon_weeks=26) != half_year


def test_referrals_match_the_poisson_expectation_unit() -> None:
    weeks = 52
    with open(SCENARIO, "rb") as f:
        districts = tomllib.load(f)["districts"]
    expected = weeks * sum(d["referrals_per_week"]["value"] for d in districts.values())
    r = simpy_pathway.run(SCENARIO, seed=11, horizon_weeks=weeks)
    new = r["children"] - r["rereferrals"]
    assert abs(new - expected) <= 4 * math.sqrt(expected)
    # a few come back: 5% of the signposted and the no-ND, after 26 weeks on average
    assert 0 < r["rereferrals"] <= 0.05 * (r["signposted"] + r["assessed"])


def test_more_staff_never_fewer_appointments_unit() -> None:
    held = [
        simpy_pathway.run(SCENARIO, seed=3, horizon_weeks=52, wte_scale=scale)["appointments"]
        for scale in (0.5, 1.0, 1.5)
    ]
    assert held == sorted(held)
    assert held[0] < held[-1]


def test_no_staff_no_appointments_unit() -> None:
    r = simpy_pathway.run(SCENARIO, seed=3, horizon_weeks=26, wte_scale=0.0)
    assert r["appointments"] == r["assessed"] == r["signposted"] == 0
    assert r["withdrawn"] + r["waiting_end"] == r["children"] > 0
