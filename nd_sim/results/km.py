"""Kaplan–Meier estimates of time to an event, in plain numpy.

Used for waits to a first appointment by referral cohort: the event is the first appointment;
a child still waiting at the end of the run, or who left the list unseen, is censored at that
time (their wait was at least that long). Ignoring them, or counting them as seen, would make
recent cohorts look far better than they are.

Conventions:

- The survival curve S(t) = P(wait > t) is a right-continuous step function that drops only at
  event times: S(t) = prod over event times t_i <= t of (1 - d_i / n_i), where d_i is the number
  of events at t_i and n_i the number still at risk (duration >= t_i). A child censored at the
  same time as an event is counted at risk for it (the usual convention).
- The q-quantile is the smallest event time t with S(t) <= 1 - q. With no censoring this is the
  empirical quantile, the smallest x with F(x) >= q (numpy's ``method="inverted_cdf"``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# S(t) is a running product, so it can miss an exact 1 - q (e.g. 0.5) by rounding error.
KM_TOLERANCE = 1e-9


def _curve(durations: ArrayLike, observed: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Distinct event times and S just after each of them."""
    t = np.asarray(durations, dtype=float).ravel()
    e = np.asarray(observed, dtype=bool).ravel()
    if t.shape != e.shape:
        raise ValueError(f"durations ({t.size}) and observed ({e.size}) differ in length")
    if np.isnan(t).any():
        raise ValueError("durations contain NaN")
    if t.size == 0:
        return np.empty(0), np.empty(0)
    order = np.argsort(t, kind="stable")
    return _sorted_curve(t[order], e[order])


def _sorted_curve(t: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_curve` of durations already in ascending order (the events' order within tied
    durations does not matter: they are counted per distinct time)."""
    times, first = np.unique(t, return_index=True)
    at_risk = t.size - first
    events = np.add.reduceat(e.astype(np.int64), first)
    has_event = events > 0
    times, at_risk, events = times[has_event], at_risk[has_event], events[has_event]
    survival = np.cumprod(1.0 - events / at_risk)
    return times, survival


def km_survival(durations: ArrayLike, observed: ArrayLike, times: ArrayLike) -> np.ndarray:
    """S(t) = estimated P(time to event > t) at each of `times`.

    `observed[i]` is True where the event happened at `durations[i]` and False where the
    subject was censored then. Before the first event S is 1; after the last event time it
    stays at its last value. With no subjects at all S is NaN.
    """
    query = np.asarray(times, dtype=float)
    event_times, survival = _curve(durations, observed)
    if np.asarray(durations).size == 0:
        return np.full(query.shape, np.nan)
    index = np.searchsorted(event_times, query, side="right")
    return np.concatenate(([1.0], survival))[index]


def km_quantile(durations: ArrayLike, observed: ArrayLike, q: float) -> tuple[float, bool]:
    """The q-quantile of time to event, and whether the curve reached it.

    Returns ``(t, True)`` with t the smallest event time at which S(t) <= 1 - q. If the curve
    never falls that far (too many still waiting), returns ``(largest follow-up time, False)``:
    the quantile is *at least* that long. With no subjects, ``(nan, False)``.
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be strictly between 0 and 1, not {q}")
    t = np.asarray(durations, dtype=float)
    if t.size == 0:
        return float("nan"), False
    return _quantile_of(_curve(t, observed), q, float(t.max()))


def _quantile_of(
    curve: tuple[np.ndarray, np.ndarray], q: float, longest: float
) -> tuple[float, bool]:
    event_times, survival = curve
    reached = np.flatnonzero(survival <= 1.0 - q + KM_TOLERANCE)
    if reached.size:
        return float(event_times[reached[0]]), True
    return longest, False
