"""Hostile values in every field of a scenario are refused by name, never crash.

The fields are read off the scenario models, so a field added tomorrow is fuzzed without
anyone remembering to add it here. Each field of the small fixture (every mechanism on)
gets each hostile value in turn; the file must then be refused with a problem naming that
field (exit 2 at the command line, no traceback, no results folder), or, where the value
is legitimately allowed (an empty description, a negative staff change), load and run.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import time
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.engine.replication import run_replication
from nd_sim.errors import ScenarioError
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import models
from nd_sim.scenario.loader import read_raw, validate_raw

from .conftest import FIXTURES

BASE = FIXTURES / "small.toml"
HOSTILE: tuple[Any, ...] = (
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    -1,
    10**30,
    True,
    "",
    "   ",
    "soon",
    [],
    [[1]],
    {"x": 1},
    dt.date(1, 1, 1),
    dt.date(9999, 12, 31),
)
SECONDS_PER_CASE = 5.0
# Lists of tables the fixture leaves empty: one valid entry, so their fields are fuzzed too.
ENTRY_FOR = {
    "starting_list.profile": {
        "district": "A",
        "weeks_waiting_min": 0.0,
        "weeks_waiting_max": 10.0,
        "count": 5,
    }
}


def _base_raw() -> dict[str, Any]:
    raw, _ = read_raw(BASE)
    raw.setdefault("starting_list", {})["profile"] = [ENTRY_FOR["starting_list.profile"]]
    return raw


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _args(annotation: Any) -> list[Any]:
    return [a for a in typing.get_args(annotation) if a is not type(None)]


def _unwrap(annotation: Any) -> Any:
    """The type inside Annotated[...] and Optional[...]."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = _args(annotation)
    if typing.get_origin(annotation) in (typing.Union, type(int | None)) and len(args) == 1:
        return _unwrap(args[0])
    return annotation


def field_paths(model: type[BaseModel], raw: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every field's location in `raw` (as key paths) and its annotation, depth first."""
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}.{key}" if prefix else key
        yield path, field.annotation
        node = raw.get(key) if isinstance(raw, dict) else None
        yield from _inside(_unwrap(field.annotation), node, path)


def _inside(annotation: Any, node: Any, path: str) -> Iterator[tuple[str, Any]]:
    origin = typing.get_origin(annotation)
    if _is_model(annotation) and isinstance(node, dict):
        yield from field_paths(annotation, node, path)
    elif origin is dict and isinstance(node, dict) and node:
        inner = _unwrap(_args(annotation)[1])
        key = next(iter(node))
        if _is_model(inner):
            yield from field_paths(inner, node[key], f"{path}.{key}")
    elif origin is list and isinstance(node, list) and node:
        inner = _unwrap(_args(annotation)[0])
        if _is_model(inner):
            yield from field_paths(inner, node[0], f"{path}[0]")
        elif typing.get_origin(inner) in (typing.Union, type(int | None)):  # interventions
            for i, item in enumerate(node):
                kind = next(m for m in _args(inner) if _kind(m) == item.get("kind"))
                yield from field_paths(kind, item, f"{path}[{i}]")


def _kind(model: Any) -> str | None:
    field = model.model_fields.get("kind") if _is_model(model) else None
    return typing.get_args(_unwrap(field.annotation))[0] if field else None


PATHS = sorted(dict(field_paths(models.Scenario, _base_raw())).items())


def _set(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `raw` with the value at a dotted path (with [i] indices) replaced."""
    out = copy.deepcopy(raw)
    parts = path.replace("[", ".[").split(".")
    node: Any = out
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node.setdefault(part, {})
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return out


def _names_field(exc: ScenarioError, path: str) -> bool:
    """A problem is reported at the field, inside it, or at the table holding it."""
    for problem in exc.problems:
        where = problem.path
        if where == path or where.startswith(path + ".") or where.startswith(path + "["):
            return True
        if where and (path.startswith(where + ".") or path.startswith(where + "[")):
            return True
    return False


def _allowed(annotation: Any, value: Any) -> bool:
    """Whether a strict, bounded field could ever hold this value (to catch a leak)."""
    if isinstance(value, float) and (not math.isfinite(value) or abs(value) >= 1e300):
        return False
    if isinstance(value, bool):
        return _unwrap(annotation) is bool
    if isinstance(value, int) and abs(value) >= 10**20:
        return False
    return not (isinstance(value, dt.date) and not 1990 <= value.year <= 2100)


def _check_case(raw: dict[str, Any], path: str, annotation: Any, value: Any) -> None:
    started = time.perf_counter()
    try:
        scenario = validate_raw(_set(raw, path, value), {}, "fuzz")
    except ScenarioError as exc:
        assert _names_field(exc, path), (path, value, exc.describe())
        assert all(p.rule for p in exc.problems)
    else:
        assert _allowed(annotation, value), f"{path} = {value!r} was accepted"
        try:
            model = compile_model(scenario)
        except ScenarioError as exc:  # e.g. a starting list the change makes invalid
            assert exc.problems
        else:
            run_replication(model, 0, 1)
    assert time.perf_counter() - started < SECONDS_PER_CASE, (path, value)


@pytest.fixture(scope="module", autouse=True)
def _compiled_engine() -> None:
    """Compile the engine before any case is timed (a fresh clone has no cache yet)."""
    run_replication(compile_model(validate_raw(_base_raw(), {}, "warm-up")), 0, 1)


@pytest.mark.parametrize("path,annotation", PATHS, ids=[p for p, _ in PATHS])
def test_every_field_refuses_hostile_values_functional(path: str, annotation: Any) -> None:
    raw = _base_raw()
    for value in HOSTILE:
        _check_case(raw, path, annotation, value)


def test_the_walk_reaches_every_kind_of_field_functional() -> None:
    paths = dict(PATHS)
    for expected in (
        "horizon_weeks",
        "districts.A.referrals_per_week",
        "teams.north.staff.paediatrician.wte",
        "demand.shocks[0].until",
        "pathway.appointments[0].hours",
        "booking.priority_classes[0].share_of_new_slots",
        "interventions[0].budget_gbp",
        "interventions[1].until",
        "interventions[2].team",
        "starting_list.profile[0].count",
        "run.seed",
    ):
        assert expected in paths, expected
    assert len(paths) > 100


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(HOSTILE)), max_size=3))
def test_several_hostile_values_at_once_functional(cases: list) -> None:
    cases = _independent(cases)
    raw = _base_raw()
    for (path, _), value in cases:
        raw = _set(raw, path, value)
    try:
        scenario = validate_raw(raw, {}, "fuzz")
    except ScenarioError as exc:
        for (path, _), value in cases:
            if not _allowed(dict(PATHS)[path], value):
                assert _names_field(exc, path), (path, value, exc.describe())
    else:
        assert all(_allowed(annotation, value) for (_, annotation), value in cases)
        try:
            compile_model(scenario)
        except ScenarioError as exc:  # e.g. a starting list the change makes unreadable
            assert exc.problems


def _independent(cases: list) -> list:
    """Cases whose paths neither repeat nor hold one another (so each value stays set)."""
    kept: list = []
    for case in cases:
        path = case[0][0]
        if not any(_related(path, other[0][0]) for other in kept):
            kept.append(case)
    return kept


def _related(a: str, b: str) -> bool:
    return a == b or any(
        x.startswith(y + ".") or x.startswith(y + "[") for x, y in ((a, b), (b, a))
    )


# ------------------------------------------------------------------ at the command line
def _toml(value: Any) -> str:
    """A hostile value as TOML text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"


TOP_PATHS = [p for p, _ in PATHS if "[" not in p and p not in ("extends", "name")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TOP_PATHS), st.sampled_from(HOSTILE))
def test_cli_refuses_hostile_fields_cleanly_functional(path: str, value: Any) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        child = Path(tmp) / "child.toml"
        child.write_text(f'extends = "{BASE.as_posix()}"\nname = "fuzz"\n{path} = {_toml(value)}\n')
        out = Path(tmp) / "out"
        result = CliRunner().invoke(app, ["run", str(child), "-n", "1", "--out", str(out)])
        text = result.output
        assert "Traceback" not in text and not isinstance(result.exception, AssertionError)
        if result.exit_code == 2:
            assert path.split(".")[-1] in text or path.split(".")[0] in text, text
            assert not out.exists()
            assert not list(Path(tmp).glob(".*partial*"))
        else:
            assert result.exit_code == 0, (path, value, text)
            assert _allowed(dict(PATHS)[path], value)
