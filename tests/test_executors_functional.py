"""The executor seam: serial, local processes and Dask give identical results, and a Dask
worker that dies mid-run costs time, not results."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from nd_sim.errors import ScenarioError
from nd_sim.inputs.model import compile_model
from nd_sim.run.chunks import chunk_size, plan_chunks
from nd_sim.run.executors import (
    ProcessExecutor,
    SerialExecutor,
    Task,
    WorkerLost,
    make_executor,
)
from nd_sim.run.runner import run_to_folder
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS

distributed = pytest.importorskip("distributed")


def _square_plus(shared: int, x: int) -> int:
    return shared + x * x


def test_plan_covers_every_replication_once_unit() -> None:
    for variants, reps, size in ((1, 1, 1), (1, 1000, 10), (3, 7, 3), (2, 10, 10)):
        chunks = plan_chunks(variants, reps, size)
        seen = [(c.variant, r) for c in chunks for r in c.replications]
        assert seen == [(v, r) for v in range(variants) for r in range(reps)]
        assert all(0 < len(c.replications) <= size for c in chunks)
    assert chunk_size(1000, 2) == 10 and chunk_size(24, 2) == 3 and chunk_size(1, 8) == 1


def test_executors_return_every_task_once_unit() -> None:
    tasks = [Task(k % 2, (k,)) for k in range(9)]
    expected = {k: (10 * (k % 2)) + k * k for k in range(9)}
    for executor in (SerialExecutor(), ProcessExecutor(2)):
        try:
            got = dict(executor.run(_square_plus, [0, 10], tasks))
        finally:
            executor.close()
        assert got == expected, executor.name


def _die(shared: int, x: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return x


def test_killed_process_worker_is_a_clear_error_functional() -> None:
    """Local processes cannot re-run a dead worker's chunk: the run stops with WorkerLost
    (which the command line reports, with the --resume hint), not a pool traceback."""
    executor = ProcessExecutor(2)
    with pytest.raises(WorkerLost, match="stopped unexpectedly"):
        list(executor.run(_die, [0], [Task(0, (k,)) for k in range(3)]))
    executor.close()


def test_dask_missing_is_a_clear_error_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ScenarioError, match=r"nd-sim\[dask\]"):
        make_executor(2, "local")


def test_unreachable_scheduler_is_a_clear_error_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nd_sim.run.executors.DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(ScenarioError, match="reachable Dask scheduler"):
        make_executor(1, "tcp://127.0.0.1:9")


def _run(tmp: Path, name: str, model, reps: int, **kw):
    run_to_folder(model, RunSettings(reps, 11, tmp / name, **kw))
    return (tmp / name / "summary.csv").read_bytes(), pq.read_table(tmp / name / "children.parquet")


def test_serial_processes_and_local_cluster_agree_functional(tmp_path: Path) -> None:
    """Same seed, same summary.csv byte for byte, and the same per-child rows."""
    model = compile_model(load_scenario(FIXTURES / "small.toml"))
    serial = _run(tmp_path, "serial", model, 6)
    processes = _run(tmp_path, "processes", model, 6, jobs=2)
    dask = _run(tmp_path, "dask", model, 6, jobs=2, dask="local")
    assert serial[0] == processes[0] == dask[0]
    assert serial[1].equals(processes[1]) and serial[1].equals(dask[1])


def _worker_pids(cluster) -> list[int]:
    """The pids of the worker processes the cluster's nannies look after (none mid-restart)."""
    processes = [getattr(nanny.process, "process", None) for nanny in cluster.workers.values()]
    return [p.pid for p in processes if p is not None and p.pid is not None]


@pytest.mark.slow
def test_killed_dask_worker_has_its_tasks_rerun_functional(tmp_path: Path) -> None:
    """Kill a worker process (SIGKILL) as soon as the first chunk is back: the nanny
    restarts it, the scheduler re-runs what it held, and the result is complete and
    identical to a serial run."""
    model = compile_model(load_scenario(SCENARIOS / "lancashire.toml"))
    reps = 16
    # No second Client in this process: two clients' futures can trip over each other's
    # event loops (seen once in about 15 runs); the nannies know their workers' pids.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        before = _worker_pids(cluster)
        killed: list[int] = []

        def kill_one(_: int) -> None:
            if not killed:
                os.kill(before[0], signal.SIGKILL)
                killed.append(before[0])

        settings = RunSettings(reps, 11, tmp_path / "dask", jobs=2, dask=cluster.scheduler_address)
        run_to_folder(model, settings, on_done=kill_one)
        deadline = time.monotonic() + 60
        while killed[0] in _worker_pids(cluster) and time.monotonic() < deadline:
            time.sleep(0.2)  # the nanny restarts the worker it lost
        after = _worker_pids(cluster)
    assert killed and killed[0] not in after  # the worker really died
    serial = _run(tmp_path, "serial", model, reps)
    assert (tmp_path / "dask" / "summary.csv").read_bytes() == serial[0]
    children = pq.read_table(tmp_path / "dask" / "children.parquet")
    assert children.equals(serial[1])
    assert sorted(set(children.column("replication").to_pylist())) == list(range(reps))
