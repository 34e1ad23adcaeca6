"""`nd-sim validate` and `nd-sim schema`: check a scenario, print the schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from nd_sim.cli.app import (
    console,
    fail,
)
from nd_sim.errors import ScenarioError
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import Scenario, load_scenario


def validate(scenario: Path = typer.Argument(..., help="Scenario TOML file.")) -> None:
    """Check a scenario (and its starting list); report every problem at once."""
    try:
        model = compile_model(load_scenario(scenario))
    except ScenarioError as exc:
        raise fail(exc) from None
    sc = model.scenario
    console.print(
        f"[green]ok[/]: {escape(sc.name)}: {len(sc.districts)} districts, {len(sc.teams)} teams, "
        f"{len(sc.pathway.appointments)} appointments, {len(sc.interventions)} interventions, "
        f"{len(model.starting) + sum(b.count for b in sc.starting_list.profile):,} children on "
        "the starting list"
    )


def schema() -> None:
    """Print the JSON Schema of scenario files."""
    typer.echo(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))
