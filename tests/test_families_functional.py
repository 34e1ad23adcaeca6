"""Wait projections for families: every child accounted for, honest windows, safe input."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.calibration.calibrate import waiting_list
from nd_sim.calibration.history import read_history
from nd_sim.cli import app
from nd_sim.engine.parameters import scenario_at
from nd_sim.engine.replication import run_replication
from nd_sim.experiments.families.calibration import coverage, list_at
from nd_sim.experiments.families.track_record import COLUMNS
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import load_scenario
from nd_sim.scenario.variants import with_parameter_uncertainty

from .conftest import SCENARIOS
from .history_from_run import history_from_children

runner = CliRunner()
LIST = SCENARIOS / "data" / "lancashire_waiting_list.csv"
AS_OF = "2026-04-01"


def _families(tmp_path: Path, *extra: str, scenario: Path = SCENARIOS / "lancashire.toml"):
    out = tmp_path / "fam"
    args = [
        "families",
        str(scenario),
        "--waiting-list",
        str(LIST),
        "--as-of",
        AS_OF,
        "-n",
        "4",
        "--allow-few-replications",
        "--out",
        str(out),
        *extra,
    ]
    return runner.invoke(app, args), out


@pytest.fixture(scope="module")
def projected(tmp_path_factory) -> Path:
    result, out = _families(tmp_path_factory.mktemp("fam"), "--contact", "01772 000 000")
    assert result.exit_code == 0, result.output
    return out


def test_every_child_once_and_all_files(projected: Path) -> None:
    listed = pd.read_csv(LIST, dtype=str)
    projections = pd.read_csv(projected / "projections.csv", dtype=str)
    rejected = pd.read_csv(projected / "rejected_rows.csv", dtype=str)
    ids = list(projections.child_id) + list(rejected.child_id.unique())
    assert sorted(ids) == sorted(listed.child_id)
    for name in ("if_referred_today.csv", "letters.csv", "staff_summary.md", "manifest.json"):
        assert (projected / name).exists(), name
    letters = list((projected / "letters").iterdir())
    assert len(letters) == 2 * len(projections)
    text = (projected / "letters" / f"{projections.child_id.iloc[-1]}.txt").read_text()
    assert "01772 000 000" in text and "between" in text
    summary = (projected / "staff_summary.md").read_text()
    # families run with parameter uncertainty by default, and the scenario has ranges
    assert "allow for uncertainty in the assumptions of the scenario" in summary
    assert "It allows for things we cannot be sure of" in text


def test_later_in_the_queue_never_earlier_median(projected: Path) -> None:
    frame = pd.read_csv(projected / "projections.csv", keep_default_na=False)
    # children who left the list in every replication have no window to compare
    waiting = frame[(frame.stage != "in_assessment") & (frame.first_p50 != "")].copy()
    waiting["queue_position"] = waiting.queue_position.astype(int)
    waiting["rank"] = [(1, d[6:]) if d.startswith("after ") else (0, d) for d in waiting.first_p50]
    for _, group in waiting.groupby(["team", "pathway", "priority"]):
        ranks = list(group.sort_values("queue_position")["rank"])
        later_first = [b < a for a, b in itertools.pairwise(ranks)]
        assert not any(later_first), "a later child got an earlier median"
    assert (waiting.first_p10 <= waiting.first_p50).all()


@pytest.mark.slow
def test_windows_after_the_horizon_say_after(tmp_path: Path) -> None:
    short = tmp_path / "short.toml"
    short.write_text(
        f'extends = "{(SCENARIOS / "lancashire.toml").as_posix()}"\n'
        'name = "short"\nhorizon_weeks = 26\n'
    )
    result, out = _families(tmp_path, scenario=short)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "projections.csv", keep_default_na=False)
    late = frame[frame.first_p90.str.startswith("after ")]
    assert len(late) > 100
    assert set(late.first_p90) == {"after 2026-09-30"}
    letter = (out / "letters" / f"{late.child_id.iloc[-1]}.txt").read_text()
    assert "or later" in letter or "at least" in letter


HEADER = "child_id,district,referral_date,stage,pathway\n"
ROW = "Preston,2025-01-10,waiting_first,asd\n"
MESSY = """child_id,district,referral_date,stage,pathway,priority,notes
A-1,Preston,2025-01-10,waiting_first,asd,routine,ok
A-2,Atlantis,2025-01-10,waiting_first,asd,routine,unknown district
A-3,Preston,2027-01-10,waiting_first,asd,routine,future
A-1,Preston,2025-02-10,waiting_first,adhd,routine,duplicate
A-5,Preston,,waiting_first,asd,routine,missing date
A-6,Wyre,2025-03-01,triage,both,,fine
"""


def _messy(tmp_path: Path, content: str, *extra: str):
    path = tmp_path / "list.csv"
    path.write_text(content)
    out = tmp_path / "fam"
    args = [
        "families",
        str(SCENARIOS / "lancashire.toml"),
        "--waiting-list",
        str(path),
        "--as-of",
        AS_OF,
        "-n",
        "2",
        "--allow-few-replications",
        "--out",
        str(out),
        *extra,
    ]
    return runner.invoke(app, args), out


def test_messy_rows_are_set_aside_with_reasons(tmp_path: Path) -> None:
    result, out = _messy(tmp_path, MESSY)
    assert result.exit_code == 0, result.output
    rejected = pd.read_csv(out / "rejected_rows.csv", dtype=str, keep_default_na=False)
    reasons = {(r.line, r.column): r.reason for r in rejected.itertuples()}
    assert "unknown district" in reasons[("3", "district")]
    assert "future" in reasons[("4", "referral_date")]
    assert "duplicate" in reasons[("5", "child_id")]
    assert "missing" in reasons[("6", "referral_date")]
    projected = pd.read_csv(out / "projections.csv", dtype=str)
    assert sorted(projected.child_id) == ["A-1", "A-6"]
    assert "notes" in result.output  # the unknown column is named as ignored
    (tmp_path / "s").mkdir()
    strict, strict_out = _messy(tmp_path / "s", MESSY, "--strict")
    assert strict.exit_code == 2 and "line 3, column district" in strict.output
    assert not strict_out.exists()


@pytest.mark.parametrize(
    "content, why",
    [
        (
            HEADER.replace("child_id,", "child_id,name,") + "A-1,Sam Smith," + ROW,
            "personal data",
        ),
        (
            HEADER + "943 476 5919," + ROW,
            "NHS numbers",
        ),
        (
            HEADER.replace("\n", ",home\n") + "A-1," + ROW.replace("\n", ",PR1 2AB\n"),
            "postcodes",
        ),
        ("\x00\x01\x02 not a csv", "CSV"),
    ],
)
def test_personal_data_and_non_csv_are_refused(tmp_path: Path, content: str, why: str) -> None:
    result, out = _messy(tmp_path, content)
    assert result.exit_code == 2, result.output
    assert why in result.output
    assert not out.exists()


def test_ids_that_clean_to_one_name_get_their_own_letters_functional(tmp_path: Path) -> None:
    ids = ["a/b", "a_b", "abc", "ABC", "A-7"]
    content = HEADER + "".join(f"{i}," + ROW for i in ids)
    result, out = _messy(tmp_path, content)
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (out / "letters").iterdir())
    assert len(files) == 2 * len(ids)
    assert len({f.casefold() for f in files}) == len(files)  # none shared, whatever the case
    assert "A-7.txt" in files and "A-7.html" in files  # plain ids keep their names
    for child_id in ids:
        suffix = hashlib.sha256(child_id.encode()).hexdigest()[:8]
        name = "A-7" if child_id == "A-7" else f"{child_id.replace('/', '_')}-{suffix}"
        text = (out / "letters" / f"{name}.txt").read_text()
        assert f"Our reference: {child_id}\n" in text, text


@pytest.mark.slow
def test_previous_projection_shows_moves(tmp_path: Path, projected: Path) -> None:
    result, out = _families(
        tmp_path, "--seed", "99", "--previous", str(projected / "projections.csv")
    )
    assert result.exit_code == 0, result.output
    assert "Changes since the previous projections" in (out / "staff_summary.md").read_text()


@pytest.mark.parametrize(
    "change,why",
    [
        (lambda f: f.assign(first_p50="soon"), "not a date"),
        (lambda f: f.drop(columns="referral_date"), "projections.csv"),
        (lambda f: f.assign(note=["x"] * (len(f) - 1) + ["943 476 5919"]), "NHS number"),
    ],
)
def test_bad_previous_projection_is_refused(tmp_path: Path, projected: Path, change, why) -> None:
    previous = tmp_path / "previous.csv"
    change(pd.read_csv(projected / "projections.csv", dtype=str)).to_csv(previous, index=False)
    result, out = _families(tmp_path, "--previous", str(previous))
    assert result.exit_code == 2, result.output
    assert why in result.output and "Traceback" not in result.output
    assert "943 476 5919" not in result.output
    assert not out.exists()


def _short_of_staff(scenario, share: float = 0.85):
    """The scenario with every team's staff cut to `share` of the written WTE."""
    values = {
        f"teams.{t}.staff.{p}.wte": g.wte * share
        for t, team in scenario.teams.items()
        for p, g in team.staff.items()
    }
    return scenario_at(scenario, values)


@pytest.mark.slow
def test_windows_are_calibrated_in_a_stable_history() -> None:
    """About 8 in 10 children are seen inside their P10-P90 window when the model is right
    (chance-only bands), for first appointments and for outcomes inside the assessment.

    Reduced for CI: one history (seed 3, not one the windows were tuned on), 30
    replications. Measured on histories 1 and 2 with 40: first appointments 0.83 and 0.86,
    outcomes 0.93 and 0.94 (weekly clinics put children on a window's edge, which counts
    as inside). The bands allow about 3 sd of the spread between histories.
    """
    base = with_parameter_uncertainty(load_scenario(SCENARIOS / "lancashire.toml"), False)
    result = coverage(base, base, dt.date(2026, 8, 1), 30, history_seed=3, projection_seed=4)
    assert result.children > 2000 and result.outcome_children > 300
    assert 0.70 <= result.first_inside <= 0.95, result
    assert result.below_p10 < 0.15 and result.above_p90 < 0.25, result
    assert 0.80 <= result.outcome_inside <= 0.99, result


@pytest.mark.slow
def test_with_parameter_uncertainty_a_staff_shortfall_still_mostly_lands_inside() -> None:
    """The real service has 15% fewer staff than the scenario says. Chance-only windows
    miss almost everyone (measured 0.04-0.05); with the assumptions' ranges drawn (the
    families default, 40 replications) 0.76-0.96 of first appointments and 0.87-0.90 of
    outcomes were inside over six checks; 0.65 is what a letter's "at least 7 in 10" needs
    with room for one unlucky draw of the ranges."""
    base = load_scenario(SCENARIOS / "lancashire.toml")
    world = _short_of_staff(with_parameter_uncertainty(base, False))
    drawn = with_parameter_uncertainty(base, True)
    result = coverage(world, drawn, dt.date(2026, 8, 1), 40, history_seed=5, projection_seed=6)
    assert result.first_inside >= 0.65, result
    assert result.outcome_inside >= 0.75, result


@pytest.mark.slow
def test_a_list_without_dates_or_next_appointments_projects_a_typical_state() -> None:
    """A system that exports no next appointment, last appointment or acceptance date:
    children in assessment start from the pathway's typical state, not "due today"
    (outcome coverage was 0.05-0.15 before; measured 0.86 on history 1)."""
    base = with_parameter_uncertainty(load_scenario(SCENARIOS / "lancashire.toml"), False)
    blank = ("next_appointment", "last_appointment_date", "accepted_date")
    result = coverage(
        base, base, dt.date(2026, 8, 1), 30, history_seed=3, projection_seed=4, blank=blank
    )
    assert result.outcome_inside >= 0.70, result
    assert 0.70 <= result.first_inside <= 0.97, result


@pytest.mark.slow
def test_a_shock_the_projection_does_not_know_about_is_reported() -> None:
    """4x referrals in the north from September; the projection assumes the baseline."""
    base = load_scenario(SCENARIOS / "lancashire.toml")
    shocked = load_scenario(SCENARIOS / "north_4x.toml")
    result = coverage(shocked, base, dt.date(2026, 8, 1), 30, history_seed=1, projection_seed=2)
    assert result.children > 2000
    assert np.isfinite(result.first_inside)


def test_every_column_is_documented(projected: Path) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "families.md").read_text()
    names = ("projections.csv", "if_referred_today.csv", "rejected_rows.csv", "letters.csv")
    for name in (*names, "expected.csv"):
        for column in pd.read_csv(projected / name, nrows=1).columns:
            assert f"`{column}`" in doc, f"{name}: {column} is not in docs/families.md"


def _rerun_13_weeks_later(tmp_path: Path, share: float) -> pd.DataFrame:
    """A world with `share` of the written staff; families from its list on 1 August 2026,
    then again from its list 13 weeks later with --previous: the drift check."""
    base = with_parameter_uncertainty(load_scenario(SCENARIOS / "lancashire.toml"), False)
    world = _short_of_staff(base, share)
    raw = run_replication(compile_model(world), 0, 11)
    outs: list[Path] = []
    for k, when in enumerate((dt.date(2026, 8, 1), dt.date(2026, 10, 31))):
        rows, _ = list_at(raw, world, (when - world.start_date).days)
        listed = tmp_path / f"list{k}.csv"
        rows.to_csv(listed, index=False)
        out = tmp_path / f"families{k}"
        args = ["families", str(SCENARIOS / "lancashire.toml"), "--waiting-list", str(listed)]
        args += ["--as-of", when.isoformat(), "--jobs", "2", "--out", str(out)]
        args += ["--previous", str(outs[0])] if outs else []
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        outs.append(out)
    return pd.read_csv(outs[1] / "drift.csv").set_index("district")


@pytest.mark.slow
def test_a_staff_shortfall_is_flagged_at_the_first_rerun(tmp_path: Path) -> None:
    """15% fewer staff than the scenario: 13 weeks on, first appointments run about a fifth
    behind what was projected, flagged county-wide and said at the top of every summary."""
    drift = _rerun_13_weeks_later(tmp_path, 0.85)
    county = drift.loc["all districts"]
    assert county.flag == "behind", drift
    assert county.first_appointments_behind_pct > 10
    summary = (tmp_path / "families1" / "staff_summary.md").read_text()
    assert "first appointments are running about" in summary.split("## Children")[0]
    doc = (Path(__file__).resolve().parents[1] / "docs" / "families.md").read_text()
    assert all(f"`{c}`" in doc for c in drift.reset_index().columns)


@pytest.mark.slow
def test_no_drift_is_flagged_when_the_scenario_is_right(tmp_path: Path) -> None:
    drift = _rerun_13_weeks_later(tmp_path, 1.0)
    assert drift.loc["all districts"].flag == "on track", drift
    assert (drift.flag != "on track").sum() <= 2  # a district may be off by chance


@pytest.mark.slow
def test_a_service_can_measure_its_own_track_record(tmp_path: Path) -> None:
    """--check-history: windows made from a history 6 and 12 months back, scored against
    what it says happened next (a Lancashire history, so the model is right)."""
    run = tmp_path / "run"
    args = ["run", str(SCENARIOS / "lancashire.toml"), "-n", "1", "--seed", "6", "--out", str(run)]
    assert runner.invoke(app, args).exit_code == 0
    history = tmp_path / "history.csv"
    history_from_children(run / "children.parquet", start="2026-04-01").to_csv(history, index=False)
    as_of = dt.date(2028, 4, 1)
    extract = read_history(history, load_scenario(SCENARIOS / "lancashire.toml"), as_of, {})
    listed = tmp_path / "list.csv"
    waiting_list(extract, as_of).to_csv(listed, index=False)
    out = tmp_path / "families"
    args = ["families", str(SCENARIOS / "lancashire.toml"), "--waiting-list", str(listed)]
    args += ["--as-of", as_of.isoformat(), "--check-history", str(history), "--out", str(out)]
    result = runner.invoke(app, [*args, "--jobs", "2"])
    assert result.exit_code == 0, result.output
    record = pd.read_csv(out / "track_record.csv")
    assert list(record.columns) == COLUMNS and len(record) == 4
    first = record[record.measure == "first_appointment"]
    assert (first.scored > 500).all() and (first.inside >= 0.7).all(), record
    assert "own track record" in (out / "staff_summary.md").read_text().split("# Waiting")[0]
