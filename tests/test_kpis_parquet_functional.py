"""A run too big for a spreadsheet writes its KPIs by replication as Parquet: the same rows,
read by the report as the CSV would be; `--kpis-csv` keeps the CSV; a resume gives the same."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from nd_sim.cli.app import app
from nd_sim.inputs.model import compile_model
from nd_sim.report.data import load_report_data, read_kpis_by_replication
from nd_sim.run import runner as run_module
from nd_sim.run.runner import run_to_folder
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES
from .test_pipeline_functional import _interrupted_then_resumed

SMALL = FIXTURES / "small.toml"
cli = CliRunner()


def _run(out: Path, *extra: str) -> None:
    args = ["run", str(SMALL), "-n", "4", "--jobs", "2", "--seed", "5", "--out", str(out)]
    result = cli.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output


@pytest.fixture
def tiny_spreadsheet(monkeypatch: pytest.MonkeyPatch) -> None:
    """A spreadsheet of 100 rows: the small scenario's 4 replications do not fit."""
    monkeypatch.setattr(run_module, "SPREADSHEET_ROWS", 100)


def test_rows_beyond_a_spreadsheet_go_to_parquet_functional(
    tmp_path: Path, tiny_spreadsheet: None
) -> None:
    _run(tmp_path / "pq")
    _run(tmp_path / "csv", "--kpis-csv")
    pq_dir, csv_dir = tmp_path / "pq", tmp_path / "csv"
    assert not (pq_dir / "kpis_by_replication.csv").exists()
    assert not (csv_dir / "kpis_by_replication.parquet").exists()
    parts = sorted(p.name for p in (pq_dir / "kpis_by_replication.parquet").iterdir())
    assert parts and all(p.startswith("part-") for p in parts)
    assert not (pq_dir / ".chunks").exists()  # working state gone, the dataset kept
    for folder, name in ((pq_dir, "parquet"), (csv_dir, "csv")):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["kpis_by_replication"] == f"kpis_by_replication.{name}"
    from_parquet = read_kpis_by_replication(pq_dir)
    pd.testing.assert_frame_equal(from_parquet, read_kpis_by_replication(csv_dir), check_exact=True)
    assert len(from_parquet) > 100
    assert (pq_dir / "summary.csv").read_bytes() == (csv_dir / "summary.csv").read_bytes()
    plain = pq.read_table(pq_dir / "kpis_by_replication.parquet").to_pandas()
    assert plain["replication"].tolist() == sorted(plain["replication"].tolist())


def test_the_report_reads_a_parquet_run_functional(tmp_path: Path, tiny_spreadsheet: None) -> None:
    _run(tmp_path / "pq")
    data = load_report_data(tmp_path / "pq")
    assert len(data.scenarios[0].by_replication) > 100
    result = cli.invoke(app, ["report", str(tmp_path / "pq")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pq" / "report.html").exists()


def test_a_run_that_fits_writes_csv_functional(tmp_path: Path) -> None:
    _run(tmp_path / "fits")
    assert (tmp_path / "fits" / "kpis_by_replication.csv").exists()
    assert not (tmp_path / "fits" / "kpis_by_replication.parquet").exists()


def test_a_resumed_parquet_run_is_the_same_functional(
    tmp_path: Path, tiny_spreadsheet: None
) -> None:
    model = compile_model(load_scenario(SMALL))
    parts = [f"kpis_by_replication.parquet/part-{k:05d}.parquet" for k in range(3)]
    _interrupted_then_resumed(  # 6 replications: 3 chunks of 2, one part each
        lambda settings, done: run_to_folder(model, settings, done),
        tmp_path / "resumed",
        6,
        ("summary.csv", *parts),
    )


@pytest.mark.parametrize("first_csv", [True, False])
def test_a_resume_that_changes_kpis_csv_keeps_one_file_functional(
    tmp_path: Path, tiny_spreadsheet: None, monkeypatch: pytest.MonkeyPatch, first_csv: bool
) -> None:
    """Stopped while the CSV is half written (or after the Parquet parts were linked), then
    resumed with the other choice: only the chosen file is left, and it is whole."""
    from nd_sim.run.folder import RunFolder

    model = compile_model(load_scenario(SMALL))
    whole, out = tmp_path / "whole", tmp_path / "out"
    run_to_folder(model, RunSettings(4, 9, whole, jobs=1))
    write_big_csv, write_json = RunFolder.write_big_csv, RunFolder.write_json

    def half_then_stop(self, name, frame, stop=None):
        self.path(name).write_text("replication,area_type,area,kpi,value\n0,")
        raise KeyboardInterrupt

    def stop_at_manifest(self, name, data):
        if name.endswith("manifest.json"):  # the parts are linked by then
            raise KeyboardInterrupt
        write_json(self, name, data)

    if first_csv:
        monkeypatch.setattr(RunFolder, "write_big_csv", half_then_stop)
    else:
        monkeypatch.setattr(RunFolder, "write_json", stop_at_manifest)
    with pytest.raises(KeyboardInterrupt):
        run_to_folder(model, RunSettings(4, 9, out, jobs=1, kpis_csv=first_csv))
    monkeypatch.undo()
    monkeypatch.setattr(run_module, "SPREADSHEET_ROWS", 100)
    assert RunFolder.write_big_csv is write_big_csv
    run_to_folder(model, RunSettings(4, 9, out, jobs=1, resume=True, kpis_csv=not first_csv))
    kept = {p.name for p in out.iterdir() if p.name.startswith("kpis_by_replication")}
    assert kept == {"kpis_by_replication." + ("parquet" if first_csv else "csv")}
    pd.testing.assert_frame_equal(
        read_kpis_by_replication(out), read_kpis_by_replication(whole), check_exact=True
    )
