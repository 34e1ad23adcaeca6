"""Run folders written atomically: everything goes to a hidden temporary folder first,
which is renamed into place only when every file is complete.

An interrupted or failed run therefore leaves no folder (and no half-written file) at the
destination, and an existing non-empty folder is never overwritten without ``force``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from nd_sim.errors import Problem, ScenarioError


def default_run_dir(root: Path, scenario_name: str) -> Path:
    """results/<UTC timestamp>-<scenario slug>, made unique if it already exists."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^a-z0-9]+", "-", scenario_name.lower()).strip("-") or "run"
    path = root / f"{stamp}-{slug}"
    k = 2
    while path.exists():
        path = root / f"{stamp}-{slug}-{k}"
        k += 1
    return path


def check_destination(out: Path, force: bool) -> None:
    """Refuse a non-empty destination unless forced (before any work is done)."""
    if out.exists() and not out.is_dir():
        raise ScenarioError(str(out), [Problem("--out", str(out), "must be a folder, not a file")])
    if out.exists() and any(out.iterdir()) and not force:
        rule = "folder exists and is not empty; choose another --out or pass --force"
        raise ScenarioError(str(out), [Problem("--out", str(out), rule)])


class RunFolder:
    """A results folder under construction; use as a context manager."""

    def __init__(self, out: Path, force: bool) -> None:
        check_destination(out, force)
        self.out = out
        self.force = force
        out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
        self._writers: dict[str, pq.ParquetWriter] = {}

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        for writer in self._writers.values():
            writer.close()
        if exc_type is None:
            self._commit()
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name: str) -> Path:
        """Where a file is being written (inside the temporary folder; subfolders are made)."""
        target = self.tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def append_parquet(self, name: str, table) -> None:
        """Stream a table's rows into a Parquet file, a replication at a time."""
        writer = self._writers.get(name)
        if writer is None:
            writer = pq.ParquetWriter(self.path(name), table.schema, compression="zstd")
            self._writers[name] = writer
        writer.write_table(table)

    def close_parquet(self, name: str) -> None:
        """Finish a streamed Parquet file (its footer is written now)."""
        writer = self._writers.pop(name, None)
        if writer is not None:
            writer.close()

    def write_csv(self, name: str, frame: pd.DataFrame) -> None:
        """A small CSV for people: numbers to 6 significant figures, no index."""
        frame.to_csv(self.path(name), index=False, float_format="%.6g")

    def write_big_csv(self, name: str, frame: pd.DataFrame) -> None:
        """A large CSV, written by Arrow (several times faster), numbers at full precision."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        options = pacsv.WriteOptions(quoting_style="needed", include_header=False)
        with self.path(name).open("wb") as handle:
            handle.write((",".join(table.column_names) + "\n").encode())
            pacsv.write_csv(table, handle, write_options=options)

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        """Pretty JSON, keys in order."""
        self.path(name).write_text(json.dumps(data, indent=2, default=str) + "\n")

    def write_text(self, name: str, text: str) -> None:
        """A text file."""
        self.path(name).write_text(text)

    def _commit(self) -> None:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self.tmp, 0o777 & ~mask)  # mkdtemp makes it private; results are to share
        for path in self.tmp.rglob("*"):
            if path.is_file():
                with path.open("rb") as handle:
                    os.fsync(handle.fileno())
        if self.out.exists():
            old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
            self.out.rename(old)
            self.tmp.rename(self.out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.tmp.rename(self.out)
