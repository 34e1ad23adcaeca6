"""The fan chart's bands from a (replication, week, district) array are pandas' pivots and
quantiles, number for number; weekly rows that are not one per cell go the pandas way."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from nd_sim.inputs.model import compile_model
from nd_sim.report.data import load_report_data
from nd_sim.report.figures import waiting_list
from nd_sim.run.runner import run_to_folder
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("bands") / "run"
    run_to_folder(compile_model(load_scenario(FIXTURES / "small.toml")), RunSettings(5, 3, out))
    return load_report_data(out).base


@pytest.mark.parametrize("column", ["open_referrals", "open_13w_plus", "open_52w_plus"])
def test_bands_equal_pandas_quantiles_functional(run, column: str) -> None:
    fast = waiting_list.open_list_bands(run, column)
    grouped = waiting_list._open_list_bands_grouped(run.weekly, column)
    assert list(fast) == list(grouped) == ["county", *dict.fromkeys(run.weekly["district"])]
    for area, bands in grouped.items():
        pd.testing.assert_frame_equal(fast[area], bands, check_exact=True, check_freq=False)


def test_rows_missing_from_the_grid_go_the_pandas_way_functional(run, monkeypatch) -> None:
    calls = []
    grouped = waiting_list._open_list_bands_grouped

    def spy(weekly, column):
        calls.append(len(weekly))
        return grouped(weekly, column)

    monkeypatch.setattr(waiting_list, "_open_list_bands_grouped", spy)
    partial = dataclasses.replace(run, weekly=run.weekly.iloc[1:])
    bands = waiting_list.open_list_bands(partial)
    assert calls == [len(run.weekly) - 1] and "county" in bands
    waiting_list.open_list_bands(run)
    assert len(calls) == 1  # the whole grid takes the array path
