"""Tables for the notebook: actual totals, the seasonal patterns (decomposition) and the
models table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.clock import local_clock
from toolkit.errors import DataError, ParameterError
from toolkit.forecast.aggregation import _period_alias
from toolkit.forecast.panel import _as_tidy


def totals(history: pd.DataFrame, freq: str = "D") -> pd.DataFrame:
    """Actual calls summed per queue and period (``'D'``, ``'W'``, ``'ME'``), local calendar."""
    tidy = _as_tidy(history)
    wall = local_clock(tidy["ds"]).dt.floor("D")
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
    wall = local_clock(series["ds"])
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


def models_table(result) -> pd.DataFrame:
    """One row per queue: chosen method (with weights) and inner-backtest MASE per method.

    ``result`` is a :class:`ForecastResult` (``forecast_result``, ``forecast_reconciled``'s
    ``base``, ``read_forecast``): a bare table carries no models.
    """
    from toolkit.forecast.result import ForecastResult

    if not isinstance(result, ForecastResult):
        raise ParameterError("result", type(result).__name__,
                             "a ForecastResult (forecast.forecast_result, forecast_reconciled's "
                             "base or forecast.read_forecast): a table carries no models")
    return result.models_table()
