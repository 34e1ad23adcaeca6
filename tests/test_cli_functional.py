"""The command line: every output file, clear refusals with exit code 2, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.run.settings import RunSettings

from .conftest import FIXTURES, SCENARIOS

runner = CliRunner()
RUN_FILES = {
    "children.parquet",
    "weekly.parquet",
    "staff_weekly.parquet",
    "summary.csv",
    "kpis_by_replication.csv",
    "analytic.csv",
    "manifest.json",
}


def test_children_rows_are_written_for_the_first_replications_only(tmp_path: Path) -> None:
    """`--children-rows N` keeps per-child rows for replications 0..N-1; KPIs and weekly
    counts still cover all of them, and the manifest says how many have rows."""
    small = str(FIXTURES / "small.toml")
    for rows, want in (("2", [0, 1]), ("all", [0, 1, 2, 3]), ("0", [])):
        out = tmp_path / f"rows-{rows}"
        args = ["run", small, "-n", "4", "--children-rows", rows, "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        children = pq.read_table(out / "children.parquet") if want else None
        got = [] if children is None else sorted(set(children["replication"].to_pylist()))
        assert got == want
        assert sorted(
            pq.read_table(out / "weekly.parquet")["replication"].unique().to_pylist()
        ) == [0, 1, 2, 3]
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["child_rows_replications"] == len(want)
    for bad in ("-1", "many", "1.5"):
        result = runner.invoke(
            app, ["run", small, "--children-rows", bad, "--out", str(tmp_path / "x")]
        )
        assert result.exit_code == 2 and "--children-rows" in result.output
        assert not (tmp_path / "x").exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_run_writes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(FIXTURES / "small.toml"), "-n", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == RUN_FILES
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 3 and manifest["seed"] == 7
    assert manifest["scenario"]["name"] == "small" and "numpy" in manifest["versions"]
    summary = pd.read_csv(out / "summary.csv")
    assert {"area_type", "area", "kpi", "mean", "ci95_low", "ci95_high"} <= set(summary.columns)
    assert set(summary.area) >= {"A", "B", "C", "north", "south", "county"}
    children = pq.read_table(out / "children.parquet").to_pandas()
    assert children.replication.nunique() == 3
    assert set(children.exit_reason.unique()) <= {
        "assessed",
        "signposted",
        "withdrawn",
        "met_by_workshop",
        "waiting_at_end",
    }
    weekly = pq.read_table(out / "weekly.parquet").to_pandas()
    assert len(weekly) == 3 * 104 * 3
    assert sorted(weekly.replication.unique()) == [0, 1, 2]
    assert "county" in result.output and "Analytic panel" in result.output


def test_run_refuses_non_empty_folder_without_force(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    result = runner.invoke(app, ["run", str(FIXTURES / "small.toml"), "-n", "1", "--out", str(out)])
    assert result.exit_code == 2
    assert "--force" in result.output
    assert (out / "keep.txt").read_text() == "precious"
    forced = runner.invoke(
        app, ["run", str(FIXTURES / "small.toml"), "-n", "1", "--out", str(out), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert not (out / "keep.txt").exists() and (out / "summary.csv").exists()


def test_same_seed_byte_identical_summary_serial_and_parallel(tmp_path: Path) -> None:
    args = ["run", str(FIXTURES / "small.toml"), "-n", "6", "--seed", "3"]
    for name, jobs in (("a", "1"), ("b", "2"), ("c", "1")):
        result = runner.invoke(app, [*args, "--out", str(tmp_path / name), "--jobs", jobs])
        assert result.exit_code == 0, result.output
    a, b, c = ((tmp_path / n / "summary.csv").read_bytes() for n in "abc")
    assert a == b == c
    weekly = [pq.read_table(tmp_path / n / "weekly.parquet") for n in "ab"]
    assert weekly[0].equals(weekly[1])


BAD_SCENARIO = f"""
extends = "{(FIXTURES / "small.toml").as_posix()}"
name = "bad"
horizon_wekks = 10
[districts.A]
referrals_per_week = -2.0
[[demand.shocks]]
districts = ["Atlantis"]
multiplier = 4.0
from = 2026-09-01
[pathway.triage]
accept = 0.9
signpost = 0.2
more_information = 0.1
[starting_list]
csv = "{(FIXTURES / "no_such_list.csv").as_posix()}"
"""


def test_bad_scenario_reports_every_problem_and_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.toml", BAD_SCENARIO)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    text = result.output
    assert "horizon_wekks" in text and "did you mean 'horizon_weeks'" in text
    assert "districts.A.referrals_per_week" in text and "-2.0" in text
    assert "Atlantis" in text and "unknown district" in text
    assert "pathway.triage" in text and "sum to 1" in text
    assert "Traceback" not in text


def test_bad_scenario_leaves_no_results_folder(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.toml", BAD_SCENARIO)
    out = tmp_path / "never"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert not out.exists()
    assert not any(p.name.startswith(".never") for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    "content, expected",
    [
        ("child_id,district\nX-1,A\n", "required column"),
        ("\x00\x01garbage\xff", "readable CSV"),
        (
            "child_id,district,referral_date,stage,pathway\n"
            "X-1,Atlantis,2026-01-01,waiting_first,asd\n"
            "X-1,A,2030-01-01,waiting_first,asd\n"
            "X-3,A,not-a-date,limbo,cats\n",
            "line 2, column district",
        ),
    ],
)
def test_bad_starting_list_exits_2(tmp_path: Path, content: str, expected: str) -> None:
    csv = tmp_path / "list.csv"
    csv.write_bytes(content.encode("latin-1"))
    path = _write(
        tmp_path / "s.toml",
        f'extends = "{(FIXTURES / "small.toml").as_posix()}"\nname = "s"\n'
        f'[starting_list]\ncsv = "{csv.as_posix()}"\n',
    )
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert expected in result.output
    assert not (tmp_path / "out").exists()
    if "Atlantis" in content:
        for needle in ("duplicate id", "before the scenario start_date", "line 4, column stage"):
            assert needle in result.output


def test_unreadable_toml_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.toml", "name = [unclosed\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "valid TOML" in result.output
    missing = runner.invoke(app, ["validate", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "must exist" in missing.output


@pytest.mark.parametrize(
    "name", ["lancashire.toml", "north_4x.toml", "icb_funding.toml", "ep_surge.toml"]
)
def test_shipped_scenarios_validate(name: str) -> None:
    result = runner.invoke(app, ["validate", str(SCENARIOS / name)])
    assert result.exit_code == 0, result.output


def test_schema_is_json() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "districts" in schema["properties"]


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nd_sim", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and "run" in done.stdout


@pytest.mark.slow  # 14 s: an interrupted run and its resume
def test_ctrl_c_leaves_no_results_and_resume_finishes_identically(tmp_path: Path) -> None:
    """An interrupted run exits 130, stops its workers and writes no results folder; its
    completed chunks are kept aside (hidden), and --resume gives the uninterrupted result."""
    import os
    import signal
    import time

    from nd_sim.inputs.model import compile_model
    from nd_sim.run.replicate import run_one
    from nd_sim.scenario import load_scenario

    # the compiled engine into its on-disk cache first: in a fresh clone the command would
    # otherwise compile it (slowly, under coverage) and only then notice the interrupt
    run_one(compile_model(load_scenario(FIXTURES / "small.toml")), 0, 1)
    out = tmp_path / "run"
    staged = tmp_path / ".run.partial"
    args = ["run", str(SCENARIOS / "lancashire.toml"), "-n", "40", "--jobs", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nd_sim", *args, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 60
    while time.time() < deadline and not any(staged.glob(".chunks/*.json")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    assert b"no results folder was written" in output and b"--resume" in output
    assert [p.name for p in tmp_path.iterdir()] == [".run.partial"]
    done_before = len(list(staged.glob(".chunks/*.json")))
    assert 0 < done_before < 8  # 40 replications in chunks of 5 (4 a worker): 8 chunks

    again = runner.invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 2 and "--resume" in again.output  # never silently restarted
    resumed = runner.invoke(app, [*args, "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert not staged.exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["resumed_replications"] >= 3
    whole = runner.invoke(app, [*args, "--out", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    assert (out / "summary.csv").read_bytes() == (tmp_path / "whole" / "summary.csv").read_bytes()
    by_rep = [pd.read_csv(f / "kpis_by_replication.csv") for f in (out, tmp_path / "whole")]
    pd.testing.assert_frame_equal(*by_rep)
    children = [pq.read_table(f / "children.parquet") for f in (out, tmp_path / "whole")]
    assert children[0].equals(children[1])


def test_resume_refuses_a_different_run(tmp_path: Path) -> None:
    """A staged run is only resumed by the same run: other settings exit 2, naming them."""
    out = tmp_path / "run"
    staged = tmp_path / ".run.partial"
    staged.mkdir()
    plan = {"command": "run", "scenario": "x", "replications": 5, "seed": 7, "chunk_size": 1}
    (staged / "plan.json").write_text(json.dumps(plan))
    small = str(FIXTURES / "small.toml")
    result = runner.invoke(app, ["run", small, "-n", "4", "--out", str(out), "--resume"])
    assert result.exit_code == 2
    assert "replications" in result.output and "scenario" in result.output
    assert "--force" in result.output and staged.exists()
    forced = runner.invoke(app, ["run", small, "-n", "4", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert not staged.exists() and (out / "summary.csv").exists()


def test_resume_without_out_finishes_the_last_interrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nd_sim.inputs.model import compile_model
    from nd_sim.run.runner import run_to_folder
    from nd_sim.scenario import load_scenario

    monkeypatch.chdir(tmp_path)
    model = compile_model(load_scenario(FIXTURES / "small.toml"))
    target = Path("results") / "20260101-000000-small"

    def stop(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_to_folder(model, RunSettings(6, 7, target), on_done=stop)
    assert not target.exists() and (Path("results") / f".{target.name}.partial").exists()
    result = runner.invoke(app, ["run", str(FIXTURES / "small.toml"), "-n", "6", "--resume"])
    assert result.exit_code == 0, result.output
    assert (target / "summary.csv").exists()
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["resumed_replications"] == 2  # the first chunk (6 serially: chunks of 2)
    ran_now = manifest["children_per_second"] * manifest["wall_seconds"]  # 4 of the 6
    assert 0.5 * manifest["children_simulated"] < ran_now < 0.8 * manifest["children_simulated"]


def test_resume_refuses_a_changed_starting_list(tmp_path: Path) -> None:
    """The plan's fingerprint covers the children on the starting list, not only settings."""
    import dataclasses

    from nd_sim.inputs.model import compile_model
    from nd_sim.run.chunks import fingerprint
    from nd_sim.scenario import load_scenario

    model = compile_model(load_scenario(FIXTURES / "small.toml"))
    start = model.starting
    columns = ("ids", "district", "referral_day", "stage", "pathway", "priority", "next_step")
    fewer = dataclasses.replace(start, **{k: getattr(start, k)[1:] for k in columns})
    assert fingerprint([model]) != fingerprint([dataclasses.replace(model, starting=fewer)])


def test_resume_of_a_staging_folder_without_its_plan_starts_afresh(tmp_path: Path) -> None:
    """A run stopped while committing has lost its plan and chunk markers: resuming it runs
    everything again into a cleared folder (no stale parts are mixed in)."""
    out = tmp_path / "run"
    staged = tmp_path / ".run.partial"
    (staged / "weekly.parquet").mkdir(parents=True)
    (staged / "weekly.parquet" / "part-00009.parquet").write_bytes(b"not parquet")
    small = str(FIXTURES / "small.toml")
    result = runner.invoke(app, ["run", small, "-n", "4", "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert not (out / "weekly.parquet" / "part-00009.parquet").exists()
    assert pq.read_table(out / "weekly.parquet").column("replication").unique().to_pylist() == [
        0,
        1,
        2,
        3,
    ]


@pytest.mark.parametrize("where", ["file", "dot"])
def test_awkward_out_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """--out under a file exits 2 naming --out; --out . (an empty working folder) works."""
    small = str(FIXTURES / "small.toml")
    if where == "file":
        blocker = _write(tmp_path / "blocker", "x")
        result = runner.invoke(app, ["run", small, "-n", "2", "--out", str(blocker / "x")])
        assert result.exit_code == 2, result.output
        assert "--out" in result.output and "cannot be written" in result.output
        return
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = runner.invoke(app, ["run", small, "-n", "2", "--out", "."])
    assert result.exit_code == 0, result.output
    assert (here / "summary.csv").exists()
    assert not list(tmp_path.glob(".*partial"))
