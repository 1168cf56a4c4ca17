"""Coherence: sums to coarser periods with correlated interval widths, and queue
reconciliation to the total (diagonal WLS)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from toolkit.clock import local_clock
from toolkit.errors import ParameterError
from toolkit.forecast.panel import ForecastWarning, _to_freq
from toolkit.forecast.result import ForecastResult


def _level_columns(frame: pd.DataFrame) -> list[int]:
    return sorted({int(m.group(1)) for c in frame.columns
                   if (m := re.fullmatch(r"yhat_lower_(\d+)", c))})


def aggregate(fc, freq: str, *, correlation=None) -> pd.DataFrame:
    """Sum a forecast to coarser periods (``'h'``, ``'D'``, ``'W'``, ``'ME'``) per queue.

    ``yhat`` is summed. Interval half-widths w_i (lower and upper separately, so skewed bands
    stay skewed) combine as sqrt(sum w_i^2 + rho * ((sum w_i)^2 - sum w_i^2)): rho = 1 adds
    them (fully dependent errors), rho = 0 is the root sum of squares (independent). Two
    correlations apply: between intervals of the same day (``"intraday"``, the shared
    day-level error) and between days (``"days"``, persistent level errors).

    ``fc`` is a forecast table or a :class:`ForecastResult`. ``correlation``:
    ``{"intraday": r1, "days": r2}`` for all queues, a dict of such dicts by queue (e.g.
    ``result.correlation()``, the inner-backtest estimates of :func:`forecast_result`), or
    None: the result's own estimates when ``fc`` is a ForecastResult, else 1.0 (fully
    dependent, the widest intervals) with a :class:`ForecastWarning` saying so. Nothing is
    read from ``DataFrame.attrs``.
    """
    if isinstance(fc, ForecastResult):
        correlation = fc.correlation() if correlation is None else correlation
        fc = fc.frame
    elif correlation is None:
        warnings.warn("aggregate: no error correlation given, so interval widths are added as "
                      "if fully dependent (rho = 1, the widest intervals); pass "
                      "correlation=result.correlation() from the forecast's ForecastResult",
                      ForecastWarning, stacklevel=2)
    levels = _level_columns(fc)
    wall = local_clock(fc["ds"])
    tz = getattr(fc["ds"].dt, "tz", None)
    frame = fc.assign(_day=wall.dt.floor("D"))
    rho = _correlations(correlation)
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


def _correlations(correlation):
    default = {"intraday": 1.0, "days": 1.0}
    if correlation is None:
        return lambda q: default
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
    return result
