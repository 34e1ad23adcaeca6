"""A replication split by team and merged equals the serial run, row for row."""

from __future__ import annotations

import copy
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from nd_sim.engine.parameters import replication_model
from nd_sim.engine.replication import run_replication
from nd_sim.engine.split import plan_parts, run_split, team_groups
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import load_scenario
from nd_sim.scenario.loader import validate_raw
from nd_sim.scenario.models import Scenario

from .conftest import FIXTURES, SCENARIOS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def assert_same(a, b) -> None:
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, field.name
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), field.name
        else:
            assert x == y, field.name


def _check(model, replications, seed, parts=(2, 3, 8)) -> None:
    for r in replications:
        drawn = replication_model(model, r, seed)
        serial = run_replication(drawn, r, seed)
        for n in parts:
            assert_same(run_split(drawn, r, seed, n), serial)


def test_lancashire_split_by_team_is_the_serial_run_validation() -> None:
    """Four teams, today's list, returns, workshops: split into 2, 3 and 4 parts."""
    model = compile_model(load_scenario(SCENARIOS / "lancashire.toml"))
    assert len(plan_parts(model, 8)) == 4
    _check(model, (0, 3), 20260401)


def test_outsourced_blocks_and_pools_keep_their_teams_together_validation() -> None:
    """A block over every district, and a pooled list, make one group: still identical."""
    model = compile_model(load_scenario(SCENARIOS / "ep_surge.toml"))
    assert len(team_groups(model)) == 1 and len(plan_parts(model, 4)) == 1
    _check(model, (1,), 5, parts=(2,))
    raw = load_scenario(FIXTURES / "small.toml").model_dump(by_alias=True)
    raw["booking"]["pools"] = [list(raw["teams"])[:1]]
    pooled = compile_model(Scenario.model_validate(raw))
    _check(pooled, (0, 1), 11)


def test_many_teams_with_heavy_returns_split_identically_validation() -> None:
    """Three copies of Lancashire (12 teams, no list), everyone who leaves coming back:
    many returning children are made inside withdrawal events across parts."""
    from footprint import footprint_raw

    raw = copy.deepcopy(footprint_raw(3))
    raw["pathway"]["rereferral"] = {
        "probability": 0.6,
        "after": ["withdrawn", "signposted", "no_nd"],
        "delay_weeks_mean": 4.0,
    }
    raw["pathway"]["withdrawal"]["weekly_hazard"] = 0.02
    raw["horizon_weeks"] = 104
    model = compile_model(validate_raw(raw, {}, "heavy returns"))
    _check(model, (0, 1), 7, parts=(2, 5, 12))


@pytest.mark.parametrize("name", ["small.toml", "small_uncertain.toml"])
def test_fixtures_split_identically_under_parameter_uncertainty_validation(name: str) -> None:
    scenario = load_scenario(FIXTURES / name)
    scenario = scenario.model_copy(
        update={"run": scenario.run.model_copy(update={"parameter_uncertainty": True})}
    )
    _check(compile_model(scenario), (0, 1, 2), 3)


def test_tied_withdrawals_across_parts_follow_their_parents_numbers_unit() -> None:
    """Two parents of different parts leaving in one event on the same day: their returns
    come in the order of the parents' serial numbers, whatever the parts' order."""
    from nd_sim.engine.split import _resolve_ties

    # (born, exit day, part, local row, parent's local row); cohort of 2 + 2 children
    rows = [(4, 9.5, 0, 2, 1), (4, 9.5, 1, 2, 0)]
    local_to_global = [np.array([1, 3, -1]), np.array([0, 2, -1])]
    _resolve_ties(rows, local_to_global, n0=4)
    assert [r[2] for r in rows] == [1, 0]  # part 1's parent is child 0, part 0's child 3


def test_a_pooled_team_without_children_keeps_its_hours_validation() -> None:
    """Teams t0 and t1 pool their list; t1's district refers nobody, so t1 books only t0's
    children. A heavier team of its own goes first: t1's hours must still come from the
    part that ran the pool."""
    from footprint import footprint_raw

    raw = copy.deepcopy(footprint_raw(1))
    names = list(raw["districts"])
    teams = list(raw["teams"])
    for name in names:  # the pool's own districts are few: another group goes first
        raw["districts"][name]["team"] = teams[2]
    raw["districts"][names[0]]["team"] = teams[1]
    raw["districts"][names[0]]["referrals_per_week"] = 0.0
    raw["districts"][names[1]]["team"] = teams[0]
    raw["districts"][names[2]]["team"] = teams[3]
    raw["booking"]["pools"] = [[teams[0], teams[1]]]
    raw["horizon_weeks"] = 52
    model = compile_model(validate_raw(raw, {}, "pool with an empty team"))
    plan = plan_parts(model, 2)
    assert len(plan) == 2 and 0 not in plan[0]  # the pool is not in the first part
    _check(model, (0,), 9, parts=(2,))


def test_split_teams_from_the_command_line_writes_the_serial_run_functional(
    tmp_path: Path,
) -> None:
    """`nd-sim run --split-teams --jobs 2` writes the very rows of a serial run, and says
    so in its manifest; `compare --split-teams` takes the option too."""
    import json

    import pandas as pd
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from nd_sim.cli import app

    runner = CliRunner()
    small = str(FIXTURES / "small.toml")
    folders = {}
    for name, extra in (("split", ["--jobs", "2", "--split-teams"]), ("serial", [])):
        folders[name] = tmp_path / name
        args = ["run", small, "-n", "3", *extra, "--out", str(folders[name])]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    split, serial = folders["split"], folders["serial"]
    assert json.loads((split / "manifest.json").read_text())["split_by_team"] is True
    assert (split / "summary.csv").read_bytes() == (serial / "summary.csv").read_bytes()
    frames = [pq.read_table(f / "children.parquet").to_pandas() for f in (split, serial)]
    pd.testing.assert_frame_equal(*frames)
    args = ["compare", small, small, "-n", "2", "--jobs", "2", "--split-teams"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "compare")])
    assert result.exit_code == 0, result.output
