"""`nd-sim sensitivity`: one wide, influential input ranks first; inert inputs score zero;
and every command says which kind of band it shows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from tests.conftest import FIXTURES

pytestmark = pytest.mark.functional
runner = CliRunner()

INFLUENTIAL = "pathway.withdrawal.weekly_hazard"
NARROW = "pathway.dna.probability"
INERT = (
    "professions.paediatrician.cost_gbp_per_wte_year",
    "professions.psychologist.cost_gbp_per_wte_year",
)


def _scenario(tmp_path: Path) -> Path:
    path = tmp_path / "uncertain.toml"
    path.write_text(
        f'extends = "{FIXTURES / "small.toml"}"\n'
        'name = "uncertain"\n'
        "[pathway.withdrawal]\n"
        'weekly_hazard = { value = 0.004, low = 0.0, high = 0.03, note = "wide" }\n'
        "[pathway.dna]\n"
        'probability = { value = 0.1, low = 0.099, high = 0.101, note = "narrow" }\n'
        "[professions.paediatrician]\n"
        "cost_gbp_per_wte_year = { value = 120000.0, low = 90000.0, high = 150000.0 }\n"
        "[professions.psychologist]\n"
        "cost_gbp_per_wte_year = { value = 70000.0, low = 60000.0, high = 90000.0 }\n"
    )
    return path


@pytest.fixture(scope="module")
def morris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sens")
    out = tmp / "out"
    args = ["sensitivity", str(_scenario(tmp)), "--kpi", "first_wait_median_weeks", "-n", "3"]
    result = runner.invoke(app, [*args, "-t", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_influential_input_ranks_first_and_inert_ones_score_zero(morris: Path) -> None:
    table = pd.read_csv(morris / "sensitivity.csv").set_index("input")
    assert table.loc[INFLUENTIAL, "rank"] == 1
    top = table.loc[INFLUENTIAL, "mu_star"]
    assert top > 0
    for inert in INERT:  # never touches a wait: the same children give the same waits
        assert table.loc[inert, "mu_star"] == 0.0
        assert table.loc[inert, "swing"] == 0.0
    assert table.loc[NARROW, "mu_star"] < 0.05 * top
    assert {"low", "high", "mu_star", "sigma", "rank"} <= set(table.reset_index().columns)


def test_the_folder_holds_the_tornado_and_the_words(morris: Path) -> None:
    assert (morris / "tornado.png").stat().st_size > 10_000
    text = (morris / "sensitivity.md").read_text()
    assert "one matters for" in text and INFLUENTIAL in text
    manifest = json.loads((morris / "manifest.json").read_text())
    assert manifest["method"] == "morris" and manifest["points"] == 4 * (4 + 1)
    points = pd.read_csv(morris / "points.csv")
    assert len(points) == 20 and points[INFLUENTIAL].between(0.0, 0.03).all()


def test_sobol_gives_variance_shares(tmp_path: Path) -> None:
    out = tmp_path / "sobol"
    args = ["sensitivity", str(_scenario(tmp_path)), "--method", "sobol", "-t", "8", "-n", "2"]
    result = runner.invoke(app, [*args, "--kpi", "first_wait_median_weeks", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sensitivity.csv").set_index("input")
    assert table.loc[INFLUENTIAL, "rank"] == 1
    assert table.loc[INFLUENTIAL, "ST"] > 0.5
    for inert in INERT:
        assert table.loc[inert, "ST"] == 0.0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--method", "fast"], "--method"),
        (["--method", "sobol", "-t", "6"], "power of 2"),
        (["--kpi", "no_such_kpi"], "--kpi"),
        (["--area", "nowhere"], "--area"),
    ],
)
def test_bad_options_exit_2_naming_them(tmp_path: Path, args: list[str], needle: str) -> None:
    result = runner.invoke(
        app, ["sensitivity", str(_scenario(tmp_path)), *args, "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert not (tmp_path / "o").exists()


def test_a_scenario_without_ranges_is_refused_with_a_hint(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["sensitivity", str(FIXTURES / "small.toml"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "no uncertain inputs" in result.output


@pytest.mark.slow
def test_summary_and_report_say_which_band_they_show(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    for flag, kind in (
        ("--no-parameter-uncertainty", "chance"),
        ("--parameter-uncertainty", "chance_and_assumptions"),
    ):
        out = tmp_path / kind
        result = runner.invoke(
            app, ["run", str(path), "-n", "2", flag, "--report", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert set(pd.read_csv(out / "summary.csv")["bands"]) == {kind}
        html = (out / "report.html").read_text()
        said = "include uncertainty in the assumptions" in html
        assert said == (kind == "chance_and_assumptions")
        assert (out / "parameters.csv").exists() == (kind == "chance_and_assumptions")
    drawn = pd.read_csv(tmp_path / "chance_and_assumptions" / "parameters.csv")
    assert set(drawn["input"]) == {INFLUENTIAL, NARROW, *INERT}
    assert sorted(drawn["replication"].unique()) == [0, 1]
