"""The `nd-sim` command line: the only place that talks to the terminal.

`app` holds the Typer application and what every command shares; each command lives in a
module of its own and is registered here, in the order `nd-sim --help` lists them.
"""

from nd_sim.cli import (
    app_command,
    calibrate,
    compare,
    families,
    options,
    report,
    run,
    sensitivity,
    size,
    sweep,
    validate,
)
from nd_sim.cli.app import app, main

for _name, _command in (
    ("validate", validate.validate),
    ("schema", validate.schema),
    ("run", run.run),
    ("compare", compare.compare),
    ("sweep", sweep.sweep),
    ("report", report.report_command),
    ("families", families.families),
    ("options", options.options),
    ("size", size.size),
    ("sensitivity", sensitivity.sensitivity),
    ("app", app_command.app_command),
    ("calibrate", calibrate.calibrate),
    ("backtest", calibrate.backtest),
):
    app.command(_name)(_command)

__all__ = ["app", "main"]
