"""How a command runs its replications: one set of settings for every simulating command.

`run`, `sweep`, `compare`, `options`, `size` and `families` all take the same options
(`--replications --seed --jobs --dask --resume --out --force`) and go through the same
chunked, resumable path over the executors, so each of them can run on a Dask cluster and
finish an interrupted run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nd_sim.run.executors import Executor, make_executor


@dataclass(frozen=True)
class RunSettings:
    """Replications, seed, where they run, and where the results go."""

    replications: int
    seed: int
    out: Path
    jobs: int = 1
    dask: str | None = None
    resume: bool = False
    force: bool = False

    def executor(self) -> Executor:
        """The executor these settings ask for (the caller closes it)."""
        return make_executor(self.jobs, self.dask)

    def describe(self) -> str:
        """Where the replications run, in words for the terminal."""
        if self.dask:
            return f"Dask ({self.dask})"
        return f"{self.jobs} process{'es' if self.jobs > 1 else ''}"
