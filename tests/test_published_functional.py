"""`nd-sim calibrate --autism-stats`: NHS England's published series into a one-team
scenario that validates (Morecambe Bay, 01K), both column vintages, refusals with exit 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import load_scenario

from .conftest import ROOT

runner = CliRunner()
# NHS England's file when it sits beside the project, else its rows for Morecambe Bay (01K;
# Open Government Licence), kept in the fixtures so that the test always runs
FULL = ROOT.parent / "shared" / "data" / "public" / "AutismStatsDec22_subICB.csv.gz"
PUBLIC = FULL if FULL.exists() else ROOT / "tests" / "fixtures" / "autism_stats_01K.csv"


def _calibrate(path: Path, out: Path, code: str = "01K"):
    args = ["calibrate", "--autism-stats", str(path), "--sub-icb", code, "--as-of", "2022-10-01"]
    return runner.invoke(app, [*args, "--out", str(out)])


def test_morecambe_bay_loads_and_validates_functional(tmp_path: Path) -> None:
    out = tmp_path / "pub"
    result = _calibrate(PUBLIC, out)
    assert result.exit_code == 0, result.output
    model = compile_model(load_scenario(out / "scenario.toml"))
    assert list(model.districts) == ["01K"] and len(model.teams) == 1
    fit = pd.read_csv(out / "fit.csv").set_index("parameter")
    raw = pd.read_csv(PUBLIC, dtype=str)
    mine = raw[(raw.PRIMARY_LEVEL == "01K") & (raw.SECONDARY_LEVEL == "NONE")]
    referrals = pd.to_numeric(mine[mine.METRIC == "ASD12a"].METRIC_VALUE).sum()
    days = 31 + 31 + 30  # July to September 2022
    assert fit.loc["districts.01K.referrals_per_week", "estimate"] == pytest.approx(
        referrals / (days / 7), rel=1e-5
    )
    text = (out / "calibration.md").read_text()
    assert "ASD12a" in text and "calibration.png" in text and (out / "calibration.png").exists()
    listed = sum(b.count for b in model.scenario.starting_list.profile)
    open_now = pd.to_numeric(
        mine[(mine.METRIC == "ASD16b") & (mine.REPORTING_PERIOD_START == "01/09/2022")].METRIC_VALUE
    )
    assert listed == int(open_now.iloc[0])


def test_the_later_vintage_is_read_too_functional(tmp_path: Path) -> None:
    later = tmp_path / "later.csv"
    frame = pd.read_csv(PUBLIC, dtype=str)
    frame.rename(columns={"METRIC_DESCRIPTION": "METRIC_NAME"}).to_csv(later, index=False)
    assert _calibrate(later, tmp_path / "pub").exit_code == 0


@pytest.mark.parametrize(
    ("code", "drop", "words"),
    [("99Z", None, "not in the file"), ("01K", "METRIC", "column METRIC")],
)
def test_bad_published_input_exits_2_functional(
    tmp_path: Path, code: str, drop, words: str
) -> None:
    path = PUBLIC
    if drop:
        path = tmp_path / "cut.csv"
        pd.read_csv(PUBLIC, dtype=str).drop(columns=[drop]).to_csv(path, index=False)
    out = tmp_path / "pub"
    result = _calibrate(path, out, code)
    assert result.exit_code == 2, result.output
    assert words in " ".join(result.output.split()) and not out.exists()


def test_every_sub_icb_location_becomes_a_team_functional(tmp_path) -> None:
    """--all-sub-icbs: one scenario, a team and a district per location with data; a
    location without referrals is skipped with its reason; the scenario validates."""
    source = Path(__file__).parent / "fixtures" / "autism_stats_three.csv"
    out = tmp_path / "england"
    args = ["calibrate", "--autism-stats", str(source), "--all-sub-icbs", "--as-of", "2022-12-31"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    sc = load_scenario(out / "scenario.toml")
    assert set(sc.teams) == {"01K", "00L"} and {d.team for d in sc.districts.values()} == {
        "01K",
        "00L",
    }
    skipped = pd.read_csv(out / "skipped.csv")
    assert list(skipped.code) == ["01J"] and "ASD12a" in skipped.reason.iloc[0]
    fit = pd.read_csv(out / "fit.csv")
    assert {"districts.01K.referrals_per_week", "teams.00L.staff (WTE scale)"} <= set(fit.parameter)
