"""Numbers (and dates) as a board reads them: money to a sensible precision, a true minus
sign, a 95% interval only where there is one, and dates rather than week numbers.

An amount that does not vary between replications (a budget, a price times a count) has a
zero-width interval; printing "+1,108,000 (+1,108,000 to +1,108,000)" suggests uncertainty
that is not there, so `with_interval` prints the number alone. Money is rounded because
"£774,648" claims a precision the assumptions behind it do not have. The terminal, the
narrative and the report share these helpers so that one amount reads the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

MINUS = "\u2212"  # a true minus sign: a hyphen is easy to miss and breaks across lines


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, digits: int = 1, *, signed: bool = False) -> str:
    """`1,234.5`, with a true minus; `signed` adds "+" to positives; "–" when missing.

    A value that rounds to zero prints without a sign ("0.0", never "−0.0" or "+0.0").
    """
    if _is_missing(value):
        return "–"
    if math.isinf(value):
        return ("" if value > 0 else MINUS) + "∞"
    text = f"{abs(value):,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return text
    if value < 0:
        return MINUS + text
    return "+" + text if signed else text


def money_gbp(value: float | None, *, short: bool = False, signed: bool = False) -> str:
    """An amount of money in pounds, rounded as a board would quote it.

    Under £1,000 to the pound, under £10,000 to £10, otherwise to the nearest £1,000
    (£774,648 → "£775,000"); `short` writes a million or more as "£1.36m" (three
    significant figures, trailing zeros dropped: "£1.8m"). `signed` adds "+" to positives.
    """
    if _is_missing(value):
        return "–"
    size = abs(value)
    if short and round(size, -3) >= 1e6:
        millions = f"{size / 1e6:.3g}"
        if "e" in millions:  # £1,000m or more: plain thousands of millions
            millions = f"{size / 1e6:,.0f}"
        text = f"£{millions}m"
    else:
        step = 1 if size < 1_000 else 10 if size < 10_000 else 1_000
        text = f"£{round(size / step) * step:,.0f}"
    if text in ("£0", "£0m"):
        return "£0"
    if value < 0:
        return MINUS + text
    return "+" + text if signed else text


def with_interval(
    mean: float | None,
    low: float | None,
    high: float | None,
    *,
    digits: int = 1,
    signed: bool = False,
    fmt: Callable[[float], str] | None = None,
    sep: str = " to ",
) -> str:
    """ "mean (low to high)", or the mean alone when the interval is missing or has no width.

    "No width" means that the two ends print the same as the mean at this precision, so
    a constant cost prints once and a difference of "+0.0 (+0.0 to +0.0)" prints "0.0".
    `fmt` formats each number (e.g. `money_gbp`); by default `number(x, digits, signed)`.
    """

    def show(value: float) -> str:
        return fmt(value) if fmt is not None else number(value, digits, signed=signed)

    middle = show(mean)
    if _is_missing(mean) or _is_missing(low) or _is_missing(high):
        return middle
    ends = show(low), show(high)
    if ends[0] == middle and ends[1] == middle:
        return middle
    return f"{middle} ({ends[0]}{sep}{ends[1]})"


def interval_has_width(low: float | None, high: float | None, digits: int = 1) -> bool:
    """Whether an interval is worth printing at `digits` decimals (both ends known and apart)."""
    if _is_missing(low) or _is_missing(high):
        return False
    return number(low, digits) != number(high, digits)


def day_text(day: dt.date) -> str:
    """A date as a board writes it: "7 January 2031"."""
    return f"{day.day} {day:%B %Y}"


def week_date(start_date: dt.date, week: int) -> str:
    """The first day of week `week` (counted from 0) of a run that starts on `start_date`,
    in words: warnings say "from 7 January 2031", not "from week 247"."""
    return day_text(start_date + dt.timedelta(days=7 * int(week)))
