"""`nd-sim sweep`: variants on common random numbers, one tidy table, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.experiments.grid import load_grid
from nd_sim.experiments.sweep import sweep_to_folder
from nd_sim.inputs.model import compile_model
from nd_sim.results.statistics import t_interval
from nd_sim.run.runner import run_to_folder
from nd_sim.run.settings import RunSettings

from .conftest import FIXTURES

runner = CliRunner()
GRID = """
[grid]
"teams.north.staff.paediatrician.wte" = [1.0, 1.5]
"districts.A.referrals_per_week" = [6.0, 9.0, 12.0]
"""


def _sweep_args(grid_file: Path) -> list[str]:
    return ["sweep", str(FIXTURES / "small.toml"), "--grid", str(grid_file), "-n", "5"]


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("grid") / "grid.toml"
    path.write_text(GRID)
    return path


@pytest.fixture(scope="module")
def swept(grid_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "out"
    result = runner.invoke(
        app,
        [*_sweep_args(grid_file), "--out", str(out), "--jobs", "2", "--report"],
    )
    assert result.exit_code == 0, result.output
    assert "Variants ranked on" in result.output
    return out


def test_sweep_writes_tidy_table_functional(swept: Path) -> None:
    table = pd.read_csv(swept / "sweep.csv")
    keys = ["teams.north.staff.paediatrician.wte", "districts.A.referrals_per_week"]
    assert list(table.columns[:4]) == ["variant", "variant_name", *keys]
    assert sorted(table.variant.unique()) == list(range(6))
    # the cross product, first key slowest
    combos = table.drop_duplicates("variant")[keys].to_numpy().tolist()
    assert combos == [[a, b] for a in (1.0, 1.5) for b in (6.0, 9.0, 12.0)]
    assert {"county", "team", "district"} <= set(table.area_type)
    assert (table.replications <= 5).all()
    base = table[table.variant == 0]
    assert np.allclose(base.diff_mean.dropna(), 0.0)
    variants = pd.read_csv(swept / "variants.csv")
    assert len(variants) == 6 and keys[0] in variants
    weekly = pq.read_table(swept / "weekly.parquet").to_pandas()
    assert sorted(weekly.variant.unique()) == list(range(6))
    assert sorted(weekly.replication.unique()) == list(range(5))
    assert not (swept / "children.parquet").exists()  # only with --children
    by_rep = pq.read_table(swept / "kpis_by_replication.parquet").to_pandas()
    assert len(by_rep.groupby(["variant", "replication"])) == 6 * 5
    assert (swept / "figures" / "sweep_first_wait_median_weeks.png").stat().st_size > 10_000
    manifest = json.loads((swept / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["keys"] == keys
    assert not list(swept.glob(".*"))  # no working state left behind


def test_sweep_variant_matches_a_plain_run_functional(swept: Path, tmp_path: Path) -> None:
    """A variant of a sweep is exactly the run of that scenario, and more demand in the north
    is worse for the north (paired, replication by replication)."""
    table = pd.read_csv(swept / "sweep.csv")
    spec = load_grid(_grid_path(swept), FIXTURES / "small.toml")
    model = compile_model(spec.variants[2].scenario)
    run = run_to_folder(model, RunSettings(5, 7, tmp_path / "run"))
    row = table[(table.variant == 2) & (table.area == "county")].set_index("kpi")
    for kpi, mean in run.summary[run.summary.area == "county"].set_index("kpi")["mean"].items():
        assert row.loc[kpi, "mean"] == pytest.approx(mean, rel=1e-5, nan_ok=True), kpi
    # the paired difference is the t interval of the per-replication differences
    by_rep = run.by_replication
    base = run_to_folder(
        compile_model(spec.variants[0].scenario), RunSettings(5, 7, tmp_path / "base")
    )
    pick = ["replication", "area", "kpi", "value"]
    merged = by_rep[pick].merge(base.by_replication[pick], on=["replication", "area", "kpi"])
    one = merged[(merged.area == "A") & (merged.kpi == "first_wait_median_weeks")]
    mean, low, high = t_interval(one.value_x - one.value_y)
    got = table[(table.variant == 2) & (table.area == "A")].set_index("kpi")
    got = got.loc["first_wait_median_weeks"]
    assert got.diff_mean == pytest.approx(mean, rel=1e-5)
    assert (got.diff_ci95_low, got.diff_ci95_high) == pytest.approx((low, high), rel=1e-5)
    assert low > 0  # 12 referrals a week instead of 6 in district A: longer waits


def _grid_path(swept: Path) -> Path:
    manifest = json.loads((swept / "manifest.json").read_text())
    return Path(manifest["grid"])


def test_interrupted_sweep_resumes_to_the_same_table_functional(
    grid_file: Path, swept: Path, tmp_path: Path
) -> None:
    """Stop a sweep after its third chunk (as Ctrl-C would), then --resume: the same
    sweep.csv, byte for byte, as the uninterrupted sweep."""
    spec = load_grid(grid_file, FIXTURES / "small.toml")
    out = tmp_path / "out"
    done: list[int] = []

    def stop_after_three(n: int) -> None:
        done.append(n)
        if len(done) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep_to_folder(spec, RunSettings(5, 7, out, jobs=2), on_done=stop_after_three)
    staged = tmp_path / ".out.partial"
    assert not out.exists() and len(list(staged.glob(".chunks/*.json"))) == 3
    refused = runner.invoke(
        app,
        [*_sweep_args(grid_file), "--out", str(out)],
    )
    assert refused.exit_code == 2 and "--resume" in refused.output
    resumed = runner.invoke(
        app,
        [*_sweep_args(grid_file), "--out", str(out), "--resume"],
    )
    assert resumed.exit_code == 0, resumed.output
    assert (out / "sweep.csv").read_bytes() == (swept / "sweep.csv").read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["resumed_replications"] > 0
    weekly = [pq.read_table(f / "weekly.parquet").to_pandas() for f in (out, swept)]
    order = ["variant", "replication", "district", "week"]
    pd.testing.assert_frame_equal(
        *(w.sort_values(order, ignore_index=True).astype({"variant": int}) for w in weekly)
    )


def test_bad_grid_exits_2_functional(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[grid]\n"teams.north.staff.paediatrician.wte" = [1.0, -3.0]\n')
    result = runner.invoke(
        app,
        ["sweep", str(FIXTURES / "small.toml"), "--grid", str(bad), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2
    assert "-3.0" in result.output and "wte" in result.output
    assert not (tmp_path / "o").exists()


def test_report_on_a_sweep_folder_redraws_its_figures_functional(
    swept: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(swept, copy)
    shutil.rmtree(copy / "figures")
    result = runner.invoke(app, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "figures" / "sweep_first_wait_median_weeks.svg").exists()


def test_grid_error_text_keeps_its_brackets_functional(tmp_path: Path) -> None:
    """Messages are printed as text: brackets in a rule or a name are not terminal markup."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[[variants]]\nname = "[/x]"\nset = {}\n[[variants]]\nname = "[/x]"\nset = {}\n')
    result = runner.invoke(app, [*_sweep_args(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "'[/x]'" in result.output and "unique" in result.output


def test_report_on_a_sweep_folder_without_its_table_exits_2_functional(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"kind": "sweep", "keys": ["x"]}))
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 2, result.output
    assert "sweep.csv" in result.output
