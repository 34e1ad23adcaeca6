"""The app in a real browser (Debian's chromium): run a what-if, see its numbers.

Skipped where chromium or the app extra is missing (a bare clone's CI); run here."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from .conftest import FIXTURES

pytestmark = [pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
shiny = pytest.importorskip("shiny")
playwright = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed (apt install chromium)", allow_module_level=True
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    import uvicorn

    from nd_sim.app.server import make_app

    port = _free_port()
    config = uvicorn.Config(
        make_app(FIXTURES / "small.toml", FIXTURES), port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium_browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _uploaded(page) -> None:
    """Wait for Shiny to say the upload is complete (a loaded machine takes seconds)."""
    page.wait_for_selector("text=Upload complete", timeout=60_000)


def _wait_done(page) -> str:
    page.wait_for_function(
        "['Done', 'Not run'].some(w => document.querySelector('#status').innerText.startsWith(w))",
        timeout=120_000,
    )
    return page.inner_text("#status")


def test_a_what_if_runs_and_shows_its_measures(served, chromium_browser, tmp_path: Path) -> None:
    page = chromium_browser.new_page()
    page.goto(served)
    page.wait_for_selector("#run")
    page.select_option("#base", str(FIXTURES / "small.toml"))
    page.fill("#wte", "1")
    page.fill("#reps", "3")
    page.click("#run")
    assert _wait_done(page).startswith("Done"), page.inner_text("#problems")
    page.wait_for_selector("#kpis table")
    text = page.inner_text("#kpis")
    assert "child_weeks_waiting" in text and "what-if" in text
    with page.expect_download() as caught:
        page.click("#get_comparison")
    shown = pd.read_csv(caught.value.path())
    assert set(shown.scenario) == {"small", "what-if"}
    with page.expect_download() as caught:
        page.click("#get_toml")
    saved = Path(caught.value.path()).read_text()
    assert "extends" in saved and "staff_change" in saved


def test_a_bad_upload_is_shown_not_run(served, chromium_browser, tmp_path: Path) -> None:
    """An uploaded scenario gets the CLI's validation: every problem named, nothing run."""
    bad = tmp_path / "bad.toml"
    text = (FIXTURES / "small.toml").read_text().replace("horizon_weeks = 104", "horizon_weeks = 0")
    bad.write_text(text)
    page = chromium_browser.new_page()
    page.goto(served)
    page.wait_for_selector("#run")
    page.set_input_files("#upload", str(bad))
    _uploaded(page)
    page.click("#run")
    page.wait_for_selector("#problems .text-danger", timeout=60_000)
    shown = page.inner_text("#problems")
    assert "Not run" in shown and "horizon_weeks" in shown


def test_staff_read_a_childs_letter_in_the_app(served, chromium_browser, tmp_path: Path) -> None:
    """Families: project an uploaded list and look a child up; the words are the letter's."""
    page = chromium_browser.new_page()
    page.goto(served)
    page.wait_for_selector("#run")
    page.click("text=Families")
    page.set_input_files("#family_list", str(FIXTURES / "small_list.csv"))
    _uploaded(page)
    page.click("#project")
    status = "document.querySelector('#families_status').innerText"
    page.wait_for_function(f"['Done', 'Not'].some(w => {status}.startsWith(w))", timeout=120_000)
    assert page.inner_text("#families_status").startswith("Done"), page.inner_text(
        "#families_problems"
    )
    child = pd.read_csv(FIXTURES / "small_list.csv").child_id.iloc[0]
    page.fill("#child", str(child))
    page.wait_for_selector("#letter pre", timeout=30_000)
    letter = page.inner_text("#letter")
    assert f"Our reference: {child}" in letter and "Dear parent or carer" in letter
    page.wait_for_selector("#today table")
    listed = pd.read_csv(FIXTURES / "small_list.csv")
    waiting = listed[listed.stage != "in_assessment"].iloc[0]
    page.select_option("#look_district", str(waiting.district))
    page.fill("#look_referred input", str(waiting.referral_date))
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#cohort').innerText.includes('referred')")
    assert f"in {waiting.district} in" in page.inner_text("#cohort")


def test_managers_size_and_rank_in_the_app(served, chromium_browser) -> None:
    """Staff and budget: the sizing answer and the options ranking arrive as the CLI's."""
    page = chromium_browser.new_page()
    page.goto(served)
    page.wait_for_selector("#run")
    page.click("text=Staff and budget")
    page.fill("#size_reps", "2")
    page.click("#size")
    page.fill("#opt_reps", "2")
    page.fill("#budget", "200000")
    page.click("#options")
    for output in ("#size_status", "#options_status"):
        status = f"document.querySelector('{output}').innerText"
        page.wait_for_function(
            f"['Done', 'Not'].some(w => {status}.startsWith(w))", timeout=300_000
        )
    assert page.inner_text("#size_status") == "Done.", page.inner_text("#size_answer")
    assert page.inner_text("#size_answer").startswith("To start 50% of first appointments")
    assert page.inner_text("#options_status") == "Done."
    page.wait_for_selector("#options_table table")
    assert "Outsourced" in page.inner_text("#options_table")
