"""Run folders written atomically: everything goes to a hidden temporary folder first,
which is renamed into place only when every file is complete.

An interrupted or failed run therefore leaves no folder (and no half-written file) at the
destination, and an existing non-empty folder is never overwritten without ``force``.
A *resumable* folder is staged under a fixed hidden name beside the destination
(``.<name>.partial``) and kept when the run stops early, so that ``--resume`` can finish it.

A destination that already exists as a folder is written *into* (its entries are moved in
when the run is complete), never renamed away: it may be a mount point, which cannot be
renamed, or the working folder. A mount point's own file system is another than its
parent's, so it is staged inside it (``.nd-sim.partial``), where renames stay atomic.

One run at a time writes to a destination: the `RunFolder` holds an advisory lock
(``flock``) on a file beside its staging folder for as long as it exists. The system
releases it when the process dies, however it dies, so a killed run can still be resumed.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from nd_sim.errors import Problem, ScenarioError

if TYPE_CHECKING:  # frames are given, never made, here: workers import this module
    import pandas as pd

try:
    import fcntl
except ImportError:  # Windows: runs are not locked
    fcntl = None

WORKING_PREFIX = ".nd-sim."  # nd-sim's own hidden entries inside a destination
INSIDE_STAGING = WORKING_PREFIX + "partial"  # a mount point's staging folder
LAST = "manifest.json"  # moved into a destination last: once it is there, the rest is
UNLOCKABLE = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}  # file systems without flock


def default_run_dir(root: Path, scenario_name: str) -> Path:
    """results/<UTC timestamp>-<scenario slug>, made unique if it already exists."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^a-z0-9]+", "-", scenario_name.lower()).strip("-")[:60].strip("-") or "run"
    path = root / f"{stamp}-{slug}"
    k = 2
    while path.exists():
        path = root / f"{stamp}-{slug}-{k}"
        k += 1
    return path


def check_destination(out: Path, force: bool) -> None:
    """Refuse a non-empty destination unless forced (before any work is done).

    nd-sim's own hidden working entries (a mount point's staging folder and lock) do not
    count: a folder holding only them is empty.
    """
    try:
        if out.exists() and not out.is_dir():
            rule = "must be a folder, not a file"
            raise ScenarioError(str(out), [Problem("--out", str(out), rule)])
        if out.is_dir() and _results_in(out) and not force:
            rule = "folder exists and is not empty; choose another --out or pass --force"
            raise ScenarioError(str(out), [Problem("--out", str(out), rule)])
    except OSError as exc:
        rule = f"cannot be read ({exc.strerror or exc})"
        raise ScenarioError(str(out), [Problem("--out", str(out), rule)]) from None


def staging_dir(out: Path) -> Path:
    """Where a resumable run is staged until it is complete: beside the destination, or
    inside it if it is a mount point (its parent is another file system, where the staged
    files could not be renamed into place)."""
    out = _absolute(out)
    if os.path.ismount(out):
        return out / INSIDE_STAGING
    return out.parent / f".{out.name}.partial"


def lock_path(out: Path) -> Path:
    """The lock file of a destination, beside its staging folder (so on the same side of a
    mount point)."""
    staging = staging_dir(out)
    return staging.with_name(staging.name + ".lock")


class RunFolder:
    """A results folder under construction; use as a context manager.

    With ``resumable``, the staging folder has a fixed name and survives an interrupted
    or failed run (it is hidden, and never mistaken for results); ``resume`` continues in
    it, otherwise an existing one is refused unless ``force`` (which starts again).
    The destination is locked from construction to exit: a second run on it (a resume
    included) is refused while this one writes.
    """

    def __init__(
        self, out: Path, force: bool, resumable: bool = False, resume: bool = False
    ) -> None:
        out = _absolute(out)  # "." or "results/.." have no name of their own
        self.out = out
        self.force = force
        self.resumable = resumable
        self._made: set[Path] = set()  # subfolders made so far
        self._lock: RunLock | None = None
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self._lock = RunLock(lock_path(out), out)
            check_destination(out, force)  # now that no other run can change it
            self.tmp = self._stage(resume)
        except OSError as exc:
            self._unlock()
            rule = f"cannot be written here ({exc.strerror or exc})"
            raise ScenarioError(str(out), [Problem("--out", str(out), rule)]) from None
        except BaseException:
            self._unlock()
            raise
        self.resumed = resumable and resume and any(self.tmp.iterdir())
        self.fresh = not any(self.tmp.iterdir())

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        failed = exc_type is not None
        try:
            if not failed:
                self._commit()
        except BaseException:
            failed = True
            raise
        finally:
            if failed and (not self.resumable or (self.fresh and isinstance(exc, ScenarioError))):
                # bad input found by a run that started afresh: nothing staged is worth
                # resuming (work an earlier run staged is kept)
                shutil.rmtree(self.tmp, ignore_errors=True)
            self._unlock()

    def clear(self) -> None:
        """Empty the folder under construction (work staged by a run that cannot resume)."""
        self._made.clear()
        for path in self.tmp.iterdir():
            with _naming(path):
                _delete(path)

    def exists(self, name: str) -> bool:
        """Whether a file is already in the folder (a completed part, on resume)."""
        return (self.tmp / name).exists()

    def write_bytes(self, name: str, data: bytes) -> None:
        """A file written whole or not at all (a stop mid-write leaves no partial file)."""
        target = self.path(name)
        scratch = target.with_name(f".{target.name}.writing")
        with _naming(target):
            try:
                scratch.write_bytes(data)
            except BaseException:
                scratch.unlink(missing_ok=True)  # give back the space (the disk may be full)
                raise
            os.replace(scratch, target)

    def keep_copy(self, source: str, name: str) -> None:
        """A file of working state kept as an output too: a hard link, so no byte is
        copied (a copy where the file system has no links); the working file can go."""
        target = self.path(name)
        with _naming(target):
            target.unlink(missing_ok=True)  # a resume redoes a commit cut short
            try:
                os.link(self.tmp / source, target)
            except OSError:
                shutil.copyfile(self.tmp / source, target)

    def remove(self, name: str) -> None:
        """Drop a file or folder of working state before the folder is committed."""
        target = self.tmp / name
        self._made.clear()  # it may have held subfolders made earlier
        with _naming(target):
            _delete(target)

    def path(self, name: str) -> Path:
        """Where a file is being written (inside the temporary folder; subfolders are made,
        each once: a families run writes thousands of letters into a few folders)."""
        target = self.tmp / name
        if target.parent not in self._made:
            with _naming(target.parent):
                target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        return target

    def write_csv(self, name: str, frame: pd.DataFrame) -> None:
        """A small CSV for people: numbers to 6 significant figures (whole numbers and pennies
        from a million up, never an exponent a reader must decode), no index."""
        target = self.path(name)
        with _naming(target):
            frame.to_csv(target, index=False, float_format=for_people)

    def write_big_csv(
        self, name: str, frame: pd.DataFrame | pa.Table, stop: threading.Event | None = None
    ) -> None:
        """A large CSV, written by Arrow (several times faster), numbers at full precision;
        from pandas or from Arrow (labels as text or as codes: the same file). Writing ends
        early, the file unfinished, once `stop` is set (the command was interrupted)."""
        if isinstance(frame, pa.Table):  # NaN written empty, as from pandas
            table = pa.table({name: _nan_as_null(frame[name]) for name in frame.column_names})
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        target = self.path(name)
        with _naming(target), target.open("wb") as handle:
            handle.write((",".join(table.column_names) + "\n").encode())
            for text in _csv_pieces(table):
                if stop is not None and stop.is_set():
                    return
                handle.write(text)

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        """Pretty JSON, keys in order (written whole or not at all)."""
        self.write_bytes(name, (json.dumps(data, indent=2, default=str) + "\n").encode())

    def read_json(self, name: str) -> dict[str, Any] | None:
        """A JSON file written earlier (None if there is none)."""
        target = self.tmp / name
        return json.loads(target.read_text()) if target.exists() else None

    def write_text(self, name: str, text: str) -> None:
        """A text file."""
        target = self.path(name)
        with _naming(target):
            target.write_text(text)

    def _stage(self, resume: bool) -> Path:
        staging = staging_dir(self.out)
        if self.resumable:
            _prepare_staging(staging, self.force, resume)
            return staging
        prefix = staging.name.removesuffix("partial")  # ".<name>." or ".nd-sim."
        return Path(tempfile.mkdtemp(prefix=prefix, suffix=".partial", dir=staging.parent))

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _commit(self) -> None:
        with _naming(self.tmp):
            self._seal()
        if not self.out.exists():
            with _naming(self.out):
                self.tmp.rename(self.out)
        elif self.tmp.parent == self.out or self.out.is_symlink() or not _results_in(self.out):
            self._move_into()  # the folder (or the link to it) stays; its entries are replaced
        else:
            self._swap()

    def _seal(self) -> None:
        """Drop the scratch of writes cut short, make the results shareable, flush them."""
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self.tmp, 0o777 & ~mask)  # mkdtemp makes it private; results are to share
        for scratch in self.tmp.rglob(".*.writing"):  # a write cut short by a hard stop
            scratch.unlink()
        _flush_to_disk(self.tmp)

    def _swap(self) -> None:
        """Replace a forced destination's contents at once: the old folder is renamed aside
        and the new one into place. A folder that cannot be renamed (a mount point that
        `os.path.ismount` cannot see, such as a bind mount) has its entries replaced."""
        old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
        try:
            self.out.rename(old)
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES):
                raise OSError(exc.errno, exc.strerror, str(self.out)) from exc
            self._move_into()
            return
        try:
            self.tmp.rename(self.out)
        except OSError as exc:
            old.rename(self.out)  # put the previous results back
            raise OSError(exc.errno, exc.strerror, str(self.out)) from exc
        shutil.rmtree(old, ignore_errors=True)

    def _move_into(self) -> None:
        """Move the staged entries into the existing destination (after moving any previous
        results aside, for ``force``), the manifest last; the folder itself stays put."""
        old = self.out / f"{WORKING_PREFIX}old-{os.getpid()}"
        with _naming(self.out):
            previous = [p for p in self.out.iterdir() if not _is_working(p.name)]
            if previous:
                old.mkdir()
                for path in previous:
                    path.rename(old / path.name)
            names = sorted(p.name for p in self.tmp.iterdir())
            for name in sorted(names, key=lambda n: n == LAST):
                shutil.move(self.tmp / name, self.out / name)  # a rename, or a copy if it must
            self.tmp.rmdir()
        for stale in self.out.glob(f"{WORKING_PREFIX}old-*"):  # ours, or a crashed commit's
            shutil.rmtree(stale, ignore_errors=True)


class RunLock:
    """An exclusive advisory lock on a destination, held until `release` (or the process's
    death: the system drops an ``flock`` with the last descriptor of its file).

    The lock file holds the owner's pid, for the refusal message, and is removed on
    release; a run that opened it just before is told to open the new one.
    """

    def __init__(self, path: Path, out: Path) -> None:
        self.path = path
        self._fd: int | None = None
        while self._fd is None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _lock_or_refuse(fd, out)
            except BaseException:
                os.close(fd)
                raise
            if _same_file(fd, path):
                self._fd = fd
            else:  # the previous owner removed it as we opened it: take the new one
                os.close(fd)
        with suppress(OSError):  # the pid only informs the refusal message
            os.ftruncate(self._fd, 0)
            os.write(self._fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        """Remove the lock file, then let it go (in that order, so nobody locks a file that
        is about to disappear without noticing)."""
        if self._fd is None:
            return
        with suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None


def _lock_or_refuse(fd: int, out: Path) -> None:
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        who = f" (pid {holder})" if holder.isdigit() else ""
        rule = (
            f"another nd-sim run is writing to {out}{who}; wait for it to finish or choose "
            "another --out"
        )
        raise ScenarioError(str(out), [Problem("--out", str(out), rule)]) from None
    except OSError as exc:
        if exc.errno not in UNLOCKABLE:
            raise


def _same_file(fd: int, path: Path) -> bool:
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


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


def _absolute(out: Path) -> Path:
    return Path(os.path.abspath(out))


def _is_working(name: str) -> bool:
    return name.startswith(WORKING_PREFIX)


def _results_in(folder: Path) -> bool:
    """Whether a folder holds anything but nd-sim's own working entries."""
    return any(not _is_working(p.name) for p in folder.iterdir())


def _delete(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """OS errors name the file they concern (pyarrow's and pandas' often name none), so
    the command line can say which path the disk-full or permission error was about."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


def _flush_to_disk(folder: Path) -> None:
    """Every file under `folder` on disk before the folder is renamed into place.

    One `sync` call, where the system has it: an fsync per file cost 27 s for the 8,550
    letters of a Lancashire families run, against well under a second for one sync.
    """
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def for_people(x: float) -> str:
    """6 significant figures below a million; from a million up, to two decimals
    (`%.6g` would write 1,308,900 child-weeks as 1.3089e+06 and round pounds to tens)."""
    return f"{x:.2f}" if abs(x) >= 1e6 else f"{x:.6g}"


CSV_PIECE_ROWS = 100_000  # rows formatted at once: under 10 MB of text (see `_csv_pieces`)
CSV_THREADS = 2  # Arrow formats numbers outside the GIL: two pieces at a time, twice as quick


def _csv_pieces(table: pa.Table) -> Iterator[pa.Buffer]:
    """The table's CSV text (no header), piece by piece in order, formatted by
    `CSV_THREADS` threads; at most 2 x `CSV_THREADS` pieces are held at once (Arrow's own
    buffers, written as they are: a copy to bytes cost the parent 0.2 s a 1,000-run)."""
    options = pacsv.WriteOptions(quoting_style="needed", include_header=False)

    def text(piece: pa.Table) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        plain = {  # labels held as codes are written as text (as every Arrow quotes text)
            name: column.cast(column.type.value_type)
            if pa.types.is_dictionary(column.type)
            else column
            for name, column in zip(piece.column_names, piece.columns, strict=True)
        }
        pacsv.write_csv(pa.table(plain), sink, write_options=options)
        return sink.getvalue()

    starts = range(0, table.num_rows, CSV_PIECE_ROWS)
    window = 2 * CSV_THREADS
    with ThreadPoolExecutor(CSV_THREADS) as pool:
        for k in range(0, len(starts), window):
            pieces = [table.slice(start, CSV_PIECE_ROWS) for start in starts[k : k + window]]
            yield from pool.map(text, pieces)


def _nan_as_null(column: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """A float column's NaN as missing values (what pandas' NaN becomes in Arrow)."""
    if not pa.types.is_floating(column.type):
        return column
    values = column.to_numpy()
    return pa.array(values, mask=np.isnan(values))
