"""Letters to families and the staff summary, on hand-made projection rows.

The letters must give a range of months (never a single date), say honestly when the range
runs past the end of the projection, avoid jargon and over-certain words, stay at a reading
age of about 9–11, and escape everything in the HTML. The staff summary must state the
assumption the ranges rest on and, given the previous run, whose window moved.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import date

import pandas as pd
import pytest

from nd_sim.experiments.families.letters import (
    LetterContext,
    build_letter,
    cohort_for,
    letter_file_names,
    letter_html,
    letter_text,
    letters_csv_rows,
    long_date,
    normalise,
    referral_cohorts,
)
from nd_sim.experiments.families.readability import measure, sentences, syllables
from nd_sim.experiments.families.staff_summary import (
    district_summary,
    most_span,
    moved_children,
    summary_csv_rows,
    whole_span,
)

END = date(2028, 5, 31)
AS_OF = date(2026, 3, 12)
CONTEXT = LetterContext(
    service_name="Lancashire children's autism and ADHD service",
    as_of=AS_OF,
    next_update=date(2026, 6, 11),
    projection_end=END,
    workshops=["behaviour", "sleep", "sensory"],
    contact="01772 000 000",
    scenario_name="Lancashire baseline",
)
MONTHS = [date(2026, m, 1).strftime("%B") for m in range(1, 13)]
MONTH_RE = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")
FULL_DATE_RE = re.compile(r"\b\d{1,2} (?:" + "|".join(MONTHS) + r") \d{4}\b")
FORBIDDEN = (
    "quantile",
    "percentile",
    "P10",
    "P50",
    "P90",
    "replication",
    "simulation",
    "simulate",
    "triage",
    "MDT",
    "multi-disciplinary",
    "guarantee",
    "definitely",
    "certainly",
    "will be seen on",
    "projection",
)


def make_row(
    child_id: str,
    *,
    stage: str = "waiting_first",
    first: tuple = (date(2027, 3, 10), date(2027, 5, 2), date(2027, 7, 20)),
    first_after: tuple = (False, False, False),
    outcome: tuple = (date(2027, 6, 1), date(2027, 9, 1), date(2027, 12, 1)),
    outcome_after: tuple = (False, False, False),
    referral_date: date = date(2025, 5, 14),
    queue_position: int | None = 412,
    district: str = "Preston",
    pathway: str = "asd",
    priority: str = "routine",
) -> dict:
    row = {
        "child_id": child_id,
        "district": district,
        "team": "Central",
        "pathway": pathway,
        "priority": priority,
        "stage": stage,
        "referral_date": referral_date,
        "queue_position": queue_position,
        "team_list_size": 1900,
        "share_left_unseen": 0.1,
    }
    for q, value, after in zip(("p10", "p50", "p90"), first, first_after, strict=True):
        row[f"first_{q}"], row[f"first_{q}_after"] = value, after
    for q, value, after in zip(("p10", "p50", "p90"), outcome, outcome_after, strict=True):
        row[f"outcome_{q}"], row[f"outcome_{q}_after"] = value, after
    return row


NORMAL = make_row("LNC-000123")
OPEN = make_row(
    "LNC-000456",
    first=(date(2027, 11, 3), date(2028, 4, 2), END),
    first_after=(False, False, True),
    outcome=(END, END, END),
    outcome_after=(True, True, True),
    referral_date=date(2025, 11, 3),
    queue_position=1290,
    pathway="both",
)
ALL_AFTER = make_row(
    "LNC-000789",
    stage="triage",
    first=(END, END, END),
    first_after=(True, True, True),
    outcome=(END, END, END),
    outcome_after=(True, True, True),
    referral_date=date(2026, 2, 20),
    queue_position=1850,
    pathway="adhd",
)
IN_ASSESSMENT = make_row(
    "LNC-000042",
    stage="in_assessment",
    first=(None, None, None),
    outcome=(date(2026, 6, 1), date(2026, 8, 1), date(2026, 10, 20)),
    referral_date=date(2024, 1, 9),
    queue_position=None,
)
ROWS = {"normal": NORMAL, "open": OPEN, "all_after": ALL_AFTER, "in_assessment": IN_ASSESSMENT}


def _quantile_dates(row: dict) -> list[date]:
    cols = [f"{w}_{q}" for w in ("first", "outcome") for q in ("p10", "p50", "p90")]
    return [row[c] for c in cols if row[c] is not None]


# ---------------------------------------------------------------------------------------------
# The range sentence
# ---------------------------------------------------------------------------------------------


def test_normal_window_gives_a_range_of_months_unit() -> None:
    key = " ".join(build_letter(NORMAL, CONTEXT).key)
    assert key == "We expect your child's first appointment to be between March and July 2027."
    assert len(MONTH_RE.findall(key)) == 2


def test_window_after_the_end_says_at_least_and_may_be_later_unit() -> None:
    key = " ".join(build_letter(OPEN, CONTEXT).key)
    assert "between November 2027 and at least June 2028." in key
    assert "It may be later than that." in key
    assert len(MONTH_RE.findall(key)) >= 2
    # The end of the projection is never offered as the late end of a closed range.
    assert "and May 2028." not in key


def test_every_quantile_after_the_end_gives_no_month_unit() -> None:
    key = " ".join(build_letter(ALL_AFTER, CONTEXT).key)
    assert "We cannot give a likely month" in key
    assert "June 2028 or later" in key
    assert "between" not in key


def test_in_assessment_talks_about_the_outcome_unit() -> None:
    letter = build_letter(IN_ASSESSMENT, CONTEXT)
    key = " ".join(letter.key)
    assert key == "We expect to finish your child's assessment between June and October 2026."
    assert "first appointment" not in letter_text(IN_ASSESSMENT, CONTEXT)


def test_same_month_and_past_start_unit() -> None:
    row = make_row("A", first=(date(2026, 1, 5), date(2026, 3, 20), date(2026, 3, 28)))
    key = " ".join(build_letter(row, CONTEXT).key)
    assert key == "We expect your child's first appointment to be around March 2026."


def test_window_across_years_names_both_years_unit() -> None:
    row = make_row("A", first=(date(2026, 11, 5), date(2027, 1, 1), date(2027, 2, 1)))
    key = " ".join(build_letter(row, CONTEXT).key)
    assert "between November 2026 and February 2027." in key


def test_missing_numbers_do_not_make_up_a_month_unit() -> None:
    row = make_row("A", first=(None, None, None))
    key = " ".join(build_letter(row, CONTEXT).key)
    assert "We cannot give a likely month" in key
    assert not MONTH_RE.search(key)


# ---------------------------------------------------------------------------------------------
# The whole letter
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ROWS))
def test_letter_has_the_required_parts_unit(name: str) -> None:
    row = ROWS[name]
    text = letter_text(row, CONTEXT)
    assert f"Our reference: {row['child_id']}" in text
    assert long_date(CONTEXT.next_update) in text
    assert CONTEXT.contact in text
    assert "workshops on behaviour, sleep and sensory needs" in text
    assert "not a promise" in text
    assert "contact your GP" in text
    assert "Dear parent or carer," in text
    if name != "all_after":
        assert "about 8 in 10" in text
    if name in ("normal", "open", "all_after"):
        assert "how many children are waiting ahead of your child" in text


@pytest.mark.parametrize("name", sorted(ROWS))
def test_letter_never_gives_a_single_date_or_jargon_unit(name: str) -> None:
    row = ROWS[name]
    for text in (letter_text(row, CONTEXT), letter_html(row, CONTEXT)):
        lower = text.lower()
        for word in FORBIDDEN:
            assert not re.search(r"\b" + re.escape(word.lower()) + r"\b", lower), word
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
        # The only full dates are the letter's own date and the next update.
        allowed = {long_date(CONTEXT.as_of), long_date(CONTEXT.next_update)}
        assert set(FULL_DATE_RE.findall(text)) <= allowed
        for d in _quantile_dates(row):
            assert not re.search(rf"\b{long_date(d)}\b", text) or long_date(d) in allowed


@pytest.mark.parametrize("name", sorted(ROWS))
def test_letter_reading_age_unit(name: str) -> None:
    letter = build_letter(ROWS[name], CONTEXT)
    for text in (letter.body(), letter_text(ROWS[name], CONTEXT)):
        score = measure(text)
        assert score.grade <= 6.5, (name, score)
        assert score.words_per_sentence <= 20, (name, score)
        assert score.ease >= 70, (name, score)
    # No single sentence is long, either.
    assert max(len(s.split()) for s in sentences(letter.body())) <= 25


def test_queue_position_in_words_unit() -> None:
    assert "There are 411 children ahead of your child" in letter_text(NORMAL, CONTEXT)
    first = make_row("A", queue_position=1)
    assert "Your child is next on our list." in letter_text(first, CONTEXT)
    hidden = LetterContext(**{**CONTEXT.__dict__, "show_queue_position": False})
    assert "ahead of your child on our list" not in letter_text(NORMAL, hidden)


def test_triage_stage_in_plain_words_unit() -> None:
    text = letter_text(ALL_AFTER, CONTEXT)
    assert "We are still reading the referral." in text


def test_no_workshops_no_workshop_paragraph_unit() -> None:
    none = LetterContext(**{**CONTEXT.__dict__, "workshops": []})
    assert "workshop" not in letter_text(NORMAL, none).lower()


# ---------------------------------------------------------------------------------------------
# Cohort sentence
# ---------------------------------------------------------------------------------------------


def _cohort_frame() -> pd.DataFrame:
    rows = [NORMAL]
    for i in range(6):
        p50 = date(2027, 4 + i % 3, 1)
        rows.append(make_row(f"C{i}", first=(date(2027, 3, 1), p50, date(2027, 8, 1))))
    return pd.DataFrame(rows)


def test_cohort_sentence_from_children_referred_same_month_unit() -> None:
    frame = _cohort_frame()
    cohorts = referral_cohorts(frame)
    row = frame.iloc[0]
    text = letter_text(row, CONTEXT, cohort_for(row, cohorts))
    assert "Other children referred in Preston in May 2025 are still waiting too." in text
    assert "We expect about half of them to have had a first appointment by May 2027." in text


def test_small_cohort_is_not_quoted_unit() -> None:
    frame = _cohort_frame().iloc[:3]
    assert referral_cohorts(frame) == {}


def test_cohort_median_after_the_end_says_or_later_unit() -> None:
    rows = [
        make_row(f"C{i}", first=(date(2028, 1, 1), END, END), first_after=(False, True, True))
        for i in range(5)
    ]
    frame = pd.DataFrame(rows)
    row = frame.iloc[0]
    text = letter_text(row, CONTEXT, cohort_for(row, referral_cohorts(frame)))
    assert "by May 2028" not in text
    assert "We think at least half of them may wait until June 2028 or later." in text


def test_cohort_as_a_bare_date_unit() -> None:
    text = letter_text(NORMAL, CONTEXT, date(2027, 6, 1))
    assert "about half of them to have had a first appointment by June 2027" in text


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


def test_html_is_escaped_self_contained_and_printable_unit() -> None:
    evil = make_row(
        "<script>alert(1)</script>",
        district='Preston & "Fylde"',
    )
    context = LetterContext(**{**CONTEXT.__dict__, "contact": "<b>01772</b> & co"})
    page = letter_html(evil, context)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;01772&lt;/b&gt; &amp; co" in page
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in page
    assert "@media print" in page
    for external in ("http:", "https:", "href=", "src=", "@import", "url("):
        assert external not in page


def test_html_and_text_say_the_same_unit() -> None:
    text = letter_text(OPEN, CONTEXT)
    page = letter_html(OPEN, CONTEXT)
    plain = re.sub(r"<[^>]+>", " ", page).replace("&#x27;", "'")
    for sentence in build_letter(OPEN, CONTEXT).key:
        assert sentence in text
        assert sentence in plain


# ---------------------------------------------------------------------------------------------
# Mail merge
# ---------------------------------------------------------------------------------------------


def test_letters_csv_rows_unit() -> None:
    frame = pd.DataFrame(list(ROWS.values()))
    table = letters_csv_rows(frame, CONTEXT).set_index("child_id")
    assert list(table.columns[:6]) == [
        "district",
        "what_for",
        "range_start",
        "range_end",
        "range_sentence",
        "next_update",
    ]
    assert "letter_text" in table.columns
    assert table.loc["LNC-000123", ["range_start", "range_end"]].tolist() == [
        "March 2027",
        "July 2027",
    ]
    assert table.loc["LNC-000456", "range_end"] == "at least June 2028"
    assert table.loc["LNC-000789", "range_start"] == "June 2028 or later"
    assert table.loc["LNC-000789", "range_end"] == ""
    assert table.loc["LNC-000042", "what_for"] == "assessment outcome"
    assert table.loc["LNC-000123", "what_for"] == "first appointment"
    assert (table["next_update"] == "11 June 2026").all()
    assert table.loc["LNC-000123", "letter_text"] == letter_text(NORMAL, CONTEXT)


def test_letters_from_timestamps_and_nan_unit() -> None:
    """The same letter whether dates come as dates or as pandas Timestamps / NaT."""
    frame = pd.DataFrame([NORMAL, IN_ASSESSMENT])
    for col in frame.columns:
        if col.endswith(("p10", "p50", "p90")) or col == "referral_date":
            frame[col] = pd.to_datetime(frame[col])
    rows = list(frame.itertuples(index=False))
    assert letter_text(rows[0], CONTEXT) == letter_text(NORMAL, CONTEXT)
    assert letter_text(rows[1], CONTEXT) == letter_text(IN_ASSESSMENT, CONTEXT)


def test_csv_style_after_text_is_read_as_after_unit() -> None:
    """projections.csv writes "after 2028-05-31" and no flags: read the same as the flags."""
    as_csv = {k: v for k, v in OPEN.items() if not k.endswith("_after")}
    as_csv["first_p90"] = "after 2028-05-31"
    as_csv["first_p10"] = "2027-11-03"
    assert letter_text(as_csv, CONTEXT) == letter_text(OPEN, CONTEXT)
    frame = normalise(pd.DataFrame([as_csv]))
    assert frame.loc[0, "first_p90_after"]
    assert not frame.loc[0, "first_p10_after"]
    assert frame.loc[0, "first_p90"] == END


# ---------------------------------------------------------------------------------------------
# Staff summary
# ---------------------------------------------------------------------------------------------


def _staff_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    now = pd.DataFrame(
        [
            NORMAL,
            OPEN,
            ALL_AFTER,
            IN_ASSESSMENT,
            make_row("LNC-000500", queue_position=500),
            make_row("LNC-URGENT", priority="urgent", queue_position=1),
            make_row("LNC-LANC01", district="Lancaster"),
        ]
    )
    previous = now[now.child_id != "LNC-URGENT"].copy()
    previous = pd.concat([previous, pd.DataFrame([make_row("LNC-GONE01")])], ignore_index=True)
    moved_later = previous.child_id == "LNC-000123"
    previous.loc[moved_later, "first_p50"] = date(2027, 2, 1)  # now May 2027: 13 weeks later
    previous.loc[previous.child_id == "LNC-000500", "first_p50"] = date(2027, 5, 20)  # < 4 weeks
    return now, previous


def test_staff_summary_states_the_assumption_unit() -> None:
    now, _ = _staff_frames()
    text = district_summary(now, "Preston", CONTEXT)
    assert (
        "These ranges assume demand and staffing stay as in the scenario 'Lancashire baseline'. "
        "A surge in referrals, a referral pause, or staff leaving will make them wrong; they are "
        "recalculated at each update."
    ) in text
    assert "| Referral being read (triage) | 1 |" in text
    assert "| Waiting for a first appointment | 4 |" in text
    assert "| In assessment | 1 |" in text
    assert "| Total | 6 |" in text
    assert "June 2028 or later" in text
    assert "LNC-LANC01" not in text
    assert "Changes since" not in text


def test_staff_summary_lists_moved_children_unit() -> None:
    now, previous = _staff_frames()
    text = district_summary(now, "Preston", CONTEXT, previous=previous)
    assert "## Changes since the previous projections" in text
    assert "| LNC-000123 | routine | February 2027 | May 2027 | +13 |" in text
    assert "LNC-000500 |" not in text  # moved less than 4 weeks
    assert "- Joined the list: 1 (1 urgent)" in text
    assert "- Left the list: 1" in text
    assert "only if they are urgent" in text
    assert "Chance" in text


def test_moved_children_ignores_a_move_of_the_horizon_only_unit() -> None:
    now = pd.DataFrame([make_row("A", first=(END, END, END), first_after=(False, True, True))])
    previous = pd.DataFrame(
        [make_row("A", first=(date(2028, 1, 1), date(2028, 2, 1), END), first_after=(0, 0, 1))]
    )
    moved = moved_children(now, previous)
    assert moved["child_id"].tolist() == ["A"]
    assert moved["now"].tolist() == ["June 2028 or later"]
    # The other way round (an earlier horizon hides the true median): not a move.
    assert moved_children(previous.assign(first_p50=date(2027, 1, 1)), now).shape[0] == 1
    later_end = now.assign(first_p50=date(2029, 1, 1))
    assert moved_children(later_end, now).empty  # both "after": never reported


def test_most_children_range_pools_the_children_unit() -> None:
    one = pd.DataFrame([NORMAL])
    span = most_span(one, "first", END)
    assert (span.start, span.end) == (NORMAL["first_p10"], NORMAL["first_p90"])
    # Two children far apart: 8 in 10 of the pair lie between the two children's own ranges'
    # inner parts, inside the whole group's range.
    late = make_row("B", first=(date(2027, 9, 1), date(2027, 10, 1), date(2027, 11, 1)))
    pair = normalise(pd.DataFrame([NORMAL, late]))
    most, whole = most_span(pair, "first", END), whole_span(pair, "first", END)
    assert whole.text() == "March to November 2027"
    assert whole.start <= most.start < date(2027, 5, 1)
    assert date(2027, 9, 1) < most.end <= whole.end
    # Children whose late end is after the end: the group's late end is too.
    after = normalise(pd.DataFrame([OPEN] * 3))
    assert most_span(after, "first", END).text() == "November 2027 to June 2028 or later"


def test_staff_summary_reads_a_previous_from_csv_unit() -> None:
    now, previous = _staff_frames()
    as_csv = previous.copy()
    for col in ("first_p10", "first_p50", "first_p90"):
        after = as_csv.pop(f"{col}_after").astype(bool)
        as_csv[col] = [
            f"after {v}" if a else (str(v) if v else None)
            for v, a in zip(as_csv[col], after, strict=True)
        ]
    text = district_summary(now, "Preston", CONTEXT, previous=as_csv)
    assert "| LNC-000123 | routine | February 2027 | May 2027 | +13 |" in text


def test_summary_csv_rows_unit() -> None:
    now, _ = _staff_frames()
    table = summary_csv_rows(now, CONTEXT)
    assert set(table.district) == {"Preston", "Lancaster"}
    preston = table[table.district == "Preston"]
    assert preston.priority.tolist()[0] == "urgent"  # urgent children sit at the front
    assert preston.children.sum() == 5  # every child still waiting, none in assessment


# ---------------------------------------------------------------------------------------------
# Readability
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("cat", 1),
        ("waiting", 2),
        ("appointment", 3),
        ("assessment", 3),
        ("children", 2),
        ("likely", 2),
        ("people", 2),
        ("make", 1),
        ("information", 4),
        ("GP", 2),
        ("2027", 2),
    ],
)
def test_syllables_unit(word: str, count: int) -> None:
    assert syllables(word) == count


def test_flesch_formulas_by_hand_unit() -> None:
    score = measure("The cat sat on the mat. The dog ran.")
    assert (score.sentences, score.words, score.syllables) == (2, 9, 9)
    assert score.grade == pytest.approx(0.39 * 4.5 + 11.8 - 15.59)
    assert score.ease == pytest.approx(206.835 - 1.015 * 4.5 - 84.6)


def test_hard_text_scores_hard_unit() -> None:
    jargon = (
        "The stochastic discrete-event simulation estimates individualised quantiles of "
        "the anticipated multidisciplinary assessment commencement, conditional upon "
        "prevailing capacity assumptions and stationary referral intensity."
    )
    assert measure(jargon).grade > 15


# ---------------------------------------------------------------------------------------------
# Letter file names
# ---------------------------------------------------------------------------------------------


def _hash8(child_id: str) -> str:
    return hashlib.sha256(child_id.encode()).hexdigest()[:8]


def test_plain_ids_name_their_own_files_unit() -> None:
    ids = ["LNC-000001", "S-0000", "F_1", "abc", "A-1"]
    assert letter_file_names(ids) == ids


def test_ids_that_would_share_a_file_get_a_hash_unit() -> None:
    names = letter_file_names(["a/b", "a_b", "abc", "ABC", "F-1"])
    assert names == [
        f"a_b-{_hash8('a/b')}",
        f"a_b-{_hash8('a_b')}",
        f"abc-{_hash8('abc')}",
        f"ABC-{_hash8('ABC')}",
        "F-1",
    ]


@pytest.mark.parametrize(
    "child_id",
    ["a.b", "../etc/passwd", "a b", "caf\u00e9", "\u65e5\u672c", "a\\b", "x:y", "..", "CON", "nul"],
)
def test_any_other_id_is_cleaned_and_hashed_unit(child_id: str) -> None:
    (name,) = letter_file_names([child_id])
    assert re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{8}", name), name
    assert name.endswith(_hash8(child_id))


def test_names_do_not_depend_on_order_unit() -> None:
    ids = ["a/b", "a_b", "abc", "ABC", "x y", "x_y", "LNC-1"]
    forward = dict(zip(ids, letter_file_names(ids), strict=True))
    backward = dict(zip(ids[::-1], letter_file_names(ids[::-1]), strict=True))
    assert forward == backward


def test_a_plain_id_spelled_like_a_hashed_name_still_gets_its_own_file_unit() -> None:
    trap = f"a_b-{_hash8('a/b')}"
    names = letter_file_names(["a/b", trap])
    assert names[1] == trap and names[0].casefold() != trap.casefold()
    assert names[0].startswith(trap)


def test_random_ids_never_share_a_file_name_ignoring_case_unit() -> None:
    rng = random.Random(3)
    alphabet = "aAbB_-/. 1\u00e9"
    ids = list(
        {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(3000)}
    )
    names = letter_file_names(ids)
    assert len({n.casefold() for n in names}) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", n) for n in names)
    assert letter_file_names(ids) == names  # stable


def test_a_letter_says_the_window_allows_for_the_assumptions_only_when_it_does_unit() -> None:
    drawn = LetterContext(**{**CONTEXT.__dict__, "assumptions_in_range": True})
    with_ranges = letter_text(NORMAL, drawn)
    fixed = letter_text(NORMAL, CONTEXT)
    assert "allows for things we cannot be sure of" in with_ranges
    assert "allows for things we cannot be sure of" not in fixed
    assert "assumes our staff and the number of referrals stay as planned" in fixed
    assert "stay as planned" not in with_ranges
