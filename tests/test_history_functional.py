"""The history extract: read leniently, bad rows set aside with reasons, personal data and
unusable files refused with exit code 2."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.calibration.history import parse_date, read_column_map, read_history
from nd_sim.cli import app
from nd_sim.errors import ScenarioError
from nd_sim.scenario import load_scenario

from .conftest import SCENARIOS

runner = CliRunner()
AS_OF = dt.date(2026, 3, 31)
GOOD = {
    "referral_id": "R1",
    "district": "Preston",
    "referral_date": "2025-01-10",
    "triage_date": "2025-01-20",
    "triage_result": "accepted",
    "first_appointment_date": "2025-06-01",
    "exit_reason": "",
    "dnas": "0",
}


@pytest.fixture(scope="module")
def lancashire():
    return load_scenario(SCENARIOS / "lancashire.toml")


def _write(tmp_path: Path, rows: list[dict], name: str = "h.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_dates_iso_and_uk_unit() -> None:
    assert parse_date("2025-01-10") == dt.date(2025, 1, 10)
    assert parse_date("10/01/2025") == dt.date(2025, 1, 10)
    assert parse_date(" 1/2/2025 ") == dt.date(2025, 2, 1)
    assert parse_date("31/02/2025") is None and parse_date("2025/01/10") is None


def test_bad_rows_are_set_aside_with_reasons_functional(tmp_path: Path, lancashire) -> None:
    rows = [
        GOOD,
        {**GOOD, "referral_id": "R2", "district": " preston ", "referral_date": "11/01/2025",
         "triage_result": "ACCEPTED"},
        {**GOOD, "referral_id": "R1"},  # duplicate
        {**GOOD, "referral_id": "R3", "first_appointment_date": "2024-12-01"},
        {**GOOD, "referral_id": "R4", "district": "Atlantis"},
        {**GOOD, "referral_id": "R5", "referral_date": "someday"},
        {**GOOD, "referral_id": "R6", "exit_reason": "abducted"},
        {"referral_id": "R7", "district": "Wyre", "referral_date": "2026-06-01"},  # unused
    ]  # fmt: skip
    history = read_history(_write(tmp_path, rows), lancashire, AS_OF, {})
    assert list(history.rows.referral_id) == ["R1", "R2"]
    assert history.rows.district.tolist() == ["Preston", "Preston"]
    assert history.after_as_of == 1
    reasons = history.rejected.set_index("referral_id").reason
    assert "duplicate" in reasons["R1"]
    assert "before the referral" in reasons["R3"]
    assert "unknown district" in reasons["R4"]
    assert "must be a date" in reasons["R5"]
    assert "must be one of" in reasons["R6"]
    assert list(history.rejected.columns) == ["line", "referral_id", "column", "value", "reason"]


def test_a_column_map_renames_functional(tmp_path: Path, lancashire) -> None:
    rows = [{("Date of Referral" if k == "referral_date" else k): v for k, v in GOOD.items()}]
    mapping = tmp_path / "map.toml"
    mapping.write_text('referral_date = "Date of Referral"\n')
    history = read_history(_write(tmp_path, rows), lancashire, AS_OF, read_column_map(mapping))
    assert len(history.rows) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('birthday = "DOB"\n')
    with pytest.raises(ScenarioError, match="--map"):
        read_column_map(bad)


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ([{**GOOD, "NHS number": "943 476 5919"}], "personal"),
        ([{k: v for k, v in GOOD.items() if k != "district"}], "column district"),
        ([{**GOOD, "district": "Atlantis"}], "no usable referral"),
    ],
)
def test_unusable_history_exits_2_functional(tmp_path: Path, rows, words: str) -> None:
    out = tmp_path / "cal"
    args = ["calibrate", "--history", str(_write(tmp_path, rows)), "--as-of", "2026-03-31"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert words in " ".join(result.output.split()).lower() or words in result.output
    assert "Traceback" not in result.output and not out.exists()
