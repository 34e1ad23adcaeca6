"""Read a scenario TOML file: `extends`, notes beside numbers, and validation.

A number may be written plainly (``wte = 2.0``), with its source beside it
(``wte = { value = 2.0, note = "assumption: ..." }``) and with its range
(``{ value = 2.0, low = 1.5, high = 2.5, note = "..." }``). Notes are lifted out into
``Scenario.notes`` and ranges into ``Scenario.uncertain``, keyed by dotted path, so that
reports can print an assumptions log and a run can draw the uncertain inputs.
"""

from __future__ import annotations

import difflib
import tomllib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario import models
from nd_sim.scenario.checks import cross_checks
from nd_sim.scenario.files import MAX_TOML_BYTES, read_input
from nd_sim.scenario.models import Scenario
from nd_sim.scenario.paths import dotted
from nd_sim.scenario.uncertain import at_ends, is_leaf, range_problems, spread_of

UNCERTAIN = "uncertain"
MAX_EXTENDS_DEPTH = 8


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge, validate and return a scenario, or raise `ScenarioError` with every problem."""
    path = Path(path)
    raw, notes = read_raw(path)
    return validate_raw(raw, notes, str(path))


def read_raw(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged raw dict (after `extends`) with notes lifted out, and those notes.

    Split from `validate_raw` so that a sweep can change the merged dict before validating
    it exactly as a file would be. The starting list's path is made absolute here, where the
    file's folder is known. Raises `ScenarioError` only if a file cannot be read.
    """
    raw = _read_with_extends(path, depth=0)
    notes: dict[str, str] = {}
    ranges: dict[str, dict[str, Any]] = {}
    try:
        raw = lift_notes(raw, "", notes, ranges)
    except RecursionError:
        rule = "its tables or lists are nested too deeply"
        raise ScenarioError(str(path), [Problem("", str(path), rule)]) from None
    add_ranges(raw, ranges)
    _resolve_paths(raw, path.parent)
    return raw, notes


def add_ranges(raw: dict[str, Any], ranges: dict[str, dict[str, Any]]) -> None:
    """Ranges lifted from beside their numbers join any written in `[uncertain]`."""
    if ranges:
        explicit = raw.get(UNCERTAIN, {})
        raw[UNCERTAIN] = {**explicit, **ranges} if isinstance(explicit, dict) else explicit


def validate_raw(raw: dict[str, Any], notes: dict[str, str], source: str) -> Scenario:
    """Validate a raw dict as a scenario file would be; `source` names it in the error.

    Neither argument is changed. Raises `ScenarioError` listing every problem: the top-level
    `[notes]` table, the structural (pydantic) checks and the cross-checks.
    """
    raw = dict(raw)
    notes = dict(notes)
    explicit = raw.pop("notes", {})
    problems = []
    if isinstance(explicit, dict) and all(isinstance(v, str) for v in explicit.values()):
        notes.update({str(k): v for k, v in explicit.items()})  # [notes] "dotted.path" = "..."
    else:
        problems.append(Problem("notes", explicit, 'must be a table of "dotted.path" = "note"'))
    problems += _structural_problems(raw)
    problems += cross_checks(raw)
    if not problems and raw.get(UNCERTAIN):
        problems += _end_problems(raw, "low") + _end_problems(raw, "high")
    problems += range_problems(raw)
    if problems:
        raise ScenarioError(source, problems)
    scenario = Scenario.model_validate(raw)
    return scenario.model_copy(update={"notes": notes})


def _end_problems(raw: dict[str, Any], end: str) -> list[Problem]:
    """What is wrong with the scenario when every uncertain input is at its `end`: the
    field's own bounds and every sum and cross-check must hold across the whole range."""
    moved = at_ends(raw, end)
    found = _structural_problems(moved) + cross_checks(moved)
    out = []
    for p in found:
        if p.path in raw[UNCERTAIN]:
            out.append(Problem(f"{p.path}.{end}", p.value, p.rule))
        else:
            rule = f"with every uncertain input at its {end} end: {p.rule}"
            out.append(Problem(p.path, p.value, rule))
    return out


def read_toml(path: Path, what: str = "scenario file", option: str = "") -> dict[str, Any]:
    """A TOML file (scenario, grid), or `ScenarioError` saying what is wrong with it.

    `option` names where the path came from (`extends`, `--grid`); empty for the file given.
    """
    data = read_input(path, option, MAX_TOML_BYTES, what)
    try:
        return tomllib.loads(_decode(path, data, option))
    except tomllib.TOMLDecodeError as exc:
        rule = f"must be valid TOML ({exc})"
        raise ScenarioError(str(path), [Problem(option, str(path), rule)]) from None
    except RecursionError:
        rule = "must be valid TOML (its tables or lists are nested too deeply)"
        raise ScenarioError(str(path), [Problem(option, str(path), rule)]) from None


def _decode(path: Path, data: bytes, option: str = "") -> str:
    """UTF-8 text; a byte-order mark (as Windows editors write) is dropped, not an error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        rule = "must be saved as UTF-8 text, not UTF-16 (in the editor: Save as, UTF-8)"
        raise ScenarioError(str(path), [Problem(option, str(path), rule)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        rule = f"must be UTF-8 text (byte {exc.start} is not; save it as UTF-8)"
        raise ScenarioError(str(path), [Problem(option, str(path), rule)]) from None


def _read_with_extends(path: Path, depth: int, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    here = path.resolve()
    if here in chain:
        cycle = " -> ".join(p.name for p in (*chain[chain.index(here) :], here))
        rule = f"extends itself in a cycle ({cycle}); a scenario must extend a different file"
        raise ScenarioError(str(path), [Problem("extends", str(path), rule)])
    if depth > MAX_EXTENDS_DEPTH:
        rule = f"extends chain is deeper than {MAX_EXTENDS_DEPTH} files"
        raise ScenarioError(str(path), [Problem("extends", str(path), rule)])
    raw = read_toml(path, option=f"extends (from {chain[-1].name})" if chain else "")
    parent = raw.get("extends")
    if parent is None:
        return raw
    if not isinstance(parent, str) or not parent.strip() or "\x00" in parent:
        raise ScenarioError(
            str(path), [Problem("extends", parent, "must be a file path")]
        ) from None
    base = _read_with_extends(path.parent / parent, depth + 1, (*chain, here))
    base.pop("name", None)
    base.pop("description", None)
    _rebase_paths(base, Path(parent).parent)
    return deep_merge(base, raw)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else (numbers, lists) is replaced whole."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and not is_leaf(value):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def lift_notes(
    node: Any, path: str, notes: dict[str, str], ranges: dict[str, dict[str, Any]]
) -> Any:
    """`node` with every `{ value, note, low, high }` replaced by its value; notes go to
    `notes` and ranges to `ranges`, by dotted path."""
    if is_leaf(node):
        if "note" in node or "source" in node:
            notes[path] = str(node.get("note", node.get("source")))
        spread = spread_of(node)
        if spread is not None:
            ranges[path] = spread
        return node["value"]
    if isinstance(node, dict):
        return {
            k: lift_notes(v, f"{path}.{k}" if path else k, notes, ranges) for k, v in node.items()
        }
    if isinstance(node, list):
        return [lift_notes(v, f"{path}[{i}]", notes, ranges) for i, v in enumerate(node)]
    return node


def _rebase_paths(raw: dict[str, Any], relative_dir: Path) -> None:
    """A parent's CSV path is relative to the parent file, not to the child."""
    starting = raw.get("starting_list")
    if isinstance(starting, dict) and isinstance(starting.get("csv"), str):
        csv = Path(starting["csv"])
        if not csv.is_absolute():
            starting["csv"] = str(relative_dir / csv)


def _resolve_paths(raw: dict[str, Any], base_dir: Path) -> None:
    starting = raw.get("starting_list")
    if isinstance(starting, dict) and isinstance(starting.get("csv"), str):
        if "\x00" in starting["csv"]:
            return  # refused when the list is read, naming starting_list.csv
        csv = Path(starting["csv"])
        starting["csv"] = str((csv if csv.is_absolute() else base_dir / csv).resolve())


def _structural_problems(raw: dict[str, Any]) -> list[Problem]:
    try:
        Scenario.model_validate(raw)
    except ValidationError as exc:
        return [_to_problem(err) for err in exc.errors(include_url=False)]
    return []


def _to_problem(err: dict[str, Any]) -> Problem:
    raw_loc = list(err["loc"])
    loc = [part for part in raw_loc if part not in _TAGGED]
    if len(loc) >= 2 and loc[0] == UNCERTAIN:
        loc = loc[1:]  # a range's problem is named by its number: pathway.dna.probability.low
    value = err.get("input")
    rule = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        suggestion = _did_you_mean(raw_loc)
        rule = "unknown key" + (f"; did you mean '{suggestion}'?" if suggestion else "")
        value = loc[-1] if loc else value
    elif err["type"] == "missing":
        value = "(missing)"
    return Problem(dotted(loc), value, rule)


def _did_you_mean(loc: list[Any]) -> str | None:
    model = _model_at(loc[:-1])
    if model is None:
        return None
    names = [f.alias or name for name, f in model.model_fields.items()]
    match = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
    return match[0] if match else None


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _model_at(loc: list[Any]) -> type[BaseModel] | None:
    """Walk the model tree along an error location, to suggest the keys valid there."""
    model: Any = Scenario
    for part in loc:
        if isinstance(model, _DictOf):
            model = model.model
            continue
        if part in _TAGGED:
            model = _TAGGED[part]
            continue
        if isinstance(part, int) or not _is_model(model):
            continue
        field = _field_by_name(model, str(part))
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model if _is_model(model) else None


def _field_by_name(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _inner_model(annotation: Any) -> Any:
    """The model a field holds, looking through Optional, list[...] and dict[str, ...]."""
    if _is_model(annotation):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is dict and len(args) == 2:
        return _DictOf(_inner_model(args[1]))
    for arg in args:
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


class _DictOf:
    """Marks a dict field: the next location part is a user's key, not a field."""

    def __init__(self, model: Any) -> None:
        self.model = model


_TAGGED: dict[str, type[BaseModel]] = {
    "staff_change": models.StaffChange,
    "funding": models.Funding,
    "outsourced_assessments": models.Outsourcing,
    "mutual_aid": models.MutualAid,
}
