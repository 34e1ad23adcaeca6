"""KPIs of one replication measured over a window ending at a date, not over the whole run.

A service is judged by how it is doing *then* ("90% within 13 weeks in the quarter to March
2028"), not on average since today, so every target of `nd-sim size` is measured over:

* **flow** KPIs (waits of first appointments or outcomes): the events held in the 13 weeks
  (91 days) ending at the end of the `--by` day;
* **cohort** KPIs (`referred_seen_within_13w_pct`): children newly referred in the 13 weeks
  ending 13 weeks before that, so each has had its full 13 weeks by the date; children the
  panel signposted before the date are left out, as in `summary.csv`;
* **stock** KPIs (the open list): the children open at the end of the `--by` day.

The definitions mirror `nd_sim.results.kpis` (at the horizon the stock KPIs are equal to it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from nd_sim.engine.codes import IN_ASSESSMENT, TRIAGE_SIGNPOSTED
from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import ASSESSED
from nd_sim.experiments.sizing.target import CATALOGUE, COHORT, FLOW
from nd_sim.inputs.model import Model

WINDOW_WEEKS = 13
WINDOW_DAYS = 7 * WINDOW_WEEKS
COUNTY = ("county", -1)


@dataclass(frozen=True)
class Window:
    """The window ending at the end of the `by` day (day numbers from the scenario start)."""

    start: dt.date
    by: dt.date

    @property
    def end_day(self) -> int:
        """First day after the window (the time, in days, at which stocks are counted)."""
        return (self.by - self.start).days + 1

    def first_date(self, kind: str) -> dt.date:
        """First day of the events counted: the 13 weeks ending at `by`, or the cohort's."""
        back = {FLOW: WINDOW_DAYS, COHORT: 2 * WINDOW_DAYS}.get(kind, 1)
        return self.by - dt.timedelta(days=back - 1)

    def last_date(self, kind: str) -> dt.date:
        """Last day of the events counted (the cohort's referrals end 13 weeks before `by`)."""
        return self.by - dt.timedelta(days=WINDOW_DAYS) if kind == COHORT else self.by

    def describe(self, kind: str) -> str:
        """The window in words, for every output."""
        to = long_date(self.by)
        if kind == FLOW:
            return f"in the 13 weeks to {to} ({long_date(self.first_date(FLOW))} to {to})"
        if kind == COHORT:
            first, last = long_date(self.first_date(COHORT)), long_date(self.last_date(COHORT))
            return f"for children referred from {first} to {last} (13 weeks each by {to})"
        return f"by {to} (the list at the end of that day)"


def long_date(day: dt.date) -> str:
    """A date as people write it: 31 March 2028."""
    return f"{day.day} {day:%B %Y}"


def area_mask(raw: RawResults, model: Model, area: tuple[str, int]) -> np.ndarray:
    """Children of the county, a district or a team."""
    kind, index = area
    if kind == "district":
        return raw.district == index
    if kind == "team":
        return np.asarray(model.team_of_district)[raw.district] == index
    return np.ones(raw.referral_day.size, bool)


class Children:
    """One replication's milestones for one area, ready to be cut at any window end."""

    def __init__(self, raw: RawResults, mask: np.ndarray) -> None:
        self.ref = raw.referral_day[mask]
        self.first = raw.first_day[mask]
        self.outcome = np.where(raw.exit_code[mask] == ASSESSED, raw.outcome_day[mask], np.nan)
        self.exit = raw.exit_day[mask]
        stage = raw.start_stage[mask]
        self.counts_first = (
            stage != IN_ASSESSMENT
        )  # already in assessment at the start: no first wait
        self.new = stage < 0
        self.backlog = stage >= 0
        signposted = raw.triage_result[mask] == TRIAGE_SIGNPOSTED
        self.signposted_day = np.where(signposted, raw.triage_day[mask], np.inf)

    def value(self, kpi: str, end: float) -> float:
        """The KPI for the window ending at day `end` (NaN when nothing defines it)."""
        kind = CATALOGUE[kpi].kind
        with np.errstate(invalid="ignore"):
            if kind == FLOW:
                return self._flow(kpi, end)
            if kind == COHORT:
                return self._cohort(end)
            return self._stock(kpi, end)

    def _flow(self, kpi: str, end: float) -> float:
        if kpi.startswith("outcome_"):
            held = (self.outcome >= end - WINDOW_DAYS) & (self.outcome < end)
            waits = (self.outcome[held] - self.ref[held]) / 7.0
        else:
            held = self.counts_first & (self.first >= end - WINDOW_DAYS) & (self.first < end)
            waits = (self.first[held] - self.ref[held]) / 7.0
        if waits.size == 0:
            return np.nan
        if kpi.endswith("_pct"):
            return float(100.0 * np.mean(waits <= (13 if "13w" in kpi else 18)))
        if kpi.endswith("_mean_weeks"):
            return float(waits.mean())
        return float(np.quantile(waits, 0.9 if "_p90_" in kpi else 0.5))

    def _cohort(self, end: float) -> float:
        referred = (self.ref >= end - 2 * WINDOW_DAYS) & (self.ref < end - WINDOW_DAYS)
        cohort = self.new & referred & ~(self.signposted_day < end)
        if not cohort.any():
            return np.nan
        waits = (self.first[cohort] - self.ref[cohort]) / 7.0
        return float(100.0 * np.mean(waits <= WINDOW_WEEKS))  # never seen (NaN) is False

    def _stock(self, kpi: str, end: float) -> float:
        open_ = (self.ref < end) & ~(self.exit < end)  # NaN exit: still open at the horizon
        if kpi == "open_end":
            return float(np.count_nonzero(open_))
        unseen = open_ & self.counts_first & ~(self.first < end)
        if kpi == "not_yet_seen_end":
            return float(np.count_nonzero(unseen))
        if kpi == "backlog_not_seen_end":
            return float(np.count_nonzero(unseen & self.backlog))
        age = (end - self.ref[open_]) / 7.0
        if kpi == "open_under_18w_pct_end":
            return float(100.0 * np.mean(age < 18)) if age.size else np.nan
        if kpi == "open_wait_median_end_weeks":
            return float(np.median(age)) if age.size else np.nan
        band = int(kpi.split("_")[1].rstrip("w"))  # open_52w_plus_end -> 52
        return float(np.count_nonzero(age >= band))


def window_kpis(
    raw: RawResults, model: Model, end: float, area: tuple[str, int] = COUNTY
) -> dict[str, float]:
    """Every window KPI of one replication for the window ending at day `end`."""
    children = Children(raw, area_mask(raw, model, area))
    return {name: children.value(name, end) for name in CATALOGUE}
