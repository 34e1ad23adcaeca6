"""The Shiny app: pages for commissioners (what-ifs), managers (budgets) and the staff who
talk to families, each running the CLI's own commands in a per-session folder.

Long work runs as an `ExtendedTask` in a worker thread, so the page stays live and shows
its progress; every number shown comes from the files the CLI would write for the same
inputs and seed, and each table downloads as that CSV.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import tomli_w
from shiny import App, reactive, render, ui
from shinywidgets import output_widget, render_plotly

from nd_sim.app.cohort import cohort_words
from nd_sim.app.compute import (
    Outcome,
    run_families,
    run_options,
    run_size,
    run_whatif,
)
from nd_sim.app.whatif import Levers, whatif_toml
from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.ranking import objective_for
from nd_sim.results import registry
from nd_sim.scenario import load_scenario
from nd_sim.scenario.files import MAX_TOML_BYTES

MAX_UPLOAD_BYTES = 5_000_000  # a waiting list of some 100,000 children
DEFAULT_REPLICATIONS = 20
POLL_SECONDS = 0.3


@dataclass
class Progress:
    """Replications done out of those asked, shared with the worker thread."""

    done: int = 0
    total: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, total: int) -> None:
        with self.lock:
            self.done, self.total = 0, total

    def add(self, n: int) -> None:
        with self.lock:
            self.done += n

    def text(self) -> str:
        with self.lock:
            return f"{self.done} of {self.total} replications" if self.total else ""


def shipped(folder: Path) -> dict[str, str]:
    """The shipped scenarios by file name."""
    return {str(p): p.stem for p in sorted(folder.glob("*.toml"))}


def make_app(scenario: Path, scenarios_dir: Path) -> App:
    """The app, opening on `scenario`, offering the scenarios beside it."""
    choices = shipped(scenarios_dir)
    choices.setdefault(str(scenario), Path(scenario).stem)
    base = load_scenario(scenario)
    teams, professions = list(base.teams), list(base.professions)
    districts = list(base.districts)
    objectives = {k: registry.label(k) for k in registry.TRADEOFF_KPIS}
    ready = _warm_up(scenario)
    # two years on, or the horizon's last week if it is shorter (size refuses a later date)
    by_default = base.start_date + dt.timedelta(days=min(730, 7 * base.horizon_weeks - 7))

    page = ui.page_navbar(
        ui.nav_panel(
            "What if",
            ui.layout_sidebar(
                ui.sidebar(
                    ui.input_select("base", "Base scenario", choices, selected=str(scenario)),
                    ui.input_file("upload", "Or upload a scenario (TOML)", accept=[".toml"]),
                    ui.input_text("name", "Name of the what-if", "what-if"),
                    ui.h6("Staff"),
                    ui.input_select("team", "Team", teams),
                    ui.input_select("profession", "Profession", professions),
                    ui.input_numeric("wte", "Extra WTE", 0, min=-50, max=50, step=0.5),
                    ui.input_date("staff_from", "Approved from", value=base.start_date),
                    ui.h6("Outsourcing"),
                    ui.input_numeric("outsourced", "Assessments a month", 0, min=0, max=1000),
                    ui.input_date("out_from", "From", value=base.start_date),
                    ui.input_date("out_until", "Until", value=base.start_date + dt.timedelta(365)),
                    ui.h6("Demand"),
                    ui.input_select("shock_district", "Shock in district", ["(none)", *districts]),
                    ui.input_numeric("shock_x", "Multiplier", 1.0, min=0, max=10, step=0.5),
                    ui.input_date("shock_from", "From", value=base.start_date),
                    ui.input_date("shock_until", "Until (blank: for good)", value=None),
                    ui.input_numeric(
                        "growth", "Referral growth a year (blank: as written)", None, step=0.01
                    ),
                    ui.input_numeric(
                        "places", "Workshop places a session (blank: as written)", None, min=0
                    ),
                    ui.h6("Run"),
                    ui.input_select("objective", "Rank on", objectives),
                    ui.input_numeric("reps", "Replications", DEFAULT_REPLICATIONS, min=2, max=1000),
                    ui.input_numeric("seed", "Seed", base.run.seed, min=0),
                    ui.input_checkbox(
                        "uncertainty", "Include uncertainty in the assumptions", False
                    ),
                    ui.input_task_button("run", "Run"),
                    width=330,
                ),
                ui.output_text("status"),
                ui.output_ui("problems"),
                ui.output_ui("verdict"),
                ui.input_select("area", "Area", ["county", *districts]),
                output_widget("fan"),
                ui.h5("Headline measures (95% CIs; differences are paired)"),
                ui.output_data_frame("kpis"),
                ui.download_button("get_kpis", "Download the table (CSV)"),
                ui.download_button("get_comparison", "Download comparison.csv"),
                ui.download_button("get_toml", "Save the what-if (TOML)"),
                ui.download_button("get_report", "Download report.html"),
            ),
        ),
        ui.nav_panel(
            "Staff and budget",
            ui.layout_columns(
                ui.card(
                    ui.card_header("Which staff to hit a target by a date (nd-sim size)"),
                    ui.input_text("target", "Target", "first_within_13w_pct >= 50"),
                    ui.input_date("by", "By", value=by_default),
                    ui.input_text("lever", "Lever (professions, or outsourcing)", professions[0]),
                    ui.input_numeric("size_reps", "Replications", 10, min=2, max=200),
                    ui.input_numeric(
                        "confidence",
                        "Share of replications that must meet it",
                        0.8,
                        min=0.5,
                        max=1.0,
                        step=0.05,
                    ),
                    ui.input_task_button("size", "Find the smallest that meets it"),
                    ui.output_text("size_status"),
                    ui.output_ui("size_answer"),
                    output_widget("size_curve"),
                    ui.download_button("get_curve", "Download curve.csv"),
                ),
                ui.card(
                    ui.card_header("Ways to spend a budget (nd-sim options)"),
                    ui.input_numeric("budget", "Budget (£)", 1_800_000, min=1),
                    ui.input_numeric("months", "Over months", 12, min=1, max=240),
                    ui.input_numeric("opt_reps", "Replications", 10, min=2, max=200),
                    ui.input_task_button("options", "Rank the options"),
                    ui.output_text("options_status"),
                    ui.output_data_frame("options_table"),
                    ui.download_button("get_options", "Download options.csv"),
                ),
            ),
        ),
        ui.nav_panel(
            "Families",
            ui.layout_sidebar(
                ui.sidebar(
                    ui.input_file("family_list", "Today's waiting list (CSV)", accept=[".csv"]),
                    ui.input_date("as_of", "The list's date", value=base.start_date),
                    ui.input_numeric("fam_reps", "Replications", 40, min=40, max=1000),
                    ui.input_task_button("project", "Project the list"),
                    ui.input_text("child", "A child's id"),
                    ui.input_select("look_district", "Or a district", districts),
                    ui.input_date("look_referred", "and a referral date", value=base.start_date),
                    width=300,
                ),
                ui.output_text("families_status"),
                ui.output_ui("families_problems"),
                ui.output_ui("letter"),
                ui.output_ui("cohort"),
                ui.h5("If referred today (per district, pathway and priority)"),
                ui.output_data_frame("today"),
                ui.download_button("get_today", "Download if_referred_today.csv"),
                ui.download_button("get_projections", "Download projections.csv"),
            ),
        ),
        title="nd-sim",
        id="page",
    )

    def server(input, output, session):
        work = Path(tempfile.mkdtemp(prefix="nd-sim-app-"))
        session.on_ended(lambda: shutil.rmtree(work, ignore_errors=True))
        progress = Progress()
        runs = reactive.value(0)
        refused = reactive.value(None)  # a ScenarioError from the levers or the upload

        @reactive.calc
        def base_path() -> Path:
            upload = input.upload()
            if upload:
                return _checked_upload(upload[0], work)
            return Path(input.base())

        def levers() -> Levers:
            team, profession = input.team(), input.profession()
            shocks = ()
            if input.shock_district() != "(none)" and (input.shock_x() or 1.0) != 1.0:
                until = input.shock_until()
                shock = (input.shock_district(), float(input.shock_x()), input.shock_from(), until)
                shocks = (shock,)
            return Levers(
                name=input.name() or "what-if",
                extra_wte=((team, profession, float(input.wte() or 0.0)),),
                staff_from=input.staff_from(),
                outsourced_per_month=float(input.outsourced() or 0.0),
                outsourced_from=input.out_from(),
                outsourced_until=input.out_until(),
                workshop_places=None if input.places() is None else int(input.places()),
                shocks=shocks,
                growth_per_year=None if input.growth() is None else float(input.growth()),
            )

        @reactive.extended_task
        async def compare_task(base: Path, whatif: Path, reps: int, seed: int, out: Path, goal):
            return await asyncio.to_thread(
                run_whatif, base, whatif, reps, seed, out, progress.add, goal
            )

        @reactive.effect
        @reactive.event(input.run)
        def _start() -> None:
            refused.set(None)
            try:
                _launch()
            except ScenarioError as exc:
                refused.set(exc)

        def _launch() -> None:
            runs.set(runs() + 1)
            base = base_path()
            sc = load_scenario(base)
            whatif = work / f"whatif-{runs()}.toml"
            whatif.write_text(whatif_toml(base, sc, levers()))
            if input.uncertainty():
                with whatif.open("a") as handle:
                    handle.write("\n[run]\nparameter_uncertainty = true\n")
                    _also_uncertain(base, sc.name, work, runs())
                base = work / f"base-{runs()}.toml"
            load_scenario(whatif)  # the CLI's checks, before anything runs
            goal = objective_for(input.objective(), "county", tuple(sc.districts), tuple(sc.teams))
            reps = int(input.reps() or DEFAULT_REPLICATIONS)
            progress.start(2 * reps)
            compare_task(base, whatif, reps, int(input.seed() or 0), work / f"run-{runs()}", goal)

        @render.text
        def status() -> str:
            if not ready.is_set():
                reactive.invalidate_later(POLL_SECONDS)
                return "Preparing the simulation engine (first run after installing: about 30 s)…"
            if compare_task.status() == "success":
                return f"Done: {progress.text()}, on common random numbers."
            return _task_status(compare_task, progress) or "Set the levers and press Run."

        @render.ui
        def problems():
            if refused() is not None:
                return _problem_list(refused())
            return _failure(compare_task) if compare_task.status() == "error" else None

        def outcome() -> Outcome | None:
            return compare_task.result() if compare_task.status() == "success" else None

        @render.ui
        def verdict():
            o = outcome()
            if o is None:
                return None
            return ui.div(*[ui.p(line) for line in o.verdict()])

        @render_plotly
        def fan():
            o = outcome()
            fig = go.Figure()
            if o is None:
                return fig
            frame = o.fan(input.area())
            for name, part in frame.groupby("scenario", sort=False):
                x = part.week_end
                fig.add_trace(go.Scatter(x=x, y=part.p95, line={"width": 0}, showlegend=False,
                                         hoverinfo="skip", name=f"{name} P95"))  # fmt: skip
                fig.add_trace(go.Scatter(x=x, y=part.p05, fill="tonexty", line={"width": 0},
                                         opacity=0.2, name=f"{name}: 90% band"))  # fmt: skip
                fig.add_trace(go.Scatter(x=x, y=part.p50, name=f"{name}: median",
                                         hovertemplate="%{x|%d %b %Y}: %{y:,.0f}"))  # fmt: skip
            fig.update_layout(
                title=f"Children on the list ({input.area()})",
                yaxis_title="children waiting",
                hovermode="x unified",
                margin={"t": 40},
            )
            return fig

        @render.data_frame
        def kpis():
            o = outcome()
            return render.DataGrid(_rounded(o.kpi_table(input.area()))) if o else None

        # ----- Staff and budget --------------------------------------------------------------
        size_progress, options_progress, families_progress = Progress(), Progress(), Progress()

        @reactive.extended_task
        async def size_task(base, target, by, lever, reps, seed, out, confidence):
            return await asyncio.to_thread(
                run_size, base, target, by, lever, reps, seed, out, size_progress.add,
                confidence, size_progress.start,
            )  # fmt: skip

        @reactive.effect
        @reactive.event(input.size)
        def _size() -> None:
            base, reps = base_path(), int(input.size_reps() or 10)
            args = (input.target(), input.by().isoformat(), input.lever())
            size_progress.start(0)  # the task says how many, once its request is checked
            runs.set(runs() + 1)
            confidence = float(input.confidence() or 0.8)
            size_task(
                base, *args, reps, int(input.seed() or 0), work / f"size-{runs()}", confidence
            )

        @render.text
        def size_status() -> str:
            return _task_status(size_task, size_progress)

        @render.ui
        def size_answer():
            if size_task.status() == "error":
                return _failure(size_task)
            if size_task.status() != "success":
                return None
            return ui.div(*[ui.p(p) for p in size_task.result().paragraph.split("\n\n") if p])

        @render_plotly
        def size_curve():
            fig = go.Figure()
            if size_task.status() != "success":
                return fig
            curve = size_task.result().curve
            y = next((c for c in ("kpi_mean", "mean") if c in curve.columns), None)
            x = next((c for c in ("x", "value") if c in curve.columns), curve.columns[1])
            if y is not None:
                for lever, part in curve.groupby(curve.columns[0], sort=False):
                    fig.add_trace(
                        go.Scatter(x=part[x], y=part[y], mode="lines+markers", name=str(lever))
                    )
            fig.update_layout(title="The target measure against the lever", margin={"t": 40})
            return fig

        @render.download(filename="curve.csv")
        def get_curve():
            if size_task.status() == "success":
                yield size_task.result().curve.to_csv(index=False)

        @reactive.extended_task
        async def options_task(base, budget, months, reps, seed, out, goal):
            return await asyncio.to_thread(
                run_options, base, budget, months, reps, seed, out, options_progress.add, goal,
                options_progress.start,
            )  # fmt: skip

        @reactive.effect
        @reactive.event(input.options)
        def _options() -> None:
            base = base_path()
            sc = load_scenario(base)
            goal = objective_for(input.objective(), "county", tuple(sc.districts), tuple(sc.teams))
            reps = int(input.opt_reps() or 10)
            options_progress.start(0)  # the task says how many, once the options are known
            runs.set(runs() + 1)
            options_task(
                base, float(input.budget() or 0), float(input.months() or 12), reps,
                int(input.seed() or 0), work / f"options-{runs()}", goal,
            )  # fmt: skip

        @render.text
        def options_status() -> str:
            text = _task_status(options_task, options_progress)
            if options_task.status() == "error":
                try:
                    options_task.result()
                except ScenarioError as exc:
                    return "Not run: " + "; ".join(str(p) for p in exc.problems)
            return text

        @render.data_frame
        def options_table():
            if options_task.status() != "success":
                return None
            table = options_task.result()
            keep = [c for c in ("rank", "option", "summary", "tradeoffs_text") if c in table]
            return render.DataGrid(table[keep])

        @render.download(filename="options.csv")
        def get_options():
            if options_task.status() == "success":
                yield options_task.result().to_csv(index=False)

        # ----- Families -------------------------------------------------------------------
        @reactive.extended_task
        async def families_task(base, listed, as_of, reps, seed, out):
            return await asyncio.to_thread(
                run_families, base, listed, as_of, reps, seed, out, families_progress.add
            )

        @reactive.effect
        @reactive.event(input.project)
        def _project() -> None:
            upload = input.family_list()
            if not upload:
                return
            # the families reader refuses personal data and names bad rows, as the CLI does
            listed = _saved_upload(upload[0], work, "waiting_list.csv", MAX_UPLOAD_BYTES)
            reps = max(int(input.fam_reps() or 40), 40)
            families_progress.start(reps)
            runs.set(runs() + 1)
            families_task(base_path(), listed, input.as_of(), reps, int(input.seed() or 0),
                          work / f"families-{runs()}")  # fmt: skip

        @render.text
        def families_status() -> str:
            return _task_status(families_task, families_progress)

        @render.ui
        def families_problems():
            return _failure(families_task) if families_task.status() == "error" else None

        @render.ui
        def letter():
            if families_task.status() != "success" or not input.child():
                return None
            folder = families_task.result().out
            from nd_sim.experiments.families.letters import letter_file_names

            frame = families_task.result().projections
            ids = [str(i) for i in frame.child_id]
            if input.child().strip() not in ids:
                return ui.p("No child with that id is on the projected list.")
            name = letter_file_names(ids)[ids.index(input.child().strip())]
            return ui.pre((folder / "letters" / f"{name}.txt").read_text())

        @render.ui
        def cohort():
            if families_task.status() != "success":
                return None
            frame = families_task.result().projections
            text = cohort_words(frame, input.look_district(), input.look_referred())
            return ui.p(text) if text else None

        @render.data_frame
        def today():
            if families_task.status() != "success":
                return None
            return render.DataGrid(
                pd.read_csv(families_task.result().out / "if_referred_today.csv")
            )

        @render.download(filename="if_referred_today.csv")
        def get_today():
            if families_task.status() == "success":
                yield (families_task.result().out / "if_referred_today.csv").read_text()

        @render.download(filename="projections.csv")
        def get_projections():
            if families_task.status() == "success":
                yield (families_task.result().out / "projections.csv").read_text()

        # ----- Downloads of the what-if -----------------------------------------------------
        @render.download(filename="kpis.csv")
        def get_kpis():
            o = outcome()
            if o is not None:
                yield o.kpi_table(input.area()).to_csv(index=False)

        @render.download(filename="comparison.csv")
        def get_comparison():
            o = outcome()
            if o is not None:
                yield (o.folder / "comparison.csv").read_text()

        @render.download(filename="whatif.toml")
        def get_toml():
            base = base_path()
            yield whatif_toml(base, load_scenario(base), levers())

        @render.download(filename="report.html")
        def get_report():
            o = outcome()
            if o is None:
                return
            from nd_sim.report.html import write_report

            path = write_report(o.folder)
            yield Path(path).read_text()

    return App(page, server)


def _task_status(task, progress: Progress) -> str:
    state = task.status()
    if state == "running":
        reactive.invalidate_later(POLL_SECONDS)
        return f"Running: {progress.text()}"
    if state == "success":
        return "Done."
    if state == "error":
        return "Not run: see below."
    return ""


def _failure(task):
    try:
        task.result()
    except ScenarioError as exc:
        return _problem_list(exc)
    except Exception as exc:
        return ui.div(f"Not run: {type(exc).__name__}", class_="text-danger")
    return None


def _saved_upload(info: dict, work: Path, name: str, limit: int) -> Path:
    """An upload copied into the session folder, refused (naming it) above `limit` bytes."""
    size = int(info.get("size") or 0)
    if size > limit:
        rule = f"must be at most {limit:,} bytes"
        raise ScenarioError("upload", [Problem(name, f"{size:,} bytes", rule)])
    target = work / name
    shutil.copyfile(info["datapath"], target)
    return target


def _warm_up(scenario: Path) -> threading.Event:
    """Load (or on a first run, compile) the engine in the background, so the first click
    does not wait on it silently; the event is set when it is ready."""
    ready = threading.Event()

    def work() -> None:
        try:
            from nd_sim.engine.replication import run_replication
            from nd_sim.inputs.model import compile_model

            sc = load_scenario(scenario)
            run_replication(compile_model(sc.model_copy(update={"horizon_weeks": 2})), 0, 1)
        finally:
            ready.set()

    threading.Thread(target=work, daemon=True, name="nd-sim warm-up").start()
    return ready


def _problem_list(exc: ScenarioError):
    items = [ui.tags.li(str(p)) for p in exc.problems]
    return ui.div(ui.strong(f"Not run ({exc.source}):"), ui.tags.ul(*items), class_="text-danger")


def _checked_upload(info: dict, work: Path) -> Path:
    """An uploaded scenario copied into the session folder and loaded as a file would be
    (so a scenario that `extends` another must be uploaded whole)."""
    target = _saved_upload(info, work, "uploaded.toml", MAX_TOML_BYTES)
    load_scenario(target)  # the CLI's validation; raises ScenarioError naming every problem
    return target


def _also_uncertain(base: Path, name: str, work: Path, k: int) -> None:
    """A copy of the base with parameter uncertainty on, so both draw the same inputs."""
    text = tomli_w.dumps(
        {"extends": str(Path(base).resolve()), "name": name, "run": {"parameter_uncertainty": True}}
    )
    (work / f"base-{k}.toml").write_text(text)


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.select_dtypes("number").columns:
        out[column] = out[column].round(2)
    return out
