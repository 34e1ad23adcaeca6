"""What a run will cost in memory, disk and children simulated, estimated before it starts.

A scenario with 100,000 referrals a week, or a command line asking for a billion
replications, validates; without this check it then runs until the machine runs out of
memory or disk, which on a shared machine takes everyone else's work down with it. The
estimate is arithmetic on the compiled model (expected referrals, the engine's array sizes,
measured bytes per output row), so it costs nothing next to a run. Above the limits in
:data:`LIMITS_TEXT` a command refuses with exit 2, the estimate and what to change;
``--allow-large`` runs it anyway.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nd_sim.errors import Problem, ScenarioError
from nd_sim.inputs.model import Model
from nd_sim.run.settings import rows_kept

# Measured on the shipped Lancashire scenario (docs/scale.md): a worker process with numpy,
# numba and the compiled engine loaded; bytes each child costs outside the engine's queues
# (its columns, its habits, KPIs and the child table); Parquet bytes per child row, per
# weekly row and per staff row as written (zstd); the parent's memory per replication for
# each area's KPIs (kept to summarise at the end).
PROCESS_BYTES = 350e6
SERVER_BYTES = 160e6  # local workers' forkserver (`run.workers`): 154 MB measured (PSS)
CHILD_BYTES = 1_200.0
CHILD_ROW_DISK_BYTES = 16.0
WEEKLY_ROW_DISK_BYTES = 12.0
STAFF_ROW_DISK_BYTES = 2.0
KPI_BYTES_PER_AREA_REPLICATION = 5_000.0

MEMORY_SHARE_LIMIT = 0.8  # of this machine's memory
DISK_SHARE_LIMIT = 0.9  # of the free space where the results go
MAX_CHILD_REPLICATIONS = 5e9  # children x replications: about 3 hours at 500,000 a second
LIMITS_TEXT = (
    f"peak memory above {MEMORY_SHARE_LIMIT:.0%} of this machine's memory, results above "
    f"{DISK_SHARE_LIMIT:.0%} of the free disk space where they go, or more than "
    f"{MAX_CHILD_REPLICATIONS:,.0f} children simulated in all"
)


@dataclass(frozen=True)
class Estimate:
    """A run's expected size: children, replications, peak memory and disk."""

    children_per_replication: float  # of the largest variant
    children_total: float  # over every replication of every variant
    replications: int
    memory_bytes: float
    disk_bytes: float
    memory_limit_bytes: float | None
    disk_limit_bytes: float | None

    def problems(self) -> list[Problem]:
        """Every limit the run breaks, each with the estimate and what to change."""
        out = []
        if self.children_total > MAX_CHILD_REPLICATIONS:
            rule = (
                f"about {self.children_total:,.0f} children would be simulated in all; "
                "the limit is "
                f"{MAX_CHILD_REPLICATIONS:,.0f}: use fewer --replications, a shorter "
                "horizon, or pass --allow-large"
            )
            out.append(Problem("--replications", self.replications, rule))
        if self.memory_limit_bytes is not None and self.memory_bytes > self.memory_limit_bytes:
            rule = (
                f"needs about {_gb(self.memory_bytes)} of memory at its peak; this machine "
                f"allows {_gb(self.memory_limit_bytes)}: use fewer --jobs, fewer "
                "--replications, smaller referral rates or a shorter horizon, or pass "
                "--allow-large"
            )
            out.append(Problem("(memory)", _gb(self.memory_bytes), rule))
        if self.disk_limit_bytes is not None and self.disk_bytes > self.disk_limit_bytes:
            room = (
                "there is no free space where they go"
                if self.disk_limit_bytes <= 0
                else f"{_gb(self.disk_limit_bytes)} may be used where they go"
            )
            rule = (
                f"would write about {_gb(self.disk_bytes)} of results; {room}: use fewer "
                "--replications, choose an --out on a bigger disk, or pass --allow-large"
            )
            out.append(Problem("--out", _gb(self.disk_bytes), rule))
        return out

    def describe(self) -> str:
        """One line for the terminal and the manifest."""
        return (
            f"about {self.children_per_replication:,.0f} children a replication, "
            f"{self.children_total:,.0f} in all; peak memory about {_gb(self.memory_bytes)}; "
            f"results about {_gb(self.disk_bytes)}"
        )


def children_per_replication(model: Model) -> float:
    """Expected children in one replication: today's list, the referrals over the horizon,
    and the families who come back."""
    referrals = sum(float(rates.sum()) for rates in model.rates_per_day)
    listed = len(model.starting) + sum(b.count for b in model.scenario.starting_list.profile)
    back = model.scenario.pathway.rereferral.probability
    returns = 1.0 / (1.0 - back) if back < 1 else 1e6  # each exit can come back, and again
    return (referrals + listed) * returns


def queue_bytes_per_child(steps: int, workshops: int) -> int:
    """The engine's queues, per child (`engine.replication.queue_places`): a place in its
    new-patient or returning list, more information, staging, each follow-up step after the
    first, and the withdrawal heap (16 bytes each); the triage and workshop queues and six
    scratch rows (8 bytes each). None of it grows with the number of teams."""
    return 16 * (5 + steps) + 8 * (7 + workshops)


def replication_bytes(model: Model) -> float:
    """Peak memory of one replication in a worker: the process, each child's columns, and
    the engine's queues."""
    steps = model.n_steps
    workshops = len(model.scenario.pathway.workshops)
    queue_bytes = queue_bytes_per_child(steps, workshops)
    return PROCESS_BYTES + children_per_replication(model) * (CHILD_BYTES + queue_bytes)


def estimate(
    models: Sequence[Model],
    replications: int,
    workers: int,
    out: Path | None,
    child_rows: int | None = None,
) -> Estimate:
    """The size of running every model `replications` times on `workers` processes.

    `child_rows` is how many replications write a row per child (children.parquet; None:
    every one).
    """
    children = [children_per_replication(m) for m in models]
    areas = sum(len(m.districts) + len(m.teams) + 1 for m in models)
    parent = PROCESS_BYTES + KPI_BYTES_PER_AREA_REPLICATION * areas * replications
    worker = max(replication_bytes(m) for m in models)
    if workers > 1:
        memory = parent + SERVER_BYTES + min(workers, replications * len(models)) * worker
    else:  # the parent runs the replications itself
        memory = parent + worker - PROCESS_BYTES
    disk = 0.0
    with_rows = rows_kept(child_rows, replications)
    for m in models:
        weekly_rows = m.weeks * (len(m.districts) + len(m.teams) + 1)
        staff_rows = m.weeks * len(m.teams) * len(m.professions)
        per = WEEKLY_ROW_DISK_BYTES * weekly_rows + STAFF_ROW_DISK_BYTES * staff_rows
        disk += per * replications
        disk += CHILD_ROW_DISK_BYTES * children_per_replication(m) * with_rows
    return Estimate(
        children_per_replication=max(children),
        children_total=sum(children) * replications,
        replications=replications,
        memory_bytes=memory,
        disk_bytes=disk,
        memory_limit_bytes=_memory_limit(),
        disk_limit_bytes=_disk_limit(out),
    )


def check(found: Estimate, allow_large: bool) -> None:
    """Refuse (exit 2 at the command line) a run above the limits, unless allowed."""
    problems = found.problems()
    if problems and not allow_large:
        raise ScenarioError(f"this run is too large ({found.describe()})", problems)


def _memory_limit() -> float | None:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None  # not knowable here (not POSIX): no memory limit
    return MEMORY_SHARE_LIMIT * total


def _disk_limit(out: Path | None) -> float | None:
    if out is None:
        return None
    place = Path(os.path.abspath(out))
    while not place.exists() and place != place.parent:
        place = place.parent
    try:
        free = shutil.disk_usage(place).free
    except OSError:
        return None
    return DISK_SHARE_LIMIT * free


def _gb(n_bytes: float) -> str:
    if not math.isfinite(n_bytes):
        return "more than any machine has"
    if n_bytes >= 1e9:
        return f"{n_bytes / 1e9:,.1f} GB"
    return f"{n_bytes / 1e6:,.0f} MB"


def variant_for_estimate(base: Model, scenario) -> Model:
    """`base` with a variant's scenario and referral rates: enough to size the variant
    without compiling it (which reads its starting list again)."""
    from nd_sim.inputs import demand  # only the estimate of a sweep needs it

    days = scenario.horizon_weeks * 7  # a grid may vary the horizon too
    rates = demand.daily_rates(scenario, days)
    return dataclasses.replace(
        base,
        scenario=scenario,
        days=days,
        weeks=scenario.horizon_weeks,
        rates_per_day=tuple(rates[d] for d in base.districts),
    )
