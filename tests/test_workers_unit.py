"""Where local workers come from (`run.workers`): which command lines start the forkserver
early, and what the workers are forked from; what a task sends them."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import Future

import pytest

from nd_sim.run import workers
from nd_sim.run.executors import ProcessExecutor, Task


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["run", "--jobs", "2"], True),
        (["run", "-j", "4", "-n", "100"], True),
        (["run", "--jobs=3"], True),
        (["run", "-j2"], True),
        (["compare", "a.toml", "b.toml", "--jobs", "2"], True),
        (["run"], False),
        (["run", "--jobs", "1"], False),
        (["run", "-j1"], False),
        (["run", "--jobs", "two"], False),
        (["run", "--jobs"], False),
        (["run", "--jobs", "2", "--dask", "local"], False),
        (["run", "--jobs", "2", "--dask=tcp://host:8786"], False),
        (["run", "--jobs", "2", "--help"], False),
        (["--version"], False),
        ([], False),
    ],
)
def test_which_command_lines_want_local_workers_unit(argv: list[str], wanted: bool) -> None:
    assert workers.wants_local_workers(argv) is wanted


def test_a_serial_command_starts_no_forkserver_unit() -> None:
    assert workers.start_early(["run", "-n", "5"]) is False


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no forkserver here"
)
def test_workers_come_from_a_preloading_forkserver_unit() -> None:
    context = workers.context()
    assert context.get_start_method() == "forkserver"
    from multiprocessing import forkserver

    assert workers.PRELOAD in forkserver._forkserver._preload_modules


def test_stopping_when_nothing_runs_is_harmless_unit() -> None:
    workers.stop()
    workers.stop()


@pytest.mark.parametrize("value", ["²", "٣", "३"])  # digits, but not ASCII decimals
def test_unusual_digits_never_fail_the_early_start_unit(value: str) -> None:
    assert workers.wants_local_workers(["run", "--jobs", value]) is False


class _Counted:
    """Counts how often it is pickled (per test: `pickled` is reset)."""

    pickled = 0

    def __init__(self, value: int) -> None:
        self.value = value

    def __reduce__(self) -> tuple:
        type(self).pickled += 1
        return _Counted, (self.value,)


class _PicklingPool:
    """Runs each task at once, its arguments pickled and unpickled as a process pool's are."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        future.set_result(fn(*pickle.loads(pickle.dumps(args))))
        return future


def _shared_value(shared: _Counted, x: int) -> tuple[str, int]:
    return type(shared).__name__, shared.value + x


def test_each_shared_object_is_pickled_once_for_its_tasks_unit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_Counted, "pickled", 0)
    executor = object.__new__(ProcessExecutor)  # no processes: a pool that pickles
    executor.workers, executor._pool, executor._stopped = 2, _PicklingPool(), False
    tasks = [Task(0, (1,)), Task(0, (2,)), Task(0, (3,)), Task(1, (4,)), Task(1, (5,))]
    done = dict(executor.run(_shared_value, [_Counted(10), _Counted(20)], tasks))
    assert _Counted.pickled == 2  # once for each object, not once a task
    assert [done[k] for k in range(5)] == [
        ("_Counted", 11), ("_Counted", 12), ("_Counted", 13), ("_Counted", 24), ("_Counted", 25)
    ]  # fmt: skip
