"""Speed and memory of nd-sim on the shipped Lancashire scenario.

Measures (medians of several runs, after a warm-up):
1. one 5-year replication of ``scenarios/lancashire.toml`` in-process: children simulated
   per second per core, and appointments held per second; the same with the SimPy
   reference engine (``nd_sim.reference``), which the compiled engine matches exactly;
   and the one-off compile of the engine in a fresh process with an empty numba cache;
2. the whole command ``nd-sim run scenarios/lancashire.toml --replications 100 --jobs 2``,
   outputs included: wall time and peak memory of the process tree (sum of RSS).

Run: ``python benchmarks/bench_engine.py [--runs 5] [--command-runs 3]``; it appends a
dated entry to ``benchmarks/results.md``.
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
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nd_sim.engine.replication import run_replication  # noqa: E402
from nd_sim.inputs.model import compile_model  # noqa: E402
from nd_sim.scenario import load_scenario  # noqa: E402
from tests.reference import engine as reference  # noqa: E402

SCENARIO = ROOT / "scenarios" / "lancashire.toml"


def bench_replication(runs: int, engine=run_replication) -> dict[str, float]:
    """Median time of one replication (different replication numbers, same seed)."""
    model = compile_model(load_scenario(SCENARIO))
    engine(model, 999, 1)  # warm-up
    times, children, appointments = [], [], []
    for rep in range(runs):
        start = time.perf_counter()
        raw = engine(model, rep, 1)
        times.append(time.perf_counter() - start)
        children.append(raw.n_children)
        appointments.append(raw.appointments)
    median = statistics.median(times)
    return {
        "replication_seconds_median": median,
        "replication_seconds_min": min(times),
        "replication_seconds_max": max(times),
        "children_per_replication": statistics.median(children),
        "children_per_second": statistics.median(children) / median,
        "appointments_per_second": statistics.median(appointments) / median,
    }


def bench_compile() -> float:
    """Seconds for a first replication in a new process whose numba cache is empty: what
    the first run after installing pays once (later runs load the compiled engine)."""
    code = (
        "import time; from nd_sim.engine.replication import run_replication; "
        "from nd_sim.inputs.model import compile_model; from nd_sim.scenario import load_scenario; "
        f"m = compile_model(load_scenario({str(SCENARIO)!r})); t = time.perf_counter(); "
        "run_replication(m, 0, 1); print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return float(out.stdout.split()[-1])


def _watch(proc: psutil.Popen, stop: threading.Event, peak: list[int]) -> None:
    """Peak RSS of the process tree (peak[0]), of its largest worker (peak[1]), of the
    command's own process (peak[2]) and of the workers' forkserver (peak[3], which loads
    the engine once and forks the workers; not a worker itself). The multiprocessing
    resource tracker (15 MB) counts in the tree only."""
    while not stop.is_set():
        try:
            own = proc.memory_info().rss
            rss = {p: p.memory_info().rss for p in proc.children(recursive=True)}
            roles = {p: _role(p) for p in rss}
            sizes = [rss[p] for p in rss if roles[p] == "worker"]
            server = max((rss[p] for p in rss if roles[p] == "forkserver"), default=0)
            peak[0] = max(peak[0], own + sum(rss.values()))
            peak[1] = max(peak[1], max(sizes, default=0))
            peak[2] = max(peak[2], own)
            peak[3] = max(peak[3], server)
        except psutil.Error:
            pass
        time.sleep(0.1)


def _role(process: psutil.Process) -> str:
    """A command's helper process: its workers' forkserver, the resource tracker, or a
    worker (forked from the server, or from the command where there is no server)."""
    line = " ".join(process.cmdline())
    if "resource_tracker" in line:
        return "tracker"
    if "forkserver import main" in line and "forkserver" not in _parent_line(process):
        return "forkserver"
    return "worker"


def _parent_line(process: psutil.Process) -> str:
    parent = process.parent()
    return " ".join(parent.cmdline()) if parent is not None else ""


def command(args: list[str], runs: int, env: dict | None = None) -> dict[str, float]:
    """Median wall seconds of a whole `nd-sim` command, and its peak memory (MB)."""
    walls, trees, largest, servers = [], [], [], []
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp())
        cmd = [sys.executable, "-m", "nd_sim", *args, "--out", str(folder / "out")]
        stop, peak = threading.Event(), [0, 0, 0, 0]
        start = time.perf_counter()
        proc = psutil.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env
        )
        watcher = threading.Thread(target=_watch, args=(proc, stop, peak))
        watcher.start()
        _, err = proc.communicate()
        walls.append(time.perf_counter() - start)
        stop.set()
        watcher.join()
        trees.append(peak[0])
        largest.append(peak[1] or peak[2])  # no workers: the command's own process
        servers.append(peak[3])
        shutil.rmtree(folder, ignore_errors=True)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {err.decode()[-500:]}")
    return {
        "seconds": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "tree_mb": statistics.median(trees) / 2**20,
        "largest_mb": statistics.median(largest) / 2**20,
        "forkserver_mb": statistics.median(servers) / 2**20,
    }


def bench_command(runs: int, replications: int, jobs: int) -> dict[str, float]:
    """Median wall time and peak tree memory of the whole `nd-sim run` command."""
    args = ["run", str(SCENARIO), "--replications", str(replications), "--jobs", str(jobs)]
    got = command(args, runs)
    return {
        "command_seconds_median": got["seconds"],
        "command_seconds_min": got["min"],
        "command_seconds_max": got["max"],
        "peak_memory_mb_median": got["tree_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--command-runs", type=int, default=3)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rep = bench_replication(args.runs)
    ref = bench_replication(args.runs, reference.run_replication)
    compile_seconds = bench_compile()
    cmd = bench_command(args.command_runs, args.replications, args.jobs)
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        f"- one 5-year replication of lancashire.toml ({args.runs} runs): median "
        f"{rep['replication_seconds_median']:.3f} s (min {rep['replication_seconds_min']:.3f}, "
        f"max {rep['replication_seconds_max']:.3f}); "
        f"{rep['children_per_replication']:,.0f} children; "
        f"**{rep['children_per_second']:,.0f} children/s per core**, "
        f"{rep['appointments_per_second']:,.0f} appointments/s",
        f"- the same with the SimPy reference engine: median "
        f"{ref['replication_seconds_median']:.3f} s, {ref['children_per_second']:,.0f} "
        f"children/s ({ref['replication_seconds_median'] / rep['replication_seconds_median']:.1f}x"
        " the compiled engine's time)",
        f"- first replication with an empty numba cache (the one-off compile after installing):"
        f" {compile_seconds:.1f} s",
        f"- `nd-sim run scenarios/lancashire.toml --replications {args.replications} --jobs "
        f"{args.jobs}` ({args.command_runs} runs, outputs included): median "
        f"**{cmd['command_seconds_median']:.1f} s** (min {cmd['command_seconds_min']:.1f}, max "
        f"{cmd['command_seconds_max']:.1f}); peak memory of the process tree "
        f"**{cmd['peak_memory_mb_median']:,.0f} MB**",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    results = Path(__file__).with_name("results.md")
    if not results.exists():
        results.write_text(
            "# Benchmark results\n\nAppended by `python benchmarks/bench_engine.py`.\n\n"
        )
    with results.open("a") as handle:
        handle.write(text + "\n")


if __name__ == "__main__":
    main()
