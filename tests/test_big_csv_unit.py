"""The large CSV (`kpis_by_replication.csv`) written in pieces by two threads is the file
Arrow writes in one go, whatever the piece size; NaN is written empty, as from pandas."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from nd_sim.run import folder as folder_module
from nd_sim.run.folder import RunFolder


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    value = rng.normal(size=n)
    value[::5] = np.nan
    return pd.DataFrame(
        {
            "replication": np.arange(n, dtype=np.int32) // 7,
            "area": rng.choice(["Preston", "Burnley, East", 'say "x"'], n),
            "value": value,
        }
    )


@pytest.mark.parametrize("piece_rows", [1, 7, 1000])
def test_pieces_make_the_one_file_unit(tmp_path, monkeypatch, piece_rows: int) -> None:
    frame = _frame(103)
    whole = io.BytesIO()
    options = pacsv.WriteOptions(quoting_style="needed", include_header=False)
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), whole, write_options=options)
    monkeypatch.setattr(folder_module, "CSV_PIECE_ROWS", piece_rows)
    with RunFolder(tmp_path / "run", force=False, resumable=True) as folder:
        folder.write_big_csv("from_pandas.csv", frame)
        table = pa.table({"replication": frame["replication"].to_numpy(),
                          "area": pa.array(frame["area"]).dictionary_encode(),
                          "value": pa.array(frame["value"].to_numpy())})  # fmt: skip
        folder.write_big_csv("from_arrow.csv", table)
        header = b"replication,area,value\n"
        assert folder.path("from_pandas.csv").read_bytes() == header + whole.getvalue()
        assert folder.path("from_arrow.csv").read_bytes() == header + whole.getvalue()
