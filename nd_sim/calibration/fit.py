"""Fitting a scenario's rates to a service's history, each with a 95% confidence interval.

* **Referrals** per district: a Poisson GLM on monthly counts, log(mean) = district level +
  growth x years + month of year (sum to zero), with each month's days as exposure, fitted
  by iteratively reweighted least squares; intervals from the Fisher information scaled by
  the Pearson dispersion (quasi-Poisson, never below 1).
* **Triage**: the share asked for more information, and of the rest the share accepted
  (Wilson intervals).
* **DNAs**: missed appointments / (missed + attended) over children with an outcome, whose
  attended appointments are the pathway's (the engine's DNAs are geometric per
  appointment, so this is the maximum-likelihood estimate).
* **Withdrawal while unseen**: withdrawals before a first appointment / weeks at risk (from
  referral to the first appointment, another exit or the as-of date: competing exits and
  the present censor), an exponential rate with an exact Poisson interval, as a weekly
  probability.
* **Capacity**: by simulation, in `nd_sim.calibration.capacity`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from nd_sim.calibration.history import History
from nd_sim.scenario.models import Scenario

Z95 = 1.959963984540054
CAPACITY_WEEKS = 52


@dataclass(frozen=True)
class Estimate:
    """One fitted number: the scenario key it sets, its area, estimate and 95% CI."""

    parameter: str
    area: str
    estimate: float
    ci_low: float
    ci_high: float
    method: str
    n: int


def wilson(k: int, n: int) -> tuple[float, float, float]:
    """A proportion and its Wilson 95% interval."""
    if n == 0:
        return np.nan, np.nan, np.nan
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return p, max(centre - half, 0.0), min(centre + half, 1.0)


def poisson_rate(events: int, exposure: float) -> tuple[float, float, float]:
    """A rate and its exact (Garwood) 95% interval."""
    if exposure <= 0:
        return np.nan, np.nan, np.nan
    low = stats.chi2.ppf(0.025, 2 * events) / 2 if events else 0.0
    high = stats.chi2.ppf(0.975, 2 * events + 2) / 2
    return events / exposure, low / exposure, high / exposure


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from `first`'s to `last`'s."""
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


@np.errstate(over="ignore", invalid="ignore", divide="ignore")  # a short history: judged later
def fit_referrals(
    history: History, scenario: Scenario, as_of: dt.date, since: dt.date | None = None
) -> tuple[list[Estimate], pd.DataFrame]:
    """Referral rates per district at `as_of`, growth and monthly multipliers; and the
    observed and fitted monthly counts (for the figure). `since`: the first day the extract
    holds every referral (earlier ones are in it only because they were still open)."""
    rows = history.rows
    first = max(history.first_date, since) if since else history.first_date
    months = month_starts(first, as_of)
    districts = list(scenario.districts)
    table = []
    for m, start in enumerate(months):
        end = months[m + 1] if m + 1 < len(months) else as_of + dt.timedelta(days=1)
        lo, hi = max(start, first), end
        days = (hi - lo).days
        if days <= 0:
            continue
        inside = (rows.referral_date >= pd.Timestamp(lo)) & (rows.referral_date < pd.Timestamp(hi))
        counts = rows[inside].district.value_counts()
        for d, name in enumerate(districts):
            years = ((lo - as_of).days + days / 2) / 365.25
            table.append((name, d, start.month, years, days, int(counts.get(name, 0)), start))
    data = pd.DataFrame(
        table, columns=["district", "d", "month", "years", "days", "count", "start"]
    )
    x = _design(data, len(districts))
    beta, cov = _poisson_glm(x, data["count"].to_numpy(float), np.log(data.days.to_numpy(float)))
    n_d = len(districts)
    season = np.r_[beta[n_d + 1 :], -beta[n_d + 1 :].sum()]  # months 2..12 given, 1 by sum
    season = np.roll(season, 1)  # January first
    multipliers = np.exp(season) / np.exp(season).mean()
    level = np.log(np.exp(season).mean())
    out = []
    n_total = int(data["count"].sum())
    for d, name in enumerate(districts):
        log_rate = beta[d] + level + np.log(7.0)  # at years = 0, i.e. as_of
        se = np.sqrt(cov[d, d])
        out.append(
            Estimate(
                f"districts.{name}.referrals_per_week",
                name,
                float(np.exp(log_rate)),
                float(np.exp(log_rate - Z95 * se)),
                float(np.exp(log_rate + Z95 * se)),
                "Poisson GLM: district + growth + month of year",
                int(data[data.d == d]["count"].sum()),
            )
        )
    g, se_g = beta[n_d], np.sqrt(cov[n_d, n_d])
    out.append(
        Estimate(
            "demand.growth_per_year",
            "county",
            float(np.expm1(g)),
            float(np.expm1(g - Z95 * se_g)),
            float(np.expm1(g + Z95 * se_g)),
            "Poisson GLM: exp(growth) - 1",
            n_total,
        )
    )
    for k, value in enumerate(multipliers):
        out.append(
            Estimate(
                f"demand.monthly_multipliers[{k}]",
                "county",
                float(value),
                np.nan,
                np.nan,
                "Poisson GLM: month of year, normalised to mean 1",
                n_total,
            )
        )
    data["fitted"] = np.exp(x @ beta + np.log(data.days.to_numpy(float)))
    return out, data


def _design(data: pd.DataFrame, n_d: int) -> np.ndarray:
    """District indicators, years, and months 2..12 against January (sum-to-zero coding)."""
    n = len(data)
    x = np.zeros((n, n_d + 1 + 11))
    x[np.arange(n), data.d.to_numpy()] = 1.0
    x[:, n_d] = data.years.to_numpy()
    month = data.month.to_numpy()
    for k in range(11):  # columns for months 2..12; January is minus their sum
        x[:, n_d + 1 + k] = (month == k + 2).astype(float) - (month == 1).astype(float)
    return x


def _poisson_glm(x: np.ndarray, y: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood Poisson regression by IRLS; the coefficients and their covariance."""
    beta = np.zeros(x.shape[1])
    eta = offset + np.log(max(y.sum(), 1.0) / np.exp(offset).sum())  # start at the mean rate
    for _ in range(100):
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        xtw = x.T * mu
        information = xtw @ x + 1e-9 * np.eye(x.shape[1])
        new = np.linalg.solve(information, xtw @ z)
        if np.max(np.abs(new - beta)) < 1e-10:
            beta = new
            break
        beta = new
        eta = offset + x @ beta
    mu = np.exp(offset + x @ beta)
    cov = np.linalg.inv((x.T * mu) @ x + 1e-9 * np.eye(x.shape[1]))
    # quasi-Poisson: counts vary more than Poisson (returning families, the school year's
    # weeks inside a month), so the covariance is scaled by the Pearson dispersion
    dof = max(len(y) - x.shape[1], 1)
    dispersion = max(float(np.sum((y - mu) ** 2 / np.maximum(mu, 1e-12)) / dof), 1.0)
    return beta, cov * dispersion


def known_by(rows: pd.DataFrame, column: str, as_of: dt.date) -> pd.Series:
    """The column's dates, blank where they fall after `as_of` (not known yet)."""
    values = rows[column]
    return values.where(values <= pd.Timestamp(as_of))


def complete(rows: pd.DataFrame, since: dt.date | None) -> pd.DataFrame:
    """The referrals made on or after `since`, whose whole path the extract holds. Children
    referred earlier are in it only because they were still waiting when it starts: they
    passed triage (all accepted) and their earlier DNAs and leavers are missing, so shares
    fitted on them would be biased (left truncation)."""
    return rows if since is None else rows[rows.referral_date >= pd.Timestamp(since)]


def fit_triage(history: History, as_of: dt.date, since: dt.date | None = None) -> list[Estimate]:
    """The panel's shares: more information first, then accepted of the rest."""
    rows = complete(history.rows, since)
    decided = rows[
        known_by(rows, "triage_date", as_of).notna()
        & rows.triage_result.isin(["accepted", "signposted"])
    ]
    more = decided.more_information.str.lower().isin(["true", "yes", "1", "y"])
    p_more, more_low, more_high = wilson(int(more.sum()), len(decided))
    first_look = decided[~more]
    p_acc, acc_low, acc_high = wilson(
        int((first_look.triage_result == "accepted").sum()), len(first_look)
    )
    n = len(decided)
    return [
        Estimate(
            "pathway.triage.more_information",
            "county",
            p_more,
            more_low,
            more_high,
            "share (Wilson)",
            n,
        ),
        Estimate(
            "pathway.triage.accept",
            "county",
            (1 - p_more) * p_acc,
            (1 - p_more) * acc_low,
            (1 - p_more) * acc_high,
            "(1 - more) x share accepted at first look (Wilson)",
            n,
        ),
        Estimate(
            "pathway.triage.signpost",
            "county",
            (1 - p_more) * (1 - p_acc),
            (1 - p_more) * (1 - acc_high),
            (1 - p_more) * (1 - acc_low),
            "(1 - more) x share signposted at first look (Wilson)",
            n,
        ),
    ]


def fit_dna(
    history: History, scenario: Scenario, as_of: dt.date, since: dt.date | None = None
) -> Estimate:
    """The DNA probability from the children with an outcome by `as_of`.

    Each appointment is missed with probability p before it is attended, so a child's DNAs
    over the pathway's k appointments are negative binomial (k, p); but a child discharged
    at the D-th DNA (`pathway.dna.discharge_after`, the template's) never reaches an
    outcome, so the children who do have fewer than D. The estimate maximises the
    likelihood of that truncated distribution (without the truncation it is simply
    missed / (missed + attended)); the interval is from the observed information.
    """
    rows = complete(history.rows, since)
    done = rows[known_by(rows, "outcome_date", as_of).notna()]
    k = len(scenario.pathway.appointments)
    limit = scenario.pathway.dna.discharge_after or 10**6
    d = done.dnas.to_numpy(int)
    d = d[d < limit]
    n, total = len(d), int(d.sum())
    support = np.arange(min(limit, 200))
    weights = special.comb(support + k - 1, support)

    def minus_loglik(p: float) -> float:
        return -(total * np.log(p) - n * np.log(np.sum(weights * p**support)))

    if n == 0:
        return Estimate("pathway.dna.probability", "county", np.nan, np.nan, np.nan, "", 0)
    if total == 0:
        p_hat, low, high = 0.0, 0.0, wilson(0, n * k)[2]
    else:
        p_hat = optimize.minimize_scalar(minus_loglik, bounds=(1e-9, 0.99), method="bounded").x
        h = max(p_hat * 1e-4, 1e-9)
        curvature = (
            minus_loglik(p_hat + h) - 2 * minus_loglik(p_hat) + minus_loglik(p_hat - h)
        ) / h**2
        se = 1 / np.sqrt(curvature) if curvature > 0 else np.nan
        low, high = max(p_hat - Z95 * se, 0.0), min(p_hat + Z95 * se, 1.0)
    method = (
        f"negative binomial over {k} appointments, truncated below the discharge at {limit} "
        "DNAs (maximum likelihood)"
        if scenario.pathway.dna.discharge_after
        else f"missed / (missed + {k} attended) (maximum likelihood)"
    )
    return Estimate(
        "pathway.dna.probability", "county", float(p_hat), float(low), float(high), method, n
    )


def fit_withdrawal(history: History, as_of: dt.date, since: dt.date | None = None) -> Estimate:
    """Withdrawals before a first appointment per week at risk, as a weekly probability.

    A child referred before `since` is at risk only from `since` (left truncation: those who
    left earlier are not in the extract, so their time before it is not counted either).
    """
    rows = history.rows
    end = pd.Timestamp(as_of)
    first = known_by(rows, "first_appointment_date", as_of)
    exit_ = known_by(rows, "exit_date", as_of)
    stop = pd.concat([first, exit_, pd.Series(end, index=rows.index)], axis=1).min(axis=1)
    entry = (
        rows.referral_date if since is None else rows.referral_date.clip(lower=pd.Timestamp(since))
    )
    weeks = ((stop - entry).dt.total_seconds() / (7 * 86400)).clip(lower=0)
    withdrew = (rows.exit_reason == "withdrawn") & exit_.notna() & (first.isna())
    rate, low, high = poisson_rate(int(withdrew.sum()), float(weeks.sum()))

    def weekly(r: float) -> float:
        return float(-np.expm1(-r))

    return Estimate(
        "pathway.withdrawal.weekly_hazard",
        "county",
        weekly(rate),
        weekly(low),
        weekly(high),
        "withdrawals unseen / weeks at risk (exact Poisson), 1 - exp(-rate)",
        int(withdrew.sum()),
    )
