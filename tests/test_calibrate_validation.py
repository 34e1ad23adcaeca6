"""Parameter recovery: a history written from a run of nd-sim with known settings is
calibrated back (the issue's check), and the scenario it writes runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.scenario import load_scenario

from .conftest import SCENARIOS
from .history_from_run import history_from_children

runner = CliRunner()
AS_OF = dt.date(2030, 9, 1)  # late enough that the starting list (not in the history) is gone


def _calibrated(tmp_path: Path, seed: int) -> pd.DataFrame:
    run = tmp_path / f"run{seed}"
    args = ["run", str(SCENARIOS / "lancashire.toml"), "-n", "1", "--seed", str(seed)]
    assert runner.invoke(app, [*args, "--out", str(run)]).exit_code == 0
    history = tmp_path / f"history{seed}.csv"
    history_from_children(run / "children.parquet").to_csv(history, index=False)
    out = tmp_path / f"cal{seed}"
    result = runner.invoke(
        app,
        ["calibrate", "--history", str(history), "--as-of", AS_OF.isoformat(), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert load_scenario(out / "scenario.toml").start_date == AS_OF
    return pd.read_csv(out / "fit.csv").set_index("parameter")


def _truth() -> dict[str, float]:
    sc = load_scenario(SCENARIOS / "lancashire.toml")
    years = (AS_OF - sc.start_date).days / 365.25
    growth = (1 + sc.demand.growth_per_year) ** years
    out = {
        f"districts.{n}.referrals_per_week": d.referrals_per_week * growth
        for n, d in sc.districts.items()
    }
    out["pathway.dna.probability"] = sc.pathway.dna.probability
    out["pathway.triage.accept"] = sc.pathway.triage.accept
    out["pathway.withdrawal.weekly_hazard"] = sc.pathway.withdrawal.weekly_hazard
    out.update({f"teams.{t}.staff (WTE scale)": 1.0 for t in sc.teams})
    return out


def _within(fit: pd.DataFrame, truth: dict[str, float]) -> dict[str, bool]:
    ok = {}
    for key, value in truth.items():
        estimate = fit.loc[key, "estimate"]
        if key.endswith("referrals_per_week") or "staff" in key:
            ok[key] = abs(estimate / value - 1) <= 0.05
        elif key.endswith("dna.probability"):
            ok[key] = abs(estimate - value) <= 0.01
        elif key.endswith("accept"):
            ok[key] = abs(estimate - value) <= 0.02
        else:
            ok[key] = abs(estimate / value - 1) <= 0.20
    return ok


@pytest.mark.slow
def test_runs_are_calibrated_back_validation(tmp_path: Path) -> None:
    """The issue's check over ten seeds. Each seed: DNA within 0.01, acceptance within 0.02,
    withdrawal within 20%, capacity within 5%, and the districts' mean referral rate within
    5%. Over the seeds: every other parameter's truth inside its 95% interval in at least 9
    of 10, and the referral rates' intervals hold the truth jointly at least 90% of the time.

    (A single district's rate *at the as-of date* carries the county growth's error, about
    ±1.3 points a year here, so its interval is about ±6%: a fixed 5% per district would
    fail by chance, while the interval's coverage is what a user relies on.)"""
    truth = _truth()
    others = {k: v for k, v in truth.items() if "referrals_per_week" not in k}
    rates = {k: v for k, v in truth.items() if "referrals_per_week" in k}
    covered = dict.fromkeys(truth, 0)
    seeds = range(1, 11)
    for seed in seeds:
        fit = _calibrated(tmp_path, seed)
        ok = _within(fit, others)
        wrong = {k: (fit.loc[k, "estimate"], truth[k]) for k, v in ok.items() if not v}
        assert not wrong, (seed, wrong)
        ratios = [fit.loc[k, "estimate"] / v for k, v in rates.items()]
        assert abs(np.mean(ratios) - 1) <= 0.05, (seed, np.mean(ratios))
        for k, v in truth.items():
            covered[k] += int(fit.loc[k, "ci_low"] <= v <= fit.loc[k, "ci_high"])
    short = {k: n for k, n in covered.items() if n < 9 and k not in rates}
    assert not short, short
    # Twelve districts' intervals at 95%, ten seeds: even exact intervals leave some
    # district with two misses about two times in three (1 - (1 - 0.086)^12), so the
    # rates are held to their joint coverage (at least 90% of the 120) and each to 8 of 10.
    joint = sum(covered[k] for k in rates) / (len(rates) * len(seeds))
    assert joint >= 0.90, joint
    assert min(covered[k] for k in rates) >= 8, {k: covered[k] for k in rates}


@pytest.mark.slow
def test_backtest_writes_its_verdict_and_beats_the_flat_list_validation(tmp_path: Path) -> None:
    """A full extract (the children waiting at the start included): the model's median
    forecast of the open list beats the flat and trend forecasts over the 12 months."""
    run = tmp_path / "run"
    args = ["run", str(SCENARIOS / "lancashire.toml"), "-n", "1", "--seed", "3"]
    assert runner.invoke(app, [*args, "--out", str(run)]).exit_code == 0
    history = tmp_path / "history.csv"
    history_from_children(run / "children.parquet", start="2026-04-01").to_csv(history, index=False)
    out = tmp_path / "bt"
    result = runner.invoke(
        app,
        ["backtest", "--history", str(history), "--since", "2026-04-01", "--from", "2029-04-01",
         "--months", "12", "-n", "20", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "backtest.csv")
    assert list(table.columns) == ["month", "measure", "observed", "p10", "p50", "p90", "inside"]
    assert len(table) == 5 * 12
    text = (out / "backtest.md").read_text()
    assert "held the observed value in" in text
    assert (out / "calibration" / "scenario.toml").exists() and (out / "backtest.png").exists()
    errors = pd.read_csv(out / "errors.csv")
    lists = errors[errors.measure == "open_list"].set_index("forecast").mean_abs_error
    assert lists["model median"] < lists["flat"] and lists["model median"] < lists["trend"]


@pytest.mark.slow
def test_backtest_bands_with_parameter_uncertainty_hold_about_their_share_validation(
    tmp_path: Path,
) -> None:
    """Three worlds (seeds 1 to 3, not chosen): with parameter uncertainty the P10-P90 band
    holds 70-90% of the observed month-measure values on average, and without it far fewer
    (the fitted numbers taken as exact: about 4 in 10)."""
    covered: dict[str, list[float]] = {"on": [], "off": []}
    for seed in ("1", "2", "3"):
        run = tmp_path / f"run{seed}"
        args = ["run", str(SCENARIOS / "lancashire.toml"), "-n", "1", "--seed", seed]
        assert runner.invoke(app, [*args, "--out", str(run)]).exit_code == 0
        history = tmp_path / f"history{seed}.csv"
        frame = history_from_children(run / "children.parquet", start="2026-04-01")
        frame.to_csv(history, index=False)
        for flag, key in (("--parameter-uncertainty", "on"), ("--no-parameter-uncertainty", "off")):
            out = tmp_path / f"bt{seed}{key}"
            result = runner.invoke(
                app,
                ["backtest", "--history", str(history), "--since", "2026-04-01", "--from",
                 "2029-04-01", "--months", "12", "-n", "20", "--out", str(out), flag],
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            covered[key].append(float(pd.read_csv(out / "backtest.csv").inside.mean()))
    assert 0.70 <= np.mean(covered["on"]) <= 0.90, covered
    assert np.mean(covered["off"]) < np.mean(covered["on"]) - 0.2, covered
    text = (tmp_path / "bt1on" / "backtest.md").read_text()
    assert "include uncertainty in the assumptions" in text
