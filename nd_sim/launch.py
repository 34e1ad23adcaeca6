"""The `nd-sim` entry point. It starts the local workers' forkserver (`run.workers`)
before it loads the command line, when the arguments ask for local workers: the server
then loads the engine on the idle core while the command imports its own modules and
reads its scenario, instead of each worker loading it afterwards. The server is stopped
when the command ends.

A command that has finished its work leaves without Python's own finalisation (every
module torn down and every object freed one by one: 0.13-0.17 s at the end of each
command, measured on a 20- and a 1,000-replication run); see `_leave_finished`.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C
SUCCESS = 0


def main() -> None:
    """Run the command line.

    A command stopped by Ctrl-C leaves at once once it has said so, without Python's own
    exit steps: they wait for the worker pool's reading thread, which waits for ever for
    the rest of a result whose worker was stopped while sending it.
    """
    code: object = SUCCESS
    stop_workers = None
    try:  # a Ctrl-C in the first imports too is the command's, with no traceback
        from nd_sim.run import workers
        from nd_sim.run.allocator import keep_freed_memory

        stop_workers = workers.stop
        workers.start_early(sys.argv[1:])
        keep_freed_memory()  # after the server started: it sets its own
        from nd_sim.cli import main as command_line

        command_line()
    except KeyboardInterrupt:  # before the command line had loaded: nothing to keep
        code = INTERRUPTED
    except SystemExit as exc:
        code = SUCCESS if exc.code is None else exc.code
        if code not in (INTERRUPTED, SUCCESS):
            raise
    finally:
        if stop_workers is not None:
            stop_workers()
    if code == INTERRUPTED:
        _flushed()
        os._exit(INTERRUPTED)
    if _may_leave_early():
        _leave_finished()
    sys.exit(SUCCESS)


def _may_leave_early() -> bool:
    """Whether a finished command may skip Python's finalisation: not while a thread
    Python would wait for is still at work (it would be cut short), nor under a tracer or
    a profiler (cProfile, coverage and trace write what they found as Python exits)."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return False
    this = threading.main_thread()
    return not any(t is not this and not t.daemon and t.is_alive() for t in threading.enumerate())


def _flushed() -> bool:
    """Flush what was printed; False when it could not be (a closed or broken stream)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: the process was started without it
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


def _leave_finished() -> None:
    """Exit now, with success, once what was printed is out: the exit handlers registered
    by the command and its libraries run first (logging's flush, a temporary folder's
    removal, a Dask cluster's close); every result file is already written, closed and
    committed by then. When the output cannot be flushed, Python's own exit reports it."""
    atexit._run_exitfuncs()  # CPython's own, what a normal exit runs
    if _flushed():
        os._exit(SUCCESS)
