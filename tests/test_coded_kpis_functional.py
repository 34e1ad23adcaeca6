"""A worker sends its chunk's KPI rows twice: as the Parquet file the run keeps, and coded
for the parent to use as they are (`chunks._CodedKpis`). The parent must get exactly what
it would read back from the file, and a run's KPI table must not depend on which chunks
came from a worker and which were read from disk (a resume)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from nd_sim.inputs.model import Model
from nd_sim.run.chunks import (
    Layout,
    _kpi_rows,
    kpi_frame,
    kpi_groups,
    plan_chunks,
    read_kpi_table,
    run_chunks,
    simulate_chunk,
)
from nd_sim.run.executors import SerialExecutor
from nd_sim.run.folder import RunFolder


def test_coded_rows_are_the_files_rows_functional(small_model: Model) -> None:
    result = simulate_chunk(small_model, 0, 0, (0, 1, 2), 11, 0)
    from_file = _kpi_rows(pa.BufferReader(result.files["kpis"]))
    coded = pa.ipc.open_stream(result.kpi_rows).read_all()
    assert coded.schema.equals(from_file.schema)  # codes and types alike
    assert kpi_frame(coded).equals(kpi_frame(from_file))
    assert kpi_groups(coded).labels == kpi_groups(from_file).labels
    extra = kpi_frame(coded).query("kpi.str.startswith('utilisation_pct')")
    assert len(extra) > 0  # the rows each replication adds of its own are coded too


def test_a_kpi_table_is_the_same_from_workers_or_files_functional(
    small_model: Model, tmp_path: Path
) -> None:
    layout, chunks = Layout(), plan_chunks(1, 5, 2)
    with RunFolder(tmp_path / "out", False, resumable=True) as folder:
        decoded: dict = {}
        run_chunks(folder, layout, [small_model], chunks, 3, SerialExecutor(), decoded=decoded)
        some = {chunks[0]: decoded[chunks[0]], chunks[2]: decoded[chunks[2]]}  # others: read
        read = read_kpi_table(folder, layout, chunks)
        mixed = read_kpi_table(folder, layout, chunks, some)
        coded = read_kpi_table(folder, layout, chunks, decoded)
        for table in (mixed, coded):
            assert kpi_frame(table).equals(kpi_frame(read))
            assert kpi_groups(table).labels == kpi_groups(read).labels
