"""Pooled lists: two teams booking first appointments from one list, each with its own
hours. With a surge in one team's district, the pool shares the wait between the two; with
no surge, pooling two identical teams changes nothing beyond the travel overhead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import compile_model
from nd_sim.results.kpis import replication_kpis
from nd_sim.results.statistics import t_interval
from nd_sim.scenario.models import Scenario

from .test_mix_validation import pathway

REPS = 10
WAIT = "pathway_wait_median_weeks"  # weeks from referral to an outcome, whole pathway


def _two_teams(*, surge: bool, pool: bool, overhead: float = 0.0) -> Scenario:
    """Two identical teams of 12 WTE for 10 referrals a week each; a surge doubles the
    first team's referrals from week 4."""
    raw = pathway({"a": 1.0}, {"a": 12.0}, teams=2).model_dump(by_alias=True)
    raw["horizon_weeks"] = 60
    if surge:
        raw["demand"]["shocks"] = [
            {"name": "surge", "districts": ["d0"], "multiplier": 2.0, "from": "2026-02-02"}
        ]
    if pool:
        raw["booking"]["pools"] = [["t0", "t1"]]
        raw["booking"]["pool_travel_overhead_share"] = overhead
    return Scenario.model_validate(raw)


def _kpis(scenario: Scenario, kpi: str) -> pd.DataFrame:
    """`kpi` per replication (rows) and area (columns)."""
    model = compile_model(scenario)
    rows = []
    for r in range(REPS):
        values = {
            (t, a): v
            for t, a, k, v in replication_kpis(run_replication(model, r, 3), model)
            if k == kpi
        }
        rows.append({a: v for (t, a), v in values.items() if t in ("district", "county")})
    return pd.DataFrame(rows)


def test_a_pool_shares_a_surge_between_its_teams_functional() -> None:
    alone = _kpis(_two_teams(surge=True, pool=False), WAIT)
    pooled = _kpis(_two_teams(surge=True, pool=True), WAIT)
    gap_alone = t_interval((alone.d0 - alone.d1).to_numpy())
    gap_pooled = t_interval((pooled.d0 - pooled.d1).to_numpy())
    assert gap_alone[1] > 5.0  # alone, the surge's district waits far longer
    assert gap_pooled[1] <= 0.0 <= gap_pooled[2] or abs(gap_pooled[0]) < 1.0  # equal within CI
    # the pool's children share the wait: the surge district gains, the other loses
    assert pooled.d0.mean() < alone.d0.mean() and pooled.d1.mean() > alone.d1.mean()


def test_no_surge_pooling_changes_nothing_but_the_overhead_functional() -> None:
    alone = _kpis(_two_teams(surge=False, pool=False), WAIT)
    pooled = _kpis(_two_teams(surge=False, pool=True), WAIT)
    diff = t_interval((pooled.county - alone.county).to_numpy())
    assert diff[1] <= 0.0 <= diff[2] or abs(diff[0]) < 0.5
    costly = _kpis(_two_teams(surge=False, pool=True, overhead=0.5), WAIT)
    assert costly.county.mean() >= pooled.county.mean()  # travel only takes hours away


@pytest.mark.parametrize("overhead", [0.0, 0.3])
def test_pooled_children_stay_in_their_district_and_are_counted_once_functional(
    overhead: float,
) -> None:
    model = compile_model(_two_teams(surge=True, pool=True, overhead=overhead))
    raw = run_replication(model, 0, 3)
    alone = run_replication(compile_model(_two_teams(surge=True, pool=False)), 0, 3)
    n = min(raw.district.size, alone.district.size)
    # the same children (common random numbers), each in its own district
    assert np.array_equal(raw.district[:n], alone.district[:n])
    assert np.array_equal(raw.referral_day[:n], alone.referral_day[:n])
    referred = len(raw.district)
    seen = int(np.count_nonzero(raw.exit_code != 0))
    waiting = int(np.count_nonzero(raw.exit_code == 0))
    assert referred == seen + waiting
    assert (raw.hours_used <= raw.hours_available + 1e-6).all()


@pytest.mark.parametrize(
    ("pools", "words"),
    [
        ('[["north", "nowhere"]]', "unknown team"),
        ('[["north"]]', "two or more different teams"),
        ('[["north", "central"], ["central", "east"]]', "one pool only"),
    ],
)
def test_bad_pools_are_refused_naming_the_field_functional(
    tmp_path, pools: str, words: str
) -> None:
    from typer.testing import CliRunner

    from nd_sim.cli import app

    from .conftest import SCENARIOS

    path = tmp_path / "pools.toml"
    path.write_text(
        f'extends = "{(SCENARIOS / "lancashire.toml").as_posix()}"\n\n[booking]\npools = {pools}\n'
    )
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "booking.pools[" in flat and words in flat and "Traceback" not in flat
