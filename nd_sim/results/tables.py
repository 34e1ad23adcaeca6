"""A replication's weekly rows as Arrow tables (`weekly.parquet`, `staff_weekly.parquet`).

Built in the worker that ran the replication, straight from its arrays, so that the parent
process only writes bytes to disk.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from nd_sim.inputs.model import Model


def week_starts(model: Model) -> np.ndarray:
    """The first day of each week (the weekday of the scenario's start date)."""
    start = np.datetime64(model.scenario.start_date, "D")
    return start + np.arange(model.weeks) * 7


def weekly_table(replication: int, weekly: dict[str, np.ndarray], model: Model) -> pa.Table:
    """Flows and stocks per district and week: one row per (district, week)."""
    n_d, weeks = len(model.districts), model.weeks
    columns = {
        "replication": pa.array(np.full(n_d * weeks, replication, np.int32)),
        "week": pa.array(np.tile(np.arange(weeks, dtype=np.int32), n_d)),
        "week_start": pa.array(np.tile(week_starts(model), n_d), pa.date32()),
        "district": pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(n_d, dtype=np.int32), weeks)),
            pa.array(list(model.districts)),
        ),
    }
    for name in weekly:  # FLOWS, STOCKS, then the list waiting for each appointment step
        columns[name] = pa.array(np.asarray(weekly[name]).reshape(-1))
    return pa.table(columns)


def staff_table(
    replication: int, available: np.ndarray, used: np.ndarray, model: Model
) -> pa.Table:
    """Hours per team, profession and week; professions a team never has are left out."""
    active = available.any(axis=2) | used.any(axis=2)  # [team, profession]
    teams, profs = np.nonzero(active)
    weeks, n = model.weeks, len(teams)
    return pa.table(
        {
            "replication": pa.array(np.full(n * weeks, replication, np.int32)),
            "week": pa.array(np.tile(np.arange(weeks, dtype=np.int32), n)),
            "week_start": pa.array(np.tile(week_starts(model), n), pa.date32()),
            "team": pa.DictionaryArray.from_arrays(
                pa.array(np.repeat(teams.astype(np.int32), weeks)), pa.array(list(model.teams))
            ),
            "profession": pa.DictionaryArray.from_arrays(
                pa.array(np.repeat(profs.astype(np.int32), weeks)),
                pa.array(list(model.professions)),
            ),
            "hours_available": pa.array(available[teams, profs].reshape(-1).astype(float)),
            "hours_used": pa.array(used[teams, profs].reshape(-1).astype(float)),
        }
    )
