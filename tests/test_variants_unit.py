"""Scenarios the program builds are validated like files: a bad variant is refused."""

from __future__ import annotations

import pytest

from nd_sim.errors import ScenarioError
from nd_sim.scenario import load_scenario
from nd_sim.scenario.variants import checked, varied

from .conftest import FIXTURES


def test_a_valid_variant_round_trips_unit() -> None:
    sc = load_scenario(FIXTURES / "small.toml")
    again = checked(sc, "test")
    assert again == sc and again.notes == sc.notes
    assert varied(sc, "test", name="renamed").name == "renamed"


def test_a_variant_breaking_a_cross_check_is_refused_unit() -> None:
    sc = load_scenario(FIXTURES / "small.toml")
    staff = sc.interventions[2].model_copy(update={"team": "nowhere"})
    with pytest.raises(ScenarioError) as caught:
        varied(sc, "option: bad", interventions=[staff])
    assert "interventions[0].team" in caught.value.describe()
    assert "option: bad" in caught.value.describe()


def test_a_variant_breaking_a_field_rule_is_refused_unit() -> None:
    sc = load_scenario(FIXTURES / "small.toml")
    with pytest.raises(ScenarioError, match="horizon_weeks"):
        varied(sc, "test", horizon_weeks=0)
