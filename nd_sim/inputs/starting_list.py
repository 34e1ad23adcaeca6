"""Today's waiting list: a snapshot CSV (one row per child) or an age-of-wait profile.

A run starts from the list that exists now, not from empty. Children on it have
referral times before day 0 (negative days) and start at the stage they have reached.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nd_sim.engine.rng import stream
from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario.bounds import EARLIEST_DATE, LATEST_DATE
from nd_sim.scenario.files import MAX_CSV_BYTES, read_input
from nd_sim.scenario.models import Scenario

if TYPE_CHECKING:  # pandas reads a list's CSV only: a worker never needs it
    import pandas as pd

STAGES = ("triage", "waiting_first", "in_assessment")
PATHWAYS = ("asd", "adhd", "both")
REQUIRED = ("child_id", "district", "referral_date", "stage", "pathway")
OPTIONAL = ("priority", "next_appointment", "accepted_date", "last_appointment_date")
DATES = ("referral_date", "accepted_date", "last_appointment_date")
UK_DATE = re.compile(r"\A([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\Z")
MAX_REPORTED = 50
MAX_ID_LENGTH = 64  # a child_id names the family's letter files
NEXT_STEP_NOT_GIVEN = -1  # in assessment, next appointment blank: the engine places the child


@dataclass(frozen=True)
class StartingChildren:
    """Children already on the list at day 0, as parallel arrays.

    `next_step` is the appointment a child in assessment waits for, as the list gives it
    (`NEXT_STEP_NOT_GIVEN` when it does not: the engine then places the child on the
    pathway's timetable, `nd_sim.engine.placement`); 0 for everyone else.
    """

    ids: tuple[str, ...] = ()
    district: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    referral_day: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stage: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pathway: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    priority: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    next_step: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ready_day: np.ndarray | None = None  # the day each may first be booked (NaN: not known)

    def __len__(self) -> int:
        return len(self.ids)

    def known_ready_day(self) -> np.ndarray:
        """Each child's ready day from the list (NaN where it does not say)."""
        if self.ready_day is None:
            return np.full(len(self), np.nan)
        return np.asarray(self.ready_day, float)


def list_inputs(scenario: Scenario) -> tuple:
    """Everything of a scenario that reading its starting CSV depends on: two scenarios
    with equal inputs read the same list (so a caller may read it once for both)."""
    return (
        scenario.starting_list.csv,
        scenario.start_date,
        tuple(scenario.districts),
        tuple(c.name for c in scenario.booking.priority_classes),
        tuple((a.name, a.gap_weeks_to_next) for a in scenario.pathway.appointments),
        scenario.booking.lead_time_weeks,
    )


def read_starting_csv(path: str | Path, scenario: Scenario) -> StartingChildren:
    """Read and check a snapshot CSV; raise `ScenarioError` naming each bad row and column.

    Personal data is refused before anything else is looked at (see `read_list_csv`).
    """
    path = Path(path)
    frame = read_list_csv(path, "starting_list.csv")
    problems = _check_columns(frame)
    if problems:
        raise ScenarioError(str(path), problems)
    rows, problems = _parse_rows(frame, scenario)
    if problems:
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            more = len(problems) - MAX_REPORTED
            shown.append(Problem("", f"{more} more", "further problems not shown"))
        raise ScenarioError(str(path), shown)
    return rows


def read_list_csv(path: Path, option: str) -> pd.DataFrame:
    """A waiting-list CSV as trimmed text columns, free of personal data.

    Raises `ScenarioError` (naming `option`, the setting the path came from) for a file that
    cannot be read as a CSV, and for any personal data (`nd_sim.inputs.personal_data`), so that no
    list reader ever sees a frame holding it.
    """
    from nd_sim.inputs.personal_data import refuse_personal_data  # pandas

    frame = _parse_csv(_decode(_read_bytes(path, option), path, option), path, option)
    refuse_personal_data(frame, str(path))
    return frame


def _refuse(path: Path, option: str, rule: str) -> ScenarioError:
    return ScenarioError(str(path), [Problem(option, str(path), rule)])


def _read_bytes(path: Path, option: str) -> bytes:
    data = read_input(path, option, MAX_CSV_BYTES, "CSV file")
    if not data.strip():
        raise _refuse(path, option, "the file is empty; it must be a CSV with a header row")
    return data


def _decode(data: bytes, path: Path, option: str) -> str:
    """Text from the bytes a spreadsheet may save: UTF-8 (with or without BOM), UTF-16, cp1252.

    A file with NUL characters that is not UTF-16 is binary (a spreadsheet, say), and refused.
    """
    text: str | None
    if data.startswith(codecs.BOM_UTF8):
        text = data.decode("utf-8-sig", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data:
        text = _utf16_without_bom(data)
    else:
        text = _utf8_or_cp1252(data)
    if text is None or "\x00" in text:
        rule = "must be a readable CSV text file; this looks like a binary file (save it as CSV)"
        raise _refuse(path, option, rule)
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    half = len(data) // 2
    if data[1::2].count(0) > 0.4 * half:
        return data.decode("utf-16-le", errors="replace")
    if data[0::2].count(0) > 0.4 * half:
        return data.decode("utf-16-be", errors="replace")
    return None


def _utf8_or_cp1252(data: bytes) -> str:
    """UTF-8, else Windows-1252 (Excel's "CSV" on Windows), else Latin-1 (never fails)."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _parse_csv(text: str, path: Path, option: str) -> pd.DataFrame:
    """Every cell as trimmed text ("" when empty); known headers matched without case."""
    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                index_col=False,
            )
    except pd.errors.ParserWarning:
        line = _first_long_row(text)
        where = f"line {line}" if line else "a row"
        raise _refuse(path, option, f"{where} has more fields than the header row") from None
    except pd.errors.ParserError as exc:
        rule = f"must be a readable CSV file ({str(exc).strip()})"
        raise _refuse(path, option, rule) from None
    except (ValueError, csv.Error) as exc:
        rule = f"must be a readable CSV file ({type(exc).__name__})"
        raise _refuse(path, option, rule) from None
    frame = frame.fillna("").astype(str).apply(lambda column: column.str.strip())
    frame.columns = _header_names(frame.columns)
    blank = [c for c in frame.columns if c.startswith("Unnamed: ") and not frame[c].any()]
    return frame.drop(columns=blank)  # a trailing comma on every line: no column at all


def _first_long_row(text: str) -> int | None:
    """The line of the first row with more fields than the header, if the csv module agrees."""
    try:
        rows = csv.reader(io.StringIO(text))
        width = len(next(rows))
        return next((rows.line_num for row in rows if len(row) > width), None)
    except (csv.Error, StopIteration):
        return None


def _header_names(columns: pd.Index) -> list[str]:
    """Headers trimmed, and a list column spelled in another case (`Child_ID`) given ours."""
    names = [str(c).strip().lstrip("\ufeff").strip() for c in columns]
    known = {c.casefold(): c for c in (*REQUIRED, *OPTIONAL)}
    out: list[str] = []
    for name in names:
        canonical = known.get(name.casefold(), name)
        out.append(canonical if canonical not in names and canonical not in out else name)
    return out


def _check_columns(frame: pd.DataFrame) -> list[Problem]:
    missing = [c for c in REQUIRED if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in REQUIRED + OPTIONAL]
    out = [Problem(f"column {c}", "(missing)", "required column") for c in missing]
    out += [
        Problem(f"column {c}", c, f"unknown column; expected {REQUIRED + OPTIONAL}")
        for c in unknown
    ]
    return out


def _parse_rows(frame: pd.DataFrame, scenario: Scenario) -> tuple[StartingChildren, list[Problem]]:
    vocabulary = ListVocabulary.of(scenario)
    latest = scenario.start_date - dt.timedelta(days=1)
    too_late = f"must be before the scenario start_date {scenario.start_date}"
    problems: list[Problem] = []
    seen: set[str] = set()
    cols: dict[str, list] = {k: [] for k in ("id", "d", "t", "s", "p", "q", "n", "r")}
    gaps = [7.0 * a.gap_weeks_to_next for a in scenario.pathway.appointments]
    lead = 7.0 * scenario.booking.lead_time_weeks
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2  # the header is line 1
        clean, reasons = parse_row(row, vocabulary, latest, too_late, seen)
        seen.add(clean["child_id"])
        problems += [
            Problem(f"line {line}, column {column}", clean[column], why) for column, why in reasons
        ]
        if reasons:
            continue
        stage = STAGES.index(clean["stage"])
        cols["id"].append(clean["child_id"])
        cols["d"].append(vocabulary.districts.index(clean["district"]))
        cols["t"].append((dt.date.fromisoformat(clean["referral_date"]) - scenario.start_date).days)
        cols["s"].append(stage)
        cols["p"].append(PATHWAYS.index(clean["pathway"]))
        cols["q"].append(vocabulary.classes.index(clean["priority"] or vocabulary.classes[-1]))
        nxt = clean["next_appointment"]
        blank = NEXT_STEP_NOT_GIVEN if stage == 2 else 0
        cols["n"].append(vocabulary.steps.index(nxt) if nxt else blank)
        cols["r"].append(ready_day(clean, vocabulary.steps, gaps, lead, scenario.start_date))
    children = StartingChildren(
        ids=tuple(cols["id"]),
        district=np.array(cols["d"], np.int64),
        referral_day=np.array(cols["t"], float),
        stage=np.array(cols["s"], np.int64),
        pathway=np.array(cols["p"], np.int64),
        priority=np.array(cols["q"], np.int64),
        next_step=np.minimum(np.array(cols["n"], np.int64), max(len(vocabulary.steps) - 1, 0)),
        ready_day=np.array(cols["r"], float),
    )
    return children, problems


ENUMERATED = ("district", "stage", "pathway", "priority", "next_appointment")


def spelling_key(text: str) -> str:
    """How a typed name is compared: case-folded, spaces and underscores as one space."""
    return re.sub(r"[\s_]+", " ", text).strip().casefold()


@dataclass(frozen=True)
class ListVocabulary:
    """The scenario's spelling of every enumerated list value, in the scenario's order."""

    districts: tuple[str, ...]
    classes: tuple[str, ...]
    steps: tuple[str, ...]
    spellings: dict[str, dict[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = {c: {spelling_key(v): v for v in self.choices(c)} for c in ENUMERATED}
        object.__setattr__(self, "spellings", keys)

    @classmethod
    def of(cls, scenario: Scenario) -> ListVocabulary:
        """The districts, priority classes and appointment steps of `scenario`."""
        return cls(
            districts=tuple(scenario.districts),
            classes=tuple(c.name for c in scenario.booking.priority_classes),
            steps=tuple(a.name for a in scenario.pathway.appointments),
        )

    def choices(self, column: str) -> tuple[str, ...]:
        """The values a column may take (`next_appointment`: any step but the first)."""
        return {
            "district": self.districts,
            "stage": STAGES,
            "pathway": PATHWAYS,
            "priority": self.classes,
            "next_appointment": self.steps[1:],
        }[column]

    def canonical(self, column: str, text: str) -> str | None:
        """The value of `column` that `text` spells, whatever its case and spacing, or None."""
        spellings = self.spellings[column]
        return text if text in spellings.values() else spellings.get(spelling_key(text))


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def parse_row(
    row: dict[str, object],
    vocabulary: ListVocabulary,
    latest: dt.date,
    too_late: str,
    seen: set[str],
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """One list row, its enumerated values in the scenario's spelling, and what is wrong with it.

    Shared by every list reader. Returns the cleaned row (trimmed; a recognised stage,
    pathway, district, priority or step in its canonical spelling) and (column, rule) for
    each problem. `latest` is the last referral date allowed; `too_late` says why a later
    one is wrong; `seen` holds the ids of earlier rows.
    """
    clean = {k: _cell(row.get(k)) for k in (*REQUIRED, *OPTIONAL)}
    out = [(column, "missing value") for column in REQUIRED if not clean[column]]
    if out:
        return clean, out
    if len(clean["child_id"]) > MAX_ID_LENGTH:
        out.append(("child_id", f"must be at most {MAX_ID_LENGTH} characters (it names files)"))
    elif has_control_characters(clean["child_id"]):
        out.append(("child_id", CONTROL_RULE))
    elif clean["child_id"] in seen:
        out.append(("child_id", "duplicate id (an earlier row has it)"))
    out += _dates(clean, latest, too_late)
    for column in ENUMERATED:
        if not clean[column]:
            continue  # only the optional columns can be blank here
        spelled = vocabulary.canonical(column, clean[column])
        if spelled is None:
            out.append((column, _unknown(column, vocabulary.choices(column))))
        else:
            clean[column] = spelled
    checked = not {"stage", "next_appointment"} & {column for column, _ in out}
    stage = clean["stage"]
    for column in ("next_appointment", "last_appointment_date"):
        if checked and clean[column] and stage != STAGES[2]:
            why = f"only for a child at stage {STAGES[2]} (this row is {stage}); leave it blank"
            out.append((column, why))
    return clean, out


def _dates(clean: dict[str, str], latest: dt.date, too_late: str) -> list[tuple[str, str]]:
    """Check the row's dates (ISO or UK DD/MM/YYYY), written back as ISO; the accepted and
    last-appointment dates lie between the referral and the list's date."""
    out = []
    for column in DATES:
        text = clean[column]
        if not text:
            continue
        day = parse_date(text)
        problem = _date_problem(day.isoformat() if day else text, latest, too_late)
        if problem:
            out.append((column, problem))
        else:
            clean[column] = day.isoformat()
    if out or not clean["referral_date"]:
        return out
    referred = dt.date.fromisoformat(clean["referral_date"])
    for column in DATES[1:]:
        if clean[column] and dt.date.fromisoformat(clean[column]) < referred:
            out.append((column, f"is before the referral date {referred}"))
    return out


def ready_day(
    clean: dict[str, str], steps: tuple[str, ...], gap_days, lead_days: float, start: dt.date
) -> float:
    """The day (from `start`) a listed child may first be booked, from what the list says:
    the accepted date plus the booking lead time for a child waiting for a first
    appointment; the last appointment plus the gap to the next for a child in assessment
    (its next appointment named). NaN when the list does not say."""
    stage = clean["stage"]
    if stage == STAGES[1] and clean["accepted_date"]:
        accepted = dt.date.fromisoformat(clean["accepted_date"])
        return (accepted - start).days + lead_days
    if stage == STAGES[2] and clean["last_appointment_date"] and clean["next_appointment"]:
        step = steps.index(clean["next_appointment"])
        last = dt.date.fromisoformat(clean["last_appointment_date"])
        return (last - start).days + max(7.0, float(gap_days[max(step - 1, 0)]))
    return float("nan")


CONTROL_RULE = (
    "must not hold a line break, tab or other control or invisible character "
    "(it names files and is written in CSVs)"
)


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a control, format (zero-width, bidi), unassigned or line-break
    character (line and paragraph separators); spaces are allowed."""
    return not text.isprintable() and any(
        unicodedata.category(c) in ("Zl", "Zp") or unicodedata.category(c)[0] == "C" for c in text
    )


def _unknown(column: str, choices: tuple[str, ...]) -> str:
    if column == "district":
        return f"unknown district; known: {', '.join(sorted(choices))}"
    return f"must be one of {', '.join(choices)}"


def parse_date(text: str) -> dt.date | None:
    """ISO (YYYY-MM-DD) or UK (DD/MM/YYYY) date; None if neither."""
    text = text.strip()
    match = UK_DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError:
        return None
    return None


def _date_problem(text: str, latest: dt.date, too_late: str) -> str | None:
    """Why a referral date cannot be used, or None: a real YYYY-MM-DD date, in range."""
    in_range = (
        f"must be a date YYYY-MM-DD (or DD/MM/YYYY) between {EARLIEST_DATE} and {LATEST_DATE}"
    )
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return in_range
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        return in_range
    if not EARLIEST_DATE <= date <= LATEST_DATE:
        return in_range
    return too_late if date > latest else None


def profile_children(scenario: Scenario, seed: int, replication: int) -> StartingChildren:
    """Children drawn from the age-of-wait profile: uniform referral dates within each band."""
    bands = scenario.starting_list.profile
    if not bands:
        return StartingChildren()
    rng = stream(seed, replication, "starting_list/profile")
    names = list(scenario.districts)
    mix_shares = [_mix(scenario, b.district) for b in bands]
    classes = np.array([c.share_of_referrals for c in scenario.booking.priority_classes])
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("d", "t", "s", "p", "q")}
    for band, mix in zip(bands, mix_shares, strict=True):
        n = band.count
        parts["d"].append(np.full(n, names.index(band.district)))
        parts["t"].append(-7.0 * rng.uniform(band.weeks_waiting_min, band.weeks_waiting_max, n))
        parts["s"].append(np.full(n, STAGES.index(band.stage)))
        parts["p"].append(rng.choice(3, size=n, p=mix))
        parts["q"].append(rng.choice(classes.size, size=n, p=classes / classes.sum()))
    stage = np.concatenate(parts["s"]).astype(np.int64)
    return StartingChildren(
        ids=tuple(f"profile-{i + 1}" for i in range(stage.size)),
        district=np.concatenate(parts["d"]).astype(np.int64),
        referral_day=np.concatenate(parts["t"]),
        stage=stage,
        pathway=np.concatenate(parts["p"]).astype(np.int64),
        priority=np.concatenate(parts["q"]).astype(np.int64),
        next_step=np.where(stage == 2, NEXT_STEP_NOT_GIVEN, 0).astype(np.int64),
    )


def _mix(scenario: Scenario, district: str) -> np.ndarray:
    mix = scenario.districts[district].referral_mix or scenario.demand.referral_mix
    shares = np.array([mix.asd, mix.adhd, mix.both])
    return shares / shares.sum()


def concat(a: StartingChildren, b: StartingChildren) -> StartingChildren:
    """Both lists, one after the other."""
    if not len(b):
        return a
    if not len(a):
        return b
    return StartingChildren(
        ids=a.ids + b.ids,
        **{
            name: np.concatenate([getattr(a, name), getattr(b, name)])
            for name in ("district", "referral_day", "stage", "pathway", "priority", "next_step")
        },
    )
