"""A command that has finished leaves without Python's finalisation (`nd_sim.launch`), yet
what it printed, its exit handlers and any thread still at work all complete."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _launch(tmp_path: Path, before: str, argv: list[str]) -> subprocess.CompletedProcess:
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        out = Path({str(tmp_path)!r})
        {before}
        sys.argv = {["nd-sim", *argv]!r}
        from nd_sim.launch import main
        main()
        """
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_exit_handlers_run_and_the_output_is_whole_functional(tmp_path: Path) -> None:
    before = 'import atexit; atexit.register(lambda: (out / "handler").write_text("ran"))'
    done = _launch(tmp_path, before, ["--help"])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "handler").read_text() == "ran"
    assert done.stdout.rstrip().endswith("─╯")  # the whole help box, to its last corner


def test_a_thread_still_at_work_is_waited_for_functional(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """
        import threading, time
        def late():
            time.sleep(2.0)  # longer than the command takes
            (out / "thread").write_text("done")
        threading.Thread(target=late).start()
        """
    ).replace("\n", "\n        ")
    done = _launch(tmp_path, before, ["--help"])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "thread").read_text() == "done"


def test_a_failed_command_keeps_its_exit_code_functional(tmp_path: Path) -> None:
    done = _launch(tmp_path, "", ["run", str(tmp_path / "missing.toml")])
    assert done.returncode == 2
    assert "missing.toml" in done.stderr + done.stdout


def test_a_closed_output_still_succeeds_functional(tmp_path: Path) -> None:
    """Started without a standard output (closed: Python sets sys.stdout to None)."""
    code = "import sys; sys.argv = ['nd-sim', '--help']; from nd_sim.launch import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, timeout=120, pass_fds=(), close_fds=True,
        preexec_fn=lambda: __import__("os").close(1),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_a_profiler_gets_to_write_its_figures_functional(tmp_path: Path) -> None:
    """cProfile (as coverage and trace) writes what it found as Python exits."""
    profile = tmp_path / "profile.out"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "nd_sim", "--help"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert profile.stat().st_size > 0
