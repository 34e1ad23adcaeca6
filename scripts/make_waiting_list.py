"""Make the synthetic Lancashire starting list: `scenarios/data/lancashire_waiting_list.csv`.

The list is SYNTHETIC. It holds no real children and no real records: every row is drawn from the
simple flow model below, with a fixed seed, so that the same script always writes the same file.
It stands in for the real snapshot (one row per open referral) that a service would export; the
real one can replace it without changing the scenario files.

How the rows are made
---------------------
A child referred ``w`` weeks before the snapshot date (2026-04-01) is still on the list with
probability

    P(still open | w) = p_triage(w) + (1 - p_triage(w)) * accepted * exp(-hazard * w) * S(w)

and the expected number referred in that week is ``R(w) = 65 * 1.06 ** (-w / 52) * season(month)``,
the same assumptions as `scenarios/lancashire.toml` (65 referrals a week county-wide, 6% a year
growth, the monthly seasonality). Here

- ``p_triage(w)``: a weekly panel decides most referrals within three weeks; the 8% asked for more
  information wait about six weeks more;
- ``accepted = 0.80 / (1 - 0.08)``: accepted at the first or a later panel;
- ``hazard = 0.003`` a week: families who move, go private or use Right to Choose;
- ``S(w)``: the share not yet through the assessment. Routine referrals follow a logistic curve
  with a median of 102 weeks and a scale of 15 weeks (so a long tail to about 150 weeks, the
  oldest kept at 156 weeks); urgent ones (5%) a median of 10 weeks.

The referral pause of 2 to 15 February 2026 (BRIEF.md) means no referrals on those dates.
District is drawn in proportion to resident children, pathway from the referral mix
(asd 0.5, adhd 0.3, both 0.2), and stage from the age of the referral: the newest are mostly at
``triage``; about 13% of the list (558, the number the pathway's own flow keeps in
assessment), mostly the longest waiters (FIFO booking) and urgent referrals, are
``in_assessment`` (initial appointment done); everyone else is ``waiting_first``.

Calibration, and what the public data do and do not say
--------------------------------------------------------
The target is a service under pressure: 4,000-5,000 children waiting county-wide, 30-50% of them
for 52 weeks or more. The file written by this script has 4,272 rows, 44.9% of them referred 52
weeks or more before 2026-04-01 and 6.7% 104 weeks or more; 13.1% are `in_assessment`. The data in
`/work/shared/data/public/` support "long waits" but are an imperfect guide to ">52 weeks":

- `la_ch_time_series_derived.csv` (NHS England Community Health Services SitRep, 2023), service
  "Community Paediatric Service": the North West region had 42-50% of children waiting more than
  18 weeks (Jan-Oct 2023) but only 0.3-6% more than 52 weeks; the Lancashire and South Cumbria ICB
  row (about 1,400 children, East Lancashire Hospitals only; the main ND provider, LSCFT, did not
  submit) had 36-45% over 18 weeks and almost none over 52. England had 17% over 52 weeks
  (October 2023). So the "30-50% over 52 weeks" is a statement about ND pathway waits, which the
  SitRep largely does not capture, not about community paediatrics as reported.
- `AutismStatsDec22_subICB.csv.gz` (NHS Digital autism waiting-time statistics, mental-health
  providers only), September 2022, ages 0-17: in the Lancashire sub-ICBs 00X, 01E, 01K and 02G,
  77-91% of open suspected-autism referrals (ASD16c / ASD16b) had been open 13 weeks or more.

The long-tail shape (median about 100 weeks before the first appointment) is therefore an
assumption, chosen to match the ND pathway's reported waits of well over a year, and should be
replaced by the real snapshot when one is available.

Run from the repository root:  ``python scripts/make_waiting_list.py``
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

SEED = 20260401
SNAPSHOT = dt.date(2026, 4, 1)
MAX_WEEKS = 156
OUT = Path(__file__).resolve().parent.parent / "scenarios" / "data" / "lancashire_waiting_list.csv"

# ONS Census 2021 usual residents x 0.2, rounded to 100 (as in scenarios/lancashire.toml).
CHILDREN = {
    "Burnley": 18_900,
    "Chorley": 23_600,
    "Fylde": 16_200,
    "Hyndburn": 16_400,
    "Lancaster": 28_600,
    "Pendle": 19_300,
    "Preston": 29_600,
    "Ribble Valley": 12_300,
    "Rossendale": 14_000,
    "South Ribble": 22_200,
    "West Lancashire": 23_500,
    "Wyre": 22_400,
}
REFERRALS_PER_WEEK = 65.0
GROWTH_PER_YEAR = 0.06
# Monthly multipliers, January first, as in scenarios/lancashire.toml.
SEASON = [1.05, 1.39, 1.21, 0.93, 1.10, 0.96, 1.05, 0.66, 0.86, 0.82, 1.04, 0.93]
PAUSE = (dt.date(2026, 2, 2), dt.date(2026, 2, 16))  # referrals paused, [from, until)
ACCEPTED = 0.80 / (1 - 0.08)
WITHDRAWAL_HAZARD = 0.003
URGENT_SHARE = 0.05
PATHWAYS = {"asd": 0.5, "adhd": 0.3, "both": 0.2}
ROUTINE_MEDIAN_WEEKS, ROUTINE_SCALE_WEEKS = 102.0, 15.0
URGENT_MEDIAN_WEEKS, URGENT_SCALE_WEEKS = 10.0, 3.0
STAGES = ("triage", "waiting_first", "in_assessment")
# Routine children in assessment: the oldest, centred on 92 weeks, so that about 600 are in
# assessment: the pathway's own flow (about 45 first appointments a week, each child then about
# 13 weeks on the appointment timetable) keeps that many there. A list with fewer hands the
# later appointments' hours to first appointments for the first weeks (a start-up surge).
IN_ASSESSMENT_MEDIAN_WEEKS = 94.0


def _logistic(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-x))


def p_triage(age_weeks: np.ndarray) -> np.ndarray:
    """Chance a referral this old is still at triage (weekly panel; 8% sent back for 6 weeks)."""
    first = np.interp(age_weeks, [0.0, 1.0, 2.0, 3.0], [0.95, 0.6, 0.25, 0.0])
    more_info = np.where(age_weeks < 9.0, 0.08, 0.0)
    return np.maximum(first, more_info)


def still_open(age_weeks: np.ndarray, urgent: bool) -> np.ndarray:
    """Chance a referral this old is still on the list (any stage)."""
    if urgent:
        median, scale = URGENT_MEDIAN_WEEKS, URGENT_SCALE_WEEKS
    else:
        median, scale = ROUTINE_MEDIAN_WEEKS, ROUTINE_SCALE_WEEKS
    not_done = _logistic((median - age_weeks) / scale)
    tri = p_triage(age_weeks)
    after = ACCEPTED * np.exp(-WITHDRAWAL_HAZARD * age_weeks) * not_done
    return tri + (1.0 - tri) * after


def p_in_assessment(age_weeks: np.ndarray, urgent: bool) -> np.ndarray:
    """Chance an open, triaged referral has had its initial appointment (oldest first)."""
    if urgent:
        return _logistic((age_weeks - 7.0) / 2.0)
    return _logistic((age_weeks - IN_ASSESSMENT_MEDIAN_WEEKS) / 10.0)


def referral_days(rng: np.random.Generator) -> list[tuple[dt.date, bool]]:
    """Referral dates of the open list, one per child, with an urgent flag."""
    out: list[tuple[dt.date, bool]] = []
    for days_before in range(1, 7 * MAX_WEEKS + 1):
        day = SNAPSHOT - dt.timedelta(days=days_before)
        if day.weekday() >= 5 or PAUSE[0] <= day < PAUSE[1]:
            continue  # referrals are processed on working days; none during the pause
        age = np.array([days_before / 7.0])
        rate = REFERRALS_PER_WEEK / 5.0 * SEASON[day.month - 1]
        rate *= (1.0 + GROWTH_PER_YEAR) ** (-days_before / 365.25)
        for urgent, share in ((True, URGENT_SHARE), (False, 1.0 - URGENT_SHARE)):
            mean = rate * share * float(still_open(age, urgent)[0])
            out += [(day, urgent)] * int(rng.poisson(mean))
    return out


def stage_of(rng: np.random.Generator, age_weeks: float, urgent: bool) -> str:
    age = np.array([age_weeks])
    tri = float(p_triage(age)[0])
    open_prob = float(still_open(age, urgent)[0])
    if rng.random() < tri / open_prob:
        return "triage"
    if rng.random() < float(p_in_assessment(age, urgent)[0]):
        return "in_assessment"
    return "waiting_first"


def make_rows(seed: int = SEED) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    names = list(CHILDREN)
    weights = np.array([CHILDREN[n] for n in names], dtype=float)
    weights /= weights.sum()
    paths = list(PATHWAYS)
    path_p = np.array([PATHWAYS[p] for p in paths])
    rows = []
    for day, urgent in sorted(referral_days(rng)):
        age_weeks = (SNAPSHOT - day).days / 7.0
        rows.append(
            {
                "district": names[rng.choice(len(names), p=weights)],
                "referral_date": day.isoformat(),
                "stage": stage_of(rng, age_weeks, urgent),
                "pathway": paths[rng.choice(len(paths), p=path_p)],
                "priority": "urgent" if urgent else "routine",
            }
        )
    for i, row in enumerate(rows, start=1):
        row["child_id"] = f"LNC-{i:06d}"
    return rows


def main() -> None:
    rows = make_rows()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    columns = ["child_id", "district", "referral_date", "stage", "pathway", "priority"]
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    ages = np.array([(SNAPSHOT - dt.date.fromisoformat(r["referral_date"])).days / 7 for r in rows])
    stages = {s: sum(r["stage"] == s for r in rows) for s in STAGES}
    print(f"wrote {len(rows)} rows to {OUT}")
    print(f"waiting >= 52 weeks: {np.mean(ages >= 52):.1%}; >= 104: {np.mean(ages >= 104):.1%}")
    print(f"stages: {stages}; oldest {ages.max():.0f} weeks")


if __name__ == "__main__":
    main()
