"""The public ``forecast``: parameters checked, history prepared, every queue fitted, the
output frame on the open intervals (DESIGN columns)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.clock import local_clock
from toolkit.errors import DataError, ParameterError
from toolkit.forecast.aggregation import _period_alias, aggregate
from toolkit.forecast.panel import (
    ForecastWarning,
    Panel,
    _as_tidy,
    _check_panel,
    _resample_tidy,
    _to_freq,
    build_panel,
    future_open_days,
    infer_freq,
)
from toolkit.forecast.params import ALL_METHODS, DEFAULT_INNER_ORIGINS
from toolkit.forecast.result import ForecastResult
from toolkit.forecast.selection import FittedForecast, _fit_queue


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
    """The forecast table of :func:`forecast_result` (same parameters), without provenance."""
    return forecast_result(history, horizon, freq=freq, method=method, levels=levels,
                           country=country, future_ds=future_ds, n_inner=n_inner).frame


def forecast_result(history: pd.DataFrame, horizon, *, freq=None, method: str = "auto",
                    levels: Sequence[int] = (80, 95), country: str | None = "FR",
                    future_ds=None, n_inner: int = DEFAULT_INNER_ORIGINS) -> ForecastResult:
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

    Returns a :class:`ForecastResult`: ``frame`` is ``ds, queue, yhat, yhat_lower_<L>,
    yhat_upper_<L>`` for each level (closed intervals omitted, never invented); ``models``
    records per queue the chosen method, combination weights, inner-backtest MASE, the error
    correlations (:meth:`ForecastResult.correlation`, for :func:`aggregate`) and any
    fallback notes; ``info`` the run's parameters.
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
    result = ForecastResult(out, models, {
        "kind": "forecast", "horizon": str(horizon), "freq": None if freq is None else str(freq),
        "method": method, "levels": list(levels), "country": country,
        "history_to": str(tidy["ds"].max()) if len(tidy) else None})
    if out_agg is not None:
        out = aggregate(out, out_agg, correlation=result.correlation())
        if isinstance(horizon, (int, np.integer)):
            # the first `horizon` periods holding forecast days (the first may be partial)
            out = out.groupby("queue", sort=False).head(int(horizon)).reset_index(drop=True)
        result = result.with_frame(out)
    return result


def _forecast_one(series, queue, horizon, step, out_agg, method, levels, country, future_ds,
                  n_inner):
    panel = build_panel(series, step, country=country)
    panel = _check_panel(panel, queue)
    total = np.nansum(panel.filled)
    n_int, until = _horizon_until(horizon, out_agg or (None if step < pd.Timedelta("1D")
                                                         else None), panel.dates[-1])
    if future_ds is not None:
        fds = pd.DatetimeIndex(pd.to_datetime(pd.Series(future_ds)))
        fwall = local_clock(fds)
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
