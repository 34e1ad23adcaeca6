"""Modules the end of a run needs, imported while its workers simulate.

The parent process of a parallel run mostly waits while its workers work; what it imports
at the end (scipy's special functions, for the summary's t quantiles: 0.2-0.3 s) is then
on the critical path, with one core idle. Imported in a background thread once the
workers are running, it costs the workers a little of their CPU instead.

The thread must start only after the workers are forked: a fork while the thread holds a
module's import lock would leave that lock held, for ever, in the child.
"""

from __future__ import annotations

import importlib
import threading


class Prefetch:
    """Import `modules` in a daemon thread, once: `start` after the workers are forked,
    `wait` before the modules are needed (and before any further fork)."""

    def __init__(self, *modules: str) -> None:
        self.modules = modules
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin the imports (a second call does nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=_import, args=(self.modules,), daemon=True)
            self._thread.start()

    def wait(self) -> None:
        """Let the imports finish (an import that failed is left for its user to raise)."""
        if self._thread is not None:
            self._thread.join()


def _import(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the real import, later, says what is wrong
            return
