"""The comparison table's rows worked out together equal `_row` group by group, exactly."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from nd_sim.experiments.compare import KEYS, _row, _rows


def _merged(seed: int, reps: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for area in ("A", "B", "county"):
        for kpi in ("first_wait_median_weeks", "open_end", "referrals"):
            scale = rng.uniform(1, 1e4)
            for r in range(reps):
                value, base = rng.normal(scale, scale / 10, 2)
                rows.append(("district", area, kpi, r, value, base))
    frame = pd.DataFrame(rows, columns=[*KEYS, "replication", "value", "value_base"])
    frame.loc[5, "value"] = np.nan  # one group with a gap: the one-by-one path
    frame.loc[frame.kpi == "referrals", "value_base"] = frame.loc[frame.kpi == "referrals", "value"]
    frame.loc[(frame.area == "B") & (frame.kpi == "open_end"), ["value", "value_base"]] = 7.0
    rare = (frame.area == "A") & (frame.kpi == "referrals")  # nearly always 0: cut at 0
    frame.loc[rare, ["value", "value_base"]] = 0.0
    frame.loc[rare & (frame.replication == reps - 1), "value"] = 4.0
    return frame


def test_rows_equal_row_by_row_unit() -> None:
    entry = SimpleNamespace(name="option", slug="option")
    for seed, reps in ((0, 20), (1, 3), (2, 1)):
        merged = _merged(seed, reps)
        together = _rows(entry, merged)
        if reps > 1:  # the rare count's interval met its bound on both paths
            rare = together[(together.area == "A") & (together.kpi == "referrals")]
            assert rare["ci95_low"].tolist() == [0.0]
        one_by_one = pd.DataFrame(
            [_row(entry, key, group) for key, group in merged.groupby(KEYS, sort=False)]
        )
        pd.testing.assert_frame_equal(together, one_by_one, check_exact=True)


def test_summary_equals_t_interval_group_by_group_unit() -> None:
    """`summarise` works the complete KPIs out together and the rest one by one: the same
    numbers as `t_interval` on each group's values (cut to the KPI's range)."""
    from nd_sim.results import registry
    from nd_sim.results.statistics import summarise, t_interval, within_range

    for seed, reps in ((0, 20), (3, 2), (4, 1)):
        frame = _merged(seed, reps).drop(columns="value_base")
        got = summarise(frame)
        for (kind, area, kpi), group in frame.groupby(KEYS, sort=False):
            row = got[(got.area_type == kind) & (got.area == area) & (got.kpi == kpi)].iloc[0]
            values = group["value"].to_numpy(float)
            values = values[~np.isnan(values)]
            mean, low, high = t_interval(values)
            (low,), (high,) = within_range([registry.unit(kpi)], [mean], [low], [high])
            want = (mean, low, high)
            assert (row["mean"], row["ci95_low"], row["ci95_high"]) == pytest.approx(
                want, abs=0, rel=0, nan_ok=True
            )
            assert row["replications"] == values.size


def test_summary_of_replication_blocks_equals_grouping_unit() -> None:
    """Rows that repeat the same KPIs in the same order replication after replication (as
    every run writes them) take the block path: the same summary as pandas' grouping."""
    from nd_sim.results.statistics import Groups, summarise, summarise_groups

    for seed, reps in ((0, 20), (3, 2), (4, 1)):
        frame = _merged(seed, reps).drop(columns="value_base")
        blocks = frame.sort_values(["replication"], kind="stable").reset_index(drop=True)
        groups = Groups.of(blocks, KEYS)
        assert groups.repeated()
        got = summarise_groups(groups, blocks["value"].to_numpy(float))
        pd.testing.assert_frame_equal(got, summarise(blocks))
        shuffled = Groups(groups.codes[::-1].copy(), groups.labels)
        assert not shuffled.repeated() or reps == 1


@pytest.mark.parametrize("gap", [False, True])
def test_kpis_read_back_with_their_groups_unit(tmp_path, gap: bool) -> None:
    """The run's KPIs read as codes are the frame a plain read gives, and their groups are
    pandas' own (replications alike, or one replication without a row)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from nd_sim.results.statistics import summarise, summarise_groups
    from nd_sim.run.chunks import Chunk, Layout, kpi_frame, kpi_groups, read_kpi_table
    from nd_sim.run.folder import RunFolder

    frame = _merged(5, 4).drop(columns="value_base")
    if gap:
        frame = frame.drop(index=frame.index[(frame.replication == 2)][3])
    assert frame["value"].isna().any()  # NaN is written empty from either
    with RunFolder(tmp_path / "run", force=False, resumable=True) as folder:
        layout = Layout()
        chunks = [Chunk(0, k, (k,)) for k in range(4)]
        for chunk in chunks:
            part = frame[frame.replication == chunk.index][["replication", *KEYS, "value"]]
            part = part.astype({"replication": "int32"})
            table = pa.Table.from_pandas(part.drop(columns="value"), preserve_index=False)
            table = table.append_column("value", pa.array(part["value"].to_numpy()))  # NaN kept
            folder.path(layout.kpis(chunk)).parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder.path(layout.kpis(chunk)))
        table = read_kpi_table(folder, layout, chunks)
        got, groups = kpi_frame(table), kpi_groups(table)
        folder.write_big_csv("from_codes.csv", table)
        folder.write_big_csv("from_text.csv", got)
        same_csv = (
            folder.path("from_codes.csv").read_bytes() == folder.path("from_text.csv").read_bytes()
        )
        plain = pa.concat_tables(
            [pq.read_table(folder.path(layout.kpis(c))) for c in chunks]
        ).to_pandas()
    pd.testing.assert_frame_equal(got, plain)
    assert same_csv
    grouping = plain.groupby(KEYS, sort=False)
    k = len(groups.labels)
    codes = np.tile(np.arange(k), groups.rows // k) if groups.codes is None else groups.codes
    assert (groups.codes is None) == (not gap)  # alike replications: the block path
    assert np.array_equal(codes, grouping.ngroup().to_numpy())
    summary = summarise_groups(groups, got["value"].to_numpy(float))
    pd.testing.assert_frame_equal(summary, summarise(plain))
    assert groups.labels == list(grouping.size().index)
