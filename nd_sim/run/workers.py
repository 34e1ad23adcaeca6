"""Where local worker processes come from: a forkserver that has loaded the engine.

A worker forked from the command's own process still had to load numba and the compiled
engine itself, 0.6-0.9 s each (both at once, after the command had read its scenario),
and it carried the command's memory: 283-289 MB for a Lancashire run. A forkserver is a
small process that loads the engine once (`worker_preload`) and forks every worker from
itself, so workers start warm and smaller (209 MB for the same run).

`start_early` starts it first thing, when the command line asks for local workers: it then
loads on the core the command leaves idle while it imports its own modules and reads its
scenario. Anything else (a test, the app, a library caller) starts it when its first pool
of workers does. Where there is no forkserver (Windows), the platform's default is used.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from multiprocessing.context import BaseContext

PRELOAD = "nd_sim.run.worker_preload"
JOBS_FLAGS = ("--jobs", "-j")


def context() -> BaseContext:
    """The start method of local workers: a forkserver preloading the engine; the
    platform's default where there is none, and on macOS, whose system libraries are not
    safe to use in a process forked after they ran (Python spawns there for that)."""
    if sys.platform == "darwin" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload([PRELOAD])  # no effect once it runs
    return forkserver


def start_early(argv: Sequence[str]) -> bool:
    """Start the forkserver now if `argv` (the command line's arguments) asks for more
    than one local worker; whether it did. Never fails: a forkserver that cannot start
    here is started, or reported, when the workers are.

    The server ignores Ctrl-C from its first instruction: Ctrl-C is the command's to
    handle, and one that reached the server while its interpreter started printed a fatal
    error (6-8 times in 40 interrupts in the command's first 0.35 s). The command holds a
    Ctrl-C back only while it starts the server, and gets it then."""
    if not wants_local_workers(argv):
        return False
    ctx = context()
    if ctx.get_start_method() != "forkserver":
        return False
    try:
        from multiprocessing import forkserver, resource_tracker

        # the tracker first: starting, it unblocks SIGINT, which would drop one held back
        resource_tracker.ensure_running()
        with _interrupts_held():
            forkserver.ensure_running()
    except (OSError, ValueError):
        return False
    return True


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT ignored inside the block, so that a process started in it ignores it from
    its first instruction (an ignored signal stays ignored across exec, and Python leaves
    it so); and blocked, so that a Ctrl-C to the command in the meantime is kept pending
    (Linux keeps a blocked signal even when it is ignored) and delivered to the command's
    own handler when the block ends, not lost. In the main thread only (elsewhere the block
    does nothing: signals are the main thread's)."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # before: none lost
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)  # the handler first, then what was held
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def wants_local_workers(argv: Sequence[str]) -> bool:
    """Whether a command line asks for more than one local worker (`--jobs N`, `-j N`,
    `--jobs=N`, N > 1, and no `--dask` cluster); help and version requests never do."""
    args = list(argv)
    if any(a in ("--help", "-h", "--version") or a.startswith("--dask") for a in args):
        return False
    for k, arg in enumerate(args):
        value = None
        if arg in JOBS_FLAGS and k + 1 < len(args):
            value = args[k + 1]
        elif arg.startswith("--jobs="):
            value = arg.removeprefix("--jobs=")
        elif arg.startswith("-j") and len(arg) > 2:
            value = arg[2:]
        if value is not None and value.isascii() and value.isdecimal() and int(value) > 1:
            return True
    return False


def stop() -> None:
    """End this process's forkserver, if it runs, and reap it: a command ends with nothing
    it started still running. The server is ended at once, not asked to stop and waited
    for: a command that ends early (bad input, Ctrl-C) would otherwise wait for it to
    finish loading the engine (seconds; on a first run, its whole compile). Its workers are
    gone by then (the pool is shut down first). The standard library's resource tracker is
    left to exit by itself once every process holding it has (it ignores signals, and
    waiting for it could wait on a worker that has not exited yet). Uses the standard
    library's own way of stopping the server (what its tests use)."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    halt = getattr(server, "_stop", None)
    if not isinstance(pid, int) or not callable(halt):
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(OSError, ChildProcessError):
        halt()
