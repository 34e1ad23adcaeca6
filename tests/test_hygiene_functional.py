"""Process hygiene: workers never outlive a killed parent, an OS error is one clear line,
an existing folder (a mount point among them) is written into rather than replaced, and
one run at a time writes to a destination."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.errors import ScenarioError
from nd_sim.inputs.model import compile_model
from nd_sim.run.folder import RunFolder, RunLock, lock_path, staging_dir
from nd_sim.run.runner import run_to_folder
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS

runner = CliRunner()
SMALL = str(FIXTURES / "small.toml")
RUN_FILES = {
    "children.parquet",
    "weekly.parquet",
    "staff_weekly.parquet",
    "summary.csv",
    "kpis_by_replication.csv",
    "analytic.csv",
    "manifest.json",
}


def _alive(process: psutil.Process) -> bool:
    """Running, or stopped but not yet reaped by whoever adopted it (a zombie is gone)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start_run(out: Path, *options: str) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """A long run in a subprocess, returned once its workers have finished a chunk."""
    args = ["run", str(SCENARIOS / "lancashire.toml"), "-n", "400", *options]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nd_sim", *args, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not any(staging_dir(out).glob(".chunks/*.json")):
        assert proc.poll() is None and time.monotonic() < deadline, "the run did not start"
        time.sleep(0.05)
    return proc, psutil.Process(proc.pid).children(recursive=True)


@pytest.mark.parametrize("executor", ["processes", pytest.param("dask", marks=pytest.mark.slow)])
def test_workers_exit_when_the_parent_is_killed_functional(tmp_path: Path, executor: str) -> None:
    """SIGKILL the parent only (as the out-of-memory killer would): every process it started
    is gone within 10 s, and so is its lock, so the run can be resumed. While it ran, a
    second run on the same --out was refused, naming its pid."""
    if executor == "dask":
        pytest.importorskip("distributed")
    out = tmp_path / "run"
    options = ("--jobs", "2", "--dask", "local") if executor == "dask" else ("--jobs", "2")
    proc, children = _start_run(out, *options)
    try:
        assert len(children) >= 2
        second = runner.invoke(app, ["run", SMALL, "-n", "2", "--out", str(out), "--resume"])
        assert second.exit_code == 2, second.output
        assert f"another nd-sim run is writing to {out} (pid {proc.pid})" in second.output
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        orphans = [c.pid for c in children if _alive(c)]
    finally:
        for child in children:
            if _alive(child):
                child.kill()
    assert not orphans, f"still running 10 s after their parent died: {orphans}"
    # free within 10 s: the next run (a resume) can take it. Every process the parent
    # started holds the lock's descriptor, including one started after the list above was
    # taken, which notices its parent's death within half a second
    deadline = time.monotonic() + 10
    while True:
        try:
            RunLock(lock_path(out), out).release()
            break
        except ScenarioError:
            assert time.monotonic() < deadline, "the lock was still held 10 s later"
            time.sleep(0.1)
    assert any(staging_dir(out).glob(".chunks/*.json"))  # the finished chunks are kept


@pytest.mark.parametrize(
    "code", [errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EBUSY], ids=errno.errorcode.get
)
def test_os_error_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """A write that fails as a full disk (or a refused, read-only or busy one) would: one
    line naming the file and the reason, the --resume hint, exit 1, no traceback; the
    chunks already written are kept, and --resume finishes the run."""
    out = tmp_path / "run"
    write_bytes = Path.write_bytes

    def failing(self: Path, data: bytes) -> int:
        if "part-00002" in self.name:  # the third chunk (4 replications serially: 4 chunks)
            raise OSError(code, os.strerror(code))  # no file name, as pyarrow's often have
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    result = runner.invoke(app, ["run", SMALL, "-n", "4", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"part-00002.parquet: {os.strerror(code)}" in result.output
    assert "--resume" in result.output and not out.exists()
    assert not list(staging_dir(out).rglob("*.writing"))  # the failed write gave its space back
    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    resumed = runner.invoke(app, ["run", SMALL, "-n", "4", "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((out / "manifest.json").read_text())["resumed_replications"] == 2


def test_existing_empty_folder_is_written_into(tmp_path: Path) -> None:
    """The folder itself stays (same inode: its owner and permissions are kept), and nothing
    is left beside it."""
    out = tmp_path / "run"
    out.mkdir()
    inode = out.stat().st_ino
    result = runner.invoke(app, ["run", SMALL, "-n", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_ino == inode
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.fixture
def mount_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that looks like a mount point: `os.path.ismount` says so, and renaming it
    fails with EBUSY as renaming a real one does."""
    out = tmp_path / "mnt"
    out.mkdir()
    ismount = os.path.ismount
    rename = Path.rename
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == out or ismount(p))

    def busy(self: Path, target):
        if self == out:
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(self))
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", busy)
    return out


def test_mount_point_is_staged_inside_resumed_and_forced(mount_point: Path) -> None:
    """Staged inside (its parent is another file system), so nothing is ever written beside
    it; an interrupted run is refused without --resume and finished with it; --force
    replaces its contents, never the mount point itself."""
    out = mount_point
    inode = out.stat().st_ino

    def stop(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_to_folder(
            compile_model(load_scenario(Path(SMALL))), RunSettings(4, 7, out), on_done=stop
        )
    assert staging_dir(out) == out / ".nd-sim.partial"
    assert [p.name for p in out.iterdir()] == [".nd-sim.partial"]  # no lock left either
    assert [p.name for p in out.parent.iterdir()] == ["mnt"]
    again = runner.invoke(app, ["run", SMALL, "-n", "4", "--out", str(out)])
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = runner.invoke(app, ["run", SMALL, "-n", "4", "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert {p.name for p in out.iterdir()} == RUN_FILES and out.stat().st_ino == inode
    (out / "notes.txt").write_text("old results")
    forced = runner.invoke(app, ["run", SMALL, "-n", "2", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert {p.name for p in out.iterdir()} == RUN_FILES and out.stat().st_ino == inode
    assert json.loads((out / "manifest.json").read_text())["replications"] == 2
    assert [p.name for p in out.parent.iterdir()] == ["mnt"]


def test_mount_point_nothing_appears_until_complete(mount_point: Path) -> None:
    """A run that is not resumable (a comparison's, say) is staged inside too: its files
    appear only on success, and a failed one leaves the mount point as it was."""
    with RunFolder(mount_point, force=False) as folder:
        folder.write_text("a.txt", "done")
        assert not (mount_point / "a.txt").exists()
    assert [p.name for p in mount_point.iterdir()] == ["a.txt"]
    (mount_point / "a.txt").unlink()
    with pytest.raises(RuntimeError), RunFolder(mount_point, force=False) as folder:
        folder.write_text("a.txt", "half")
        raise RuntimeError("failed")
    assert list(mount_point.iterdir()) == []


def test_forced_folder_that_cannot_be_renamed_has_its_contents_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mount point `os.path.ismount` cannot see (a bind mount on the same file system):
    renaming it aside fails with EBUSY, so its contents are replaced instead."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("old results")
    rename = Path.rename

    def busy(self: Path, target):
        if self == out:
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(self))
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", busy)
    result = runner.invoke(app, ["run", SMALL, "-n", "2", "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("flag", [None, "--resume", "--force"])
def test_locked_destination_is_refused(tmp_path: Path, flag: str | None) -> None:
    """While another run holds the destination, a second run, a resume or a forced restart
    exits 2 naming the holder's pid, and the holder's staged work is untouched."""
    out = tmp_path / "run"
    staged = staging_dir(out)
    (staged / ".chunks").mkdir(parents=True)
    plan = {"command": "run", "scenario": "x", "replications": 4, "seed": 7, "chunk_size": 1}
    (staged / "plan.json").write_text(json.dumps(plan))
    (staged / ".chunks" / "0000-00000.json").write_text("{}")
    before = sorted(p.relative_to(staged) for p in staged.rglob("*"))
    lock = RunLock(lock_path(out), out)
    try:
        args = ["run", SMALL, "-n", "4", "--out", str(out), *([flag] if flag else [])]
        result = runner.invoke(app, args)
    finally:
        lock.release()
    assert result.exit_code == 2, result.output
    assert f"another nd-sim run is writing to {out} (pid {os.getpid()})" in result.output
    assert "choose another --out" in result.output
    assert sorted(p.relative_to(staged) for p in staged.rglob("*")) == before
    assert not out.exists()


def test_lock_is_exclusive_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = RunLock(lock_path(out), out)
    with pytest.raises(Exception, match="another nd-sim run"):
        RunLock(lock_path(out), out)
    first.release()
    assert not lock_path(out).exists()
    RunLock(lock_path(out), out).release()
