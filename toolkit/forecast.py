"""Call-volume forecasting on the *open-interval index*, with backtests and calibrated intervals.

Why the open-interval index: contact centres are closed on Sundays, public holidays and at
night, and their opening hours change by weekday. A calendar grid would need invented zeros
(or NaN) for every closed interval; instead each series is held as a matrix of open days x
time-of-day slots, and every model works on the days and slots that were actually open.
Closed days and hours are never forecast: they are simply absent from the output.

Methods (``method=``):

- ``"snaive"``: weekly seasonal naive, the same slot on the last open day of the same weekday.
- ``"same_slot_avg"``: mean of the same slot over the last four open days of the same weekday.
- ``"dhr"``: dynamic harmonic regression on log(1 + calls): Fourier terms for the daily and
  weekly cycles, AR(2) errors (two-step least squares in numpy: a state-space MLE fit would
  cost seconds per series and the 5 s budget covers the whole auto selection).
- ``"topdown"``: Weinberg-Brown-Stroud / Shen-Huang style. Log daily totals follow a
  weekday-indexed exponential-smoothing state-space model (local level + weekday effects +
  day-after-closure and annual calendar effects; smoothing weights chosen by one-step
  likelihood on the training data), times weekday-specific intraday proportion profiles
  smoothed by a rank-reduced SVD of the days x slots proportion matrix.
- ``"dhr_mle"``: the same regression (same Fourier terms, log scale, AR(2) errors) fitted
  jointly by exact Gaussian maximum likelihood with statsmodels' state-space ARIMA, on the
  last ``DHR_MLE_MAX_DAYS`` open days. Much slower: one to a few seconds per fit (numerical
  gradients over ~30 parameters), refitted at every inner origin, so about 80 s for one
  3-year half-hourly series 28 days ahead (benchmarks/forecast_speed.py) against ~2 s for
  ``auto``. ``auto`` therefore leaves it out: on the US bank benchmark the
  exact MLE gives the same accuracy as the two-step ``dhr`` (benchmarks/forecast_accuracy.py,
  statsmodels peer), so it would cost time without earning a place. It is there to check the
  shortcut on one's own data.
- ``"auto"``: an inner rolling-origin backtest on the history it is given selects the best
  method or an inverse-MASE weighted combination of the best two or three.

Intervals: for every method, the residuals of the same inner backtest (training data only)
are scaled by a fitted variance law ``var = a*yhat + b*yhat**2`` (Poisson noise + level
error) per horizon bucket (open days ahead); the scaled residuals of all buckets are pooled
and their split-conformal quantiles (finite-sample (n+1) rule) give the bounds: the scale
depends on the horizon, the shape is shared, so the 1-day tails rest on every inner origin's
whole horizon rather than on one day per origin. Beyond the inner backtest horizon the level-error
term grows linearly with the horizon (random-walk level) and a warning says so.

Coherence: intraday values add up to the day's forecast by construction (``aggregate`` sums
``yhat``); queues add up to the total after ``reconcile`` (diagonal-WLS "MinT-lite").
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ParameterError

METHODS = ("snaive", "same_slot_avg", "dhr", "topdown")
#: Methods offered on request but not among ``auto``'s candidates (cost, see module doc).
SLOW_METHODS = ("dhr_mle",)
ALL_METHODS = (*METHODS, *SLOW_METHODS, "auto")
#: Queue label given to a single series passed as ``ds, y``.
SINGLE_SERIES = "series"
#: Output columns other parts rely on (DESIGN), for the default levels.
OUTPUT_COLUMNS = ["ds", "queue", "yhat", "yhat_lower_80", "yhat_upper_80",
                  "yhat_lower_95", "yhat_upper_95"]
#: Days of history below which weekly seasonality cannot be estimated.
MIN_DAYS_WEEKLY = 7
#: Calendar days of history from which the day model may estimate the annual cycle (for
#: horizons beyond LONG_HORIZON_DAYS open days; from 730 days it always does).
MIN_DAYS_ANNUAL = 400
LONG_HORIZON_DAYS = 60
#: Open days of history the exact-MLE DHR is fitted on (its cost grows with the length).
DHR_MLE_MAX_DAYS = 120
#: Open days of training an inner backtest origin needs (two weeks of every weekday).
MIN_INNER_TRAIN_DAYS = 10
#: Inner backtest origins used for model selection and interval calibration.
DEFAULT_INNER_ORIGINS = 20
#: Horizon buckets (open days ahead, bucket upper bounds) for interval calibration.
_BUCKET_EDGES = (1, 2, 3, 5, 8, 13, 21, 34, 55, 10**6)


class ForecastWarning(UserWarning):
    """A documented fallback was taken (short history, gaps, long horizon, all-zero series)."""


# ----------------------------------------------------------------------------------------
# Input: tidy frame -> per-queue panel (open days x slots)
# ----------------------------------------------------------------------------------------

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

    @property
    def weekdays(self) -> np.ndarray:
        return self.dates.day_of_week.to_numpy()

    def day_mask(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Open-slot mask for each of ``dates`` (by weekday)."""
        return self.open_mask[dates.day_of_week.to_numpy()]

    def head(self, n_days: int) -> Panel:
        """The panel truncated to its first ``n_days`` open days (a backtest origin)."""
        return Panel(self.dates[:n_days], self.slots, self.values[:n_days], self.open_mask,
                     self.open_weekdays, self.freq, self.tz, self.closed_holidays,
                     None if self.filled is None else self.filled[:n_days], self.country,
                     None if self.absent is None else self.absent[:n_days])

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
    wall = _wall(ds)
    day = wall.dt.floor("D")
    steps = wall.diff()[day.eq(day.shift())].dropna()
    if len(steps):
        return pd.Timedelta(steps.mode().iloc[0])
    return pd.Timedelta(pd.Series(day.unique()).diff().dropna().mode().iloc[0]) \
        if day.nunique() > 1 else pd.Timedelta("1D")


def _wall(ds: pd.Series) -> pd.Series:
    """Local wall-clock time (tz dropped after conversion), where opening hours live."""
    return ds.dt.tz_localize(None) if getattr(ds.dt, "tz", None) is not None else ds


def _to_freq(freq) -> pd.Timedelta | None:
    if freq is None:
        return None
    try:
        return pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except (ValueError, TypeError):
        return None


def _resample_tidy(tidy: pd.DataFrame, step: pd.Timedelta) -> pd.DataFrame:
    """Sum intervals into coarser ones (e.g. 5 -> 15 minutes) on the local wall clock."""
    wall = _wall(tidy["ds"])
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
    """
    wall = _wall(series["ds"])
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
    for w in range(7):
        rows = np.flatnonzero(wd == w)
        recent = rows[dates[rows] >= recent_start]
        if len(recent) >= max(1, weeks / 2) or (len(rows) and len(recent) == len(rows)
                                                 and weeks <= 2):
            open_weekdays[w] = True
            last = rows[-8:]
            open_mask[w] = seen[last].mean(axis=0) >= 0.5
    holiday_dates = _holidays(country, dates[0].year, dates[-1].year)
    closed_holidays = _site_closes_on_holidays(dates, holiday_dates, open_weekdays)
    return Panel(dates, slots, values, open_mask, open_weekdays, freq,
                 getattr(series["ds"].dt, "tz", None), closed_holidays, None, country, ~seen)


def _holidays(country: str | None, first_year: int, last_year: int) -> set:
    """Public holiday dates of the site's calendar (read through toolkit.calendars only)."""
    from toolkit.calendars import holiday_dates

    return set(holiday_dates(country, first_year, last_year))


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


# ----------------------------------------------------------------------------------------
# Future calendar
# ----------------------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------------------
# Point forecast methods: panel + future dates -> (n_future, n_slots) matrix
# ----------------------------------------------------------------------------------------

def _same_weekday_rows(panel: Panel, weekday: int, k: int) -> np.ndarray:
    return np.flatnonzero(panel.weekdays == weekday)[-k:]


def _fc_snaive(panel: Panel, future: pd.DatetimeIndex, **_) -> np.ndarray:
    """Same slot, last open day of the same weekday (all days if the weekday is new)."""
    return _fc_same_slot(panel, future, k=1)


def _fc_same_slot_avg(panel: Panel, future: pd.DatetimeIndex, **_) -> np.ndarray:
    """Mean of the same slot over the last four open days of the same weekday."""
    return _fc_same_slot(panel, future, k=4)


def _nanmean(values: np.ndarray) -> np.ndarray:
    """Column means ignoring NaN; NaN (without a warning) where a column is all closed."""
    count = np.sum(~np.isnan(values), axis=0)
    total = np.nansum(values, axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _fc_same_slot(panel: Panel, future, k: int) -> np.ndarray:
    out = np.full((len(future), len(panel.slots)), np.nan)
    fallback = _nanmean(panel.filled[-max(k, 5):])
    by_weekday = {}
    for w in range(7):
        rows = _same_weekday_rows(panel, w, k)
        by_weekday[w] = _nanmean(panel.filled[rows]) if len(rows) else fallback
    for i, w in enumerate(future.day_of_week):
        row = by_weekday[w]
        out[i] = np.where(np.isnan(row), fallback, row)
    return np.nan_to_num(out, nan=0.0)


def _fourier(phase: np.ndarray, k: int) -> np.ndarray:
    cols = []
    for j in range(1, k + 1):
        cols += [np.sin(2 * np.pi * j * phase), np.cos(2 * np.pi * j * phase)]
    return np.column_stack(cols) if cols else np.empty((len(phase), 0))


def _dhr_design(panel: Panel, dates: pd.DatetimeIndex, mask: np.ndarray):
    n_slots = len(panel.slots)
    d_idx, s_idx = np.nonzero(mask)
    phase_day = (s_idx + 0.5) / n_slots
    open_days = np.flatnonzero(panel.open_weekdays)
    rank = {w: r for r, w in enumerate(open_days)}
    wd = dates.day_of_week.to_numpy()[d_idx]
    wrank = np.array([rank.get(w, 0) for w in wd], float)
    phase_week = (wrank + phase_day) / max(1, len(open_days))
    k_day = min(10, n_slots // 2)
    k_week = min(5, len(open_days) // 2 + (1 if n_slots > 1 else 0))
    x = np.column_stack([np.ones(len(d_idx)), _fourier(phase_day, k_day),
                         _fourier(phase_week, k_week)])
    return x, d_idx, s_idx


def _least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS by normal equations with a tiny ridge: ~10x faster than an SVD solve here."""
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += 1e-8 * max(1.0, float(np.trace(gram)) / len(gram))
    return np.linalg.solve(gram, x.T @ y)


def _fc_dhr(panel: Panel, future: pd.DatetimeIndex, **_) -> np.ndarray:
    """Dynamic harmonic regression: Fourier daily + weekly terms, AR(2) errors, log scale."""
    mask = ~np.isnan(panel.filled)
    x, d_idx, s_idx = _dhr_design(panel, panel.dates, mask)
    y = np.log1p(panel.filled[d_idx, s_idx])
    beta = _least_squares(x, y)
    resid = y - x @ beta
    # AR(2) on the residuals in open-interval order (two-step / Cochrane-Orcutt style).
    phi = np.zeros(2)
    if len(resid) > 10:
        lagged = np.column_stack([resid[1:-1], resid[:-2]])
        phi, *_ = np.linalg.lstsq(lagged, resid[2:], rcond=None)
        # Keep the AR part stationary (guard against near-unit-root estimates).
        if np.abs(np.roots([1, -phi[0], -phi[1]])).max() >= 0.98:
            phi = np.array([min(0.9, max(-0.9, np.corrcoef(resid[1:], resid[:-1])[0, 1])), 0.])
    innov = resid[2:] - np.column_stack([resid[1:-1], resid[:-2]]) @ phi \
        if len(resid) > 10 else resid
    sigma2 = float(np.var(innov)) if len(innov) else 0.0
    fmask = panel.day_mask(future)
    xf, fd, fs = _dhr_design(panel, future, fmask)
    r1, r2 = (resid[-1], resid[-2]) if len(resid) >= 2 else (0.0, 0.0)
    ar = np.empty(len(fd))
    for t in range(len(fd)):
        r1, r2 = phi[0] * r1 + phi[1] * r2, r1
        ar[t] = r1
    out = np.zeros((len(future), len(panel.slots)))
    out[fd, fs] = np.expm1(xf @ beta + ar + sigma2 / 2)
    return np.clip(out, 0, None)


def _fc_dhr_mle(panel: Panel, future: pd.DatetimeIndex, **_) -> np.ndarray:
    """DHR as ``_fc_dhr`` but regression and AR(2) fitted jointly by exact Gaussian MLE.

    statsmodels ``ARIMA(order=(2, 0, 0), trend="c")`` with the Fourier terms as exogenous
    regressors (Kalman filter likelihood) on the last ``DHR_MLE_MAX_DAYS`` open days; the
    point forecast is the lognormal mean exp(m + v/2) - 1 with the model's own forecast
    variance v on the log scale. Intervals, as for every method, come from the inner backtest.
    """
    from statsmodels.tsa.arima.model import ARIMA

    recent = panel if len(panel.dates) <= DHR_MLE_MAX_DAYS else Panel(
        panel.dates[-DHR_MLE_MAX_DAYS:], panel.slots, panel.values[-DHR_MLE_MAX_DAYS:],
        panel.open_mask, panel.open_weekdays, panel.freq, panel.tz, panel.closed_holidays,
        panel.filled[-DHR_MLE_MAX_DAYS:], panel.country)
    mask = ~np.isnan(recent.filled)
    x, d_idx, s_idx = _dhr_design(recent, recent.dates, mask)
    y = np.log1p(recent.filled[d_idx, s_idx])
    fmask = panel.day_mask(future)
    xf, fd, fs = _dhr_design(panel, future, fmask)
    out = np.zeros((len(future), len(panel.slots)))
    if len(y) < 3 * x.shape[1] or np.ptp(y) == 0:
        return _fc_dhr(panel, future)   # too few intervals (or constant): the two-step fit
    with warnings.catch_warnings():
        # statsmodels' optimiser and frequency chatter; the fit is checked through its result
        warnings.simplefilter("ignore")
        res = ARIMA(y, exog=x[:, 1:], order=(2, 0, 0), trend="c",
                    enforce_stationarity=True).fit(cov_type="none")
        pred = res.get_forecast(len(fd), exog=xf[:, 1:])
    mean, var = np.asarray(pred.predicted_mean), np.asarray(pred.var_pred_mean)
    out[fd, fs] = np.expm1(mean + np.nan_to_num(var) / 2)
    return np.clip(out, 0, None)


# --- top-down: day level x intraday profile ------------------------------------------------

_ALPHAS = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6])
_GAMMAS = np.array([0.0, 0.03, 0.1, 0.2])


def _after_closure(dates: pd.DatetimeIndex, all_dates: pd.DatetimeIndex,
                   open_weekdays: np.ndarray) -> np.ndarray:
    """1 on the first open day after a closed usual-open weekday (holiday catch-up effect)."""
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    known = all_dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    prev = day - 1
    found = np.zeros(len(day), bool)
    for k in range(1, 8):
        # step back from the day before to the previous usual-open weekday (1970-01-01: Thu)
        cand = day - k
        hit = ~found & open_weekdays[(cand + 3) % 7]
        prev = np.where(hit, cand, prev)
        found |= hit
    closed = ~np.isin(prev, known) & (prev >= known[0])
    return (closed & found).astype(float)


def _annual_terms(dates: pd.DatetimeIndex, k: int = 3) -> np.ndarray:
    return _fourier(dates.day_of_year.to_numpy() / 365.25, k)


def _es_weekday(z: np.ndarray, wd: np.ndarray, open_days: np.ndarray):
    """Weekday-indexed additive exponential smoothing of log daily totals, grid-fitted.

    Level ``l`` and weekday states ``s[w]`` are updated only on open days, so holidays and
    closed weekdays need no placeholder. All (alpha, gamma) pairs run at once (vectorised);
    the pair with the smallest one-step squared error after a two-week burn-in wins.
    """
    grid_a, grid_g = np.meshgrid(_ALPHAS, _GAMMAS, indexing="ij")
    a, g = grid_a.ravel(), grid_g.ravel()
    n0 = min(len(z), 10)
    level0 = z[:n0].mean()
    season0 = np.zeros(7)
    for w in open_days:
        sel = wd[:n0] == w
        season0[w] = z[:n0][sel].mean() - level0 if sel.any() else 0.0
    level = np.full(len(a), level0)
    season = np.tile(season0, (len(a), 1))
    sse = np.zeros(len(a))
    errors = np.zeros((len(z), len(a)))
    cols = np.arange(len(a))
    for t in range(len(z)):
        w = wd[t]
        err = z[t] - (level + season[cols, w])
        errors[t] = err
        if t >= n0:
            sse += err ** 2
        level = level + a * err
        season[cols, w] = season[cols, w] + g * (1 - a) * err
    best = int(np.argmin(sse)) if len(z) > n0 else int(np.flatnonzero(
        (a == 0.2) & (g == 0.03))[0])
    # Centre the weekday states so the level carries the mean (identifiability).
    s = season[best].copy()
    centre = s[open_days].mean()
    return level[best] + centre, s - centre, a[best], errors[n0:, best] if len(z) > n0 \
        else errors[:, best]


def _svd_profiles(panel: Panel, rank: int = 3, half_life_days: float = 40.0,
                  window: int = 150) -> np.ndarray:
    """Weekday-specific intraday proportions (7 x slots), SVD-smoothed (Shen & Huang 2008).

    The recent days x slots proportion matrix is reduced to its first ``rank`` singular
    components (removing slot-level Poisson noise), then averaged by weekday with
    exponentially decaying weights (recent days count more), and renormalised per weekday.
    """
    filled = panel.filled[-window:]
    wd = panel.weekdays[-window:]
    totals = np.nansum(filled, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        prop = np.where(totals > 0, np.nan_to_num(filled) / totals, np.nan)
    keep = np.isfinite(prop).all(axis=1)
    # Intraday shares by day type: a day with shorter hours than its weekday (half-day,
    # Ramadan hours) would put zeros into the weekday's profile; such days are left out
    # unless the weekday has no full day in the window.
    full = (~np.isnan(filled)).sum(axis=1) == panel.open_mask[wd].sum(axis=1)
    for w in np.unique(wd):
        if (keep & full & (wd == w)).any():
            keep &= full | (wd != w)
    profiles = np.zeros((7, len(panel.slots)))
    if not keep.any():
        for w in range(7):
            m = panel.open_mask[w]
            profiles[w] = m / max(1, m.sum())
        return profiles
    p, wd_k = prop[keep], wd[keep]
    r = min(rank, *p.shape)
    u, sv, vt = np.linalg.svd(p, full_matrices=False)
    smooth = (u[:, :r] * sv[:r]) @ vt[:r]
    age = np.arange(len(p))[::-1]
    weights = 0.5 ** (age / half_life_days)
    pooled = np.average(smooth, axis=0, weights=weights)
    for w in range(7):
        sel = wd_k == w
        prof = np.average(smooth[sel], axis=0, weights=weights[sel]) if sel.any() else pooled
        prof = np.clip(prof, 0, None) * panel.open_mask[w]
        total = prof.sum()
        profiles[w] = prof / total if total > 0 else panel.open_mask[w] / max(
            1, panel.open_mask[w].sum())
    return profiles


def _before_closure(dates: pd.DatetimeIndex, all_dates: pd.DatetimeIndex,
                    open_weekdays: np.ndarray, closed: pd.DatetimeIndex) -> np.ndarray:
    """1 on the last open day before a closed usual-open weekday (pre-holiday effect).

    ``closed`` are the known closures (public holidays); within the history, absent
    usual-open weekdays count too."""
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    known = set(all_dates.to_numpy().astype("datetime64[D]").astype(np.int64))
    shut = set(closed.to_numpy().astype("datetime64[D]").astype(np.int64))
    last_known = max(known) if known else 0
    out = np.zeros(len(day))
    for i, d in enumerate(day):
        nxt = d + 1
        while not open_weekdays[(nxt + 3) % 7]:
            nxt += 1
        out[i] = float(nxt in shut or (nxt <= last_known and nxt not in known))
    return out


def _ramadan_days(country: str | None, dates: pd.DatetimeIndex) -> np.ndarray:
    """1 inside the Ramadan window of the site calendar (toolkit.calendars), else 0."""
    if not country or not len(dates):
        return np.zeros(len(dates))
    from toolkit.calendars import ramadan_windows

    try:
        win = ramadan_windows(country, range(dates[0].year, dates[-1].year + 1))
    except ParameterError:
        return np.zeros(len(dates))
    hit = np.zeros(len(dates), bool)
    for row in win.itertuples():
        hit |= (dates >= row.start) & (dates <= row.end)
    return hit.astype(float)


#: Annual Fourier orders the day model chooses from (by BIC) with two years of history.
_ANNUAL_ORDERS = (2, 4, 6, 8, 10)


def _calendar_regressors(panel: Panel, future: pd.DatetimeIndex, annual: bool, span_days: int):
    """Calendar regressors of the day model for history and future, by name.

    Catch-up after a closure, the day before one (public holidays from the site calendar),
    the Ramadan window (site calendar) and annual Fourier terms; each enters only if the
    history shows it (at least two days, or a whole window)."""
    hist, fut = {}, {}
    after = _after_closure(panel.dates, panel.dates, panel.open_weekdays)
    if after.sum() >= 2:
        hist["after_closure"] = after
        fut["after_closure"] = _after_closure(future, panel.dates.append(future),
                                              panel.open_weekdays)
    if panel.country and len(future):
        hol = pd.DatetimeIndex(sorted(_holidays(panel.country, panel.dates[0].year,
                                                future[-1].year + 1)))
        before = _before_closure(panel.dates, panel.dates, panel.open_weekdays, hol)
        if before.sum() >= 2:
            hist["before_closure"] = before
            fut["before_closure"] = _before_closure(future, panel.dates.append(future),
                                                    panel.open_weekdays, hol)
    ramadan = _ramadan_days(panel.country, panel.dates)
    if ramadan.sum() >= 20:
        hist["ramadan"] = ramadan
        fut["ramadan"] = _ramadan_days(panel.country, future)
    if annual:
        k = max(_ANNUAL_ORDERS) if span_days >= 730 else 2
        for j, col in enumerate(_annual_terms(panel.dates, k).T):
            hist[f"annual{j}"] = col
        for j, col in enumerate(_annual_terms(future, k).T):
            fut[f"annual{j}"] = col
    return hist, fut


def _day_model(panel: Panel, future: pd.DatetimeIndex):
    """Forecast log daily totals: ES level + weekday states + calendar and annual effects.

    A regression of log daily totals on weekday dummies, a slow drift and the calendar
    regressors (:func:`_calendar_regressors`) gives the calendar effects; the annual Fourier
    order is chosen by BIC (two years of history: 2 to 10 harmonics, so a Christmas peak
    is not smoothed away; one year and a long horizon: 2). The effects are removed, the
    remainder is smoothed (weekday-indexed exponential smoothing, adaptive level: level
    shifts), and the effects are added back to the forecast. Returns expected daily totals
    (lognormal mean) for ``future``.
    """
    totals = np.nansum(panel.filled, axis=1)
    z = np.log1p(totals)
    wd = panel.weekdays
    open_days = np.flatnonzero(panel.open_weekdays)
    span_days = (panel.dates[-1] - panel.dates[0]).days
    # Calendar effects by least squares on the ES one-step errors is circular; instead a
    # first regression of z on weekday dummies + effects gives the effect sizes, which are
    # removed before smoothing and added back to the forecast.
    # Annual cycle: from two years of history. With 400-730 days (one cycle and a bit) its
    # estimate is rough: used, with 2 harmonics, only for long horizons (beyond
    # LONG_HORIZON_DAYS open days) where a flat level would miss the season entirely; short
    # horizons rely on the adaptive level. Trend terms stay linear below two years so that
    # they cannot absorb the annual cycle.
    annual = span_days >= 730 or (span_days >= MIN_DAYS_ANNUAL
                                  and len(future) > LONG_HORIZON_DAYS)
    hist, fut = _calendar_regressors(panel, future, annual, span_days)
    effect = np.zeros(len(z))
    fut_effect = np.zeros(len(future))
    if hist:
        dummies = (wd[:, None] == open_days[None, :]).astype(float)
        t = np.arange(len(z)) / max(1, len(z))
        # Slow level drift so the calendar terms do not absorb trend (cubic from two years).
        drift = [t] if annual and span_days < 730 else [t, t ** 2, t ** 3]
        base = np.column_stack([dummies, *drift])
        names = [n for n in hist if not n.startswith("annual")]
        n_annual = sum(n.startswith("annual") for n in hist)
        orders = [o for o in _ANNUAL_ORDERS if 2 * o <= n_annual] if n_annual > 4 else \
            [n_annual // 2]
        best = None
        x_all = np.column_stack([base, *(hist[c] for c in names + [
            f"annual{j}" for j in range(2 * max(orders))])])
        gram_all, xz_all = x_all.T @ x_all, x_all.T @ z
        for order in orders:
            cols = names + [f"annual{j}" for j in range(2 * order)]
            p = base.shape[1] + len(cols)
            # normal equations on the leading block (one Gram matrix for every order)
            gram = gram_all[:p, :p].copy()
            gram[np.diag_indices_from(gram)] += 1e-8 * max(1.0, float(np.trace(gram)) / p)
            beta = np.linalg.solve(gram, xz_all[:p])
            x = x_all[:, :p]
            rss = float(np.sum((z - x @ beta) ** 2))
            bic = len(z) * np.log(max(rss, 1e-12) / len(z)) + x.shape[1] * np.log(len(z))
            if best is None or bic < best[0]:
                best = (bic, cols, beta)
        _, cols, beta = best
        k = base.shape[1]
        effect = np.column_stack([hist[c] for c in cols]) @ beta[k:]
        fut_effect = np.column_stack([fut[c] for c in cols]) @ beta[k:]
    level, season, alpha, errors = _es_weekday(z - effect, wd, open_days)
    sigma2 = float(np.var(errors)) if len(errors) > 1 else 0.0
    # Forecast: flat level, weekday state; variance grows like a random-walk level.
    steps = np.arange(1, len(future) + 1)
    var_h = sigma2 * (1 + (steps - 1) * alpha ** 2)
    zf = level + season[future.day_of_week.to_numpy()] + fut_effect
    return np.clip(np.expm1(zf + var_h / 2), 0, None)


def _fc_topdown(panel: Panel, future: pd.DatetimeIndex, **_) -> np.ndarray:
    """Daily totals (ES state space on log scale) x SVD-smoothed weekday intraday profiles."""
    day_totals = _day_model(panel, future)
    profiles = _svd_profiles(panel)
    return day_totals[:, None] * profiles[future.day_of_week.to_numpy()]


_POINT_METHODS = {"snaive": _fc_snaive, "same_slot_avg": _fc_same_slot_avg,
                  "dhr": _fc_dhr, "topdown": _fc_topdown, "dhr_mle": _fc_dhr_mle}


# ----------------------------------------------------------------------------------------
# Inner backtest: model choice + interval calibration (training data only)
# ----------------------------------------------------------------------------------------

def _inner_origins(n_days: int, h_days: int, n_origins: int) -> list[int]:
    """Origins (training lengths in open days) for the inner backtest, latest first.

    Spaced ``ceil(h/2)`` open days apart so that the test windows overlap by about half:
    the origins then sample several weeks of day-level errors (not just the last few days),
    which is what both the model choice and the interval calibration need.
    """
    last = n_days - h_days
    step = max(1, math.ceil(h_days / 2))
    return [last - k * step for k in range(n_origins) if last - k * step >= MIN_INNER_TRAIN_DAYS]


def _bucket(h: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array(_BUCKET_EDGES), h, side="left")


@dataclass
class _Calibration:
    """Scaled-residual quantiles by horizon bucket: bound = yhat + q * sqrt(a*y + b*y^2)."""

    levels: tuple
    a: dict
    b: dict
    q: dict                 # (bucket, level) -> (q_low, q_high)
    max_h: int

    def _buckets(self, h: np.ndarray):
        """Yield (calibrated bucket to use, selection) for the horizon buckets of ``h``;
        a bucket without its own calibration borrows the nearest calibrated one."""
        buckets = _bucket(np.minimum(h, self.max_h))
        known = sorted(self.a)
        for bk in np.unique(buckets):
            use = bk if bk in self.a else known[np.searchsorted(known, bk).clip(
                0, len(known) - 1)]
            yield use, buckets == bk

    def sd(self, yhat: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Error standard deviation of each forecast under the fitted variance law."""
        out = np.zeros_like(yhat, dtype=float)
        for use, sel in self._buckets(h):
            out[sel] = np.sqrt(self.a[use] * yhat[sel] + self.b[use] * yhat[sel] ** 2)
        return out

    def bounds(self, yhat: np.ndarray, h: np.ndarray, level: int):
        lo, hi = np.zeros_like(yhat), np.zeros_like(yhat)
        for use, sel in self._buckets(h):
            hh = h[sel]
            # Beyond the calibrated range the level variance grows like a random walk.
            growth = np.maximum(1.0, hh / self.max_h)
            sd = np.sqrt(self.a[use] * yhat[sel] + self.b[use] * growth * yhat[sel] ** 2)
            ql, qh = self.q[(use, level)]
            lo[sel] = yhat[sel] + ql * sd
            hi[sel] = yhat[sel] + qh * sd
        return np.clip(lo, 0, None), np.clip(np.maximum(hi, yhat), 0, None)


def _calibrate(yhat: np.ndarray, actual: np.ndarray, h: np.ndarray,
               levels: Sequence[int]) -> _Calibration:
    """Fit the variance law per bucket and the quantiles of the pooled scaled residuals."""
    err = actual - yhat
    buckets = _bucket(h)
    a, b, q = {}, {}, {}
    pooled = None
    for bk in np.unique(buckets):
        sel = buckets == bk
        if sel.sum() < 60:
            continue
        a[bk], b[bk] = _variance_law(yhat[sel], err[sel])
    if not a:
        pooled = _variance_law(yhat, err)
        a[int(buckets.max())], b[int(buckets.max())] = pooled
    # The scale is horizon-specific (one variance law per bucket), the shape is not: the
    # scaled residuals of all buckets are pooled for the quantiles. The 1-day bucket alone
    # holds one day per inner origin (about 20 days of level error), too few for stable
    # 10 % / 90 % tails; pooled, every origin contributes each day of its horizon.
    scaled = []
    for bk in a:
        sel = buckets == bk if pooled is None else np.ones(len(err), bool)
        sd = np.sqrt(a[bk] * yhat[sel] + b[bk] * yhat[sel] ** 2)
        scaled.append(err[sel] / np.where(sd > 0, sd, 1.0))
    z = np.concatenate(scaled)
    for lv in levels:
        pair = _conformal_pair(z, (1 - lv / 100) / 2)
        for bk in a:
            q[(bk, lv)] = pair
    return _Calibration(tuple(levels), a, b, q, int(h.max()))


def _conformal_pair(z: np.ndarray, tail: float) -> tuple[float, float]:
    """Split-conformal bounds: the floor((n+1)tail)-th and ceil((n+1)(1-tail))-th smallest.

    The (n+1) finite-sample rule keeps coverage at the nominal level for exchangeable
    residuals; it widens the interval noticeably only when few residuals are available.
    """
    z = np.sort(z)
    n = len(z)
    k_lo = int(np.clip(math.floor((n + 1) * tail), 1, n))
    k_hi = int(np.clip(math.ceil((n + 1) * (1 - tail)), 1, n))
    return float(z[k_lo - 1]), float(z[k_hi - 1])


def _variance_law(yhat: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """Least squares fit of ``err**2 ~ a*yhat + b*yhat**2`` with a, b >= 0 (Poisson + level)."""
    x = np.column_stack([yhat, yhat ** 2])
    e2 = err ** 2
    coef, *_ = np.linalg.lstsq(x, e2, rcond=None)
    if coef[0] < 0 or coef[1] < 0:
        fits = []
        for j in (0, 1):
            denom = float(x[:, j] @ x[:, j])
            c = max(0.0, float(x[:, j] @ e2) / denom) if denom > 0 else 0.0
            res = e2 - x[:, j] * c
            fits.append((float(res @ res), j, c))
        _, j, c = min(fits)
        coef = np.array([c, 0.0]) if j == 0 else np.array([0.0, c])
    a, b = float(coef[0]), float(coef[1])
    if a == 0 and b == 0:
        a = 1.0  # all-zero errors: fall back to Poisson-sized intervals
    return a, b


@dataclass
class FittedForecast:
    """A queue's forecast matrix with its intervals and what produced them."""

    future: pd.DatetimeIndex
    yhat: np.ndarray
    bounds: dict            # level -> (lower, upper) matrices
    method: str
    weights: dict
    inner_mase: dict
    notes: list
    #: error correlation between intervals of a day and between days (for ``aggregate``)
    correlation: dict = field(default_factory=lambda: {"intraday": 1.0, "days": 1.0})


def _inner_backtest(panel: Panel, h_days: int, methods: Sequence[str], n_origins: int):
    """Run each method from the inner origins; return stacked (method -> yhat), actual, h."""
    origins = _inner_origins(len(panel.dates), h_days, n_origins)
    preds = {m: [] for m in methods}
    actual, hs, scale_w, org = [], [], [], []
    season = panel.week_season()
    for n_train in origins:
        train = panel.head(n_train)
        test_dates = panel.dates[n_train:n_train + h_days]
        mask = panel.day_mask(test_dates) & ~np.isnan(panel.values[n_train:n_train + h_days])
        y_test = panel.values[n_train:n_train + h_days][mask]
        h = np.broadcast_to(np.arange(1, len(test_dates) + 1)[:, None], mask.shape)[mask]
        scale = _naive_scale(train, season)
        for m in methods:
            preds[m].append(_POINT_METHODS[m](train, test_dates)[mask])
        actual.append(y_test)
        hs.append(h)
        scale_w.append(np.full(len(y_test), 1.0 / scale if scale > 0 else 1.0))
        org.append(np.full(len(y_test), n_train))
    if not origins:
        return None
    return ({m: np.concatenate(v) for m, v in preds.items()}, np.concatenate(actual),
            np.concatenate(hs), np.concatenate(scale_w), np.concatenate(org))


def _naive_scale(panel: Panel, season: int | None = None) -> float:
    """In-sample MAE of the weekly seasonal naive on the flat open-interval sequence."""
    flat = panel.filled[~np.isnan(panel.filled)]
    season = season or panel.week_season()
    if len(flat) <= season:
        return float(np.mean(np.abs(np.diff(flat)))) if len(flat) > 1 else 1.0
    return float(np.mean(np.abs(flat[season:] - flat[:-season])))


def _fit_queue(panel: Panel, future: pd.DatetimeIndex, method: str, levels: Sequence[int],
               n_inner: int, queue: str, cache: dict | None = None) -> FittedForecast:
    """Point forecast + calibrated intervals for one queue (method or auto-combination).

    ``cache`` (a dict) lets several methods compared on the same origin share one inner
    backtest run of every method.
    """
    notes = []
    h_days = max(1, len(future))
    h_inner = min(h_days, max(1, len(panel.dates) - MIN_INNER_TRAIN_DAYS - 1), 60)
    candidates = list(METHODS) if method == "auto" else [method]
    span = (panel.dates[-1] - panel.dates[0]).days + 1
    if span < MIN_DAYS_WEEKLY:
        notes.append(f"history spans {span} days (< {MIN_DAYS_WEEKLY}): weekly seasonality "
                     "cannot be estimated; using the same-slot average of all recent days.")
        candidates = ["same_slot_avg"]
    if cache is not None and set(candidates) <= set(METHODS) and span >= MIN_DAYS_WEEKLY:
        key = (len(panel.dates), h_inner, n_inner)
        if key not in cache:
            cache[key] = _inner_backtest(panel, h_inner, list(METHODS), n_inner)
        inner = cache[key]
        if inner is not None:
            inner = ({m: inner[0][m] for m in candidates}, *inner[1:])
    else:
        inner = _inner_backtest(panel, h_inner, candidates, n_inner)
    if inner is None:
        if method == "auto" or len(candidates) == 1 and candidates[0] != method:
            candidates = ["same_slot_avg"]
        notes.append(f"history of {len(panel.dates)} open days is too short for an inner "
                     f"backtest (needs > {MIN_INNER_TRAIN_DAYS + 1}): method "
                     f"{candidates[0]!r} with Poisson-based intervals widened x1.5.")
        yhat = _POINT_METHODS[candidates[0]](panel, future)
        mask = panel.day_mask(future)
        bounds = {}
        from scipy.stats import norm
        for lv in levels:
            zq = norm.ppf(0.5 + lv / 200)
            sd = 1.5 * np.sqrt(yhat + 0.1 * yhat ** 2)
            bounds[lv] = (np.clip(yhat - zq * sd, 0, None) * mask, (yhat + zq * sd) * mask)
        return FittedForecast(future, yhat * mask, bounds, candidates[0], {candidates[0]: 1.0},
                              {}, notes)
    preds, actual, h, scale_w, org = inner
    inner_mase = {m: float(np.mean(np.abs(p - actual) * scale_w)) for m, p in preds.items()}
    if method == "auto":
        by_bucket, chosen_pred = _choose_by_horizon(preds, actual, scale_w, h)
        weights = _mean_weights(by_bucket)
        label = "auto: " + "; ".join(
            f"{_SELECT_LABELS[b]}: " + " + ".join(f"{m} {w:.2f}" for m, w in wb.items())
            for b, wb in by_bucket.items())
    else:
        weights, chosen_pred, label = {method: 1.0}, preds[method], method
        by_bucket = {0: weights}
    calib = _calibrate(chosen_pred, actual, h, levels)
    if h_days > h_inner:
        notes.append(f"horizon of {h_days} open days exceeds the inner backtest horizon "
                     f"({h_inner} open days; it looks at most 60 ahead and needs {MIN_INNER_TRAIN_DAYS} "
                     "training days): interval "
                     "widths beyond it are extrapolated (random-walk level growth).")
    if h_days > LONG_HORIZON_DAYS and span < MIN_DAYS_ANNUAL:
        notes.append(f"history spans {span} days (< {MIN_DAYS_ANNUAL}): no annual seasonality "
                     f"is estimated for a horizon of {h_days} open days.")
    if h_days > len(panel.dates):
        notes.append(f"horizon of {h_days} open days is longer than the history "
                     f"({len(panel.dates)} open days): trend and annual seasonality cannot be "
                     "estimated, the forecast holds the current level and weekly pattern.")
    point = {m: _POINT_METHODS[m](panel, future) for m in weights}
    day_bucket = _select_bucket(np.arange(1, len(future) + 1))
    yhat = np.zeros((len(future), len(panel.slots)))
    for b in np.unique(day_bucket):
        wb = by_bucket[_nearest_bucket(by_bucket, b)]
        rows = day_bucket == b
        yhat[rows] = sum(w * point[m][rows] for m, w in wb.items())
    mask = panel.day_mask(future)
    yhat = np.where(mask, np.clip(yhat, 0, None), 0.0)
    hmat = np.broadcast_to(np.arange(1, len(future) + 1)[:, None], mask.shape)
    bounds = {}
    for lv in levels:
        lo = np.zeros_like(yhat)
        hi = np.zeros_like(yhat)
        lo[mask], hi[mask] = calib.bounds(yhat[mask], hmat[mask], lv)
        bounds[lv] = (np.minimum(lo, yhat), hi)
    correlation = _error_correlation(chosen_pred, actual, h, org, calib)
    return FittedForecast(future, yhat, bounds, label, weights, inner_mase, notes, correlation)


def _error_correlation(yhat, actual, h, org, calib) -> dict:
    """Average correlation of inner-backtest errors between intervals of the same day and
    between days of the same origin's horizon (moment estimate, clipped to [0, 1]).

    ``aggregate`` uses them to widen summed intervals correctly: errors of a day's intervals
    share the day-level error, and level errors persist from day to day.
    """
    err = actual - yhat
    sd = calib.sd(yhat, h)
    frame = pd.DataFrame({"o": org, "h": h, "e": err, "e2": err ** 2, "sd": sd,
                          "sd2": sd ** 2})
    day = frame.groupby(["o", "h"]).agg(e=("e", "sum"), e2=("e2", "sum"), sd=("sd", "sum"),
                                        sd2=("sd2", "sum"))
    num = float((day["e"] ** 2 - day["e2"]).sum())
    den = float((day["sd"] ** 2 - day["sd2"]).sum())
    rho_day = float(np.clip(num / den, 0, 1)) if den > 0 else 1.0
    # daily error sd implied by rho_day, then the same estimate across a horizon's days
    day_sd = np.sqrt(day["sd2"] + rho_day * (day["sd"] ** 2 - day["sd2"]))
    days = day.assign(dsd=day_sd, dsd2=day_sd ** 2, de2=day["e"] ** 2).groupby(level="o").agg(
        e=("e", "sum"), de2=("de2", "sum"), dsd=("dsd", "sum"), dsd2=("dsd2", "sum"))
    num = float((days["e"] ** 2 - days["de2"]).sum())
    den = float((days["dsd"] ** 2 - days["dsd2"]).sum())
    rho_days = float(np.clip(num / den, 0, 1)) if den > 0 else 1.0
    return {"intraday": round(rho_day, 3), "days": round(rho_days, 3)}


#: Horizon buckets (open days ahead, upper bounds) in which ``auto`` chooses separately:
#: the next day, the first week, the first month, beyond.
_SELECT_EDGES = (1, 7, 28)
_SELECT_LABELS = {0: "1 d", 1: "2-7 d", 2: "8-28 d", 3: "> 28 d"}
#: Inner-backtest errors a bucket needs to choose on its own (else: the nearest bucket's).
_MIN_SELECT_ROWS = 30
#: Candidates whose inner MASE is within this share of the best one tie.
TIE_TOLERANCE = 0.03


def _select_bucket(h) -> np.ndarray:
    return np.searchsorted(np.array(_SELECT_EDGES), np.asarray(h), side="left")


def _nearest_bucket(chosen: dict, b: int) -> int:
    keys = np.array(sorted(chosen))
    return int(keys[np.argmin(np.abs(keys - b) + (keys > b) * 0.5)])


def _mean_weights(by_bucket: dict) -> dict:
    out = {}
    for wb in by_bucket.values():
        for m, w in wb.items():
            out[m] = out.get(m, 0.0) + w / len(by_bucket)
    return {m: round(w, 4) for m, w in out.items()}


def _choose_by_horizon(preds: dict, actual, scale_w, h):
    """:func:`_choose_combination` separately in each horizon bucket of the inner backtest.

    A model that wins the next day (persistence, the last days' level) is often not the one
    that wins four weeks out (annual and calendar effects): one choice for all horizons
    would trade one for the other. Returns (bucket -> weights, the combined inner
    predictions) for the interval calibration."""
    buckets = _select_bucket(h)
    chosen, pred = {}, np.zeros(len(actual))
    for b in np.unique(buckets):
        sel = buckets == b
        if sel.sum() < _MIN_SELECT_ROWS and chosen:
            continue
        sub = {m: p[sel] for m, p in preds.items()}
        mase_b = {m: float(np.mean(np.abs(p - actual[sel]) * scale_w[sel]))
                  for m, p in sub.items()}
        chosen[int(b)], _ = _choose_combination(sub, actual[sel], scale_w[sel], mase_b)
    for b in np.unique(buckets):
        sel = buckets == b
        wb = chosen[_nearest_bucket(chosen, int(b))]
        pred[sel] = sum(w * preds[m][sel] for m, w in wb.items())
    return chosen, pred


def _choose_combination(preds: dict, actual, scale_w, inner_mase: dict):
    """Best single method, inverse-MSE weighted mean of the best 2 or 3 (by inner MASE), or
    when candidates tie, the equal-weight mean of the tied ones.

    A tie (inner MASE within :data:`TIE_TOLERANCE` of the best) means the inner backtest
    cannot tell the candidates apart: their plain mean is then preferred unless another
    option beats it by more than the tolerance, because an equal-weight combination of
    similar forecasts is the most robust choice out of sample (the forecast-combination
    puzzle: estimated weights add noise)."""
    ranked = sorted(inner_mase, key=inner_mase.get)
    options = []
    for k in (1, 2, 3):
        top = ranked[:k]
        if len(top) < k:
            break
        # Bates-Granger weights: inverse mean squared (scaled) inner error.
        inv = np.array([1.0 / max(float(np.mean(((preds[m] - actual) * scale_w) ** 2)), 1e-12)
                        for m in top])
        w = inv / inv.sum()
        pred = sum(wi * preds[m] for wi, m in zip(w, top, strict=True))
        score = float(np.mean(np.abs(pred - actual) * scale_w))
        options.append((score, dict(zip(top, w.round(4), strict=True)), pred))
    score, weights, pred = min(options, key=lambda o: o[0])
    tied = [m for m in ranked if inner_mase[m] <= inner_mase[ranked[0]] * (1 + TIE_TOLERANCE)]
    if len(tied) >= 2:
        tie_pred = sum(preds[m] for m in tied) / len(tied)
        tie_score = float(np.mean(np.abs(tie_pred - actual) * scale_w))
        if tie_score <= score * (1 + TIE_TOLERANCE):
            weights, pred = {m: round(1 / len(tied), 4) for m in tied}, tie_pred
    return {m: float(v) for m, v in weights.items()}, pred


# ----------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------

def _check_method(method: str) -> None:
    if method not in ALL_METHODS:
        raise ParameterError("method", method, " or ".join(repr(m) for m in ALL_METHODS))


def _check_levels(levels) -> tuple[int, ...]:
    try:
        out = tuple(int(lv) for lv in levels)
    except (TypeError, ValueError) as exc:
        raise ParameterError("levels", levels, "interval levels in percent, e.g. (80, 95)") \
            from exc
    if not out or any(not 0 < lv < 100 for lv in out):
        raise ParameterError("levels", levels, "interval levels strictly between 0 and 100")
    return out


def _prepare(history, freq, country):
    """Tidy + (optionally) coarsen history; return tidy, model step, output aggregation."""
    tidy = _as_tidy(history)
    native = infer_freq(tidy["ds"])
    if native > pd.Timedelta("1D"):
        raise DataError(f"history steps by {native}; weekly or monthly histories are not "
                        "modelled", column="ds",
                        expected="daily or intraday history; ask for freq='W' or 'ME' to get "
                                 "weekly or monthly totals (aggregate of the daily forecast)")
    out_agg = None
    step = native
    if freq is not None:
        f = _to_freq(freq)
        if f is not None and f < pd.Timedelta("1D"):
            if f < native or (f % native) != pd.Timedelta(0):
                raise ParameterError("freq", freq, f"a multiple of the history interval "
                                                   f"{native} (or 'D', 'W', 'ME')")
            step = f
        elif f is not None and f == pd.Timedelta("1D"):
            step = pd.Timedelta("1D")
        else:
            if str(freq) not in ("W", "W-SUN", "W-MON", "ME", "MS", "M", "QE", "YE"):
                raise ParameterError("freq", freq, "an interval ('15min', '30min', 'h'), "
                                                   "'D', 'W' or 'ME'")
            step = pd.Timedelta("1D")
            out_agg = str(freq)
    if step != native:
        tidy = _resample_tidy(tidy, step)
    return tidy, step, out_agg


def _horizon_until(horizon, freq_out, last_date):
    """(n_intervals, until_date): int -> open intervals; str/Timedelta -> calendar span."""
    if isinstance(horizon, (bool, np.bool_)):
        raise ParameterError("horizon", horizon, "a positive int or a span like '28D'")
    if isinstance(horizon, (int, np.integer)):
        if horizon < 1:
            raise ParameterError("horizon", horizon, "a positive number of future intervals")
        if freq_out is not None:
            # n whole periods after the one holding the last history day
            period = pd.Timestamp(last_date).to_period(_period_alias(freq_out))
            return None, (period + int(horizon)).end_time.normalize()
        return int(horizon), None
    try:
        span = pd.Timedelta(horizon)
    except (ValueError, TypeError) as exc:
        raise ParameterError("horizon", horizon, "a positive int (open intervals) or a "
                                                 "calendar span like '28D'") from exc
    if span <= pd.Timedelta(0):
        raise ParameterError("horizon", horizon, "a positive span")
    return None, last_date + span


def forecast(history: pd.DataFrame, horizon, *, freq=None, method: str = "auto",
             levels: Sequence[int] = (80, 95), country: str | None = "FR",
             future_ds=None, n_inner: int = DEFAULT_INNER_ORIGINS) -> pd.DataFrame:
    """Forecast each queue ``horizon`` open intervals ahead, with calibrated intervals.

    Parameters
    ----------
    history : tidy ``ds, queue, calls`` (one row per open interval) or ``ds, y``.
        Absent rows are closed intervals; an empty ``calls`` is a gap (missing count).
    horizon : int = number of future *open* intervals per queue at the output ``freq``
        (for ``freq='D'``: open days; ``'W'``, ``'ME'``: the first n weeks or months holding
        forecast days, the first one partial when history ends mid-period); or a span such as
        ``"28D"`` (every open interval in the next 28 calendar days).
    freq : output interval; None = the history's. Coarser intraday steps sum the history
        first; ``'D'``, ``'W'``, ``'ME'`` forecast daily then :func:`aggregate`.
    method : ``"auto"`` or one of :data:`METHODS` or :data:`SLOW_METHODS` (``"dhr_mle"``).
    levels : interval levels in percent.
    country : holidays calendar of the site (closed on public holidays unless the history
        shows it opens on them); None = no holidays.
    future_ds : optional explicit future interval starts (a known opening plan), used
        instead of the learnt opening pattern.

    Returns ``ds, queue, yhat, yhat_lower_<L>, yhat_upper_<L>`` for each level. Closed
    intervals are omitted (never invented). ``attrs["models"]`` records per queue the
    chosen method, combination weights, inner-backtest MASE and any fallback notes.
    """
    _check_method(method)
    levels = _check_levels(levels)
    tidy, step, out_agg = _prepare(history, freq, country)
    results, models = [], {}
    for queue, series in tidy.groupby("queue", sort=True):
        frame, info = _forecast_one(series, queue, horizon, step, out_agg, method, levels,
                                    country, future_ds, n_inner)
        results.append(frame)
        models[queue] = info
    out = pd.concat(results, ignore_index=True)
    if out_agg is not None:
        out = aggregate(out, out_agg)
        if isinstance(horizon, (int, np.integer)):
            # the first `horizon` periods holding forecast days (the first may be partial)
            out = out.groupby("queue", sort=False).head(int(horizon)).reset_index(drop=True)
    out.attrs["models"] = models
    return out


def _forecast_one(series, queue, horizon, step, out_agg, method, levels, country, future_ds,
                  n_inner):
    panel = build_panel(series, step, country=country)
    panel = _check_panel(panel, queue)
    total = np.nansum(panel.filled)
    n_int, until = _horizon_until(horizon, out_agg or (None if step < pd.Timedelta("1D")
                                                         else None), panel.dates[-1])
    if future_ds is not None:
        fds = pd.DatetimeIndex(pd.to_datetime(pd.Series(future_ds)))
        fwall = fds.tz_localize(None) if fds.tz is not None else fds
        future = pd.DatetimeIndex(sorted(set(fwall.floor("D"))))
        explicit = fwall
    else:
        explicit = None
        if n_int is not None:
            per_day = max(1, int(panel.open_mask[panel.open_weekdays].sum(axis=1).min()))
            future = future_open_days(panel, n_days=math.ceil(n_int / per_day) + 1,
                                      country=country)
        else:
            future = future_open_days(panel, until=until, country=country)
    if len(future) == 0:
        raise ParameterError("horizon", horizon, "a horizon that contains at least one open "
                                                 "day of the site")
    if total <= 0:
        warnings.warn(f"queue {queue!r}: the history has no calls at all; the forecast is "
                      "zero with zero-width intervals.", ForecastWarning, stacklevel=3)
        fitted = FittedForecast(future, np.zeros((len(future), len(panel.slots))),
                                {lv: (np.zeros((len(future), len(panel.slots))),) * 2
                                 for lv in levels}, "zero", {}, {}, [])
    else:
        fitted = _fit_queue(panel, future, method, levels, n_inner, queue)
    for note in fitted.notes:
        warnings.warn(f"queue {queue!r}: {note}", ForecastWarning, stacklevel=3)
    frame = _to_frame(panel, fitted, queue, levels, explicit)
    if n_int is not None and future_ds is None:
        frame = frame.iloc[:n_int]
    info = {"method": fitted.method, "weights": fitted.weights,
            "correlation": fitted.correlation,
            "inner_mase": fitted.inner_mase, "notes": fitted.notes}
    return frame.reset_index(drop=True), info


def _to_frame(panel: Panel, fitted: FittedForecast, queue, levels, explicit=None):
    mask = panel.day_mask(fitted.future)
    d_idx, s_idx = np.nonzero(mask)
    wall = fitted.future[d_idx] + panel.slots[s_idx]
    data = {"ds": wall, "queue": queue, "yhat": fitted.yhat[d_idx, s_idx]}
    for lv in levels:
        lo, hi = fitted.bounds[lv]
        data[f"yhat_lower_{lv}"] = lo[d_idx, s_idx]
        data[f"yhat_upper_{lv}"] = hi[d_idx, s_idx]
    frame = pd.DataFrame(data)
    if explicit is not None:
        frame = frame.set_index("ds").reindex(pd.DatetimeIndex(explicit)).rename_axis("ds")
        frame["queue"] = queue
        # Explicitly requested intervals outside the learnt opening hours: zero demand.
        frame = frame.fillna(0.0).reset_index()
    if panel.tz is not None:
        # Wall-clock slots that do not exist (spring DST gap) are dropped; the repeated
        # autumn hour is given once (its first occurrence): a documented limit for 24/7 sites.
        local = frame["ds"]
        first = np.ones(len(local), bool)
        frame["ds"] = local.dt.tz_localize(panel.tz, ambiguous=first, nonexistent="NaT")
        frame = frame.dropna(subset=["ds"])
    cols = ["yhat"] + [f"yhat_{b}_{lv}" for lv in levels for b in ("lower", "upper")]
    frame[cols] = frame[cols].astype(float).clip(lower=0)
    return frame[["ds", "queue", *cols]]


# ----------------------------------------------------------------------------------------
# Backtest and metrics
# ----------------------------------------------------------------------------------------

def mase(actual, predicted, scale: float) -> float:
    """Mean absolute error divided by ``scale`` (in-sample MAE of the weekly seasonal naive)."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    if not scale > 0:
        raise ParameterError("scale", scale, "a positive in-sample naive MAE")
    return float(np.mean(np.abs(actual - predicted)) / scale)


def wape(actual, predicted) -> float:
    """Weighted absolute percentage error: sum |error| / sum actual (a fraction)."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    total = np.abs(actual).sum()
    if total == 0:
        raise ParameterError("actual", "all zero", "some non-zero actuals for WAPE")
    return float(np.abs(actual - predicted).sum() / total)


def coverage(actual, lower, upper) -> float:
    """Share of actuals inside [lower, upper] (a fraction)."""
    actual = np.asarray(actual, float)
    return float(np.mean((actual >= np.asarray(lower, float))
                         & (actual <= np.asarray(upper, float))))


def naive_scale(history: pd.DataFrame, *, freq=None, country: str | None = "FR") -> dict:
    """Per queue: in-sample MAE of the weekly seasonal naive (lag = one week of open intervals)."""
    tidy, step, _ = _prepare(history, freq, country)
    out = {}
    for queue, series in tidy.groupby("queue", sort=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ForecastWarning)
            panel = _check_panel(build_panel(series, step, country=country), queue)
        out[queue] = _naive_scale(panel)
    return out


def backtest(history: pd.DataFrame, horizon, *, origins, method="auto", step_days: int = 1,
             freq=None, levels: Sequence[int] = (80, 95), country: str | None = "FR",
             n_inner: int = DEFAULT_INNER_ORIGINS) -> pd.DataFrame:
    """Rolling-origin backtest: forecast from day-end origins, compare with what happened.

    Parameters
    ----------
    horizon : int, open intervals after each origin (e.g. 5 open days x 57 slots), or a
        calendar span (``"28D"``: the open days such a span usually holds).
    origins : int (that many origins ``step_days`` open days apart, the last one leaving
        ``horizon`` open intervals to test) or a list of origin dates (training = all open
        days before the date).
    method : a method name or a list of names (compared on the same origins).

    Returns one row per (method, origin, queue, ds): ``y`` (actual), ``yhat``, bounds,
    ``h_day`` (open days ahead) and ``scale`` (in-sample weekly naive MAE at that origin).
    Forecasts use only call counts before the origin; the future days are the open days that
    actually followed and the weekday opening hours are learnt from the whole history (both
    are a business plan known in advance, not a forecast).
    """
    methods = [method] if isinstance(method, str) else list(method)
    for m in methods:
        _check_method(m)
    levels = _check_levels(levels)
    tidy, step, _ = _prepare(history, freq, country)
    rows = []
    for queue, series in tidy.groupby("queue", sort=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ForecastWarning)
            full = _check_panel(build_panel(series, step, country=country), queue)
        per_day = int(np.median(full.day_mask(full.dates).sum(axis=1)))
        n_intervals, h_days = _backtest_horizon(horizon, per_day, full)
        if isinstance(origins, (int, np.integer)):
            last = len(full.dates) - h_days
            starts = [last - k * step_days for k in range(int(origins))][::-1]
        else:
            starts = [int(np.searchsorted(full.dates, pd.Timestamp(o).normalize(),
                                          side="left")) for o in origins]
        if not starts or min(starts) < MIN_DAYS_WEEKLY:
            raise ParameterError("origins", origins,
                                 f"origins leaving at least {MIN_DAYS_WEEKLY} open days of "
                                 f"training (history has {len(full.dates)} open days)")
        for n_train in starts:
            train = full.head(n_train)
            test_dates = full.dates[n_train:n_train + h_days]
            mask = full.day_mask(test_dates) & ~np.isnan(full.values[n_train:n_train + h_days])
            scale = _naive_scale(train)
            cache = {} if len(methods) > 1 else None
            for m in methods:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ForecastWarning)
                    fitted = _fit_queue(train, test_dates, m, levels, n_inner, queue, cache)
                d_idx, s_idx = np.nonzero(mask)
                order = np.arange(len(d_idx)) < n_intervals
                d_idx, s_idx = d_idx[order], s_idx[order]
                part = {"method": m, "origin": full.dates[n_train - 1], "queue": queue,
                        "ds": test_dates[d_idx] + full.slots[s_idx],
                        "h_day": d_idx + 1,
                        "y": full.values[n_train:n_train + h_days][d_idx, s_idx],
                        "yhat": fitted.yhat[d_idx, s_idx], "scale": scale,
                        "chosen": fitted.method,
                        "rho_intraday": fitted.correlation["intraday"],
                        "rho_days": fitted.correlation["days"]}
                for lv in levels:
                    part[f"yhat_lower_{lv}"] = fitted.bounds[lv][0][d_idx, s_idx]
                    part[f"yhat_upper_{lv}"] = fitted.bounds[lv][1][d_idx, s_idx]
                rows.append(pd.DataFrame(part))
    return pd.concat(rows, ignore_index=True)


def _backtest_horizon(horizon, per_day: int, panel: Panel) -> tuple[int, int]:
    """(open intervals, open days) tested after each origin.

    An int counts open intervals; a span such as ``"28D"`` means the open days a typical
    28-calendar-day window holds (28 x open weekdays / 7), all their intervals.
    """
    if isinstance(horizon, (int, np.integer)) and not isinstance(horizon, bool):
        if horizon < 1:
            raise ParameterError("horizon", horizon, "a positive number of open intervals")
        return int(horizon), math.ceil(horizon / per_day)
    try:
        span = pd.Timedelta(horizon)
    except (ValueError, TypeError) as exc:
        raise ParameterError("horizon", horizon, "a positive int (open intervals) or a "
                                                 "calendar span like '28D'") from exc
    if span < pd.Timedelta("1D"):
        raise ParameterError("horizon", horizon, "a span of at least one day")
    h_days = max(1, round(span.days * int(panel.open_weekdays.sum()) / 7))
    return 10**9, h_days


def backtest_summary(bt: pd.DataFrame, *, horizons_days: Iterable[int] | None = None,
                     levels: Sequence[int] = (80, 95)) -> pd.DataFrame:
    """MASE (mean over origins), WAPE (pooled) and coverage per method and horizon.

    ``horizons_days`` evaluates the first n open days of each origin's forecast (e.g. 1, 5);
    default: the whole backtest horizon.
    """
    horizons_days = list(horizons_days or [int(bt["h_day"].max())])
    out = []
    for h in horizons_days:
        part = bt[bt["h_day"] <= h]
        for m, g in part.groupby("method", sort=False):
            per_origin = g.groupby(["origin", "queue"]).apply(
                lambda x: mase(x["y"], x["yhat"], x["scale"].iloc[0]), include_groups=False)
            row = {"method": m, "horizon_days": h, "mase": float(per_origin.mean()),
                   "wape": wape(g["y"], g["yhat"])}
            for lv in levels:
                row[f"cov{lv}"] = coverage(g["y"], g[f"yhat_lower_{lv}"],
                                           g[f"yhat_upper_{lv}"])
            out.append(row)
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------------------
# Aggregation, reconciliation, batch
# ----------------------------------------------------------------------------------------

def _level_columns(frame: pd.DataFrame) -> list[int]:
    return sorted({int(m.group(1)) for c in frame.columns
                   if (m := re.fullmatch(r"yhat_lower_(\d+)", c))})


def aggregate(fc: pd.DataFrame, freq: str, *, correlation=None) -> pd.DataFrame:
    """Sum a forecast to coarser periods (``'h'``, ``'D'``, ``'W'``, ``'ME'``) per queue.

    ``yhat`` is summed. Interval half-widths w_i (lower and upper separately, so skewed bands
    stay skewed) combine as sqrt(sum w_i^2 + rho * ((sum w_i)^2 - sum w_i^2)): rho = 1 adds
    them (fully dependent errors), rho = 0 is the root sum of squares (independent). Two
    correlations apply: between intervals of the same day (``"intraday"``, the shared
    day-level error) and between days (``"days"``, persistent level errors).

    ``correlation``: ``{"intraday": r1, "days": r2}`` for all queues, a dict of such dicts by
    queue, or None to use the estimates :func:`forecast` stores in ``attrs["models"]`` (from
    its inner backtest); without either, 1.0 (conservative: fully dependent).
    """
    levels = _level_columns(fc)
    wall = _wall(fc["ds"])
    tz = getattr(fc["ds"].dt, "tz", None)
    frame = fc.assign(_day=wall.dt.floor("D"))
    rho = _correlations(fc, correlation)
    frame["_r1"] = frame["queue"].map(lambda q: rho(q)["intraday"])
    frame["_r2"] = frame["queue"].map(lambda q: rho(q)["days"])
    half = []
    for lv in levels:
        frame[f"_lo{lv}"] = frame["yhat"] - frame[f"yhat_lower_{lv}"]
        frame[f"_hi{lv}"] = frame[f"yhat_upper_{lv}"] - frame["yhat"]
        half += [f"_lo{lv}", f"_hi{lv}"]
    f = _to_freq(freq)
    if f is not None and f < pd.Timedelta("1D"):
        frame["_period"] = wall.dt.floor(freq)
        out = _combine(frame, ["queue", "_period"], half, "_r1")
    else:
        daily = _combine(frame, ["queue", "_day"], half, "_r1")
        daily["_r2"] = daily["queue"].map(lambda q: rho(q)["days"])
        if f is not None and f == pd.Timedelta("1D"):
            out = daily.rename(columns={"_day": "_period"})
        else:
            daily["_period"] = daily["_day"].dt.to_period(_period_alias(freq)).dt.start_time
            out = _combine(daily, ["queue", "_period"], half, "_r2")
    result = pd.DataFrame({"ds": out["_period"], "queue": out["queue"], "yhat": out["yhat"]})
    for lv in levels:
        result[f"yhat_lower_{lv}"] = (out["yhat"] - out[f"_lo{lv}"]).clip(lower=0)
        result[f"yhat_upper_{lv}"] = out["yhat"] + out[f"_hi{lv}"]
    if tz is not None:
        result["ds"] = result["ds"].dt.tz_localize(tz, ambiguous="NaT",
                                                   nonexistent="shift_forward")
    result.attrs = dict(fc.attrs)
    return result.reset_index(drop=True)


def _combine(frame: pd.DataFrame, keys: list[str], half: list[str], rho_col: str):
    """Sum yhat; combine half-widths with correlation ``rho_col`` within each group."""
    sq = frame[half] ** 2
    g = frame.assign(**{f"{c}_sq": sq[c] for c in half}).groupby(keys, sort=True)
    agg = g.agg(yhat=("yhat", "sum"), _rho=(rho_col, "first"),
                **{c: (c, "sum") for c in half}, **{f"{c}_sq": (f"{c}_sq", "sum") for c in half})
    out = agg[["yhat"]].copy()
    for c in half:
        total, sumsq = agg[c], agg[f"{c}_sq"]
        out[c] = np.sqrt(sumsq + agg["_rho"] * (total ** 2 - sumsq))
    return out.reset_index()


def _correlations(fc: pd.DataFrame, correlation):
    default = {"intraday": 1.0, "days": 1.0}
    if correlation is None:
        models = fc.attrs.get("models", {})
        return lambda q: {**default, **models.get(q, {}).get("correlation", {})}
    if isinstance(correlation, dict) and set(correlation) <= {"intraday", "days"}:
        return lambda q: {**default, **correlation}
    if isinstance(correlation, dict):
        return lambda q: {**default, **correlation.get(q, {})}
    raise ParameterError("correlation", correlation,
                         "{'intraday': r1, 'days': r2} with r in [0, 1], a dict of those by "
                         "queue, or None")


def _period_alias(freq: str) -> str:
    f = str(freq).upper()
    if f.startswith("W"):
        return "W-SUN"
    if f in ("ME", "MS", "M"):
        return "M"
    if f in ("QE", "QS", "Q"):
        return "Q"
    if f in ("YE", "YS", "Y"):
        return "Y"
    raise ParameterError("freq", freq, "'h', 'D', 'W', 'ME', 'QE' or 'YE'")


def reconcile(fc: pd.DataFrame, *, total: str = "total") -> pd.DataFrame:
    """Make queues add up to the ``total`` queue at every ``ds`` (diagonal WLS, MinT-lite).

    With base forecasts q_i for the queues and T for the total, the WLS-reconciled queues are
    ``q_i + v_i / (v_T + sum v) * (T - sum q)`` where v are forecast variances taken from the
    95 % (or widest) interval width; the total becomes the sum of the reconciled queues.
    Noisy forecasts absorb more of the incoherence. Interval bounds move with their point
    forecast (a documented approximation). Without a ``total`` row, the total is added as the
    bottom-up sum (intervals: root sum of squared half-widths, independence).
    """
    levels = _level_columns(fc)
    widest = max(levels) if levels else None
    queues = fc[fc["queue"] != total]
    if queues.empty:
        raise ParameterError("fc", "no queues", f"queue rows besides {total!r}")
    wide = queues.pivot_table(index="ds", columns="queue", values="yhat", aggfunc="sum")
    bottom = wide.sum(axis=1)
    if widest is not None:
        width = (queues[f"yhat_upper_{widest}"] - queues[f"yhat_lower_{widest}"]) / 2
        var = queues.assign(_v=width ** 2).pivot_table(index="ds", columns="queue",
                                                       values="_v", aggfunc="sum")
    else:
        var = wide.clip(lower=1.0)
    tot = fc[fc["queue"] == total].set_index("ds")
    out = queues.copy()
    if len(tot):
        t_hat = tot["yhat"].reindex(wide.index)
        t_var = ((tot[f"yhat_upper_{widest}"] - tot[f"yhat_lower_{widest}"]) / 2) ** 2 \
            if widest is not None else tot["yhat"].clip(lower=1.0)
        t_var = t_var.reindex(wide.index).fillna(0.0)
        gap = (t_hat - bottom).fillna(0.0)
        denom = (t_var + var.sum(axis=1)).replace(0, np.nan)
        share = var.div(denom, axis=0).fillna(1.0 / wide.shape[1])
        adjust = share.mul(gap, axis=0).stack().rename("_adj").reset_index()
        out = out.merge(adjust, on=["ds", "queue"], how="left")
        out["_adj"] = out["_adj"].fillna(0.0)
        cols = ["yhat"] + [c for c in out.columns if c.startswith("yhat_")]
        for c in cols:
            out[c] = (out[c] + out["_adj"]).clip(lower=0)
        out = out.drop(columns="_adj")
    agg = {"yhat": "sum"}
    total_rows = out.groupby("ds", sort=True).agg(agg).reset_index()
    for lv in levels:
        lo = (out["yhat"] - out[f"yhat_lower_{lv}"]) ** 2
        hi = (out[f"yhat_upper_{lv}"] - out["yhat"]) ** 2
        s = out.assign(_lo=lo, _hi=hi).groupby("ds", sort=True)[["_lo", "_hi"]].sum()
        total_rows[f"yhat_lower_{lv}"] = (total_rows["yhat"] - np.sqrt(s["_lo"].to_numpy())
                                          ).clip(lower=0)
        total_rows[f"yhat_upper_{lv}"] = total_rows["yhat"] + np.sqrt(s["_hi"].to_numpy())
    total_rows["queue"] = total
    result = pd.concat([out, total_rows[out.columns]], ignore_index=True)
    result.attrs = dict(fc.attrs)
    return result


def _forecast_task(item, **kwargs):
    """One queue through :func:`forecast` (module-level so process executors can pickle it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        fc = forecast(item, **kwargs)
    return fc, fc.attrs.get("models", {}), [str(w.message) for w in caught]


def forecast_many(history: pd.DataFrame, horizon, *, executor: str = "serial",
                  scheduler: str | None = None, progress: bool = True,
                  workers: int | None = None, **kwargs) -> pd.DataFrame:
    """:func:`forecast` for many queues, one task per queue, through ``toolkit.executors``.

    ``history`` is tidy ``ds, queue, calls``; ``executor`` is ``"serial"``, ``"local"``
    (process pool) or ``"dask"`` (``scheduler`` address or a local cluster); a tqdm bar shows
    progress. Warnings raised in workers are re-issued here; ``attrs["models"]`` is merged.
    """
    from toolkit.executors import map_tasks

    tidy = _as_tidy(history)
    items = [g for _, g in tidy.groupby("queue", sort=True)]
    task = partial(_forecast_task, horizon=horizon, **kwargs)
    results = map_tasks(task, items, executor=executor, scheduler=scheduler,
                        workers=workers, progress=progress, desc="forecast queues")
    models = {}
    for _, info, messages in results:
        models.update(info)
        for msg in messages:
            warnings.warn(msg, ForecastWarning, stacklevel=2)
    out = pd.concat([r[0] for r in results], ignore_index=True)
    out.attrs["models"] = models
    return out


# ----------------------------------------------------------------------------------------
# Helpers for the notebook: totals, decomposition, model table
# ----------------------------------------------------------------------------------------

def forecast_reconciled(history: pd.DataFrame, horizon, *, total: str = "total", **kwargs):
    """Forecast every queue and their ``total``, reconciled; returns ``(base, reconciled, fc)``.

    ``base`` holds the unreconciled forecasts (``attrs["models"]`` for the models table),
    ``reconciled`` queues plus the total after :func:`reconcile`, ``fc`` the queues only.
    A history with a single queue is forecast as it is (it is its own total, whatever its
    name: a file whose one queue is called "total" must not get a second one).
    """
    tidy = _as_tidy(history)
    if tidy["queue"].nunique() == 1:
        base = forecast(tidy, horizon, **kwargs)
        return base, base, base
    _refuse_total_name(tidy["queue"], total, "total")
    base = forecast(add_total(tidy, total), horizon, **kwargs)
    reconciled = reconcile(base, total=total)
    fc = reconciled[reconciled["queue"] != total].reset_index(drop=True)
    return base, reconciled, fc


def _refuse_total_name(queues, name: str, parameter: str) -> None:
    """A user queue may not carry the name reserved for the sum of the queues."""
    if name in set(queues):
        others = sorted(q for q in set(queues) if q != name)
        where = (f"a queue called {name!r} besides {', '.join(map(repr, others))}" if others
                 else f"its only queue called {name!r} (one series is its own total: "
                      "forecast it without adding a total)")
        raise ParameterError(
            parameter, name,
            f"a name for the sum of the queues that no queue uses: the volumes file has "
            f"{where}; rename that queue in the file's queue column, leave it out of the "
            f"selected queues, or pass {parameter}='all_queues'")


def add_total(history: pd.DataFrame, name: str = "total") -> pd.DataFrame:
    """History plus a ``name`` queue summing all queues per interval (for reconciliation).

    ``name`` is reserved: a history that already has a queue called ``name`` is refused
    (:class:`ParameterError` naming the parameter and the fix) rather than given a second,
    colliding series under the same name."""
    tidy = _as_tidy(history)
    _refuse_total_name(tidy["queue"], name, "name")
    total = tidy.groupby("ds", sort=True)["calls"].sum(min_count=1).reset_index()
    return pd.concat([tidy, total.assign(queue=name)[["ds", "queue", "calls"]]],
                     ignore_index=True)


def totals(history: pd.DataFrame, freq: str = "D") -> pd.DataFrame:
    """Actual calls summed per queue and period (``'D'``, ``'W'``, ``'ME'``), local calendar."""
    tidy = _as_tidy(history)
    wall = _wall(tidy["ds"]).dt.floor("D")
    if str(freq) != "D":
        wall = wall.dt.to_period(_period_alias(freq)).dt.start_time
    out = (tidy.assign(ds=wall).groupby(["queue", "ds"], sort=True)["calls"].sum()
           .reset_index())
    return out[["ds", "queue", "calls"]]


def decompose(history: pd.DataFrame, queue: str | None = None) -> dict[str, pd.DataFrame]:
    """The three seasonal patterns the models use, as tables for charts.

    ``intraday``: weekday x time-of-day share of the day's calls (%); ``weekly``: mean calls
    per open day by weekday; ``annual``: mean calls per open day by calendar month (with the
    number of open days behind each mean); ``components``: daily totals split into trend,
    weekly, annual (from two years of history) and remainder by statsmodels STL / MSTL
    (:func:`daily_components`). ``queue`` selects one queue (default: all summed).
    """
    tidy = _as_tidy(history)
    if queue is not None:
        if queue not in set(tidy["queue"]):
            raise ParameterError("queue", queue, f"one of {sorted(set(tidy['queue']))}")
        tidy = tidy[tidy["queue"] == queue]
    series = tidy.groupby("ds", sort=True)["calls"].sum(min_count=1).reset_index()
    wall = _wall(series["ds"])
    day = wall.dt.floor("D")
    frame = series.assign(day=day, weekday=day.dt.day_name(), weekday_n=day.dt.day_of_week,
                          time=(wall - day).map(lambda t: f"{t.components.hours:02d}:"
                                                          f"{t.components.minutes:02d}"))
    frame["share"] = 100 * frame["calls"] / frame.groupby("day")["calls"].transform("sum")
    order = frame.drop_duplicates("weekday_n").sort_values("weekday_n")["weekday"].tolist()
    intraday = frame.pivot_table(index="weekday", columns="time", values="share",
                                 aggfunc="mean").reindex(order)
    daily = frame.groupby(["day", "weekday", "weekday_n"])["calls"].sum().reset_index()
    weekly = (daily.groupby(["weekday_n", "weekday"])["calls"].mean().reset_index()
              .drop(columns="weekday_n").rename(columns={"calls": "mean_calls_per_day"}))
    annual = (daily.assign(month=daily["day"].dt.month)
              .groupby("month")["calls"].agg(["mean", "size"]).reset_index()
              .rename(columns={"mean": "mean_calls_per_day", "size": "open_days"}))
    components = daily_components(daily[["day", "calls"]].rename(columns={"day": "ds"}))
    return {"intraday": intraday, "weekly": weekly, "annual": annual,
            "components": components}


def daily_components(daily: pd.DataFrame) -> pd.DataFrame:
    """Daily totals split into trend + weekly + annual + remainder (statsmodels STL / MSTL).

    ``daily`` has ``ds`` (dates) and ``calls``. STL needs a regular grid: the series is laid on
    the usual open weekdays (a weekday open on at least half of the weeks), so the weekly period
    is the number of open weekdays and a public holiday does not shift the phase. Holidays
    and other closed usual-open days are filled, for the decomposition only, with the mean of
    the same weekday one week before and after (``imputed`` True, ``calls`` NaN there). The
    annual component (period = open days in 365.25 days) needs two full years (MSTL);
    otherwise STL with the weekly period only, and the annual swing stays in the trend.
    Robust fitting keeps outlier days in the remainder. Additive, in calls per day.
    """
    from statsmodels.tsa.seasonal import MSTL, STL

    days = pd.DatetimeIndex(pd.to_datetime(daily["ds"])).normalize()
    calls = pd.Series(daily["calls"].to_numpy(float), index=days).groupby(level=0).sum()
    weeks = max(1, ((calls.index[-1] - calls.index[0]).days + 1) / 7)
    open_weekdays = np.flatnonzero(np.bincount(calls.index.day_of_week, minlength=7)
                                   >= weeks / 2)
    grid = pd.date_range(calls.index[0], calls.index[-1], freq="D")
    grid = grid[np.isin(grid.day_of_week, open_weekdays)]
    period = len(open_weekdays)
    if period < 2 or len(grid) < 2 * period + 1:
        raise DataError(f"{len(grid)} open days span too little history for a weekly "
                        "decomposition", column="ds",
                        expected=f"at least {2 * max(period, 2) + 1} open days (two weeks "
                                 "and a day)")
    on_grid = calls.reindex(grid)
    imputed = on_grid.isna().to_numpy()
    values = on_grid.to_numpy(copy=True)
    for _ in range(4):   # a closure next to another one borrows from two weeks away
        before = np.concatenate([np.full(period, np.nan), values[:-period]])
        after = np.concatenate([values[period:], np.full(period, np.nan)])
        both = np.vstack([before, after])
        fill = np.where(np.isnan(both).all(axis=0), np.nan,
                        np.nansum(both, axis=0) / np.maximum(1, (~np.isnan(both)).sum(axis=0)))
        values = np.where(np.isnan(values), fill, values)
    values = pd.Series(values).interpolate(limit_direction="both").to_numpy()
    annual_period = round(period * 365.25 / 7)
    out = pd.DataFrame({"ds": grid, "calls": on_grid.to_numpy(), "imputed": imputed})
    if len(values) >= 2 * annual_period + 1:
        fit = MSTL(values, periods=(period, annual_period),
                   stl_kwargs={"robust": True}).fit()
        seasonal = np.asarray(fit.seasonal)
        out["weekly"], out["annual"] = seasonal[:, 0], seasonal[:, 1]
    else:
        fit = STL(values, period=period, robust=True).fit()
        out["weekly"], out["annual"] = np.asarray(fit.seasonal), np.nan
    out["trend"] = np.asarray(fit.trend)
    out["remainder"] = np.asarray(fit.resid)
    return out[["ds", "calls", "imputed", "trend", "weekly", "annual", "remainder"]]


def models_table(fc: pd.DataFrame) -> pd.DataFrame:
    """One row per queue: chosen method (with weights) and inner-backtest MASE per method."""
    models = fc.attrs.get("models", {})
    rows = []
    for queue, info in models.items():
        row = {"queue": queue, "chosen": info.get("method")}
        row.update({f"inner MASE {m}": v for m, v in info.get("inner_mase", {}).items()})
        row["notes"] = "; ".join(info.get("notes", []))
        rows.append(row)
    return pd.DataFrame(rows)


# The long-horizon monthly outlook lives in its own module (one concept per screen);
# re-exported here because the business case asks the forecast module for volumes.
from toolkit.outlook import (  # noqa: E402, F401
    history_window,
    month_coverage,
    monthly_outlook,
    outlook_summary,
    outlook_volume_path,
)
