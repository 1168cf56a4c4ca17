"""Point forecasts on the panel: weekly seasonal naive, same-slot average and dynamic harmonic
regression (two-step least squares, or exact MLE by statsmodels)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from toolkit.forecast.panel import Panel
from toolkit.forecast.params import DHR_MLE_MAX_DAYS


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
    # Where days have types (Ramadan hours), a day repeats the last days of its own type
    # and weekday: a usual day after Ramadan does not average Ramadan days in.
    typed = panel.ramadan_mask is not None
    types = panel.day_type(future) if typed else None
    past = panel.day_type(panel.dates) if typed else None
    by_type = {}
    for i, w in enumerate(future.day_of_week):
        row = by_weekday[w]
        if typed:
            key = (w, types[i])
            if key not in by_type:
                rows = np.flatnonzero((panel.weekdays == w) & (past == types[i]))[-k:]
                by_type[key] = _nanmean(panel.filled[rows]) if len(rows) else row
            row = by_type[key]
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
