"""The per-child table (`children.parquet`): one row per child per replication.

Columns are built with numpy in the worker; dates are days since 1970-01-01 (Arrow
date32) with `MISSING_DATE` standing for "not reached", turned into nulls when written.
Each of the service's appointments has its own date column (`APPOINTMENT_DATE_PREFIX` +
its name), so that the time between any two steps can be read per child.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from nd_sim.engine.codes import IN_ASSESSMENT
from nd_sim.engine.raw import RawResults
from nd_sim.inputs.model import EXIT_REASONS, OUTCOMES, Model
from nd_sim.inputs.starting_list import PATHWAYS, STAGES

EPOCH = dt.date(1970, 1, 1)
MISSING_DATE = np.iinfo(np.int32).min
START_STAGES = ("new", *STAGES)
TRIAGE_RESULTS = ("pending", "accepted", "signposted")
DATE_COLUMNS = (
    "referral_date",
    "triage_date",
    "first_appointment_date",
    "outcome_date",
    "exit_date",
)
APPOINTMENT_DATE_PREFIX = "appointment_date."  # + an appointment's name


def _dates(days: np.ndarray, start: dt.date) -> np.ndarray:
    base = (start - EPOCH).days
    out = np.full(days.size, MISSING_DATE, np.int32)
    ok = ~np.isnan(days)
    out[ok] = base + np.floor(days[ok]).astype(np.int32)
    return out


def child_columns(raw: RawResults, model: Model) -> dict[str, np.ndarray | pa.Array]:
    """Plain numpy columns of the per-child table for one replication (the ids, text, as
    Arrow already).

    The appointment dates are the service's own appointments attended during the run: an
    outsourced provider's assessment is not one of them (its first appointment and outcome
    are in `first_appointment_date` and `outcome_date`), nor is anything before day 0.
    """
    start = model.scenario.start_date
    n = raw.n_children
    ids = _child_ids(raw.starting_ids, n)
    first_wait = np.where(
        raw.start_stage == IN_ASSESSMENT, np.nan, (raw.first_day - raw.referral_day) / 7.0
    )
    appointments = model.scenario.pathway.appointments
    appointment_dates = {
        APPOINTMENT_DATE_PREFIX + a.name: _dates(days, start)
        for a, days in zip(appointments, raw.step_day, strict=True)
    }
    return {
        "replication": np.full(n, raw.replication, np.int32),
        "child": np.arange(n, dtype=np.int32),
        "child_id": ids,
        "district": raw.district.astype(np.int32),
        "pathway": raw.pathway.astype(np.int32),
        "priority": raw.priority.astype(np.int32),
        "start_stage": (raw.start_stage + 1).astype(np.int32),
        "rereferral_of": raw.parent.astype(np.int32),
        "referral_date": _dates(raw.referral_day, start),
        "triage_date": _dates(np.where(raw.triage_day < 0, np.nan, raw.triage_day), start),
        "triage_result": (raw.triage_result + 1).astype(np.int32),
        "more_information": raw.more_information,
        "workshops_attended": raw.workshops.astype(np.int32),
        "first_appointment_date": _dates(
            np.where(raw.start_stage == IN_ASSESSMENT, np.nan, raw.first_day), start
        ),
        "outcome_date": _dates(raw.outcome_day, start),
        "outcome": raw.outcome.astype(np.int32),
        "exit_reason": raw.exit_code.astype(np.int32),
        "exit_date": _dates(raw.exit_day, start),
        "dnas": raw.dna.astype(np.int32),
        "outsourced": raw.outsourced,
        "first_wait_weeks": first_wait,
        "outcome_wait_weeks": (raw.outcome_day - raw.referral_day) / 7.0,
        **appointment_dates,
    }


def _child_ids(starting_ids: tuple[str, ...], n: int) -> pa.Array:
    """Ids from outside for today's list; new referrals have none (empty text): the empty
    strings are built from their offsets alone, not from a Python string each."""
    blank = n - len(starting_ids)
    offsets = pa.py_buffer(np.zeros(blank + 1, np.int32))
    empty = pa.StringArray.from_buffers(blank, offsets, pa.py_buffer(b""))
    return pa.concat_arrays([pa.array(starting_ids, pa.string()), empty])


def _labels(codes: np.ndarray, names: tuple[str, ...]) -> pa.Array:
    """Dictionary-encoded labels; code -1 becomes null."""
    valid = codes >= 0
    indices = pa.array(np.where(valid, codes, 0).astype(np.int32), mask=~valid)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(names)))


def to_arrow(columns: dict[str, np.ndarray | pa.Array], model: Model) -> pa.Table:
    """The per-child table as Arrow, with labels and dates for people to read."""
    kinds = [w.kind for w in model.scenario.pathway.workshops]
    classes = tuple(c.name for c in model.scenario.booking.priority_classes)
    labelled = {
        "district": model.districts,
        "pathway": PATHWAYS,
        "priority": classes,
        "start_stage": START_STAGES,
        "triage_result": TRIAGE_RESULTS,
        "outcome": OUTCOMES,
        "exit_reason": EXIT_REASONS,
    }
    arrays = {}
    for name, values in columns.items():
        if name in labelled:
            arrays[name] = _labels(values, labelled[name])
        elif name in DATE_COLUMNS or name.startswith(APPOINTMENT_DATE_PREFIX):
            arrays[name] = pa.array(values, pa.date32(), mask=values == MISSING_DATE)
        elif name == "workshops_attended":
            arrays[name] = _workshop_names(values, kinds)
        elif name == "child_id":
            arrays[name] = values
        elif values.dtype.kind == "f":
            arrays[name] = pa.array(values, mask=np.isnan(values))
        else:
            arrays[name] = pa.array(values)
    return pa.table(arrays)


def _workshop_names(masks: np.ndarray, kinds: list[str]) -> pa.Array:
    """The workshops attended, as text, e.g. "social;sleep" (built once per possible mask:
    a mask is an index into them)."""
    names = [";".join(k for b, k in enumerate(kinds) if m >> b & 1) for m in range(1 << len(kinds))]
    return pa.array(names, pa.string()).take(pa.array(masks.astype(np.int32)))
