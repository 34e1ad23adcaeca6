"""Run sizes estimated up front: too large is refused before any work, with the estimate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.errors import ScenarioError
from nd_sim.inputs.model import compile_model
from nd_sim.run import resources
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS


def _scaled(tmp_path: Path, referrals_per_week: float, horizon_weeks: int = 260) -> Path:
    child = tmp_path / f"scaled_{referrals_per_week:g}.toml"
    child.write_text(
        f'extends = "{(SCENARIOS / "lancashire.toml").as_posix()}"\nname = "scaled"\n'
        f"horizon_weeks = {horizon_weeks}\n"
        f"[districts.Preston]\nreferrals_per_week = {referrals_per_week}\n"
    )
    return child


def test_children_follow_the_referrals_unit(small_model) -> None:
    listed = len(small_model.starting) + sum(
        band.count for band in small_model.scenario.starting_list.profile
    )
    expected = sum(r.sum() for r in small_model.rates_per_day) + listed
    got = resources.children_per_replication(small_model)
    back = small_model.scenario.pathway.rereferral.probability
    assert got == pytest.approx(expected / (1 - back))


def test_estimate_grows_with_replications_and_jobs_unit(small_model, tmp_path: Path) -> None:
    one = resources.estimate([small_model], 10, 1, tmp_path)
    more = resources.estimate([small_model], 1000, 2, tmp_path)
    assert more.children_total == pytest.approx(100 * one.children_total)
    assert more.disk_bytes == pytest.approx(100 * one.disk_bytes)
    assert more.memory_bytes > one.memory_bytes
    assert one.problems() == []
    fewer = resources.estimate([small_model], 1000, 2, tmp_path, child_rows=0)
    assert fewer.disk_bytes < more.disk_bytes


def test_too_large_is_refused_unless_allowed_unit(tmp_path: Path) -> None:
    model = compile_model(load_scenario(_scaled(tmp_path, 10_000.0, 1040)))
    found = resources.estimate([model], 1000, 2, tmp_path)
    paths = {p.path for p in found.problems()}
    assert paths == {"--replications", "(memory)", "--out"}
    with pytest.raises(ScenarioError) as caught:
        resources.check(found, allow_large=False)
    assert "GB" in caught.value.describe() and "--allow-large" in caught.value.describe()
    resources.check(found, allow_large=True)


def test_cli_refuses_too_large_before_any_folder_functional(tmp_path: Path) -> None:
    out = tmp_path / "out"
    scenario = _scaled(tmp_path, 10_000.0, 1040)
    result = CliRunner().invoke(app, ["run", str(scenario), "-n", "50", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "too large" in result.output and "memory" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))


def test_size_and_options_check_too_functional(tmp_path: Path) -> None:
    scenario = str(_scaled(tmp_path, 10_000.0, 1040))
    for args in (
        ["options", scenario, "--budget-gbp", "1000000", "-n", "200"],
        ["compare", scenario, scenario, "-n", "200"],
        ["size", scenario, "--target", "first_within_13w_pct >= 90", "--by", "2030-01-01",
         "--lever", "paediatrician", "-n", "500"],
    ):  # fmt: skip
        result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o")])
        assert result.exit_code == 2 and "too large" in result.output, (args, result.output)
        assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("referrals_per_week", [17.6, 176.0])
def test_memory_estimate_is_not_below_the_measured_peak_validation(
    tmp_path: Path, referrals_per_week: float
) -> None:
    """The estimate errs high, never low, and by less than a factor of three here."""
    scenario = _scaled(tmp_path, referrals_per_week)
    model = compile_model(load_scenario(scenario))
    estimated = resources.replication_bytes(model)
    # VmHWM is this process's own peak; getrusage's maxrss would include the RSS of the
    # parent at the fork (Linux keeps it across exec), i.e. the test worker's
    code = (
        "import sys; from nd_sim.scenario import load_scenario; "
        "from nd_sim.inputs.model import compile_model; from nd_sim.run.replicate import run_one; "
        "run_one(compile_model(load_scenario(sys.argv[1])), 0, 1); "
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    env = {k: v for k, v in os.environ.items() if "COV" not in k.upper()}  # not traced
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")  # its own cache: compiled once, then read
    for _ in range(2):  # the first may compile the engine (a fresh clone): not a run's peak
        done = subprocess.run(
            [sys.executable, "-c", code, str(scenario)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    peak = int(done.stdout.split()[-1]) * 1024  # kilobytes on Linux
    assert peak <= estimated <= 3 * peak, (peak / 1e6, estimated / 1e6)


def test_fixture_runs_are_far_below_the_limits_unit(small_model, tmp_path: Path) -> None:
    found = resources.estimate([small_model], 4, 2, tmp_path)
    assert found.problems() == []
    assert "children a replication" in found.describe()
    assert FIXTURES.exists()


def test_queue_bytes_bound_the_engines_queues_unit(small_model) -> None:
    """The estimate's queue bytes per child are at least what the engine allocates, and
    do not grow with the number of teams."""
    from nd_sim.engine.cohort import draw_cohort
    from nd_sim.engine.replication import _pools, _state

    cohort = draw_cohort(small_model, 1, 0)
    state, _, _ = _state(
        small_model, cohort, _pools(small_model, 1, 0, [1] * len(small_model.districts), {})
    )
    queues = ("heap_day", "heap_child", "wd_day", "wd_child", "tq", "wq", "buf")
    allocated = sum(getattr(state, name).nbytes for name in queues)
    children = state.ref_t.size
    steps, workshops = small_model.n_steps, len(small_model.scenario.pathway.workshops)
    assert allocated / children <= resources.queue_bytes_per_child(steps, workshops)
