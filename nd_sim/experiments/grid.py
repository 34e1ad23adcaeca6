"""Read a sweep's grid file and turn it into validated scenario variants.

A sweep runs many variants of one scenario on common random numbers. The grid file names
only what changes; the scenario is given on the command line, so one grid can be run against
several scenarios. The file holds a cross product, a list of named variants, or both:

.. code-block:: toml

    # Every combination of the values below: 3 x 4 = 12 variants (the first key varies slowest).
    [grid]
    "demand.growth_per_year" = [0.03, 0.06, 0.12]
    "interventions[0].budget_gbp" = [0, 600_000, 1_200_000, 1_800_000]

    # And named variants, each with the settings it changes, after the cross product.
    [[variants]]
    name = "two more paediatricians in the north"
    set = { "teams.north.staff.paediatrician.wte" = { value = 3.8, note = "1.8 + 2 posts" } }

Rules (each broken one is reported, all at once, with the grid file's name):

- keys are dotted scenario paths as `docs/scenario.md` lists them, written in quotes, with
  list entries by index (`interventions[0].budget_gbp`, `pathway.appointments[1].hours.slt`);
  an index must exist, missing tables are created on the way;
- a value may carry its source, `{ value = ..., note = "..." }`, as in scenario files; a
  value set without one is noted "sweep: set by the grid <file>" in `Scenario.notes`;
- a table is never set whole: `set = { demand.growth_per_year = 0.1 }` (unquoted, so TOML
  reads a table) means the key `"demand.growth_per_year"`, so that a forgotten pair of quotes
  cannot silently reset the rest of `[demand]`; lists and other values replace the old one;
- each `[grid]` key holds a non-empty list of different values; `[[variants]]` need a
  unique `name` and a `set` table (`set = {}` runs the scenario as it is, e.g. as the
  reference, variant 0); variant names (given or made from the settings) must
  be unique; at most `MAX_VARIANTS` variants;
- the districts stay those of the scenario (a key may change a district's settings, not add
  one), `extends` and `notes` cannot be set; start date, horizon and everything else may vary;
- each variant is validated exactly as a scenario file would be (`validate_raw`), so a bad
  value or a misspelt key ("did you mean") is reported with the variant that holds it.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario.loader import UNCERTAIN, lift_notes, read_raw, read_toml, validate_raw
from nd_sim.scenario.models import Scenario
from nd_sim.scenario.paths import dotted, parse
from nd_sim.scenario.uncertain import is_leaf

MAX_VARIANTS = 10_000
TOP_LEVEL = ("grid", "variants")
VARIANT_KEYS = ("name", "set")
FIXED_KEYS = ("extends", "notes", "run")
Part = str | int


@dataclass(frozen=True)
class Variant:
    """One scenario of a sweep: what the grid set, and the validated result."""

    index: int
    name: str
    settings: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class Grid:
    """Every variant of a sweep, and every key any of them sets (the sweep.csv columns)."""

    keys: list[str]
    variants: list[Variant]
    source: str


@dataclass(frozen=True)
class _Value:
    """A value to set, with the note and range written beside it in the grid file (if any)."""

    value: Any
    notes: dict[str, str]
    ranges: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class _Spec:
    """A variant before validation: its name and its settings in order."""

    name: str
    settings: dict[str, _Value]


def load_grid(grid_path: Path, scenario_path: Path) -> Grid:
    """Read the grid file and return every variant of the scenario, validated.

    Raises `ScenarioError` naming the grid file and listing every problem: of the grid file
    itself, then of the variants (each naming the variant and the scenario path). A scenario
    file that cannot be read raises the loader's own error.
    """
    grid_path = Path(grid_path)
    source = str(grid_path)
    doc = read_toml(grid_path, "grid file", "--grid")
    base, notes = read_raw(Path(scenario_path))
    axes, problems = _read_axes(doc.get("grid", {}))
    explicit, more = _read_variants(doc.get("variants", []))
    problems = _top_level_problems(doc) + problems + more
    if not problems and not axes and not explicit:
        problems.append(Problem("", source, "a grid must vary something: [grid] or [[variants]]"))
    count = math.prod(len(values) for _, values in axes) if axes else 0
    if count + len(explicit) > MAX_VARIANTS:
        rule = f"at most {MAX_VARIANTS:,} variants"
        problems.append(Problem("", f"{count + len(explicit):,} variants", rule))
        raise ScenarioError(source, problems)
    specs = _cross_product(axes) + explicit
    keys = _keys(specs)
    bad_keys, more = _key_problems(keys, base, axes, explicit)
    problems += more + _duplicate_names(specs, count)
    variants, more = _validate_all(specs, base, notes, grid_path, bad_keys)
    if problems or more:
        raise ScenarioError(source, problems + more)
    return Grid(keys=keys, variants=variants, source=source)


# --------------------------------------------------------------------------------------------
# The grid file
# --------------------------------------------------------------------------------------------


def _top_level_problems(doc: dict[str, Any]) -> list[Problem]:
    out = []
    for key in doc:
        if key not in TOP_LEVEL:
            match = difflib.get_close_matches(key, TOP_LEVEL, n=1, cutoff=0.6)
            hint = f"; did you mean '{match[0]}'?" if match else ""
            rule = f"unknown table: a grid file holds [grid] and [[variants]]{hint}"
            out.append(Problem(key, key, rule))
    return out


def _read_axes(table: Any) -> tuple[list[tuple[str, list[_Value]]], list[Problem]]:
    """`[grid]`: each key's list of values, in file order."""
    if not isinstance(table, dict):
        return [], [Problem("grid", table, 'must be a table of "key" = [values]')]
    axes, problems = [], []
    for key, values in _flatten(table):
        where = f'grid."{key}"'
        if not isinstance(values, list) or not values:
            problems.append(Problem(where, values, "must be a non-empty list of values"))
            continue
        tables = [v for v in values if isinstance(v, dict) and not is_leaf(v)]
        if tables:
            rule = "a value may not be a table (a table is never set whole): vary its keys"
            problems += [Problem(where, v, rule) for v in tables]
            continue
        lifted, repeated = _distinct([_lift(key, v) for v in values])
        rule = "values must differ: this one is listed twice"
        problems += [Problem(where, v.value, rule) for v in repeated]
        axes.append((key, lifted))
    return axes, problems


def _read_variants(items: Any) -> tuple[list[_Spec], list[Problem]]:
    """`[[variants]]`: each a name and the settings it changes."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return [], [Problem("variants", items, "must be an array of tables ([[variants]])")]
    specs, problems = [], []
    for i, item in enumerate(items):
        where = f"variants[{i}]"
        problems += [
            Problem(f"{where}.{k}", k, "unknown key: a variant holds name and set")
            for k in item
            if k not in VARIANT_KEYS
        ]
        name, settings = item.get("name"), item.get("set")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(f"{where}.name", name, "must be a non-empty string"))
            name = f"({where} has no name)"
        if not isinstance(settings, dict):  # empty is allowed: the scenario as it is
            rule = 'must be a table of "key" = value (set = {} for the scenario as it is)'
            problems.append(Problem(f"{where}.set", settings, rule))
            settings = {}  # kept, so that later variants keep their numbers in messages
        values = {key: _lift(key, v) for key, v in _flatten(settings)}
        specs.append(_Spec(name=name.strip(), settings=values))
    return specs, problems


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Dotted paths to the values under a table: unquoted dotted keys make nested tables."""
    out = []
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and not is_leaf(value):
            out += _flatten(value, path)
        else:
            out.append((path, value))
    return out


def _lift(key: str, value: Any) -> _Value:
    notes: dict[str, str] = {}
    ranges: dict[str, dict[str, Any]] = {}
    return _Value(value=lift_notes(value, key, notes, ranges), notes=notes, ranges=ranges)


def _distinct(values: list[_Value]) -> tuple[list[_Value], list[_Value]]:
    """The values without repeats (so one mistake is reported once), and the repeats."""
    kept: list[_Value] = []
    repeated: list[_Value] = []
    for v in values:
        (repeated if any(_same(v.value, k.value) for k in kept) else kept).append(v)
    return kept, repeated


def _same(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and a == b) or (_number(a) and _number(b) and a == b)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# Variants and their keys
# --------------------------------------------------------------------------------------------


def _cross_product(axes: list[tuple[str, list[_Value]]]) -> list[_Spec]:
    """Every combination, the first key varying slowest, named by its settings."""
    if not axes:
        return []
    keys = [key for key, _ in axes]
    specs = []
    for combo in itertools.product(*(values for _, values in axes)):
        settings = dict(zip(keys, combo, strict=True))
        name = ", ".join(f"{k}={_text(v.value)}" for k, v in settings.items())
        specs.append(_Spec(name=name, settings=settings))
    return specs


def _text(value: Any) -> str:
    """A value as it would be written in TOML, so that a variant's name reads as its settings."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date | str | int | float):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    return repr(value)


def _keys(specs: list[_Spec]) -> list[str]:
    return list(dict.fromkeys(key for spec in specs for key in spec.settings))


def _key_problems(
    keys: list[str],
    base: dict[str, Any],
    axes: list[tuple[str, list[_Value]]],
    explicit: list[_Spec],
) -> tuple[set[str], list[Problem]]:
    """Keys that cannot be scenario settings, named where the grid file writes them.

    Returns those keys too, so that the variants are validated without them and a user
    still sees every other problem in the same run.
    """
    where = {key: f'grid."{key}"' for key, _ in axes}
    for i, spec in enumerate(explicit):
        for key in spec.settings:
            where.setdefault(key, f'variants[{i}].set."{key}"')
    out = []
    for key in keys:
        parts = _parse(key)
        if parts is None:
            rule = "must be a dotted scenario path, e.g. teams.north.staff.paediatrician.wte"
            out.append(Problem(where[key], key, rule))
        elif parts[0] in FIXED_KEYS:
            out.append(Problem(where[key], key, _fixed_rule(str(parts[0]))))
        elif parts[0] == "districts":
            out += _district_problems(where[key], key, parts, base)
    bad = {key for key in keys if any(p.value == key or p.path == where[key] for p in out)}
    return bad, out


def _fixed_rule(key: str) -> str:
    if key == "extends":
        return "cannot be set: the grid applies to the scenario given, after its extends"
    if key == "run":
        return (
            "cannot be set: every variant runs the same replications and seed (common random "
            "numbers); use --replications and --seed"
        )
    return 'cannot be set: write a note beside its value, { value = ..., note = "..." }'


def _district_problems(
    where: str, key: str, parts: list[Part], base: dict[str, Any]
) -> list[Problem]:
    """A sweep keeps the scenario's districts: a key may change one, not add or remove one."""
    districts = base.get("districts")
    names = list(districts) if isinstance(districts, dict) else []
    if len(parts) < 3 or not isinstance(parts[1], str):
        rule = "must name a setting of one district (districts.<name>.<key>): districts stay"
        return [Problem(where, key, rule)]
    if parts[1] not in names:
        match = difflib.get_close_matches(parts[1], names, n=1, cutoff=0.6)
        hint = f"; did you mean '{match[0]}'?" if match else ""
        rule = f"must name one of the scenario's districts (a sweep cannot add one){hint}"
        return [Problem(where, parts[1], rule)]
    return []


def _parse(key: str) -> list[Part] | None:
    """'interventions[0].budget_gbp' -> ['interventions', 0, 'budget_gbp']; None if malformed."""
    try:
        return parse(key)
    except LookupError:
        return None


def _duplicate_names(specs: list[_Spec], n_cross: int) -> list[Problem]:
    """Names label results, so two variants may not share one (given or made)."""
    seen: dict[str, int] = {}
    out = []
    for i, spec in enumerate(specs):
        if spec.name in seen:
            where = f"variants[{i - n_cross}].name" if i >= n_cross else f"variant {i}"
            rule = f"variant names must be unique: variant {seen[spec.name]} has it too"
            out.append(Problem(where, spec.name, rule))
        else:
            seen[spec.name] = i
    return out


# --------------------------------------------------------------------------------------------
# Applying and validating
# --------------------------------------------------------------------------------------------


def _validate_all(
    specs: list[_Spec],
    base: dict[str, Any],
    notes: dict[str, str],
    grid_path: Path,
    skip: set[str],
) -> tuple[list[Variant], list[Problem]]:
    """Every variant validated (without the `skip` keys), and their problems, each said once."""
    variants: list[Variant] = []
    found: list[tuple[Problem, int]] = []
    for index, spec in enumerate(specs):
        raw, variant_notes, problems = _apply(spec, base, notes, grid_path, skip)
        try:
            scenario = validate_raw(raw, variant_notes, str(grid_path))
        except ScenarioError as exc:
            problems += exc.problems
        else:
            settings = {k: v.value for k, v in spec.settings.items()}
            variants.append(Variant(index, spec.name, settings, scenario))
        found += [(p, index) for p in problems]
    return variants, _said_once(found, specs)


def _apply(
    spec: _Spec, base: dict[str, Any], notes: dict[str, str], grid_path: Path, skip: set[str]
) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """The base raw dict and notes with the variant's settings applied, and any problems.

    A setting that cannot be applied is left out, so that the rest are still validated.
    """
    raw = copy.deepcopy(base)
    notes = dict(notes)
    problems = []
    for key, value in spec.settings.items():
        if key in skip:
            continue
        parts = _parse(key) or []
        problem = _set(raw, parts, key, _resolved(parts, value.value, grid_path))
        if problem:
            problems.append(problem)
            continue
        notes = {n: v for n, v in notes.items() if not _under(n, key)}
        notes.update(value.notes)
        if isinstance(raw.get(UNCERTAIN), dict) or value.ranges:  # a set number loses its range
            ranges = {n: v for n, v in raw.get(UNCERTAIN, {}).items() if not _under(n, key)}
            raw[UNCERTAIN] = {**ranges, **value.ranges}
        notes.setdefault(key, f"sweep: set by the grid {grid_path.name}")
    return raw, notes, problems


def _under(path: str, key: str) -> bool:
    """`path` is `key` or lies inside it."""
    return path == key or path.startswith((f"{key}.", f"{key}["))


def _resolved(parts: list[Part], value: Any, grid_path: Path) -> Any:
    """A starting list a grid names is relative to the grid file, as a scenario's is to it."""
    if (
        parts == ["starting_list", "csv"]
        and isinstance(value, str)
        and value
        and "\x00" not in value
    ):
        csv = Path(value)
        return str((csv if csv.is_absolute() else grid_path.parent / csv).resolve())
    return copy.deepcopy(value)


def _set(raw: dict[str, Any], parts: list[Part], key: str, value: Any) -> Problem | None:
    """Set `value` at `parts`, creating missing tables; a list index must exist.

    A problem names the part of the path at fault (not the value), so that variants that
    differ only in the value share one message.
    """
    node: Any = raw
    for depth, part in enumerate(parts):
        here = dotted(parts[:depth]) or "the scenario"
        if isinstance(part, int) and not isinstance(node, list):
            return Problem(key, f"[{part}]", f"{here} is {_kind(node)}, so it has no index")
        if isinstance(part, int) and part >= len(node):
            entries = f"{len(node)} entr{'y' if len(node) == 1 else 'ies'}"
            return Problem(key, f"[{part}]", f"the index must exist: {here} has {entries}")
        if isinstance(part, str) and not isinstance(node, dict):
            return Problem(key, part, f"{here} is {_kind(node)}, not a table holding it")
        if depth == len(parts) - 1:
            node[part] = value
        else:
            if isinstance(node, dict) and part not in node:
                node[part] = {}  # missing tables are created on the way
            node = node[part]
    return None


def _kind(node: Any) -> str:
    return {dict: "a table", list: "a list"}.get(type(node), f"the value {node!r}")


def _said_once(found: list[tuple[Problem, int]], specs: list[_Spec]) -> list[Problem]:
    """One problem per (path, value, rule), naming the variants that have it.

    A misspelt key in a 12-variant grid is one mistake, not twelve.
    """
    groups: dict[tuple[str, str, str], tuple[Problem, list[int]]] = {}
    for problem, index in found:
        ident = (problem.path, repr(problem.value), problem.rule)
        groups.setdefault(ident, (problem, []))[1].append(index)
    out = []
    for problem, indices in groups.values():
        who = _who(indices, specs)
        path = f"{who}: {problem.path}" if problem.path else who
        out.append(Problem(path, problem.value, problem.rule))
    return out


def _who(indices: list[int], specs: list[_Spec]) -> str:
    if len(indices) == 1:
        return f'variant {indices[0]} "{specs[indices[0]].name}"'
    if len(indices) == len(specs):
        return f"every variant (all {len(specs)})"
    shown = ", ".join(str(i) for i in indices[:8])
    more = f" and {len(indices) - 8} more" if len(indices) > 8 else ""
    return f"variants {shown}{more} (of {len(specs)})"
