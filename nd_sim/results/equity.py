"""Fairness between districts: how unequal the county's waits are, per area.

A commissioner choosing between options must see which one leaves one district's families
waiting far longer than another's. For each area (a team, the county) over its districts:

* the **gap** and the **ratio** between the longest and the shortest district median
  whole-pathway wait (`pathway_wait_median_weeks`: weeks from referral to an outcome, by
  Kaplan–Meier over the children referred during the run, so children still waiting count
  as "at least this long" instead of being dropped; children who withdraw or leave through a
  workshop are censored when they leave, and those signposted at triage are not on the
  pathway);
* **child-weeks waiting per 1,000 children** aged 0–17 (the scenario's `children` of each
  district), so that districts of different sizes compare;
* each district's **share of the county's 52-week waiters** against its **share of the
  referrals**, and their ratio (over 1: more than its share of the long waits).
"""

from __future__ import annotations

import numpy as np

from nd_sim.engine.codes import TRIAGE_SIGNPOSTED
from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import ASSESSED, WAITING
from nd_sim.inputs.model import Model
from nd_sim.results.areas import Areas, value_order
from nd_sim.results.km import KM_TOLERANCE


def pathway_wait_medians(raw: RawResults, model: Model, areas: Areas) -> np.ndarray:
    """Each area's median weeks from referral to an outcome (Kaplan–Meier; NaN with nobody
    referred; the longest follow-up, a lower bound, if the curve never reaches a half)."""
    from nd_sim.results.compiled import km_crossings, pathway_waits  # numba: when needed

    codes = np.array([TRIAGE_SIGNPOSTED, ASSESSED, WAITING], np.int64)
    weeks, done, district = pathway_waits(
        raw.referral_day, raw.outcome_day, raw.exit_day, raw.start_stage,
        raw.triage_result, raw.exit_code, raw.district, float(model.days), codes,
    )  # fmt: skip
    order = value_order(weeks)  # every area's curve from one pass in time order
    threshold = 1.0 - 0.5 + KM_TOLERANCE
    out = km_crossings(
        weeks[order], done[order], district[order], areas.member, len(areas) + 1, threshold
    )
    return out[: len(areas)]


def equity_kpis(
    district_values: dict[str, np.ndarray], areas: Areas, children: np.ndarray
) -> dict[str, np.ndarray]:
    """Every area's equity KPIs from per-district values (`pathway_wait_median_weeks`,
    `child_weeks_waiting`, `open_52w_plus_end`, `referrals`, each an array by district):
    an array over the areas for each KPI. A district with nobody referred (NaN median) is
    left out of its area's gap and ratio."""
    medians = district_values["pathway_wait_median_weeks"]
    inside = areas.matrix.astype(bool) & ~np.isnan(medians)
    with np.errstate(invalid="ignore", divide="ignore"):
        longest = np.where(inside, medians, -np.inf).max(axis=1, initial=-np.inf)
        shortest = np.where(inside, medians, np.inf).min(axis=1, initial=np.inf)
        some = inside.any(axis=1)
        gap = np.where(some, longest - shortest, np.nan)
        ratio = np.where(some & (shortest > 0), longest / shortest, np.nan)
        weeks = areas.sums(district_values["child_weeks_waiting"])
        all_counted = areas.counts((children <= 0).astype(np.int64)) == 0
        per_1000 = np.where(all_counted, 1000.0 * weeks / areas.sums(children), np.nan)
    return {
        "district_gap_pathway_wait_weeks": gap,
        "district_ratio_pathway_wait": ratio,
        "child_weeks_per_1000_children": per_1000,
    }


def district_shares(district_values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each district's share (%) of the county's 52-week waiters and of its referrals, and
    the ratio of the two (NaN where the county has none)."""
    waiters = district_values["open_52w_plus_end"]
    referrals = district_values["referrals"]
    with np.errstate(invalid="ignore", divide="ignore"):
        share_52 = (
            100.0 * waiters / waiters.sum() if waiters.sum() > 0 else np.full_like(waiters, np.nan)
        )
        share_ref = (
            100.0 * referrals / referrals.sum()
            if referrals.sum() > 0
            else np.full_like(referrals, np.nan)
        )
        ratio = np.where(share_ref > 0, share_52 / share_ref, np.nan)
    return {
        "share_of_52w_waiters_pct": share_52,
        "share_of_referrals_pct": share_ref,
        "waiters_52w_share_ratio": ratio,
    }
