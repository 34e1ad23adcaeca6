"""What parameter uncertainty and `nd-sim sensitivity` cost, on the shipped Lancashire.

Measures (medians after a warm-up, in this process):
1. one replication of ``scenarios/lancashire.toml`` (70 inputs with ranges) with and without
   parameter uncertainty, and the draw alone (streams, scenario at the values, compile);
2. the whole command ``nd-sim sensitivity scenarios/lancashire.toml -t 2 -n 2 --jobs 2``
   (59 factors: 2 x 60 Morris points + 119 tornado points, 2 replications each).

Run: ``python benchmarks/bench_uncertainty.py [--runs 5]``; it prints a table to paste into
``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nd_sim.engine.parameters import replication_model  # noqa: E402
from nd_sim.engine.replication import run_replication  # noqa: E402
from nd_sim.inputs.model import compile_model  # noqa: E402
from nd_sim.scenario import load_scenario  # noqa: E402
from nd_sim.scenario.variants import with_parameter_uncertainty  # noqa: E402

SCENARIO = ROOT / "scenarios" / "lancashire.toml"


def _median_seconds(work, runs: int) -> float:
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    base = load_scenario(SCENARIO)
    fixed = compile_model(with_parameter_uncertainty(base, False))
    drawn = compile_model(with_parameter_uncertainty(base, True))
    rows = [
        (
            "replication, assumptions fixed",
            _median_seconds(lambda: run_replication(fixed, 0, 1), runs),
        ),
        (
            "replication, parameter uncertainty",
            _median_seconds(lambda: run_replication(drawn, 0, 1), runs),
        ),
        (
            "the draw alone (70 inputs)",
            _median_seconds(lambda: replication_model(drawn, 0, 1), runs),
        ),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, "-m", "nd_sim", "sensitivity", str(SCENARIO), "-t", "2", "-n", "2",
            "--jobs", "2", "--out", str(Path(tmp) / "sens"),
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        rows.append(
            (
                "nd-sim sensitivity -t 2 -n 2 --jobs 2 (478 replications)",
                time.perf_counter() - started,
            )
        )
    print("| measure | seconds |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
