"""The first run says it is preparing the engine: detecting a missing compiled kernel."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from nd_sim.engine.compiled import COMPILED_FILES, KERNEL, needs_compiling


def _copy(tmp_path: Path) -> Path:
    kernel = tmp_path / "kernel.py"
    shutil.copyfile(KERNEL, kernel)
    return kernel


def _index(kernel: Path) -> str:
    lines = kernel.read_text().splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("def simulate("))
    while lines[k - 1].startswith("@"):
        k -= 1
    return f"kernel.simulate-{k + 1}.py{sys.version_info.major}{sys.version_info.minor}.nbi"


def test_no_cache_means_compiling_unit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert needs_compiling(((_copy(tmp_path), "simulate"),))


def test_a_cache_newer_than_the_source_is_ready_unit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    kernel = _copy(tmp_path)
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    index = cache / _index(kernel)
    index.write_bytes(b"")
    os.utime(index, (kernel.stat().st_mtime + 10, kernel.stat().st_mtime + 10))
    assert not needs_compiling(((kernel, "simulate"),))
    os.utime(kernel, (index.stat().st_mtime + 10, index.stat().st_mtime + 10))  # source edited
    assert needs_compiling(((kernel, "simulate"),))


def test_an_empty_numba_cache_dir_means_compiling_unit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    assert needs_compiling()


def test_every_compiled_file_names_a_function_it_has_unit() -> None:
    """The check looks for each file's function by name: a renamed one must not be missed."""
    for path, entry in COMPILED_FILES:
        assert f"def {entry}(" in path.read_text(), (path, entry)
