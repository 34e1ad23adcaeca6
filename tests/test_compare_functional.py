"""Comparisons: paired differences on common random numbers, and what they buy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.experiments.compare import compare_to_folder
from nd_sim.inputs.model import compile_model
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS

runner = CliRunner()
BASE = FIXTURES / "small.toml"
MORE = FIXTURES / "small_more_staff.toml"


def _compare(tmp_path: Path, paths: list[Path], reps: int = 12):
    models = [compile_model(load_scenario(p)) for p in paths]
    return compare_to_folder(models, paths, RunSettings(reps, 5, tmp_path / "cmp"))


def test_paired_interval_much_narrower_than_unpaired_functional(tmp_path: Path) -> None:
    paths = [SCENARIOS / "lancashire.toml", SCENARIOS / "icb_funding.toml"]
    result = _compare(tmp_path, paths, reps=8)
    table = result.comparison
    rows = table[(table.folder == "icb_funding") & (table.area_type == "county")]
    rows = rows.set_index("kpi")
    ratios = []
    for kpi in ("first_wait_mean_weeks", "open_end", "assessed", "first_wait_median_weeks"):
        row = rows.loc[kpi]
        paired = row.diff_ci95_high - row.diff_ci95_low
        unpaired = row.diff_unpaired_ci95_high - row.diff_unpaired_ci95_low
        assert row.diff_ci95_low <= row.diff_from_base <= row.diff_ci95_high
        ratios.append(paired / unpaired)
    assert np.median(ratios) < 0.5, ratios  # common random numbers at work
    assert rows.loc["open_end", "diff_ci95_high"] < 0  # more staff: a shorter list, surely


def test_scenario_against_itself_differs_by_exactly_zero_functional(tmp_path: Path) -> None:
    result = _compare(tmp_path, [BASE, BASE], reps=4)
    table = result.comparison
    other = table[table.folder == "small-2"]
    assert len(other) > 100
    diffs = other[["diff_from_base", "diff_ci95_low", "diff_ci95_high"]].dropna()
    assert (diffs.to_numpy() == 0.0).all()
    a = pd.read_csv(tmp_path / "cmp" / "scenarios" / "small" / "summary.csv")
    b = pd.read_csv(tmp_path / "cmp" / "scenarios" / "small-2" / "summary.csv")
    pd.testing.assert_frame_equal(a, b)


def test_compare_writes_costs_and_changes_functional(tmp_path: Path) -> None:
    result = _compare(tmp_path, [BASE, MORE], reps=6)
    out = tmp_path / "cmp"
    assert {p.name for p in out.iterdir()} == {
        "comparison.csv",
        "changes.md",
        "financial_years.csv",
        "manifest.json",
        "scenarios",
    }
    table = pd.read_csv(out / "comparison.csv")
    costs = table[(table.folder == "small_more_staff") & (table.area == "county")].set_index("kpi")
    # the option's interventions replace the base's (lists are replaced by `extends`)
    cost = costs.loc["intervention_cost_gbp", "mean"]
    expected = (0.5 * 120000 + 1.0 * 70000) * (104 - 4) / (365.25 / 7)
    assert abs(cost - expected) / expected < 0.01
    per_child_week = costs.loc["cost_per_child_week_saved_gbp"]  # the whole pathway's
    low, high = per_child_week.ci95_low, per_child_week.ci95_high
    assert per_child_week["mean"] > 0 and low <= per_child_week["mean"] <= high
    saved = -costs.loc["child_weeks_waiting", "diff_from_base"]
    added = costs.loc["intervention_cost_gbp", "diff_from_base"]
    assert per_child_week["mean"] == pytest.approx(added / saved, rel=1e-4)
    unclear = costs.loc["first_wait_median_weeks"]  # its CI spans 0: no honest ratio
    if unclear.diff_ci95_low <= 0 <= unclear.diff_ci95_high:
        assert np.isnan(costs.loc["cost_per_week_of_median_wait_saved_gbp", "mean"])
    changes = (out / "changes.md").read_text()
    assert "adds 1 WTE psychologist in team north" in changes
    assert "assumption: a test option" in changes
    assert result.entries[0].slug == "small"


def test_compare_refuses_misaligned_scenarios(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(
        f'extends = "{BASE.as_posix()}"\nname = "longer"\nhorizon_weeks = 52\n'
        '[districts.D]\nteam = "north"\nreferrals_per_week = 1.0\n'
    )
    out = tmp_path / "never"
    result = runner.invoke(app, ["compare", str(BASE), str(other), "-n", "2", "--out", str(out)])
    assert result.exit_code == 2
    assert "horizon_weeks" in result.output and "same districts" in result.output
    assert not out.exists()


def test_compare_cli_ranks_options(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(BASE), str(MORE), "-n", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Ranked on child-weeks spent waiting" in result.output
    first_row = next(line for line in result.output.splitlines() if line.startswith("│    1"))
    assert "psychologist" in first_row or "small +" in first_row
