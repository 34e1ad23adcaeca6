"""Dotted paths into a raw scenario dict: ``pathway.appointments[1].hours.psychologist``.

Notes, uncertain inputs and sweeps all name a number by its dotted path, so reading and
writing a number by path is done here, once.
"""

from __future__ import annotations

import re
from typing import Any

Part = str | int
SEGMENT = re.compile(r"^([^\[\]]+)((?:\[\d+\])*)$")
INDEX = re.compile(r"\[(\d+)\]")


def parse(path: str) -> list[Part]:
    """The keys and list indices along a path (``a.b[2].c`` -> ``["a", "b", 2, "c"]``);
    raises `LookupError` for a malformed one (an empty key, a stray bracket, spaces around
    a key)."""
    parts: list[Part] = []
    for segment in path.split("."):
        match = SEGMENT.match(segment)
        if match is None or match.group(1) != match.group(1).strip():
            raise LookupError(path)
        parts.append(match.group(1))
        parts += [int(i) for i in INDEX.findall(match.group(2))]
    return parts


def dotted(parts: list[Part]) -> str:
    """The path of `parts`, written as `parse` reads it."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def get(raw: Any, parts: list[Part]) -> Any:
    """The value at `parts`; raises `LookupError` if the path leads nowhere."""
    node = raw
    for part in parts:
        in_list = isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node)
        in_table = isinstance(part, str) and isinstance(node, dict) and part in node
        if not (in_list or in_table):
            raise LookupError(dotted(parts))
        node = node[part]
    return node


def put(raw: dict[str, Any], parts: list[Part], value: Any) -> None:
    """Set the value at `parts` in place; the path up to its last part must exist."""
    parent = get(raw, parts[:-1])
    parent[parts[-1]] = value


def is_number(value: Any) -> bool:
    """An int or float that is not a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool)
