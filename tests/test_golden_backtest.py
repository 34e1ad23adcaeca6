"""Exact golden results: the same seed gives a byte-identical summary.csv.

The committed files in tests/golden/ were written by `python scripts/update_golden.py`
(4 replications, seed 2026); this test only reads them, so a change in any result, however
small, fails here until someone regenerates them on purpose and says why.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
_spec = importlib.util.spec_from_file_location(
    "update_golden", ROOT / "scripts" / "update_golden.py"
)
update_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_golden)


@pytest.mark.parametrize("name", sorted(update_golden.SCENARIOS))
def test_summary_is_byte_identical_backtest(name: str, tmp_path: Path) -> None:
    expected = (GOLDEN / f"{name}.summary.csv").read_bytes()
    now = update_golden.golden_summary(update_golden.SCENARIOS[name], tmp_path / "run")
    assert now == expected, f"{name}: summary.csv differs from tests/golden (see module doc)"
