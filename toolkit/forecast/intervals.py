"""Interval calibration on the inner backtest: variance law per horizon bucket, pooled
split-conformal quantiles, error correlations for aggregation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.forecast.params import _BUCKET_EDGES


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
