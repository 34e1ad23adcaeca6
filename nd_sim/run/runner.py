"""`nd-sim run` as a library function: replications in, a complete results folder out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nd_sim.inputs import analytic
from nd_sim.inputs.model import Model
from nd_sim.results.statistics import summarise
from nd_sim.run.chunks import (
    Layout,
    Totals,
    check_plan,
    chunk_size,
    fingerprint,
    plan_chunks,
    read_kpis,
    run_chunks,
)
from nd_sim.run.executors import Executor, make_executor
from nd_sim.run.folder import RunFolder

PACKAGES = ("nd-sim", "simpy", "numpy", "scipy", "pandas", "pyarrow", "pydantic")


@dataclass(frozen=True)
class RunResult:
    """What the CLI reports after a run (and what a comparison pairs up)."""

    out: Path
    summary: pd.DataFrame
    by_replication: pd.DataFrame
    panel: pd.DataFrame
    wall_seconds: float
    children: int
    appointments: int
    children_per_second: float | None  # of this command (a resume skips some children)
    children_now: int = 0  # simulated by this command (fewer than `children` after a resume)


def run_to_folder(
    model: Model,
    out: Path,
    replications: int,
    seed: int,
    jobs: int = 1,
    force: bool = False,
    on_done: Callable[[int], None] | None = None,
    dask: str | None = None,
    resume: bool = False,
) -> RunResult:
    """Run the replications and write every output file atomically into `out`.

    The run is staged beside `out` and kept if it stops early; `resume` finishes it.
    """
    executor = make_executor(jobs, dask)
    try:
        with RunFolder(out, force, resumable=True, resume=resume) as folder:
            plan = {
                "command": "run",
                "scenario": fingerprint([model]),
                "replications": replications,
                "seed": seed,
                "chunk_size": chunk_size(replications, executor.workers),
            }
            plan = check_plan(folder, plan, "--resume")
            result = run_into(
                folder,
                "",
                model,
                replications,
                seed,
                on_done=on_done,
                executor=executor,
                size=plan["chunk_size"],
            )
            folder.remove("plan.json")
    finally:
        executor.close()
    return dataclasses.replace(result, out=out)


def run_into(
    folder: RunFolder,
    prefix: str,
    model: Model,
    replications: int,
    seed: int,
    jobs: int = 1,
    on_done: Callable[[int], None] | None = None,
    executor: Executor | None = None,
    size: int | None = None,
) -> RunResult:
    """Run the replications and write a run's files into a folder under construction.

    `prefix` places them in a subfolder (e.g. ``"scenarios/baseline/"`` in a comparison).
    Per-child and weekly rows stream to Parquet datasets chunk by chunk; only the KPIs by
    replication are kept for the summary.
    """
    started = time.perf_counter()
    own = executor is None
    executor = executor or make_executor(jobs)
    try:
        layout = Layout(prefix)
        chunks = plan_chunks(1, replications, size or chunk_size(replications, executor.workers))
        totals = run_chunks(folder, layout, [model], chunks, seed, executor, True, on_done)
    finally:
        if own:
            executor.close()
    by_rep = read_kpis(folder, layout, chunks)
    summary = summarise(by_rep)
    panel = analytic.panel_frame(model)
    folder.write_big_csv(prefix + "kpis_by_replication.csv", by_rep)
    folder.write_csv(prefix + "summary.csv", summary)
    folder.write_csv(prefix + "analytic.csv", panel)
    folder.remove(layout.working)
    wall = time.perf_counter() - started
    run = {"replications": replications, "seed": seed, "executor": executor.name}
    run |= {"workers": executor.workers, "resumed_replications": totals.resumed_replications}
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
