"""Read a results folder (a run or a comparison) back for the report.

The report works only from files on disk, so it can be rebuilt at any time from a folder
someone sent, without rerunning anything.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario.files import MAX_TOML_BYTES, read_input
from nd_sim.scenario.models import Scenario

KPIS_FILES = ("kpis_by_replication.csv", "kpis_by_replication.parquet")  # either is a run's
RUN_FILES = {  # what a run's folder must hold: a name, and the files that count as it
    "summary.csv": ("summary.csv",),
    "kpis_by_replication (.csv or .parquet)": KPIS_FILES,
    "weekly.parquet": ("weekly.parquet",),
    "manifest.json": ("manifest.json",),
}


@dataclass
class ScenarioResult:
    """One scenario's results, as written by `nd-sim run` (or inside a comparison)."""

    label: str
    slug: str
    folder: Path
    scenario: Scenario
    manifest: dict
    summary: pd.DataFrame
    weekly: pd.DataFrame
    staff_weekly: pd.DataFrame
    analytic: pd.DataFrame

    @cached_property
    def by_replication(self) -> pd.DataFrame:
        """The KPIs by replication (read on first use: the report's figures and tables come
        from the summary and the weekly rows, and 1,000 replications' 3.5 million rows took
        a second to read)."""
        return read_kpis_by_replication(self.folder, self.manifest)

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
    """Everything the report shows; `scenarios[0]` is the base of a comparison.

    `options` is `options.csv` when the folder was written by `nd-sim options` (a ranking of
    ways to spend a budget), else None.
    """

    folder: Path
    kind: str
    scenarios: list[ScenarioResult]
    comparison: pd.DataFrame | None = None
    changes_md: str = ""
    manifest: dict = field(default_factory=dict)
    options: pd.DataFrame | None = None

    @property
    def base(self) -> ScenarioResult:
        """The run, or the base of the comparison."""
        return self.scenarios[0]

    def added_cost_gbp(self, slug: str) -> float:
        """What an option costs against the base, in £: one figure for the whole report.

        In an options folder this is `budget_committed_gbp` of options.csv, the figure
        `nd-sim options` ranks on (it includes workshop sessions, which no scenario KPI
        prices); elsewhere the county `intervention_cost_gbp` difference from the base (added
        staff and outsourced assessments over the run, the same in every replication).
        """
        if self.options is not None and {"folder", "budget_committed_gbp"} <= set(self.options):
            rows = self.options[self.options["folder"] == slug]
            if len(rows):
                return float(rows["budget_committed_gbp"].iloc[0])
            return 0.0 if slug == self.base.slug else math.nan
        if self.comparison is None:
            return math.nan
        table = self.comparison
        rows = table[
            (table["folder"] == slug)
            & (table["area_type"] == "county")
            & (table["kpi"] == "intervention_cost_gbp")
        ]
        return float(rows["diff_from_base"].iloc[0]) if len(rows) else math.nan

    @property
    def objective(self):
        """What the comparison was ranked on (`manifest.json`; child-weeks waiting before)."""
        from nd_sim.experiments.ranking import Objective

        saved = self.manifest.get("objective") or {}
        return Objective(**saved) if saved else Objective()

    def objective_gain(self, slug: str) -> tuple[float, float, float]:
        """The improvement on the objective against the base (positive = better, whichever
        the direction), with its paired 95% CI (low, high); NaN where the comparison lacks
        it."""
        goal = self.objective
        if self.comparison is None:
            return math.nan, math.nan, math.nan
        table = self.comparison
        rows = table[
            (table["folder"] == slug)
            & (table["area_type"] == goal.area_type)
            & (table["area"] == goal.area)
            & (table["kpi"] == goal.kpi)
        ]
        if not len(rows):
            return math.nan, math.nan, math.nan
        r = rows.iloc[0]
        sign = -1.0 if goal.lower_is_better else 1.0
        low, high = sorted((sign * float(r["diff_ci95_low"]), sign * float(r["diff_ci95_high"])))
        return sign * float(r["diff_from_base"]), low, high

    def cost_per_gain_gbp(self, slug: str) -> float:
        """`added_cost_gbp` per unit of objective gained, where there is a cost and the gain
        is clear of zero and large enough to show; NaN otherwise: a ratio to a gain that may
        be nothing would mislead."""
        from nd_sim.experiments.ranking import SMALLEST_SHOWN
        from nd_sim.results import registry

        cost = self.added_cost_gbp(slug)
        gain, low, _ = self.objective_gain(slug)
        floor = SMALLEST_SHOWN.get(registry.unit(self.objective.kpi), 0.0)
        if not cost > 0 or not low > 0 or not gain >= floor:
            return math.nan
        return cost / gain

    @property
    def cost_meaning(self) -> str:
        """What `added_cost_gbp` counts, in words for the reader."""
        if self.options is not None:
            return (
                "the money each option commits, as in options.csv: the posts the recruitment "
                "caps allow, the outsourced assessments bought, or the extra workshop sessions"
            )
        return (
            "the added cost over the run against the base: staff added by interventions and "
            "outsourced assessments (scenarios put no price on workshop sessions)"
        )


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
        options = folder / "options.csv"
        return ReportData(
            folder=folder,
            kind="comparison",
            scenarios=scenarios,
            comparison=pd.read_csv(folder / "comparison.csv"),
            changes_md=(folder / "changes.md").read_text(),
            manifest=manifest,
            options=pd.read_csv(options) if options.exists() else None,
        )
    run = _scenario_result(folder, folder.name)
    return ReportData(folder=folder, kind="run", scenarios=[run], manifest=manifest)


def _scenario_result(folder: Path, slug: str) -> ScenarioResult:
    missing = [name for name, kinds in RUN_FILES.items() if not _any_of(folder, kinds)]
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
        weekly=read_dataset(folder / "weekly.parquet"),
        staff_weekly=read_dataset(folder / "staff_weekly.parquet"),
        analytic=pd.read_csv(folder / "analytic.csv"),
    )


def _any_of(folder: Path, names: tuple[str, ...]) -> bool:
    return any((folder / name).exists() for name in names)


def read_kpis_by_replication(folder: Path, manifest: dict | None = None) -> pd.DataFrame:
    """A run's KPIs by replication, from its CSV or (a large run's) Parquet dataset: the
    same frame either way; the file the manifest names, when it names one."""
    name = (manifest or {}).get("kpis_by_replication")
    if name not in KPIS_FILES:
        name = next((kind for kind in KPIS_FILES if (folder / kind).exists()), KPIS_FILES[0])
    if name.endswith(".csv"):
        return pd.read_csv(folder / name)
    return read_dataset(folder / name).astype({"replication": "int64"})


def read_dataset(path: Path) -> pd.DataFrame:
    """A partitioned Parquet dataset as pandas: labels as text, dates as timestamps, rows in
    replication order (the parts are chunks of consecutive replications)."""
    if not path.exists():  # e.g. a run with no staff at all has no staff rows
        return pd.DataFrame()
    table = pq.read_table(path)
    frame = pa.table(  # labels decoded by Arrow: twice as quick as pandas' astype(str)
        {
            name: column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
            for name, column in zip(table.column_names, table.columns, strict=True)
        }
    ).to_pandas()
    if "week_start" in frame:
        frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame
