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

import numpy as np
import pandas as pd

from nd_sim import analytic
from nd_sim.children import to_arrow
from nd_sim.experiment import ReplicationOutput, iter_replications
from nd_sim.model import Model
from nd_sim.output import RunFolder
from nd_sim.summary import summarise
from nd_sim.weekly import FLOWS, STOCKS

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


def run_to_folder(
    model: Model,
    out: Path,
    replications: int,
    seed: int,
    jobs: int = 1,
    force: bool = False,
    on_done: Callable[[int], None] | None = None,
) -> RunResult:
    """Run the replications and write every output file atomically into `out`."""
    with RunFolder(out, force) as folder:
        result = run_into(folder, "", model, replications, seed, jobs, on_done)
    return dataclasses.replace(result, out=out)


def run_into(
    folder: RunFolder,
    prefix: str,
    model: Model,
    replications: int,
    seed: int,
    jobs: int = 1,
    on_done: Callable[[int], None] | None = None,
) -> RunResult:
    """Run the replications and write a run's files into a folder under construction.

    `prefix` places them in a subfolder (e.g. ``"scenarios/baseline/"`` in a comparison).
    """
    started = time.perf_counter()
    kpi_rows: list[tuple] = []
    weekly_parts: list[pd.DataFrame] = []
    staff_parts: list[pd.DataFrame] = []
    children = appointments = 0
    for rep in iter_replications(model, replications, seed, jobs, True, on_done):
        kpi_rows += [(rep.replication, *row) for row in rep.kpis]
        weekly_parts.append(_weekly_frame(rep, model))
        staff_parts.append(_staff_frame(rep, model))
        folder.append_parquet(prefix + "children.parquet", to_arrow(rep.children, model))
        children += rep.n_children
        appointments += rep.n_appointments
    folder.close_parquet(prefix + "children.parquet")
    by_rep = pd.DataFrame(kpi_rows, columns=["replication", "area_type", "area", "kpi", "value"])
    summary = summarise(by_rep)
    panel = analytic.panel_frame(model)
    folder.write_big_csv(prefix + "kpis_by_replication.csv", by_rep)
    folder.write_csv(prefix + "summary.csv", summary)
    folder.write_big_csv(prefix + "weekly.csv", pd.concat(weekly_parts, ignore_index=True))
    folder.write_big_csv(prefix + "staff_weekly.csv", pd.concat(staff_parts, ignore_index=True))
    folder.write_csv(prefix + "analytic.csv", panel)
    wall = time.perf_counter() - started
    manifest = _manifest(model, replications, seed, jobs, wall, children, appointments)
    folder.write_json(prefix + "manifest.json", manifest)
    return RunResult(folder.path(prefix), summary, by_rep, panel, wall, children, appointments)


def _week_starts(model: Model) -> np.ndarray:
    """ISO dates of the first day of each week, as text (CSV readers parse them)."""
    start = np.datetime64(model.scenario.start_date, "D")
    return np.datetime_as_string(start + np.arange(model.weeks) * 7, unit="D").astype(object)


def _weekly_frame(rep: ReplicationOutput, model: Model) -> pd.DataFrame:
    n_d, weeks = len(model.districts), model.weeks
    frame = pd.DataFrame(
        {
            "replication": np.full(n_d * weeks, rep.replication, np.int32),
            "week": np.tile(np.arange(weeks, dtype=np.int32), n_d),
            "week_start": np.tile(_week_starts(model), n_d),
            "district": np.repeat(np.array(model.districts, dtype=object), weeks),
        }
    )
    for name in FLOWS + STOCKS:
        frame[name] = rep.weekly[name].reshape(-1)
    return frame


def _staff_frame(rep: ReplicationOutput, model: Model) -> pd.DataFrame:
    """Hours per team, profession and week; professions a team never has are left out."""
    parts = []
    weeks = model.weeks
    for t, team in enumerate(model.teams):
        for p, prof in enumerate(model.professions):
            avail, used = rep.hours_available[t, p], rep.hours_used[t, p]
            if not avail.any() and not used.any():
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "replication": np.full(weeks, rep.replication, np.int32),
                        "week": np.arange(weeks, dtype=np.int32),
                        "week_start": _week_starts(model),
                        "team": team,
                        "profession": prof,
                        "hours_available": avail,
                        "hours_used": used,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _manifest(
    model: Model, replications: int, seed: int, jobs: int, wall: float, children: int, appts: int
) -> dict:
    scenario = model.scenario
    return {
        "scenario_name": scenario.name,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "seed": seed,
        "replications": replications,
        "jobs": jobs,
        "wall_seconds": round(wall, 3),
        "children_simulated": children,
        "appointments_held": appts,
        "children_per_second": round(children / wall, 1) if wall > 0 else None,
        "versions": _versions(),
        "notes": scenario.notes,
        "scenario": scenario.model_dump(mode="json", by_alias=True, exclude={"notes"}),
    }
