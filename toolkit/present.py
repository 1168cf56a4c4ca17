"""Numbers, dates and tables for reviewers: the one place their formatting lives.

Every reviewer-facing figure goes through these helpers so that a report speaks one locale
(``en_GB``: 1,541 / 82.3% / €17.5m; ``fr_FR``: 1 541 / 82,3 % / 17,5 M €), shows no raw floats
(125.000000), no pandas index, no True/False, and no header-only table. Missing values are an
en dash, negatives carry a true minus sign (U+2212), and nothing rounds to "-0".

The reports are written in English whatever the locale: the locale sets how figures are
written (digit grouping, decimal mark, percent and currency placement), while every word —
month and day names, Yes/No, "3 of 12" — is English, so that a sentence never mixes two
languages ("In October 2026 …", not "In octobre 2026 …"). ``names_locale`` gives the locale
words are written in, for the few places that call babel for names directly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import numpy as np
import pandas as pd

from toolkit import markup
from toolkit.errors import ParameterError

#: What a missing value looks like (NaN, None, NaT).
MISSING = "–"
#: The true minus sign: a hyphen is too short to read as one in a column of figures.
MINUS = "\u2212"
DEFAULT_EMPTY = "No rows for this period."
DEFAULT_TIMEZONE = "Europe/Paris"

#: Units a table column can declare; ``:N`` after number, percent, pp, money, hours sets the
#: decimals (``percent:0``), ``money:compact`` abbreviates millions.
UNITS = ("count", "number", "percent", "pp", "money", "money:compact", "seconds", "duration",
         "hours", "date", "month", "time", "bool", "text")
_UNITS_WITH_DECIMALS = ("number", "percent", "pp", "money", "hours", "seconds")
#: Units whose cells are figures (right-aligned, class ``cc-num``).
_NUMERIC_UNITS = ("count", "number", "percent", "pp", "money", "money:compact", "seconds",
                  "duration", "hours")

#: The words the helpers write themselves: English, the language of every report.
_WORDS = {"yes": "Yes", "no": "No", "of": "of"}
#: The locale names (months, days) are written in when the report's locale is not English.
NAMES_LOCALE = "en_GB"


# ------------------------------------------------------------------------------ values


@lru_cache(maxsize=64)
def _parse(locale: str):
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError, AttributeError) as exc:
        raise ParameterError("locale", locale,
                             "a locale babel knows, e.g. 'fr_FR', 'en_GB'") from exc


def check_locale(locale: str) -> str:
    """Return ``locale`` if babel knows it, else ParameterError (e.g. ``fr_FR``, ``en_GB``)."""
    if not isinstance(locale, str):
        raise ParameterError("locale", locale, "a locale name as text, e.g. 'fr_FR', 'en_GB'")
    _parse(locale)
    return locale


def names_locale(locale: str) -> str:
    """The locale month and day names are written in: ``locale`` itself when it is English
    (``en_GB``, ``en_US``), else ``en_GB`` — the reports' sentences are English, so a French
    locale writes "3 Nov 2026", not "3 nov. 2026", beside French-formatted figures."""
    return locale if _parse(locale).language == "en" else NAMES_LOCALE


def and_list(items, locale: str = "en_GB") -> str:
    """``a``, ``a and b``, ``a, b and c``: a list in English words, like the sentence around
    it (babel's list patterns in ``names_locale``)."""
    from babel.lists import format_list

    return format_list([str(i) for i in items], locale=names_locale(locale))


def is_missing(value) -> bool:
    """True for None, NaN, NaT and pandas NA (shown as an en dash)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value))
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a scalar, not missing
        return False


def _as_decimal(value, name: str) -> Decimal:
    """``value`` as an exact Decimal of its shortest float form (``repr``), so that 2.675
    rounds to 2.68 as a reader expects (binary floating point would give 2.67)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | np.bool_):
        raise ParameterError(name, value, "a number (a yes/no flag goes through yes_no)")
    try:
        return Decimal(repr(float(value)))
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, value, "a number") from exc


def _decimal(value, decimals: int, name: str = "value") -> Decimal:
    """``value`` rounded half-up to ``decimals``; a result of zero loses its sign (no "-0")."""
    rounded = _as_decimal(value, name).quantize(Decimal(1).scaleb(-decimals),
                                                rounding=ROUND_HALF_UP)
    return rounded if rounded != 0 else Decimal(0).quantize(rounded)


def _check_decimals(decimals) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, int | np.integer) \
            or not 0 <= decimals <= 6:
        raise ParameterError("decimals", decimals, "a whole number from 0 to 6")
    return int(decimals)


def _pattern(base: str, decimals: int) -> str:
    """A babel pattern with ``decimals`` fixed decimals after its last ``0`` digit."""
    i = base.rfind("0")
    return base[:i + 1] + ("." + "0" * decimals if decimals else "") + base[i + 1:]


def _signed(text: str) -> str:
    """Babel's hyphen-minus as a true minus sign (numbers here never hold another hyphen)."""
    return text.replace("-", MINUS)


def number(x, locale: str = "en_GB", decimals: int = 0) -> str:
    """A number with the locale's grouping and ``decimals`` fixed decimals (1,541 / 1 541)."""
    from babel.numbers import format_decimal

    if is_missing(x):
        return MISSING
    decimals = _check_decimals(decimals)
    return _signed(format_decimal(_decimal(x, decimals, "x"), format=_pattern("#,##0", decimals),
                                  locale=_parse(locale)))


def percent(fraction, locale: str = "en_GB", decimals: int = 1) -> str:
    """A fraction as a percentage (0.823 -> 82.3% / 82,3 %), the locale's own pattern."""
    from babel.numbers import format_percent

    if is_missing(fraction):
        return MISSING
    decimals = _check_decimals(decimals)
    scaled = _decimal(_as_decimal(fraction, "fraction") * 100, decimals)
    parsed = _parse(locale)
    pattern = _pattern(parsed.percent_formats[None].pattern, decimals)
    return _signed(format_percent(scaled / 100, format=pattern, locale=parsed))


def points(pp_fraction, locale: str = "en_GB", decimals: int = 1) -> str:
    """A difference of two fractions in percentage points, always signed (+1.2 pp, −0.4 pp)."""
    if is_missing(pp_fraction):
        return MISSING
    decimals = _check_decimals(decimals)
    value = _decimal(_as_decimal(pp_fraction, "pp_fraction") * 100, decimals)
    sign = "+" if value > 0 else ""
    return sign + number(value, locale, decimals) + " pp"


def money(amount, locale: str = "en_GB", currency: str = "EUR", compact: bool = False,
          decimals: int | None = None) -> str:
    """An amount in the locale's currency format (€12,345.60 / 12 345,60 €).

    ``compact`` abbreviates thousands and millions the locale's way, one decimal at most
    (€17.5m / 17,5 M €), for amounts in sentences and overview tables.
    """
    from babel.numbers import format_compact_currency, format_currency

    if is_missing(amount):
        return MISSING
    parsed = _parse(locale)
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise ParameterError("currency", currency, "an ISO 4217 code such as 'EUR', 'MAD'")
    if compact:
        # Whole units first: a rounding to nothing shows €0, never −€0.
        value = float(_decimal(amount, 0, "amount"))
        text = format_compact_currency(value if value else 0.0, currency, locale=parsed,
                                       fraction_digits=1)
        return _signed(_one_decimal(text, value, parsed))
    if decimals is None:
        from babel.numbers import get_currency_precision
        decimals = get_currency_precision(currency)
    decimals = _check_decimals(decimals)
    return _signed(format_currency(_decimal(amount, decimals, "amount"), currency,
                                   locale=parsed, currency_digits=False,
                                   format=_currency_pattern(parsed, decimals)))


def _one_decimal(text: str, value: float, parsed) -> str:
    """babel drops a compact amount's trailing zero (€3m beside €7.2m): put it back, so one
    table or sentence shows abbreviated amounts with the same precision."""
    from babel.numbers import get_decimal_symbol

    if abs(value) < 1000:
        return text
    point = get_decimal_symbol(parsed)
    if re.search(r"\d" + re.escape(point) + r"\d", text):
        return text
    # three figures are precise enough (€642k), two or fewer get their decimal (€3.0m)
    return re.sub(r"(\d+)(?!.*\d)",
                  lambda m: m.group(1) + (point + "0" if len(m.group(1)) < 3 else ""), text,
                  count=1)


def _currency_pattern(parsed, decimals: int) -> str:
    """The locale's currency pattern with ``decimals`` decimals (¤#,##0.00 -> ¤#,##0)."""
    base = parsed.currency_formats["standard"].pattern.split(";")[0]
    base = re.sub(r"0\.0+", "0", base)
    return _pattern(base, decimals)


def seconds(x, locale: str = "en_GB", decimals: int = 0) -> str:
    """A time in seconds (125 s), e.g. an average handling time; whole seconds unless
    ``decimals`` asks for more (an average wait of 19.8 s is not "20 s")."""
    text = number(x, locale, decimals)
    return text if text == MISSING else text + "\u00a0s"


def hours(x, locale: str = "en_GB", decimals: int = 1) -> str:
    """A number of hours (1,541.0 h)."""
    text = number(x, locale, decimals)
    return text if text == MISSING else text + "\u00a0h"


def duration(seconds, locale: str = "en_GB") -> str:
    """Seconds as a readable duration: 45 s, 2 min 05 s, 1 h 02 min (from an hour on,
    seconds are rounded away)."""
    if is_missing(seconds):
        return MISSING
    total = int(_decimal(seconds, 0, "seconds"))
    sign, total = (MINUS, -total) if total < 0 else ("", total)
    if total < 60:
        return f"{sign}{total}\u00a0s"
    if total < 3600:
        minutes, secs = divmod(total, 60)
        return f"{sign}{minutes}\u00a0min {secs:02d}\u00a0s"
    hours_, minutes = divmod(int(_decimal(total / 60, 0)), 60)
    return f"{sign}{number(hours_, locale)}\u00a0h {minutes:02d}\u00a0min"


def _timestamp(value, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, value, "a date or timestamp, e.g. '2026-11-03'") from exc


def date(d, locale: str = "en_GB", *, short: bool = False) -> str:
    """A calendar date in the medium form, its month in English (3 Nov 2026, whatever the
    locale: ``names_locale``); every month in three letters (2 Sep 2024, not "Sept").
    ``short``: day and month only (3 Nov), for the ticks of a chart of days."""
    from babel.dates import format_date, format_skeleton

    if is_missing(d):
        return MISSING
    day = _timestamp(d, "d").date()
    loc = _parse(names_locale(locale))
    text = format_skeleton("dMMM", day, locale=loc) if short else format_date(day, "medium",
                                                                             locale=loc)
    # English data give September alone four letters ("2 Sept 2024" beside "3 Jun 2024"):
    # every month abbreviated to three letters, one form on the page
    return re.sub(r"\bSept\b", "Sep", text)


def month(period, locale: str = "en_GB", *, short: bool = False) -> str:
    """A month in English words whatever the locale (November 2026; ``short``: Nov 2026, for
    chart ticks and panel titles); ``period`` as YYYY-MM, a pandas Period or any date in the
    month."""
    from babel.dates import format_skeleton

    if is_missing(period):
        return MISSING
    _parse(locale)
    if isinstance(period, pd.Period):
        first = period.start_time.date()
    else:
        text = str(period)
        try:
            first = (pd.Period(text, "M").start_time.date()
                     if re.fullmatch(r"\d{4}-\d{2}", text) else _timestamp(period, "period").date())
        except ValueError as exc:
            raise ParameterError("period", period, "a month written YYYY-MM, e.g. '2026-11'"
                                 ) from exc
    text = format_skeleton("yMMM" if short else "yMMMM", first,
                           locale=_parse(names_locale(locale)))
    return re.sub(r"\bSept\b", "Sep", text)


def month_span(months, locale: str = "en_GB") -> str:
    """Months as a reader writes them: ``2025-11..2026-10`` (first..last) as "November 2025
    to October 2026", a list (or ``"2026-01, 2026-03"``) as "January 2026, March 2026"."""
    if is_missing(months):
        return MISSING
    if isinstance(months, str):
        if ".." in months:
            first, last = (m.strip() for m in months.split("..", 1))
            return f"{month(first, locale)} to {month(last, locale)}"
        months = [m.strip() for m in months.split(",") if m.strip()]
    return ", ".join(month(m, locale) for m in months)


def local_time(ts, locale: str = "en_GB", tz: str = DEFAULT_TIMEZONE) -> str:
    """A timezone-aware timestamp as the wall-clock time in ``tz`` (3 Nov 2026, 09:05).

    A naive timestamp is refused: whose clock it shows cannot be known.
    """
    from babel.dates import format_datetime

    if is_missing(ts):
        return MISSING
    stamp = _timestamp(ts, "ts")
    if stamp.tzinfo is None:
        raise ParameterError("ts", ts, "a timezone-aware timestamp (with its UTC offset)")
    try:
        local = stamp.tz_convert(tz)
    except Exception as exc:  # noqa: BLE001 - pytz/zoneinfo raise different types
        raise ParameterError("tz", tz, "an IANA time zone such as 'Europe/Paris'") from exc
    parsed = _parse(names_locale(locale))
    # The "date, time" glue around the medium date and short time patterns (English words).
    pattern = (str(parsed.datetime_formats["medium"])
               .replace("{1}", parsed.date_formats["medium"].pattern)
               .replace("{0}", parsed.time_formats["short"].pattern))
    return format_datetime(local.to_pydatetime().replace(tzinfo=None), pattern, locale=parsed)


def _words(locale: str) -> dict:
    _parse(locale)
    return _WORDS


def yes_no(flag, locale: str = "en_GB") -> str:
    """A flag as a word (Yes / No, in every locale: the reports are English), never
    True/False."""
    if is_missing(flag):
        return MISSING
    if isinstance(flag, bool | np.bool_) or (isinstance(flag, int | np.integer) and flag in (0, 1)):
        return _words(locale)["yes" if flag else "no"]
    raise ParameterError("flag", flag, "True or False (or 1 / 0)")


# ------------------------------------------------------------------------------ sentences


def compare(value, reference, *, above: str = "above", below: str = "below",
            same: str = "in line with", tolerance: float = 0.0) -> str:
    """The word that places ``value`` against ``reference``, for a sentence built from the
    same figures as the table (differences within ``tolerance`` count as ``same``)."""
    for name, x in (("value", value), ("reference", reference)):
        if is_missing(x) or isinstance(x, bool | np.bool_):
            raise ParameterError(name, x, "a number: a comparison needs both figures")
    if is_missing(tolerance) or tolerance < 0:
        raise ParameterError("tolerance", tolerance, "a number ≥ 0")
    difference = float(value) - float(reference)
    if abs(difference) <= tolerance:
        return same
    return above if difference > 0 else below


def count_phrase(n, singular: str, plural: str | None = None, *, locale: str = "en_GB",
                 zero: str | None = None) -> str:
    """``1 site``, ``3 sites``, ``no site`` (``zero`` replaces the last, e.g. 'aucun site')."""
    if isinstance(n, bool | np.bool_) or is_missing(n) or float(n) != int(n) or n < 0:
        raise ParameterError("n", n, "a whole number ≥ 0")
    n = int(n)
    if n == 0:
        return zero if zero is not None else f"no {singular}"
    return f"{number(n, locale)} {singular if n == 1 else (plural or singular + 's')}"


def share_phrase(part, whole, *, locale: str = "en_GB", decimals: int = 0) -> str:
    """``3 of 12 (25%)`` / ``3 of 12 (25 %)`` (English words, the locale's figures); without
    the percentage when ``whole`` is 0."""
    for name, x in (("part", part), ("whole", whole)):
        if isinstance(x, bool | np.bool_) or is_missing(x) or x < 0:
            raise ParameterError(name, x, "a number ≥ 0")
    if part > whole:
        raise ParameterError("part", part, f"at most whole ({whole})")
    decimals_of = 0 if float(part) == int(part) and float(whole) == int(whole) else 1
    text = (f"{number(part, locale, decimals_of)} {_words(locale)['of']} "
            f"{number(whole, locale, decimals_of)}")
    return text if not whole else text + f" ({percent(part / whole, locale, decimals)})"


# ------------------------------------------------------------------------------ tables


def _parse_unit(unit, column) -> tuple[str, int | None]:
    if not isinstance(unit, str):
        raise ParameterError(f"units[{column!r}]", unit, "one of " + ", ".join(UNITS))
    if unit in UNITS:
        return unit, None
    kind, _, digits = unit.partition(":")
    if kind in _UNITS_WITH_DECIMALS and digits.isdigit() and int(digits) <= 6:
        return kind, int(digits)
    raise ParameterError(f"units[{column!r}]", unit,
                         "one of " + ", ".join(UNITS) + " (number, percent, pp, money and hours "
                         "take ':N' decimals, e.g. 'percent:0')")


def _needed_decimals(values: pd.Series) -> int:
    """Fewest decimals that show every value of a float column exactly, at most 2 (3 when
    every value is below 1): 1541.0 -> 0, 0.7 -> 1, 0.333333 -> 2."""
    finite = values[np.isfinite(values)]
    if finite.empty:
        return 0
    cap = 3 if (finite.abs() < 1).all() else 2
    for decimals in range(cap + 1):
        if np.allclose(finite, finite.round(decimals), rtol=0, atol=1e-9):
            return decimals
    return cap


def _guess_unit(values: pd.Series) -> tuple[str, int | None]:
    """A unit for an undeclared column from its dtype (booleans as words, floats trimmed)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool", None
    if pd.api.types.is_integer_dtype(dtype):
        return "count", None
    if pd.api.types.is_float_dtype(dtype):
        return "number", _needed_decimals(values.astype(float))
    if isinstance(dtype, pd.PeriodDtype):
        return ("month", None) if dtype == pd.PeriodDtype("M") else ("text", None)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            return "time", None
        return "date", None
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta", None
    present = values.dropna()
    if len(present) and all(isinstance(v, bool | np.bool_) for v in present):
        return "bool", None
    return "text", None


def _cell(value, unit: str, decimals, locale: str, currency: str, tz: str) -> str:
    """One value as reviewer text (not yet HTML-escaped)."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):  # never True/False, whatever the unit
        return yes_no(value, locale)
    if unit == "count":
        return number(value, locale, 0)
    if unit == "number":
        if decimals is None:
            decimals = _needed_decimals(pd.Series([float(value)]))
        return number(value, locale, decimals)
    if unit == "percent":
        return percent(value, locale, 1 if decimals is None else decimals)
    if unit == "pp":
        return points(value, locale, 1 if decimals is None else decimals)
    if unit == "money":
        return money(value, locale, currency, decimals=decimals)
    if unit == "money:compact":
        return money(value, locale, currency, compact=True)
    if unit == "seconds":
        return seconds(value, locale, 0 if decimals is None else decimals)
    if unit == "duration":
        return duration(value, locale)
    if unit == "timedelta":
        return duration(pd.Timedelta(value).total_seconds(), locale)
    if unit == "hours":
        return hours(value, locale, 1 if decimals is None else decimals)
    if unit == "date":
        return date(value, locale)
    if unit == "month":
        return month(value, locale)
    if unit == "time":
        return local_time(value, locale, tz)
    if unit == "bool":
        return yes_no(value, locale)
    if isinstance(value, float | np.floating):  # a float in a text column: no 125.000000
        return number(value, locale, _needed_decimals(pd.Series([float(value)])))
    return str(value)


def _flat_label(label) -> str:
    if isinstance(label, tuple):
        return " ".join(str(part) for part in label if str(part) != "")
    return str(label)


def _without_row_numbers(df: pd.DataFrame, index: bool) -> pd.DataFrame:
    """The index as leading column(s) when it means something (named, or not row numbers),
    dropped when it only counts rows; ``index=True`` always keeps it."""
    idx = df.index
    row_numbers = (all(name is None for name in idx.names)
                   and not isinstance(idx, pd.MultiIndex)
                   and pd.api.types.is_integer_dtype(idx.dtype))
    if row_numbers and not index:
        return df.reset_index(drop=True)
    names = [name if name is not None else ("" if idx.nlevels == 1 else f"level {i}")
             for i, name in enumerate(idx.names)]
    taken = [n for n in names if n in df.columns]
    if taken:
        raise ParameterError("df", f"index named {taken[0]!r}",
                             "an index whose name is not also a column name")
    out = df.copy()
    out.index = idx.set_names(names)
    return out.reset_index()


@dataclass(frozen=True)
class Table:
    """A formatted table: ``columns`` (labels) and ``rows`` (text cells) ready to show.

    Notebooks display it as HTML (``_repr_html_``); ``str``/``repr`` give an aligned text
    form, the same for the same data (doctests, logs, the notebook's text/plain output).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    empty: str
    caption: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.rows or not self.columns

    def to_frame(self) -> pd.DataFrame:
        """The cells as a DataFrame of text (what the reviewer sees, column by column)."""
        return pd.DataFrame(list(self.rows), columns=list(self.columns), dtype=object)

    def to_html(self) -> str:
        """The table wrapped in ``div.cc-table-wrap``; every cell and label HTML-escaped."""
        if self.is_empty:
            return f'<p class="cc-table-empty">{markup.text(self.empty)}</p>'

        def attr(is_num: bool) -> str:
            return ' class="cc-num"' if is_num else ""

        head = "".join(f'<th scope="col"{attr(n)}>{markup.text(c)}</th>'
                       for c, n in zip(self.columns, self.numeric, strict=True))
        body = "".join(
            "<tr>" + "".join(f"<td{attr(n)}>{markup.text(v)}</td>"
                             for v, n in zip(row, self.numeric, strict=True)) + "</tr>"
            for row in self.rows)
        caption = f"<caption>{markup.text(self.caption)}</caption>" if self.caption else ""
        return (f'<div class="cc-table-wrap"><table class="cc-table">{caption}'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        if self.is_empty:
            return self.empty
        clean = [[markup.neutralise_bidi(c) for c in row] for row in (self.columns, *self.rows)]
        widths = [max(len(row[i]) for row in clean) for i in range(len(self.columns))]
        lines = ["  ".join(c.rjust(w) if n else c.ljust(w)
                           for c, w, n in zip(row, widths, self.numeric, strict=True)).rstrip()
                 for row in clean]
        if self.caption:
            lines.insert(0, markup.neutralise_bidi(self.caption))
        return "\n".join(lines)

    __repr__ = __str__


def table(df: pd.DataFrame, *, units: dict | None = None, locale: str = "en_GB",
          labels: dict | None = None, empty: str = DEFAULT_EMPTY, index: bool = False,
          currency: str = "EUR", tz: str = DEFAULT_TIMEZONE, caption: str | None = None
          ) -> Table:
    """``df`` formatted for reviewers: one unit per column, labels for people, no index.

    Parameters
    ----------
    units : column -> unit (see ``UNITS``); undeclared columns are formatted by dtype:
        booleans as words, integers grouped, floats with only the decimals they need.
    labels : column -> the heading reviewers read (columns not listed keep their name).
    empty : the sentence shown instead of a table with no rows.
    index : show the index even when it only numbers rows (a named or text index is
        always shown, as the first column).
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterError("df", type(df).__name__, "a pandas DataFrame")
    check_locale(locale)
    units, labels = dict(units or {}), dict(labels or {})
    if not isinstance(empty, str) or not empty.strip():
        raise ParameterError("empty", empty, "a sentence saying why there is nothing to show")
    frame = _without_row_numbers(df, index)
    names = list(frame.columns)
    for what, mapping in (("units", units), ("labels", labels)):
        unknown = [k for k in mapping if k not in names]
        if unknown:
            raise ParameterError(what, unknown[0], "a column of the table: " +
                                 ", ".join(map(_flat_label, names)))
    parsed = {c: _parse_unit(units[c], c) if c in units else _guess_unit(frame[c])
              for c in names}
    for c, (unit, decimals) in parsed.items():
        if unit == "number" and decimals is None:  # one number of decimals per column
            values = pd.to_numeric(frame[c].map(lambda v: v if not isinstance(v, bool) else None),
                                   errors="coerce").astype(float)
            parsed[c] = unit, _needed_decimals(values)
    columns = tuple(str(labels.get(c, _flat_label(c))) for c in names)
    numeric = tuple(parsed[c][0] in _NUMERIC_UNITS or parsed[c][0] == "timedelta"
                    for c in names)
    rows = tuple(
        tuple(_cell(value, *parsed[c], locale, currency, tz)
              for c, value in zip(names, values, strict=True))
        for values in frame.itertuples(index=False, name=None))
    return Table(columns, rows, numeric, empty, caption)


__all__ = ["DEFAULT_EMPTY", "MINUS", "MISSING", "NAMES_LOCALE", "UNITS", "Table", "check_locale",
           "and_list", "compare", "count_phrase", "date", "duration", "hours", "is_missing", "local_time",
           "money", "month", "month_span", "names_locale", "number", "percent", "points", "seconds",
           "share_phrase", "table", "yes_no"]
