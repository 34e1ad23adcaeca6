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
from nd_sim.results.by_district import district_order
from nd_sim.results.km import km_quantile_sorted


def pathway_wait_medians(raw: RawResults, model: Model, areas: list[list[int]]) -> np.ndarray:
    """Each area's (a list of districts) median weeks from referral to an outcome
    (Kaplan–Meier; NaN with nobody referred; the longest follow-up, a lower bound, if the
    curve never reaches a half)."""
    horizon = float(model.days)
    new = (raw.start_stage < 0) & (raw.triage_result != TRIAGE_SIGNPOSTED)
    done = (raw.exit_code == ASSESSED) & (raw.outcome_day >= 0)
    end = np.where(done, raw.outcome_day, raw.exit_day)
    end = np.where(raw.exit_code == WAITING, horizon, end)
    weeks = (end - raw.referral_day) / 7.0
    usable = new & ~np.isnan(weeks)
    weeks, done, district = weeks[usable], done[usable], raw.district[usable].astype(np.int64)
    # by district, then weeks: an area's children are then a few slices, not a mask over
    # every child (which made the cost grow with areas x children)
    n_districts = max([len(model.districts), int(district.max(initial=-1)) + 1])
    order, bounds = district_order(weeks, district, n_districts)
    weeks, done = weeks[order], done[order]
    out = np.full(len(areas), np.nan)
    for k, districts in enumerate(areas):
        parts = [slice(bounds[d], bounds[d + 1]) for d in districts]
        if len(parts) == 1:
            t, e = weeks[parts[0]], done[parts[0]]
        else:
            t = np.concatenate([weeks[p] for p in parts])
            e = np.concatenate([done[p] for p in parts])
            by_t = np.argsort(t, kind="stable")
            t, e = t[by_t], e[by_t]
        if t.size:
            out[k] = km_quantile_sorted(t, e, 0.5)[0]
    return out


def equity_kpis(
    district_values: dict[str, np.ndarray], districts: list[int], children: np.ndarray
) -> dict[str, float]:
    """The area's equity KPIs from per-district values (`pathway_wait_median_weeks`,
    `child_weeks_waiting`, `open_52w_plus_end`, `referrals`, each an array by district)."""
    medians = district_values["pathway_wait_median_weeks"][districts]
    medians = medians[~np.isnan(medians)]
    out = {
        "district_gap_pathway_wait_weeks": float(medians.max() - medians.min())
        if medians.size
        else np.nan,
        "district_ratio_pathway_wait": float(medians.max() / medians.min())
        if medians.size and medians.min() > 0
        else np.nan,
    }
    kids = children[districts]
    weeks = district_values["child_weeks_waiting"][districts]
    out["child_weeks_per_1000_children"] = (
        float(1000.0 * weeks.sum() / kids.sum()) if np.all(kids > 0) else np.nan
    )
    return out


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
