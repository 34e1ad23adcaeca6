"""Parameter uncertainty: each replication runs the scenario at its own draw of the inputs.

Each uncertain input is drawn once per replication from its own stream, keyed by (seed,
replication, ``parameters/<dotted path>``), and the draw is a quantile mapped through the
input's distribution. So replication k of every option sees the same quantile of every
shared input (common random numbers), and an option that changes an input's range moves
its draw monotonically, never to an unrelated value.
"""

from __future__ import annotations

from nd_sim.engine.rng import stream
from nd_sim.inputs.model import Model, compile_model
from nd_sim.scenario.models import Scenario, UncertainInput
from nd_sim.scenario.paths import get, parse
from nd_sim.scenario.uncertain import at, quantile

STREAM_PREFIX = "parameters/"


def draws(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    """The value of every uncertain input in one replication, by dotted path."""
    raw = scenario.model_dump(by_alias=True)
    out = {}
    for path, spec in sorted(scenario.uncertain.items()):
        u = float(stream(seed, replication, STREAM_PREFIX + factor(path, spec)).random())
        out[path] = quantile(spec, _value(raw, path), u)
    return out


def factor(path: str, spec: UncertainInput) -> str:
    """What an input's draw is keyed by: its group (shared by every member), or its path."""
    return f"group:{spec.group}" if spec.group else path


def scenario_at(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with its uncertain inputs at `values` (no ranges left to draw).

    Only the field checks run: the loader has already checked every sum and cross-reference
    with the inputs at both ends of their ranges, and groups of shares are re-summed to 1.
    """
    raw = scenario.model_dump(by_alias=True, exclude={"notes"})
    moved = at(raw, values, fresh=True)
    moved["run"] = {**moved["run"], "parameter_uncertainty": False}
    return Scenario.model_validate(moved).model_copy(update={"notes": scenario.notes})


def model_at(model: Model, values: dict[str, float]) -> Model:
    """The model compiled at `values`, reusing its starting list."""
    return compile_model(scenario_at(model.scenario, values), model.starting)


def replication_model(model: Model, replication: int, seed: int) -> Model:
    """The model replication `replication` runs: itself, unless parameter uncertainty is on
    and the scenario has uncertain inputs (then the model at this replication's draw)."""
    scenario = model.scenario
    if not (scenario.run.parameter_uncertainty and scenario.uncertain):
        return model
    return model_at(model, draws(scenario, seed, replication))


def _value(raw: dict, path: str) -> float:
    return float(get(raw, parse(path)))
