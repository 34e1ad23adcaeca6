"""Input files read safely: a regular file, of a sensible size, named in every message.

Scenario files, grids and lists come from users. Given `/dev/zero`, a pipe with no writer,
a folder or a path with a NUL byte in it, a plain `read_bytes` fills the memory, waits
forever or raises a raw error. Every input file is read through `read_input`, which refuses
each of those with a message naming the file and the setting it came from.
"""

from __future__ import annotations

import stat
from pathlib import Path

from nd_sim.errors import Problem, ScenarioError

MAX_TOML_BYTES = 10_000_000  # a scenario or grid file: ten thousand times the shipped ones
MAX_CSV_BYTES = 2_000_000_000  # a list: some ten million children


def read_input(path: Path, option: str, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of an input file, or `ScenarioError` naming `option` and the rule broken."""

    def refuse(rule: str) -> ScenarioError:
        return ScenarioError(str(path), [Problem(option, str(path), rule)])

    if "\x00" in str(path):
        raise refuse("must be a file path (it holds a NUL character)")
    try:
        info = path.stat()
    except FileNotFoundError:
        raise refuse(f"the {what} must exist") from None
    except OSError as exc:
        raise refuse(f"must be a readable {what} ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise refuse(f"must be a {what}, not a folder")
    if not stat.S_ISREG(info.st_mode):
        raise refuse(f"must be a regular {what} (not a device, pipe or socket)")
    if info.st_size > max_bytes:
        raise refuse(f"is {info.st_size:,} bytes; a {what} may be at most {max_bytes:,}")
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise refuse(f"must be a readable {what} ({exc.strerror or exc})") from None
    if len(data) > max_bytes:  # it grew while being read
        raise refuse(f"a {what} may be at most {max_bytes:,} bytes")
    return data
