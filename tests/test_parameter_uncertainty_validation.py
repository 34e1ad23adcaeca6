"""Parameter uncertainty: bands widen with the ranges, collapse to chance alone when the
ranges are zero, and paired differences stay narrow (common random numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from nd_sim.engine.parameters import scenario_at
from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import compile_model
from nd_sim.results.kpis import replication_kpis
from nd_sim.scenario import load_scenario
from nd_sim.scenario.models import UncertainInput
from nd_sim.scenario.variants import with_parameter_uncertainty
from tests.conftest import FIXTURES

pytestmark = pytest.mark.validation
REPS = 30
SEED = 11
KPI = ("county", "child_weeks_waiting")


def _with_ranges(scale: float, on: bool = True):
    """The small scenario with three inputs given ranges `scale` times a base width."""
    base = load_scenario(FIXTURES / "small.toml")
    ranges = {
        "pathway.withdrawal.weekly_hazard": (0.004, 0.004),
        "pathway.dna.probability": (0.1, 0.08),
        "teams.north.staff.paediatrician.wte": (1.0, 0.5),
    }
    uncertain = {
        path: UncertainInput(low=v - scale * w, high=v + scale * w)
        for path, (v, w) in ranges.items()
    }
    sc = base.model_copy(update={"uncertain": uncertain})
    return with_parameter_uncertainty(sc, on)


def _kpi(model, reps=REPS) -> np.ndarray:
    out = []
    for r in range(reps):
        rows = replication_kpis(run_replication(model, r, SEED), model)
        out.append(next(v for a, _, k, v in rows if (a, k) == KPI))
    return np.array(out)


def test_zero_ranges_give_exactly_the_chance_only_spread() -> None:
    fixed = _kpi(compile_model(_with_ranges(0.0, on=False)))
    zero = _kpi(compile_model(_with_ranges(0.0, on=True)))
    np.testing.assert_array_equal(fixed, zero)


def test_the_spread_grows_as_the_ranges_widen() -> None:
    """The sd across replications rises with the width. The replications are the same
    children at every width (common random numbers), so chance adds the same variance to
    each and the widths differ only by what the inputs add: the order is strict, and at the
    full width the inputs' part (about the chance part here) must show as a 1.5-fold sd."""
    sds = [float(np.std(_kpi(compile_model(_with_ranges(s))), ddof=1)) for s in (0.0, 0.5, 1.0)]
    assert sds[0] < sds[1] < sds[2]
    assert sds[2] > 1.5 * sds[0]


def test_paired_differences_stay_narrow_under_parameter_uncertainty() -> None:
    """One more paediatrician in the north, with every assumption uncertain: the paired
    difference's sd is a small part of the KPI's own spread (the draws are shared)."""
    base_sc = _with_ranges(1.0)
    more = base_sc.model_copy(
        update={"teams": {**base_sc.teams, "north": base_sc.teams["north"].model_copy(
            update={"staff": {**base_sc.teams["north"].staff, "psychologist": base_sc.teams[
                "north"].staff["psychologist"].model_copy(update={"wte": 2.5})}})}}
    )  # fmt: skip
    a, b = _kpi(compile_model(base_sc)), _kpi(compile_model(more))
    diff = b - a
    assert np.std(diff, ddof=1) < 0.25 * np.std(a, ddof=1)
    half_width = 2.045 * np.std(diff, ddof=1) / np.sqrt(REPS)  # t(0.975, 29)
    assert abs(diff.mean()) > half_width  # the change is still clearly resolved


def test_a_replication_runs_exactly_its_drawn_scenario() -> None:
    """Drawn inside the engine or set by hand: the same values give the same replication."""
    from nd_sim.engine.parameters import draws

    sc = _with_ranges(1.0)
    values = draws(sc, SEED, 3)
    by_hand = compile_model(scenario_at(sc, values))
    assert _kpi_one(compile_model(sc), 3) == _kpi_one(by_hand, 3)


def _kpi_one(model, r: int) -> float:
    rows = replication_kpis(run_replication(model, r, SEED), model)
    return next(v for a, _, k, v in rows if (a, k) == KPI)
