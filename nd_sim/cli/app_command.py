"""`nd-sim app`: start the local web app (Shiny) on this machine."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from nd_sim.cli.app import console, default_scenario, fail
from nd_sim.cli.params import bounded
from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario import load_scenario


def app_command(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (this machine)."),
    port: int = typer.Option(8050, "--port", callback=bounded(1, 65535), help="Port."),
) -> None:
    """Open the meeting tool in a browser: what-ifs, budgets and family windows in seconds."""
    path = scenario or default_scenario()
    try:
        load_scenario(path)
        server = _app_or_fail(Path(path))
    except ScenarioError as exc:
        raise fail(exc) from None
    import uvicorn

    console.print(
        f"nd-sim app on [bold]http://{escape(host)}:{port}[/] (Ctrl-C to stop)", highlight=False
    )
    uvicorn.run(server, host=host, port=port, log_level="warning")


def _app_or_fail(path: Path):
    import warnings

    warnings.filterwarnings("ignore", message=r"render\.download is deprecated")
    try:
        from nd_sim.app.server import make_app
    except ImportError as exc:
        rule = f'needs the app extra: pip install -e ".[app]" ({exc.name} is missing)'
        raise ScenarioError("nd-sim app", [Problem("app", "not installed", rule)]) from None
    return make_app(path, path.resolve().parent)
