"""Equity measures: defined as documented, consistent between areas, and the issue's own
check of mutual aid on the north's surge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.engine.replication import run_replication
from nd_sim.experiments.districts import district_words, gains_and_losses
from nd_sim.results.areas import areas_of
from nd_sim.results.equity import district_shares, equity_kpis
from nd_sim.results.kpis import replication_kpis

from .conftest import SCENARIOS, shipped_model

runner = CliRunner()


@pytest.fixture(scope="module")
def north_rows() -> pd.DataFrame:
    model = shipped_model("north_4x.toml")
    rows = replication_kpis(run_replication(model, 0, 7), model)
    return pd.DataFrame(rows, columns=["area_type", "area", "kpi", "value"])


def _values(rows: pd.DataFrame, kpi: str, area_type: str) -> pd.Series:
    chosen = rows[(rows.kpi == kpi) & (rows.area_type == area_type)]
    return chosen.set_index("area").value


def test_gap_and_ratio_are_those_of_the_district_medians_validation(north_rows) -> None:
    medians = _values(north_rows, "pathway_wait_median_weeks", "district")
    county = north_rows[north_rows.area_type == "county"].set_index("kpi").value
    assert county["district_gap_pathway_wait_weeks"] == pytest.approx(medians.max() - medians.min())
    assert county["district_ratio_pathway_wait"] == pytest.approx(medians.max() / medians.min())
    teams = _values(north_rows, "district_gap_pathway_wait_weeks", "team")
    assert (teams <= county["district_gap_pathway_wait_weeks"] + 1e-9).all()
    # four times the referrals: the north's districts wait about twice as long (the issue)
    assert medians[["Lancaster", "Wyre"]].min() > 1.5 * medians.drop(["Lancaster", "Wyre"]).max()


def test_shares_add_up_and_rates_use_the_children_validation(north_rows) -> None:
    for kpi in ("share_of_52w_waiters_pct", "share_of_referrals_pct"):
        assert _values(north_rows, kpi, "district").sum() == pytest.approx(100.0)
    model = shipped_model("north_4x.toml")
    children = pd.Series({n: d.children for n, d in model.scenario.districts.items()})
    weeks = _values(north_rows, "child_weeks_waiting", "district")
    rate = _values(north_rows, "child_weeks_per_1000_children", "district")
    assert np.allclose(rate, 1000 * weeks / children[rate.index])
    county = north_rows[north_rows.area_type == "county"].set_index("kpi").value
    assert county["child_weeks_per_1000_children"] == pytest.approx(
        1000 * weeks.sum() / children.sum()
    )


def test_small_cases_unit() -> None:
    values = {
        "pathway_wait_median_weeks": np.array([10.0, 40.0, np.nan]),
        "child_weeks_waiting": np.array([100.0, 300.0, 0.0]),
        "open_52w_plus_end": np.array([0.0, 30.0, 10.0]),
        "referrals": np.array([50.0, 25.0, 25.0]),
    }
    areas = areas_of(["team", "district", "district"], ["all", "A", "C"], [None, [0], [2]], 3)
    out = equity_kpis(values, areas, np.array([1000.0, 1000.0, 2000.0]))
    assert out["district_gap_pathway_wait_weeks"][0] == 30.0  # NaN (nobody referred) left out
    assert out["district_ratio_pathway_wait"][0] == 4.0
    assert out["child_weeks_per_1000_children"][0] == 100.0
    assert out["district_gap_pathway_wait_weeks"][1] == 0.0  # one district: no gap
    assert np.isnan(out["district_gap_pathway_wait_weeks"][2])  # nobody referred
    no_children = equity_kpis(values, areas, np.array([0.0, 1.0, 1.0]))
    assert np.isnan(no_children["child_weeks_per_1000_children"][1])
    assert np.isnan(no_children["child_weeks_per_1000_children"][0])  # one district unknown
    assert no_children["child_weeks_per_1000_children"][2] == 0.0
    shares = district_shares(values)
    assert np.allclose(shares["share_of_52w_waiters_pct"], [0, 75, 25])
    assert np.allclose(shares["waiters_52w_share_ratio"], [0, 3, 1])


def test_district_words_unit() -> None:
    assert district_words([("Wyre", -3.8), ("Lancaster", -3.3)], [("Preston", 10.0)]) == (
        "Wyre (\u22123.8 weeks) and Lancaster (\u22123.3) wait less for an outcome; "
        "Preston (+10.0 weeks) waits longer for an outcome"
    )
    assert district_words([], []) == ""


@pytest.mark.slow
def test_mutual_aid_on_the_north_surge_validation(tmp_path) -> None:
    """The issue's check, on common random numbers: the north's waiting falls, central's
    rises by less (in child-weeks: the north has four times the children, so per child the
    north's median falls less than central's rises), and the district gap narrows."""
    out = tmp_path / "aid"
    args = [
        "compare",
        str(SCENARIOS / "north_4x.toml"),
        str(SCENARIOS / "north_4x_mutual_aid.toml"),
    ]
    result = runner.invoke(app, [*args, "-n", "20", "--jobs", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    aid = table[table.folder == table.folder.unique()[1]].set_index(["area", "kpi"])

    def diff(area: str, kpi: str) -> tuple[float, float, float]:
        row = aid.loc[(area, kpi)]
        return row.diff_from_base, row.diff_ci95_low, row.diff_ci95_high

    north, central = diff("north", "child_weeks_waiting"), diff("central", "child_weeks_waiting")
    assert north[2] < 0 < central[1]  # both clear
    assert central[0] < -north[0]
    assert diff("north", "pathway_wait_median_weeks")[2] < 0
    assert diff("county", "district_gap_pathway_wait_weeks")[2] < 0
    gain, lose = gains_and_losses(table, table.folder.unique()[1])
    assert {a for a, _ in gain} == {"Lancaster", "Wyre"}
    assert {a for a, _ in lose} <= {"Preston", "Chorley", "South Ribble"}
    assert "Wyre" in result.output and "wait longer" in " ".join(result.output.split())
