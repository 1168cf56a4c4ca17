"""Accuracy: MASE, WAPE, coverage, the weekly-naive scale and the rolling-origin backtest."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from toolkit.errors import ParameterError
from toolkit.forecast.core import _check_levels, _check_method, _prepare
from toolkit.forecast.panel import ForecastWarning, Panel, _check_panel, _naive_scale, build_panel
from toolkit.forecast.params import DEFAULT_INNER_ORIGINS, MIN_DAYS_WEEKLY
from toolkit.forecast.selection import _fit_queue


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
