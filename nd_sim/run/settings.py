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

# Per-child rows are written for this many replications (the first ones) unless asked
# otherwise: enough for the report's cohort figures and for a look at individual children,
# while 1,000 replications of Lancashire would otherwise write 24 million rows that cost
# more than the simulation. KPIs and weekly counts always cover every replication.
DEFAULT_CHILD_ROWS = 50


def rows_kept(child_rows: int | None, replications: int) -> int:
    """How many replications (the first ones) of `replications` write their per-child rows
    when `child_rows` are asked for (None: all)."""
    return replications if child_rows is None else min(child_rows, replications)


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
    child_rows: int | None = DEFAULT_CHILD_ROWS  # replications with per-child rows; None: all
    split_teams: bool = False  # each replication split by team over the workers
    kpis_csv: bool = False  # the KPIs by replication as CSV even beyond a spreadsheet's rows

    def child_row_replications(self, replications: int | None = None) -> int:
        """How many replications (the first ones) write their per-child rows."""
        total = self.replications if replications is None else replications
        return rows_kept(self.child_rows, total)

    def executor(self) -> Executor:
        """The executor these settings ask for (the caller closes it)."""
        return make_executor(self.jobs, self.dask)

    def describe(self) -> str:
        """Where the replications run, in words for the terminal."""
        if self.dask:
            return f"Dask ({self.dask})"
        return f"{self.jobs} process{'es' if self.jobs > 1 else ''}"
