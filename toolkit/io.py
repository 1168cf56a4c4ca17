"""Read and validate raw files, write processed ones.

Every reader accepts ``.csv`` or ``.parquet`` (by suffix), checks the header (refusing
personal-data columns), turns text into typed columns, validates the rows against
``toolkit.schemas`` and raises :class:`DataError` at the FIRST offending row, naming the file,
the row, the column, the failed check and what would be right. Nothing is written half:
``write_processed`` writes a temporary file in the target folder, then renames it.

Row numbers are those a spreadsheet shows for the CSV: header = row 1, first data row = row 2
(blank lines count, they are reported as empty cells). For Parquet, row 1 is the first row.

Time stamps and DST policy
--------------------------
* ``ds`` is an interval START with an explicit UTC offset: ``2026-10-30T08:00:00+01:00``
  (``Z`` means UTC). A naive time stamp is refused: local wall time is ambiguous at the
  October DST change and does not exist in the March one, so the file must say which instant
  it means ("add the UTC offset").
* The offset must be the one the file's clock has at that instant (Europe/Paris: +01:00 in
  winter, +02:00 in summer). The clock is ``tz=`` when given (any IANA zone, e.g.
  ``"America/New_York"`` for -05:00/-04:00 or ``"UTC"``), else the ``timezone`` of the sites
  in ``sites=`` (sites.csv) that fits the file, else Europe/Paris (the sample's clock) — and
  then a refusal names the zones that would fit. A file mixing in other offsets (UTC stamps,
  a missed DST switch, another site's clock) is refused at the first such row.
* Parsed stamps are tz-aware in ``tz``, dtype ``datetime64[us, <tz>]`` (microseconds: the
  pandas 3 default for parsed text; whole seconds in practice). Interval starts must fall on
  the ``interval_minutes`` grid of the local clock.

Calendar gaps
-------------
Closed hours and days are simply absent. A *gap* is a missing interval inside the opening
hours the data itself shows: on a day where a queue has intervals at a site, every interval
between that site's first and last interval of the day (over all its queues) must be there.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit import config, schemas
from toolkit.atomic import atomic_path
from toolkit.clock import local_clock
from toolkit.errors import DataError

__all__ = ["DataError", "Clock", "read_interval_stats", "read_volumes", "read_volumes_clocked",
           "read_sites",
           "read_provider_reports", "read_table", "write_processed", "process_raw",
           "check_known_sites"]

#: ISO 8601 local date-time, then an optional UTC offset (``Z``, ``+01:00``, ``+0100``).
_TIMESTAMP = re.compile(
    r"^\s*(?P<local>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
    r"\s*(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?\s*$")
#: The contract's own format, read on a fast path: 2026-10-30T08:00:00+01:00.
_CANONICAL = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}"


@dataclass(frozen=True)
class _Source:
    """Where rows come from: turns a 0-based table position into the row a user sees."""

    path: Path
    first_row: int

    def row(self, position: int) -> int:
        return int(position) + self.first_row

    def error(self, message: str, *, position: int | None = None, **kwargs) -> DataError:
        row = None if position is None else self.row(position)
        return DataError(message, file=self.path, row=row, **kwargs)


# --------------------------------------------------------------------------- loading
def _load(path, columns: dict[str, str], optional: tuple[str, ...] = ()
          ) -> tuple[pd.DataFrame, _Source]:
    """Read a CSV (all cells as text) or Parquet file and check its header."""
    path = config.project_path(path)
    expected_header = ", ".join(columns)
    if not path.is_file():
        raise DataError("file not found", file=path, check="file exists",
                        expected="an existing .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise DataError(f"unsupported file type '{path.suffix}'", file=path,
                        check="file type", expected="a .csv or .parquet file")
    if path.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes)", file=path, check="non-empty file",
                        expected=f"a header row ({expected_header}) and at least one data row")
    if suffix == ".csv":
        try:
            # Text first: numbers and time stamps are converted with row-level messages below.
            df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False,
                             encoding="utf-8-sig")
        except pd.errors.EmptyDataError as exc:
            raise DataError("the file has no header row", file=path, check="header",
                            expected=f"a header row ({expected_header})") from exc
        except pd.errors.ParserError as exc:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if found:
                want, line, saw = (int(g) for g in found.groups())
                raise DataError(f"the row has {saw} values but the header has {want} columns",
                                file=path, row=line, check="same number of values as columns",
                                expected="one value per header column (quote values that "
                                         "contain commas)") from exc
            raise DataError(f"the file cannot be read as CSV ({str(exc).strip()})", file=path,
                            check="CSV format",
                            expected="UTF-8 comma-separated values, one row per line") from exc
        except UnicodeDecodeError as exc:
            raise DataError(f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                            file=path, check="UTF-8 encoding",
                            expected="a CSV saved as UTF-8") from exc
        source = _Source(path, first_row=2)
    else:
        try:
            df = pd.read_parquet(path, engine="pyarrow")
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise DataError(f"the file cannot be read as Parquet ({exc})", file=path,
                            check="Parquet format",
                            expected="a Parquet file (e.g. written by toolkit.io)") from exc
        source = _Source(path, first_row=1)
    df = df.rename(columns=lambda c: str(c).strip())
    _check_header(df, columns, optional, source)
    if df.empty:
        raise source.error("the file has a header but no data rows", check="non-empty file",
                           expected="at least one data row under the header")
    return df.reset_index(drop=True), source


def _check_header(df: pd.DataFrame, columns: dict[str, str], optional: tuple[str, ...],
                  source: _Source) -> None:
    personal = schemas.personal_data_columns(df.columns)
    if personal:
        raise source.error(
            "personal data is not accepted: column(s) " + ", ".join(repr(c) for c in personal)
            + " look like data about individual people. Remove them; the toolkit only needs "
            "aggregated counts", column=personal[0], check="no personal data",
            expected="only the columns " + ", ".join(columns))
    missing = [c for c in columns if c not in df.columns and c not in optional]
    if missing:
        raise source.error("missing column(s) " + ", ".join(repr(c) for c in missing)
                           + _header_hint(df.columns, missing, columns),
                           column=missing[0], check="required columns",
                           expected="a header with " + ", ".join(columns))
    unexpected = [c for c in df.columns if c not in columns]
    if unexpected:
        raise source.error("unexpected column(s) " + ", ".join(repr(c) for c in unexpected),
                           column=unexpected[0], check="known columns only",
                           expected="only the columns " + ", ".join(columns)
                           + " (remove or rename the others)")
    duplicated = df.columns[df.columns.duplicated()].tolist()
    if duplicated:
        raise source.error(f"column '{duplicated[0]}' appears more than once",
                           column=duplicated[0], check="unique column names",
                           expected="each column once")


def _header_hint(found, missing: list[str], columns: dict[str, str]) -> str:
    """Why the expected columns are not there: wrong separator, or names that are close."""
    found = [str(c) for c in found]
    if len(found) == 1:
        for name, separator in (("semicolons", ";"), ("tabs", "\t"), ("'|'", "|")):
            if separator in found[0]:
                return (f"; the header is one single column separated by {name} (as saved by "
                        "Excel in some languages): save the file as comma-separated CSV")
    unknown = [c for c in found if c not in columns]
    close = []
    for wanted in missing:
        match = difflib.get_close_matches(wanted, unknown, n=1, cutoff=0.6)
        if match:
            close.append(f"'{match[0]}' instead of '{wanted}'")
    return "; found " + ", ".join(close) + " (a typo?)" if close else ""


# --------------------------------------------------------------------------- typed columns
def _first(mask) -> int | None:
    """Position of the first True in a boolean array, or None."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[0]) if hits.size else None


def _blank(s: pd.Series) -> np.ndarray:
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        return (s.isna() | (s.astype(str).str.strip() == "")).to_numpy()
    return s.isna().to_numpy()


def _text(df: pd.DataFrame, column: str, source: _Source, *, allow_empty: bool = False
          ) -> pd.Series:
    s = df[column]
    blank = _blank(s)
    pos = None if allow_empty else _first(blank)
    if pos is not None:
        raise source.error("empty cell", position=pos, column=column, check="not empty",
                           expected=schemas_description(column))
    text = s.astype(str).str.strip().where(~blank, "").astype(str)
    _check_invisible(text, column, source)
    _check_personal_values(text, column, source)
    return text


def _check_personal_values(text: pd.Series, column: str, source: _Source) -> None:
    """Refuse phone numbers, e-mail addresses, IBANs and customer ids in any text cell
    (columns named for personal data are refused in the header already)."""
    codes, distinct = pd.factorize(text)
    for i, value in enumerate(distinct):
        found = schemas.find_personal_data(value)
        if found:
            kind, masked = found
            raise source.error(
                f"the value looks like a {kind} ({masked}): personal data is not accepted",
                position=_first(codes == i), column=column, check="no personal data in values",
                expected="aggregated data only: replace the value by a neutral id or name")


def _check_invisible(text: pd.Series, column: str, source: _Source) -> None:
    """Refuse bidi and other control characters: invisible, they can make a report show
    something else than the data (U+202E reverses "7 540,15 €" into "51,045 7 €")."""
    from toolkit.markup import bidi_name

    codes, distinct = pd.factorize(text)  # few distinct names: check each once
    bad = [i for i, value in enumerate(distinct)
           if bidi_name(value) or any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in value)]
    if not bad:
        return
    pos = _first(np.isin(codes, bad))
    value = text.iloc[pos]
    what = bidi_name(value) or next(f"U+{ord(ch):04X} (control character)" for ch in value
                                    if ord(ch) < 32 or 127 <= ord(ch) < 160)
    shown = ascii(value)[1:-1]
    raise source.error(f"'{shown}' contains the invisible character {what}", position=pos,
                       column=column, check="no control characters in text",
                       expected="plain text: remove the invisible character (often pasted "
                                "with a name copied from a web page or a right-to-left text)")


#: Largest count read exactly: beyond 2**53 a float (and most spreadsheets) loses units.
MAX_COUNT = 2**53


def _number(df: pd.DataFrame, column: str, source: _Source, *, integer: bool,
            allow_empty: bool = False) -> pd.Series:
    """Convert a column to numbers, naming the first empty, non-numeric, non-finite,
    fractional or too large cell (quoting the cell as written)."""
    s = df[column]
    blank = _blank(s)
    if not blank.any():
        try:  # Fast path: clean text converts directly; anything odd falls through to messages.
            fast = s.astype("int64" if integer else "float64")
        except (ValueError, TypeError, OverflowError):
            pass
        else:
            if integer or np.isfinite(fast.to_numpy()).all():
                return fast
    pos = None if allow_empty else _first(blank)
    if pos is not None:
        raise source.error("empty cell", position=pos, column=column, check="not empty",
                           expected=schemas_description(column))
    values = pd.to_numeric(s.where(~blank, None), errors="coerce").astype("float64")
    raw = values.to_numpy()
    text = s.astype(str).str.strip()
    # 'nan' / 'inf' read as numbers by pandas: they are not values of any column here.
    named_nan = (text.str.lower().isin(["nan", "+nan", "-nan"]).to_numpy()) & ~blank
    pos = _first(np.isnan(raw) & ~blank & ~named_nan)
    if pos is not None:
        raise source.error(f"'{s.iloc[pos]}' is not a number", position=pos, column=column,
                           check="numeric", expected=schemas_description(column))
    pos = _first(~np.isfinite(raw) & ~blank)
    if pos is not None:
        raise source.error(f"'{s.iloc[pos]}' is not a finite number", position=pos,
                           column=column, check="finite number",
                           expected=schemas_description(column))
    if integer:
        pos = _first(np.abs(np.nan_to_num(raw)) > MAX_COUNT)
        if pos is not None:
            raise source.error(f"'{s.iloc[pos]}' is too large for a count", position=pos,
                               column=column, check=f"count up to {MAX_COUNT:,}",
                               expected="a non-negative whole number of realistic size")
        frac = values.notna().to_numpy() & (raw != np.floor(raw))
        pos = _first(frac)
        if pos is not None:
            raise source.error(f"'{s.iloc[pos]}' is not a whole number", position=pos,
                               column=column, check="integer count",
                               expected="a non-negative whole number")
        return values.astype("int64")
    return values


def schemas_description(column: str) -> str:
    """The contract text for a column (used as the 'Expected' part of messages)."""
    for table in (schemas.INTERVAL_STATS_COLUMNS, schemas.VOLUMES_COLUMNS,
                  schemas.SITES_COLUMNS, schemas.PROVIDER_REPORT_COLUMNS):
        if column in table:
            return table[column]
    return "a valid value"


def _timestamps(df: pd.DataFrame, column: str, source: _Source, tz,
                suggest: bool = False) -> pd.Series:
    """Parse interval starts under the DST policy of the module docstring.

    ``tz`` is one IANA zone or a list of candidate zones (the sites' clocks): the first whose
    offsets fit every row is used. ``suggest`` adds the zones that would fit to the error
    (for a default clock the user did not choose).
    """
    candidates = [tz] if isinstance(tz, str) else list(tz)
    tz = candidates[0]
    s = df[column]
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        # A Parquet column carries its zone: keep it when no clock was asked for or it is one
        # of the sites' clocks.
        stored = str(s.dt.tz)
        keep = stored if (suggest or stored in candidates) else tz
        return s.dt.tz_convert(keep).dt.as_unit(schemas.TIMESTAMP_UNIT)
    if pd.api.types.is_datetime64_dtype(s.dtype):
        raise source.error("time stamps have no UTC offset (naive)", position=0, column=column,
                           check="explicit UTC offset",
                           expected=f"tz-aware time stamps; add the UTC offset ({tz} clock)")
    pos = _first(_blank(s))
    if pos is not None:
        raise source.error("empty cell", position=pos, column=column, check="not empty",
                           expected=schemas_description(column))
    text = s.astype(str)
    if text.str.fullmatch(_CANONICAL).to_numpy(dtype=bool).all():
        # Fast path for the contract's own format (vectorised slicing, no regex groups).
        local_text, offset_text = text.str.slice(0, 19), text.str.slice(19)
    else:
        parts = text.str.extract(_TIMESTAMP)
        pos = _first(parts["local"].isna().to_numpy())
        if pos is not None:
            raise source.error(f"cannot read '{text.iloc[pos]}' as a time stamp", position=pos,
                               column=column, check="ISO 8601 time stamp",
                               expected="an ISO 8601 time stamp with UTC offset, e.g. "
                                        "2026-10-30T08:00:00+01:00")
        pos = _first(parts["offset"].isna().to_numpy())
        if pos is not None:
            raise source.error(
                f"time stamp '{text.iloc[pos]}' has no UTC offset; add the offset, e.g. "
                f"'{parts['local'].iloc[pos].replace(' ', 'T')}+01:00' in winter or +02:00 in "
                f"summer for Europe/Paris (the offset of the {tz} clock at that time)",
                position=pos, column=column,
                check="explicit UTC offset",
                expected="ISO 8601 with offset, e.g. 2026-10-30T08:00:00+01:00")
        local_text = parts["local"].str.replace(" ", "T", regex=False)
        offset_text = parts["offset"]
    local = pd.to_datetime(local_text, format="ISO8601", errors="coerce")
    pos = _first(local.isna().to_numpy())
    if pos is not None:
        raise source.error(f"'{text.iloc[pos]}' is not a valid date and time", position=pos,
                           column=column, check="ISO 8601 time stamp",
                           expected="a real calendar date and time with UTC offset")
    # Few distinct offsets: parse each once.
    codes, distinct = pd.factorize(offset_text)
    offset = np.array([_offset_minutes(o) for o in distinct], dtype=np.int64)[codes]
    utc = (local - pd.to_timedelta(offset, unit="min")).dt.tz_localize("UTC")
    failures = []
    for zone in candidates:
        clock, pos, right = _clock_check(utc, offset, zone)
        if pos is None:
            return clock.dt.as_unit(schemas.TIMESTAMP_UNIT)
        failures.append((zone, clock, pos, right))
    tz, clock, pos, right = failures[0]
    as_written = f"{local.iloc[pos].strftime('%Y-%m-%dT%H:%M:%S')}{right}"
    same_instant = f"{clock.iloc[pos].strftime('%Y-%m-%dT%H:%M:%S')}{right}"
    tried = (f" (nor any other clock of the sites: {', '.join(candidates[1:])})"
             if len(candidates) > 1 else "")
    fits = _fitting_zones(utc, offset) if suggest or len(candidates) > 1 else []
    hint = (f"; the file looks kept in another clock: {', '.join(fits[:6])} fit every time "
            "stamp — give the file's time zone (tz=..., the notebook parameter 'timezone', or "
            "the site's timezone in sites.csv)" if fits else "")
    raise source.error(
        f"time stamp '{text.iloc[pos]}' has offset {_format_offset(offset[pos])}, which is "
        f"not the {tz} offset at that instant ({right}){tried}: offsets are mixed, the DST "
        f"switch was missed, or the file is in another clock{hint}", position=pos,
        column=column, check=f"UTC offset valid for {tz}",
        expected=f"'{as_written}' if the local time is right, or '{same_instant}' for "
                 f"the same instant; keep every time stamp in one clock and name it (tz "
                 "parameter, or the site's timezone in sites.csv)")


def _clock_check(utc: pd.Series, offset: np.ndarray, tz: str):
    """(local clock, first row whose offset is not ``tz``'s or None, ``tz``'s offset there)."""
    clock = utc.dt.tz_convert(tz)
    clock_offset = ((clock.dt.tz_localize(None) - utc.dt.tz_localize(None))
                    .dt.total_seconds().to_numpy() // 60).astype(int)
    pos = _first(clock_offset != offset)
    return clock, pos, (None if pos is None else _format_offset(clock_offset[pos]))


def _fitting_zones(utc: pd.Series, offset: np.ndarray) -> list[str]:
    """Representative IANA zones whose offset matches every row (tzdata's zonenow.tab: one
    zone per region keeping the same time today), checked on the rows around offset changes.
    """
    from importlib import resources

    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zonenow.tab").read_text()
        zones = [line.split("\t")[2] for line in text.splitlines()
                 if line and not line.startswith("#")]
    except (ModuleNotFoundError, FileNotFoundError, IndexError):
        from zoneinfo import available_timezones
        zones = sorted(z for z in available_timezones() if "/" in z)
    change = np.r_[True, offset[1:] != offset[:-1]]
    keep = np.flatnonzero(change | np.r_[change[1:], True])
    keep = keep[:: max(1, len(keep) // 400)]
    u, o = utc.iloc[keep].reset_index(drop=True), offset[keep]
    fits = []
    for zone in zones:
        try:
            if _clock_check(u, o, zone)[1] is None:
                fits.append(zone)
        except (KeyError, ValueError):
            continue
    return fits


def _offset_minutes(text: str) -> int:
    """Minutes east of UTC for ``Z``, ``+01``, ``+0100`` or ``+01:00``."""
    if text == "Z":
        return 0
    digits = text.replace(":", "")
    sign = -1 if digits[0] == "-" else 1
    return sign * (int(digits[1:3]) * 60 + int(digits[3:5] or 0))


def _format_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(int(minutes)) // 60:02d}:{abs(int(minutes)) % 60:02d}"


def _dates(df: pd.DataFrame, column: str, source: _Source, *, allow_empty: bool) -> pd.Series:
    s = _text(df, column, source, allow_empty=allow_empty)
    values = pd.to_datetime(s.where(s != "", None), format="%Y-%m-%d", errors="coerce")
    pos = _first(values.isna().to_numpy() & (s != "").to_numpy())
    if pos is not None:
        raise source.error(f"'{s.iloc[pos]}' is not a date", position=pos, column=column,
                           check="date YYYY-MM-DD", expected=schemas_description(column))
    return values.astype("datetime64[us]")


# --------------------------------------------------------------------------- row rules
def _validate(schema: pa.DataFrameSchema, df: pd.DataFrame, source: _Source) -> pd.DataFrame:
    """Run a pandera schema and turn its first failure into a DataError at the first row."""
    try:
        return schema.validate(df, lazy=False)
    except pa.errors.SchemaError as exc:
        cases = exc.failure_cases if isinstance(exc.failure_cases, pd.DataFrame) else None
        position = column = value = None
        if isinstance(exc.schema, pa.Column):
            column = exc.schema.name
        if cases is not None and "index" in cases and cases["index"].notna().any():
            position = int(cases["index"].dropna().min())
            at = cases[cases["index"] == position]
            value = at["failure_case"].iloc[0] if column is not None else None
        check = getattr(exc.check, "name", None) or str(exc.check)
        statistics = getattr(exc.check, "statistics", None) or {}
        shown_stats = [str(statistics[k]) for k in ("min_value", "max_value", "allowed_values")
                       if k in statistics]
        if shown_stats:  # built-in checks: show their bounds, e.g. greater_than_or_equal_to(0)
            check += "(" + ", ".join(shown_stats) + ")"
        expected = getattr(exc.check, "error", None) or schemas_description(column or "")
        if column is None and position is not None:
            # Row rule over several columns: show the values involved, and name the first
            # column of the rule (the one the rule is about, e.g. abandon_wait_s).
            named = re.findall(r"[a-z_]+", check or "")
            shown = {c: df[c].iloc[position] for c in df.columns if c in set(named)}
            column = next((c for c in named if c in df.columns), None)
            what = "row breaks the rule " + check + (
                " (" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")" if shown else "")
        elif position is not None:
            shown = value.item() if hasattr(value, "item") else value
            what = f"value {shown!r} fails the check"
        else:
            what = f"column fails the check ({exc})"
        raise source.error(what, position=position, column=column, check=check,
                           expected=expected) from None


def _check_duplicates(df: pd.DataFrame, keys: list[str], source: _Source, what: str) -> None:
    dup = df.duplicated(keys, keep="first").to_numpy()
    pos = _first(dup)
    if pos is None:
        return
    same = (df[keys] == df[keys].iloc[pos]).all(axis=1).to_numpy()
    earlier = _first(same)
    key_text = ", ".join(f"{k}={_show(df[k].iloc[pos])}" for k in keys)
    raise source.error(f"duplicate {what} ({key_text}): same as row {source.row(earlier)}",
                       position=pos, column=keys[0], check=f"unique ({', '.join(keys)})",
                       expected=f"one row per {', '.join(keys)}")


def _show(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _check_grid(ds: pd.Series, interval_minutes: int, source: _Source) -> pd.Series:
    """Interval starts on the local ``interval_minutes`` grid; returns minutes since midnight."""
    local = local_clock(ds)
    minute_of_day = ((local - local.dt.normalize()).dt.total_seconds() / 60).to_numpy()
    pos = _first(minute_of_day % interval_minutes != 0)
    if pos is not None:
        raise source.error(f"'{ds.iloc[pos].isoformat()}' is not an interval start",
                           position=pos, column="ds",
                           check=f"{interval_minutes}-minute interval grid",
                           expected=f"starts at :00 or :{interval_minutes:02d} past the hour "
                                    "(or read with interval_minutes=...)"
                           if interval_minutes == 30 else
                           f"starts on the {interval_minutes}-minute grid")
    return pd.Series(minute_of_day.astype(np.int64) // interval_minutes, index=ds.index)


def _check_gaps(ds: pd.Series, series: pd.DataFrame, clock: pd.Series, source: _Source,
                interval_minutes: int) -> None:
    """Missing intervals inside the opening hours the data shows (see module docstring).

    ``series`` holds the series keys (queue[, site]); ``clock`` the column whose intervals
    define a day's opening hours (site, or a constant for volumes). Slots count the time
    elapsed since local midnight, so a DST day follows the site's clock: 46 half-hours on
    the spring-forward day (02:00-02:59 does not exist), 50 on the fall-back day.
    """
    _check_grid(ds, interval_minutes, source)
    day = local_clock(ds).dt.normalize()
    # Local midnight as an instant (DST changes never fall on midnight in Europe; where they
    # do, the first midnight counts and a missing one moves to the first valid instant).
    midnight = day.dt.tz_localize(ds.dt.tz, ambiguous=np.ones(len(day), dtype=bool),
                                  nonexistent="shift_forward")
    elapsed_min = ((ds - midnight).dt.total_seconds() // 60).to_numpy()
    slot = (elapsed_min // interval_minutes).astype(np.int64)
    frame = series.assign(_day=day.to_numpy(), _slot=slot, _clock=clock.to_numpy())
    span = frame.groupby(["_clock", "_day"], sort=False)["_slot"].agg(["min", "max"])
    keys = [*series.columns, "_day"]
    grouped = frame.groupby(keys, sort=False)
    counts = grouped["_slot"].agg(["size", "nunique"])
    counts = counts.join(grouped["_clock"].first().rename("_clock"))
    expected = span.reindex(pd.MultiIndex.from_arrays(
        [counts["_clock"].to_numpy(), counts.index.get_level_values("_day")]))
    lo_g, hi_g = expected["min"].to_numpy(), expected["max"].to_numpy()
    short = counts["nunique"].to_numpy() < (hi_g - lo_g + 1)
    if not short.any():
        return
    # Error path, linear in the rows: for each short series-day the first missing slot, then
    # the row that follows it; the error names the one earliest in the file.
    gid = grouped.ngroup().to_numpy()  # numbered like ``counts`` rows (order of appearance)
    rows = np.flatnonzero(short[gid])
    sub = pd.DataFrame({"g": gid[rows], "slot": slot[rows], "pos": rows})
    uniq = sub.drop_duplicates(["g", "slot"]).sort_values(["g", "slot"], kind="stable")
    want = lo_g[uniq["g"].to_numpy()] + uniq.groupby("g", sort=False).cumcount().to_numpy()
    mismatch = uniq["slot"].to_numpy() != want
    missing = pd.Series(lo_g + counts["nunique"].to_numpy(), dtype="int64")  # gap at the end
    first_gap = pd.Series(want[mismatch], index=uniq["g"].to_numpy()[mismatch])
    first_gap = first_gap[~first_gap.index.duplicated(keep="first")]
    missing.loc[first_gap.index] = first_gap.to_numpy()
    after = sub["slot"].to_numpy() > missing.to_numpy()[sub["g"].to_numpy()]
    anchor = sub.groupby("g")["pos"].max()
    anchor.update(sub[after].groupby("g")["pos"].min())
    g = int(anchor.idxmin())
    position, gap = int(anchor.loc[g]), int(missing.loc[g])
    key = counts.index[g]
    day_start = midnight.iloc[position]
    lo, hi = int(lo_g[g]), int(hi_g[g])

    def local(s: int) -> pd.Timestamp:
        return day_start + pd.Timedelta(minutes=s * interval_minutes)

    names = ", ".join(f"{k}={v}" for k, v in zip(series.columns, key[:-1], strict=True))
    raise source.error(
        f"gap: interval {local(gap):%Y-%m-%d %H:%M} (local) is missing for {names}, although "
        f"that day has intervals from {local(lo):%H:%M} to {local(hi):%H:%M}; this row is the "
        "next one of that series", position=position, column="ds",
        check="no missing interval in opening hours",
        expected="every interval between the first and last interval of the day (closed days "
                 "and hours are simply absent)")


# --------------------------------------------------------------------------- readers
def read_interval_stats(path, *, queues=schemas.QUEUES, tz: str | None = None, sites=None,
                        interval_minutes: int = schemas.INTERVAL_MINUTES) -> pd.DataFrame:
    """Read and validate ``interval_stats`` (.csv or .parquet): one row per ds, queue, site.

    Returns the contract columns with ``ds`` tz-aware in the file's clock and int64 counts,
    sorted by ``ds, queue, site``. ``queues=None`` accepts any queue name (own data). The
    optional ``abandon_wait_s`` comes back as float64 seconds (NaN where a cell was empty) when
    the file has it, and is absent otherwise.

    The clock: ``tz`` when given; else the ``timezone`` of the ``sites`` (a sites table or
    path) used in the file — with sites in several zones, the one whose offsets fit every row
    (a file has one clock); else Europe/Paris, the sample's clock, and an error that names
    the zones fitting the offsets when it is not.
    """
    df, source = _load(path, schemas.INTERVAL_STATS_COLUMNS,
                       optional=schemas.INTERVAL_OPTIONAL_COLUMNS)
    site_ids = df["site"].astype(str).str.strip().unique() if "site" in df else None
    candidates, suggest = _clock_candidates(tz, sites, site_ids)
    ds = _timestamps(df, "ds", source, candidates, suggest)
    typed = pd.DataFrame({
        "ds": ds,
        "queue": _text(df, "queue", source),
        "site": _text(df, "site", source),
    } | {c: _number(df, c, source, integer=True) for c in schemas.INTERVAL_COUNT_COLUMNS})
    if "abandon_wait_s" in df.columns:  # optional: a file without it reads as before
        typed["abandon_wait_s"] = _number(df, "abandon_wait_s", source, integer=False,
                                          allow_empty=True)
    typed = _validate(schemas.interval_stats_schema(queues, str(ds.dt.tz)), typed, source)
    _check_duplicates(typed, ["ds", "queue", "site"], source, "interval")
    _check_gaps(typed["ds"], typed[["queue", "site"]], typed["site"], source, interval_minutes)
    return typed.sort_values(["ds", "queue", "site"], kind="stable").reset_index(drop=True)


def _clock_candidates(tz, sites, site_ids=None) -> tuple[list[str], bool]:
    """The clock(s) a file may be kept in, and whether it was a default (suggest others)."""
    if tz:
        return [str(tz)], False
    if sites is not None:
        frame = sites if isinstance(sites, pd.DataFrame) else read_sites(sites)
        if site_ids is not None and frame["site"].isin(site_ids).any():
            frame = frame[frame["site"].isin(site_ids)]
        zones = frame["timezone"].value_counts(sort=True)
        if len(zones):
            return [str(z) for z in zones.index], False
    return [config.DEFAULT_TIMEZONE], True


def volumes_from_stats(stats: pd.DataFrame) -> pd.DataFrame:
    """Tidy volumes from interval stats: calls = offered over sites, aht_s = handle / answered.

    ``aht_s`` is NaN where no call was answered in the interval (no handle time to average).
    """
    agg = stats.groupby(["ds", "queue"], sort=True, observed=True)[
        ["offered", "answered", "handle_time_s"]].sum().reset_index()
    answered = agg["answered"].to_numpy(dtype=float)
    aht = np.divide(agg["handle_time_s"].to_numpy(dtype=float), answered,
                    out=np.full(len(agg), np.nan), where=answered > 0)
    return pd.DataFrame({"ds": agg["ds"], "queue": agg["queue"].astype(str),
                         "calls": agg["offered"].astype("int64"), "aht_s": aht})


def read_volumes(path, *, queues=None, tz: str | None = None, sites=None,
                 interval_minutes: int = schemas.INTERVAL_MINUTES) -> pd.DataFrame:
    """Validated tidy volumes ``ds, queue, calls, aht_s``: one row per open interval and queue.

    ``path`` is either an ``interval_stats`` file (summed over sites) or an own volumes file
    with columns ``ds, queue, calls`` and optionally ``aht_s``. ``queues=None`` accepts any
    queue name. The clock (``tz``, ``sites``) as in :func:`read_interval_stats`: any time
    zone is accepted once it is named, e.g. ``tz="America/New_York"`` for -05:00/-04:00.
    """
    path = config.project_path(path)
    header = _peek_header(path)
    if header is not None and "calls" in header:
        df, source = _load(path, schemas.VOLUMES_COLUMNS, optional=("aht_s",))
        candidates, suggest = _clock_candidates(tz, sites)
        aht = (_number(df, "aht_s", source, integer=False, allow_empty=True)
               if "aht_s" in df.columns else pd.Series(np.nan, index=df.index))
        ds = _timestamps(df, "ds", source, candidates, suggest)
        typed = pd.DataFrame({"ds": ds,
                              "queue": _text(df, "queue", source),
                              "calls": _number(df, "calls", source, integer=True),
                              "aht_s": aht})
        typed = _validate(schemas.volumes_schema(queues, str(ds.dt.tz)), typed, source)
        _check_duplicates(typed, ["ds", "queue"], source, "interval")
        _check_gaps(typed["ds"], typed[["queue"]], pd.Series("all", index=typed.index),
                    source, interval_minutes)
        return typed.sort_values(["ds", "queue"], kind="stable").reset_index(drop=True)
    stats = read_interval_stats(path, queues=queues, tz=tz, sites=sites,
                                interval_minutes=interval_minutes)
    return volumes_from_stats(stats)


@dataclass(frozen=True)
class Clock:
    """The clock and holiday calendar of a volumes file, and where each came from."""

    timezone: str
    holiday_country: str | None
    source: str


def read_volumes_clocked(path, *, sites=None, timezone: str | None = None,
                         holiday_country: str | None = None, queues=None
                         ) -> tuple[pd.DataFrame, Clock]:
    """:func:`read_volumes` plus the file's :class:`Clock` (time zone and holiday country).

    The time zone is ``timezone`` when given, else the clock of the ``sites`` (sites.csv)
    that fits the file; the holiday country is ``holiday_country`` when given, else the
    ``holiday_calendar`` (locations.yaml) of the sites on that clock. A volumes file without
    sites must name both (notebook parameters ``timezone`` and ``holiday_country``): nothing
    falls back to Europe/Paris and French holidays silently.
    """
    from toolkit import calendars
    from toolkit.errors import ParameterError

    site_table = None
    if sites is not None:
        site_table = sites if isinstance(sites, pd.DataFrame) else read_sites(sites)
    if timezone is None and site_table is None:
        raise ParameterError("timezone", None,
                             "the IANA time zone of the volumes file (e.g. 'Europe/Paris', "
                             "'America/New_York'), or a sites file whose sites carry it")
    volumes = read_volumes(path, queues=queues, tz=timezone, sites=site_table)
    tz = str(volumes["ds"].dt.tz)
    tz_source = "parameter timezone" if timezone else "sites file"
    if holiday_country is not None:
        country = str(holiday_country).strip().upper() or None
        country_source = "parameter holiday_country"
    elif site_table is not None:
        on_clock = site_table[site_table["timezone"] == tz]
        countries = sorted({calendars.calendar_for_location(loc)["country"] or ""
                            for loc in on_clock["location"]})
        if len(countries) != 1:
            raise ParameterError("holiday_country", None,
                                 f"a holiday calendar code: the sites on the {tz} clock use "
                                 f"{', '.join(countries) or 'none'}; name the one the "
                                 "callers' demand follows (e.g. 'FR')")
        country = countries[0] or None
        country_source = f"holiday_calendar of the {tz} sites (" + ", ".join(
            on_clock["site"]) + ")"
    else:
        raise ParameterError("holiday_country", None,
                             "the holiday calendar of the volumes file (ISO code such as "
                             "'FR' or 'US', '' for none), or a sites file")
    return volumes, Clock(tz, country, f"time zone from {tz_source}; holidays from "
                                       f"{country_source}")


def _peek_header(path: Path) -> list[str] | None:
    """Column names without reading the data (None when the file is missing or empty)."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    with path.open(encoding="utf-8-sig") as handle:
        return [c.strip() for c in handle.readline().rstrip("\r\n").split(",")]


def read_sites(path) -> pd.DataFrame:
    """Read and validate ``sites`` (.csv or .parquet): one row per site, unique ids.

    ``opened``/``closed`` become dates (``datetime64[us]``, ``closed`` NaT while open);
    ``queues`` stays the ``;``-separated text (split it with ``.str.split(';')``).
    """
    from zoneinfo import available_timezones

    df, source = _load(path, schemas.SITES_COLUMNS)
    typed = pd.DataFrame({c: _text(df, c, source) for c in
                          ("site", "site_name", "provider", "location", "engagement_form",
                           "timezone", "queues")})
    typed["queues"] = typed["queues"].str.replace(r"\s*;\s*", ";", regex=True)
    typed["opened"] = _dates(df, "opened", source, allow_empty=False)
    typed["closed"] = _dates(df, "closed", source, allow_empty=True)
    typed = _validate(schemas.sites_schema(), typed, source)
    _check_duplicates(typed, ["site"], source, "site id")
    zones = available_timezones()
    pos = _first(~typed["timezone"].isin(zones).to_numpy())
    if pos is not None:
        raise source.error(f"unknown time zone '{typed['timezone'].iloc[pos]}'", position=pos,
                           column="timezone", check="IANA time zone",
                           expected="an IANA name such as Europe/Paris or Africa/Casablanca")
    pos = _first(typed["queues"].str.split(";").map(lambda q: "" in q).to_numpy())
    if pos is not None:
        raise source.error(f"queue list '{typed['queues'].iloc[pos]}' has an empty item",
                           position=pos, column="queues", check="queue list",
                           expected="queue names separated by ';', e.g. sales;care")
    return typed.sort_values("site", kind="stable").reset_index(drop=True)


def read_provider_reports(path) -> pd.DataFrame:
    """Read and validate monthly ``provider_reports`` (.csv or .parquet).

    ``month`` becomes a monthly ``Period``; fractions and amounts become floats (NaN where a
    KPI does not apply); one row per month and site.
    """
    df, source = _load(path, schemas.PROVIDER_REPORT_COLUMNS,
                       optional=schemas.REPORT_WEIGHT_COLUMNS)
    month_text = _text(df, "month", source)
    pos = _first(~month_text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").to_numpy())
    if pos is not None:
        raise source.error(f"'{month_text.iloc[pos]}' is not a month", position=pos,
                           column="month", check="month YYYY-MM", expected="YYYY-MM, e.g. 2026-10")
    typed = pd.DataFrame({"month": pd.PeriodIndex(month_text, freq="M"),
                          "site": _text(df, "site", source),
                          "provider": _text(df, "provider", source)})
    for col in schemas.REPORT_FRACTION_COLUMNS:
        typed[col] = _number(df, col, source, integer=False,
                             allow_empty=col in schemas.REPORT_OPTIONAL_FRACTIONS)
    for col in ("nps", "billed_hours", "invoice_eur"):
        typed[col] = _number(df, col, source, integer=False)
    typed["contacts_handled"] = _number(df, "contacts_handled", source, integer=True)
    for col in schemas.REPORT_WEIGHT_COLUMNS:  # optional: a file without them reads as before
        if col in df.columns:
            typed[col] = _number(df, col, source, integer=False, allow_empty=True)
    typed = _validate(schemas.provider_reports_schema(), typed, source)
    _check_duplicates(typed, ["month", "site"], source, "report")
    return typed.sort_values(["month", "site"], kind="stable").reset_index(drop=True)


#: Raw file stem -> reader, in the order ``process_raw`` handles them.
READERS = {"interval_stats": read_interval_stats, "sites": read_sites,
           "provider_reports": read_provider_reports}


def read_table(path, **kwargs) -> pd.DataFrame:
    """Read any contract file (.csv or .parquet), choosing the reader by its name.

    ``interval_stats.*``, ``volumes.*``, ``sites.*`` or ``provider_reports.*``.
    """
    path = config.project_path(path)
    readers = READERS | {"volumes": read_volumes}
    if path.stem not in readers:
        raise DataError(f"no reader for a file named '{path.name}'", file=path,
                        check="known file name",
                        expected="one of " + ", ".join(f"{k}.csv / {k}.parquet" for k in readers))
    return readers[path.stem](path, **kwargs)


# --------------------------------------------------------------------------- writing
def write_processed(df: pd.DataFrame, path) -> Path:
    """Write ``df`` to Parquet atomically (``toolkit.atomic``: mode 0644, meant to be shared)."""
    path = config.project_path(path)
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, engine="pyarrow", index=False)
    return path


def check_known_sites(table: pd.DataFrame, sites: pd.DataFrame, *, file, sites_file) -> None:
    """Every site id used in ``table`` must be listed in sites.csv (the two files agree)."""
    known = set(sites["site"])
    unknown = sorted(set(table["site"].unique()) - known)
    if unknown:
        rows = int(table["site"].isin(unknown).sum())
        raise DataError(f"site id(s) {', '.join(map(repr, unknown))} ({rows:,} rows) are not "
                        f"listed in {sites_file}", file=file, column="site",
                        check="site ids listed in sites.csv",
                        expected=f"one of {', '.join(sorted(known))}, or add the site to "
                                 f"{Path(sites_file).name}")


def process_raw(raw_dir=config.DATA_RAW, processed_dir=config.DATA_PROCESSED) -> dict[str, Path]:
    """Validate every contract CSV in ``raw_dir`` and write one Parquet per file.

    Also writes ``volumes.parquet`` (tidy ``ds, queue, calls, aht_s``) from interval_stats.
    Everything is read and validated before anything is written, so a bad file leaves
    ``processed_dir`` untouched.
    """
    raw, processed = config.project_path(raw_dir), config.project_path(processed_dir)
    tables = {stem: reader(raw / f"{stem}.csv") for stem, reader in READERS.items()
              if (raw / f"{stem}.csv").exists()}
    if not tables:
        raise DataError("no raw data file found", file=raw, check="raw files present",
                        expected="at least one of " + ", ".join(f"{s}.csv" for s in READERS))
    if "sites" in tables:
        for stem in ("interval_stats", "provider_reports"):
            if stem in tables:
                check_known_sites(tables[stem], tables["sites"], file=raw / f"{stem}.csv",
                                  sites_file=raw / "sites.csv")
    if "interval_stats" in tables:
        tables["volumes"] = volumes_from_stats(tables["interval_stats"])
    return {stem: write_processed(df, processed / f"{stem}.parquet")
            for stem, df in tables.items()}


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m toolkit.io --raw data/raw --processed data/processed``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m toolkit.io",
                                     description="Validate raw files and write processed Parquet.")
    parser.add_argument("--raw", default=str(config.DATA_RAW), help="raw folder (CSV)")
    parser.add_argument("--processed", default=str(config.DATA_PROCESSED),
                        help="processed folder (Parquet)")
    args = parser.parse_args(argv)
    try:
        written = process_raw(args.raw, args.processed)
    except DataError as error:
        print(f"error: {error}")
        return 2
    for name, path in written.items():
        print(f"{name:17s} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
