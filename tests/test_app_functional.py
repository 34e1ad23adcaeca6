"""The app's what-ifs: levers become a scenario file that extends the base, and the app's
numbers are the CLI's for the same inputs and seed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.app.compute import run_whatif
from nd_sim.app.whatif import Levers, whatif_toml
from nd_sim.cli import app
from nd_sim.errors import ScenarioError
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES

pytestmark = pytest.mark.functional
SMALL = FIXTURES / "small.toml"


def _whatif(tmp_path: Path, levers: Levers) -> Path:
    path = tmp_path / "whatif.toml"
    path.write_text(whatif_toml(SMALL, load_scenario(SMALL), levers))
    return path


def test_levers_become_a_scenario_that_extends_the_base(tmp_path: Path) -> None:
    levers = Levers(
        name="more staff",
        extra_wte=(("north", "paediatrician", 1.5),),
        staff_from=dt.date(2026, 6, 1),
        outsourced_per_month=5,
        outsourced_from=dt.date(2026, 7, 1),
        outsourced_until=dt.date(2027, 1, 1),
        shocks=(("B", 2.0, dt.date(2026, 9, 1), None),),
        growth_per_year=0.1,
        workshop_places=20,
    )
    sc = load_scenario(_whatif(tmp_path, levers))
    before = len(load_scenario(SMALL).interventions)  # the base's own are kept
    added = sc.interventions[before:]
    assert [i.kind for i in added] == ["staff_change", "outsourced_assessments"]
    assert added[0].wte == 1.5 and added[1].assessments == 30
    assert sc.demand.growth_per_year == 0.1
    assert [s.districts for s in sc.demand.shocks][-1] == ["B"]
    assert all(w.places_per_session == 20 for w in sc.pathway.workshops)
    assert sc.teams == load_scenario(SMALL).teams  # the rest is the base's


def test_a_bad_lever_is_refused_by_the_clis_checks(tmp_path: Path) -> None:
    levers = Levers(extra_wte=(("nowhere", "paediatrician", 1.0),))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_whatif(tmp_path, levers))
    assert any("nowhere" in str(p) for p in caught.value.problems)


def test_the_apps_numbers_are_the_clis(tmp_path: Path) -> None:
    """The same what-if and seed through the app's computation and `nd-sim compare`."""
    whatif = _whatif(tmp_path, Levers(extra_wte=(("south", "psychologist", 1.0),)))
    outcome = run_whatif(SMALL, whatif, 3, 7, tmp_path / "app")
    cli = tmp_path / "cli"
    args = ["compare", str(SMALL), str(whatif), "-n", "3", "--seed", "7", "--out", str(cli)]
    assert CliRunner().invoke(app, args).exit_code == 0
    ours = pd.read_csv(tmp_path / "app" / "comparison.csv")
    theirs = pd.read_csv(cli / "comparison.csv")
    pd.testing.assert_frame_equal(ours, theirs)
    table = outcome.kpi_table()
    assert set(table.scenario) == {"small", "what-if"} and len(outcome.fan()) > 0
    verdict = outcome.verdict()
    assert len(verdict) == 2 and {v.split(":")[0] for v in verdict} == {"small", "what-if"}


@pytest.mark.parametrize("port", ["0", "70000", "nan", "1e308", "-1"])
def test_a_bad_port_is_refused_before_serving(port: str) -> None:
    result = CliRunner().invoke(app, ["app", str(SMALL), "--port", port])
    assert result.exit_code == 2 and "--port" in result.output
    assert "Traceback" not in result.output
