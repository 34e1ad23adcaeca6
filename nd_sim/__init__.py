"""nd-sim: a discrete-event simulator of the neurodevelopmental assessment pathway.

The public API: load a scenario, compile it, run replications.
"""

from nd_sim.engine import run_replication
from nd_sim.model import compile_model
from nd_sim.runner import run_to_folder
from nd_sim.scenario import Scenario, load_scenario

__all__ = ["Scenario", "compile_model", "load_scenario", "run_replication", "run_to_folder"]
__version__ = "0.1.0"
