"""`financial_years.csv` and the over-time figure, from a small comparison run by `nd-sim compare`.

The comparison starts mid-year (15 June) and stops after 60 weeks, so both its financial
years are partial; the option buys outsourcing at two prices in two blocks, adds a
fixed-term post and keeps the base's funding, so every kind of cost is cut into years.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.results.financial_year import COLUMNS, STOCKS

from .conftest import FIXTURES
from .test_figures_functional import _check_figure

REPS = 4
FLOW_KPIS = {"first_appointments": "first_appointments", "assessments_completed": "assessed"}
STOCK_KPIS = {"open_referrals_year_end": "open_end", "open_52w_plus_year_end": "open_52w_plus_end"}
BASE = f"""
name = "mid-year base"
extends = {json.dumps(str(FIXTURES / "small.toml"))}
start_date = 2026-06-15
horizon_weeks = 60
"""
OPTION = """
name = "mid-year option"
extends = "base.toml"

[[interventions]]
kind = "funding"
budget_gbp = 150000
from = 2026-07-01
over_months = 12
spend_on = { psychologist = 1.0 }
max_recruits_wte = { psychologist = 1.5 }
recruitment_lag_weeks = 6
ramp_up_weeks = 4

[[interventions]]
kind = "outsourced_assessments"
assessments = 40
price_gbp_each = 2000
from = 2026-08-01
until = 2027-02-01
districts = ["A"]

[[interventions]]
kind = "outsourced_assessments"
assessments = 60
price_gbp_each = 1500
from = 2026-09-01
until = 2027-03-01
districts = ["B", "C"]

[[interventions]]
kind = "staff_change"
team = "south"
profession = "paediatrician"
wte = 0.5
from = 2026-07-01
until = 2027-01-04
"""


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fy")
    (folder / "base.toml").write_text(BASE)
    (folder / "option.toml").write_text(OPTION)
    out = folder / "cmp"
    args = ["compare", str(folder / "base.toml"), str(folder / "option.toml")]
    result = CliRunner().invoke(app, [*args, "-n", str(REPS), "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def table(comparison: Path) -> pd.DataFrame:
    return pd.read_csv(comparison / "financial_years.csv")


def _kpis(comparison: Path, slug: str) -> pd.DataFrame:
    """KPI by replication: rows (area, replication), columns KPIs."""
    frame = pd.read_csv(comparison / "scenarios" / slug / "kpis_by_replication.csv")
    return frame.pivot_table(index=["area", "replication"], columns="kpi", values="value")


def _per_replication(comparison: Path, slug: str) -> dict:
    """The yearly values per replication, recomputed as the table was."""
    from nd_sim.inputs.model import compile_model
    from nd_sim.results.financial_year import yearly_values
    from nd_sim.scenario import load_scenario

    source = "base.toml" if slug == "base" else "option.toml"
    model = compile_model(load_scenario(comparison.parent / source))
    return yearly_values(model, comparison / "scenarios" / slug)


def test_file_has_partial_years_and_every_area_functional(table: pd.DataFrame) -> None:
    assert list(table.columns) == COLUMNS
    assert list(table["financial_year"].unique()) == ["2026/27 (from 15 Jun)", "2027/28 (to 8 Aug)"]
    first = table[table.financial_year.str.startswith("2026/27")].iloc[0]
    assert (first.fy_start, first.fy_end) == ("2026-06-15", "2027-03-28")
    assert set(table.area) == {"county", "north", "south"}
    assert set(table.folder) == {"base", "option"}
    assert (table.replications == REPS).all()
    costs = table[table.unit == "GBP"]
    assert set(costs.area) == {"county"}


def test_base_differences_are_exactly_zero_functional(table: pd.DataFrame) -> None:
    base = table[table.folder == "base"]
    diffs = base[["diff_from_base", "diff_ci95_low", "diff_ci95_high"]].to_numpy()
    assert (diffs == 0.0).all()


@pytest.mark.parametrize("slug", ["base", "option"])
def test_years_add_up_to_the_run_functional(comparison: Path, slug: str) -> None:
    """Flows sum to the run's totals, the last year-end stocks are the end-of-run KPIs, and
    the yearly costs sum to `intervention_cost_gbp`, replication by replication."""
    kpis = _kpis(comparison, slug)
    values = _per_replication(comparison, slug).values
    for area in ("county", "north", "south"):
        kind = "county" if area == "county" else "team"
        expected = kpis.loc[area]
        for measure, kpi in FLOW_KPIS.items():
            got = values[(kind, area, measure)].sum(axis=1)
            np.testing.assert_array_equal(got, expected[kpi].to_numpy())
        for measure, kpi in STOCK_KPIS.items():
            np.testing.assert_array_equal(values[(kind, area, measure)][:, -1], expected[kpi])
    county = kpis.loc["county"]
    for measure in ("added_staff_cost_gbp", "outsourced_cost_gbp", "intervention_cost_gbp"):
        got = values[("county", "county", measure)].sum(axis=1)
        np.testing.assert_allclose(got, county[measure].to_numpy(), rtol=0, atol=0.005)
    if slug == "option":  # outsourcing at two prices, in the first year only
        paid = values[("county", "county", "outsourced_cost_gbp")]
        assert (paid[:, 0] > 0).all() and (paid[:, 1] == 0).all()


def test_year_end_stocks_are_the_weekly_stock_functional(comparison: Path) -> None:
    """Each year's closing stock is the county's weekly stock at the end of its last week."""
    weekly = pd.read_parquet(comparison / "scenarios" / "option" / "weekly.parquet")
    county = weekly.groupby(["replication", "week"], observed=True).sum(numeric_only=True)
    yearly = _per_replication(comparison, "option")
    for i, year in enumerate(yearly.years):
        for measure, column in STOCKS.items():
            at_end = county.xs(year.end_week - 1, level="week")[column].to_numpy()
            np.testing.assert_array_equal(
                yearly.values[("county", "county", measure)][:, i], at_end
            )


def test_table_summarises_the_replications_functional(
    comparison: Path, table: pd.DataFrame
) -> None:
    base = _per_replication(comparison, "base").values
    option = _per_replication(comparison, "option").values
    rows = table[(table.folder == "option") & (table.area == "county")]
    for i, (_, row) in enumerate(rows[rows.measure == "intervention_cost_gbp"].iterrows()):
        key = ("county", "county", "intervention_cost_gbp")
        assert row["mean"] == pytest.approx(option[key][:, i].mean(), abs=0.005)
        diff = option[key][:, i] - base[key][:, i]
        assert row["diff_from_base"] == pytest.approx(diff.mean(), abs=0.005)


def test_report_has_the_over_time_figure_functional(comparison: Path, tmp_path: Path) -> None:
    assert (comparison / "figures" / "difference_over_time.png").exists()
    assert (comparison / "figures" / "difference_over_time.svg").exists()
    assert 'id="fig-difference_over_time"' in (comparison / "report.html").read_text()
    from nd_sim.report.data import load_report_data
    from nd_sim.report.figures import difference_over_time

    fig = difference_over_time(load_report_data(comparison))
    _check_figure("difference_over_time", fig, tmp_path)
    ax = fig.axes[0]
    assert [line.get_gid() for line in ax.lines if line.get_gid()] == ["diff:open_referrals:option"]
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    # the option's own fixed-term post ends inside the run; its outsourcing windows end
    # inside too; the funding (shared with the base) ends after the horizon
    assert any(label.startswith("money ends 4 Jan 2027: mid-year option") for label in labels)
    assert any(label.startswith("money ends 1 Feb 2027") for label in labels)
