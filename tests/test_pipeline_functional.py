"""One pipeline for every simulating command: each takes --dask and --resume, and an
interrupted compare, options, size or families run finishes on --resume with the same
files as an uninterrupted one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.experiments.compare import compare_to_folder
from nd_sim.experiments.families.run import families_to_folder
from nd_sim.experiments.options import Settings, options_to_folder
from nd_sim.experiments.sizing.run import prepare, settings_for, size_to_folder
from nd_sim.inputs.model import compile_model
from nd_sim.run.folder import staging_dir
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES

SMALL = FIXTURES / "small.toml"
MORE = FIXTURES / "small_more_staff.toml"


@pytest.mark.parametrize("command", ["run", "sweep", "compare", "options", "size", "families"])
def test_every_command_takes_dask_and_resume_functional(command: str) -> None:
    text = CliRunner().invoke(app, [command, "--help"], terminal_width=200).output
    assert "--dask" in text and "--resume" in text, text


def _interrupted_then_resumed(
    run: Callable[[RunSettings, Callable[[int], None] | None], None],
    out: Path,
    replications: int,
    files: tuple[str, ...],
) -> dict[str, bytes]:
    """Run once whole, once stopped after its first chunk and resumed; return the files of
    the whole run after checking the resumed run's are the same."""
    whole = out.parent / f"{out.name}-whole"
    run(RunSettings(replications, 9, whole, jobs=1), None)
    calls = []

    def stop(n: int) -> None:
        calls.append(n)
        if len(calls) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(RunSettings(replications, 9, out, jobs=1), stop)
    assert not out.exists() and staging_dir(out).exists()
    run(RunSettings(replications, 9, out, jobs=1, resume=True), None)
    assert not staging_dir(out).exists()
    for name in files:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
    return {name: (whole / name).read_bytes() for name in files}


def test_compare_resumes_functional(tmp_path: Path) -> None:
    models = [compile_model(load_scenario(p)) for p in (SMALL, MORE)]
    _interrupted_then_resumed(
        lambda s, done: compare_to_folder(models, [SMALL, MORE], s, done),
        tmp_path / "cmp",
        6,
        ("comparison.csv", "scenarios/small/summary.csv"),
    )


def test_options_resume_functional(tmp_path: Path) -> None:
    base = load_scenario(SMALL)
    budget = Settings(budget_gbp=200_000, over_months=12, start=base.start_date)
    _interrupted_then_resumed(
        lambda s, done: options_to_folder(base, budget, s, done),
        tmp_path / "opt",
        4,
        ("options.csv", "comparison.csv"),
    )


def test_families_resume_functional(tmp_path: Path) -> None:
    sc = load_scenario(SMALL)
    _interrupted_then_resumed(
        lambda s, done: families_to_folder(
            sc, FIXTURES / "small_list.csv", dt.date(2026, 4, 1), s, on_done=done
        ),
        tmp_path / "fam",
        8,
        ("projections.csv", "if_referred_today.csv"),
    )


def test_size_resumes_functional(tmp_path: Path) -> None:
    sc = load_scenario(SMALL)
    request = prepare(
        sc, "first_within_13w_pct >= 30", "2027-09-30", "paediatrician", step=0.5, cap=3.0,
        replications=4, seed=9, marginal_rows=0,
    )  # fmt: skip

    def run(settings: RunSettings, done) -> None:
        size_to_folder(request, settings_for(request, settings.out, resume=settings.resume), done)

    _interrupted_then_resumed(run, tmp_path / "size", 4, ("curve.csv",))


def test_resume_refuses_a_different_request_functional(tmp_path: Path) -> None:
    models = [compile_model(load_scenario(p)) for p in (SMALL, MORE)]

    def stop(n: int) -> None:
        raise KeyboardInterrupt

    out = tmp_path / "cmp"
    with pytest.raises(KeyboardInterrupt):
        compare_to_folder(models, [SMALL, MORE], RunSettings(6, 9, out), stop)
    result = CliRunner().invoke(
        app,
        ["compare", str(SMALL), str(MORE), "-n", "6", "-s", "10", "--out", str(out), "--resume"],
    )
    assert result.exit_code == 2 and "seed" in result.output


@pytest.mark.slow
def test_compare_on_a_local_dask_cluster_matches_serial_functional(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    args = ["compare", str(SMALL), str(MORE), "-n", "4", "-s", "3"]
    serial = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "serial")])
    dask = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "dask"), "--dask", "local", "-j", "2"]
    )
    assert serial.exit_code == 0 and dask.exit_code == 0, dask.output
    for name in ("comparison.csv", "scenarios/small/summary.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
