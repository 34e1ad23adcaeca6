"""A district and a referral month, in the words staff can read out: when most of the
children referred then are expected to be seen (from the projections, never a new model)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from nd_sim.experiments.families.letters import month_year
from nd_sim.experiments.families.staff_summary import most_span


def cohort_words(projections: pd.DataFrame, district: str, referred: dt.date | None) -> str:
    """ "Of the 41 children referred in Preston in May 2025 and still waiting, most are
    expected to be seen from March to July 2027" (empty when there are none)."""
    if referred is None or projections.empty:
        return ""
    dates = pd.to_datetime(projections.referral_date)
    same = projections[
        (projections.district == district)
        & (dates.dt.year == referred.year)
        & (dates.dt.month == referred.month)
        & (projections.stage != "in_assessment")
    ]
    when = f"in {district} in {month_year(referred.replace(day=1))}"
    if same.empty:
        return f"No child referred {when} is waiting for a first appointment on the list."
    end = same.projection_end.iloc[0]
    span = most_span(same, "first", end).text()
    return (
        f"Of the {len(same):,} children referred {when} and still waiting, most (about 8 in 10 "
        f"of them) are expected to have a first appointment {span}."
    )
