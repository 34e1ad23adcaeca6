"""`nd-sim size` end to end: the command line and its refusals, every output file, the
documentation of every column, the same answer whatever `--jobs`, and, on a small version of
the shipped Lancashire scenario, an answer that `nd-sim run` confirms independently."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.experiments.sizing.run import prepare, settings_for, size_to_folder
from nd_sim.inputs.model import compile_model
from nd_sim.run.runner import run_to_folder
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES, ROOT, SCENARIOS
from .test_sizing_unit import textbook

runner = CliRunner()
SIZE_FILES = {
    "curve.csv",
    "curve.png",
    "curve.svg",
    "marginal.csv",
    "answer.md",
    "manifest.json",
    "tradeoffs.csv",
}
TEXTBOOK_BY = "2026-08-02"  # the end of week 29 of the textbook scenario (day 210)


@pytest.fixture(scope="module")
def textbook_toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The textbook queue as a scenario file (the command line reads files)."""
    sc = textbook(lam=10.0, wte=10.0, weeks=40, backlog=300)
    data = sc.model_dump(mode="json", by_alias=True, exclude={"notes"}, exclude_none=True)
    path = tmp_path_factory.mktemp("textbook") / "textbook.toml"
    path.write_text(_toml(data))
    return path


def _toml(data: dict) -> str:
    """A tiny TOML writer: JSON values are valid TOML inline values (tables as inline)."""
    lines = []
    for key, value in data.items():
        lines.append(f"{key} = {_inline(value)}")
    return "\n".join(lines) + "\n"


def _inline(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_inline(v)}' for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return json.dumps(value)


def _size(args: list[str]):
    return runner.invoke(app, ["size", *args])


def test_size_command_writes_every_file_functional(textbook_toml: Path, tmp_path: Path) -> None:
    out = tmp_path / "size"
    result = _size(
        [str(textbook_toml), "--target", "open_end <= 25", "--by", TEXTBOOK_BY, "--lever", "x",
         "--step", "1", "--recruitment-lag-weeks", "0", "-n", "8", "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == SIZE_FILES
    assert "the service needs about" in result.output and "Lever values evaluated" in result.output
    answer = (out / "answer.md").read_text().strip()
    assert "\n" not in answer  # one paragraph
    assert "2 August 2026" in answer  # the window is said
    curve = pd.read_csv(out / "curve.csv")
    assert curve.is_answer.sum() == 1 and curve.value.is_monotonic_increasing
    assert (curve.window_to == "2026-08-02").all() and (curve.replications == 8).all()
    best = curve[curve.is_answer].iloc[0]
    assert best.meets_target and best.replications_met >= 0.8 * 8
    below = curve[curve.value == best.value - 1].iloc[0]
    assert not below.meets_target
    marginal = pd.read_csv(out / "marginal.csv")
    assert {"from_value", "to_value", "gain_mean", "says"} <= set(marginal.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "size" and manifest["confidence"] == 0.8
    assert manifest["levers"][0]["answer"] == best.value
    assert manifest["window"]["description"].startswith("by 2 August 2026")
    assert manifest["evaluations"] == len(curve) and "numpy" in manifest["versions"]


@pytest.mark.parametrize(
    ("lever", "unit", "semantics"),
    [
        ("outsourced_per_month", "assessments a month", "outsourced assessments at £900 each"),
        ("workshop_uptake", "uptake", "the uptake of every workshop"),
    ],
)
def test_size_outsourcing_and_workshop_levers_end_to_end_functional(
    lever: str, unit: str, semantics: str, tmp_path: Path
) -> None:
    """The levers that name no profession run through the command line to an answer (they
    once failed in `Lever.describe` with an IndexError, whatever the input)."""
    out = tmp_path / lever
    result = _size(
        [str(FIXTURES / "small.toml"), "--target", "first_within_13w_pct >= 90", "--by",
         "2027-06-30", "--lever", lever, "--price-gbp-each", "900", "-n", "2",
         "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == SIZE_FILES
    curve = pd.read_csv(out / "curve.csv")
    assert (curve.lever == lever).all() and (curve.unit == unit).all() and len(curve) >= 2
    manifest = json.loads((out / "manifest.json").read_text())
    (entry,) = manifest["levers"]
    assert entry["kind"] == lever and entry["professions"] == []
    assert entry["semantics"].startswith(semantics)
    answer = (out / "answer.md").read_text()
    assert "30 June 2027" in answer and ("needs about" in answer or "cap" in answer)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("--target", "first_within_13w_pct >> 90"), "must look like"),
        (("--target", "waiting_time <= 10"), "unknown KPI"),
        (("--lever", "psychologist"), "unknown profession"),
        (("--by", "2032-01-01"), "inside the horizon"),
        (("--by", "31/03/2028"), "YYYY-MM-DD"),
        (("--area", "Atlantis"), "one of county"),
        (("--confidence", "1.5"), "not in the range (0, 1]"),
    ],
)
def test_size_refuses_bad_input_with_exit_2_functional(
    change: tuple[str, str], words: str, tmp_path: Path
) -> None:
    args = {
        "--target": "first_within_13w_pct >= 90",
        "--by": "2028-03-31",
        "--lever": "paediatrician",
        "--area": "county",
        "--confidence": "0.8",
    }
    args[change[0]] = change[1]
    out = tmp_path / "never"
    flat = [str(SCENARIOS / "lancashire.toml"), "--out", str(out)]
    for key, value in args.items():
        flat += [key, value]
    result = _size(flat)
    assert result.exit_code == 2, result.output
    assert words in result.output.replace("\n", " ")
    assert not out.exists()


def test_size_refuses_a_non_empty_folder_functional(textbook_toml: Path, tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("keep")
    result = _size(
        [str(textbook_toml), "--target", "list_cleared", "--by", TEXTBOOK_BY, "--lever", "x",
         "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 2 and "--force" in result.output
    assert (out / "keep.txt").read_text() == "keep"


def test_every_output_column_and_key_is_documented_functional(
    textbook_toml: Path, tmp_path: Path
) -> None:
    sc = load_scenario(textbook_toml)
    request = prepare(sc, "open_end <= 25", TEXTBOOK_BY, "x", step=1.0, lag_weeks=0.0,
                      replications=4, seed=3)  # fmt: skip
    result = size_to_folder(request, settings_for(request, tmp_path / "s"))
    documented = set(re.findall(r"`([^`\n]+)`", (ROOT / "docs" / "sizing.md").read_text()))
    names = [*result.curve.columns, *result.marginal.columns]
    manifest = json.loads((result.out / "manifest.json").read_text())
    names += [*manifest, *manifest["levers"][0], *manifest["target"], *manifest["window"]]
    names += sorted(SIZE_FILES)
    missing = sorted({n for n in names if n not in documented})
    assert not missing, f"undocumented in docs/sizing.md: {missing}"


@pytest.mark.slow
def test_same_answer_whatever_jobs_functional(textbook_toml: Path, tmp_path: Path) -> None:
    sc = load_scenario(textbook_toml)
    curves = []
    for jobs in (1, 2):
        request = prepare(sc, "open_end <= 25", TEXTBOOK_BY, "x", step=1.0, lag_weeks=0.0,
                          replications=6, seed=5, jobs=jobs, marginal_rows=2)  # fmt: skip
        curves.append(size_to_folder(request, settings_for(request, tmp_path / f"j{jobs}")).curve)
    pd.testing.assert_frame_equal(curves[0], curves[1])


def _first_wait_median_in_window(children: pd.DataFrame, by: dt.date) -> pd.Series:
    """The windowed KPI recomputed from `nd-sim run`'s children.parquet, by replication:
    median weeks to a first appointment held in the 13 weeks ending at `by`."""
    first = pd.to_datetime(children.first_appointment_date)
    held = (first > pd.Timestamp(by) - pd.Timedelta(days=91)) & (first <= pd.Timestamp(by))
    held &= children.start_stage != "in_assessment"
    return children[held].groupby("replication").first_wait_weeks.median()


@pytest.mark.slow
def test_lancashire_answer_is_confirmed_by_nd_sim_run_functional(tmp_path: Path) -> None:
    """A small Lancashire (two years, eight replications): size the median wait to a first
    appointment in the 13 weeks to the end of the first year; then `nd-sim run` at the answer
    meets it in at least 75% of replications and one step lower does not, computed from
    children.parquet, independently of the sizing code's windows."""
    sc = load_scenario(SCENARIOS / "lancashire.toml").model_copy(update={"horizon_weeks": 104})
    by = sc.start_date + dt.timedelta(days=363)
    request = prepare(
        sc, "first_wait_median_weeks <= 45", by.isoformat(), "clinical_psychologist,paediatrician",
        replications=8, seed=2, confidence=0.75, marginal_rows=0,
    )  # fmt: skip
    result = size_to_folder(request, settings_for(request, tmp_path / "size"))
    (solution,) = result.solutions
    assert solution.feasible and solution.answer.x > 0
    lever = request.levers[0]
    shares = {}
    for name, x in (("answer", solution.answer.x), ("below", solution.answer.x - lever.step)):
        model = compile_model(lever.apply(sc, x))
        run = run_to_folder(model, RunSettings(8, 2, tmp_path / name))
        children = pq.read_table(run.out / "children.parquet").to_pandas()
        median = _first_wait_median_in_window(children, by)
        shares[name] = float(np.mean(median.to_numpy() <= 45))
    assert shares["answer"] >= 0.75 > shares["below"]
    assert shares["answer"] == solution.answer.share_met
    assert shares["below"] == solution.below.share_met
