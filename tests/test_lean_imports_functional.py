"""The workers' forkserver loads neither pandas nor scipy.linalg (`run.lean_imports`): both
took 0.44 s of the time before the first replication could start. Each check runs in a
fresh interpreter, as the server does, since this test session has loaded both already."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from nd_sim.run import lean_imports


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_hidden_package_cannot_be_imported_inside_only_unit() -> None:
    with lean_imports.hidden("nd_sim_no_such_package"), pytest.raises(ModuleNotFoundError):
        __import__("nd_sim_no_such_package.part")
    assert not any(isinstance(f, lean_imports._Hidden) for f in sys.meta_path)


def test_a_package_loaded_already_is_left_loaded_unit() -> None:
    calls = []
    lean_imports.load_without("pandas", lambda: calls.append(1))  # this session has pandas
    assert calls == []


def test_the_server_warms_up_without_pandas_or_scipy_linalg_functional() -> None:
    out = _python(
        """
        import sys
        import nd_sim.run.worker_preload  # what the forkserver runs: the whole warm-up
        print(sorted(m for m in ("pandas", "scipy.linalg") if m in sys.modules))
        """
    )
    assert out == "[]", f"loaded by the warm-up: {out}"


def test_pandas_and_blas_still_work_after_the_warm_up_functional() -> None:
    out = _python(
        """
        import numba, numpy as np, pyarrow as pa
        import nd_sim.run.worker_preload

        @numba.njit
        def inner(a, b):
            return np.dot(a, b)  # looks for scipy's BLAS as it compiles

        frame = pa.table({"a": [1, 2]}).to_pandas()  # Arrow imports pandas when asked to
        print(type(frame).__name__, frame["a"].sum(), inner(np.ones(3), np.ones(3)))
        """
    )
    assert out == "DataFrame 3 3.0"
