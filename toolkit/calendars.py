"""Site calendars: public holidays, open days and special opening patterns, in one place.

Why one module: the forecast (which days are closed), the long-horizon outlook (calls per open
day x open days of each future month) and the planning basis (paid public holidays per
location) must agree on what a site's calendar is. Everything that needs a holiday reads it
here; a location selects its calendar through ``holiday_calendar`` in ``locations.yaml``.

- Public holidays: the ``holidays`` package, names in English where it has them.
- Special patterns (``reference/calendars.yaml``, each figure with source and flag): Ramadan
  reduced hours (Morocco, Tunisia; the window is the 30 days before the package's first day
  of Eid al-Fitr, so it is approximate to a day) and Friday half-days where they apply.
- A country the package does not know raises :class:`ParameterError`, or with
  ``missing="warn"`` gives a :class:`CalendarWarning` and no holidays (explicit, never silent).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from toolkit import config
from toolkit.clock import local_clock
from toolkit.errors import ParameterError

CALENDARS_FILE = config.REFERENCE / "calendars.yaml"
LOCATIONS_FILE = config.REFERENCE / "locations.yaml"
#: Usual open weekdays of the sample sites (0 = Monday): Monday to Saturday.
DEFAULT_OPEN_WEEKDAYS = (0, 1, 2, 3, 4, 5)
#: Days of Ramadan counted before the first day of Eid al-Fitr (29 or 30 in reality).
RAMADAN_DAYS = 30
_EID_AL_FITR = "eid al-fitr"


class CalendarWarning(UserWarning):
    """A calendar is missing or approximate (unknown country, Ramadan window +-1 day)."""


# ----------------------------------------------------------------------------- reference
@cache
def _reference(path: str | None = None) -> dict:
    file = Path(path) if path else CALENDARS_FILE
    with open(file, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def country_patterns(country: str | None) -> list[dict]:
    """Special opening patterns of ``country`` from ``calendars.yaml`` (empty if none)."""
    if not country:
        return []
    entry = _reference()["countries"].get(str(country).upper())
    return list(entry.get("patterns", [])) if entry else []


def default_hours() -> str:
    """Usual opening hours ``"HH:MM-HH:MM"`` (reference figure, override per site)."""
    return _reference()["default_hours"]["value"]


# ----------------------------------------------------------------------------- holidays
def _years(years) -> list[int]:
    if isinstance(years, (int, np.integer)):
        return [int(years)]
    try:
        out = sorted({int(y) for y in years})
    except (TypeError, ValueError) as exc:
        raise ParameterError("years", years, "a year or a list of years, e.g. [2026, 2027]") \
            from exc
    if not out:
        raise ParameterError("years", years, "at least one year")
    return out


def _country_calendar(country: str, years: list[int]):
    import holidays as holidays_pkg

    code = str(country).upper()
    try:
        return holidays_pkg.country_holidays(code, years=years, language="en_US")
    except NotImplementedError as exc:
        raise ParameterError("country", country,
                             "an ISO 3166 country code the holidays package knows, e.g. 'FR', "
                             "'MA', 'TN', 'MU', 'SN', 'US' (or None for a site without public "
                             "holidays)") from exc


def public_holidays(country: str | None, years, *, missing: str = "raise") -> pd.DataFrame:
    """Public holidays of ``country`` in ``years``: ``date`` (datetime64, midnight), ``name``.

    Parameters
    ----------
    country : ISO 3166 code (``"FR"``, ``"MA"`` ...); None or "" means no holidays.
    years : a year or an iterable of years.
    missing : ``"raise"`` (default) raises :class:`ParameterError` for a country the holidays
        package does not know; ``"warn"`` returns no holidays with a :class:`CalendarWarning`
        saying so, for reports that must go on but say the calendar is missing.
    """
    if missing not in ("raise", "warn"):
        raise ParameterError("missing", missing, "'raise' or 'warn'")
    empty = pd.DataFrame({"date": pd.DatetimeIndex([], dtype="datetime64[ns]"),
                          "name": pd.Series([], dtype=str)})
    if not country:
        return empty
    years = _years(years)
    try:
        cal = _country_calendar(country, years)
    except ParameterError:
        if missing == "raise":
            raise
        warnings.warn(f"country {country!r} has no public-holiday calendar in the holidays "
                      "package: no public holidays are counted (every usual weekday is open).",
                      CalendarWarning, stacklevel=2)
        return empty
    items = sorted(cal.items())
    return pd.DataFrame({"date": pd.to_datetime([d for d, _ in items]).astype("datetime64[ns]"),
                         "name": [str(n) for _, n in items]})


def holiday_dates(country: str | None, first_year: int, last_year: int, *,
                  missing: str = "raise") -> pd.DatetimeIndex:
    """The dates of :func:`public_holidays` over ``first_year..last_year`` (for calendars)."""
    table = public_holidays(country, range(first_year, last_year + 1), missing=missing)
    return pd.DatetimeIndex(table["date"])


def ramadan_windows(country: str | None, years) -> pd.DataFrame:
    """Ramadan per year: ``year, start, end, eid`` (dates), from the first day of Eid al-Fitr.

    Ramadan is taken as the :data:`RAMADAN_DAYS` (30) days before the first day of Eid al-Fitr
    in ``country``'s calendar: the month lasts 29 or 30 days by moon sighting, so the start is
    approximate to a day. Countries whose calendar has no Eid al-Fitr give an empty table.
    """
    years = _years(years)
    if not country:
        return pd.DataFrame(columns=["year", "start", "end", "eid"])
    cal = _country_calendar(country, years)
    rows = []
    for year in years:
        eids = sorted(d for d, n in cal.items() if d.year == year
                      and any(part.strip().lower().startswith(_EID_AL_FITR)
                              and "holiday" not in part.lower() for part in str(n).split(";")))
        if eids:
            eid = pd.Timestamp(eids[0])
            rows.append({"year": year, "start": eid - pd.Timedelta(days=RAMADAN_DAYS),
                         "end": eid - pd.Timedelta(days=1), "eid": eid})
    return pd.DataFrame(rows, columns=["year", "start", "end", "eid"])


# ----------------------------------------------------------------------------- day tables
def _check_weekdays(open_weekdays) -> tuple[int, ...]:
    try:
        out = tuple(sorted({int(w) for w in open_weekdays}))
    except (TypeError, ValueError) as exc:
        raise ParameterError("open_weekdays", open_weekdays,
                             "weekday numbers 0 (Monday) to 6 (Sunday), e.g. (0, 1, 2, 3, 4, 5)"
                             ) from exc
    if not out or out[0] < 0 or out[-1] > 6:
        raise ParameterError("open_weekdays", open_weekdays,
                             "weekday numbers 0 (Monday) to 6 (Sunday), at least one")
    return out


def _check_hours(text: str, name: str) -> tuple[str, str]:
    try:
        opens, closes = (part.strip() for part in str(text).split("-"))
        o, c = pd.Timedelta(opens + ":00"), pd.Timedelta(closes + ":00")
    except (ValueError, TypeError) as exc:
        raise ParameterError(name, text, "opening hours as 'HH:MM-HH:MM', e.g. '08:00-20:00'") \
            from exc
    if not pd.Timedelta(0) <= o < c <= pd.Timedelta("24h"):
        raise ParameterError(name, text, "opening before closing, within the day")
    return opens, closes


def _dates(start, end, name_start="start", name_end="end") -> pd.DatetimeIndex:
    try:
        s, e = pd.Timestamp(start), pd.Timestamp(end)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{name_start}/{name_end}", (start, end),
                             "dates such as '2027-01-01'") from exc
    s, e = local_clock(s), local_clock(e)
    if e < s:
        raise ParameterError(name_end, end, f"a date on or after {name_start} {s.date()}")
    return pd.date_range(s.normalize(), e.normalize(), freq="D")


def day_table(country: str | None, start, end, *,
              open_weekdays: Sequence[int] = DEFAULT_OPEN_WEEKDAYS, hours: str | None = None,
              patterns: Iterable[str] | None = None, closed_on_holidays: bool = True,
              missing: str = "raise") -> pd.DataFrame:
    """One row per calendar day from ``start`` to ``end`` (inclusive) of a site.

    Columns: ``date``, ``weekday`` (0 = Monday), ``open`` (bool), ``holiday`` (name or ""),
    ``pattern`` (special pattern names or ""), ``opens``, ``closes`` ("HH:MM", "" when closed),
    ``hours`` (open hours that day, float).

    Parameters
    ----------
    open_weekdays : the site's usual open weekdays.
    hours : usual opening hours "HH:MM-HH:MM" (default: ``default_hours`` of calendars.yaml).
    patterns : names of the country's special patterns to apply; None = those marked
        ``applies: true`` in calendars.yaml; [] = none. A pattern sets that day's hours (when
        two apply, the first listed in calendars.yaml wins, e.g. Ramadan before Friday).
    closed_on_holidays : False for a site that opens on public holidays (holiday named, open).
    missing : see :func:`public_holidays`.
    """
    days = _dates(start, end)
    weekdays = _check_weekdays(open_weekdays)
    usual = _check_hours(hours or default_hours(), "hours")
    hol = public_holidays(country, range(days[0].year, days[-1].year + 1), missing=missing)
    names = hol.groupby("date")["name"].agg("; ".join)
    holiday = np.array([names.get(d, "") for d in days], dtype=object).astype(str)
    wd = days.day_of_week.to_numpy()
    is_open = np.isin(wd, weekdays)
    if closed_on_holidays:
        is_open &= holiday == ""
    known = country_patterns(country)
    by_name = {p["name"]: p for p in known}
    if patterns is None:
        chosen = [p for p in known if p.get("applies")]
    else:
        unknown = [n for n in patterns if n not in by_name]
        if unknown:
            raise ParameterError("patterns", unknown,
                                 f"pattern names of {country!r}: "
                                 f"{sorted(by_name) or 'none defined in calendars.yaml'}")
        chosen = [p for p in known if p["name"] in set(patterns)]
    pattern = np.full(len(days), "", dtype=object)
    opens = np.full(len(days), usual[0], dtype=object)
    closes = np.full(len(days), usual[1], dtype=object)
    for p in reversed(chosen):     # earlier patterns win: they are written last
        if p["kind"] == "ramadan":
            win = ramadan_windows(country, range(days[0].year, days[-1].year + 1))
            hit = np.zeros(len(days), bool)
            for row in win.itertuples():
                hit |= (days >= row.start) & (days <= row.end)
        elif p["kind"] == "weekday":
            hit = wd == int(p["weekday"])
        else:
            raise ParameterError("patterns", p["name"], "kind 'ramadan' or 'weekday' in "
                                                        "calendars.yaml")
        o, c = _check_hours(p["hours"]["value"], f"calendars.yaml {country} {p['name']}")
        pattern = np.where(hit, np.where(pattern == "", p["name"],
                                         p["name"] + "; " + pattern.astype(str)), pattern)
        opens = np.where(hit, o, opens)
        closes = np.where(hit, c, closes)
    span = (pd.to_timedelta(pd.Series(closes) + ":00")
            - pd.to_timedelta(pd.Series(opens) + ":00")).dt.total_seconds().to_numpy() / 3600
    return pd.DataFrame({"date": days, "weekday": wd, "open": is_open, "holiday": holiday,
                         "pattern": np.where(is_open, pattern, "").astype(str),
                         "opens": np.where(is_open, opens, "").astype(str),
                         "closes": np.where(is_open, closes, "").astype(str),
                         "hours": np.where(is_open, span, 0.0)})


def open_days(country: str | None, start, end,
              open_weekdays: Sequence[int] = DEFAULT_OPEN_WEEKDAYS, *,
              closed_on_holidays: bool = True, missing: str = "raise") -> int:
    """Number of open days from ``start`` to ``end`` inclusive: usual weekdays minus holidays.

    A day with reduced hours (Ramadan, Friday half-day) still counts as one open day; its hours
    are in :func:`day_table`.
    """
    table = day_table(country, start, end, open_weekdays=open_weekdays, patterns=[],
                      closed_on_holidays=closed_on_holidays, missing=missing)
    return int(table["open"].sum())


def open_days_by_month(country: str | None, first_month, last_month,
                       open_weekdays: Sequence[int] = DEFAULT_OPEN_WEEKDAYS, *,
                       closed_on_holidays: bool = True, missing: str = "raise") -> pd.Series:
    """Open days per calendar month (``Period[M]`` index) from ``first_month`` to ``last_month``."""
    first, last = pd.Period(first_month, "M"), pd.Period(last_month, "M")
    table = day_table(country, first.start_time, last.end_time.normalize(),
                      open_weekdays=open_weekdays, patterns=[],
                      closed_on_holidays=closed_on_holidays, missing=missing)
    counts = table.groupby(table["date"].dt.to_period("M"))["open"].sum().astype(int)
    return counts.rename("open_days").rename_axis("month")


# ----------------------------------------------------------------------------- locations
@cache
def _locations(path: str | None = None) -> dict:
    file = Path(path) if path else LOCATIONS_FILE
    with open(file, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["locations"]


def calendar_for_location(location_id: str, *, locations_path=None) -> dict:
    """The calendar a location uses, selected by its ``holiday_calendar`` in locations.yaml.

    Returns ``{"location", "country" (holiday calendar code), "timezone", "patterns"}``:
    pass ``country`` to :func:`public_holidays` / :func:`day_table` / :func:`open_days`.
    """
    locations = _locations(None if locations_path is None
                           else str(config.project_path(locations_path)))
    if location_id not in locations:
        raise ParameterError("location_id", location_id,
                             f"a location of locations.yaml: {', '.join(sorted(locations))}")
    loc = locations[location_id]
    country = loc.get("holiday_calendar") or None
    return {"location": location_id, "country": country, "timezone": loc.get("timezone"),
            "patterns": [p["name"] for p in country_patterns(country)]}
