"""How nd-sim scales: executors, replications, horizon and demand (issue 6).

Measures, on the shipped Lancashire scenario (medians of several runs):
1. throughput (children simulated per second, outputs written) of the same run serially,
   with 2 local processes and on a 2-worker Dask `LocalCluster` (started before the clock;
   its start-up time is reported apart);
2. the whole command ``nd-sim run scenarios/lancashire.toml --replications R --jobs 2``
   for R = 100 and 1,000: wall time and peak memory of the process tree (sum of RSS);
3. time per replication for a 5- and a 10-year horizon, and for 1x and 4x referrals.

Run: ``python benchmarks/bench_scale.py`` (about 5 minutes on 2 cores); it appends a dated
entry to ``benchmarks/results.md``. Options: ``--quick`` for a smoke run.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench_engine import bench_command  # noqa: E402

from nd_sim.engine.replication import run_replication  # noqa: E402
from nd_sim.inputs.model import compile_model  # noqa: E402
from nd_sim.run.runner import run_to_folder  # noqa: E402
from nd_sim.run.settings import RunSettings  # noqa: E402
from nd_sim.scenario.loader import read_raw, validate_raw  # noqa: E402

SCENARIO = HERE.parent / "scenarios" / "lancashire.toml"


def _model(horizon_weeks: int | None = None, demand: float = 1.0):
    raw, notes = read_raw(SCENARIO)
    raw = copy.deepcopy(raw)
    if horizon_weeks:
        raw["horizon_weeks"] = horizon_weeks
    for district in raw["districts"].values():
        district["referrals_per_week"] *= demand
    return compile_model(validate_raw(raw, notes, str(SCENARIO)))


def throughput(replications: int, runs: int) -> dict[str, dict[str, float]]:
    """Children per second of a whole run (outputs included) on each executor. The cluster
    runs only while it is measured: its scheduler shares this process, and its event loop
    would otherwise slow the serial and process runs."""
    from distributed import LocalCluster

    model = _model()
    out = {
        "serial": _timed_runs(model, replications, runs, jobs=1),
        "2 processes": _timed_runs(model, replications, runs, jobs=2),
    }
    started = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        startup = time.perf_counter() - started
        name = "2-worker LocalCluster"
        out[name] = _timed_runs(model, replications, runs, jobs=2, dask=cluster.scheduler_address)
    out["2-worker LocalCluster"]["startup"] = startup
    return out


def _timed_runs(model, replications: int, runs: int, **kw) -> dict[str, float]:
    """Median wall time and children per second of `runs` runs into fresh folders."""
    rates, walls = [], []
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp())
        start = time.perf_counter()
        result = run_to_folder(model, RunSettings(replications, 1, folder / "run", **kw))
        walls.append(time.perf_counter() - start)
        rates.append(result.children / walls[-1])
        shutil.rmtree(folder, ignore_errors=True)
    return {"seconds": statistics.median(walls), "rate": statistics.median(rates)}


def per_replication(model, runs: int) -> tuple[float, float]:
    """Median seconds and children of one replication, in this process."""
    run_replication(model, 999, 1)
    times, children = [], []
    for rep in range(runs):
        start = time.perf_counter()
        raw = run_replication(model, rep, 1)
        times.append(time.perf_counter() - start)
        children.append(raw.n_children)
    return statistics.median(times), statistics.median(children)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small counts: a smoke run.")
    args = parser.parse_args()
    q = args.quick
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: scale (benchmarks/bench_scale.py)",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    ]
    # the whole commands first, on a machine nothing else in this process has used yet
    for count, runs in ((20, 1), (100, 1)) if q else ((100, 3), (1000, 3)):
        cmd = bench_command(runs, count, 2)
        lines.append(
            f"- `nd-sim run scenarios/lancashire.toml --replications {count} --jobs 2` ({runs} "
            f"runs, outputs included): median **{cmd['command_seconds_median']:.1f} s** (min "
            f"{cmd['command_seconds_min']:.1f}, max {cmd['command_seconds_max']:.1f}); peak "
            f"memory of the process tree **{cmd['peak_memory_mb_median']:,.0f} MB**"
        )
    reps = 8 if q else 200  # long enough that worker start-up (imports, loading the
    # compiled engine: about 1 s a worker) does not hide the steady rate
    tp = throughput(reps, 1 if q else 3)
    base = tp["serial"]["rate"]
    for name, r in tp.items():
        extra = f"; cluster start-up {r['startup']:.1f} s, not timed" if "startup" in r else ""
        lines.append(
            f"- throughput, {reps} replications, outputs written, {name}: {r['seconds']:.1f} s, "
            f"**{r['rate']:,.0f} children/s** ({r['rate'] / base:.2f}x serial){extra}"
        )
    runs = 3 if q else 7
    cases = {
        "5 years, 1x referrals": _model(260, 1.0),
        "10 years, 1x referrals": _model(520, 1.0),
        "5 years, 4x referrals": _model(260, 4.0),
    }
    timed = {name: per_replication(model, runs) for name, model in cases.items()}
    s0, c0 = timed["5 years, 1x referrals"]
    for name, (seconds, children) in timed.items():
        lines.append(
            f"- one replication, {name}: {seconds:.3f} s, {children:,.0f} children "
            f"({seconds / s0:.2f}x the time for {children / c0:.2f}x the children; "
            f"{children / seconds:,.0f} children/s)"
        )
    text = "\n".join([*lines, ""])
    print(text)
    with HERE.joinpath("results.md").open("a") as handle:
        handle.write("\n" + text)


if __name__ == "__main__":
    main()
