"""Hostile command-line numbers and dates are refused by name, with exit 2 and no traceback.

The options are read off the command tree, so a numeric option added to any command is
fuzzed without anyone remembering to add it here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nd_sim.cli import app

from .conftest import FIXTURES, SCENARIOS

HOSTILE_NUMBERS = ("nan", "inf", "-inf", "1e308", "-1e308", "-1", "abc", "", "99999999999999999999")
HOSTILE_DATES = ("yesterday", "0001-01-01", "9999-12-31", "2026-02-30", "", "1e308")
DATE_OPTIONS = {"--as-of", "--from", "--by"}
# What each command needs besides the option under test, so that only that option is wrong.
NEEDS = {
    "run": [str(FIXTURES / "small.toml")],
    "compare": [str(FIXTURES / "small.toml"), str(FIXTURES / "small_more_staff.toml")],
    "sweep": [
        str(SCENARIOS / "lancashire.toml"),
        "--grid",
        str(SCENARIOS / "sweeps" / "staff_mix.toml"),
    ],
    "options": [str(FIXTURES / "small.toml"), "--budget-gbp", "100000"],
    "size": [
        str(FIXTURES / "small.toml"),
        "--target",
        "first_within_13w_pct >= 50",
        "--by",
        "2027-06-30",
        "--lever",
        "paediatrician",
    ],
    "families": [
        str(FIXTURES / "small.toml"),
        "--waiting-list",
        str(FIXTURES / "small_list.csv"),
        "--as-of",
        "2026-04-01",
    ],
    "backtest": ["--history", str(FIXTURES / "history_small.csv"), "--from", "2025-06-01"],
    "sensitivity": [str(FIXTURES / "small_uncertain.toml"), "-n", "2", "-t", "2"],
    "calibrate": ["--history", str(FIXTURES / "history_small.csv"), "--as-of", "2025-06-01"],
}


def _numeric_options() -> list[tuple[str, str]]:
    root = typer.main.get_command(app)
    out = []
    for name, command in sorted(root.commands.items()):
        for param in command.params:
            annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
            if param.opts[0].startswith("--") and annotation in (int, float):
                out.append((name, param.opts[0]))
    return out


NUMERIC = _numeric_options()


def _without(args: list[str], option: str) -> list[str]:
    """The needed arguments less the option under test (and its value)."""
    if option not in args:
        return list(args)
    k = args.index(option)
    return args[:k] + args[k + 2 :]


def _refused(command: str, option: str, value: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [command, *_without(NEEDS[command], option), "--out", str(out), f"{option}={value}"]
    result = CliRunner().invoke(app, args)
    text = result.output
    assert result.exit_code == 2, (args, text)
    assert "Traceback" not in text
    assert option in text, text
    assert not out.exists()


def test_every_numeric_option_is_found_functional() -> None:
    found = set(NUMERIC)
    for expected in (
        ("run", "--replications"),
        ("run", "--jobs"),
        ("run", "--seed"),
        ("size", "--step"),
        ("size", "--cap"),
        ("size", "--confidence"),
        ("options", "--budget-gbp"),
        ("options", "--over-months"),
    ):
        assert expected in found, expected


@pytest.mark.parametrize("command,option", NUMERIC, ids=[f"{c}{o}" for c, o in NUMERIC])
def test_numeric_options_refuse_hostile_values_functional(
    command: str, option: str, tmp_path: Path
) -> None:
    if command not in NEEDS:
        pytest.skip(f"{command} has no simulation options to fuzz")
    for value in HOSTILE_NUMBERS:
        _refused(command, option, value, tmp_path)


@pytest.mark.parametrize(
    "command,option",
    [
        ("families", "--as-of"),
        ("options", "--from"),
        ("size", "--by"),
        ("calibrate", "--as-of"),
        ("backtest", "--from"),
    ],
)
def test_date_options_refuse_hostile_values_functional(
    command: str, option: str, tmp_path: Path
) -> None:
    for value in HOSTILE_DATES:
        _refused(command, option, value, tmp_path)


def test_replications_are_capped_as_in_the_file_functional(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", str(FIXTURES / "small.toml"), "-n", "1000000000", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "1000000000" in result.output and "100000" in result.output
