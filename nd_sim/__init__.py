"""nd-sim: a discrete-event simulator of the neurodevelopmental assessment pathway.

The public API: load a scenario, compile it, run replications. The names are loaded on
first use, so that `import nd_sim` (or any of its small modules) stays light: the engine,
pandas and pyarrow are imported only by what needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "Scenario": "nd_sim.scenario.models",
    "load_scenario": "nd_sim.scenario.loader",
    "compile_model": "nd_sim.inputs.model",
    "run_replication": "nd_sim.engine.replication",
    "run_to_folder": "nd_sim.run.runner",
}
__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'nd_sim' has no attribute {name!r}")
