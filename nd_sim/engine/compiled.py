"""Whether the compiled engine is already on disk, so a first run can say why it waits.

numba compiles the weekly timetable the first time it runs after installing (or after the
kernel's source changes), which takes 20 s or more, and caches it beside the module. Read
from the cache's file names and times only: importing numba here would cost every command
what it is trying to explain.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

KERNEL = Path(__file__).with_name("kernel.py")
ENTRY = "simulate"  # the kernel's entry point: compiled last, with everything it calls
# every file of compiled code a run uses, and a function of it that every run compiles
COMPILED_FILES = (
    (KERNEL, ENTRY),
    (Path(__file__).with_name("bulk.py"), "seed_words"),
    (Path(__file__).parents[1] / "results" / "compiled.py", "selected_values"),
)


def needs_compiling(files: tuple[tuple[Path, str], ...] = COMPILED_FILES) -> bool:
    """True when a file of compiled code has no cached build of its function newer than
    its source (numba compiles, or recompiles, it on the next run)."""
    if os.environ.get("NUMBA_DISABLE_JIT") == "1":
        return False
    return any(_stale(path, entry) for path, entry in files)


def _stale(source: Path, entry: str) -> bool:
    lines = source.read_text(encoding="utf-8").splitlines()
    found = [k for k, text in enumerate(lines) if re.match(rf"def {entry}\(", text)]
    if not found:
        return False
    first = found[0]
    while first > 0 and lines[first - 1].startswith("@"):
        first -= 1  # numba names the cache by the first decorator's line
    name = (
        f"{source.stem}.{entry}-{first + 1}.py{sys.version_info.major}{sys.version_info.minor}.nbi"
    )
    elsewhere = os.environ.get("NUMBA_CACHE_DIR")  # numba then caches there only
    places = (
        list(Path(elsewhere).rglob(name)) if elsewhere else [source.parent / "__pycache__" / name]
    )
    source_time = source.stat().st_mtime
    return not any(p.exists() and p.stat().st_mtime >= source_time for p in places)
