"""The `nd-sim` entry point. It starts the local workers' forkserver (`run.workers`)
before it loads the command line, when the arguments ask for local workers: the server
then loads the engine on the idle core while the command imports its own modules and
reads its scenario, instead of each worker loading it afterwards. The server is stopped
when the command ends."""

from __future__ import annotations

import os
import sys

INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C


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
    code: object = 0
    try:
        from nd_sim.cli import main as command_line

        command_line()
    except KeyboardInterrupt:  # before the command line had loaded: nothing to keep
        code = INTERRUPTED
    except SystemExit as exc:
        code = exc.code
        if code != INTERRUPTED:
            raise
    finally:
        workers.stop()
    if code == INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED)
