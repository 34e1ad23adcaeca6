"""Letters to families: how long we think their child will wait, in plain English.

One letter per child on the list, as plain text and as a small printable HTML page, and a
table for mail merge. The letter gives a range of months (the early and late ends of the
projection, P10 to P90), never a single date. When the late end, or the whole range, lies
after the end of the projection, the letter says so instead of making up a month.

Wording rules (checked by tests/test_letters_unit.py):
- short sentences and common words, for a reading age of about 9–11;
- no jargon (no "triage", "quantile", "simulation", "MDT" ...);
- nothing that promises more certainty than the numbers have (no "definitely", "guaranteed",
  "will be seen on");
- the child's pseudonymous id only as a reference line, and no other personal data.

Input: one row of the projections table (see the family projection engine) with the columns
child_id, district, pathway, stage, referral_date, queue_position, first_p10/p50/p90 and
outcome_p10/p50/p90 with their boolean *_after companions.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

IN_ASSESSMENT = "in_assessment"
WAITING_STAGES = ("triage", "waiting_first")
MIN_COHORT = 5  # fewer children than this in a district and month: no cohort sentence

_PATHWAY_WORDS = {
    "asd": "an autism assessment",
    "adhd": "an ADHD assessment",
    "both": "an autism and ADHD assessment",
}
_WORKSHOP_WORDS = {
    "behaviour": "behaviour",
    "behavior": "behaviour",
    "sleep": "sleep",
    "sensory": "sensory needs",
}


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterContext:
    """What every letter of one run shares.

    `workshops` are kinds ("behaviour", "sleep", "sensory"); `contact` is how families reach
    the service (a phone number, an email address, or both, written as it should be printed);
    `workshop_booking` says how to book a workshop place (default: contact us). The scenario
    name goes only into the staff summary, never into a letter.
    """

    service_name: str
    as_of: date
    next_update: date
    projection_end: date
    workshops: tuple[str, ...]
    contact: str
    scenario_name: str
    workshop_booking: str = ""
    show_queue_position: bool = True
    assumptions_in_range: bool = False  # the windows include uncertainty in the assumptions

    def __post_init__(self) -> None:
        object.__setattr__(self, "workshops", tuple(self.workshops))


@dataclass(frozen=True)
class ReferralCohort:
    """Children referred in the same district in the same month, still on the list.

    `first_half_by` is the median, over the children waiting for a first appointment, of
    their own median date (so about half of them are expected to have been seen by then);
    `outcome_half_by` the same for the outcome, over the children already in assessment.
    A date with its `*_after` flag True means "after the end of the projection".
    """

    district: str
    month: date  # first day of the referral month
    waiting: int
    first_half_by: date | None
    first_half_after: bool
    in_assessment: int
    outcome_half_by: date | None
    outcome_half_after: bool


@dataclass(frozen=True)
class Window:
    """The range a letter talks about, already read from the row.

    kind: "range" (both ends inside the projection), "open" (late end after the end),
    "after" (even the early end after the end) or "unknown" (no numbers).
    """

    what: str  # "first" (first appointment) or "outcome" (end of the assessment)
    kind: str
    start: date | None
    end: date | None
    horizon: date  # the end of the projection

    @property
    def what_for(self) -> str:
        return "first appointment" if self.what == "first" else "assessment outcome"

    @property
    def range_start(self) -> str:
        if self.kind == "after":
            return f"{month_year(after_month(self.horizon))} or later"
        return month_year(self.start) if self.start else ""

    @property
    def range_end(self) -> str:
        if self.kind == "open":
            return f"at least {month_year(after_month(self.horizon))}"
        if self.kind == "range" and self.end:
            return month_year(self.end)
        return ""


@dataclass(frozen=True)
class Letter:
    """The words of one letter, before it is laid out as text or HTML."""

    service_name: str
    reference: str
    date_line: str
    title: str
    key: tuple[str, ...]  # the sentences that give the range (highlighted)
    sections: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())  # heading, paragraphs
    greeting: str = "Dear parent or carer,"
    sign_off: tuple[str, ...] = ("Yours sincerely,",)

    def body(self) -> str:
        """The letter's sentences, without headings or reference lines (for readability)."""
        paragraphs = [" ".join(self.key)]
        for _, paras in self.sections:
            paragraphs.extend(paras)
        return "\n".join(paragraphs)


# ---------------------------------------------------------------------------------------------
# Small readers and formatters
# ---------------------------------------------------------------------------------------------


def _get(row: Any, key: str, default: Any = None) -> Any:
    if isinstance(row, Mapping | pd.Series):
        value = row.get(key, default)
    else:
        value = getattr(row, key, default)
    return default if _missing(value) else value


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, list | tuple | dict) else False
    except (TypeError, ValueError):
        return False


def as_date(value: Any) -> date | None:
    """A date from a date, datetime, Timestamp or ISO string; None when missing."""
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text[:10]) if text else None
    raise TypeError(f"not a date: {value!r}")


QUANTILE_COLUMNS = tuple(f"{w}_{q}" for w in ("first", "outcome") for q in ("p10", "p50", "p90"))


def split_after(value: Any) -> tuple[date | None, bool]:
    """A quantile value as (date, after): accepts a date, or text such as "after 2030-12-30"."""
    if isinstance(value, str) and value.strip().lower().startswith("after"):
        return as_date(value.strip()[5:]), True
    return as_date(value), False


def quantile(row: Any, column: str) -> tuple[date | None, bool]:
    """One quantile of a row as (date, after), from the date column and its *_after flag."""
    value, after = split_after(_get(row, column))
    return value, after or as_flag(_get(row, f"{column}_after"))


def normalise(projections: pd.DataFrame) -> pd.DataFrame:
    """A copy with dates as `datetime.date` (or None) and every *_after flag present as bool.

    Accepts the columns as written to projections.csv too ("after 2030-12-30" text, no flags).
    """
    out = projections.copy()
    for column in QUANTILE_COLUMNS:
        if column not in out.columns or _already(out, column):
            continue
        pairs = [quantile(r, column) for r in out.to_dict("records")]
        out[column] = pd.Series([d for d, _ in pairs], index=out.index, dtype=object)
        out[f"{column}_after"] = pd.Series([a for _, a in pairs], index=out.index, dtype=bool)
    if "referral_date" in out.columns:
        out["referral_date"] = pd.Series(
            [as_date(v) for v in out["referral_date"]], index=out.index, dtype=object
        )
    return out


def _already(frame: pd.DataFrame, column: str) -> bool:
    """A column already in memory form: its flag present as bool, its values dates or None."""
    flag = f"{column}_after"
    if flag not in frame.columns or frame[flag].dtype != bool:
        return False
    return all(v is None or type(v) is date for v in frame[column])


def as_flag(value: Any) -> bool:
    if _missing(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def month_year(d: date) -> str:
    """Month and year, e.g. March 2027."""
    return f"{d:%B} {d.year}"


def long_date(d: date) -> str:
    """Day, month and year, e.g. 5 March 2027 (no leading zero)."""
    return f"{d.day} {d:%B} {d.year}"


def after_month(horizon: date) -> date:
    """The first month every date after `horizon` falls in or after.

    A quantile "after 31 May 2028" is in June 2028 or later; one "after 15 May 2028" can
    only honestly be said to be in May 2028 or later.
    """
    return horizon + timedelta(days=1)


def _capital(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def _same_month(a: date, b: date) -> bool:
    return (a.year, a.month) == (b.year, b.month)


def _join_words(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---------------------------------------------------------------------------------------------
# The range
# ---------------------------------------------------------------------------------------------


def window_for(row: Any, context: LetterContext) -> Window:
    """The first-appointment range for a child still waiting, the outcome range otherwise."""
    what = "outcome" if _get(row, "stage") == IN_ASSESSMENT else "first"
    prefix = "first" if what == "first" else "outcome"
    low, low_after = quantile(row, f"{prefix}_p10")
    high, high_after = quantile(row, f"{prefix}_p90")
    high_after = high_after or low_after
    horizon = context.projection_end
    if low_after:
        return Window(what, "after", None, None, (low or horizon))
    if high_after:
        horizon = high or horizon
        start = max(low, context.as_of) if low else context.as_of
        return Window(what, "open", start, None, horizon)
    if low is None or high is None:
        return Window(what, "unknown", None, None, horizon)
    low, high = min(low, high), max(low, high)
    low = max(low, context.as_of)
    high = max(high, low)
    return Window(what, "range", low, high, horizon)


def _between(start: date, end: date) -> str:
    if _same_month(start, end):
        return f"around {month_year(start)}"
    if start.year == end.year:
        return f"between {start:%B} and {month_year(end)}"
    return f"between {month_year(start)} and {month_year(end)}"


def range_sentences(window: Window) -> tuple[str, ...]:
    """The sentences that give the range, as honest as the numbers."""
    first = window.what == "first"
    subject = (
        "We expect your child's first appointment to be"
        if first
        else "We expect to finish your child's assessment"
    )
    if window.kind == "range":
        return (f"{subject} {_between(window.start, window.end)}.",)
    if window.kind == "open":
        start = window.start
        return (
            f"{subject} between {month_year(start)} and {window.range_end}.",
            "It may be later than that.",
            f"Our figures only look ahead to {month_year(window.horizon)}.",
        )
    thing = "your child's first appointment" if first else "the end of your child's assessment"
    if window.kind == "after":
        return (
            f"We cannot give a likely month for {thing} yet.",
            f"Our figures only look ahead to {month_year(window.horizon)}.",
            f"We think it is likely to be in {window.range_start}.",
        )
    return (
        f"We cannot give a likely month for {thing} yet.",
        "We will tell you more in our next letter.",
    )


# ---------------------------------------------------------------------------------------------
# Cohorts: children referred in the same district in the same month
# ---------------------------------------------------------------------------------------------


def lower_median(values: list[tuple[date, bool]]) -> tuple[date | None, bool]:
    """The value at or below which at least half of the values lie ("after" sorts last)."""
    if not values:
        return None, False
    ordered = sorted(values, key=lambda v: (v[0], v[1]))
    return ordered[(len(ordered) - 1) // 2]


CohortKey = tuple[str, int, int, str]  # district, year and month of referral, priority


def referral_cohorts(
    projections: pd.DataFrame, min_children: int = MIN_COHORT
) -> dict[CohortKey, ReferralCohort]:
    """A summary per district, month of referral and priority, for groups of `min_children`
    or more (an urgent child is compared only with other urgent children)."""
    groups: dict[CohortKey, dict[str, list[tuple[date, bool]]]] = {}
    for row in projections.itertuples(index=False):
        referred = as_date(_get(row, "referral_date"))
        if referred is None:
            continue
        key = (
            str(_get(row, "district", "")), referred.year, referred.month,
            str(_get(row, "priority", "")),
        )  # fmt: skip
        slot = groups.setdefault(key, {"first": [], "outcome": []})
        stage = _get(row, "stage")
        prefix = "outcome" if stage == IN_ASSESSMENT else "first"
        value, after = quantile(row, f"{prefix}_p50")
        if value is not None:
            slot[prefix].append((value, after))
    cohorts = {}
    for (district, year, month, priority), slot in groups.items():
        first, outcome = slot["first"], slot["outcome"]
        if len(first) < min_children:
            first = []
        if len(outcome) < min_children:
            outcome = []
        if not first and not outcome:
            continue
        f_by, f_after = lower_median(first)
        o_by, o_after = lower_median(outcome)
        cohorts[(district, year, month, priority)] = ReferralCohort(
            district=district,
            month=date(year, month, 1),
            waiting=len(first),
            first_half_by=f_by,
            first_half_after=f_after,
            in_assessment=len(outcome),
            outcome_half_by=o_by,
            outcome_half_after=o_after,
        )
    return cohorts


def cohort_for(row: Any, cohorts: Mapping[CohortKey, ReferralCohort]) -> ReferralCohort | None:
    """The cohort a child belongs to, or None if it is too small to quote."""
    referred = as_date(_get(row, "referral_date"))
    if referred is None:
        return None
    district, priority = str(_get(row, "district", "")), str(_get(row, "priority", ""))
    return cohorts.get((district, referred.year, referred.month, priority))


def as_cohort(row: Any, cohort: ReferralCohort | date | None) -> ReferralCohort | None:
    """A cohort as given, or one built from a bare date (the median first appointment of
    the children referred in the row's district and month, all inside the projection)."""
    if cohort is None or isinstance(cohort, ReferralCohort):
        return cohort
    referred = as_date(_get(row, "referral_date"))
    by = as_date(cohort)
    if referred is None or by is None or _get(row, "stage") == IN_ASSESSMENT:
        return None
    return ReferralCohort(
        district=str(_get(row, "district", "")),
        month=date(referred.year, referred.month, 1),
        waiting=1,
        first_half_by=by,
        first_half_after=False,
        in_assessment=0,
        outcome_half_by=None,
        outcome_half_after=False,
    )


def cohort_sentences(window: Window, cohort: ReferralCohort | None) -> tuple[str, ...]:
    """The cohort sentences ("Other children referred in Preston in May 2026 ...") or none."""
    if cohort is None or window.kind in ("after", "unknown"):
        return ()
    when = f"in {cohort.district} in {month_year(cohort.month)}"
    if window.what == "first":
        if not cohort.waiting or cohort.first_half_by is None:
            return ()
        intro = f"Other children referred {when} are still waiting too."
        by, after = cohort.first_half_by, cohort.first_half_after
        done = "to have had a first appointment"
        late = "may wait until"
    else:
        if not cohort.in_assessment or cohort.outcome_half_by is None:
            return ()
        intro = f"Other children referred {when} are being assessed too."
        by, after = cohort.outcome_half_by, cohort.outcome_half_after
        done = "to have finished"
        late = "may finish in"
    if after:
        later = month_year(after_month(by))
        return (intro, f"We think at least half of them {late} {later} or later.")
    return (intro, f"We expect about half of them {done} by {month_year(by)}.")


# ---------------------------------------------------------------------------------------------
# The letter
# ---------------------------------------------------------------------------------------------


def _workshop_sentences(context: LetterContext) -> tuple[str, ...]:
    kinds = [_WORKSHOP_WORDS.get(k.strip().lower(), k.strip()) for k in context.workshops]
    kinds = [k for k in dict.fromkeys(kinds) if k]
    if not kinds:
        return ()
    booking = context.workshop_booking.strip()
    booking = booking or f"To book a place, contact us on {context.contact}."
    return (
        f"While you wait, you can come to our free workshops on {_join_words(kinds)}.",
        booking,
    )


def _place_sentences(row: Any, context: LetterContext) -> tuple[str, ...]:
    if not context.show_queue_position:
        return ()
    position = _get(row, "queue_position")
    try:
        position = int(position)
    except (TypeError, ValueError):
        return ()
    if position < 1:
        return ()
    if position == 1:
        place = "Your child is next on our list."
    elif position == 2:
        place = "There is 1 child ahead of your child on our list."
    else:
        place = f"There are {position - 1:,} children ahead of your child on our list."
    return (place, "Children with the most urgent needs are seen first, so this can change.")


def build_letter(
    row: Any, context: LetterContext, cohort: ReferralCohort | date | None = None
) -> Letter:
    """The words of one letter, shared by the text and HTML versions.

    `cohort` is the child's `ReferralCohort` (see `referral_cohorts` and `cohort_for`), a bare
    date (the median first appointment of the children referred in the same district and
    month), or None for no cohort sentence.
    """
    cohort = as_cohort(row, cohort)
    window = window_for(row, context)
    stage = _get(row, "stage")
    what_for = _PATHWAY_WORDS.get(str(_get(row, "pathway", "")).lower(), "an assessment")
    referred = as_date(_get(row, "referral_date"))
    first = window.what == "first"

    intro = []
    if first:
        intro.append(f"Your child is on our waiting list for {what_for}.")
    else:
        intro.append(f"Your child's assessment has started. It is {what_for}.")
    if referred is not None:
        intro.append(f"We got your child's referral in {month_year(referred)}.")
    if stage == "triage":
        intro.append(
            "We are still reading the referral. If we need to know more, we will contact you."
        )
        intro.append(
            "We have not yet decided if an assessment is the right next step for your child."
            " If it is not, we will write to explain why and tell you about other help."
        )
    intro.append("We know that waiting is hard.")
    if first:
        intro.append("This letter tells you how long we think the wait may be.")
    else:
        intro.append("This letter tells you when we think the assessment may finish.")

    key = range_sentences(window)

    based = []
    if first:
        based.append(
            "This is based on how many children are waiting ahead of your child"
            " and how many appointments our team has."
        )
    else:
        based.append(
            "This is based on the appointments your child still needs"
            " and how many appointments our team has."
        )
    based.append("It is our best guess, not a promise.")
    if context.assumptions_in_range:
        based.append(
            "It allows for things we cannot be sure of, such as how many staff we will have"
            " and how many families will need us."
        )
    else:
        based.append("It assumes our staff and the number of referrals stay as planned.")
    if window.kind in ("range", "open"):
        how_many = (
            "at least 7 in 10"
            if context.assumptions_in_range
            else "about 8 in 10, if our plans hold"
        )  # what the held-out checks measured (docs/families.md)
        verb = "be seen" if first else "finish"
        based.append(f"We expect most children like yours ({how_many}) to {verb} in this time.")
        based.append(
            "A few are seen sooner and a few later."
            if first
            else "A few finish sooner and a few later."
        )
    paragraphs_based = [" ".join(based)]
    places = _place_sentences(row, context) if first else ()
    if places:
        paragraphs_based.append(" ".join(places))
    cohort_text = cohort_sentences(window, cohort)
    if cohort_text:
        paragraphs_based.append(" ".join(cohort_text))
    if not first:
        paragraphs_based.append(
            "When the assessment is finished, we will meet you to talk about what we found."
        )

    update = (
        f"We will write to you again by {long_date(context.next_update)}.",
        "We will tell you if the time has changed.",
    )
    change = (
        "Please tell us if your child's needs change, or if you move house.",
        f"You can contact us on {context.contact}.",
        "If you are worried about your child's safety, contact your GP.",
        "In an emergency, call 999.",
    )
    sections: list[tuple[str, tuple[str, ...]]] = [
        ("", (" ".join(intro),)),
        ("How we worked this out", tuple(paragraphs_based)),
        ("When we will write again", (" ".join(update),)),
        ("If things change", (" ".join(change),)),
    ]
    workshops = _workshop_sentences(context)
    if workshops:
        sections.append(("While you wait", (" ".join(workshops),)))

    title = (
        "When we expect to see your child"
        if first
        else "When we expect to finish your child's assessment"
    )
    return Letter(
        service_name=_capital(context.service_name),
        reference=str(_get(row, "child_id", "")),
        date_line=long_date(context.as_of),
        title=title,
        key=key,
        sections=tuple(sections),
        sign_off=("Yours sincerely,", _capital(context.service_name)),
    )


def letter_text(
    row: Any, context: LetterContext, cohort: ReferralCohort | date | None = None
) -> str:
    """The letter as plain text (for printing or email)."""
    return text_of(build_letter(row, context, cohort))


def text_of(letter: Letter) -> str:
    """A built letter as plain text."""
    lines = [
        letter.service_name,
        f"Date: {letter.date_line}",
        f"Our reference: {letter.reference}",
        "",
        letter.greeting,
        "",
    ]
    intro = letter.sections[0][1]
    for para in intro:
        lines += [para, ""]
    lines += [letter.title, "-" * len(letter.title), " ".join(letter.key), ""]
    for heading, paras in letter.sections[1:]:
        lines += [heading, "-" * len(heading)]
        for para in paras:
            lines += [para, ""]
    lines += list(letter.sign_off)
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 13pt; line-height: 1.5;
       color: #000; background: #fff; max-width: 38em; margin: 2em auto; padding: 0 1em; }
.service { font-weight: bold; font-size: 1.15em; margin: 0; }
.meta { margin: 0.2em 0 1.5em; }
.meta p { margin: 0; }
h1 { font-size: 1.25em; margin: 1.2em 0 0.4em; }
h2 { font-size: 1.1em; margin: 1.2em 0 0.3em; }
.range { border: 2px solid #000; padding: 0.6em 0.8em; font-size: 1.1em; }
.range p { margin: 0; }
p { margin: 0 0 0.8em; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 12pt; line-height: 1.4; }
  @page { size: A4; margin: 1.8cm; }
  .meta { margin-bottom: 1em; }
  h1 { margin-top: 0.8em; }
  h2 { margin-top: 0.8em; }
  p { margin-bottom: 0.6em; }
  h1, h2 { break-after: avoid; }
  .range { break-inside: avoid; }
}
""".strip()


def letter_html(
    row: Any, context: LetterContext, cohort: ReferralCohort | date | None = None
) -> str:
    """The letter as one small, self-contained, printable HTML page (no links, no images)."""
    return html_of(build_letter(row, context, cohort))


def html_of(letter: Letter) -> str:
    """A built letter as an HTML page."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(letter.title)} (reference {e(letter.reference)})</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f'<p class="service">{e(letter.service_name)}</p>',
        '<div class="meta">',
        f"<p>Date: {e(letter.date_line)}</p>",
        f"<p>Our reference: {e(letter.reference)}</p>",
        "</div>",
        "</header>",
        "<main>",
        f"<p>{e(letter.greeting)}</p>",
    ]
    parts += [f"<p>{e(p)}</p>" for p in letter.sections[0][1]]
    parts += [f"<h1>{e(letter.title)}</h1>", '<div class="range">']
    parts += [f"<p>{e(' '.join(letter.key))}</p>", "</div>"]
    for heading, paras in letter.sections[1:]:
        parts.append(f"<h2>{e(heading)}</h2>")
        parts += [f"<p>{e(p)}</p>" for p in paras]
    parts.append("<p>" + "<br>".join(e(s) for s in letter.sign_off) + "</p>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------------
# Mail merge
# ---------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "child_id",
    "district",
    "what_for",
    "range_start",
    "range_end",
    "range_sentence",
    "next_update",
    "letter_text",
)


def letters_csv_rows(projections: pd.DataFrame, context: LetterContext) -> pd.DataFrame:
    """One row per child for mail merge.

    `range_start` and `range_end` are month-and-year text. When the late end lies after the
    projection, `range_end` reads "at least <month>"; when even the early end does,
    `range_start` reads "<month> or later" and `range_end` is empty. `range_sentence` is the
    whole honest sentence, safe to merge as it is.
    """
    return every_letter(projections, context)[1]


def every_letter(
    projections: pd.DataFrame, context: LetterContext
) -> tuple[list[tuple[str, str]], pd.DataFrame]:
    """Each child's letter as (text, HTML), in row order, and the mail-merge rows: each
    letter is built once for all three."""
    projections = normalise(projections)
    cohorts = referral_cohorts(projections)
    pages, rows = [], []
    for row in projections.itertuples(index=False):
        letter = build_letter(row, context, cohort_for(row, cohorts))
        text = text_of(letter)
        pages.append((text, html_of(letter)))
        window = window_for(row, context)
        rows.append(
            {
                "child_id": str(_get(row, "child_id", "")),
                "district": str(_get(row, "district", "")),
                "what_for": window.what_for,
                "range_start": window.range_start,
                "range_end": window.range_end,
                "range_sentence": " ".join(range_sentences(window)),
                "next_update": long_date(context.next_update),
                "letter_text": text,
            }
        )
    return pages, pd.DataFrame(rows, columns=list(CSV_COLUMNS))


# ---------------------------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------------------------

_NOT_PLAIN = re.compile(r"[^A-Za-z0-9_-]")
# names Windows keeps for devices, whatever the extension
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{d}{n}" for d in ("com", "lpt") for n in range(10)}
)
_HASH_CHARS = 8


def _id_hash(child_id: str, length: int) -> str:
    return hashlib.sha256(child_id.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def letter_file_names(child_ids: Iterable[Any]) -> list[str]:
    """A file name (without extension) for each id's letters: unique, safe and stable.

    A plain id (ASCII letters, digits, `-` and `_`) is its own name. Any other character
    becomes `_`, and then, and whenever two ids would share a name on a file system that
    ignores case (`abc` and `ABC`, `a/b` and `a_b`), or the name is one Windows keeps for a
    device (`CON`, `nul`), `-` and the first 8 hex characters of the SHA-256 of the id are
    added (`a_b-3f2c9a1e`). The name depends only on the id and the other ids on the list,
    never on their order.
    """
    ids = [str(i) for i in child_ids]
    cleaned = {i: _NOT_PLAIN.sub("_", i) or "child" for i in ids}
    sharing = Counter(name.casefold() for name in cleaned.values())
    length = dict.fromkeys(cleaned, 0)
    for child_id, name in cleaned.items():
        key = name.casefold()
        if name != child_id or sharing[key] > 1 or key in _RESERVED_NAMES:
            length[child_id] = _HASH_CHARS

    def name_of(child_id: str) -> str:
        n = length[child_id]
        return f"{cleaned[child_id]}-{_id_hash(child_id, n)}" if n else cleaned[child_id]

    # a hashed name may still meet another id's name (an id written as `a_b-3f2c9a1e`):
    # lengthen the hashes that meet until no two names are the same
    while True:
        owners: dict[str, list[str]] = {}
        for child_id in cleaned:
            owners.setdefault(name_of(child_id).casefold(), []).append(child_id)
        clashes = [c for group in owners.values() if len(group) > 1 for c in group if length[c]]
        if not clashes or all(length[c] >= 64 for c in clashes):
            break
        for child_id in clashes:
            length[child_id] += _HASH_CHARS
    return [name_of(i) for i in ids]
