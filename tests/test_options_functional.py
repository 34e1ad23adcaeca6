"""`nd-sim options`: every way to spend a budget, ranked against doing nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.errors import ScenarioError
from nd_sim.experiments.options import (
    MAX_PLACES_PER_SESSION,
    Settings,
    build_options,
    custom_option,
    options_to_folder,
)
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

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
    helping = ranked[ranked.gain_ci95_low > 0]
    assert len(helping) >= 1, "some way of spending £200k should help"
    assert (helping["rank"] < nothing).all(), (
        "doing nothing must rank below every option that clearly helps"
    )
    assert set(ranked.objective) == {"child_weeks_waiting"}
    assert {"tradeoffs", "tradeoffs_text", "gains", "gains_text"} <= set(ranked.columns)
    assert {"options.md", "comparison.csv", "changes.md", "scenarios"} <= {
        p.name for p in out.iterdir()
    }
    text = (out / "options.md").read_text()
    assert "Recruit paediatrician" in text and "Outsourced assessments" in text


def test_options_refuse_a_non_comparable_option_before_staging_functional(
    tmp_path: Path,
) -> None:
    """The comparability check runs before the staged folder is opened: nothing is left,
    not even a hidden `.<out>.partial`."""
    base = load_scenario(FIXTURES / "small.toml")
    mine = tmp_path / "mine"
    mine.mkdir()
    short = mine / "short.toml"
    extends = (FIXTURES / "small.toml").as_posix()
    short.write_text(f'extends = "{extends}"\nname = "short"\nhorizon_weeks = 52\n')
    budget = Settings(budget_gbp=200_000, over_months=12, start=base.start_date)
    own = custom_option(base, load_scenario(short), "own-short", budget, source=short)
    results = tmp_path / "results"
    results.mkdir()
    settings = RunSettings(replications=2, seed=7, out=results / "opt")
    with pytest.raises(ScenarioError) as caught:
        options_to_folder(base, budget, settings, extra=(own,))
    assert f"--option {short}: horizon_weeks" in caught.value.describe()
    assert list(results.iterdir()) == []


def test_a_large_budget_caps_workshop_places_functional() -> None:
    """£1bn buys more workshop sessions than a session may hold places for: the places are
    capped at the scenario's bound and the money beyond is left unspent, not an error."""
    base = load_scenario(FIXTURES / "small.toml")
    budget = Settings(budget_gbp=1e9, over_months=12, start=base.start_date)
    options, _ = build_options(base, budget)
    (shops,) = [o for o in options if o.slug == "workshops"]
    places = [w.places_per_session for w in shops.scenario.pathway.workshops]
    assert max(places) == MAX_PLACES_PER_SESSION
    assert 0 < shops.cost_gbp < budget.budget_gbp
