"""Bounded memory: a run keeps only the KPIs of each replication, not its rows."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from nd_sim.inputs.model import compile_model
from nd_sim.results.children import to_arrow
from nd_sim.results.tables import staff_table, weekly_table
from nd_sim.run.executors import SerialExecutor
from nd_sim.run.folder import RunFolder
from nd_sim.run.replicate import run_one
from nd_sim.run.runner import run_into, run_to_folder
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES


def _peak_bytes(model, out: Path, replications: int) -> int:
    """Peak traced memory of a serial run in chunks of 2 replications (the chunk size is held
    fixed: a chunk's rows are in memory while it is encoded, up to `CHUNK_MAX` of them)."""
    tracemalloc.start()
    try:
        with RunFolder(out, force=False) as folder:
            run_into(folder, "", model, replications, 5, SerialExecutor(), 2)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_rows_functional(tmp_path: Path) -> None:
    """Going from 4 to 24 replications, the peak memory of a (serial) run grows by less than
    a tenth of one replication's per-child and weekly rows per extra replication: the rows
    go to disk as chunks finish, and only the KPIs (the summary state) stay."""
    model = compile_model(load_scenario(FIXTURES / "small.toml"))
    run_to_folder(
        model, RunSettings(1, 5, tmp_path / "warm")
    )  # imports and caches, outside the count
    one = run_one(model, 0, 5)
    rows_bytes = (
        to_arrow(one.children, model).nbytes
        + weekly_table(0, one.weekly, model).nbytes
        + staff_table(0, one.hours_available, one.hours_used, model).nbytes
    )
    small = _peak_bytes(model, tmp_path / "a", 4)
    large = _peak_bytes(model, tmp_path / "b", 24)
    growth_per_replication = (large - small) / 20
    assert growth_per_replication < rows_bytes / 10, (growth_per_replication, rows_bytes)
