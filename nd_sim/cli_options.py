"""Command-line options every simulating command shares, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Replications = Annotated[
    int | None,
    typer.Option("--replications", "-n", min=1, help="Replications (default: the scenario's)."),
]
Seed = Annotated[
    int | None, typer.Option("--seed", "-s", min=0, help="Base seed (default: the scenario's).")
]
Out = Annotated[
    Path | None, typer.Option("--out", "-o", help="Results folder (default: results/<time>).")
]
Jobs = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Processes to run replications on.")]
Force = Annotated[bool, typer.Option("--force", help="Replace a non-empty --out folder.")]
Dask = Annotated[
    str | None,
    typer.Option(
        "--dask",
        help='Run on a Dask cluster: a scheduler address (tcp://host:8786) or "local" to start '
        'one here with --jobs workers. Needs pip install "nd-sim[dask]".',
    ),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume", help="Finish an interrupted run of the same command: completed work is kept."
    ),
]
