"""Run folders written atomically: everything goes to a hidden temporary folder first,
which is renamed into place only when every file is complete.

An interrupted or failed run therefore leaves no folder (and no half-written file) at the
destination, and an existing non-empty folder is never overwritten without ``force``.
A *resumable* folder is staged under a fixed hidden name beside the destination
(``.<name>.partial``) and kept when the run stops early, so that ``--resume`` can finish it.
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


def staging_dir(out: Path) -> Path:
    """Where a resumable run is staged until it is complete."""
    out = Path(os.path.abspath(out))  # "." or "results/.." have no name of their own
    return out.parent / f".{out.name}.partial"


class RunFolder:
    """A results folder under construction; use as a context manager.

    With ``resumable``, the staging folder has a fixed name and survives an interrupted
    or failed run (it is hidden, and never mistaken for results); ``resume`` continues in
    it, otherwise an existing one is refused unless ``force`` (which starts again).
    """

    def __init__(
        self, out: Path, force: bool, resumable: bool = False, resume: bool = False
    ) -> None:
        check_destination(out, force)
        out = Path(os.path.abspath(out))  # "." or "results/.." have no name of their own
        self.out = out
        self.force = force
        self.resumable = resumable
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            if resumable:
                self.tmp = staging_dir(out)
                _prepare_staging(self.tmp, force, resume)
            else:
                self.tmp = Path(
                    tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
                )
        except OSError as exc:
            rule = f"cannot be written here ({exc.strerror or exc})"
            raise ScenarioError(str(out), [Problem("--out", str(out), rule)]) from None
        self.resumed = resumable and resume and any(self.tmp.iterdir())
        self._writers: dict[str, pq.ParquetWriter] = {}

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        for writer in self._writers.values():
            writer.close()
        if exc_type is None:
            self._commit()
        elif not self.resumable:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def clear(self) -> None:
        """Empty the folder under construction (work staged by a run that cannot resume)."""
        for path in self.tmp.iterdir():
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()

    def exists(self, name: str) -> bool:
        """Whether a file is already in the folder (a completed part, on resume)."""
        return (self.tmp / name).exists()

    def write_bytes(self, name: str, data: bytes) -> None:
        """A file written whole or not at all (a stop mid-write leaves no partial file)."""
        target = self.path(name)
        scratch = target.with_name(f".{target.name}.writing")
        scratch.write_bytes(data)
        os.replace(scratch, target)

    def remove(self, name: str) -> None:
        """Drop a file or folder of working state before the folder is committed."""
        target = self.tmp / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()

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
        """Pretty JSON, keys in order (written whole or not at all)."""
        self.write_bytes(name, (json.dumps(data, indent=2, default=str) + "\n").encode())

    def read_json(self, name: str) -> dict[str, Any] | None:
        """A JSON file written earlier (None if there is none)."""
        target = self.tmp / name
        return json.loads(target.read_text()) if target.exists() else None

    def write_text(self, name: str, text: str) -> None:
        """A text file."""
        self.path(name).write_text(text)

    def _commit(self) -> None:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self.tmp, 0o777 & ~mask)  # mkdtemp makes it private; results are to share
        for scratch in self.tmp.rglob(".*.writing"):  # a write cut short by a hard stop
            scratch.unlink()
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


def _prepare_staging(tmp: Path, force: bool, resume: bool) -> None:
    if tmp.exists() and not resume:
        if not force:
            rule = (
                f"an interrupted run is staged in {tmp}; pass --resume to finish it, "
                "or --force (without --resume) to start again"
            )
            raise ScenarioError(str(tmp), [Problem("--out", str(tmp.parent), rule)])
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
