"""The top-down model: daily totals (weekday-indexed exponential smoothing with calendar
regressors: annual cycle, days around closures, Ramadan) x intraday shares by day type."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.forecast.methods import _fourier
from toolkit.forecast.panel import Panel, _holiday_index, _ramadan_days
from toolkit.forecast.params import (
    _ALPHAS,
    _ANNUAL_ORDERS,
    _GAMMAS,
    LONG_HORIZON_DAYS,
    MIN_DAYS_ANNUAL,
)


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


def _ramadan_profiles(panel: Panel) -> np.ndarray:
    """Intraday shares of Ramadan days by weekday (7 x slots), from the history's Ramadan days.

    Ramadan hours shorten the day and compress its calls: the usual weekday profile would
    spread them over closed hours. Weighted towards the latest Ramadan (half-life of one
    window); a weekday without Ramadan days borrows the pooled shape of the others.
    """
    types = panel.day_type(panel.dates)
    rows = np.flatnonzero(types == 1)
    profiles = np.zeros((7, len(panel.slots)))
    mask = panel.ramadan_mask
    if not len(rows):
        for w in range(7):
            profiles[w] = mask[w] / max(1, mask[w].sum())
        return profiles
    filled = np.nan_to_num(panel.filled[rows])
    totals = filled.sum(axis=1, keepdims=True)
    ok = totals[:, 0] > 0
    prop, wd = filled[ok] / totals[ok], panel.weekdays[rows][ok]
    age = np.arange(len(prop))[::-1]
    weights = 0.5 ** (age / 30.0)
    pooled = np.average(prop, axis=0, weights=weights) if len(prop) else np.ones(
        len(panel.slots))
    for w in range(7):
        sel = wd == w
        prof = np.average(prop[sel], axis=0, weights=weights[sel]) if sel.any() else pooled
        prof = prof * mask[w]
        total = prof.sum()
        profiles[w] = prof / total if total > 0 else mask[w] / max(1, mask[w].sum())
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
        hol = _holiday_index(str(panel.country), int(panel.dates[0].year),
                             int(future[-1].year) + 1)
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
    # From MIN_DAYS_ANNUAL days on, two annual harmonics enter the regression at least as
    # controls: without them the season leaks into the calendar effects (a Ramadan window
    # that fell in a high or a low season twice would get the season's sign). Controls are
    # not carried into the forecast: the adaptive level tracks the season at short horizons.
    control = not annual and span_days >= MIN_DAYS_ANNUAL
    hist, fut = _calendar_regressors(panel, future, annual or control, span_days)
    effect = np.zeros(len(z))
    fut_effect = np.zeros(len(future))
    if hist:
        dummies = (wd[:, None] == open_days[None, :]).astype(float)
        t = np.arange(len(z)) / max(1, len(z))
        # Slow level drift so the calendar terms do not absorb trend (cubic from two years).
        drift = [t] if (annual or control) and span_days < 730 else [t, t ** 2, t ** 3]
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
        keep = np.array([annual or not c.startswith("annual") for c in cols])
        effect = np.column_stack([hist[c] for c in cols])[:, keep] @ beta[k:][keep]
        fut_effect = np.column_stack([fut[c] for c in cols])[:, keep] @ beta[k:][keep]
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
    wd = future.day_of_week.to_numpy()
    shares = _svd_profiles(panel)[wd]
    if panel.ramadan_mask is not None:
        special = panel.day_type(future) == 1
        if special.any():
            shares[special] = _ramadan_profiles(panel)[wd[special]]
    return day_totals[:, None] * shares
