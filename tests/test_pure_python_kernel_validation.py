"""The pure-Python path of the kernel (numba's JIT switched off) is the same model.

`NUMBA_DISABLE_JIT=1` runs the kernel as plain Python: slow, but readable in a debugger and
visible to coverage (compiled code is not). numba reads the switch when it is imported, so
the pure-Python run happens in a subprocess; every raw output must equal the compiled run's.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES, ROOT

SCRIPT = """
import sys, dataclasses, numpy as np
from nd_sim.scenario import load_scenario
from nd_sim.inputs.model import compile_model
from nd_sim.engine.replication import run_replication
raw = run_replication(compile_model(load_scenario(sys.argv[1])), int(sys.argv[2]), 11)
arrays = {f.name: getattr(raw, f.name) for f in dataclasses.fields(raw)
          if isinstance(getattr(raw, f.name), np.ndarray)}
np.savez(sys.argv[3], **arrays)
"""


@pytest.mark.parametrize("replication", [0, 1])
def test_pure_python_kernel_equals_compiled_validation(replication: int, tmp_path: Path) -> None:
    scenario = FIXTURES / "small.toml"
    out = tmp_path / "pure.npz"
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-c", SCRIPT, str(scenario), str(replication), str(out)],
        check=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    pure = np.load(out)
    raw = run_replication(compile_model(load_scenario(scenario)), replication, 11)
    compared = 0
    for field in dataclasses.fields(raw):
        value = getattr(raw, field.name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(pure[field.name], value, err_msg=field.name)
            compared += 1
    assert compared >= 15 and raw.n_children > 1000
