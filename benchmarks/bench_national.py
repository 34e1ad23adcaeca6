"""National scale (issue 19): cost that grows with the work, not with the number of teams.

Measures, on the shipped Lancashire footprint repeated k times (`footprint.py`: each copy
its own teams and districts, no starting list):
1. seconds a replication for k = 1, 4, 16, 42 (about England), the simulation alone and
   with its KPIs and weekly counts (a worker's whole job), against the issue's "before";
2. the same children spread over 4, 16 and 64 teams (referrals and WTE divided by k);
3. the peak memory of one 42x replication, in a fresh process;
4. one 42x replication split by team over 2 processes (`--split-teams`), against serial;
5. 100 replications of the 42x footprint on a 2-worker `LocalCluster`, outputs written
   (no per-child rows), with each worker's peak memory.

Run: ``python benchmarks/bench_national.py [--quick]`` (about 6 minutes on 2 cores); it
appends a dated entry to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from footprint import footprint  # noqa: E402

from nd_sim.engine.replication import run_replication  # noqa: E402
from nd_sim.run.by_team import SplitByTeam  # noqa: E402
from nd_sim.run.executors import ProcessExecutor  # noqa: E402
from nd_sim.run.replicate import run_one  # noqa: E402
from nd_sim.run.runner import run_to_folder  # noqa: E402
from nd_sim.run.settings import RunSettings  # noqa: E402

BEFORE = {1: 0.036, 4: 0.187, 16: 1.633, 42: 5.337}  # the table, seconds
BEFORE_SPREAD = {4: 0.028, 16: 0.106, 64: 0.590}


def timed(fn, runs: int) -> float:
    """Median seconds of `runs` calls (after one untimed call)."""
    fn(0)
    out = []
    for r in range(1, runs + 1):
        start = time.perf_counter()
        fn(r)
        out.append(time.perf_counter() - start)
    return statistics.median(out)


def per_replication(k: int, spread: bool, runs: int) -> tuple[float, float, int]:
    """Seconds of the simulation, of a worker's whole replication, and children: in a
    fresh process each, so that one footprint's memory does not slow the next."""
    args = [sys.executable, __file__, "--one", str(k), str(int(spread)), str(runs)]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    sim, whole, n = json.loads(done.stdout.splitlines()[-1])
    return sim, whole, n


def _one(k: int, spread: bool, runs: int) -> None:
    model = footprint(k, spread)
    sim = timed(lambda r: run_replication(model, r, 1), runs)
    whole = timed(lambda r: run_one(model, r, 1, keep_children=False), runs)
    print(json.dumps([sim, whole, run_replication(model, 0, 1).n_children]))


def peak_memory_mb(k: int) -> float:
    """Peak RSS of a fresh process that runs one k-x replication with its KPIs."""
    code = (
        f"import sys; sys.path[:0] = [{str(HERE.parent)!r}, {str(HERE)!r}]; "
        "from footprint import footprint; from nd_sim.run.replicate import run_one; "
        f"run_one(footprint({k}), 0, 1, keep_children=False); "
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024


def split_vs_serial(k: int, runs: int) -> tuple[float, float]:
    """Seconds of one k-x replication serially and split by team over 2 processes."""
    model = footprint(k)
    serial = timed(lambda r: run_replication(model, r, 1), runs)
    executor = ProcessExecutor(2)
    try:
        split = SplitByTeam(executor)
        split = timed(lambda r: split(model, r, 1), runs)
    finally:
        executor.close()
    return serial, split


def cluster_run(k: int, replications: int) -> tuple[float, list[float]]:
    """Wall seconds of `replications` of the k-x footprint on a 2-worker LocalCluster
    (outputs written, no per-child rows), and each worker's peak memory in MB."""
    from distributed import Client, LocalCluster

    model = footprint(k)
    folder = Path(tempfile.mkdtemp())
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        settings = RunSettings(
            replications, 1, folder / "run", jobs=2, dask=cluster.scheduler_address, child_rows=0
        )
        start = time.perf_counter()
        run_to_folder(model, settings)
        wall = time.perf_counter() - start
        with Client(cluster.scheduler_address) as client:
            peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    shutil.rmtree(folder, ignore_errors=True)
    return wall, sorted(peaks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Smaller counts: a smoke run.")
    parser.add_argument("--one", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one[0], bool(args.one[1]), args.one[2])
        return
    runs = 1 if args.quick else 5
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: national scale "
        "(benchmarks/bench_national.py)",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "",
        "| footprint | teams | children | before (s) | simulation (s) | with KPIs (s) | "
        "children/s (simulation) |",
        "|---|---|---|---|---|---|---|",
    ]
    for k in (1, 4, 16) if args.quick else (1, 4, 16, 42):
        sim, whole, n = per_replication(k, False, runs)
        lines.append(
            f"| {k}x | {4 * k} | {n:,} | {BEFORE[k]:.3f} | {sim:.3f} | {whole:.3f} | "
            f"{n / sim:,.0f} |"
        )
        print(lines[-1], flush=True)
    lines += ["", "Same children over more teams (referrals and WTE divided by k):", ""]
    lines += ["| teams | before (s) | simulation (s) | with KPIs (s) |", "|---|---|---|---|"]
    for k in (1, 4, 16):
        sim, whole, _ = per_replication(k, True, runs)
        lines.append(f"| {4 * k} | {BEFORE_SPREAD[4 * k]:.3f} | {sim:.3f} | {whole:.3f} |")
        print(lines[-1], flush=True)
    k = 16 if args.quick else 42
    lines.append("")
    lines.append(
        f"- peak memory of one {k}x replication with its KPIs: **{peak_memory_mb(k):,.0f} MB**"
    )
    serial, split = split_vs_serial(k, runs)
    lines.append(
        f"- one {k}x replication serially {serial:.2f} s; split by team over 2 processes "
        f"{split:.2f} s ({serial / split:.2f}x)"
    )
    print(*lines[-2:], sep="\n", flush=True)
    reps = 10 if args.quick else 100
    wall, peaks = cluster_run(k, reps)
    lines.append(
        f"- {reps} replications of {k}x on a 2-worker LocalCluster (outputs, no per-child rows): "
        f"**{wall:.0f} s** ({wall / reps:.2f} s a replication); peak memory per worker "
        + ", ".join(f"{p:,.0f} MB" for p in peaks)
    )
    print(lines[-1], flush=True)
    with open(HERE / "results.md", "a") as f:
        f.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
