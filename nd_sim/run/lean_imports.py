"""What the workers' forkserver (`run.worker_preload`) leaves out of its imports.

Every worker is forked from the server once it has loaded what a replication needs, so
each import it makes is time before the first replication can start: the command's own
start is ready about half a second before the server is. Two libraries are loaded only
because another library looks for them once, and a run's workers never use them:

* **pandas** (0.26 s): Arrow imports it the first time it makes an array, to recognise
  pandas' objects among its inputs. Workers give it numpy arrays and lists only.
* **scipy.linalg** (0.18 s): numba imports it when its array functions load, to choose
  BLAS for `np.correlate` and `np.convolve` (neither is compiled here); `np.dot` and
  `np.linalg` look for BLAS again when they compile, and find it.

Each look is let to find nothing, and both libraries settle on doing without, in the
server and every worker forked from it. A `import pandas` still works (the workers of
`families`, `size` and `sensitivity` load it with their task's module), and Arrow's
`to_pandas` and `from_pandas` import it again; but Arrow's `pa.array` then takes a pandas
Series for a plain sequence (a NaN is not made null, a categorical is not a dictionary).
Worker tasks give Arrow numpy arrays and lists only: a test runs each kind of task after
the warm-up and compares its results with those of a process that never hid anything.
numba in the workers likewise compiles `np.convolve` and `np.correlate` without BLAS.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.machinery import ModuleSpec

PANDAS = "pandas"
SCIPY_BLAS = "scipy.linalg"


class _Hidden(importlib.abc.MetaPathFinder):
    """Finds nothing for a package's modules: their import fails as if not installed."""

    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(self, name: str, path=None, target=None) -> ModuleSpec | None:
        if name == self.package or name.startswith(self.package + "."):
            raise ModuleNotFoundError(f"{name} is left out of the workers", name=name)
        return None


@contextmanager
def hidden(package: str) -> Iterator[None]:
    """`package` cannot be imported inside the block (unless it is loaded already)."""
    finder = _Hidden(package)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def load_without(package: str, load: Callable[[], object]) -> None:
    """Run `load`, the first use of a library that looks for `package` once, with
    `package` hidden, so that the library settles on doing without it."""
    if package in sys.modules:
        return
    with hidden(package):
        load()


def arrow_without_pandas() -> None:
    """Arrow's one look for pandas finds none (before anything makes an Arrow array)."""
    import pyarrow as pa

    load_without(PANDAS, lambda: pa.array([0]))


def numba_without_scipy_blas() -> None:
    """numba's look for scipy's BLAS, as its array functions load, finds none."""

    def load() -> None:
        import numba.np.arraymath  # noqa: F401 - the module that looks

    if "numba.np.arraymath" not in sys.modules:
        load_without(SCIPY_BLAS, load)
