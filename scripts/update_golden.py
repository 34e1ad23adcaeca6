"""Rewrite the exact golden summaries in tests/golden/ (deliberately; say why in the commit).

Each is the `summary.csv` of `nd-sim run SCENARIO --replications 4 --seed 2026`, byte for
byte. `tests/test_golden_backtest.py` compares against them and never writes them.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SCENARIOS = {
    "lancashire": ROOT / "scenarios" / "lancashire.toml",
    "north_4x": ROOT / "scenarios" / "north_4x.toml",
    "north_4x_mutual_aid": ROOT / "scenarios" / "north_4x_mutual_aid.toml",
    "icb_funding": ROOT / "scenarios" / "icb_funding.toml",
    "ep_surge": ROOT / "scenarios" / "ep_surge.toml",
    "small": ROOT / "tests" / "fixtures" / "small.toml",
}
REPLICATIONS = 4
SEED = 2026


def golden_summary(scenario: Path, out: Path) -> bytes:
    """The summary.csv bytes of a fixed-seed run of `scenario` (written under `out`)."""
    from nd_sim import compile_model, load_scenario, run_to_folder
    from nd_sim.run.settings import RunSettings

    run_to_folder(compile_model(load_scenario(scenario)), RunSettings(REPLICATIONS, SEED, out))
    return (out / "summary.csv").read_bytes()


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, scenario in SCENARIOS.items():
        tmp = Path(tempfile.mkdtemp())
        try:
            data = golden_summary(scenario, tmp / "run")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        (GOLDEN / f"{name}.summary.csv").write_bytes(data)
        print(f"wrote tests/golden/{name}.summary.csv", file=sys.stderr)


if __name__ == "__main__":
    main()
