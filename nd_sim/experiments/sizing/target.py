"""What `nd-sim size` is asked to reach: a KPI of the window ending at the date, an operator
and a threshold, parsed from text such as ``"first_within_13w_pct >= 90"``.

The KPIs are those of `summary.csv` that make sense over a window (waits and open-list
counts), plus ``backlog_not_seen_end`` for "the list is cleared". Aliases let people write the
question the way they say it. A percentage written as a fraction (a threshold of at most 1,
e.g. 0.90) is read as a fraction, because nobody sizes a service to see 0.9% of children in
time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from nd_sim.errors import Problem, ScenarioError

FLOW, COHORT, STOCK = "flow", "cohort", "stock"


@dataclass(frozen=True)
class WindowKpi:
    """A KPI that can be measured over a window: its kind, unit and words for people."""

    name: str
    kind: str  # FLOW (13 weeks ending at the date), COHORT (referred 26-13 weeks before), STOCK
    unit: str  # "%", "weeks" or "children"
    label: str  # short, for tables and axes
    goal: str  # "{x}" is `Target.threshold_words()`; the phrase follows "To ..."


CATALOGUE = {
    k.name: k
    for k in (
        WindowKpi(
            "first_within_13w_pct",
            FLOW,
            "%",
            "% of first appointments within 13 weeks",
            "start {x} of first appointments within 13 weeks of referral",
        ),
        WindowKpi(
            "first_within_18w_pct",
            FLOW,
            "%",
            "% of first appointments within 18 weeks",
            "start {x} of first appointments within 18 weeks of referral",
        ),
        WindowKpi(
            "first_wait_median_weeks",
            FLOW,
            "weeks",
            "median weeks to a first appointment",
            "bring the median wait for a first appointment down to {x}",
        ),
        WindowKpi(
            "first_wait_p90_weeks",
            FLOW,
            "weeks",
            "90th percentile weeks to a first appointment",
            "bring the 90th percentile wait for a first appointment down to {x}",
        ),
        WindowKpi(
            "first_wait_mean_weeks",
            FLOW,
            "weeks",
            "mean weeks to a first appointment",
            "bring the mean wait for a first appointment down to {x}",
        ),
        WindowKpi(
            "outcome_wait_median_weeks",
            FLOW,
            "weeks",
            "median weeks to an outcome",
            "bring the median wait from referral to outcome down to {x}",
        ),
        WindowKpi(
            "outcome_wait_p90_weeks",
            FLOW,
            "weeks",
            "90th percentile weeks to an outcome",
            "bring the 90th percentile wait from referral to outcome down to {x}",
        ),
        WindowKpi(
            "referred_seen_within_13w_pct",
            COHORT,
            "%",
            "% of new referrals seen within 13 weeks",
            "see {x} of newly referred children (not signposted) within 13 weeks",
        ),
        WindowKpi(
            "open_end", STOCK, "children", "open referrals", "bring the open list down to {x}"
        ),
        WindowKpi(
            "not_yet_seen_end",
            STOCK,
            "children",
            "open referrals not yet seen",
            "bring the children not yet seen down to {x}",
        ),
        WindowKpi(
            "backlog_not_seen_end",
            STOCK,
            "children",
            "children of today's list not yet seen",
            "see every child on today's list, leaving {x} unseen",
        ),
        *(
            WindowKpi(
                f"open_{band}w_plus_end",
                STOCK,
                "children",
                f"open referrals waiting {band}+ weeks",
                f"bring the children waiting {band} weeks or more down to {{x}}",
            )
            for band in (13, 18, 52, 104)
        ),
        WindowKpi(
            "open_under_18w_pct_end",
            STOCK,
            "%",
            "% of the open list under 18 weeks",
            "have {x} of the open list waiting under 18 weeks",
        ),
        WindowKpi(
            "open_wait_median_end_weeks",
            STOCK,
            "weeks",
            "median weeks waited by the open list",
            "bring the median time the open list has waited down to {x}",
        ),
    )
}
ALIASES = {
    "first_appointment_within_13w": "first_within_13w_pct",
    "first_appointment_within_18w": "first_within_18w_pct",
    "median_wait_weeks": "first_wait_median_weeks",
    "p90_wait_weeks": "first_wait_p90_weeks",
    "list_cleared": "backlog_not_seen_end",
}
BARE = {"list_cleared": ("<=", 0.0)}  # aliases that need no operator
OPERATORS = {">=": ">=", "≥": ">=", ">": ">", "<=": "<=", "≤": "<=", "<": "<", "=": "=", "==": "="}
_SYNTAX = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|≥|≤|>|<|=)\s*([-+]?\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$"
)


@dataclass(frozen=True)
class Target:
    """A parsed target; `threshold` is in the KPI's own unit (percent for % KPIs)."""

    text: str
    kpi: WindowKpi
    op: str  # ">=", ">", "<=" or "<"
    threshold: float
    alias: str | None = None

    def met(self, values: np.ndarray) -> np.ndarray:
        """Which values meet it; an undefined value (NaN: nothing in the window) does not."""
        x = np.asarray(values, float)
        with np.errstate(invalid="ignore"):
            ok = {">=": x >= self.threshold, ">": x > self.threshold}.get(self.op)
            if ok is None:
                ok = x <= self.threshold if self.op == "<=" else x < self.threshold
        return ok & ~np.isnan(x)

    @property
    def higher_is_better(self) -> bool:
        """True when the KPI must rise to meet it (the lever is assumed to help)."""
        return self.op in (">=", ">")

    def threshold_text(self) -> str:
        """The threshold for people: "90%", "18 weeks", "0 children"."""
        return format_value(self.threshold, self.kpi.unit)

    def threshold_words(self) -> str:
        """The threshold as the goal phrases need it: "90%", "18 weeks or less", "none"."""
        value = format_value(self.threshold, self.kpi.unit)
        if self.higher_is_better:
            return value if self.kpi.unit == "%" else f"at least {value}"
        if self.kpi.unit == "children":
            return "none" if self.threshold <= 0 else f"{value} or fewer"
        return f"{value} or less" if self.kpi.unit == "weeks" else f"at most {value}"

    def describe(self) -> str:
        """The canonical form, e.g. ``first_within_13w_pct >= 90``."""
        return f"{self.kpi.name} {self.op} {self.threshold:g}"


def format_value(value: float, unit: str, digits: int = 1) -> str:
    """A KPI value with its unit, as people read it."""
    if np.isnan(value):
        return "undefined"
    if unit == "%":
        return f"{value:.{digits}f}%".replace(f".{'0' * digits}%", "%")
    if unit == "children":
        return f"{value:,.0f} children" if abs(value) != 1 else f"{value:.0f} child"
    return f"{value:.{digits}f} {unit}"


def parse_target(text: str) -> Target:
    """Parse ``"KPI OP NUMBER"`` (or a bare alias such as ``list_cleared``).

    Raises `ScenarioError` (exit code 2 on the command line) for bad syntax, an unknown
    KPI, ``=`` with anything but 0 on a count, a threshold that is not finite or outside
    the KPI's possible range (weeks and counts >= 0, percentages 0-100; ``< 0`` and
    ``> 100%`` can never be met), or a yes/no alias (``list_cleared``) given an operator.
    """
    stripped = text.strip()
    if stripped in BARE:
        op, value = BARE[stripped]
        return Target(text, CATALOGUE[ALIASES[stripped]], op, value, stripped)
    match = _SYNTAX.match(text)
    if match and match.group(1) in BARE:
        name = match.group(1)
        op, value = BARE[name]
        meaning = f"{ALIASES[name]} {op} {value:g}"
        raise _bad(
            text,
            f"{name} is a yes/no target: write it on its own (it means {meaning}); "
            f"for a number of children left, write {ALIASES[name]} <= N",
        )
    if not match:
        raise _bad(
            text,
            'must look like "KPI >= NUMBER" (or <=, >, <), e.g. '
            '"first_within_13w_pct >= 90" or "open_52w_plus_end <= 0"',
        )
    name, op, number, percent = match.groups()
    alias = name if name in ALIASES else None
    kpi = CATALOGUE.get(ALIASES.get(name, name))
    if kpi is None:
        known = ", ".join([*CATALOGUE, *ALIASES])
        raise _bad(text, f"unknown KPI {name!r}; one of {known}")
    value = float(number)
    if not math.isfinite(value):
        raise _bad(text, "the threshold must be a finite number")
    op = OPERATORS[op]
    if op == "=":
        if kpi.unit != "children" or value != 0:
            raise _bad(text, "'=' only means 'none' (= 0) on a count; use >= or <=")
        op = "<="
    fraction = kpi.unit == "%" and not percent and 0 < value <= 1
    if fraction:
        value *= 100.0  # 0.90 means 90%
    if kpi.unit == "%" and not 0 <= value <= 100:
        raise _bad(text, "a percentage must be between 0 and 100 (or a fraction 0-1)")
    if percent and kpi.unit != "%":
        raise _bad(text, f"{kpi.name} is in {kpi.unit}, not %")
    if value < 0:
        raise _bad(text, f"{kpi.name} is in {kpi.unit}, never below 0: the threshold must be >= 0")
    if op == "<" and value <= 0:
        raise _bad(text, f"{kpi.name} is never below 0, so '< 0' can never be met; use '<= 0'")
    if op == ">" and kpi.unit == "%" and value >= 100:
        read = f" ({number} is read as the fraction {value:g}%; write {number}% for that)"
        rule = f"{kpi.name} is never above 100%, so '> 100%' can never be met"
        raise _bad(text, rule + (read if fraction else ""))
    return Target(text, kpi, op, value, alias)


def _bad(text: str, rule: str) -> ScenarioError:
    return ScenarioError("--target", [Problem("--target", text, rule)])
