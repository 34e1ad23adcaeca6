"""Scenario loading: extends, notes beside numbers, every problem at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nd_sim.engine.rng import stream
from nd_sim.errors import ScenarioError
from nd_sim.scenario import load_scenario
from nd_sim.scenario.loader import deep_merge

from .conftest import FIXTURES, SCENARIOS


def test_notes_are_lifted_unit() -> None:
    sc = load_scenario(FIXTURES / "mini.toml")
    assert sc.professions["paediatrician"].hours_per_wte_week == 37.5
    assert sc.notes["professions.paediatrician.hours_per_wte_week"] == "Agenda for Change full time"


def test_shipped_scenarios_note_their_numbers_unit() -> None:
    sc = load_scenario(SCENARIOS / "lancashire.toml")
    assert any("assumption" in note.lower() for note in sc.notes.values())
    assert all(f"districts.{d}.referrals_per_week" in sc.notes for d in sc.districts)


def test_extends_merges_tables_and_replaces_lists_unit(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{(FIXTURES / "small.toml").as_posix()}"\nname = "child"\n'
        "[districts.A]\nreferrals_per_week = 9.0\n[pathway]\nworkshops = []\n"
    )
    sc = load_scenario(child)
    assert sc.name == "child"
    assert sc.districts["A"].referrals_per_week == 9.0 and sc.districts["A"].team == "north"
    assert sc.pathway.workshops == [] and len(sc.pathway.appointments) == 3
    assert sc.starting_list.csv.endswith("small_list.csv") and Path(sc.starting_list.csv).exists()


def test_deep_merge_unit() -> None:
    merged = deep_merge({"a": {"b": 1, "c": [1]}, "d": 2}, {"a": {"c": [2]}, "e": 3})
    assert merged == {"a": {"b": 1, "c": [2]}, "d": 2, "e": 3}


def test_all_problems_reported_together_unit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{(FIXTURES / "small.toml").as_posix()}"\nname = "bad"\n'
        '[districts.A]\nteam = "nowhere"\nreferals_per_week = 3\n'
        "[pathway.outcomes]\nautism = 0.9\n"
        '[[interventions]]\nkind = "funding"\nbudget_gbp = -5\nfrom = 2026-01-01\n'
        "over_months = 12\nspend_on = { dentist = 1.0 }\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    text = info.value.describe()
    for needle in (
        "districts.A.referals_per_week",
        "did you mean 'referrals_per_week'",
        "districts.A.team: 'nowhere'",
        "pathway.outcomes",
        "interventions[0].budget_gbp",
        "interventions[0].spend_on.dentist",
    ):
        assert needle in text, (needle, text)


def test_streams_are_keyed_by_name_not_order_unit() -> None:
    a = stream(1, 0, "referrals/Preston").random(5)
    b = stream(1, 0, "referrals/Preston").random(5)
    c = stream(1, 1, "referrals/Preston").random(5)
    d = stream(1, 0, "referrals/Wyre").random(5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, d)
