"""The engine against queueing theory and against Ciw, on a textbook reduction.

The "textbook" scenario switches every richer mechanism off (no triage, workshops, DNA,
withdrawal, re-referral, seasonality or growth; one team, one profession whose WTE is
exactly one appointment-hour a week). The engine then reduces to a discrete-time queue:

* referrals are a Poisson process of rate ``lam`` per week (times in days);
* at day ``7n + 0.2`` the diary of week ``n`` books ``min(queue, c)`` children who were
  referred strictly before ``7n``, in referral order, for day ``7n + 2.5``.

So the queue just after booking week ``n`` satisfies ``Q[n+1] = max(Q[n] + A[n] - c, 0)``
with ``A[n] ~ Poisson(lam)``, and a child referred at offset ``U`` (weeks) into week ``n``
behind ``j`` earlier referrals of the same week waits ``1 + floor((Q[n] + j) / c) + 2.5/7 - U``
weeks. Given ``U``, ``j ~ Poisson(lam U)``; averaged over ``U ~ U(0, 1)``,
``P(J = j) = P(Poisson(lam) > j) / lam`` (the integral of the Poisson pmf over its mean),
so the mean wait is ``6/7 + E[floor((Q + J) / c)]`` with ``Q`` and ``J`` independent
(Poisson arrivals see the week-start queue of their week).

Every interval below is a two-sided t interval over independent replications at level
``LEVEL``. The file makes about a dozen interval checks; at 95% each, a correct engine
would fail at least one of them for some fixed seed set with probability ~40%, so the level
is 99% (family-wise ~10%), chosen before any run. The replication counts make the
half-widths small compared with any plausible semantic error (a 2.5-day offset is 0.36
weeks; the half-widths of the mean waits are ~0.01-0.08 weeks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ciw
import numpy as np
import pytest
from scipy import stats
from scipy.stats import poisson

from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import Model, compile_model
from nd_sim.scenario import Scenario

LEVEL = 0.99
APPOINTMENT_DAY = 2.5  # days after the week start (the engine's Wednesday noon)


# ---------------------------------------------------------------------------- helpers
def textbook(
    lam: float,
    c: float,
    weeks: int,
    *,
    appointments: list[dict] | None = None,
    backlog: int = 0,
    backlog_weeks: tuple[float, float] = (0.0, 20.0),
) -> Model:
    """One district, one team, one profession of 1 clinical hour per WTE-week: c = WTE."""
    raw: dict = {
        "name": "textbook",
        "start_date": "2026-01-05",
        "horizon_weeks": weeks,
        "professions": {
            "x": {"hours_per_wte_week": 1.0, "clinical_share": 1.0, "leave_fraction": 0.0}
        },
        "teams": {"t": {"staff": {"x": {"wte": c}}}},
        "districts": {"d": {"team": "t", "referrals_per_week": lam}},
        "demand": {"seasonality": "none", "growth_per_year": 0.0},
        "pathway": {
            "triage": {"enabled": False},
            "workshops": [],
            "appointments": appointments or [{"name": "initial", "hours": {"x": 1.0}}],
            "dna": {"probability": 0.0},
            "withdrawal": {"weekly_hazard": 0.0},
            "rereferral": {"probability": 0.0},
        },
        "booking": {"lead_time_weeks": 0},
    }
    if backlog:
        lo, hi = backlog_weeks
        raw["starting_list"] = {
            "profile": [
                {
                    "district": "d",
                    "stage": "waiting_first",
                    "weeks_waiting_min": lo,
                    "weeks_waiting_max": hi,
                    "count": backlog,
                }
            ]
        }
    return compile_model(Scenario.model_validate(raw))


@dataclass(frozen=True)
class Interval:
    """A two-sided t interval for a mean (or a difference of means)."""

    estimate: float
    half_width: float

    @property
    def low(self) -> float:
        return self.estimate - self.half_width

    @property
    def high(self) -> float:
        return self.estimate + self.half_width

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.estimate:.4f} +- {self.half_width:.4f} ({LEVEL:.0%})"


def t_interval(x: np.ndarray, level: float = LEVEL) -> Interval:
    """t interval for the mean of i.i.d. per-replication observations."""
    x = np.asarray(x, float)
    n = x.size
    q = stats.t.ppf(0.5 + level / 2, n - 1)
    return Interval(float(x.mean()), float(q * x.std(ddof=1) / math.sqrt(n)))


def welch_interval(x: np.ndarray, y: np.ndarray, level: float = LEVEL) -> Interval:
    """Welch t interval for mean(x) - mean(y)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    q = stats.t.ppf(0.5 + level / 2, df)
    return Interval(float(x.mean() - y.mean()), float(q * math.sqrt(vx + vy)))


# ------------------------------------------------------------- the exact discrete queue
def transition_matrix(lam: float, c: int, m: int) -> np.ndarray:
    """P[q, q'] of Q' = max(Q + A - c, 0), A ~ Poisson(lam), truncated at m (tail lumped)."""
    k = np.arange(m + c + 1)
    pk = poisson.pmf(k, lam)
    tail = poisson.sf(k[-1], lam)
    p = np.zeros((m + 1, m + 1))
    for q in range(m + 1):
        np.add.at(p[q], np.clip(q + k - c, 0, m), pk)
        p[q, m] += tail
    return p


def same_week_ahead(lam: float) -> np.ndarray:
    """P(J = j): referrals earlier in the same week, for an arrival at a uniform offset."""
    j = np.arange(int(lam + 40.0 * math.sqrt(lam) + 50))
    return poisson.sf(j, lam) / lam


def extra_weeks(lam: float, c: int, m: int) -> np.ndarray:
    """f(q) = E[floor((q + J) / c)]: whole weeks of queue ahead, for each week-start queue q."""
    pj = same_week_ahead(lam)
    q = np.arange(m + 1)
    j = np.arange(pj.size)
    return (np.floor((q[:, None] + j[None, :]) / c) * pj[None, :]).sum(axis=1)


def stationary(p: np.ndarray) -> np.ndarray:
    n = p.shape[0]
    a = p.T - np.eye(n)
    a[-1] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    return np.linalg.solve(a, b)


def first_diary_chance(lam: float, c: int, m: int) -> np.ndarray:
    """g(q) = P(q + J < c): booked in the first diary after referral, given queue q."""
    pj = same_week_ahead(lam)
    cdf = np.cumsum(pj)
    q = np.arange(m + 1)
    return np.where(q < c, cdf[np.clip(c - 1 - q, 0, None)], 0.0)


@dataclass(frozen=True)
class ExactWait:
    stationary_weeks: float  # mean wait of a referral in steady state
    window_weeks: float  # expected mean wait of referrals in weeks [first, last) from empty
    window_first_diary: float  # expected share of them booked in the next week's diary
    tail_mass: float  # stationary mass in the top 10 states (truncation check)


def exact_mean_wait(lam: float, c: int, first: int, last: int, m: int = 600) -> ExactWait:
    """Exact mean wait (weeks), stationary and over a referral window starting from empty."""
    p = transition_matrix(lam, c, m)
    f = extra_weeks(lam, c, m)
    g = first_diary_chance(lam, c, m)
    pi = stationary(p)
    dist = np.zeros(m + 1)
    dist[0] = 1.0  # nobody is referred before day 0: the queue after week 0's booking is empty
    per_week, first_diary = [], []
    for _ in range(last):
        per_week.append(dist @ f)
        first_diary.append(dist @ g)
        dist = dist @ p
    base = 1.0 + APPOINTMENT_DAY / 7.0 - 0.5  # next week's diary, Wednesday, minus E[U]
    return ExactWait(
        stationary_weeks=base + float(pi @ f),
        window_weeks=base + float(np.mean(per_week[first:last])),
        window_first_diary=float(np.mean(first_diary[first:last])),
        tail_mass=float(pi[-10:].sum()),
    )


# ----------------------------------------------------------------- reading the arrays
def window_waits(raw, first_week: int, last_week: int) -> np.ndarray:
    """Waits (weeks) of new referrals made in weeks [first_week, last_week)."""
    ref, first = raw.referral_day, raw.first_day
    new = raw.start_stage == -1
    sel = new & (ref >= 7.0 * first_week) & (ref < 7.0 * last_week)
    assert sel.sum() > 0
    assert not np.isnan(first[sel]).any(), "a referral in the window was censored"
    return (first[sel] - ref[sel]) / 7.0


def window_mean_wait(raw, first_week: int, last_week: int) -> float:
    """Mean wait (weeks) of new referrals made in weeks [first_week, last_week)."""
    return float(np.mean(window_waits(raw, first_week, last_week)))


def diary_weeks(raw, first_week: int, last_week: int) -> np.ndarray:
    """Whole diaries each window referral queued past: booking week - referral week - 1.

    Checks the diary structure on the way: appointments on day 2.5 of a week, and nobody
    booked into the diary of the week they were referred in (its cutoff is the week start).
    """
    ref, first = raw.referral_day, raw.first_day
    sel = (raw.start_stage == -1) & (ref >= 7.0 * first_week) & (ref < 7.0 * last_week)
    booked = (first[sel] - APPOINTMENT_DAY) / 7.0
    assert np.allclose(booked, np.rint(booked), rtol=0.0, atol=1e-9)
    k = np.rint(booked) - np.floor(ref[sel] / 7.0) - 1.0
    assert (k >= 0).all()
    return k


def open_list(raw, t: np.ndarray) -> np.ndarray:
    """Children referred by time t and not yet seen for a first appointment, for each t."""
    ref = np.sort(raw.referral_day)
    seen = np.sort(raw.first_day[~np.isnan(raw.first_day)])
    return np.searchsorted(ref, t, side="right") - np.searchsorted(seen, t, side="right")


def queue_after_booking(raw, weeks: int) -> np.ndarray:
    """Q[n]: children referred before 7n and not booked at or before week n."""
    ref = np.sort(raw.referral_day)
    first = raw.first_day[~np.isnan(raw.first_day)]
    booked_week = np.sort(np.rint((first - APPOINTMENT_DAY) / 7.0))
    n = np.arange(weeks)
    return np.searchsorted(ref, 7.0 * n, side="left") - np.searchsorted(
        booked_week, n, side="right"
    )


def time_in_state(start: np.ndarray, end: np.ndarray, a: float, b: float) -> float:
    """Integral over [a, b) of the number of children with start <= t < end."""
    s = np.clip(start, a, b)
    e = np.clip(end, a, b)
    return float(np.sum(np.maximum(e - s, 0.0)))


# ---------------------------------------------------------------------------- 1. exact
def test_exact_reference_self_check_validation():
    """The closed-form same-week law equals the numerical integral over U (and sums to 1)."""
    lam = 8.0
    pj = same_week_ahead(lam)
    u, w = np.polynomial.legendre.leggauss(60)
    u, w = 0.5 * (u + 1.0), 0.5 * w
    j = np.arange(pj.size)
    integrated = (poisson.pmf(j[:, None], lam * u[None, :]) * w[None, :]).sum(axis=1)
    assert np.allclose(pj, integrated, atol=1e-13)
    assert abs(pj.sum() - 1.0) < 1e-12
    # with almost no referrals nobody queues: the wait is next week's Wednesday, 6/7 on average
    exact = exact_mean_wait(0.01, 1, 0, 10, m=50)
    assert abs(exact.stationary_weeks - (6 / 7)) < 0.01


@pytest.mark.parametrize(
    ("lam", "c", "reps", "warmup"),
    [
        pytest.param(8.0, 10, 100, 52, id="rho0.80"),
        pytest.param(9.5, 10, 200, 104, id="rho0.95", marks=pytest.mark.slow),
    ],
)
def test_exact_discrete_queue_validation(lam, c, reps, warmup):
    weeks, censor = 520, 26
    model = textbook(lam, c, weeks)
    means, next_diary = [], []
    for r in range(reps):
        raw = run_replication(model, r, 1001)
        means.append(window_mean_wait(raw, warmup, weeks - censor))
        next_diary.append(np.mean(diary_weeks(raw, warmup, weeks - censor) == 0))
    exact = exact_mean_wait(lam, c, warmup, weeks - censor)
    ci = t_interval(np.array(means))
    share = t_interval(np.array(next_diary))
    print(
        f"\nlam={lam} c={c}: exact stationary {exact.stationary_weeks:.4f} weeks, "
        f"exact over the window {exact.window_weeks:.4f}, simulated {ci}; share booked in "
        f"the next diary: exact {exact.window_first_diary:.4f}, simulated {share}"
    )
    assert exact.tail_mass < 1e-12  # the truncation at 600 is immaterial
    # the warm-up leaves a bias far inside the interval, so the stationary value is testable
    assert abs(exact.window_weeks - exact.stationary_weeks) < 0.25 * ci.half_width
    assert exact.window_weeks in ci
    assert exact.stationary_weeks in ci
    assert exact.window_first_diary in share


# ------------------------------------------------------------------------------ 2. Ciw
def ciw_window_mean_wait(
    lam: float, c: int, weeks: int, first_week: int, last_week: int, seed: int
) -> float:
    """Same system in Ciw: Poisson arrivals, c zero-length slots at days 7, 14, 21, ...

    Ciw's wait is slot time - arrival; the engine's appointment is 2.5 days after the slot.
    """
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam / 7.0)],
        service_distributions=[ciw.dists.Deterministic(value=0.0)],
        number_of_servers=[ciw.Slotted(slots=[7.0], slot_sizes=[c])],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(7.0 * weeks)
    lo, hi = 7.0 * first_week, 7.0 * last_week
    # nobody referred in the window may still be waiting (their wait would be censored)
    still = [ind.arrival_date for ind in sim.nodes[1].all_individuals]
    assert all(a >= hi for a in still)
    waits = [
        rec.waiting_time
        for rec in sim.get_all_records()
        if rec.record_type == "service" and lo <= rec.arrival_date < hi
    ]
    return (float(np.mean(waits)) + APPOINTMENT_DAY) / 7.0


@pytest.mark.slow
def test_ciw_peer_validation():
    lam, c, weeks, warmup, censor, reps = 8.0, 10, 520, 52, 26, 60
    model = textbook(lam, c, weeks)
    ours = np.array(
        [
            window_mean_wait(run_replication(model, r, 2002), warmup, weeks - censor)
            for r in range(reps)
        ]
    )
    peer = np.array(
        [ciw_window_mean_wait(lam, c, weeks, warmup, weeks - censor, 7000 + r) for r in range(reps)]
    )
    diff = welch_interval(ours, peer)
    exact = exact_mean_wait(lam, c, warmup, weeks - censor)
    print(
        f"\nnd-sim {t_interval(ours)}, Ciw {t_interval(peer)} weeks; "
        f"difference {diff}; exact {exact.window_weeks:.4f}"
    )
    assert 0.0 in diff
    assert exact.window_weeks in t_interval(peer)  # the peer also agrees with the theory


# ----------------------------------------------------------------- 3. fluid, overload
def exact_expected_list(lam: float, c: int, weeks: int, m: int = 1000) -> np.ndarray:
    """E[open list at day 7w], w = 0..weeks, from the exact chain (idle slots included)."""
    p = transition_matrix(lam, c, m)
    k = np.arange(m + c + 1)
    pk = poisson.pmf(k, lam)
    # expected bookings at week n+1 given Q[n] = q: E[min(q + A, c)]
    booked = np.array([np.sum(np.minimum(q + k, c) * pk) for q in range(m + 1)])
    dist = np.zeros(m + 1)
    dist[0] = 1.0
    seen = [0.0, 0.0]  # by day 0 and by day 7 (week 0 books nobody)
    for _ in range(1, weeks):
        seen.append(seen[-1] + float(dist @ booked))
        dist = dist @ p
    assert dist[-20:].sum() < 1e-12  # truncation immaterial over this horizon
    return lam * np.arange(weeks + 1) - np.array(seen)


def ols_slope(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    return float(np.sum(xc * (y - y.mean())) / np.sum(xc * xc))


def test_fluid_overload_validation():
    lam, c, weeks, start, reps = 12.0, 10, 156, 26, 200
    model = textbook(lam, c, weeks)
    w = np.arange(start, weeks + 1, dtype=float)
    slopes = np.array(
        [ols_slope(w, open_list(run_replication(model, r, 3003), 7.0 * w)) for r in range(reps)]
    )
    ci = t_interval(slopes)
    exact_slope = ols_slope(w, exact_expected_list(lam, c, weeks)[start:])
    print(
        f"\nlist growth: fluid {lam - c:.4f}/week, exact expected OLS slope "
        f"{exact_slope:.5f}, simulated {ci}"
    )
    # early idle slots barely bend E[list] after week 26: the fluid slope is the exact one
    assert abs(exact_slope - (lam - c)) < 0.05 * ci.half_width
    assert (lam - c) in ci


# ------------------------------------------------------ 4. fluid, backlog clearance
def clearance_weeks_monte_carlo(
    lam: float, c: int, backlog: int, paths: int, seed: int, max_weeks: int
) -> np.ndarray:
    """First n with Q[n] = 0 for the exact recursion from Q[0] = max(B - c, 0)."""
    rng = np.random.default_rng(seed)
    q = np.full(paths, max(backlog - c, 0), np.int64)
    tau = np.where(q == 0, 0, -1)
    for n in range(1, max_weeks):
        live = tau < 0
        if not live.any():
            break
        q[live] = np.maximum(q[live] + rng.poisson(lam, live.sum()) - c, 0)
        tau[live & (q == 0)] = n
    assert (tau >= 0).all()
    return tau.astype(float)


@pytest.mark.slow
def test_fluid_backlog_clearance_validation():
    """A list of B clears in ~B/(c - lam) weeks; exactly, E[tau] = (B - c + E[D])/(c - lam).

    tau is the first booking week whose diary has room for everyone referred before it
    (Q[n] = 0). By Wald's identity on the unreflected walk Q[0] + sum(A - c), stopped at
    tau, E[tau] (c - lam) = B - c + E[D], where D in [0, c) is the capacity left over in
    the clearing week; so B/(c - lam) - c/(c - lam) <= E[tau] < B/(c - lam). The exact
    E[tau] comes from a Monte Carlo of the recursion with many paths (its SE is ~0.1 week).
    """
    lam, c, backlog, weeks, reps = 8.0, 10, 500, 420, 200
    model = textbook(lam, c, weeks, backlog=backlog)
    taus = []
    for r in range(reps):
        raw = run_replication(model, r, 4004)
        assert (raw.start_stage == 1).sum() == backlog
        q = queue_after_booking(raw, weeks)
        assert q[0] == backlog - c
        cleared = np.flatnonzero(q == 0)
        assert cleared.size, "the backlog did not clear within the horizon"
        taus.append(float(cleared[0]))
    taus = np.array(taus)
    reference = clearance_weeks_monte_carlo(lam, c, backlog, 20_000, 44, 2000)
    fluid = backlog / (c - lam)
    diff = welch_interval(taus, reference)
    print(
        f"\nclearance: fluid {fluid:.2f} weeks, exact recursion "
        f"{t_interval(reference)}, simulated {t_interval(taus)} "
        f"(sd {taus.std(ddof=1):.1f} vs {reference.std(ddof=1):.1f}); difference {diff}"
    )
    assert 0.0 in diff
    # Wald's bracket on the exact mean (with the Monte Carlo's own interval)
    mc = t_interval(reference)
    assert fluid - c / (c - lam) <= mc.high and mc.low < fluid
    # and the simulation agrees with the fluid figure once the bracket is allowed for
    sim = t_interval(taus)
    assert sim.low < fluid and sim.high >= fluid - c / (c - lam)


# ------------------------------------------------------------------- 5. Little's law
def test_littles_law_validation():
    """L = lambda W for the waiting list and for 'in assessment', with nominal lambda.

    Three appointments of 1 hour (gaps 2 and 4 weeks), c = 30 hours/week, lam = 8/week:
    load 24/30. Every referral is eventually assessed, so throughput is lam in steady
    state. Per replication: L = time-average count over the window [52, 208) weeks,
    W = mean time in the state of children entering it in the window. In steady state
    E[L] = lam E[W] (the window edge terms cancel in expectation).

    Little's law holds whatever the follow-up gap rule; note that the engine currently
    turns a whole-week gap of g weeks into at least g + 1 weeks between appointments
    (ready = appointment day 2.5 + 7g is after the week-start cutoff of week n + g), so the
    time in assessment here is ~8 weeks, not the ~6 the gaps alone suggest.
    """
    lam, c, weeks, first, last, reps = 8.0, 30, 260, 52, 208, 100
    appointments = [
        {"name": "initial", "hours": {"x": 1.0}, "gap_weeks_to_next": 2.0},
        {"name": "assessment", "hours": {"x": 1.0}, "gap_weeks_to_next": 4.0},
        {"name": "feedback", "hours": {"x": 1.0}},
    ]
    model = textbook(lam, c, weeks, appointments=appointments)
    a, b = 7.0 * first, 7.0 * last
    span = (b - a) / 7.0
    rows = []
    for r in range(reps):
        raw = run_replication(model, r, 5005)
        ref, first_day, out = raw.referral_day, raw.first_day, raw.outcome_day
        horizon = 7.0 * weeks
        seen = np.where(np.isnan(first_day), horizon, first_day)
        done = np.where(np.isnan(out), horizon, out)
        assert np.all(raw.exit_code[~np.isnan(out)] == 1)
        entered_wait = (ref >= a) & (ref < b)
        entered_assess = (first_day >= a) & (first_day < b)
        assert not np.isnan(out[entered_wait | entered_assess]).any()  # no censoring
        completed = np.sum((out >= a) & (out < b))
        rows.append(
            (
                time_in_state(ref, seen, a, b) / (b - a),  # L waiting
                np.mean(first_day[entered_wait] - ref[entered_wait]) / 7.0,  # W waiting
                time_in_state(seen, done, a, b) / (b - a),  # L in assessment
                np.mean(out[entered_assess] - first_day[entered_assess]) / 7.0,  # W in assess
                completed / span,  # throughput
            )
        )
    l_wait, w_wait, l_assess, w_assess, throughput = np.array(rows).T
    tp = t_interval(throughput)
    wait_gap = t_interval(l_wait - lam * w_wait)
    assess_gap = t_interval(l_assess - lam * w_assess)
    print(
        f"\nthroughput {tp} /week (lam {lam}); waiting L {t_interval(l_wait)} vs lam W "
        f"{t_interval(lam * w_wait)}, L - lam W {wait_gap}; in assessment L "
        f"{t_interval(l_assess)} vs lam W {t_interval(lam * w_assess)}, L - lam W {assess_gap}"
    )
    assert lam in tp
    assert 0.0 in wait_gap
    assert 0.0 in assess_gap
