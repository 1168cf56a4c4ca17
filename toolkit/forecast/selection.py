"""Model choice: the inner rolling-origin backtest on the training history, the choice per
horizon bucket (best method, weighted combination, plain mean on ties) and the fitted queue."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.forecast.daily import _fc_topdown
from toolkit.forecast.intervals import _calibrate, _error_correlation
from toolkit.forecast.methods import _fc_dhr, _fc_dhr_mle, _fc_same_slot_avg, _fc_snaive
from toolkit.forecast.panel import Panel, _naive_scale
from toolkit.forecast.params import (
    _MIN_SELECT_ROWS,
    _SELECT_EDGES,
    _SELECT_LABELS,
    LONG_HORIZON_DAYS,
    METHODS,
    MIN_DAYS_ANNUAL,
    MIN_DAYS_WEEKLY,
    MIN_INNER_TRAIN_DAYS,
    TIE_TOLERANCE,
)

_POINT_METHODS = {"snaive": _fc_snaive, "same_slot_avg": _fc_same_slot_avg,
                  "dhr": _fc_dhr, "topdown": _fc_topdown, "dhr_mle": _fc_dhr_mle}


def _inner_origins(n_days: int, h_days: int, n_origins: int) -> list[int]:
    """Origins (training lengths in open days) for the inner backtest, latest first.

    Spaced ``ceil(h/2)`` open days apart so that the test windows overlap by about half:
    the origins then sample several weeks of day-level errors (not just the last few days),
    which is what both the model choice and the interval calibration need.
    """
    last = n_days - h_days
    step = max(1, math.ceil(h_days / 2))
    return [last - k * step for k in range(n_origins) if last - k * step >= MIN_INNER_TRAIN_DAYS]


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
        def text(wb):
            return " + ".join(f"{m} {w:.2f}" for m, w in wb.items())

        distinct = {text(wb) for wb in by_bucket.values()}
        label = "auto: " + (distinct.pop() if len(distinct) == 1 else "; ".join(
            f"{_SELECT_LABELS[b]}: {text(wb)}" for b, wb in by_bucket.items()))
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
    """One choice for all horizons, overridden in a horizon bucket only where clearly better.

    A model that wins the next day (persistence, the last days' level) is often not the one
    that wins four weeks out (annual and calendar effects). But a bucket's own choice rests
    on fewer inner errors (the next-day bucket on one day per inner origin), so it replaces
    the pooled choice (:func:`_choose_combination` on every horizon) only when it beats it in
    that bucket by more than :data:`TIE_TOLERANCE`: otherwise selection noise would be
    fitted, and the intervals, calibrated on the same inner errors, would come out too
    narrow. Returns (bucket -> weights, the combined inner predictions) for the calibration.
    """
    inner_mase = {m: float(np.mean(np.abs(p - actual) * scale_w)) for m, p in preds.items()}
    pooled, pooled_pred = _choose_combination(preds, actual, scale_w, inner_mase)
    buckets = _select_bucket(h)
    chosen, pred = {}, pooled_pred.copy()
    for b in np.unique(buckets):
        sel = buckets == b
        chosen[int(b)] = pooled
        if sel.sum() < _MIN_SELECT_ROWS:
            continue
        sub = {m: p[sel] for m, p in preds.items()}
        mase_b = {m: float(np.mean(np.abs(p - actual[sel]) * scale_w[sel]))
                  for m, p in sub.items()}
        own, own_pred = _choose_combination(sub, actual[sel], scale_w[sel], mase_b)
        own_score = float(np.mean(np.abs(own_pred - actual[sel]) * scale_w[sel]))
        pooled_score = float(np.mean(np.abs(pooled_pred[sel] - actual[sel]) * scale_w[sel]))
        if own_score < pooled_score * (1 - TIE_TOLERANCE):
            chosen[int(b)], pred[sel] = own, own_pred
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
