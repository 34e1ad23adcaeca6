"""Input problems, collected so that a user sees every one at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what value, and which rule it breaks."""

    path: str
    value: Any
    rule: str

    def __str__(self) -> str:
        where = self.path or "(file)"
        return f"{where}: {_show(self.value)} -- {self.rule}"


class ScenarioError(Exception):
    """Bad input (scenario or CSV). The CLI prints every problem and exits with code 2."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.describe())

    def describe(self) -> str:
        """All problems, one a line, under the name of the file they came from."""
        count = len(self.problems)
        head = f"{self.source}: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def _show(value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
