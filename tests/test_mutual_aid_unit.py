"""Mutual aid: hours move from the lender to the borrower for the loan's weeks, the
overhead is lost, nothing else changes; a bad loan is refused naming the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import load_scenario
from nd_sim.scenario.models import MutualAid

from .conftest import SCENARIOS

runner = CliRunner()


def _with(loans: list[dict]):
    base = load_scenario(SCENARIOS / "lancashire.toml")
    items = [MutualAid.model_validate({"kind": "mutual_aid", **loan}) for loan in loans]
    return base, base.model_copy(update={"interventions": [*base.interventions, *items]})


def _hours(scenario) -> np.ndarray:
    return compile_model(scenario).capacity.hours


LOAN = {
    "lender": "central",
    "borrower": "north",
    "profession": "clinical_psychologist",
    "from": dt.date(2026, 9, 1),
    "until": dt.date(2027, 9, 1),
}


@pytest.mark.parametrize("overhead", [0.0, 0.1])
def test_a_share_moves_hours_and_loses_only_the_overhead_unit(overhead: float) -> None:
    base, aided = _with([{**LOAN, "share": 0.25, "overhead_share": overhead}])
    before, after = _hours(base), _hours(aided)
    model = compile_model(base)
    c, n = model.teams.index("central"), model.teams.index("north")
    p = model.professions.index("clinical_psychologist")
    lent = before[c, p] - after[c, p]
    gained = after[n, p] - before[n, p]
    assert np.allclose(gained, lent * (1 - overhead))
    assert lent.max() == pytest.approx(0.25 * before[c, p].max())
    weeks = np.nonzero(lent > 0)[0]
    start = (dt.date(2026, 9, 1) - base.start_date).days / 7
    assert weeks[0] == int(start) and len(weeks) in (52, 53, 54)  # a year, part weeks pro rata
    others = np.ones(before.shape, bool)
    others[[c, n], p, :] = False
    assert np.array_equal(before[others], after[others])  # no other team or profession moves


def test_hours_a_week_are_capped_by_what_the_lender_has_unit() -> None:
    base, aided = _with([{**LOAN, "hours_per_week": 1000.0}])
    model = compile_model(base)
    c = model.teams.index("central")
    p = model.professions.index("clinical_psychologist")
    after = _hours(aided)
    assert after[c, p].min() >= 0.0
    assert (after[c, p] == 0).sum() >= 50  # lent everything it had in full weeks


def test_two_loans_apply_in_order_unit() -> None:
    base, aided = _with([{**LOAN, "share": 0.5}, {**LOAN, "share": 0.5}])
    model = compile_model(base)
    c, p = model.teams.index("central"), model.professions.index("clinical_psychologist")
    before, after = _hours(base), _hours(aided)
    full = np.nonzero((before[c, p] - after[c, p]) > 0)[0][5]  # a full week of the loan
    assert after[c, p, full] == pytest.approx(0.25 * before[c, p, full])


BAD = [
    ({"lender": "north"}, "borrower", "cannot lend to itself"),
    ({"lender": "nowhere"}, "lender", "unknown team"),
    ({"profession": "wizard"}, "profession", "unknown profession"),
    ({"share": None}, "share", "exactly one"),
    ({"hours_per_week": 10.0}, "share", "exactly one"),
    ({"until": "2026-08-01"}, "until", "must be after"),
    ({"share": 1.5}, "share", ""),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD)
def test_a_bad_loan_is_refused_naming_the_field_functional(
    tmp_path: Path, change: dict, field: str, words: str
) -> None:
    loan = {**LOAN, "share": 0.25, **change}
    lines = [
        'extends = "' + (SCENARIOS / "lancashire.toml").as_posix() + '"',
        "",
        "[[interventions]]",
    ]
    lines.append('kind = "mutual_aid"')
    for key, value in loan.items():
        if value is None:
            continue
        text = (
            f'"{value}"' if isinstance(value, str) and key not in ("from", "until") else str(value)
        )
        lines.append(f"{key} = {text}")
    path = tmp_path / "bad.toml"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert f"interventions[0].{field}" in flat and words in flat
    assert "Traceback" not in result.output
