"""Where replications run: one seam, three executors (serial, local processes, Dask).

A task is a pure function of its arguments (a model, a chunk of replication numbers and
the seed), so the executor only decides *where* it runs; results are identical whatever
runs them. Tasks are yielded as they complete, tagged with their index, so that a caller
can write each to disk at once and keep nothing else in memory.

Dask is optional (``pip install "nd-sim[dask]"``) and imported only when asked for. Its
scheduler re-runs the tasks of a worker that dies, so a lost worker costs time, not results.

Workers never outlive the process that started them: a parent killed outright (SIGKILL, the
out-of-memory killer) cannot stop them, so each local worker watches the command and exits
when it is gone; Dask's worker processes already do the same (they exit when the pipe to
their nanny, in the parent, closes).
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from nd_sim.errors import Problem, ScenarioError
from nd_sim.run import workers
from nd_sim.run.allocator import keep_freed_memory

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
    """Local worker processes, forked warm from a forkserver (`run.workers`). A bounded
    number of tasks is in flight at once, so the shared objects are pickled only for the
    tasks being run, not for the whole queue."""

    name = "processes"

    def __init__(self, jobs: int) -> None:
        self.workers = jobs
        system_allocator()  # this process's own Arrow memory (the workers set theirs)
        self._pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=workers.context(),
            initializer=_set_up_worker,
            initargs=(os.getpid(),),
        )
        self._stopped = False

    def run(self, fn, shared, tasks):
        pending: dict[Future, int] = {}
        queue = iter(enumerate(tasks))
        pickled: dict[int, _Pickled] = {}  # the current object's only: a sweep has thousands

        def submit(task: Task) -> Future:
            if task.shared_key not in pickled:
                pickled.clear()
                pickled[task.shared_key] = _Pickled.of(shared[task.shared_key])
            return self._pool.submit(fn, pickled[task.shared_key], *task.args)

        try:
            for k, task in queue:
                pending[submit(task)] = k
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    k = pending.pop(future)
                    yield k, _result(future)
                    for k_next, task in queue:
                        pending[submit(task)] = k_next
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


@dataclass(frozen=True)
class _Pickled:
    """A shared object pickled once by the command, for the consecutive tasks that use it
    (a Lancashire model is 880 kB and took 2.3 ms to pickle: 0.23 s of the command's time,
    with both cores busy, in a 1,000-replication run; tasks come variant by variant, so
    only the current object's bytes are kept); a worker gets the object itself."""

    data: bytes

    @classmethod
    def of(cls, obj: Any) -> _Pickled:
        return cls(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def __reduce__(self) -> tuple:
        return pickle.loads, (self.data,)


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


def _set_up_worker(command_pid: int) -> None:
    """Set up a local worker: it leaves Ctrl-C to the command, which stops it (no
    traceback from each worker), and exits by itself if the command (`command_pid`) dies
    without stopping it (`watch_parent`); it keeps the memory it frees (`allocator`), and
    Arrow takes its memory as `system_allocator` sets it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()
    system_allocator()
    watch_parent(command_pid)


def system_allocator() -> None:
    """Arrow takes its memory from the C library's allocator, in a process that starts
    local workers (from then on), in their forkserver and in the workers. Arrow's own
    (mimalloc) kept a worker some 14 MB larger over 100 replications, no quicker; in the
    parent it cost 0.5-0.7 s more system time in a 1,000-replication run (measured).

    The workers also keep the memory they free (`allocator.keep_freed_memory`)."""
    pa.set_memory_pool(pa.system_memory_pool())


def watch_parent(command_pid: int, poll_seconds: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """Exit this process soon after the command that started it dies (a daemon thread
    watches the command's pid).

    A killed command leaves its pool workers blocked on a queue nobody will fill, each
    holding its memory, for as long as the machine runs. A worker's parent is the
    forkserver (`run.workers`), not the command, and the server lives as long as any of
    its workers does, so it is the command itself that is watched: where the system can
    (Linux 5.3 and later) by a process file descriptor, which becomes readable the moment
    it exits; elsewhere by polling whether it is still there, or whether this process has
    been adopted (a worker forked from the command itself). `PR_SET_PDEATHSIG` is not
    used: it follows the *thread* that forked the worker, so a run started from another
    thread (a web app's) would lose its workers when that thread ended.
    """
    parent = os.getppid()
    thread = threading.Thread(
        target=_exit_when_gone,
        args=(command_pid, parent, poll_seconds),
        name="nd-sim-watch-command",
    )
    thread.daemon = True
    thread.start()
    return thread


def _exit_when_gone(command_pid: int, parent: int, poll_seconds: float) -> None:
    try:
        handle = os.pidfd_open(command_pid)
    except (AttributeError, OSError):  # no pidfd here, or the command is gone already
        handle = None
    if handle is not None:
        select.select([handle], [], [])
    else:
        while os.getppid() == parent and _exists(command_pid):
            time.sleep(poll_seconds)
    os._exit(ORPHAN_EXIT_CODE)  # no clean-up: nothing here is worth saving, memory may be short


def _exists(pid: int) -> bool:
    """Whether a process of this pid is there (a zombie counts until it is reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: ours is gone, its pid reused
        return False
    return True
