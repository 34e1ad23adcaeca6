"""`--split-teams`: each replication run as parts by team across the workers, merged.

Worth it for few replications of many teams (England as one scenario), where the usual
one-replication-per-worker leaves workers idle; with many replications, running whole
replications side by side is quicker (no merge, no duplicated set-up). See docs/scale.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from nd_sim.engine.raw import RawResults
from nd_sim.engine.split import Part, run_part, run_split
from nd_sim.inputs.model import Model
from nd_sim.run.executors import Executor, Task


@dataclass(frozen=True)
class SplitByTeam:
    """`simulate(model, replication, seed)` for `run_one`: the replication's parts (one per
    worker, whole groups of linked teams each) run on `executor`, then merged to the rows
    of a serial run."""

    executor: Executor

    def __call__(self, model: Model, replication: int, seed: int) -> RawResults:
        def run_parts(plan: list[list[int]]) -> list[Part]:
            tasks = [Task(0, (replication, seed, districts)) for districts in plan]
            done = dict(self.executor.run(run_part, [model], tasks))
            return [done[k] for k in range(len(plan))]

        return run_split(model, replication, seed, max(1, self.executor.workers), run_parts)
