"""The kinds of number, date and code a scenario holds, each with its physical bounds.

Every field of :mod:`nd_sim.scenario.models` uses one of these types, so a new field is
bounded by choosing its kind, not by remembering a rule. The bounds are wide enough for any
real service (England has about 3,500 autism referrals a week) and narrow enough that a
typo such as ``1e308`` or ``inf`` is refused with the field named, instead of reaching the
engine and failing there. Booleans are never numbers (the models are strict).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
MAX_WEEKS = 1040  # twenty years: the longest horizon, wait or delay a scenario may state
MAX_GBP = 1e10  # ten billion pounds: more than the NHS spends on this in a decade
MAX_WTE = 10_000.0
MAX_REFERRALS_PER_WEEK = 10_000.0  # per district
MAX_CHILDREN = 100_000_000
MAX_MULTIPLIER = 100.0
MAX_HOURS = 1_000.0  # profession-hours one appointment or referral may take
MAX_SEED = 2**63 - 1
MAX_REPLICATIONS = 100_000


def _in_date_range(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be a date from {EARLIEST_DATE} to {LATEST_DATE}")
    return value


def _as_date(value: Any) -> Any:
    """TOML datetimes count as their day; anything else is left for pydantic to judge."""
    return value.date() if isinstance(value, dt.datetime) else value


def normalise_code(value: Any) -> Any:
    """Codes are matched without regard to case or surrounding spaces ("Routine " = "routine")."""
    return value.strip().lower() if isinstance(value, str) else value


Date = Annotated[
    dt.date, BeforeValidator(_as_date), Field(strict=False), AfterValidator(_in_date_range)
]
Code = BeforeValidator(normalise_code)

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Probability
NonNegative = Annotated[float, Field(ge=0.0)]
Weeks = Annotated[float, Field(ge=0.0, le=MAX_WEEKS)]
PositiveWeeks = Annotated[float, Field(gt=0.0, le=MAX_WEEKS)]
WholeWeeks = Annotated[int, Field(ge=0, le=MAX_WEEKS)]
Months = Annotated[float, Field(gt=0.0, le=MAX_WEEKS / 4)]
Hours = Annotated[float, Field(ge=0.0, le=MAX_HOURS)]
HoursPerWeek = Annotated[float, Field(gt=0.0, le=168.0)]
Wte = Annotated[float, Field(ge=0.0, le=MAX_WTE)]
WteChange = Annotated[float, Field(ge=-MAX_WTE, le=MAX_WTE)]
Gbp = Annotated[float, Field(ge=0.0, le=MAX_GBP)]
ReferralsPerWeek = Annotated[float, Field(ge=0.0, le=MAX_REFERRALS_PER_WEEK)]
Multiplier = Annotated[float, Field(ge=0.0, le=MAX_MULTIPLIER)]
Count = Annotated[int, Field(ge=0, le=MAX_CHILDREN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
