"""The issue's own check: ranked on the whole pathway, the paediatrician-only option shows
its year-long-waiters trade-off everywhere a reader looks."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app

from .conftest import SCENARIOS

runner = CliRunner()


@pytest.fixture(scope="module")
def options_run(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("tradeoffs") / "opt"
    args = ["options", str(SCENARIOS / "lancashire.toml"), "--budget-gbp", "1800000"]
    args += ["--over-months", "12", "-n", "5", "--out", str(out)]
    result = runner.invoke(app, args, terminal_width=400)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    return out, result.output


@pytest.mark.slow
def test_default_objective_is_child_weeks_waiting(options_run) -> None:
    out, output = options_run
    ranked = pd.read_csv(out / "options.csv")
    assert set(ranked.objective) == {"child_weeks_waiting"}
    assert "child-weeks spent waiting" in output
    comparison = pd.read_csv(out / "comparison.csv")
    assert {"rank", "objective", "tradeoffs"} <= set(comparison.columns)


@pytest.mark.slow
def test_paediatrician_option_carries_the_52_week_tradeoff(options_run) -> None:
    out, output = options_run
    ranked = pd.read_csv(out / "options.csv", keep_default_na=False).set_index("option")
    paed = ranked.loc["Recruit paediatrician"]
    assert "open_52w_plus_end" in paed.tradeoffs.split(";")
    assert "first_wait_median_weeks" in paed.gains.split(";")
    words = "more children waiting a year or more"
    assert words in paed.tradeoffs_text
    md = (out / "options.md").read_text()
    line = next(x for x in md.splitlines() if x.startswith("- Recruit paediatrician:"))
    assert "shortens the median wait for a first appointment" in line and words in line
    flat = re.sub(r"\s+", " ", output)
    assert words in flat
    report = re.sub(r"<[^>]+>", "", (out / "report.html").read_text())
    paragraph = next(p for p in report.split("With ") if p.startswith("Recruit paediatrician"))
    assert words in re.sub(r"\s+", " ", paragraph)


@pytest.mark.slow
def test_size_warns_when_the_target_improves_but_the_pathway_worsens(tmp_path: Path) -> None:
    out = tmp_path / "size"
    args = ["size", str(SCENARIOS / "lancashire.toml"), "--target"]
    args += ["first_wait_median_weeks <= 30", "--by", "2028-03-31", "--lever", "paediatrician"]
    result = runner.invoke(app, [*args, "-n", "5", "--out", str(out)], terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "a year or more" in result.output
    table = pd.read_csv(out / "tradeoffs.csv")
    assert "open_52w_plus_end" in set(table.kpi)
    assert (table.diff_ci95_low > 0).all()  # all of these are lower-is-better, made higher
    assert "Warning: the target improves" in (out / "answer.md").read_text()
