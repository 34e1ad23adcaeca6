"""Shared fixtures: the shipped scenarios and a small one with every mechanism on."""

from __future__ import annotations

from pathlib import Path

import pytest

from nd_sim.model import Model, compile_model
from nd_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHIPPED = ("lancashire.toml", "north_4x.toml", "icb_funding.toml", "ep_surge.toml")


@pytest.fixture(scope="session")
def small_model() -> Model:
    """Every mechanism switched on, two teams, two years."""
    return compile_model(load_scenario(FIXTURES / "small.toml"))


@pytest.fixture(scope="session")
def lancashire_model() -> Model:
    """The shipped default scenario."""
    return compile_model(load_scenario(SCENARIOS / "lancashire.toml"))


def shipped_model(name: str) -> Model:
    """One of the shipped scenarios, compiled."""
    return compile_model(load_scenario(SCENARIOS / name))
