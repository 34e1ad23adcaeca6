"""Shared fixtures: the shipped scenarios and a small one with every mechanism on."""

from __future__ import annotations

from pathlib import Path

import pytest

from nd_sim.inputs.model import Model, compile_model
from nd_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHIPPED = (
    "lancashire.toml",
    "north_4x.toml",
    "north_4x_mutual_aid.toml",
    "icb_funding.toml",
    "ep_surge.toml",
)


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


KINDS = ("unit", "functional", "validation", "backtest", "browser")


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test with its kind, read from its name or else its file's name (`_unit`,
    `_functional`, `_validation`, `_backtest`, `_browser`), so that `pytest -m unit` selects a kind;
    a test of no kind is an error, not a silent gap."""
    unkinded = []
    for item in items:
        name = item.originalname if hasattr(item, "originalname") else item.name
        kind = next((k for k in KINDS if name.endswith(f"_{k}")), None)
        kind = kind or next((k for k in KINDS if item.path.stem.endswith(f"_{k}")), None)
        if kind is None:
            unkinded.append(item.nodeid)
        else:
            item.add_marker(getattr(pytest.mark, kind))
    if unkinded:
        raise pytest.UsageError(f"tests of no kind (name them *_unit etc.): {unkinded[:5]}")
