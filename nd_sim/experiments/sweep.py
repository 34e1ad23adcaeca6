"""`nd-sim sweep` as a library function: a grid of scenario variants on common random numbers.

Every variant runs the same replications with the same seed, so replication k of every
variant sees the same children, and the difference a setting makes is measured replication
by replication (a paired interval, from the first variant). All variants' chunks go to one
executor together, so the workers stay busy across variants. Rows stream to Parquet
datasets partitioned by variant; the summaries are computed one variant at a time, holding
only that variant's KPIs and the first variant's, so memory does not grow with the grid.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.grid import Grid
from nd_sim.experiments.ranking import Objective, rank_scenarios, with_ranks
from nd_sim.inputs.model import compile_model
from nd_sim.results import registry
from nd_sim.results.statistics import t_quantile, within_range
from nd_sim.run.chunks import (
    Layout,
    Totals,
    plan_chunks,
    read_kpis,
    run_chunks,
)
from nd_sim.run.pipeline import staged
from nd_sim.run.runner import package_versions
from nd_sim.run.settings import RunSettings

KEYS = ["area_type", "area", "kpi"]


@dataclass(frozen=True)
class SweepResult:
    """What the CLI prints after a sweep."""

    out: Path
    table: pd.DataFrame
    grid: Grid
    wall_seconds: float
    children: int
    children_per_second: float | None  # of this command (a resume skips some children)
    children_now: int = 0  # simulated by this command (fewer than `children` after a resume)
    ranks: pd.DataFrame | None = None  # one row per variant, best first on the objective
    objective: Objective | None = None


def sweep_to_folder(
    grid: Grid,
    settings: RunSettings,
    on_done: Callable[[int], None] | None = None,
    keep_children: bool = False,
    objective: Objective | None = None,
) -> SweepResult:
    """Run every variant's replications and write the sweep folder atomically, each variant
    ranked on the objective (default: the county's child-weeks waiting) with its trade-offs
    against variant 0."""
    objective = objective or Objective()
    started = time.perf_counter()
    models = [compile_model(v.scenario) for v in grid.variants]
    replications, seed = settings.replications, settings.seed
    with staged(settings, "sweep", models, keys=grid.keys, children=keep_children) as stage:
        folder, executor = stage.folder, stage.executor
        layout = Layout(by_variant=True)
        chunks = plan_chunks(len(models), replications, stage.chunk_size)
        rows = settings.replications if keep_children else 0  # --children: every one
        totals = run_chunks(folder, layout, models, chunks, seed, executor, rows, on_done)
        by_rep = (read_kpis(folder, layout, _of(chunks, v)) for v in range(len(models)))
        table = sweep_table(grid, by_rep)
        ranks = rank_scenarios(table, objective, key="variant", diff="diff_mean")
        table = with_ranks(table, ranks, key="variant")
        folder.write_csv("sweep.csv", table)
        folder.write_csv("variants.csv", variants_frame(grid))
        folder.remove(layout.working)
        wall = time.perf_counter() - started
        run = {"executor": executor.name, "workers": executor.workers}
        run |= {"resumed_replications": totals.resumed_replications}
        manifest = _manifest(grid, replications, seed, run, wall, totals)
        manifest["objective"] = objective.as_dict()
        folder.write_json("manifest.json", manifest)
    return SweepResult(
        settings.out,
        table,
        grid,
        wall,
        totals.children,
        totals.children_per_second(wall),
        totals.children_now,
        ranks,
        objective,
    )


def _of(chunks, variant: int) -> list:
    return [c for c in chunks if c.variant == variant]


def sweep_table(grid: Grid, by_rep: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One row per variant, area and KPI: mean and CI, and the paired difference (and CI)
    from the first variant. `by_rep` yields each variant's KPIs by replication in turn, so
    only the current variant's and the first variant's are held."""
    parts = []
    base = None
    for variant, frame in zip(grid.variants, by_rep, strict=True):
        base = frame if base is None else base
        part = paired_summary(frame, base)
        part.insert(0, "variant", variant.index)
        part.insert(1, "variant_name", variant.name)
        for k, key in enumerate(grid.keys):
            part.insert(2 + k, key, _cell(variant.settings.get(key)))
        part.insert(
            2 + len(grid.keys) + 3,
            "unit",
            part["kpi"].map(registry.unit),
        )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def paired_summary(frame: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """Mean, t interval and sd of each KPI, and of its difference from the base replication
    by replication (NaNs ignored, as in `summary.t_interval`), vectorised over KPIs."""
    merged = frame.merge(
        base[["replication", *KEYS, "value"]],
        on=["replication", *KEYS],
        how="left",
        suffixes=("", "_base"),
        sort=False,
    )
    merged["diff"] = merged["value"] - merged["value_base"]
    grouped = merged.groupby(KEYS, sort=False)
    out = grouped["value"].agg(["mean", "std", "count"]).reset_index()
    diff = grouped["diff"].agg(["mean", "std", "count"]).reset_index(drop=True)
    low, high = _t_bounds(out["mean"], out["std"], out["count"])
    units = out["kpi"].map(registry.unit).tolist()
    low, high = within_range(units, out["mean"].to_numpy(float), low, high)
    d_low, d_high = _t_bounds(diff["mean"], diff["std"], diff["count"])
    return pd.DataFrame(
        {
            **{k: out[k] for k in KEYS},
            "mean": out["mean"],
            "ci95_low": low,
            "ci95_high": high,
            "sd": out["std"],
            "replications": out["count"].astype(int),
            "diff_mean": diff["mean"],
            "diff_ci95_low": d_low,
            "diff_ci95_high": d_high,
        }
    )


def _t_bounds(mean: pd.Series, sd: pd.Series, n: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    n = n.to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t_quantile(np.where(n > 1, n - 1, np.nan))
        half = t * sd.to_numpy(float) / np.sqrt(n)
    return mean.to_numpy(float) - half, mean.to_numpy(float) + half


def variants_frame(grid: Grid) -> pd.DataFrame:
    """What each variant sets (one row per variant)."""
    rows = []
    for v in grid.variants:
        row = {"variant": v.index, "variant_name": v.name, "scenario_name": v.scenario.name}
        row |= {key: _cell(v.settings.get(key)) for key in grid.keys}
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(value) -> object:
    """A setting as a table cell: numbers and text as they are, anything else as text."""
    if value is None or isinstance(value, int | float | str | bool):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _manifest(grid: Grid, reps: int, seed: int, run: dict, wall: float, totals: Totals) -> dict:
    base = grid.variants[0].scenario
    return {
        "kind": "sweep",
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "grid": grid.source,
        "keys": grid.keys,
        "variants": [
            {
                "variant": v.index,
                "name": v.name,
                "settings": {k: _cell(x) for k, x in v.settings.items()},
            }
            for v in grid.variants
        ],
        "replications": reps,
        "seed": seed,
        **run,
        "wall_seconds": round(wall, 3),
        "children_simulated": totals.children,
        "children_per_second": totals.children_per_second(wall),
        "versions": package_versions(),
        "base_scenario": base.model_dump(mode="json", by_alias=True, exclude={"notes"}),
    }


def write_sweep_figures(folder: Path, keys: list[str]) -> list[Path]:
    """The headline KPIs across the grid, as PNG and SVG in `folder/figures`."""
    from nd_sim.report.figures import save  # matplotlib only when figures are asked for
    from nd_sim.report.figures.sweep import sweep_figures

    source = folder / "sweep.csv"
    if not source.is_file():
        rule = "must hold sweep.csv, as `nd-sim sweep` writes it"
        raise ScenarioError(str(folder), [Problem("folder", str(folder), rule)])
    table = pd.read_csv(source)
    paths: list[Path] = []
    for name, fig in sweep_figures(table, keys).items():
        paths += save(fig, folder / "figures", name)
    return paths
