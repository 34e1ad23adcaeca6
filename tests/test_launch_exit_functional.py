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
