"""What a band includes: the play of chance alone, or uncertainty in the assumptions too.

Every output that shows an interval or a P10-P90 band says which kind it is, because a band
of chance alone is much narrower than what could really happen when the assumptions are
wrong, and a reader acting on it must know that.
"""

from __future__ import annotations

import pandas as pd

from nd_sim.engine.parameters import draws
from nd_sim.scenario.models import Scenario

CHANCE = "chance"
CHANCE_AND_ASSUMPTIONS = "chance_and_assumptions"


def band_kind(scenario: Scenario) -> str:
    """`chance_and_assumptions` when replications draw uncertain inputs, else `chance`."""
    drawn = scenario.run.parameter_uncertainty and scenario.uncertain
    return CHANCE_AND_ASSUMPTIONS if drawn else CHANCE


def band_words(scenario: Scenario) -> str:
    """One sentence for a reader: what the intervals and bands include."""
    n = len(scenario.uncertain)
    if band_kind(scenario) == CHANCE_AND_ASSUMPTIONS:
        inputs = "input" if n == 1 else "inputs"
        return (
            "The intervals and bands include uncertainty in the assumptions: each replication "
            f"drew its own values of the {n} uncertain {inputs} (parameter uncertainty on), "
            "as well as the play of chance."
        )
    if scenario.run.parameter_uncertainty:
        return (
            "The intervals and bands show the play of chance only: parameter uncertainty is "
            "on, but no input of the scenario has a range (low and high)."
        )
    ranged = f"; {n} inputs have ranges, so --parameter-uncertainty would add them" if n else ""
    return (
        "The intervals and bands show the play of chance between replications only, with "
        f"every assumption held at its value{ranged}. What really happens can fall outside "
        "them if an assumption is wrong."
    )


def parameters_frame(scenario: Scenario, seed: int, replications: int) -> pd.DataFrame:
    """Each replication's value of each uncertain input (empty without parameter uncertainty)."""
    if band_kind(scenario) != CHANCE_AND_ASSUMPTIONS:
        return pd.DataFrame(columns=["replication", "input", "value"])
    rows = [
        {"replication": r, "input": path, "value": value}
        for r in range(replications)
        for path, value in draws(scenario, seed, r).items()
    ]
    return pd.DataFrame(rows)
