"""Bad input to `nd-sim size` and `nd-sim options` is refused before anything is staged.

Every case: exit code 2, a message naming the option (and the rule), no traceback, no
`--out` folder and no hidden `.<out>.partial` (or any other file) beside it. The cases are
those an independent tester found accepted, crashing or leaving a staged folder behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nd_sim.cli import app

from .conftest import FIXTURES

runner = CliRunner()
SMALL = FIXTURES / "small.toml"
SIZE = {
    "--target": "first_within_13w_pct >= 50",
    "--by": "2027-06-30",
    "--lever": "paediatrician",
}
OPTIONS = {"--budget-gbp": "100000"}
# --option files that extend the small fixture but cannot be compared with it
NOT_COMPARABLE = {
    "horizon": "horizon_weeks = 52\n",
    "start": "start_date = 2026-05-01\n",
    "districts": '[districts.D]\nteam = "north"\nreferrals_per_week = 1.0\n',
}


def _refused(command: str, args: list[str], named: str, words: str, tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    out = results / "out"
    result = runner.invoke(app, [command, str(SMALL), *args, "-n", "2", "--out", str(out)])
    text = result.output.replace("\n", " ")
    assert result.exit_code == 2, text
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in text and "internal error" not in text, text
    assert named in text, text
    assert words in text, text
    assert not out.exists()
    assert sorted(p.name for p in results.iterdir()) == [], "something was left beside --out"


def _flat(base: dict[str, str], change: dict[str, str]) -> list[str]:
    args = []
    for key, value in {**base, **change}.items():
        args += [key, value]
    return args


@pytest.mark.parametrize(
    ("change", "named", "words"),
    [
        ({"--target": "open_end <= " + "9" * 400}, "--target", "finite"),
        ({"--target": "first_wait_median_weeks <= -3"}, "--target", "never below 0"),
        ({"--target": "open_end < 0"}, "--target", "can never be met"),
        ({"--target": "first_within_13w_pct > 100"}, "--target", "never above 100%"),
        ({"--target": "list_cleared >= 3"}, "--target", "yes/no target"),
        ({"--target": "list_cleared <= 0"}, "--target", "write it on its own"),
        ({"--lever": "paediatrician,paediatrician"}, "--lever", "more than once"),
        ({"--lever": "funding_gbp:psychologist,psychologist"}, "--lever", "more than once"),
        ({"--step": "50", "--cap": "10"}, "--step", "larger than the cap"),
        ({"--step": "50"}, "--step", "larger than the cap (40)"),
        ({"--step": "1e-300"}, "--step", "grid points above 0; at most 10,000"),
        ({"--step": "0.001", "--cap": "100"}, "--step", "100,000 grid points"),
        ({"--cap": "10000", "--step": "0.5"}, "--step", "20,000 grid points"),
        ({"--cap": "20000", "--step": "100"}, "--cap", "at most 10,000"),
        ({"--lever": "outsourced_per_month", "--cap": "1e10"}, "--cap", "100,000,000"),
        ({"--lever": "outsourced_per_month", "--cap": "1e6"}, "--cap", "grid points"),
        ({"--lever": "funding_gbp", "--cap": "1e10"}, "--cap", "most a funding budget"),
        ({"--lever": "workshop_uptake", "--cap": "2"}, "--cap", "an uptake is at most 1"),
        ({"--lever": "outsourced_per_month", "--price-gbp-each": "0"}, "--price-gbp-each", "(0,"),
        ({"--price-gbp-each": "-5"}, "--price-gbp-each", "(0,"),
    ],
)
def test_size_refuses_bad_input_before_staging_functional(
    change: dict[str, str], named: str, words: str, tmp_path: Path
) -> None:
    _refused("size", _flat(SIZE, change), named, words, tmp_path)


@pytest.mark.parametrize(
    ("change", "named", "words"),
    [
        ({"--price-gbp-each": "0"}, "--price-gbp-each", "(0,"),
        ({"--price-gbp-each": "1e-300"}, "--budget-gbp / --price-gbp-each", "100,000,000"),
        (
            {"--budget-gbp": "1e10", "--price-gbp-each": "0.01"},
            "--budget-gbp / --price-gbp-each",
            "999,999,999,999 outsourced assessments",
        ),
        ({"--budget-gbp": "0"}, "--budget-gbp", "(0,"),
        ({"--from": "2030-01-01"}, "--from", "from 2026-04-01 to 2028-03-28"),
        ({"--from": "2026-03-31"}, "--from", "inside the scenario's horizon"),
    ],
)
def test_options_refuses_bad_input_before_staging_functional(
    change: dict[str, str], named: str, words: str, tmp_path: Path
) -> None:
    _refused("options", _flat(OPTIONS, change), named, words, tmp_path)


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("horizon", "horizon_weeks: 52"),
        ("start", "must equal the base's start_date (2026-04-01)"),
        ("districts", "same districts"),
    ],
)
def test_options_refuses_an_option_not_comparable_leaving_nothing_functional(
    case: str, words: str, tmp_path: Path
) -> None:
    own = tmp_path / "mine" / f"own_{case}.toml"
    own.parent.mkdir()
    own.write_text(f'extends = "{SMALL.as_posix()}"\nname = "mine"\n{NOT_COMPARABLE[case]}')
    args = [*_flat(OPTIONS, {}), "--option", str(own)]
    _refused("options", args, f"--option {own}", words, tmp_path)
