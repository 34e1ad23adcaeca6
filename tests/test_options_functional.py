"""`nd-sim options`: every way to spend a budget, ranked against doing nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from nd_sim.cli import app

from .conftest import FIXTURES

runner = CliRunner()


def test_options_rank_and_refuse(tmp_path: Path) -> None:
    out = tmp_path / "opt"
    result = runner.invoke(
        app,
        [
            "options",
            str(FIXTURES / "small.toml"),
            "--budget-gbp",
            "200000",
            "--over-months",
            "12",
            "-n",
            "4",
            "--out",
            str(out),
            "--option",
            str(FIXTURES / "small_expensive_option.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    ranked = pd.read_csv(out / "options.csv")
    assert (ranked.budget_committed_gbp <= 200000 + 1).all()
    assert "refused" in result.output and "ten paediatricians" not in set(ranked.option)
    assert "own-small_expensive_option" in result.output
    nothing = int(ranked.loc[ranked.option == "Do nothing", "rank"].iloc[0])
    helping = ranked[ranked.saved_ci95_low > 0]
    assert len(helping) >= 1, "some way of spending £200k should help"
    assert (helping["rank"] < nothing).all(), (
        "doing nothing must rank below every option that helps"
    )
    assert {"options.md", "comparison.csv", "changes.md", "scenarios"} <= {
        p.name for p in out.iterdir()
    }
    text = (out / "options.md").read_text()
    assert "Recruit paediatrician" in text and "Outsourced assessments" in text
