"""Statistical backtest of the shipped scenarios (the exact one is test_golden_backtest).

Each `scenarios/*.toml` has an expected summary in `scenarios/expected/` (county and team
KPIs over 8 replications). After a change that alters random streams, each KPI must still
agree with its golden value within a Welch interval at a family-wise 5% level (Bonferroni
over every compared KPI), so a real shift in behaviour fails while noise does not.
Regenerate deliberately with `ND_SIM_UPDATE_GOLDEN=1 pytest tests/test_scenarios_backtest.py`
and explain why in the commit; the test itself never writes them.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nd_sim.results.statistics import summarise
from nd_sim.run.replicate import run_one

from .conftest import SCENARIOS, SHIPPED, shipped_model

REPLICATIONS = 8
SEED = 2026
KPIS = (
    "first_wait_median_weeks",
    "first_within_13w_pct",
    "outcome_wait_median_weeks",
    "open_end",
    "open_52w_plus_end",
    "assessed",
    "withdrawn",
)
EXPECTED = SCENARIOS / "expected"


def _summary(name: str) -> pd.DataFrame:
    model = shipped_model(name)
    rows = []
    for rep in range(REPLICATIONS):
        out = run_one(model, rep, SEED, keep_children=False)
        rows += [(rep, *row) for row in out.kpis.rows()]
    frame = pd.DataFrame(rows, columns=["replication", "area_type", "area", "kpi", "value"])
    summary = summarise(frame)
    keep = summary.area_type.isin(["county", "team"]) & summary.kpi.isin(KPIS)
    return summary[keep][["area_type", "area", "kpi", "mean", "sd", "replications"]]


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_matches_golden_backtest(name: str) -> None:
    path = EXPECTED / name.replace(".toml", ".summary.csv")
    now = _summary(name)
    if os.environ.get("ND_SIM_UPDATE_GOLDEN"):
        EXPECTED.mkdir(exist_ok=True)
        now.to_csv(path, index=False, float_format="%.6g")
    assert path.exists(), f"no golden summary for {name}: set ND_SIM_UPDATE_GOLDEN=1 once"
    golden = pd.read_csv(path)
    merged = golden.merge(now, on=["area_type", "area", "kpi"], suffixes=("_g", "_n"))
    assert len(merged) == len(golden), "the set of KPIs or areas changed"
    alpha = 0.05 / len(merged)
    failures = []
    for row in merged.itertuples(index=False):
        se = np.sqrt(row.sd_g**2 / row.replications_g + row.sd_n**2 / row.replications_n)
        diff = row.mean_n - row.mean_g
        if se == 0 or np.isnan(se):
            ok = np.isclose(row.mean_n, row.mean_g, rtol=1e-6, atol=1e-9)
        else:
            dof = max(row.replications_g + row.replications_n - 2, 1)
            ok = abs(diff) <= stats.t.ppf(1 - alpha / 2, dof) * se
        if not ok:
            failures.append(f"{row.area}/{row.kpi}: golden {row.mean_g:.4g}, now {row.mean_n:.4g}")
    assert not failures, "\n".join(failures)
