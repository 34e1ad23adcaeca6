"""Generate `docs/scenario.md`, the scenario file reference, from the pydantic models.

The models in :mod:`nd_sim.scenario.models` are the documentation: this module walks
`Scenario` through nested tables, lists of tables, tables keyed by name and the kinds of
intervention, and writes one row per key (dotted TOML path, type, unit, default,
constraints, description). A test checks that the committed page equals what this module
renders, so run ``python -m nd_sim.scenario.docgen`` after changing a model.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from nd_sim.scenario.models import Scenario

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "scenario.md"

# What the user's own keys stand for in tables keyed by name.
PLACEHOLDERS = {
    "professions": "<profession>",
    "teams": "<team>",
    "staff": "<profession>",
    "districts": "<district>",
}

# Units read from the key name, first match wins (the scenario's naming convention).
UNIT_RULES: tuple[tuple[str, str], ...] = (
    (r"_gbp_per_wte_year$", "£ per WTE per year"),
    (r"_gbp_each$", "£ per assessment"),
    (r"_gbp$", "£"),
    (r"^hours_per_wte_week$", "hours per WTE per week"),
    (r"^hours_per_referral$", "profession-hours per referral"),
    (r"^hours$", "profession-hours"),
    (r"^referrals_per_week$", "referrals per week"),
    (r"_per_year$", "fraction per year"),
    (r"_per_session$", "families per session"),
    (r"(^|_)wte$", "WTE"),
    (r"^weekly_hazard$", "probability per week"),
    (r"(^|_)weeks(_|$)", "weeks"),
    (r"_months$", "months"),
    (r"(_share$|^share_)", "share (0-1)"),
    (r"_fraction$", "share (0-1)"),
    (r"^spend_on$", "share of the budget"),
    (r"multipliers?$", "multiplier"),
    (r"^(children|count)$", "children"),
    (r"^assessments$", "assessments"),
    (r"^discharge_after$", "DNAs"),
)
# Models whose probabilities are shares of a whole (they must sum to 1).
SHARE_MODELS = ("ReferralMix", "Outcomes")


@dataclass
class Section:
    """One TOML table of the reference: its heading, its model and its keys."""

    heading: str
    model: type[BaseModel]
    rows: list[tuple[str, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Shape:
    """A field's annotation, unwrapped: what it holds and the constraints inside it."""

    text: str
    model: Any = None  # a model, or a tuple of models (the intervention kinds)
    container: str = ""  # "", "list" or "dict"
    constraints: tuple[str, ...] = ()
    probability: bool = False


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _bounds(metadata: list[Any]) -> tuple[str, ...]:
    out = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            out += _bounds(item.metadata)
        elif isinstance(item, at.Ge):
            out.append(f">= {_num(item.ge)}")
        elif isinstance(item, at.Gt):
            out.append(f"> {_num(item.gt)}")
        elif isinstance(item, at.Le):
            out.append(f"<= {_num(item.le)}")
        elif isinstance(item, at.Lt):
            out.append(f"< {_num(item.lt)}")
        elif isinstance(item, at.MinLen):
            out.append(f"at least {item.min_length} entr{'y' if item.min_length == 1 else 'ies'}")
        elif isinstance(item, at.MaxLen):
            out.append(f"at most {item.max_length} entries")
    return tuple(out)


def _plural(text: str) -> str:
    if text.startswith("one of "):
        return text.removeprefix("one of ")
    return text + "s" if text in ("string", "number", "integer", "date") else text


def _num(value: Any) -> str:
    return format(value, "g") if isinstance(value, int | float) else str(value)


def _is_probability(base: Any, bounds: tuple[str, ...]) -> bool:
    return base is float and ">= 0" in bounds and "<= 1" in bounds


def shape(annotation: Any) -> Shape:
    """Unwrap Annotated, Optional, list[...] and dict[str, ...] into a readable shape."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        inner = shape(args[0])
        bounds = _bounds(list(args[1:]))
        prob = _is_probability(args[0], bounds)
        return Shape(inner.text, inner.model, inner.container, inner.constraints + bounds, prob)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return shape(rest[0])
        return Shape("table", model=tuple(rest))
    if origin is typing.Literal:
        quoted = [f'"{a}"' for a in args]
        return Shape(quoted[0] if len(quoted) == 1 else "one of " + ", ".join(quoted))
    if origin is list:
        item = shape(args[0])
        each = tuple(f"each {c}" for c in item.constraints)
        if item.model is not None:
            return Shape("array of tables", item.model, "list", each, item.probability)
        return Shape(f"list of {_plural(item.text)}", None, "list", each, item.probability)
    if origin is dict:
        item = shape(args[1])
        each = tuple(f"each {c}" for c in item.constraints)
        if item.model is not None:
            return Shape("tables by name", item.model, "dict", each, item.probability)
        return Shape(f"table of {_plural(item.text)} by name", None, "dict", each, item.probability)
    if _is_model(annotation):
        return Shape("table", annotation)
    names = {str: "string", int: "integer", float: "number", bool: "boolean", dt.date: "date"}
    return Shape(names.get(annotation, getattr(annotation, "__name__", str(annotation))))


def unit(key: str, model: type[BaseModel], info: Shape) -> str:
    """The unit, read from the key name; else 'probability' or 'share' from the type."""
    for pattern, name in UNIT_RULES:
        if re.search(pattern, key):
            return name
    if info.probability:
        return "share (0-1)" if model.__name__ in SHARE_MODELS else "probability"
    return ""


def toml_value(value: Any) -> str:
    """A default written as it would be in a scenario file."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def default_text(info: FieldInfo, kind: Shape) -> str:
    """'required', 'not set', a TOML value, or 'see below' for a table of defaults."""
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "not set"
    if isinstance(value, BaseModel) and kind.container == "":
        return "(defaults below)"
    return f"`{toml_value(value)}`"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _heading(path: str, container: str) -> str:
    if not path:
        return "Top level"
    table = path.removesuffix("[]")
    return f"`[[{table}]]`" if container == "list" else f"`[{table}]`"


def walk(model: type[BaseModel], path: str, heading: str) -> list[Section]:
    """The section of this table, then the sections of every table inside it, depth first."""
    section = Section(heading, model)
    below: list[Section] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        full = f"{path}.{key}" if path else key
        kind = shape(info.annotation)
        bounds = kind.constraints + _bounds(info.metadata)
        if _is_probability(info.annotation, bounds):
            kind = Shape(kind.text, kind.model, kind.container, kind.constraints, True)
        description = info.description or ""
        section.rows.append(
            (
                f"`{full}`",
                kind.text,
                unit(key, model, kind),
                default_text(info, kind),
                ", ".join(dict.fromkeys(bounds)),
                description,
            )
        )
        below += _children(kind, full, key)
    return [section, *below]


def _children(kind: Shape, full: str, key: str) -> list[Section]:
    if kind.model is None:
        return []
    if kind.container == "dict":
        child = f"{full}.{PLACEHOLDERS.get(key, '<name>')}"
    elif kind.container == "list":
        child = f"{full}[]"
    else:
        child = full
    if isinstance(kind.model, tuple):  # a discriminated union: one section per kind
        out = []
        for member in kind.model:
            tag = typing.get_args(member.model_fields["kind"].annotation)[0]
            heading = f'{_heading(child, kind.container)} with `kind = "{tag}"`'
            out += walk(member, f'{child} (kind = "{tag}")', heading)
        return out
    return walk(kind.model, child, _heading(child, kind.container))


INTRO = """\
# Scenario file reference

<!-- Generated by `python -m nd_sim.scenario.docgen` from nd_sim/scenario/models.py: do not edit by
hand. A test fails when this page and the models disagree. -->

A **scenario file** is a TOML file that describes one version of the service: its districts
and the teams that serve them, the staff of each team, the referrals (and how they change over
time), the pathway from referral to outcome, how the diary is booked, any interventions
(new staff, funding, outsourced assessments) and the waiting list on the start date. Every
key carries its unit in its name (`referrals_per_week`, `hours_per_wte_week`,
`cost_gbp_per_wte_year`). Unknown keys are errors, and every problem is reported at once.
The shipped scenarios in `scenarios/` are complete, commented examples.

## A source or assumption beside every number

Any value may be written plainly or as a table with a note:

```toml
# fragment: inside a [teams.<team>.staff.<profession>] table
wte = { value = 1.8, note = "assumption: calibrated, paediatrician load 1.01" }
```

The loader lifts each note out (keyed by its dotted path, e.g.
`teams.north.staff.paediatrician.wte`) into an assumptions log: `manifest.json` of every run
keeps them under `notes`. `source = "..."` may be used instead of `note = "..."`. The
top-level `notes` table may also hold notes directly, as `"dotted.path" = "note"`.

## What-ifs: `extends`

```toml
name = "North 4x referrals"
extends = "lancashire.toml"

[[demand.shocks]]
districts = ["Lancaster", "Wyre"]
multiplier = 4.0
from = 2026-09-01
```

A child file names its parent with `extends = "parent.toml"` (relative to the child) and
changes only what it states. Tables merge key by key; anything else, lists included, is
replaced whole: a child's `[[interventions]]` or `[[demand.shocks]]` replaces the parent's
list, so repeat the parent's entries you want to keep. `name` and `description` are not
inherited. A parent's `starting_list.csv` path stays relative to the parent's folder.
Chains of up to 8 parents are allowed.

## Switching a mechanism off

| mechanism | off when |
|---|---|
| triage panel | `pathway.triage.enabled = false` (every referral is accepted) |
| workshops | `pathway.workshops = []` |
| did-not-attend | `pathway.dna.probability = 0` |
| withdrawal from the list | `pathway.withdrawal.weekly_hazard = 0` |
| re-referrals | `pathway.rereferral.probability = 0` |
| seasonality | `demand.seasonality = "none"` |
| growth in referrals | `demand.growth_per_year = 0` |

## The starting list CSV

`starting_list.csv` names a CSV snapshot of today's list, one row per child:

| column | required | meaning |
|---|---|---|
| `child_id` | yes | the service's id for the child; unique |
| `district` | yes | a key of `districts`, spelled as in the scenario |
| `referral_date` | yes | `YYYY-MM-DD`, before `start_date` |
| `stage` | yes | `triage`, `waiting_first` (accepted, not yet seen) or `in_assessment` (seen) |
| `pathway` | yes | `asd`, `adhd` or `both` |
| `priority` | no | a name in `booking.priority_classes`; empty = the last (least urgent) class |
| `next_appointment` | no | `in_assessment` only: the next appointment's name (see below) |

A named `next_appointment` starts the child in a week drawn within that appointment's gap;
an empty one places the child on the pathway's timetable by how long ago the referral was
(docs/model.md §2.5; `nd-sim families` still reads empty as the second appointment).
Other columns are errors. `starting_list.profile` describes a list by age-of-wait bands
instead (or as well).

## Checking a file

`nd-sim validate FILE` loads the scenario and its starting list and reports every problem
at once, each with its dotted path, the value and the rule (with "did you mean" for a
mistyped key); problems in the starting-list CSV are named by line and column.
`nd-sim schema` prints the JSON Schema of scenario files, for editors that validate TOML.

The rules are strict, so that a typo is refused with its field named instead of reaching
the simulation:

- **Numbers are finite and typed.** `nan`, `inf` and `-inf` are refused everywhere, and so
  is a boolean or a quoted number where a number belongs (`horizon_weeks = true`,
  `wte = "2"`). A whole number (`horizon_weeks`, `count`) must be written without a
  decimal point. Every number has physical bounds, listed in the tables below: at most
  10,000 referrals a week per district, 10,000 WTE, 168 hours a week, £10 billion,
  1,040 weeks (twenty years) for any wait, delay or horizon, 100 for a multiplier.
- **Dates fall from 1990-01-01 to 2100-12-31.** TOML dates (`from = 2026-09-01`) and
  ISO strings (`from = "2026-09-01"`) are both accepted.
- **Codes are matched without regard to case or surrounding spaces**: `kind`,
  `seasonality`, `queue_order`, `stage` and `rereferral.after` (`"School_Terms "` is
  `school_terms`). Names you choose (districts, teams, professions) must match exactly.
- **Lists of districts or teams are never empty**: write `["all"]` for all of them.
- **The file is UTF-8 text.** A byte-order mark is accepted; UTF-16 is refused with a
  message saying how to save it. An `extends` cycle is refused, naming the files in it.

Before a run starts, its size is estimated (children simulated, peak memory, disk); a run
above the limits in [scale.md](scale.md#limits) is refused, with the estimate and what to
change, unless `--allow-large` is given.

## Keys

Each table below lists its keys with their full dotted path. `[]` stands for any entry of
an array of tables and `<district>`, `<team>`, `<profession>` for the names you choose.
Defaults are written as in TOML; "required" keys have none, and "not set" means the key may
be left out.
"""


def render_scenario_reference() -> str:
    """The whole of docs/scenario.md."""
    lines = [INTRO]
    for section in walk(Scenario, "", "Top level"):
        lines.append(f"### {section.heading}\n")
        doc = " ".join((section.model.__doc__ or "").split())
        if doc:
            lines.append(f"{doc}\n")
        lines.append("| key | type | unit | default | constraints | description |")
        lines.append("|---|---|---|---|---|---|")
        for row in section.rows:
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write docs/scenario.md; with --check, only report whether it is up to date."""
    args = sys.argv[1:] if argv is None else argv
    text = render_scenario_reference()
    if "--check" in args:
        current = DOC_PATH.read_text() if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is out of date: run `python -m nd_sim.scenario.docgen`")
            return 1
        print(f"{DOC_PATH} is up to date")
        return 0
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(text)
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
