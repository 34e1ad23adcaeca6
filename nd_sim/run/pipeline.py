"""The one path every simulating command takes: a staged, locked, resumable run folder, an
executor, and a plan that a resume must match.

`staged(settings, command, models)` opens it; inside, a command runs chunks of
replications through `Stage.executor` (writing their files into `Stage.folder`, as `run`,
`sweep` and `compare` do) or maps a function over replications with `Stage.map` (as `size`
and `families` do, which need the results in memory). Either way a chunk that completed
before an interruption is not run again on `--resume`, and the same seed gives the same
results on any executor.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from nd_sim.inputs.model import Model
from nd_sim.run.by_team import SplitByTeam
from nd_sim.run.chunks import check_plan, chunk_size, fingerprint, plan_chunks
from nd_sim.run.executors import Executor, SerialExecutor, Task
from nd_sim.run.folder import RunFolder
from nd_sim.run.settings import RunSettings

T = TypeVar("T")
MAPPED = "working/mapped"


@dataclass(frozen=True)
class Stage:
    """A run under way: its folder (staged until complete; None for work kept only in
    memory), executor and chunk size."""

    folder: RunFolder | None
    executor: Executor
    chunk_size: int
    settings: RunSettings
    simulate: Callable | None = None  # the engine, when not the usual (`--split-teams`)

    def map(
        self,
        work: Callable[[Model, int, int], T],
        model: Model,
        on_done: Callable[[int], None] | None = None,
        key: str = "",
    ) -> list[T]:
        """`work(model, replication, seed)` for every replication, in replication order.

        Each chunk's results are kept in the staged folder as they complete, under a key
        made of `key`, the model and the work, so a resumed command reuses them.
        `work` must be a module-level function or a `functools.partial` of one.
        """
        reps, seed = self.settings.replications, self.settings.seed
        chunks = plan_chunks(1, reps, self.chunk_size)
        tag = _digest(key, fingerprint([model]), _describe(work))
        names = [f"{MAPPED}/{tag}/chunk-{c.index:05d}.pickle" for c in chunks]
        done: dict[int, list[T]] = {}
        for k, name in enumerate(names):
            if self.folder is not None and self.folder.exists(name):
                done[k] = pickle.loads(self.folder.path(name).read_bytes())
                if on_done:
                    on_done(len(done[k]))
        todo = [k for k in range(len(chunks)) if k not in done]
        tasks = [Task(0, (work, chunks[k].replications, seed)) for k in todo]
        for i, results in self.executor.run(_run_chunk, [model], tasks):
            k = todo[i]
            if self.folder is not None:
                self.folder.write_bytes(names[k], pickle.dumps(results))
            done[k] = results
            if on_done:
                on_done(len(results))
        return [r for k in range(len(chunks)) for r in done[k]]


@contextmanager
def staged(
    settings: RunSettings, command: str, models: Sequence[Model], runs: int | None = None,
    **plan_extra: Any,
) -> Iterator[Stage]:  # fmt: skip
    """Open the run's staged folder and executor, and check the plan on `--resume`.

    `runs` is the number of replications the chunk size is planned for (default: the
    replications of every model); `plan_extra` holds whatever else a resume must match.
    The folder is committed when the block ends normally, and kept staged otherwise.
    """
    executor = settings.executor()
    simulate = None
    if settings.split_teams:  # replications one after another, each split over the workers
        simulate, executor = SplitByTeam(executor), SerialExecutor()
    total = runs if runs is not None else settings.replications * max(1, len(models))
    try:
        with RunFolder(
            settings.out, settings.force, resumable=True, resume=settings.resume
        ) as folder:
            plan = {
                "command": command,
                "scenario": fingerprint(models),
                "replications": settings.replications,
                "seed": settings.seed,
                "child_rows": settings.child_rows,
                **plan_extra,
                "chunk_size": chunk_size(total, executor.workers),
            }
            plan = check_plan(folder, plan, "--resume")
            yield Stage(folder, executor, plan["chunk_size"], settings, simulate)
            folder.remove("working")
            folder.remove("plan.json")
    finally:
        executor.close()
        if simulate is not None:
            simulate.executor.close()


@contextmanager
def in_memory(settings: RunSettings) -> Iterator[Stage]:
    """A stage with no folder: for work whose results are only kept in memory (a
    calibration inside a test, say); the same chunks and executors as a staged run."""
    executor = settings.executor()
    try:
        size = chunk_size(settings.replications, executor.workers)
        yield Stage(None, executor, size, settings)
    finally:
        executor.close()


def _run_chunk(model: Model, work: Callable, replications: tuple[int, ...], seed: int) -> list:
    return [work(model, r, seed) for r in replications]


def _describe(work: Callable) -> str:
    """The work as text that is the same in every process (no memory addresses)."""
    if isinstance(work, functools.partial):
        keywords = sorted(work.keywords.items())
        return f"{_describe(work.func)}{work.args!r}{keywords!r}"
    return f"{work.__module__}.{work.__qualname__}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
