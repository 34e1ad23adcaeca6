"""Scenarios made by the program (an option, a lever value, a family projection) are
checked exactly as a file would be.

A variant built with pydantic's `model_copy(update=...)` skips validation and every
cross-check: an intervention naming a team that does not exist, or shares that no longer
sum to 1, would reach the engine. `checked` runs the variant back through the loader's
validation, so the same rules hold whoever wrote the scenario.
"""

from __future__ import annotations

from typing import Any

from nd_sim.scenario.loader import validate_raw
from nd_sim.scenario.models import Scenario
from nd_sim.scenario.uncertain import prune_ranges


def checked(scenario: Scenario, source: str) -> Scenario:
    """`scenario`, validated as a file (raises `ScenarioError` naming `source`)."""
    raw = prune_ranges(scenario.model_dump(by_alias=True, exclude={"notes"}))
    return validate_raw(raw, scenario.notes, source)


def varied(scenario: Scenario, source: str, **changes: Any) -> Scenario:
    """`scenario` with top-level fields changed, validated as a file."""
    return checked(scenario.model_copy(update=changes), source)


def with_parameter_uncertainty(scenario: Scenario, on: bool | None) -> Scenario:
    """`scenario` with parameter uncertainty switched on or off (None: as the file says)."""
    if on is None or on == scenario.run.parameter_uncertainty:
        return scenario
    run = scenario.run.model_copy(update={"parameter_uncertainty": on})
    return scenario.model_copy(update={"run": run})
