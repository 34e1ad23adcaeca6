"""Scenario files: models, loading with `extends`, and cross-checks."""

from nd_sim.scenario.loader import load_scenario
from nd_sim.scenario.models import Scenario

__all__ = ["Scenario", "load_scenario"]
