"""Where replications run: one seam, three executors (serial, local processes, Dask).

A task is a pure function of its arguments (a model, a chunk of replication numbers and
the seed), so the executor only decides *where* it runs; results are identical whatever
runs them. Tasks are yielded as they complete, tagged with their index, so that a caller
can write each to disk at once and keep nothing else in memory.

Dask is optional (``pip install "nd-sim[dask]"``) and imported only when asked for. Its
scheduler re-runs the tasks of a worker that dies, so a lost worker costs time, not results.

Workers never outlive the process that started them: a parent killed outright (SIGKILL, the
out-of-memory killer) cannot stop them, so each local worker watches its parent and exits
when it is gone; Dask's worker processes already do the same (they exit when the pipe to
their nanny, in the parent, closes).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from nd_sim.errors import Problem, ScenarioError

# A worker runs `fn(shared[task.shared_key], *task.args)`; `shared` holds the large objects
# (models) that many tasks use, so that an executor can send each to a worker only once.
DASK_RETRIES = 3
DASK_CONNECT_TIMEOUT = "10s"
PARENT_POLL_SECONDS = 0.5  # how soon a worker notices that its parent has died
ORPHAN_EXIT_CODE = 70  # EX_SOFTWARE: the worker stopped itself, its parent having died


class WorkerLost(RuntimeError):
    """A worker died and its work could not be re-run (local processes cannot; Dask gave up
    after its retries)."""


@dataclass(frozen=True)
class Task:
    """One unit of work: which shared object it uses and its other arguments."""

    shared_key: int
    args: tuple


class Executor(Protocol):
    """Runs tasks and yields ``(task index, result)`` as each completes."""

    name: str

    def run(
        self, fn: Callable[..., Any], shared: Sequence[Any], tasks: Sequence[Task]
    ) -> Iterator[tuple[int, Any]]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """In this process, in order: the reference the others must match."""

    name = "serial"
    workers = 1

    def run(self, fn, shared, tasks):
        for k, task in enumerate(tasks):
            yield k, fn(shared[task.shared_key], *task.args)

    def close(self) -> None:
        """Nothing to release."""


class ProcessExecutor:
    """Local worker processes. A bounded number of tasks is in flight at once, so the
    shared objects are pickled only for the tasks being run, not for the whole queue."""

    name = "processes"

    def __init__(self, jobs: int) -> None:
        self.workers = jobs
        _system_allocator()  # before the workers fork: they start with it too
        self._pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts)
        self._stopped = False

    def run(self, fn, shared, tasks):
        pending: dict[Future, int] = {}
        queue = iter(enumerate(tasks))
        try:
            for k, task in queue:
                pending[self._pool.submit(fn, shared[task.shared_key], *task.args)] = k
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    k = pending.pop(future)
                    yield k, _result(future)
                    for k_next, task in queue:
                        pool_future = self._pool.submit(fn, shared[task.shared_key], *task.args)
                        pending[pool_future] = k_next
                        break
        except BaseException:  # Ctrl-C or an error downstream: stop the workers now
            self._stop()
            raise

    def close(self) -> None:
        """Let the workers exit (after `_stop` they are gone: waiting on a pool whose
        workers were terminated can block for ever, so it is not waited on again)."""
        if not self._stopped:
            self._pool.shutdown()

    def _stop(self) -> None:
        self._stopped = True
        processes = list(getattr(self._pool, "_processes", {}).values())  # no public API
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)


class DaskExecutor:
    """A Dask cluster: ``address`` is a scheduler (``tcp://host:8786``) or ``local`` to
    start a `LocalCluster` of ``jobs`` single-threaded worker processes here.

    Shared objects are scattered to every worker once; each task is retried on another
    worker if the one running it dies.
    """

    name = "dask"

    def __init__(self, address: str, jobs: int) -> None:
        distributed = _import_distributed()
        self._cluster = None
        try:
            if address == "local":
                self._cluster = _local_cluster(distributed, jobs)
                self.client = distributed.Client(self._cluster)
            else:
                self.client = distributed.Client(address, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            rule = f"must be a reachable Dask scheduler or 'local' ({exc})"
            raise ScenarioError("--dask", [Problem("--dask", address, rule)]) from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self._as_completed = distributed.as_completed
        self._killed = distributed.KilledWorker

    def run(self, fn, shared, tasks):
        client = self.client
        remote = [client.scatter(obj, broadcast=True, hash=False) for obj in shared]
        futures = {
            client.submit(fn, remote[t.shared_key], *t.args, pure=False, retries=DASK_RETRIES): k
            for k, t in enumerate(tasks)
        }
        try:
            for future in self._as_completed(futures):
                try:
                    result = future.result()
                except self._killed as exc:
                    raise WorkerLost(
                        f"Dask workers died running the same chunk {DASK_RETRIES + 1} times ({exc})"
                    ) from None
                k = futures.pop(future)
                future.release()
                yield k, result
        finally:
            client.cancel(list(futures))

    def close(self) -> None:
        """Disconnect; a cluster started here is shut down."""
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()


def _result(future: Future) -> Any:
    try:
        return future.result()
    except BrokenExecutor:
        raise WorkerLost(
            "a worker process stopped unexpectedly (killed, or out of memory); local "
            "processes cannot re-run its work, a Dask cluster (--dask local) can"
        ) from None


def make_executor(jobs: int = 1, dask: str | None = None) -> Executor:
    """The executor the command line asks for: Dask if an address is given, else processes
    when more than one job, else serial."""
    if dask:  # a local cluster uses every core unless --jobs says otherwise
        return DaskExecutor(dask, jobs if jobs > 1 else os.cpu_count() or 1)
    if jobs > 1:
        return ProcessExecutor(jobs)
    return SerialExecutor()


def _local_cluster(distributed, workers: int):
    """A LocalCluster whose processes ignore Ctrl-C: it reaches every process of the
    terminal, and workers would each print a traceback; the parent stops them instead.
    (Processes inherit the ignored signal while they start, and so do their restarts.)"""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
    finally:
        signal.signal(signal.SIGINT, previous)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        rule = 'needs the optional extra: pip install "nd-sim[dask]"'
        raise ScenarioError("--dask", [Problem("--dask", "dask.distributed", rule)]) from None
    return distributed


def _ignore_interrupts() -> None:
    """Set up a local worker: it leaves Ctrl-C to the parent, which stops it (no traceback
    from each worker), and exits by itself if the parent dies without stopping it; its
    Arrow memory as `_system_allocator` sets it (again: a spawned worker does not inherit
    it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _system_allocator()
    watch_parent()


def _system_allocator() -> None:
    """Arrow takes its memory from the C library's allocator, in a process that starts
    local workers (from then on) and in the workers. Arrow's own (mimalloc) kept a worker
    some 14 MB larger over 100 replications, no quicker; in the parent it cost 0.5-0.7 s
    more system time in a 1,000-replication run, and 3-5 MB more in each worker forked
    from it (measured).

    Keeping freed memory for the next allocation (glibc's mmap and trim thresholds raised)
    cut the workers' page faults by three quarters and a 1,000-replication run by 0.5 s,
    but made each worker 5-8 MB larger: `options`' reached 299-303 MB, against the 300 MB
    allowed. It is not done."""
    pa.set_memory_pool(pa.system_memory_pool())


def watch_parent(poll_seconds: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """Exit this process soon after its parent dies (a daemon thread polls the parent's pid).

    A killed parent leaves its pool workers blocked on a queue nobody will fill, each
    holding its memory, for as long as the machine runs. The parent's pid is polled rather
    than `PR_SET_PDEATHSIG` asked for: that signal follows the *thread* that forked the
    worker, so a run started from another thread (a web app's) would lose its workers when
    that thread ended. An orphan is adopted by another process, so its parent pid changes.
    """
    parent = os.getppid()
    thread = threading.Thread(
        target=_exit_when_orphaned, args=(parent, poll_seconds), name="nd-sim-watch-parent"
    )
    thread.daemon = True
    thread.start()
    return thread


def _exit_when_orphaned(parent: int, poll_seconds: float) -> None:
    while os.getppid() == parent:
        time.sleep(poll_seconds)
    os._exit(ORPHAN_EXIT_CODE)  # no clean-up: nothing here is worth saving, memory may be short
