"""Modules imported in the background while the workers run (`run.prefetch`)."""

from __future__ import annotations

import sys

from nd_sim.run.prefetch import Prefetch


def test_prefetch_imports_once_and_waits_unit() -> None:
    warm = Prefetch("json", "colorsys")
    warm.wait()  # never started: nothing to wait for
    warm.start()
    first = warm._thread
    warm.start()  # a second start is the same thread
    assert warm._thread is first
    warm.wait()
    assert not first.is_alive()
    assert "colorsys" in sys.modules


def test_a_failed_import_is_left_to_its_user_unit() -> None:
    warm = Prefetch("nd_sim_no_such_module", "json")
    warm.start()
    warm.wait()  # no exception here: the real import, later, says what is wrong
    assert "nd_sim_no_such_module" not in sys.modules
