"""Input: a tidy frame -> one series per queue on the open-interval index (open days x slots),
its opening pattern, gaps and the site calendar; the future open days."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from toolkit.clock import local_clock
from toolkit.errors import DataError, ParameterError
from toolkit.forecast.params import SINGLE_SERIES


class ForecastWarning(UserWarning):
    """A documented fallback was taken (short history, gaps, long horizon, all-zero series)."""


@dataclass
class Panel:
    """One series on the open-interval index: ``values[d, s]`` for open day d, slot s.

    ``values`` is NaN where the slot was closed (or missing); ``open_mask[w]`` says which slots
    weekday ``w`` (0 = Monday) opens; ``open_weekdays`` which weekdays open at all.
    """

    dates: pd.DatetimeIndex            # tz-naive local dates of open days
    slots: pd.TimedeltaIndex           # slot starts since midnight (local wall clock)
    values: np.ndarray                 # (n_days, n_slots), float, NaN = closed / missing
    open_mask: np.ndarray              # (7, n_slots) bool
    open_weekdays: np.ndarray          # (7,) bool
    freq: pd.Timedelta
    tz: object = None
    closed_holidays: bool = True
    filled: np.ndarray = field(default=None, repr=False)  # values with gaps imputed
    country: str | None = None         # site holiday calendar (calendar regressors)
    #: (n_days, n_slots) True where no row exists (closed or lost), as opposed to a row with
    #: an empty count (a gap); None when unknown.
    absent: np.ndarray = field(default=None, repr=False)
    #: (7, n_slots) open slots by weekday on Ramadan days (site calendar window), when the
    #: history shows other hours then; None = Ramadan days keep the usual hours.
    ramadan_mask: np.ndarray = field(default=None, repr=False)

    @property
    def weekdays(self) -> np.ndarray:
        return self.dates.day_of_week.to_numpy()

    def day_type(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """0 for a usual day, 1 for a day with Ramadan hours (site calendar window)."""
        if self.ramadan_mask is None:
            return np.zeros(len(dates), int)
        return _ramadan_days(self.country, dates).astype(int)

    def day_mask(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Open-slot mask for each of ``dates``: by weekday and day type (Ramadan hours)."""
        wd = dates.day_of_week.to_numpy()
        mask = self.open_mask[wd]
        if self.ramadan_mask is not None:
            mask = np.where(self.day_type(dates)[:, None] == 1, self.ramadan_mask[wd], mask)
        return mask

    def head(self, n_days: int) -> Panel:
        """The panel truncated to its first ``n_days`` open days (a backtest origin)."""
        return Panel(self.dates[:n_days], self.slots, self.values[:n_days], self.open_mask,
                     self.open_weekdays, self.freq, self.tz, self.closed_holidays,
                     None if self.filled is None else self.filled[:n_days], self.country,
                     None if self.absent is None else self.absent[:n_days], self.ramadan_mask)

    def week_season(self) -> int:
        """Open intervals in a typical week: the lag of the weekly seasonal naive (MASE)."""
        return int(self.open_mask[self.open_weekdays].sum())


def _as_tidy(history: pd.DataFrame) -> pd.DataFrame:
    """Validate ``history`` and return ``ds, queue, calls`` (``ds, y`` -> one queue)."""
    if not isinstance(history, pd.DataFrame):
        raise ParameterError("history", type(history).__name__,
                             "a DataFrame with columns ds, queue, calls (or ds, y)")
    if {"ds", "queue", "calls"} <= set(history.columns):
        tidy = history[["ds", "queue", "calls"]].copy()
    elif {"ds", "y"} <= set(history.columns):
        tidy = history[["ds", "y"]].rename(columns={"y": "calls"})
        tidy.insert(1, "queue", SINGLE_SERIES)
    else:
        raise DataError(f"history has columns {list(history.columns)}", column="ds",
                        expected="columns ds, queue, calls (tidy, several queues) or ds, y "
                                 "(one series)")
    if len(tidy) == 0:
        raise DataError("history is empty", expected="at least one full open day of intervals")
    ds = tidy["ds"]
    if not pd.api.types.is_datetime64_any_dtype(ds):
        try:
            ds = pd.to_datetime(ds, format="ISO8601")
        except (ValueError, TypeError):
            try:
                ds = pd.to_datetime(ds, format="ISO8601", utc=True).dt.tz_convert(
                    _default_tz())
            except (ValueError, TypeError) as exc:
                raise DataError(f"ds cannot be read as timestamps ({exc})", column="ds",
                                expected="ISO 8601 interval starts, e.g. "
                                         "2026-10-30T08:00:00+01:00") from exc
    if ds.isna().any():
        row = int(np.flatnonzero(ds.isna().to_numpy())[0]) + 2
        raise DataError("missing timestamp", row=row, column="ds",
                        expected="an interval start on every row")
    calls = pd.to_numeric(tidy["calls"], errors="coerce").astype(float)
    bad = (calls < 0).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2
        raise DataError(f"negative call count {calls.iloc[row - 2]}", row=row, column="calls",
                        expected="counts >= 0 (leave a missing interval empty, not negative)")
    tidy = tidy.assign(ds=ds, calls=calls, queue=tidy["queue"].astype(str))
    dup = tidy.duplicated(["ds", "queue"]).to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0]) + 2
        raise DataError(f"duplicate interval {tidy['ds'].iloc[row - 2]} for queue "
                        f"{tidy['queue'].iloc[row - 2]!r}", row=row, column="ds",
                        expected="one row per (ds, queue): sum sites before forecasting")
    return tidy.sort_values(["queue", "ds"], kind="stable").reset_index(drop=True)


def _default_tz():
    from toolkit.config import DEFAULT_TIMEZONE
    return DEFAULT_TIMEZONE


def infer_freq(ds: pd.Series) -> pd.Timedelta:
    """The interval length: the commonest step between consecutive stamps of the same day.

    A series with one stamp per day is daily (``1 day``). Weekly or monthly histories are
    rejected by the caller: forecast at daily or intraday level and ``aggregate`` instead.
    """
    wall = local_clock(ds)
    day = wall.dt.floor("D")
    steps = wall.diff()[day.eq(day.shift())].dropna()
    if len(steps):
        return pd.Timedelta(steps.mode().iloc[0])
    return pd.Timedelta(pd.Series(day.unique()).diff().dropna().mode().iloc[0]) \
        if day.nunique() > 1 else pd.Timedelta("1D")


def _to_freq(freq) -> pd.Timedelta | None:
    if freq is None:
        return None
    try:
        return pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except (ValueError, TypeError):
        return None


def _resample_tidy(tidy: pd.DataFrame, step: pd.Timedelta) -> pd.DataFrame:
    """Sum intervals into coarser ones (e.g. 5 -> 15 minutes) on the local wall clock."""
    wall = local_clock(tidy["ds"])
    start = wall.dt.floor(step) if step < pd.Timedelta("1D") else wall.dt.floor("D")
    out = (tidy.assign(_start=start).groupby(["queue", "_start"], sort=True)
           .agg(calls=("calls", lambda s: s.sum(min_count=1)), ds=("ds", "first")))
    out = out.reset_index()
    tz = getattr(tidy["ds"].dt, "tz", None)
    if tz is not None:
        out["ds"] = out["_start"].dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        out = out.dropna(subset=["ds"])
    else:
        out["ds"] = out["_start"]
    return out[["ds", "queue", "calls"]]


def build_panel(series: pd.DataFrame, freq: pd.Timedelta, *, country: str = "FR") -> Panel:
    """Pivot one queue's ``ds, calls`` into a :class:`Panel` and learn its opening pattern.

    A weekday opens when it appears on at least half of the weeks of the last 8 (or fewer);
    a slot opens on a weekday when it is present on at least half of that weekday's last 8
    open days. Missing open slots on open days are gaps (imputed for totals, announced).
    Where the site calendar has Ramadan windows and the history shows other hours on those
    days, Ramadan days are a day type of their own: their hours are learnt from the last
    Ramadan days of each weekday, the usual hours from the last days outside Ramadan.
    """
    wall = local_clock(series["ds"])
    date = wall.dt.floor("D")
    tod = wall - date
    if freq < pd.Timedelta("1D"):
        off = (tod % freq) != pd.Timedelta(0)
        if off.any():
            row = int(np.flatnonzero(off.to_numpy())[0]) + 2
            raise DataError(f"timestamp {series['ds'].iloc[row - 2]} is not on the "
                            f"{freq} grid", row=row, column="ds",
                            expected=f"interval starts on multiples of {freq}")
    table = pd.DataFrame({"date": date.to_numpy(), "tod": tod.to_numpy(),
                          "calls": series["calls"].to_numpy()})
    # An empty count must stay NaN (a gap), not become 0. The repeated wall-clock hour of
    # the autumn DST change is averaged into one slot: a per-interval rate like any other.
    grouped = table.groupby(["date", "tod"], sort=True)["calls"]
    wide = grouped.mean().unstack("tod")
    present = grouped.size().unstack("tod").reindex_like(wide)
    values = wide.to_numpy(dtype=float)
    # A row that exists with an empty count is a gap (NaN); a row that does not exist is closed.
    seen = present.notna().to_numpy()
    dates = pd.DatetimeIndex(wide.index)
    slots = pd.TimedeltaIndex(wide.columns)
    wd = dates.day_of_week.to_numpy()
    span_end = dates[-1]
    recent_start = span_end - pd.Timedelta(days=55)
    weeks = max(1, min(8, math.ceil(((span_end - dates[0]).days + 1) / 7)))
    open_weekdays = np.zeros(7, bool)
    open_mask = np.zeros((7, len(slots)), bool)
    ramadan = _ramadan_days(country, dates).astype(bool) if len(slots) > 1 else \
        np.zeros(len(dates), bool)
    ramadan_mask = np.zeros((7, len(slots)), bool)
    for w in range(7):
        rows = np.flatnonzero(wd == w)
        recent = rows[dates[rows] >= recent_start]
        if len(recent) >= max(1, weeks / 2) or (len(rows) and len(recent) == len(rows)
                                                 and weeks <= 2):
            open_weekdays[w] = True
            usual = rows[~ramadan[rows]]
            last = (usual if len(usual) else rows)[-8:]
            open_mask[w] = seen[last].mean(axis=0) >= 0.5
            special = rows[ramadan[rows]][-8:]
            ramadan_mask[w] = seen[special].mean(axis=0) >= 0.5 if len(special) >= 2 \
                else open_mask[w]
    differs = (ramadan_mask != open_mask)[open_weekdays].any()
    holiday_dates = _holidays(country, dates[0].year, dates[-1].year)
    closed_holidays = _site_closes_on_holidays(dates, holiday_dates, open_weekdays)
    return Panel(dates, slots, values, open_mask, open_weekdays, freq,
                 getattr(series["ds"].dt, "tz", None), closed_holidays, None, country, ~seen,
                 ramadan_mask if differs else None)


@lru_cache(maxsize=64)
def _ramadan_spans(country: str, first_year: int, last_year: int) -> tuple:
    """Ramadan windows (start, end) of the site calendar, cached (holidays are costly)."""
    from toolkit.calendars import ramadan_windows

    try:
        win = ramadan_windows(country, range(first_year, last_year + 1))
    except ParameterError:
        return ()
    return tuple((row.start, row.end) for row in win.itertuples())


def _ramadan_days(country: str | None, dates: pd.DatetimeIndex) -> np.ndarray:
    """1 inside the Ramadan window of the site calendar (toolkit.calendars), else 0."""
    if not country or not len(dates):
        return np.zeros(len(dates))
    hit = np.zeros(len(dates), bool)
    for start, end in _ramadan_spans(str(country), dates[0].year, dates[-1].year):
        hit |= (dates >= start) & (dates <= end)
    return hit.astype(float)


def _holidays(country: str | None, first_year: int, last_year: int) -> set:
    """Public holiday dates of the site's calendar (read through toolkit.calendars only)."""
    from toolkit.calendars import holiday_dates

    return set(holiday_dates(country, first_year, last_year))


@lru_cache(maxsize=128)
def _holiday_index(country: str, first_year: int, last_year: int) -> pd.DatetimeIndex:
    """:func:`_holidays` as a sorted index, cached: the day model asks at every inner-backtest
    origin, and building a calendar costs tens of milliseconds."""
    return pd.DatetimeIndex(sorted(_holidays(country, first_year, last_year)))


def _site_closes_on_holidays(dates, holiday_dates, open_weekdays) -> bool:
    """True unless history shows the site open on most public holidays of open weekdays."""
    in_span = [h for h in holiday_dates
               if dates[0] <= h <= dates[-1] and open_weekdays[h.day_of_week]]
    if not in_span:
        return True
    opened = pd.DatetimeIndex(in_span).isin(dates).mean()
    return opened < 0.5


def _check_panel(panel: Panel, queue: str) -> Panel:
    """Announce gaps, impute them for the models, and return the panel with ``filled``.

    Slots of a usual-open weekday that have no row *before the day's first or after its last
    row* are that day's shorter hours (a half-day, Ramadan hours, an early closure): closed
    that day, not imputed. Absent rows inside the day and empty counts are gaps.
    """
    mask = panel.day_mask(panel.dates)
    if panel.absent is not None and mask.shape[1] > 1:
        rows = ~panel.absent
        idx = np.arange(mask.shape[1])
        first = np.where(rows.any(axis=1), rows.argmax(axis=1), mask.shape[1])
        last = np.where(rows.any(axis=1), mask.shape[1] - 1 - rows[:, ::-1].argmax(axis=1), -1)
        edge = panel.absent & ((idx[None, :] < first[:, None]) | (idx[None, :] > last[:, None]))
        mask = mask & ~edge
    missing = mask & np.isnan(panel.values)
    if missing.any():
        warnings.warn(f"queue {queue!r}: {int(missing.sum())} open interval(s) have no "
                      "count; they are treated as missing (imputed from the same slot of "
                      "recent same-weekday days for daily totals), never as zero calls.",
                      ForecastWarning, stacklevel=3)
    # Long runs of absent open weekdays (not holidays) are probably outages or data gaps.
    all_days = pd.date_range(panel.dates[0], panel.dates[-1], freq="D")
    expected = all_days[panel.open_weekdays[all_days.day_of_week]]
    absent = ~expected.isin(panel.dates)
    run, longest, end_at = 0, 0, None
    for i, a in enumerate(absent):
        run = run + 1 if a else 0
        if run > longest:
            longest, end_at = run, expected[i]
    if longest >= 5:
        warnings.warn(f"queue {queue!r}: {longest} consecutive usual open days absent up to "
                      f"{end_at.date()}; treated as closed (no demand), the models skip them.",
                      ForecastWarning, stacklevel=3)
    values = np.where(mask, panel.values, np.nan)
    filled = values.copy()
    if missing.any():
        wd = panel.weekdays
        for d, s in zip(*np.nonzero(missing), strict=True):
            same = np.flatnonzero(wd[:d] == wd[d])[-4:]
            same_vals = values[same, s]
            same_vals = same_vals[~np.isnan(same_vals)]
            if len(same_vals):
                filled[d, s] = float(np.mean(same_vals))
            else:
                col = values[:, s]
                filled[d, s] = float(np.nanmean(col)) if np.isfinite(col).any() else 0.0
    panel.values = values
    panel.filled = np.where(mask, filled, np.nan)
    return panel


def future_open_days(panel: Panel, *, n_days: int | None = None, until=None,
                     country: str | None = "FR") -> pd.DatetimeIndex:
    """Open dates after the history: usual open weekdays, minus public holidays if closed.

    Give ``n_days`` (open days) or ``until`` (last calendar date, inclusive).
    """
    start = panel.dates[-1] + pd.Timedelta(days=1)
    if until is None:
        until = start + pd.Timedelta(days=int(n_days * 7 / max(1, panel.open_weekdays.sum()))
                                     + 30)
    cal = pd.date_range(start, pd.Timestamp(until), freq="D")
    cal = cal[panel.open_weekdays[cal.day_of_week]]
    if panel.closed_holidays and len(cal):
        hol = _holidays(country, cal[0].year, cal[-1].year)
        cal = cal[~cal.isin(pd.DatetimeIndex(list(hol)))] if hol else cal
    return cal[:n_days] if n_days is not None else cal


def _naive_scale(panel: Panel, season: int | None = None) -> float:
    """In-sample MAE of the weekly seasonal naive on the flat open-interval sequence."""
    flat = panel.filled[~np.isnan(panel.filled)]
    season = season or panel.week_season()
    if len(flat) <= season:
        return float(np.mean(np.abs(np.diff(flat)))) if len(flat) > 1 else 1.0
    return float(np.mean(np.abs(flat[season:] - flat[:-season])))
