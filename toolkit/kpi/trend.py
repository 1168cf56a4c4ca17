"""Trend tests that fit monthly KPIs: Mann–Kendall, seasonal Kendall, Sen's slope.

Twelve monthly points of a seasonal KPI break the assumptions of an OLS t-test (normal,
independent residuals around a straight line): a winter dip reads as a trend. Mann–Kendall
asks only whether later months tend to be higher than earlier ones (ranks, no distribution);
with two or more years of a seasonal KPI, the seasonal Kendall test (Hirsch, Slack & Smith
1982) compares each calendar month only with itself in other years, so seasonality cannot
pose as a trend. Sen's slope (median of pairwise slopes; within seasons for the seasonal
test) gives the size, robust to an outlier month. Settings: ``trend`` in the KPI catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from toolkit.kpi.definitions import catalogue_settings


@dataclass(frozen=True)
class TrendSettings:
    """The ``trend`` block of the KPI catalogue."""

    window_months: int = 12
    seasonal_window_months: int = 36
    min_years_seasonal: int = 2
    min_points: int = 6
    alpha: float = 0.05


def trend_settings(catalogue: dict | None = None) -> TrendSettings:
    return TrendSettings(**catalogue_settings(catalogue, "trend", TrendSettings))


def _s_and_var(y: np.ndarray) -> tuple[float, float]:
    """Mann–Kendall S and its variance under no trend, with the tie correction."""
    n = len(y)
    diff = np.sign(y[None, :] - y[:, None])
    s = float(np.triu(diff, 1).sum())
    _, counts = np.unique(y, return_counts=True)
    ties = (counts * (counts - 1) * (2 * counts + 5)).sum()
    return s, float((n * (n - 1) * (2 * n + 5) - ties) / 18.0)


def _p_value(s: float, var: float) -> float:
    """Two-sided normal p-value of S with the continuity correction (1 when var is 0)."""
    if var <= 0:
        return 1.0
    z = (s - np.sign(s)) / np.sqrt(var)
    return float(2 * ndtr(-abs(z)))


def _pair_slopes(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(len(y), 1)
    dt = t[j] - t[i]
    ok = dt != 0
    return (y[j] - y[i])[ok] / dt[ok]


def mann_kendall(y, t=None) -> dict:
    """Mann–Kendall test and Sen's slope of ``y`` at times ``t`` (default 0, 1, 2, ...).

    Returns ``{"s", "var_s", "p_value", "slope", "n", "test": "Mann-Kendall"}``; the slope
    is per unit of ``t`` (per month for month ordinals).
    """
    y = np.asarray(y, dtype=float)
    t = np.arange(len(y), dtype=float) if t is None else np.asarray(t, dtype=float)
    ok = np.isfinite(y)
    y, t = y[ok], t[ok]
    if len(y) < 3:
        return {"s": np.nan, "var_s": np.nan, "p_value": np.nan, "slope": np.nan, "n": len(y),
                "test": "Mann-Kendall"}
    s, var = _s_and_var(y)
    slopes = _pair_slopes(t, y)
    return {"s": s, "var_s": var, "p_value": _p_value(s, var),
            "slope": float(np.median(slopes)) if len(slopes) else np.nan, "n": len(y),
            "test": "Mann-Kendall"}


def seasonal_kendall(y, t, season) -> dict:
    """Seasonal Kendall test (sum of S and variances over seasons) and the seasonal Sen's
    slope (median of within-season pairwise slopes, per unit of ``t``)."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(t, dtype=float)
    season = np.asarray(season)
    ok = np.isfinite(y)
    y, t, season = y[ok], t[ok], season[ok]
    s_total, var_total, slopes = 0.0, 0.0, []
    for key in np.unique(season):
        sel = season == key
        if sel.sum() < 2:
            continue
        s, var = _s_and_var(y[sel])
        s_total += s
        var_total += var
        slopes.append(_pair_slopes(t[sel], y[sel]))
    slopes = np.concatenate(slopes) if slopes else np.array([])
    return {"s": s_total, "var_s": var_total, "p_value": _p_value(s_total, var_total),
            "slope": float(np.median(slopes)) if len(slopes) else np.nan, "n": len(y),
            "test": "seasonal Kendall"}


def monthly_trend(values: pd.Series, period: str, *, seasonal: bool,
                  settings: TrendSettings | None = None) -> dict:
    """The trend of a monthly KPI (index = ``YYYY-MM``) up to ``period``: seasonal Kendall
    over the ``seasonal_window_months`` when the KPI is seasonal and at least
    ``min_years_seasonal`` values exist for most calendar months, else Mann–Kendall over the
    ``window_months``. Slope per month (Sen). Fewer than ``min_points`` values: no test."""
    settings = settings or TrendSettings()
    end = pd.Period(period, "M")
    v = values.dropna()
    months = pd.PeriodIndex(v.index, freq="M")
    v = v[(months <= end)]
    months = pd.PeriodIndex(v.index, freq="M")
    if seasonal:
        recent = months > end - settings.seasonal_window_months
        per_season = pd.Series(months[recent].month).value_counts()
        if (per_season >= settings.min_years_seasonal).sum() >= 6:
            sel = v[recent]
            if len(sel) >= settings.min_points:
                return seasonal_kendall(sel.to_numpy(), months[recent].asi8,
                                        months[recent].month)
    recent = months > end - settings.window_months
    sel = v[recent]
    if len(sel) < settings.min_points:
        return {"s": np.nan, "var_s": np.nan, "p_value": np.nan, "slope": np.nan,
                "n": len(sel), "test": "too few months"}
    return mann_kendall(sel.to_numpy(), months[recent].asi8)
