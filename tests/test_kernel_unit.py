"""Guards for the compiled engine's plumbing: what numba cannot check for us."""

from __future__ import annotations

import inspect
import re

import pytest

from nd_sim.engine import codes, kernel
from nd_sim.engine.state import State, compiled_state, generated_lines
from nd_sim.errors import ScenarioError
from nd_sim.scenario.loader import read_raw, validate_raw
from tests.conftest import FIXTURES


def test_kernel_codes_agree_with_shared_codes_unit() -> None:
    """The kernel's own copies (frozen into its cache) equal `codes.py`'s."""
    names = ("WAITING", "ASSESSED", "SIGNPOSTED", "WITHDRAWN", "MET_BY_WORKSHOP")
    names += ("N_CHILDREN", "APPOINTMENTS", "WD_NEXT", "N_OUTSOURCED", "POOL_SHORT")
    names += ("WEEKS_RUN", "NOT_TRIAGED", "TRIAGE_ACCEPTED", "TRIAGE_SIGNPOSTED", "SCRATCH_ROWS")
    for name in names:
        assert getattr(kernel, name) == getattr(codes, name), name


def test_compiled_state_sets_every_field_unit() -> None:
    """A field left out of `compiled_state` would crash the process, not raise."""
    source = inspect.getsource(compiled_state.py_func)
    assigned = re.findall(r"^    s\.(\w+) = t\.(\w+)$", source, flags=re.M)
    assert all(a == b for a, b in assigned)
    assert [a for a, _ in assigned] == list(State._fields)
    assert generated_lines() in source, "run python -m nd_sim.engine.state"


def test_more_than_fifteen_workshop_kinds_is_refused_unit() -> None:
    raw, notes = read_raw(FIXTURES / "small.toml")
    raw["pathway"]["workshops"] = [{"kind": f"w{k}", "every_weeks": 2} for k in range(16)]
    with pytest.raises(ScenarioError, match="workshops"):
        validate_raw(raw, notes, "small.toml")
