"""A short Markdown summary per district for staff who talk to families.

For each part of the list (by quarter of referral, and by thirds of the place on the team's
list) it gives the range of first-appointment months, and the numbers of children at each
stage. It opens with the assumption the ranges rest on. Given the previous projections it
also lists whose window moved by more than four weeks, how many children joined and left,
and the usual reasons windows move.

Ranges: "most children" runs over the months in which about 8 in 10 children of the group are
expected to be seen (their own ranges pooled); "whole group" from the earliest early end (P10)
to the latest late end (P90). A month "or later" lies after the end of the projection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from nd_sim.experiments.families.drift import drift_sentence
from nd_sim.experiments.families.letters import (
    IN_ASSESSMENT,
    LetterContext,
    after_month,
    as_date,
    as_flag,
    long_date,
    month_year,
    normalise,
)

MOVE_WEEKS = 4
MAX_MOVED_ROWS = 30
_QUARTERS = ("January to March", "April to June", "July to September", "October to December")
_STAGE_WORDS = {
    "triage": "Referral being read (triage)",
    "waiting_first": "Waiting for a first appointment",
    IN_ASSESSMENT: "In assessment",
}


@dataclass(frozen=True)
class Span:
    """A range of months with "or later" ends; built from (date, after) pairs."""

    start: date | None
    start_after: bool
    end: date | None
    end_after: bool
    horizon: date

    def text(self) -> str:
        later = f"{month_year(after_month(self.horizon))} or later"
        if self.start is None and not self.start_after:
            return "–"
        if self.start_after:
            return later
        start = self.start
        if self.end_after:
            if (start.year, start.month) >= (self.horizon.year, self.horizon.month):
                return f"{month_year(start)} or later"  # starts in the last month
            return f"{month_year(start)} to {later}"
        end = self.end or start
        if (start.year, start.month) == (end.year, end.month):
            return month_year(start)
        if start.year == end.year:
            return f"{start:%B} to {month_year(end)}"
        return f"{month_year(start)} to {month_year(end)}"


def _pairs(frame: pd.DataFrame, column: str) -> list[tuple[date, bool]]:
    out = []
    for value, after in zip(frame[column], frame[f"{column}_after"], strict=True):
        d = as_date(value)
        if d is not None:
            out.append((d, as_flag(after)))
    return out


def _horizon_of(pairs: list[tuple[date, bool]], fallback: date) -> date:
    after = [d for d, a in pairs if a]
    return max(after) if after else fallback


def whole_span(frame: pd.DataFrame, prefix: str, horizon: date) -> Span:
    """Earliest early end to latest late end."""
    low, high = _pairs(frame, f"{prefix}_p10"), _pairs(frame, f"{prefix}_p90")
    if not low or not high:
        return Span(None, False, None, False, horizon)
    h = _horizon_of(low + high, horizon)
    s, sa = min(low)
    e, ea = max(high)
    return Span(s, sa, e, ea, h)


LEVELS = (0.1, 0.5, 0.9)


def _child_cdf(points: list[tuple[float, bool]], grid: np.ndarray) -> np.ndarray:
    """One child's chance of having been seen by each grid day, from its P10, P50, P90.

    Piecewise linear through the known quantiles, with the same slopes carried on to 0 below
    P10 and to 1 above P90. A quantile after the end of the projection is unknown: the chance
    stays flat after the last known one (it cannot be less), so the group's range errs late.
    """
    known = [(x, lvl) for (x, after), lvl in zip(points, LEVELS, strict=True) if not after]
    if not known:
        return np.zeros_like(grid)
    xs = [x for x, _ in known]
    fs = [lvl for _, lvl in known]
    if len(known) >= 2:
        slope = (fs[1] - fs[0]) / max(xs[1] - xs[0], 1.0)
        xs.insert(0, xs[0] - max(fs[0] / slope, 1.0))
    else:
        xs.insert(0, xs[0] - 1.0)
    fs.insert(0, 0.0)
    if not points[2][1]:  # P90 known: carry the P50-P90 slope up to 1
        slope = (fs[-1] - fs[-2]) / max(xs[-1] - xs[-2], 1.0)
        xs.append(xs[-1] + max((1.0 - fs[-1]) / slope, 1.0))
        fs.append(1.0)
    xs_arr = np.asarray(xs, dtype=float) + np.arange(len(xs)) * 1e-6  # strictly increasing
    return np.interp(grid, xs_arr, fs, left=0.0, right=fs[-1])


def most_span(frame: pd.DataFrame, prefix: str, horizon: date, share: float = 0.8) -> Span:
    """The months in which most children of the group (`share`, 8 in 10) are expected.

    The children's own ranges are pooled: the range runs from where the group's average chance
    of having been seen reaches 10% to where it reaches 90%; "or later" if that is after the
    end of the projection.
    """
    rows = []
    for r in frame.itertuples(index=False):
        pts = []
        for q in ("p10", "p50", "p90"):
            d = as_date(getattr(r, f"{prefix}_{q}"))
            if d is None:
                break
            pts.append((float(d.toordinal()), as_flag(getattr(r, f"{prefix}_{q}_after"))))
        if len(pts) == 3:
            rows.append(pts)
    if not rows:
        return Span(None, False, None, False, horizon)
    afters = [x for pts in rows for x, a in pts if a]
    h = date.fromordinal(int(max(afters))) if afters else horizon
    known = [x for pts in rows for x, a in pts if not a]
    last = float(h.toordinal())  # past the end of the projection: "or later"
    first = min(min(known) if known else last, last) - 800  # room for the lower tails
    grid = np.arange(first, last + 1, dtype=float)
    cdf = np.mean([_child_cdf(pts, grid) for pts in rows], axis=0)
    low, high = (1 - share) / 2, 1 - (1 - share) / 2

    def at(level: float) -> tuple[date | None, bool]:
        hit = np.flatnonzero(cdf >= level - 1e-7)
        if not hit.size:
            return h, True
        return date.fromordinal(int(grid[hit[0]])), False

    (s, sa), (e, ea) = at(low), at(high)
    return Span(s, sa, e, ea, h)


def _quarter(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3


def _quarter_label(year: int, q: int) -> str:
    return f"{_QUARTERS[q]} {year}"


def _waiting(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["stage"] != IN_ASSESSMENT]


def _priority_order(frame: pd.DataFrame) -> list[str]:
    """Priorities in the order their children sit on the list (urgent first)."""
    pos = pd.to_numeric(frame["queue_position"], errors="coerce")
    order = pos.groupby(frame["priority"].astype(str)).median().sort_values()
    rest = sorted(set(frame["priority"].astype(str)) - set(order.index))
    return [str(p) for p in order.index] + rest


def _places(frame: pd.DataFrame) -> str:
    pos = pd.to_numeric(frame["queue_position"], errors="coerce").dropna()
    if pos.empty:
        return "–"
    lo, hi = int(pos.min()), int(pos.max())
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


def _escape_md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_escape_md(c) for c in row) + " |" for row in rows]
    return lines


def inside_words(context: LetterContext) -> str:
    """How many children a range holds, as the held-out checks measured it (docs/families.md):
    with the assumptions' ranges drawn, at least 7 in 10 even with 15% fewer staff than
    planned; with chance alone, about 8 in 10 when the scenario is right, far fewer if not."""
    if context.assumptions_in_range:
        return "at least 7 in 10"
    return "about 8 in 10 (if the scenario holds)"


def assumption_sentence(context: LetterContext) -> str:
    if context.assumptions_in_range:
        return (
            f"These ranges allow for uncertainty in the assumptions of the scenario "
            f"'{context.scenario_name}' (each model run drew its own values of the inputs "
            "given a range), as well as for chance. A change beyond those ranges (a surge, a "
            "referral pause, staff leaving) will make them wrong; they are recalculated at "
            "each update."
        )
    return (
        f"These ranges assume demand and staffing stay as in the scenario "
        f"'{context.scenario_name}'. A surge in referrals, a referral pause, or staff leaving "
        "will make them wrong; they are recalculated at each update."
    )


# ---------------------------------------------------------------------------------------------
# Groups (also the CSV)
# ---------------------------------------------------------------------------------------------


def summary_csv_rows(projections: pd.DataFrame, context: LetterContext) -> pd.DataFrame:
    """One row per district, team, priority and quarter of referral, for children still waiting."""
    rows = []
    waiting = _waiting(normalise(projections))
    for district, by_district in waiting.groupby("district", sort=True):
        for team, by_team in by_district.groupby("team", sort=True):
            for priority in _priority_order(by_team):
                group = by_team[by_team["priority"].astype(str) == priority]
                quarters = group["referral_date"].map(lambda v: _quarter(as_date(v)))
                for (year, q), part in group.groupby(quarters, sort=True):
                    most = most_span(part, "first", context.projection_end)
                    whole = whole_span(part, "first", context.projection_end)
                    rows.append(
                        {
                            "district": district,
                            "team": team,
                            "priority": priority,
                            "referred": _quarter_label(year, q),
                            "children": len(part),
                            "places": _places(part),
                            "most_children_range": most.text(),
                            "whole_group_range": whole.text(),
                        }
                    )
    columns = [
        "district",
        "team",
        "priority",
        "referred",
        "children",
        "places",
        "most_children_range",
        "whole_group_range",
    ]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------
# Changes since the previous run
# ---------------------------------------------------------------------------------------------


def moved_children(
    projections: pd.DataFrame, previous: pd.DataFrame, weeks: int = MOVE_WEEKS
) -> pd.DataFrame:
    """Children still waiting in both runs whose median first appointment moved > `weeks`.

    A median "after the end" is compared as the end date, so a move to or from "after" is
    a lower bound; two "after" medians are never reported as a move.
    """
    cols = ["child_id", "first_p50", "first_p50_after", "queue_position", "stage", "priority"]
    now = _waiting(normalise(projections))[cols]
    then = _waiting(normalise(previous))[cols]
    both = now.merge(then, on="child_id", suffixes=("_now", "_then"))
    rows = []
    for r in both.itertuples(index=False):
        new, old = as_date(r.first_p50_now), as_date(r.first_p50_then)
        new_after, old_after = as_flag(r.first_p50_after_now), as_flag(r.first_p50_after_then)
        if new is None or old is None or (new_after and old_after):
            continue
        days = (new - old).days
        if abs(days) <= weeks * 7:
            continue
        if (new_after and days < 0) or (old_after and days > 0):
            continue  # the horizon moved, not the child
        place_now, place_then = _int(r.queue_position_now), _int(r.queue_position_then)
        rows.append(
            {
                "child_id": str(r.child_id),
                "priority": str(r.priority_now),
                "direction": "later" if days > 0 else "earlier",
                "weeks": round(days / 7),
                "at_least": new_after or old_after,
                "then": _month_text(old, old_after),
                "now": _month_text(new, new_after),
                "place_then": place_then,
                "place_now": place_now,
                "possible_reason": _reason(days, place_then, place_now),
            }
        )
    columns = [
        "child_id",
        "priority",
        "direction",
        "weeks",
        "at_least",
        "then",
        "now",
        "place_then",
        "place_now",
        "possible_reason",
    ]
    out = pd.DataFrame(rows, columns=columns)
    if not out.empty:
        out = out.reindex(out["weeks"].abs().sort_values(ascending=False, kind="stable").index)
    return out.reset_index(drop=True)


def _month_text(d: date, after: bool) -> str:
    return f"{month_year(after_month(d))} or later" if after else month_year(d)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _reason(days: int, place_then: int | None, place_now: int | None) -> str:
    if days > 0:
        if place_then is not None and place_now is not None and place_now > place_then:
            return "more children ahead (urgent referrals joined)"
        return "fewer appointments than before, or chance"
    return "children ahead left or were seen faster, or more appointments"


# ---------------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------------


def district_summary(
    projections: pd.DataFrame,
    district: str,
    context: LetterContext,
    previous: pd.DataFrame | None = None,
    drift: Any = None,
) -> str:
    """The Markdown summary for one district (see the module docstring); it opens with the
    drift check's verdict when the earlier run's folder was given."""
    horizon = context.projection_end
    frame = normalise(projections[projections["district"] == district])
    waiting = _waiting(frame)
    assessing = frame[frame["stage"] == IN_ASSESSMENT]
    later = f"{month_year(after_month(horizon))} or later"

    out = [
        f"# Waiting-list ranges: {district}",
        "",
        f"As of {long_date(context.as_of)}. Next update by {long_date(context.next_update)}.",
        "",
        *[line for row in drift or () for line in (drift_sentence(row), "")],
        f"**{assumption_sentence(context)}**",
        "",
        "How to read the ranges: each child has a range from an early end to a late end "
        f"(P10 to P90 over the model runs); {inside_words(context)} children are expected to "
        'be seen inside their own range. For a group, "most children" gives the months in '
        'which about 8 in 10 of its children are expected to be seen; "whole group" runs from '
        f'its earliest early end to its latest late end. "{later}" means after the end of the '
        f"projection ({long_date(horizon)}): we cannot say more than that. Give families ranges, "
        "never single dates. For one family, use that child's own range (their letter).",
        "",
        "## Children on the list",
        "",
    ]
    counts = frame["stage"].value_counts()
    rows = [[_STAGE_WORDS[s], f"{int(counts.get(s, 0)):,}"] for s in _STAGE_WORDS]
    rows.append(["Total", f"{len(frame):,}"])
    out += _table(["Stage", "Children"], rows)
    if "share_left_unseen" in frame and len(waiting):
        leaving = pd.to_numeric(waiting["share_left_unseen"], errors="coerce").fillna(0).sum()
        out += [
            "",
            f"In the projection, about {leaving:,.0f} of the {len(waiting):,} children waiting "
            "leave the list before a first appointment (they move away, go private, or no "
            "longer need the assessment).",
        ]
    if "state_assumed" in frame:
        assumed = frame["state_assumed"].astype(str).str.lower().isin(["true", "1"])
        if assumed.any():
            out += [
                "",
                f"{int(assumed.sum()):,} of these children were projected from a typical state, "
                "because the list did not say where they were: for a child in assessment, its "
                "next appointment and the date of its last one; for a child waiting, the date it "
                "was accepted. Add those columns to the export to make their ranges sharper "
                "(`state_assumed` in projections.csv names them).",
            ]
    if frame.empty:
        out += ["", f"No children from {district} are on the list."]

    if len(waiting):
        out += ["", "## First appointment, by when the child was referred", ""]
        for team, by_team in waiting.groupby("team", sort=True):
            size = pd.to_numeric(by_team["team_list_size"], errors="coerce").max()
            size_text = f"{int(size):,} children in all" if pd.notna(size) else "size unknown"
            name = str(team)[:1].upper() + str(team)[1:]
            out += [f"### {name} team list ({size_text}, from every district it serves)", ""]
            rows = []
            for priority in _priority_order(by_team):
                group = by_team[by_team["priority"].astype(str) == priority]
                quarters = group["referral_date"].map(lambda v: _quarter(as_date(v)))
                for (year, q), part in group.groupby(quarters, sort=True):
                    rows.append(
                        [
                            priority,
                            _quarter_label(year, q),
                            f"{len(part):,}",
                            _places(part),
                            most_span(part, "first", horizon).text(),
                            whole_span(part, "first", horizon).text(),
                        ]
                    )
            header = ["Priority", "Referred", "Children", "Places on list", "Most children"]
            out += _table([*header, "Whole group"], rows)
            out += ["", f"By place on the {name} list:", ""]
            out += _table(
                ["Part of the list", "Places", "Children", "Most children", "Whole group"],
                _thirds(by_team, horizon),
            )
            out.append("")
        out += ["## To say out loud", ""]
        out += _phrases(waiting, district, horizon)

    if len(assessing):
        most = most_span(assessing, "outcome", horizon).text()
        whole = whole_span(assessing, "outcome", horizon).text()
        out += [
            "",
            "## Children in assessment",
            "",
            f"{len(assessing):,} children are in assessment. When they are expected to finish: "
            f"most children (about 8 in 10) {most}; whole group {whole}.",
        ]

    if previous is not None:
        before = normalise(previous[previous["district"] == district])
        out += ["", *_changes(frame, before)]
    return "\n".join(out).rstrip() + "\n"


def _thirds(by_team: pd.DataFrame, horizon: date) -> list[list[str]]:
    pos = pd.to_numeric(by_team["queue_position"], errors="coerce")
    known = by_team[pos.notna()].assign(_pos=pos[pos.notna()]).sort_values("_pos")
    rows = []
    n = len(known)
    names = ("Front third", "Middle third", "Back third")
    for i, name in enumerate(names):
        part = known.iloc[(i * n) // 3 : ((i + 1) * n) // 3]
        if part.empty:
            continue
        rows.append(
            [
                name,
                _places(part),
                f"{len(part):,}",
                most_span(part, "first", horizon).text(),
                whole_span(part, "first", horizon).text(),
            ]
        )
    return rows


def _phrases(waiting: pd.DataFrame, district: str, horizon: date) -> list[str]:
    """One sentence per recent referral quarter, for the most common priority."""
    priority = waiting["priority"].astype(str).value_counts().idxmax()
    group = waiting[waiting["priority"].astype(str) == priority]
    quarters = group["referral_date"].map(lambda v: _quarter(as_date(v)))
    lines = []
    for (year, q), part in list(group.groupby(quarters, sort=True))[-4:]:
        span = most_span(part, "first", horizon)
        if span.start is None and not span.start_after:
            continue
        who = f"Children referred in {district} in {_quarter_label(year, q)}"
        if span.start_after:
            text = (
                f"{who} are likely to have a first appointment in "
                f"{month_year(after_month(span.horizon))} or later; we cannot give a month yet."
            )
        else:
            text = f"{who} are usually seen for a first appointment {_between(span)}."
        lines.append(f'- "{text}" ({priority}, {len(part):,} children)')
    return lines


def _between(span: Span) -> str:
    start = span.start
    if span.end_after:
        later = month_year(after_month(span.horizon))
        return f"between {month_year(start)} and at least {later}; it may be later than that"
    end = span.end or start
    if (start.year, start.month) == (end.year, end.month):
        return f"around {month_year(start)}"
    if start.year == end.year:
        return f"between {start:%B} and {month_year(end)}"
    return f"between {month_year(start)} and {month_year(end)}"


def _changes(frame: pd.DataFrame, previous: pd.DataFrame) -> list[str]:
    ids_now, ids_then = set(frame["child_id"]), set(previous["child_id"])
    joined = frame[frame["child_id"].isin(ids_now - ids_then)]
    left = ids_then - ids_now
    then_waiting = set(_waiting(previous)["child_id"])
    started = frame[(frame["stage"] == IN_ASSESSMENT) & frame["child_id"].isin(then_waiting)]
    moved = moved_children(frame, previous)
    urgent_joined = int(joined["priority"].astype(str).str.contains("urgent", case=False).sum())
    by_priority = joined["priority"].astype(str).value_counts()
    joined_detail = ", ".join(f"{n:,} {p}" for p, n in by_priority.items())

    out = [
        "## Changes since the previous projections",
        "",
        f"- Joined the list: {len(joined):,}" + (f" ({joined_detail})" if len(joined) else ""),
        f"- Left the list: {len(left):,} (finished, moved away, or no longer waiting)",
        f"- Started assessment: {len(started):,}",
        f"- First-appointment window moved by more than {MOVE_WEEKS} weeks: {len(moved):,} "
        f"({int((moved['direction'] == 'later').sum()):,} later, "
        f"{int((moved['direction'] == 'earlier').sum()):,} earlier)",
    ]
    if len(moved):
        out += [
            "",
            "Whose window moved (the middle month of the child's own range, then and now):",
            "",
        ]
        rows = [
            [
                r.child_id,
                r.priority,
                r.then,
                r.now,
                f"{r.weeks:+d}" + (" or more" if r.at_least else ""),
                _place_text(r.place_then, r.place_now),
                r.possible_reason,
            ]
            for r in moved.head(MAX_MOVED_ROWS).itertuples(index=False)
        ]
        header = ["Child", "Priority", "Then", "Now", "Weeks", "Place then → now"]
        out += _table([*header, "Possible reason"], rows)
        if len(moved) > MAX_MOVED_ROWS:
            out += ["", f"…and {len(moved) - MAX_MOVED_ROWS:,} more (largest moves shown)."]
    out += [
        "",
        "Why windows move:",
        "",
        "- New referrals go ahead of a child only if they are urgent; routine referrals join "
        f"behind. Urgent referrals that joined since: {urgent_joined:,}.",
        "- Staff changes in the scenario (recruitment, leavers, bought-in assessments) change "
        "how many appointments there are.",
        f"- Families leaving the list move everyone behind them up ({len(left):,} left).",
        "- Chance: each update is a fresh set of model runs, so moves of a few weeks are "
        "expected even when nothing changed.",
    ]
    return out


def _place_text(then: Any, now: Any) -> str:
    a, b = _int(then), _int(now)
    if a is None or b is None:
        return "–"
    return f"{a:,} → {b:,}"
