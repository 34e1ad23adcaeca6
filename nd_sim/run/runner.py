"""`nd-sim run` as a library function: replications in, a complete results folder out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib.metadata
import platform
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from nd_sim.inputs import analytic
from nd_sim.inputs.model import Model
from nd_sim.results.bands import CHANCE_AND_ASSUMPTIONS, band_kind, parameters_frame
from nd_sim.results.statistics import summarise_groups
from nd_sim.run.chunks import (
    Layout,
    Totals,
    kpi_frame,
    kpi_groups,
    plan_chunks,
    read_kpi_table,
    run_chunks,
)
from nd_sim.run.executors import Executor
from nd_sim.run.folder import RunFolder
from nd_sim.run.pipeline import staged
from nd_sim.run.prefetch import Prefetch
from nd_sim.run.settings import RunSettings, rows_kept

SUMMARY_MODULES = ("scipy.special",)  # `statistics.t_quantile`'s
PACKAGES = ("nd-sim", "simpy", "numpy", "scipy", "pandas", "pyarrow", "pydantic")
SPREADSHEET_ROWS = 1_048_575  # what Excel opens: 1,048,576 rows, less the header


@dataclass(frozen=True)
class RunResult:
    """What the CLI reports after a run (and what a comparison pairs up)."""

    out: Path
    summary: pd.DataFrame
    kpi_rows: pa.Table  # by replication, as read back (labels as codes)
    panel: pd.DataFrame
    wall_seconds: float
    children: int
    appointments: int
    children_per_second: float | None  # of this command (a resume skips some children)
    children_now: int = 0  # simulated by this command (fewer than `children` after a resume)

    @functools.cached_property
    def by_replication(self) -> pd.DataFrame:
        """The KPIs by replication (made when first asked for: a run alone never needs it)."""
        return kpi_frame(self.kpi_rows)


def run_to_folder(
    model: Model, settings: RunSettings, on_done: Callable[[int], None] | None = None
) -> RunResult:
    """Run the replications and write every output file atomically into `settings.out`.

    The run is staged beside the folder and kept if it stops early; `--resume` finishes it.
    """
    with staged(settings, "run", [model]) as stage:
        result = run_into(
            stage.folder,
            "",
            model,
            settings.replications,
            settings.seed,
            stage.executor,
            stage.chunk_size,
            on_done,
            child_rows=settings.child_row_replications(),
            simulate=stage.simulate,
            kpis_csv=settings.kpis_csv,
        )
    return dataclasses.replace(result, out=settings.out)


def run_into(
    folder: RunFolder,
    prefix: str,
    model: Model,
    replications: int,
    seed: int,
    executor: Executor,
    size: int,
    on_done: Callable[[int], None] | None = None,
    clean: bool = True,
    child_rows: int | None = None,
    simulate: Callable | None = None,
    kpis_csv: bool = False,
) -> RunResult:
    """Run the replications and write a run's files into a folder under construction.

    `prefix` places them in a subfolder (e.g. ``"scenarios/baseline/"`` in a comparison).
    Per-child and weekly rows stream to Parquet datasets chunk by chunk; only the KPIs by
    replication are kept for the summary. With `clean` false the chunks' working state is
    left for the caller to remove (a comparison keeps it until every scenario is done, so
    that a resume does not run a finished scenario again). The first `child_rows`
    replications (None: all) write their per-child rows. `simulate` replaces the engine
    (`--split-teams`).

    The KPIs by replication go to `kpis_by_replication.csv` when a spreadsheet can open
    them (or `kpis_csv` asks for it); beyond, the chunks' own Parquet files become
    `kpis_by_replication.parquet`, the same rows: 3.5 million rows of CSV for 1,000
    Lancashire replications (250 MB) took a second at the end of the run, and no
    spreadsheet opens them.
    """
    started = time.perf_counter()
    layout = Layout(prefix)
    chunks = plan_chunks(1, replications, size)
    kept = rows_kept(child_rows, replications)
    decoded: dict = {}
    warm = Prefetch(*SUMMARY_MODULES)

    def done(replications: int) -> None:  # a chunk is back: the workers are forked
        warm.start()
        if on_done:
            on_done(replications)

    try:
        totals = run_chunks(
            folder, layout, [model], chunks, seed, executor, kept, done, simulate, decoded
        )
    finally:
        warm.wait()
    by_rep = read_kpi_table(folder, layout, chunks, decoded)
    decoded.clear()  # read: the table is all that is needed now
    as_csv = kpis_csv or by_rep.num_rows <= SPREADSHEET_ROWS
    name = prefix + kpis_file(as_csv)
    folder.remove(prefix + kpis_file(not as_csv))  # a resume with --kpis-csv changed
    if not as_csv:
        for chunk in chunks:
            folder.keep_copy(layout.kpis(chunk), layout.part("kpis_by_replication", chunk))
    # the big CSV is written while the summary is worked out (writing is mostly waiting on
    # the disk); no thread outlives this block, so none is alive when workers are forked
    stop = threading.Event()  # set on Ctrl-C: the writer stops at its next piece
    with ThreadPoolExecutor(1) as background:
        big = background.submit(folder.write_big_csv, name, by_rep, stop) if as_csv else None
        try:
            summary = summarise_groups(kpi_groups(by_rep), by_rep["value"].to_numpy())
            summary = summary.assign(bands=band_kind(model.scenario))
            panel = analytic.panel_frame(model)
            if big is not None:
                big.result()
        except BaseException:
            stop.set()
            raise
    folder.write_csv(prefix + "summary.csv", summary)
    if band_kind(model.scenario) == CHANCE_AND_ASSUMPTIONS:
        folder.write_csv(
            prefix + "parameters.csv", parameters_frame(model.scenario, seed, replications)
        )
    folder.write_csv(prefix + "analytic.csv", panel)
    if clean:
        folder.remove(layout.working)
    wall = time.perf_counter() - started
    run = {"replications": replications, "seed": seed, "executor": executor.name}
    run |= {
        "bands": band_kind(model.scenario),
        "uncertain_inputs": sorted(model.scenario.uncertain),
    }
    run |= {"workers": executor.workers, "resumed_replications": totals.resumed_replications}
    run |= {"child_rows_replications": kept, "split_by_team": simulate is not None}
    run |= {"kpis_by_replication": name.removeprefix(prefix)}
    manifest = _manifest(model, run, wall, totals)
    folder.write_json(prefix + "manifest.json", manifest)
    return RunResult(
        folder.path(prefix),
        summary,
        by_rep,
        panel,
        wall,
        totals.children,
        totals.appointments,
        totals.children_per_second(wall),
        totals.children_now,
    )


def kpis_file(as_csv: bool) -> str:
    """The name of a run's KPIs by replication: a CSV, or a Parquet dataset."""
    return "kpis_by_replication." + ("csv" if as_csv else "parquet")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _manifest(model: Model, run: dict, wall: float, totals: Totals) -> dict:
    scenario = model.scenario
    return {
        "scenario_name": scenario.name,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        **run,
        "wall_seconds": round(wall, 3),
        "children_simulated": totals.children,
        "appointments_held": totals.appointments,
        "children_per_second": totals.children_per_second(wall),
        "versions": package_versions(),
        "notes": scenario.notes,
        "scenario": scenario.model_dump(mode="json", by_alias=True, exclude={"notes"}),
    }
