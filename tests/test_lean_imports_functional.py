"""The workers' forkserver loads neither pandas nor scipy.linalg (`run.lean_imports`): both
took 0.44 s of the time before the first replication could start. Each check runs in a
fresh interpreter, as the server does, since this test session has loaded both already."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nd_sim.inputs.model import compile_model
from nd_sim.run import lean_imports
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES

SMALL = str(FIXTURES / "small.toml")


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
    import pandas  # noqa: F401 - loaded, whatever else this session has imported

    calls = []
    lean_imports.load_without("pandas", lambda: calls.append(1))
    assert calls == []


def test_a_run_s_workers_load_neither_pandas_nor_scipy_linalg_functional(tmp_path: Path) -> None:
    """The warm-up (run again here, so that a failure shows: the server's own run keeps
    quiet), then, with the model as a worker gets it (compiled by the command, which reads
    the starting list's CSV with pandas), a chunk of a run and a part of a replication
    split by team."""
    model = tmp_path / "model.pickle"
    model.write_bytes(pickle.dumps(compile_model(load_scenario(SMALL))))
    out = _python(
        f"""
        import pickle, sys
        from pathlib import Path
        import nd_sim.run.worker_preload as preload
        from nd_sim.engine.split import run_part
        from nd_sim.run.chunks import simulate_chunk

        preload.warm_up()
        model = pickle.loads(Path({str(model)!r}).read_bytes())
        simulate_chunk(model, 0, 0, (0, 1), 5, 1)
        run_part(model, 0, 5, [0])
        print(sorted(m for m in ("pandas", "scipy.linalg") if m in sys.modules))
        """
    )
    assert out == "[]", f"loaded by a run's worker: {out}"


# Every other function a command sends to workers, one replication each (their modules
# may load pandas in the worker; Arrow there then still takes it for absent)
OTHER_TASKS = f"""
import hashlib, pickle, sys
if sys.argv[1] == "as-a-worker":
    import nd_sim.run.worker_preload  # noqa: F401
from nd_sim.experiments.families.projection import child_paths
from nd_sim.experiments.sensitivity.evaluate import kpi_in_replication
from nd_sim.experiments.sizing.evaluate import measure
from nd_sim.experiments.sizing.mix_run import area_value
from nd_sim.experiments.sizing.tradeoffs import county_headline
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import load_scenario

model = compile_model(load_scenario({SMALL!r}))
one = dict(kpi="open_end", area_type="county", area="county")
results = [
    child_paths(model, 0, 5),
    county_headline(model, 0, 5),
    kpi_in_replication(model, 0, 5, **one),
    area_value(model, 0, 5, **one),
    measure(model, 0, 5, kpi="open_end", area=("county", "county"), ends=(100.0,)),
]
print(hashlib.sha256(pickle.dumps(results)).hexdigest())
"""


def test_other_commands_worker_tasks_give_the_same_results_functional() -> None:
    def run(how: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", OTHER_TASKS, how], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run("as-a-worker") == run("as-the-command")


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
