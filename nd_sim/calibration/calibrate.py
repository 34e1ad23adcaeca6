"""`nd-sim calibrate`: a complete scenario fitted to a service's history, its list as at a
date, and the fit's evidence, written atomically.

The fitted numbers replace the template's, each with its estimate, interval and sample in
its note; what the history cannot tell (the pathway's appointments and hours, workshops,
costs, the booking policy) stays the template's and keeps its own note. The template's
what-ifs (shocks, criteria changes, interventions) are dropped: the history is the
service as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from nd_sim.calibration.capacity import fit_capacity
from nd_sim.calibration.fit import (
    Z95,
    Estimate,
    fit_dna,
    fit_referrals,
    fit_triage,
    fit_withdrawal,
    known_by,
)
from nd_sim.calibration.history import History
from nd_sim.results.children import APPOINTMENT_DATE_PREFIX
from nd_sim.scenario.bounds import MAX_MULTIPLIER
from nd_sim.scenario.models import Scenario
from nd_sim.scenario.uncertain import is_leaf, prune_ranges

LIST_COLUMNS = ["child_id", "district", "referral_date", "stage", "pathway", "priority"]


@dataclass(frozen=True)
class Calibration:
    """What `calibrate` writes."""

    scenario_toml: str
    waiting_list: pd.DataFrame
    fit: pd.DataFrame
    monthly: pd.DataFrame  # observed and fitted referrals by district and month
    weekly: pd.DataFrame  # completed assessments a week by team (capacity fit)


GROWTH = "demand.growth_per_year"
GROWTH_FLOOR = -0.5  # the field's own bound
BOUNDS = {GROWTH: (GROWTH_FLOOR, 2.0)}  # fields whose bounds are not [0, inf) or shares


def calibrate(
    history: History,
    template: Scenario,
    as_of: dt.date,
    source: str,
    since: dt.date | None = None,
) -> Calibration:
    """Fit every rate the history can tell; keep the template's for the rest (`since`: see
    `fit_referrals`)."""
    first = max(history.first_date, since) if since else history.first_date
    span = f"{source}, {first:%b %Y} to {as_of:%b %Y}"
    estimates, monthly = fit_referrals(history, template, as_of, since)
    estimates += fit_triage(history, as_of, since)
    estimates.append(fit_dna(history, template, as_of, since))
    estimates.append(fit_withdrawal(history, as_of, since))
    raw = _template_raw(template)
    _apply(raw, estimates, span)
    plain = _plain(raw)
    plain["starting_list"] = {}  # the template's list is not the service's
    interim = Scenario.model_validate(plain)
    capacity, observed = fit_capacity(
        history, interim, as_of, lambda day: waiting_list(history, day)
    )
    weekly = pd.concat(
        [
            pd.DataFrame({"team": t, "week": range(len(v)), "completed": v})
            for t, v in observed.items()
        ],
        ignore_index=True,
    )
    _apply_capacity(raw, capacity, template, span)
    estimates += capacity
    raw["name"] = f"Calibrated from {source}"
    raw["description"] = (
        f"Rates fitted from {span}; the pathway, costs and policies are those of the template "
        f"({template.name})."
    )
    raw["start_date"] = as_of
    raw["starting_list"] = {"csv": "waiting_list.csv"}
    raw["demand"]["shocks"] = []
    raw["demand"]["criteria_changes"] = []
    raw["interventions"] = []
    return Calibration(
        tomli_w.dumps(prune_ranges(raw)),
        waiting_list(history, as_of),
        pd.DataFrame([vars(e) for e in estimates]),
        monthly,
        weekly,
    )


def _template_raw(template: Scenario) -> dict:
    """The template as TOML-ready data, each number that had a note keeping it (marked as
    the template's, so a reader sees what the history did not set)."""
    raw = template.model_dump(mode="python", by_alias=True, exclude={"notes"}, exclude_none=True)
    for key, note in template.notes.items():
        *path, last = key.split(".")
        table = raw
        for part in path:
            table = table.get(part) if isinstance(table, dict) else None
            if table is None:
                break
        if isinstance(table, dict) and last in table and not isinstance(table[last], dict):
            table[last] = {"value": table[last], "note": f"template: {note}"}
    return raw


def _plain(raw: dict) -> dict:
    """`raw` with {value, note} numbers turned into their values (for a quick validation)."""
    if isinstance(raw, dict):
        if is_leaf(raw):
            return raw["value"]
        return {k: _plain(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_plain(v) for v in raw]
    return raw


def _fitted(value: float, e: Estimate, note: str, scale: float = 1.0, group: str = "") -> dict:
    """A fitted number with its uncertainty: normal, its sd from the 95% CI, cut at three
    sd (and at 0, and at 1 for a share), so that parameter uncertainty draws what the
    history leaves open. Without a CI the number is written plainly with its note."""
    value, note = _within_bounds(e.parameter, value, note)
    out: dict = {"value": _round(value)}
    if np.isfinite([e.ci_low, e.ci_high]).all() and e.ci_high > e.ci_low:
        sd = (e.ci_high - e.ci_low) * scale / (2 * Z95)
        top = 1.0 if _is_share(e.parameter) else float("inf")
        floor = GROWTH_FLOOR if e.parameter == GROWTH else 0.0
        low = max(floor, min(out["value"], value - 3 * sd))
        high = min(top, max(out["value"], value + 3 * sd))
        out |= {"low": _round(low), "high": _round(high), "dist": "normal", "sd": _round(sd)}
        if group:
            out["group"] = group
    out["note"] = note
    return out


def _within_bounds(parameter: str, value: float, note: str) -> tuple[float, str]:
    """A fit on too short a history can leave the field's range (growth of -100% a year
    from six months of data): the number is held at the bound, and the note says so."""
    low, high = BOUNDS.get(parameter, (0.0, 1.0 if _is_share(parameter) else float("inf")))
    if not np.isfinite(value):
        return low, note + "; the fit did not converge (too little history): set to the bound"
    if value < low or value > high:
        held = min(max(value, low), high)
        return held, note + f"; held at the field's bound {held:g} (too little history to fit)"
    return value, note


def _is_share(parameter: str) -> bool:
    return parameter.startswith("pathway.") and not parameter.endswith("weeks")


def _note(e: Estimate, span: str) -> str:
    interval = "" if pd.isna(e.ci_low) else f", 95% CI {e.ci_low:.4g} to {e.ci_high:.4g}"
    return f"fitted from {span}: {e.estimate:.4g}{interval}, n = {e.n:,} ({e.method})"


def _apply(raw: dict, estimates: list[Estimate], span: str) -> None:
    """Put each fitted number (with its note) where its parameter names."""
    multipliers = []
    for e in estimates:
        if e.parameter.startswith("demand.monthly_multipliers"):
            multipliers.append(round(e.estimate, 4))
            continue
        *path, key = e.parameter.split(".")
        table = raw
        for part in path:
            table = table.setdefault(part, {})
        table[key] = _fitted(e.estimate, e, _note(e, span))
        _forget_range(raw, e.parameter)
    if multipliers and all(np.isfinite(m) and 0 < m <= MAX_MULTIPLIER for m in multipliers):
        raw["demand"]["seasonality"] = "monthly"
        raw["demand"]["monthly_multipliers"] = multipliers


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def _apply_capacity(raw: dict, capacity: list[Estimate], template: Scenario, span: str) -> None:
    for e in capacity:
        for prof, group in template.teams[e.area].staff.items():
            wte = group.wte * e.estimate
            note = f"template's {group.wte:g} WTE x {_note(e, span)}"
            fitted = _fitted(wte, e, note, scale=group.wte, group=f"capacity of {e.area}")
            raw["teams"][e.area]["staff"][prof]["wte"] = fitted
            _forget_range(raw, f"teams.{e.area}.staff.{prof}.wte")


def _forget_range(raw: dict, path: str) -> None:
    """The template's range for a number the history has now set no longer applies."""
    table = raw.get("uncertain")
    if isinstance(table, dict):
        table.pop(path, None)


def waiting_list(history: History, as_of: dt.date) -> pd.DataFrame:
    """The list as at `as_of`, in the starting-list format: each child at its stage."""
    rows = history.rows
    end = pd.Timestamp(as_of)
    referred = rows.referral_date < end  # the scenario starts on as_of
    exit_ = known_by(rows, "exit_date", as_of)
    outcome = known_by(rows, "outcome_date", as_of)
    open_ = referred & exit_.isna() & outcome.isna()
    first = known_by(rows, "first_appointment_date", as_of)
    triaged = known_by(rows, "triage_date", as_of).notna()
    stage = pd.Series("triage", index=rows.index)
    stage[triaged] = "waiting_first"
    stage[first.notna()] = "in_assessment"
    chosen = rows[open_ & ~((rows.triage_result == "signposted") & triaged)]
    steps = [c for c in rows.columns if c.startswith(APPOINTMENT_DATE_PREFIX)]
    common = rows.pathway[rows.pathway != ""].mode()
    fallback = common.iloc[0] if len(common) else "asd"
    out = pd.DataFrame(
        {
            "child_id": chosen.referral_id,
            "district": chosen.district,
            "referral_date": chosen.referral_date.dt.strftime("%Y-%m-%d"),
            "stage": stage[chosen.index],
            "pathway": chosen.pathway.replace("", fallback),
            "priority": chosen.priority,
        }
    )
    out["next_appointment"] = ""
    triage_day = known_by(chosen, "triage_date", as_of)
    waiting = (out.stage == "waiting_first").to_numpy()
    out["accepted_date"] = np.where(waiting & triage_day.notna(), _iso(triage_day), "")
    seen = known_by(chosen, "first_appointment_date", as_of)
    last = seen.copy()
    if steps:  # the last appointment attended by the date
        attended_days = pd.concat([known_by(chosen, c, as_of) for c in steps], axis=1)
        last = attended_days.max(axis=1).fillna(seen)
    out["last_appointment_date"] = ""
    if steps:  # each child's next appointment: the first not yet attended by the date
        attended = np.column_stack([known_by(chosen, c, as_of).notna() for c in steps])
        inside = (out.stage == "in_assessment").to_numpy()
        missing = ~attended
        first_missing = np.where(missing.any(axis=1), missing.argmax(axis=1), len(steps) - 1)
        names = np.array([c[len(APPOINTMENT_DATE_PREFIX) :] for c in steps])
        nxt = np.where(inside & (first_missing > 0), names[np.maximum(first_missing, 1)], "")
        out["next_appointment"] = nxt
        dated = inside & (nxt != "") & last.notna().to_numpy()
        out["last_appointment_date"] = np.where(dated, _iso(last), "")
    columns = [*LIST_COLUMNS, "next_appointment", "accepted_date", "last_appointment_date"]
    return out[columns].reset_index(drop=True)


def _iso(days: pd.Series) -> np.ndarray:
    """Dates as YYYY-MM-DD text ("" where missing)."""
    return days.dt.strftime("%Y-%m-%d").fillna("").to_numpy()


def write_calibration(
    folder, result: Calibration, rejected: pd.DataFrame, figure, under: str = ""
) -> None:
    """Every file into the staged results folder (`under`: a subfolder, e.g. the
    backtest's "calibration/")."""
    folder.write_text(f"{under}scenario.toml", result.scenario_toml)
    folder.write_csv(f"{under}waiting_list.csv", result.waiting_list)
    folder.write_csv(f"{under}fit.csv", result.fit)
    folder.write_csv(f"{under}rejected_rows.csv", rejected)
    folder.write_csv(f"{under}referrals_monthly.csv", result.monthly.drop(columns=["d"]))
    folder.write_csv(f"{under}completed_weekly.csv", result.weekly)
    if figure is not None:
        from nd_sim.report.figures.style import save

        save(figure, Path(folder.path(f"{under}calibration.png")).parent, "calibration")
