"""The `nd-sim` entry point. It starts the local workers' forkserver (`run.workers`)
before it loads the command line, when the arguments ask for local workers: the server
then loads the engine on the idle core while the command imports its own modules and
reads its scenario, instead of each worker loading it afterwards. The server is stopped
when the command ends.

A command that has finished its work leaves without Python's own finalisation (every
module torn down and every object freed one by one: 0.13-0.17 s at the end of each
command, measured on a 20- and a 1,000-replication run); see `_leave`.
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
    from nd_sim.run import workers
    from nd_sim.run.allocator import keep_freed_memory

    workers.start_early(sys.argv[1:])
    keep_freed_memory()  # after the server started: it sets its own
    code: object = SUCCESS
    try:
        from nd_sim.cli import main as command_line

        command_line()
    except KeyboardInterrupt:  # before the command line had loaded: nothing to keep
        code = INTERRUPTED
    except SystemExit as exc:
        code = SUCCESS if exc.code is None else exc.code
        if code not in (INTERRUPTED, SUCCESS):
            raise
    finally:
        workers.stop()
    if code == INTERRUPTED:
        _leave(INTERRUPTED)
    if not _other_threads():  # a thread still at work would be cut short
        _leave(SUCCESS, exit_handlers=True)
    sys.exit(SUCCESS)


def _other_threads() -> bool:
    """Whether a thread other than this one, that Python would wait for, is alive."""
    this = threading.main_thread()
    return any(t is not this and not t.daemon and t.is_alive() for t in threading.enumerate())


def _leave(code: int, exit_handlers: bool = False) -> None:
    """Exit now, with `code`, once what was printed is out. With `exit_handlers`, the exit
    handlers registered by the command and its libraries run first (logging's flush, a
    temporary folder's removal, a Dask cluster's close); every result file is already
    written, closed and committed by then."""
    if exit_handlers:
        atexit._run_exitfuncs()  # CPython's own, what a normal exit runs
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
