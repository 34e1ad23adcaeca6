"""Where users wait (issue 20), in one run: replications, commands, memory, and yardsticks.

Measures, on the shipped Lancashire scenario and a 2-core machine (medians of `--runs`):
1. **a whole replication** (cohort, set-up, the event loop, KPIs and weekly counts: what a
   worker does for each replication) in children a second on one core, and the compiled
   event loop alone (the limit the rest is measured against);
2. **against an idiomatic SimPy model** of the same pathway (`simpy_pathway.py`: one process
   per child), both without a starting list, timed in this same run: the ratio of children
   a second;
3. **the commands** as a user runs them, each a whole process (start-up included), with the
   peak memory of its process tree and of its largest single process (a worker):
   `run -n 1000 --jobs 2`, `families` (40 replications, letters included), `options`
   (9 options x 20 replications), `size`, and `report` of a 20-replication run;
4. **the first run after installing**: seconds until "Preparing the simulation engine"
   appears, with an empty compile cache.

Run: ``python benchmarks/bench_performance.py [--runs 3] [--quick]`` (about 8 minutes);
it appends a dated entry to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import simpy_pathway  # noqa: E402
from bench_engine import command  # noqa: E402
from footprint import footprint  # noqa: E402

from nd_sim.engine.cohort import draw_cohort  # noqa: E402
from nd_sim.engine.kernel import simulate  # noqa: E402
from nd_sim.engine.replication import _pools, _state  # noqa: E402
from nd_sim.engine.state import kernel_state  # noqa: E402
from nd_sim.inputs.model import compile_model  # noqa: E402
from nd_sim.run.replicate import run_one  # noqa: E402
from nd_sim.scenario import load_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "lancashire.toml"
LIST = ROOT / "scenarios" / "data" / "lancashire_waiting_list.csv"
TARGETS = {  # the targets, seconds
    "run -n 1000 --jobs 2": 20.0,
    "families, 40 replications": 10.0,
    "options, 9 x 20 replications": 15.0,
    "size": 20.0,
    "report of a run": 5.0,
}


def whole_replications(model, runs: int) -> tuple[float, int]:
    """Median seconds of a worker's whole replication (no per-child rows), and children."""
    run_one(model, 999, 1, keep_children=False)
    times, children = [], []
    for r in range(runs):
        start = time.perf_counter()
        out = run_one(model, r, 1, keep_children=False)
        times.append(time.perf_counter() - start)
        children.append(out.n_children)
    return statistics.median(times), int(statistics.median(children))


def event_loop_alone(model, runs: int) -> float:
    """Median seconds of the compiled event loop, its inputs built beforehand."""
    times = []
    for r in range(runs + 1):
        cohort = draw_cohort(model, 1, r)
        state, _, _ = _state(model, cohort, _pools(model, 1, r, [1] * len(model.districts), {}))
        compiled = kernel_state(state)
        start = time.perf_counter()
        simulate(compiled)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def simpy_rate(runs: int) -> float:
    """Children a second of the idiomatic SimPy model (5 years, no starting list)."""
    rates = []
    for seed in range(1, runs + 1):
        start = time.perf_counter()
        out = simpy_pathway.run(SCENARIO, seed)
        rates.append(out["children"] / (time.perf_counter() - start))
    return statistics.median(rates)


def report_command(runs: int) -> dict[str, float]:
    """`nd-sim report` of a 20-replication run (the run itself is not timed)."""
    folder = Path(tempfile.mkdtemp()) / "run"
    subprocess.run(
        [sys.executable, "-m", "nd_sim", "run", str(SCENARIO), "-n", "20", "--jobs", "2",
         "--out", str(folder)],
        check=True, capture_output=True, cwd=ROOT,
    )  # fmt: skip
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "nd_sim", "report", str(folder)],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        walls.append(time.perf_counter() - start)
    shutil.rmtree(folder.parent, ignore_errors=True)
    return {"seconds": statistics.median(walls), "min": min(walls), "max": max(walls)}


def first_message_seconds() -> float:
    """Seconds from starting `nd-sim run` with an empty compile cache to the line saying
    the engine is being prepared (the run is stopped there)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "COLUMNS": "200"}
        cmd = [sys.executable, "-m", "nd_sim", "run", "-n", "1", "--out", f"{cache}/out"]
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT, env=env, text=True
        )
        seen = None
        for line in proc.stdout:
            if "Preparing the simulation engine" in line:
                seen = time.perf_counter() - start
                break
        proc.kill()
        proc.wait()
    if seen is None:
        raise SystemExit("the first run never said it was preparing the engine")
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Runs of each command (median).")
    parser.add_argument("--quick", action="store_true", help="Small counts: a smoke run.")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: performance "
        "(benchmarks/bench_performance.py)",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; medians of {runs} runs",
    ]

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    model = compile_model(load_scenario(SCENARIO))
    reps = 5 if args.quick else 15
    seconds, children = whole_replications(model, reps)
    loop = event_loop_alone(model, reps)
    say(
        f"- a whole Lancashire replication (worker's job, no per-child rows): {seconds:.3f} s, "
        f"{children:,} children, **{children / seconds:,.0f} children/s on one core**; the "
        f"event loop alone {loop:.3f} s ({children / loop:,.0f} children/s): the whole is "
        f"{seconds / loop:.1f}x the loop"
    )
    empty = footprint(1)
    nd_seconds, nd_children = whole_replications(empty, reps)
    simpy = simpy_rate(1 if args.quick else 3)
    say(
        f"- against an idiomatic SimPy model of the pathway (no starting list, 5 years, one "
        f"process per child): SimPy {simpy:,.0f} children/s, nd-sim's whole replication "
        f"{nd_children / nd_seconds:,.0f} children/s: **{nd_children / nd_seconds / simpy:.0f}x**"
    )
    first = first_message_seconds()
    say(f"- first run, empty compile cache: the preparing message after {first:.1f} s")
    scenario = str(SCENARIO)
    commands = {
        "run -n 1000 --jobs 2": [
            "run", scenario, "-n", "100" if args.quick else "1000", "--jobs", "2",
        ],
        "families, 40 replications": [
            "families", scenario, "--waiting-list", str(LIST), "--as-of", "2026-04-01",
            "-n", "40", "--jobs", "2",
        ],
        "options, 9 x 20 replications": [
            "options", scenario, "--budget-gbp", "1800000", "--over-months", "24", "-n", "20",
            "--jobs", "2",
        ],
        "size": [
            "size", scenario, "--target", "first_within_13w_pct >= 50", "--by", "2028-03-31",
            "--lever", "paediatrician,clinical_psychologist", "--jobs", "2",
        ],
    }  # fmt: skip
    for name, argv in commands.items():
        got = command(argv, runs)
        say(
            f"- `{name}`: **{got['seconds']:.1f} s** (min {got['min']:.1f}, max {got['max']:.1f};"
            f" target {TARGETS[name]:.0f} s); peak memory {got['tree_mb']:,.0f} MB in all, "
            f"{got['largest_mb']:,.0f} MB its largest worker"
            + (
                f", {got['forkserver_mb']:,.0f} MB the workers' forkserver"
                if got["forkserver_mb"]
                else ""
            )
        )
    got = report_command(runs)
    say(
        f"- `report` of a 20-replication run: **{got['seconds']:.1f} s** (min {got['min']:.1f},"
        f" max {got['max']:.1f}; target 5 s)"
    )
    with open(HERE / "results.md", "a") as f:
        f.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
