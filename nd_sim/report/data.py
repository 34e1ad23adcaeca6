"""Read a results folder (a run or a comparison) back for the report.

The report works only from files on disk, so it can be rebuilt at any time from a folder
someone sent, without rerunning anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario.files import MAX_TOML_BYTES, read_input
from nd_sim.scenario.models import Scenario

RUN_FILES = ("summary.csv", "kpis_by_replication.csv", "weekly.parquet", "manifest.json")


@dataclass
class ScenarioResult:
    """One scenario's results, as written by `nd-sim run` (or inside a comparison)."""

    label: str
    slug: str
    folder: Path
    scenario: Scenario
    manifest: dict
    summary: pd.DataFrame
    by_replication: pd.DataFrame
    weekly: pd.DataFrame
    staff_weekly: pd.DataFrame
    analytic: pd.DataFrame

    @cached_property
    def children(self) -> pd.DataFrame:
        """The per-child table (read on first use: it is the largest file)."""
        columns = [
            "replication",
            "district",
            "start_stage",
            "referral_date",
            "first_appointment_date",
            "exit_date",
            "exit_reason",
            "triage_result",
        ]
        return pq.read_table(self.folder / "children.parquet", columns=columns).to_pandas()

    @property
    def start_date(self) -> pd.Timestamp:
        """Day 0 of the run."""
        return pd.Timestamp(self.scenario.start_date)

    @property
    def end_date(self) -> pd.Timestamp:
        """The day after the last simulated day."""
        return self.start_date + pd.Timedelta(weeks=self.scenario.horizon_weeks)


@dataclass
class ReportData:
    """Everything the report shows; `scenarios[0]` is the base of a comparison."""

    folder: Path
    kind: str
    scenarios: list[ScenarioResult]
    comparison: pd.DataFrame | None = None
    changes_md: str = ""
    manifest: dict = field(default_factory=dict)

    @property
    def base(self) -> ScenarioResult:
        """The run, or the base of the comparison."""
        return self.scenarios[0]


def read_manifest(folder: Path) -> dict:
    """A results folder's manifest.json, or `ScenarioError` naming it and what is wrong."""
    path = Path(folder) / "manifest.json"
    if not path.exists():
        rule = "must be a folder written by `nd-sim run`, `compare`, `sweep` or another command"
        raise ScenarioError(str(folder), [Problem("manifest.json", "(missing)", rule)])
    data = read_input(path, "manifest.json", MAX_TOML_BYTES, "manifest")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        rule = "must be the JSON object nd-sim wrote (was it edited or replaced?)"
        raise ScenarioError(str(folder), [Problem("manifest.json", str(path), rule)])
    return manifest


def load_report_data(folder: Path) -> ReportData:
    """Read a run folder or a comparison folder; `ScenarioError` if it is neither."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    try:
        return _report_data(folder, manifest)
    except (KeyError, TypeError, ValueError, AttributeError, OSError) as exc:
        # a folder nd-sim wrote reads cleanly; anything else was edited, moved or truncated
        rule = f"is not a results folder nd-sim can read ({type(exc).__name__}: {exc})"
        raise ScenarioError(str(folder), [Problem("(folder)", str(folder), rule)]) from None


def _report_data(folder: Path, manifest: dict) -> ReportData:
    if manifest.get("kind") == "comparison":
        scenarios = [
            _scenario_result(folder / s["folder"], Path(s["folder"]).name)
            for s in manifest["scenarios"]
        ]
        return ReportData(
            folder=folder,
            kind="comparison",
            scenarios=scenarios,
            comparison=pd.read_csv(folder / "comparison.csv"),
            changes_md=(folder / "changes.md").read_text(),
            manifest=manifest,
        )
    run = _scenario_result(folder, folder.name)
    return ReportData(folder=folder, kind="run", scenarios=[run], manifest=manifest)


def _scenario_result(folder: Path, slug: str) -> ScenarioResult:
    missing = [name for name in RUN_FILES if not (folder / name).exists()]
    if missing:
        rule = "a results folder needs these files; was the run interrupted or moved?"
        raise ScenarioError(str(folder), [Problem(name, "(missing)", rule) for name in missing])
    manifest = read_manifest(folder)
    scenario = Scenario.model_validate({**manifest["scenario"], "notes": manifest.get("notes", {})})
    return ScenarioResult(
        label=scenario.name,
        slug=slug,
        folder=folder,
        scenario=scenario,
        manifest=manifest,
        summary=pd.read_csv(folder / "summary.csv"),
        by_replication=pd.read_csv(folder / "kpis_by_replication.csv"),
        weekly=read_dataset(folder / "weekly.parquet"),
        staff_weekly=read_dataset(folder / "staff_weekly.parquet"),
        analytic=pd.read_csv(folder / "analytic.csv"),
    )


def read_dataset(path: Path) -> pd.DataFrame:
    """A partitioned Parquet dataset as pandas: labels as text, dates as timestamps, rows in
    replication order (the parts are chunks of consecutive replications)."""
    if not path.exists():  # e.g. a run with no staff at all has no staff rows
        return pd.DataFrame()
    frame = pq.read_table(path).to_pandas()
    for name, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            frame[name] = column.astype(str)
    if "week_start" in frame:
        frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame
