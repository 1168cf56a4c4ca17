"""Staffing: Erlang B / C / A, required agents, scheduled agents, FTE roll-up, risk and simulation.

Conventions (those of the reference vectors, tests/reference/staffing/README.md, followed
exactly):

- Traffic ``a = calls * aht_s / interval_s`` in Erlangs. Seconds everywhere.
- Zero calls: P(wait) = 0, SL = 1, ASA = 0, required agents = 0 (``binding = "zero_traffic"``).
- Erlang C with ``agents <= a`` is unstable: P(wait) = 1, SL = 0, ASA = inf, occupancy = 1.
- Required agents = the smallest integer n > a meeting every target (Erlang C); Erlang A is
  stable for every n, so there the search runs over n >= 1.
- Scheduled (paid) agents = ceil(n / (1 - shrinkage)), in exact rational arithmetic.
- Erlang A (M/M/n+M) reports four service-level definitions because tools silently differ;
  the default ``sl_definition`` is ``"answered_of_offered"`` (the strictest: abandons fail).

Numerics: Erlang B uses the Poisson form B = pmf(n; a) / P(N <= n) with a Stirling-corrected
log pmf and scipy's regularised incomplete gamma (no n! overflow at thousands of agents).
Erlang A uses the Kummer series A(x, y) = sum_k prod_{i<=k} y / (x + i) (x = n mu / theta,
y = lambda / theta), summed in rescaled blocks so it neither overflows nor loses digits.
Every function is vectorised over numpy arrays and pandas Series; searches over n move all
rows at once (no per-row Python loops).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import special

from toolkit.clock import local_clock
from toolkit.errors import DataError, ParameterError

SL_DEFINITIONS = ("answered_of_offered", "answered_of_answered", "wait_le_t", "virtual")
BINDING_ORDER = ("service_level", "max_occupancy", "asa", "abandonment")
_LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------

def _index_of(*values) -> pd.Index | None:
    for v in values:
        if isinstance(v, pd.Series):
            return v.index
    return None


def _as_float(name: str, value, *, allow_inf: bool = False, positive: bool = False,
              integer: bool = False) -> np.ndarray:
    """A 1-D float array from a scalar / array / Series, checked: no missing, no negative."""
    index = value.index if isinstance(value, pd.Series) else None
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError) as exc:
        raise DataError(f"'{name}' must be numeric, got {value!r}", column=name,
                        expected="numbers (seconds, calls or agents)") from exc
    if arr.ndim != 1:
        raise DataError(f"'{name}' must be one-dimensional, got shape {arr.shape}", column=name)

    def _fail(mask, what, expected):
        pos = int(np.flatnonzero(mask)[0])
        label = f" (index label {index[pos]!r})" if index is not None else ""
        raise DataError(f"'{name}' {what} ({float(arr[pos])}) at row {pos + 1} of the input{label}.",
                        row=pos + 1, column=name, expected=expected)

    if np.isnan(arr).any():
        _fail(np.isnan(arr), "is missing", "a value on every row")
    if not allow_inf and np.isinf(arr).any():
        _fail(np.isinf(arr), "is infinite", "a finite number")
    if (arr < 0).any():
        _fail(arr < 0, "is negative", "a value >= 0")
    if positive and (arr <= 0).any():
        _fail(arr <= 0, "is zero", "a value > 0")
    if integer and (np.isfinite(arr) & (arr != np.round(arr))).any():
        _fail(arr != np.round(arr), "is not a whole number", "whole agents (0, 1, 2, ...)")
    return arr


def _broadcast(**arrays: np.ndarray) -> dict[str, np.ndarray]:
    try:
        out = np.broadcast_arrays(*arrays.values())
    except ValueError as exc:
        sizes = {k: v.shape[0] for k, v in arrays.items()}
        raise ParameterError("inputs", sizes, "the same length, or scalars") from exc
    return {k: np.array(v, dtype=float) for k, v in zip(arrays, out, strict=True)}


def _check_fraction(name: str, value, *, low_open: bool = True, high_open: bool = True):
    """A rate strictly inside (0, 1) (or [0, 1) when ``low_open`` is False)."""
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    low_ok = (arr > 0) if low_open else (arr >= 0)
    high_ok = (arr < 1) if high_open else (arr <= 1)
    bad = ~(low_ok & high_ok) | np.isnan(arr)
    if bad.any():
        lo = "(0" if low_open else "[0"
        hi = "1)" if high_open else "1]"
        if arr.size > 1:
            pos = int(np.flatnonzero(bad)[0])
            raise ParameterError(name, f"{float(arr[pos])} at row {pos + 1}",
                                 f"a fraction in {lo}, {hi} on every row")
        raise ParameterError(name, value, f"a fraction in {lo}, {hi}")
    return arr


def _check_definition(sl_definition: str) -> None:
    if sl_definition not in SL_DEFINITIONS:
        raise ParameterError("sl_definition", sl_definition, f"one of {', '.join(SL_DEFINITIONS)}")


def _traffic(calls, aht_s, interval_s):
    calls = _as_float("calls", calls)
    aht = _as_float("aht_s", aht_s)
    interval = _as_float("interval_s", interval_s, positive=True)
    b = _broadcast(calls=calls, aht=aht, interval=interval)
    # AHT 0 with calls > 0 has no queue; AHT must be positive wherever there is traffic.
    bad = (b["calls"] > 0) & (b["aht"] <= 0)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataError(f"'aht_s' is 0 at row {pos + 1} of the input although calls > 0",
                        row=pos + 1, column="aht_s", expected="a handle time > 0 s")
    return b["calls"], b["aht"], b["interval"]


# --------------------------------------------------------------------------------------------
# Numerical kernels
# --------------------------------------------------------------------------------------------

def _stirling_correction(x: np.ndarray) -> np.ndarray:
    """lgamma(x+1) - [(x+1/2) log x - x + log(2 pi)/2], accurate for x >= 10 (series)."""
    r = 1.0 / x
    r2 = r * r
    return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 / 1188))))


def _log_poisson_pmf(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log(a^n e^-a / n!) without the cancellation of n log a - a - lgamma(n+1) at large n."""
    with np.errstate(divide="ignore", invalid="ignore"):
        big = n >= 10
        nb = np.where(big, n, 10.0)
        d = (a - nb) / nb
        v_big = nb * (np.log1p(d) - d) - 0.5 * (_LOG_2PI + np.log(nb)) - _stirling_correction(nb)
        v_small = special.xlogy(n, a) - a - special.gammaln(n + 1)
    return np.where(big, v_big, v_small)


def _erlang_b_arrays(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Erlang B blocking probability for n lines and a Erlangs (arrays, same shape)."""
    out = np.empty(np.broadcast(n, a).shape)
    n, a = np.broadcast_arrays(n, a)
    zero = a <= 0
    out[zero] = np.where(n[zero] == 0, 1.0, 0.0)
    live = ~zero
    nl, al = n[live], a[live]
    with np.errstate(divide="ignore", invalid="ignore", under="ignore", over="ignore"):
        cdf = special.gammaincc(nl + 1.0, al)          # P(Poisson(a) <= n)
        b = np.exp(_log_poisson_pmf(nl, al)) / cdf
    # Far in overload P(N <= n) underflows: fall back to the inverse series
    # 1/B = sum_k prod_{i<k} (n - i) / a, whose terms shrink geometrically when n < a.
    bad = ~np.isfinite(b) | (cdf < 1e-250)
    if bad.any():
        b[bad] = 1.0 / _inverse_b_series(nl[bad], al[bad])
    out[live] = np.clip(b, 0.0, 1.0)
    return out


def _inverse_b_series(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    total = np.ones_like(n)
    term = np.ones_like(n)
    i = 0
    active = np.arange(n.size)
    while active.size:
        term[active] *= np.maximum(n[active] - i, 0.0) / a[active]
        total[active] += term[active]
        i += 1
        active = active[(term[active] > 1e-17 * total[active]) & (n[active] - i > 0)]
    return total


def _kummer(x: np.ndarray, y: np.ndarray, *, moments: bool = False):
    """Log of A(x, y) = sum_{k>=0} w_k, w_k = prod_{i=1..k} y / (x + i), and optionally
    sum_k k w_k / A and sum_k w_k G_k / A with G_k = sum_{j<=k} 1 / (x + j).

    A(x, y) = 1F1(1; x+1; y) is the queue-length normaliser of Erlang A. Terms are summed in
    blocks relative to a running maximum (log scale), so overload (huge terms) cannot
    overflow; a row stops once it is past the peak and the geometric tail bound is below 1e-17.
    """
    m = x.shape[0]
    log_scale = np.zeros(m)
    acc = np.ones(m)
    acc_k = np.zeros(m)
    acc_g = np.zeros(m)
    log_w = np.zeros(m)
    g_last = np.zeros(m)
    with np.errstate(divide="ignore"):
        log_y = np.log(y)
    active = np.flatnonzero(y > 0)
    k0 = 1
    block = 16
    while active.size:
        xa = x[active][:, None]
        ks = k0 + np.arange(block, dtype=float)[None, :]
        inv = 1.0 / (xa + ks)
        lw = log_w[active][:, None] + np.cumsum(log_y[active][:, None] + np.log(inv), axis=1)
        new_scale = np.maximum(log_scale[active], lw.max(axis=1))
        fac = np.exp(log_scale[active] - new_scale)
        tw = np.exp(lw - new_scale[:, None])
        acc[active] = acc[active] * fac + tw.sum(axis=1)
        done_extra = np.ones(active.size, dtype=bool)
        k_end = k0 + block - 1
        r = y[active] / (x[active] + k_end + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail_factor = np.where(r < 1, r / (1 - r), np.inf)
        last = tw[:, -1]
        if moments:
            g = g_last[active][:, None] + np.cumsum(inv, axis=1)
            acc_k[active] = acc_k[active] * fac + (tw * ks).sum(axis=1)
            acc_g[active] = acc_g[active] * fac + (tw * g).sum(axis=1)
            g_last[active] = g[:, -1]
            with np.errstate(invalid="ignore"):
                done_extra = ((last * (k_end + 1 / np.maximum(1 - r, 1e-300)) * tail_factor
                               <= 1e-17 * acc_k[active])
                              & (last * (g[:, -1] + 1 / ((x[active] + k_end) * np.maximum(1 - r, 1e-300)))
                                 * tail_factor <= 1e-17 * acc_g[active]))
        log_scale[active] = new_scale
        log_w[active] = lw[:, -1]
        done = (r < 1) & (last * tail_factor <= 1e-17 * acc[active]) & done_extra
        active = active[~done]
        k0 += block
        block = min(block * 2, 512)
    log_a = log_scale + np.log(acc)
    if moments:
        return log_a, acc_k / acc, acc_g / acc
    return log_a, None, None


def _log_kummer(x: np.ndarray, y: np.ndarray, *, closed_form: str = "deep"):
    """log A(x, y) and the mask of rows computed in closed form.

    The closed form A = x e^y y^-x Gamma(x) P(x, y) (Stirling-corrected prefactor, scipy's
    regularised incomplete gamma) is used in deep overload (y well above x, where the series
    would need ~y - x terms), or for every row where P(x, y) does not underflow when
    ``closed_form="all"`` (the fast path of the staffing search); elsewhere the series.
    """
    out = np.empty_like(x)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        if closed_form == "all":
            p = special.gammainc(x, y)
            use = (x > 0) & (p > 1e-280)
        else:
            use = (y > x + 5 * np.sqrt(y) + 10) & (x >= 10)
            p = np.where(use, special.gammainc(x, y), 1.0) if use.any() else None
        if use.any():
            xd, yd, pd_ = x[use], y[use], p[use]
            big = xd >= 10
            xb = np.where(big, xd, 10.0)
            d = (yd - xb) / xb
            stirling = (-xb * (np.log1p(d) - d) + 0.5 * (_LOG_2PI + np.log(xb))
                        + _stirling_correction(xb))
            direct = np.log(xd) + yd - special.xlogy(xd, yd) + special.gammaln(xd)
            out[use] = np.where(big, stirling, direct) + np.log(pd_)
    if (~use).any():
        out[~use] = _kummer(x[~use], y[~use])[0]
    return out, use


def _erlang_c_arrays(a, aht, n, t, blocking=None):
    """Erlang C metrics on aligned float arrays (``blocking`` = Erlang B if already known)."""
    b = _erlang_b_arrays(n, a) if blocking is None else blocking
    stable = n > a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        c = np.where(stable, n * b / (n - a * (1 - b)), 1.0)
        c = np.clip(c, 0.0, 1.0)
        sl = np.where(stable, 1.0 - c * np.exp(-(n - a) * t / np.where(aht > 0, aht, 1.0)), 0.0)
        asa = np.where(stable, c * aht / (n - a), np.inf)
        occ = np.where(stable, a / n, 1.0)
    zero = a <= 0
    return {"traffic_erl": a,
            "p_wait": np.where(zero, 0.0, c),
            "service_level": np.where(zero, 1.0, np.clip(sl, 0.0, 1.0)),
            "asa_s": np.where(zero, 0.0, asa),
            "occupancy": np.where(zero, 0.0, occ)}


def _erlang_a_arrays(lam, aht, patience, n, t, *, need_asa: bool = True, fast: bool = False):
    """Erlang A (M/M/n+M) metrics on aligned float arrays (rates per second).

    ``fast`` (used inside searches, whose answers are then re-checked on the exact path) takes
    the incomplete-gamma closed form wherever it does not underflow and the closed-form
    abandonment 1 - (x / y)(1 - 1 / A); ``need_asa=False`` skips the ASA-of-answered series.
    """
    a = lam * aht
    size = a.shape[0]
    out = {k: np.zeros(size) for k in ("p_wait", "p_abandon", "sl_answered_of_offered",
                                       "sl_answered_of_answered", "sl_wait_le_t", "sl_virtual",
                                       "asa_all_s", "asa_answered_s", "occupancy")}
    out["traffic_erl"] = a.copy()
    for key in ("sl_answered_of_offered", "sl_answered_of_answered", "sl_wait_le_t", "sl_virtual"):
        out[key][:] = 1.0
    zero = a <= 0
    # Infinite patience: the Erlang C limit (no abandonment).
    inf_pat = ~zero & np.isinf(patience)
    if inf_pat.any():
        c = _erlang_c_arrays(a[inf_pat], aht[inf_pat], n[inf_pat], t[inf_pat])
        for key in ("sl_answered_of_offered", "sl_answered_of_answered", "sl_wait_le_t",
                    "sl_virtual"):
            out[key][inf_pat] = c["service_level"]
        out["p_wait"][inf_pat] = c["p_wait"]
        out["asa_all_s"][inf_pat] = c["asa_s"]
        out["asa_answered_s"][inf_pat] = c["asa_s"]
        out["occupancy"][inf_pat] = np.where(n[inf_pat] > a[inf_pat], c["occupancy"], 1.0)
    # No agents: every caller waits until abandoning.
    empty = ~zero & ~inf_pat & (n == 0)
    if empty.any():
        theta0 = 1.0 / patience[empty]
        out["p_wait"][empty] = 1.0
        out["p_abandon"][empty] = 1.0
        out["sl_answered_of_offered"][empty] = 0.0
        out["sl_answered_of_answered"][empty] = np.nan
        out["sl_wait_le_t"][empty] = -np.expm1(-theta0 * t[empty])
        out["sl_virtual"][empty] = 0.0
        out["asa_all_s"][empty] = patience[empty]
        out["asa_answered_s"][empty] = np.nan
        out["occupancy"][empty] = 0.0
    live = ~zero & ~inf_pat & (n > 0)
    if not live.any():
        return out
    lam_l, aht_l, n_l, t_l = lam[live], aht[live], n[live], t[live]
    theta = 1.0 / patience[live]
    mu = 1.0 / aht_l
    a_l = lam_l * aht_l
    x = n_l * mu / theta
    y = lam_l / theta
    z = y * np.exp(-theta * t_l)
    e_b = _erlang_b_arrays(n_l, a_l)
    mode = "all" if fast else "deep"
    mean_k = np.full(x.shape, np.nan)
    mean_g = np.full(x.shape, np.nan)
    if fast:
        log_a, deep = _log_kummer(x, y, closed_form=mode)
        series_rows = np.flatnonzero(np.full(x.shape, need_asa))
    else:
        # exact path: one series pass gives log A and both moments (deep overload: closed form)
        deep = (y > x + 5 * np.sqrt(y) + 10) & (x >= 10)
        log_a = np.empty_like(x)
        if deep.any():
            log_a[deep] = _log_kummer(x[deep], y[deep])[0]
        series_rows = np.flatnonzero(~deep | need_asa)
    if series_rows.size:
        la, mk, mg = _kummer(x[series_rows], y[series_rows], moments=True)
        mean_k[series_rows], mean_g[series_rows] = mk, mg
        if not fast:
            shallow = ~deep[series_rows]
            log_a[series_rows[shallow]] = la[shallow]
    log_az, _ = _log_kummer(x, z, closed_form=mode)
    inv_a = np.exp(-log_a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        p_wait = e_b / (e_b + (1.0 - e_b) * inv_a)          # = A E / (1 + (A - 1) E)
        log_d = -n_l * mu * t_l + y * (-np.expm1(-theta * t_l))
        d_t = np.exp(log_d)
        r_t = np.exp(log_d + log_az - log_a)                 # P(V > t) / P(V > 0)
        p_virtual_gt_t = p_wait * r_t
        # P(abandon | wait) = sum_k k w_k / (y A): a direct series, no cancellation.
        closed_ab = deep if not fast else np.ones(x.shape, dtype=bool)
        p_ab = np.where(closed_ab, p_wait * (1.0 - (x / y) * (1.0 - inv_a)), p_wait * mean_k / y)
        p_ans = 1.0 - p_ab
        ans_wait_le_t = p_wait * (x / y) * ((1.0 - r_t) - (1.0 - d_t) * inv_a)
        sl_aoo = (1.0 - p_wait) + ans_wait_le_t
        # E[V 1{answered}] = P(wait) (x / theta) sum_m w_m G_m / (y A).
        ev_answered = p_wait * (x / theta) * mean_g / y
    out["p_wait"][live] = np.clip(p_wait, 0.0, 1.0)
    out["p_abandon"][live] = np.clip(p_ab, 0.0, 1.0)
    out["sl_answered_of_offered"][live] = np.clip(sl_aoo, 0.0, 1.0)
    out["sl_answered_of_answered"][live] = np.clip(sl_aoo / p_ans, 0.0, 1.0)
    out["sl_wait_le_t"][live] = np.clip(1.0 - p_virtual_gt_t * np.exp(-theta * t_l), 0.0, 1.0)
    out["sl_virtual"][live] = np.clip(1.0 - p_virtual_gt_t, 0.0, 1.0)
    out["asa_all_s"][live] = p_ab / theta
    out["asa_answered_s"][live] = ev_answered / p_ans
    out["occupancy"][live] = a_l * p_ans / n_l
    return out


# --------------------------------------------------------------------------------------------
# Public formulas
# --------------------------------------------------------------------------------------------

def erlang_b(traffic_erl, lines) -> pd.DataFrame:
    """Erlang B blocking probability (M/M/n/n loss system), one row per input row.

    Stable at thousands of lines and Erlangs (no factorials): columns ``traffic_erl, lines,
    p_block``.
    """
    index = _index_of(traffic_erl, lines)
    b = _broadcast(a=_as_float("traffic_erl", traffic_erl),
                   n=_as_float("lines", lines, integer=True))
    return pd.DataFrame({"traffic_erl": b["a"], "lines": b["n"].astype(np.int64),
                         "p_block": _erlang_b_arrays(b["n"], b["a"])}, index=index)


def erlang_c(calls, aht_s, interval_s, agents, target_s) -> pd.DataFrame:
    """Erlang C (M/M/n, infinite patience) at a given number of agents.

    Returns ``traffic_erl, p_wait, service_level, asa_s, occupancy``; ``service_level`` is
    P(wait <= target_s). With agents <= traffic the queue is unstable: P(wait) = 1, SL = 0,
    ASA = inf, occupancy = 1 (never a negative ASA).
    """
    index = _index_of(calls, aht_s, interval_s, agents, target_s)
    calls, aht, interval = _traffic(calls, aht_s, interval_s)
    b = _broadcast(calls=calls, aht=aht, interval=interval,
                   n=_as_float("agents", agents, integer=True),
                   t=_as_float("target_s", target_s))
    a = b["calls"] * b["aht"] / b["interval"]
    return pd.DataFrame(_erlang_c_arrays(a, b["aht"], b["n"], b["t"]), index=index)


def erlang_a(calls, aht_s, interval_s, agents, target_s, patience_s, *,
             sl_definition: str = "answered_of_offered") -> pd.DataFrame:
    """Erlang A (M/M/n+M: exponential patience with mean ``patience_s``) at given agents.

    Returns ``traffic_erl, p_wait, service_level, asa_s, occupancy, p_abandon`` plus every SL
    definition (``sl_answered_of_offered`` = P(answered and wait <= t), the default and
    strictest; ``sl_answered_of_answered`` = P(wait <= t | answered); ``sl_wait_le_t`` =
    P(min(wait, patience) <= t), early abandons count as met; ``sl_virtual`` = P(offered wait
    <= t)), ``asa_all_s`` (mean wait of all calls) and ``asa_answered_s`` (mean wait of
    answered calls, the usual ASA KPI, also given as ``asa_s``). ``service_level`` is the
    definition named by ``sl_definition``. ``patience_s = inf`` gives the Erlang C limit.
    """
    _check_definition(sl_definition)
    index = _index_of(calls, aht_s, interval_s, agents, target_s, patience_s)
    calls, aht, interval = _traffic(calls, aht_s, interval_s)
    b = _broadcast(calls=calls, aht=aht, interval=interval,
                   n=_as_float("agents", agents, integer=True),
                   t=_as_float("target_s", target_s),
                   patience=_as_float("patience_s", patience_s, allow_inf=True, positive=True))
    lam = b["calls"] / b["interval"]
    out = _erlang_a_arrays(lam, b["aht"], b["patience"], b["n"], b["t"])
    frame = pd.DataFrame({"traffic_erl": out["traffic_erl"], "p_wait": out["p_wait"],
                          "service_level": out[f"sl_{sl_definition}"],
                          "asa_s": out["asa_answered_s"], "occupancy": out["occupancy"],
                          "p_abandon": out["p_abandon"]}, index=index)
    for d in SL_DEFINITIONS:
        frame[f"sl_{d}"] = out[f"sl_{d}"]
    frame["asa_all_s"] = out["asa_all_s"]
    frame["asa_answered_s"] = out["asa_answered_s"]
    return frame


# --------------------------------------------------------------------------------------------
# Shrinkage and scheduled agents (exact)
# --------------------------------------------------------------------------------------------

def _as_fraction(name: str, value) -> Fraction:
    """A rate as an exact fraction of its decimal spelling (0.3 -> 3/10, not 0.29999...)."""
    try:
        frac = Fraction(repr(float(value))).limit_denominator(10**9)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, value, "a fraction in [0, 1)") from exc
    if not (0 <= frac < 1):
        raise ParameterError(name, value, "a fraction in [0, 1) (1 would mean nobody is "
                                          "ever available)")
    return frac


def combine_shrinkage(planned: float = 0.0, unplanned: float = 0.0) -> float:
    """Total shrinkage from planned (breaks, training, meetings) and unplanned (sickness,
    lateness) parts: 1 - (1 - p)(1 - u), because unplanned loss hits the hours left after
    planned loss; e.g. 0.2 and 0.1 give 0.28, not 0.30. Exact in rationals."""
    p = _as_fraction("shrinkage_planned", planned)
    u = _as_fraction("shrinkage_unplanned", unplanned)
    return float(1 - (1 - p) * (1 - u))


def scheduled_agents(agents, shrinkage=0.0) -> np.ndarray:
    """Paid agents ceil(n / (1 - shrinkage)) in exact integer arithmetic (14 / 0.7 -> 20)."""
    n = _as_float("agents", agents, integer=True).astype(np.int64)
    shrink = np.atleast_1d(np.asarray(shrinkage, dtype=float))
    out = np.empty(np.broadcast(n, shrink).shape, dtype=np.int64)
    n_b, s_b = np.broadcast_arrays(n, shrink)
    for value in np.unique(s_b):
        frac = _as_fraction("shrinkage", value)
        keep = 1 - frac                               # p / q, exact
        p, q = keep.numerator, keep.denominator
        sel = s_b == value
        out[sel] = -((-n_b[sel] * q) // p)            # ceil(n q / p) on integers
    return out


# --------------------------------------------------------------------------------------------
# Required agents
# --------------------------------------------------------------------------------------------

def _interp_fraction(n, m_prev, m_now, target, lower_x):
    """Continuous agents: linear interpolation of a metric rising with n, between
    (lower_x, m_prev) and (n, m_now), solved for the target."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = (target - m_prev) / (m_now - m_prev)
    w = np.clip(np.where(np.isfinite(w), w, 1.0), 0.0, 1.0)
    return lower_x + w * (n - lower_x)


def required_agents(calls, aht_s, interval_s, *, sl_target, target_s, patience_s=None,
                    max_occupancy=None, max_asa_s=None, max_abandon=None, shrinkage=0.0,
                    sl_definition: str = "answered_of_offered") -> pd.DataFrame:
    """Smallest number of agents meeting every target, per row (vectorised search).

    Without ``patience_s`` the model is Erlang C (the search starts at floor(a) + 1, agents
    must exceed traffic); with ``patience_s`` it is Erlang A (M/M/n+M, search over n >= 1)
    and ``sl_definition`` (default ``"answered_of_offered"``) names the SL measured.
    Targets: ``sl_target`` in (0, 1) at ``target_s`` seconds (t = 0 allowed: answered
    without wait); ``max_occupancy`` in (0, 1]; ``max_asa_s`` (ASA of answered calls);
    ``max_abandon`` in (0, 1) (Erlang A only).

    Returns ``traffic_erl, agents, agents_fractional, scheduled, binding`` and the metrics
    at ``agents``. ``agents_fractional`` is a continuous requirement for smooth curves: the
    binding metric interpolated linearly between n - 1 and n (for Erlang C the lower point is
    max(n - 1, a), where SL and 1/ASA are 0); occupancy gives a / max_occupancy exactly.
    ``binding`` is the constraint that set the answer (ties go to the first of
    service_level, max_occupancy, asa, abandonment) or ``zero_traffic``.
    ``scheduled`` = ceil(agents / (1 - shrinkage)), exact.
    """
    _check_definition(sl_definition)
    sl_target_arr = _check_fraction("sl_target", sl_target)
    if max_occupancy is not None:
        _check_fraction("max_occupancy", max_occupancy, high_open=False)
    if max_abandon is not None:
        if patience_s is None:
            raise ParameterError("max_abandon", max_abandon,
                                 "None unless patience_s is given (Erlang C has no abandonment)")
        _check_fraction("max_abandon", max_abandon)
    if max_asa_s is not None:
        _as_float("max_asa_s", max_asa_s, positive=True)
    _check_fraction("shrinkage", shrinkage, low_open=False)
    index = _index_of(calls, aht_s, interval_s, target_s, patience_s, shrinkage)
    calls, aht, interval = _traffic(calls, aht_s, interval_s)
    arrays = {"calls": calls, "aht": aht, "interval": interval,
              "t": _as_float("target_s", target_s), "sl": sl_target_arr,
              "shrink": np.atleast_1d(np.asarray(shrinkage, dtype=float))}
    if patience_s is not None:
        arrays["patience"] = _as_float("patience_s", patience_s, allow_inf=True, positive=True)
    if max_occupancy is not None:
        arrays["occ"] = np.atleast_1d(np.asarray(max_occupancy, dtype=float))
    if max_asa_s is not None:
        arrays["asa"] = np.atleast_1d(np.asarray(max_asa_s, dtype=float))
    if max_abandon is not None:
        arrays["ab"] = np.atleast_1d(np.asarray(max_abandon, dtype=float))
    b = _broadcast(**arrays)
    a = b["calls"] * b["aht"] / b["interval"]
    size = a.shape[0]
    erlang_a_mode = patience_s is not None
    lam = b["calls"] / b["interval"]

    need_asa = "asa" in b
    fast = True

    def evaluate(rows, n, blocking=None):
        if erlang_a_mode:
            m = _erlang_a_arrays(lam[rows], b["aht"][rows], b["patience"][rows], n, b["t"][rows],
                                 need_asa=need_asa, fast=fast)
            m["service_level"] = m[f"sl_{sl_definition}"]
            m["asa_s"] = m["asa_answered_s"]
            return m
        return _erlang_c_arrays(a[rows], b["aht"][rows], n, b["t"][rows], blocking)

    def meets(rows, n, m):
        ok = m["service_level"] >= b["sl"][rows]
        if "occ" in b:
            # A relative tolerance of 1e-12 makes decimal-exact ties (17 Erl at 85 % = 20
            # agents) count as met despite binary rounding of a / n.
            ok &= m["occupancy"] <= b["occ"][rows] * (1 + 1e-12)
        if "asa" in b:
            ok &= m["asa_s"] <= b["asa"][rows]
        if "ab" in b:
            ok &= m["p_abandon"] <= b["ab"][rows]
        if not erlang_a_mode:
            ok &= n > a[rows]
        return ok

    agents = np.zeros(size)
    blocking = np.where(a > 0, 1.0, 0.0)      # Erlang B at the answer (zero traffic: 0)
    positive = np.flatnonzero(a > 0)
    if positive.size:
        if erlang_a_mode:
            agents[positive] = _search_bisect(positive, evaluate, meets)
        else:
            agents[positive], blocking[positive] = _search_erlang_c(positive, a, b, meets)

    all_rows = np.arange(size)
    prev_n = np.maximum(agents - 1, 0)
    if erlang_a_mode:
        need_asa, fast = True, False
        metrics = evaluate(all_rows, agents)
        prev = evaluate(all_rows, prev_n)
        # The search ran on the fast path: re-check n and n - 1 exactly and step where a
        # near-tie came out differently (rare; keeps the answer exact).
        for _ in range(50):
            up = (a > 0) & ~meets(all_rows, agents, metrics)
            down = (a > 0) & (agents > 1) & meets(all_rows, prev_n, prev)
            if not (up.any() or down.any()):
                break
            agents = agents + up - down
            prev_n = np.maximum(agents - 1, 0)
            metrics = evaluate(all_rows, agents)
            prev = evaluate(all_rows, prev_n)
    else:
        # B(n) comes from the search; B(n - 1) = n B(n) / (a (1 - B(n))) inverts the
        # recursion (only used where n - 1 > a, i.e. B(n) well below 1).
        with np.errstate(divide="ignore", invalid="ignore"):
            blocking_prev = np.clip(agents * blocking / (a * (1 - blocking)), 0.0, 1.0)
        blocking_prev = np.where((a > 0) & (prev_n > a), blocking_prev, 1.0)
        metrics = evaluate(all_rows, agents, blocking)
        prev = evaluate(all_rows, prev_n, blocking_prev)
    binding = np.full(size, "zero_traffic", dtype=object)
    fractional = np.zeros(size)
    lower_x = prev_n if erlang_a_mode else np.maximum(prev_n, a)
    # Each constraint failing at n - 1 is binding at n; take the first in BINDING_ORDER.
    candidates = []
    fails_sl = ~(prev["service_level"] >= b["sl"])   # NaN (no answered calls) fails
    candidates.append(("service_level", fails_sl,
                       _interp_fraction(agents, np.where(prev_n > a, prev["service_level"], 0.0)
                                        if not erlang_a_mode else prev["service_level"],
                                        metrics["service_level"], b["sl"], lower_x)))
    if "occ" in b:
        candidates.append(("max_occupancy", prev["occupancy"] > b["occ"] * (1 + 1e-12),
                           a / b["occ"]))
    if "asa" in b:
        with np.errstate(divide="ignore"):
            inv_prev = np.where(np.isfinite(prev["asa_s"]), 1.0 / prev["asa_s"], 0.0)
            inv_now = 1.0 / metrics["asa_s"]
        candidates.append(("asa", prev["asa_s"] > b["asa"],
                           _interp_fraction(agents, inv_prev, inv_now, 1.0 / b["asa"], lower_x)))
    if "ab" in b:
        candidates.append(("abandonment", prev["p_abandon"] > b["ab"],
                           _interp_fraction(agents, -prev["p_abandon"], -metrics["p_abandon"],
                                            -b["ab"], lower_x)))
    pos_mask = a > 0
    unset = pos_mask.copy()
    for name, fails, frac in candidates:
        pick = unset & fails
        binding[pick] = name
        unset &= ~pick
        fractional = np.where(pos_mask & fails, np.maximum(fractional, frac), fractional)
    binding[unset] = "service_level"     # defensive: cannot happen with monotone metrics
    fractional = np.where(pos_mask, np.clip(fractional, agents - 1, agents), 0.0)

    out = pd.DataFrame({"traffic_erl": a, "agents": agents.astype(np.int64),
                        "agents_fractional": fractional,
                        "scheduled": scheduled_agents(agents.astype(np.int64), b["shrink"]),
                        "binding": binding}, index=index)
    for key in ("p_wait", "service_level", "asa_s", "occupancy"):
        out[key] = metrics[key]
    if erlang_a_mode:
        out["p_abandon"] = metrics["p_abandon"]
        for d in SL_DEFINITIONS:
            out[f"sl_{d}"] = metrics[f"sl_{d}"]
        out["asa_all_s"] = metrics["asa_all_s"]
        out["asa_answered_s"] = metrics["asa_answered_s"]
    return out


def _search_erlang_c(rows, a, b, meets) -> tuple[np.ndarray, np.ndarray]:
    """Agents and their Erlang B value. Step n upwards from max(floor(a) + 1, occupancy floor) with the Erlang B recursion,
    all unfinished rows at once; typical rows finish in a handful of steps."""
    ar = a[rows]
    n = np.floor(ar) + 1
    if "occ" in b:
        n_occ = np.ceil(ar / b["occ"][rows])
        # exact-tie correction: a / (n_occ - 1) <= max_occ within 1e-12 means n_occ - 1 is enough
        lower = n_occ - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            tie = (lower > 0) & (ar / lower <= b["occ"][rows] * (1 + 1e-12))
        n_occ = np.where(tie, lower, n_occ)
        n = np.maximum(n, n_occ)
    blocking = _erlang_b_arrays(n, ar)
    result = np.zeros(rows.size)
    result_b = np.zeros(rows.size)
    todo = np.arange(rows.size)
    aht, t = b["aht"][rows], b["t"][rows]
    while todo.size:
        m = _erlang_c_arrays(ar[todo], aht[todo], n[todo], t[todo], blocking[todo])
        ok = meets(rows[todo], n[todo], m)
        result[todo[ok]] = n[todo[ok]]
        result_b[todo[ok]] = blocking[todo[ok]]
        todo = todo[~ok]
        if todo.size:
            bt, at = blocking[todo], ar[todo]
            n[todo] += 1
            blocking[todo] = at * bt / (n[todo] + at * bt)   # B(n) from B(n - 1)
    return result, result_b


def _search_bisect(rows, evaluate, meets) -> np.ndarray:
    """Smallest n >= 1 meeting every target when the metrics are monotone in n (Erlang A):
    double an upper bound, then bisect, all rows at once."""
    hi = np.ones(rows.size)
    todo = np.arange(rows.size)
    while todo.size:
        ok = meets(rows[todo], hi[todo], evaluate(rows[todo], hi[todo]))
        todo = todo[~ok]
        hi[todo] *= 2
        if hi.max() > 1e8:
            raise ParameterError("targets", "unreachable", "targets some finite staffing meets")
    lo = np.floor(hi / 2)          # lo fails (or is 0, which never serves traffic)
    todo = np.flatnonzero(hi - lo > 1)
    while todo.size:
        mid = np.floor((lo[todo] + hi[todo]) / 2)
        ok = meets(rows[todo], mid, evaluate(rows[todo], mid))
        hi[todo] = np.where(ok, mid, hi[todo])
        lo[todo] = np.where(ok, lo[todo], mid)
        todo = todo[hi[todo] - lo[todo] > 1]
    return hi


# --------------------------------------------------------------------------------------------
# From interval requirement to FTE
# --------------------------------------------------------------------------------------------

def _interval_hours(ds: pd.Series, interval_minutes) -> float:
    if interval_minutes is not None:
        if not interval_minutes > 0:
            raise ParameterError("interval_minutes", interval_minutes, "a positive number")
        return float(interval_minutes) / 60.0
    steps = np.diff(np.unique(ds.to_numpy(dtype="datetime64[ns]")).astype(np.int64))
    steps = steps[steps > 0]
    if steps.size == 0:
        raise ParameterError("interval_minutes", None,
                             "the interval length in minutes (cannot infer it from one row)")
    return float(steps.min()) / 3.6e12


def fte_rollup(requirements: pd.DataFrame, *, freq: str = "W", contract_hours_per_week=35.0,
               shrinkage=0.0, absence_rate=0.0, schedule_efficiency=1.0,
               agents_column: str = "agents", interval_minutes=None,
               by: Iterable[str] = ("queue",), worked_hours_per_year=None,
               holiday_country: str | None = None, open_weekdays=None) -> pd.DataFrame:
    """Weekly (``freq="W"``, weeks ending Sunday) or monthly (``"ME"``) FTE from interval
    requirements: agent-hours, not a sum of interval peaks.

    paid hours = sum(agents x interval hours) / (1 - shrinkage) / schedule_efficiency;
    FTE = paid hours / hours one FTE works on the period's open days.

    One FTE's worked hours of a year (``worked_hours_per_year``: a number or a function of the
    year; default ``contract_hours_per_week`` x 52.18 x (1 - ``absence_rate``)) are spread over
    the site's open days of that year. A period's FTE is then the staff level its workload
    needs, and a partial period (the data start or end inside it) is prorated by the open days
    it covers (``complete`` False): the same staff gives the same FTE whatever the window.
    Open days: ``open_weekdays`` (default: the weekdays the requirement shows), less
    ``holiday_country``'s public holidays, plus any day the requirement shows open.
    ``shrinkage`` is in-shift loss (breaks, training, coaching, in-day unplanned); leave,
    public holidays and absence belong in the worked hours: do not count a loss twice.
    ``schedule_efficiency`` (<= 1) is the share of scheduled hours that land where the
    requirement is. Rounding happens once, here: ``fte_rounded`` = ceil(FTE) per group and
    period, the level where people are scheduled; never sum rounded interval values.
    """
    if freq not in ("W", "ME"):
        raise ParameterError("freq", freq, '"W" (weeks ending Sunday) or "ME" (calendar months)')
    if not contract_hours_per_week > 0:
        raise ParameterError("contract_hours_per_week", contract_hours_per_week, "hours > 0")
    shrink = float(_as_fraction("shrinkage", shrinkage))
    absence = float(_as_fraction("absence_rate", absence_rate))
    if not 0 < schedule_efficiency <= 1:
        raise ParameterError("schedule_efficiency", schedule_efficiency, "a fraction in (0, 1]")
    by = [c for c in by if c in requirements.columns]
    missing = [c for c in ("ds", agents_column) if c not in requirements.columns]
    if missing:
        raise DataError(f"requirements lack column(s) {missing}", column=missing[0],
                        expected=f"columns ds, {agents_column} (and optionally {', '.join(by)})")
    agents = _as_float(agents_column, requirements[agents_column].reset_index(drop=True))
    local = local_clock(requirements["ds"]).reset_index(drop=True)
    hours = _interval_hours(local, interval_minutes)
    day = local.dt.normalize()
    if freq == "W":
        period_end = day + pd.to_timedelta(6 - day.dt.day_of_week, unit="D")
        period_start = period_end - pd.Timedelta(days=6)
    else:
        period_end = day + pd.offsets.MonthEnd(0)
        period_start = period_end - pd.offsets.MonthBegin(1)
    frame = pd.DataFrame({"period": period_end, "period_start": period_start,
                          "agent_hours": agents * hours, "agents": agents})
    for c in by:
        frame[c] = requirements[c].to_numpy()
    keys = [*by, "period"]
    grouped = frame.groupby(keys, sort=True).agg(period_start=("period_start", "first"),
                                                 workload_hours=("agent_hours", "sum"),
                                                 peak_agents=("agents", "max")).reset_index()
    per_day = _fte_hours_per_day(day, worked_hours_per_year, contract_hours_per_week, absence,
                                 holiday_country, open_weekdays)
    first_day, last_day = day.min(), day.max()
    cum_open = per_day["open"].cumsum()
    cum_hours = per_day["fte_hours"].cumsum()

    def _between(cum: pd.Series, lo: pd.Series, hi: pd.Series) -> np.ndarray:
        upper = cum.reindex(hi).to_numpy()
        lower = cum.reindex(lo - pd.Timedelta(days=1)).fillna(0).to_numpy()
        return upper - lower

    start = grouped["period_start"].where(grouped["period_start"] > first_day, first_day)
    end = grouped["period"].where(grouped["period"] < last_day, last_day)
    full_open = _between(cum_open, grouped["period_start"], grouped["period"])
    covered_open = _between(cum_open, start, end)
    grouped["complete"] = covered_open >= full_open
    grouped["days"] = (end - start).dt.days.to_numpy() + 1
    grouped["open_days"] = covered_open.astype(np.int64)
    grouped["open_days_in_period"] = full_open.astype(np.int64)
    grouped["paid_hours"] = grouped["workload_hours"] / (1 - shrink) / schedule_efficiency
    grouped["fte_hours"] = _between(cum_hours, start, end)
    grouped["fte"] = grouped["paid_hours"] / grouped["fte_hours"]
    # round to 1e-9 first so binary noise (20.000000000000004) does not add a whole FTE
    grouped["fte_rounded"] = np.ceil(grouped["fte"].round(9)).astype(np.int64)
    return grouped[[*by, "period", "period_start", "days", "open_days", "open_days_in_period",
                    "complete", "workload_hours", "paid_hours", "fte_hours", "fte",
                    "fte_rounded", "peak_agents"]]


def _fte_hours_per_day(day: pd.Series, worked_hours_per_year, contract_hours_per_week,
                       absence: float, holiday_country, open_weekdays) -> pd.DataFrame:
    """Per calendar day of the years the data touch: open (0/1) and the hours one FTE works
    on it (the year's worked hours spread evenly over the year's open days)."""
    seen = pd.DatetimeIndex(day.unique())
    years = range(int(seen.min().year), int(seen.max().year) + 1)
    days = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-31", freq="D")
    weekdays = (sorted(set(seen.day_of_week)) if open_weekdays is None
                else [int(w) for w in open_weekdays])
    closed = pd.DatetimeIndex([])
    if holiday_country:
        from toolkit import calendars
        try:
            table = calendars.public_holidays(holiday_country, list(years))
        except ParameterError as exc:
            raise ParameterError("holiday_country", holiday_country, exc.expected) from exc
        closed = pd.DatetimeIndex(table["date"])
    is_open = ((days.day_of_week.isin(weekdays) & ~days.isin(closed)) | days.isin(seen))
    out = pd.DataFrame({"open": is_open.astype(np.int64)}, index=days)
    if worked_hours_per_year is None:
        def worked(_year):
            return contract_hours_per_week * 365.2425 / 7 * (1 - absence)
    elif callable(worked_hours_per_year):
        worked = worked_hours_per_year
    else:
        def worked(_year):
            return float(worked_hours_per_year)
    per_open = {}
    for y in years:
        n_open = int(out.loc[str(y), "open"].sum())
        hours = float(worked(y))
        if not hours > 0:
            raise ParameterError("worked_hours_per_year", hours, "hours > 0 for every year")
        per_open[y] = hours / n_open if n_open else 0.0
    out["fte_hours"] = out["open"] * out.index.year.map(per_open).to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# AHT profile
# --------------------------------------------------------------------------------------------

def aht_profile(history: pd.DataFrame, *, recent_weeks: int | None = 13,
                min_calls: float = 30.0) -> pd.DataFrame:
    """Call-weighted AHT by queue x weekday x slot (local clock) from ``ds, queue, calls,
    aht_s`` history (``toolkit.io.read_volumes``).

    Uses the last ``recent_weeks`` weeks (AHT drifts; None = all). A cell with fewer than
    ``min_calls`` calls borrows the queue x slot value, then the queue value (``level`` says
    which), so thin early/late slots do not get noisy AHTs. ``aht_queue_s`` is the queue's
    call-weighted AHT over the window (the fallback for unseen slots).
    """
    needed = {"ds", "queue", "calls", "aht_s"}
    if not needed <= set(history.columns):
        missing = sorted(needed - set(history.columns))
        raise DataError(f"history lacks column(s) {missing}", column=missing[0],
                        expected="ds, queue, calls, aht_s (toolkit.io.read_volumes)")
    local = local_clock(history["ds"])
    frame = pd.DataFrame({"queue": history["queue"].astype(str).to_numpy(),
                          "day": local.dt.normalize().to_numpy(),
                          "weekday": local.dt.day_of_week.to_numpy(),
                          "slot": local.dt.strftime("%H:%M").to_numpy(),
                          "calls": history["calls"].to_numpy(dtype=float),
                          "aht_s": history["aht_s"].to_numpy(dtype=float)})
    if recent_weeks is not None:
        frame = frame[frame["day"] > frame["day"].max() - pd.Timedelta(weeks=recent_weeks)]
    frame = frame[(frame["calls"] > 0) & np.isfinite(frame["aht_s"])]
    if frame.empty:
        raise DataError("history has no interval with calls and an AHT", column="aht_s",
                        expected="some intervals with calls > 0 and aht_s given")
    frame = frame.assign(handle=frame["calls"] * frame["aht_s"])

    def level(keys):
        g = frame.groupby(keys, sort=True)[["calls", "handle"]].sum().reset_index()
        return g.assign(aht_s=g["handle"] / g["calls"]).drop(columns="handle")

    cell = level(["queue", "weekday", "slot"])
    by_slot = level(["queue", "slot"]).rename(columns={"aht_s": "aht_slot", "calls": "calls_slot"})
    by_queue = level(["queue"]).rename(columns={"aht_s": "aht_queue", "calls": "calls_queue"})
    out = cell.merge(by_slot, on=["queue", "slot"]).merge(by_queue, on="queue")
    use_cell = out["calls"] >= min_calls
    use_slot = ~use_cell & (out["calls_slot"] >= min_calls)
    out["level"] = np.select([use_cell, use_slot], ["queue_weekday_slot", "queue_slot"], "queue")
    out["aht_s"] = np.select([use_cell, use_slot], [out["aht_s"], out["aht_slot"]],
                             out["aht_queue"])
    out["aht_queue_s"] = out["aht_queue"]
    return out[["queue", "weekday", "slot", "aht_s", "calls", "level", "aht_queue_s"]]


def apply_aht_profile(forecast: pd.DataFrame, profile: pd.DataFrame) -> pd.DataFrame:
    """Add ``aht_s`` to a ``ds, queue, ...`` forecast from an ``aht_profile`` table; slots the
    profile lacks take the queue's call-weighted AHT. A queue the profile lacks is an error."""
    local = local_clock(forecast["ds"])
    keys = pd.DataFrame({"queue": forecast["queue"].astype(str).to_numpy(),
                         "weekday": local.dt.day_of_week.to_numpy(),
                         "slot": local.dt.strftime("%H:%M").to_numpy()})
    merged = keys.merge(profile[["queue", "weekday", "slot", "aht_s"]], how="left",
                        on=["queue", "weekday", "slot"])
    queue_mean = profile.groupby("queue")["aht_queue_s"].first()
    fallback = merged["queue"].map(queue_mean)
    unknown = merged["aht_s"].isna() & fallback.isna()
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataError(f"no AHT history for queue {merged['queue'].iloc[pos]!r}", row=pos + 1,
                        column="queue", expected=f"one of {sorted(queue_mean.index)}")
    out = forecast.copy()
    out["aht_s"] = merged["aht_s"].fillna(fallback).to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# Caller patience (Erlang A) from history
# --------------------------------------------------------------------------------------------

PATIENCE_BASES = ("exact", "lower bound", "fallback")


def patience_estimates(stats: pd.DataFrame, *, by=("queue", "site"), min_abandoned: int = 30,
                       fallback_s=None, level: float = 0.95) -> pd.DataFrame:
    """Mean caller patience per group from interval stats: abandons / total time in queue.

    For exponential patience (Erlang A's assumption) the maximum-likelihood abandonment rate is
    theta = abandoned / (total waiting time of ALL offered calls), mean patience = 1 / theta
    (Mandelbaum & Zeltyn; Brown et al. 2005). An answered caller's wait is censored: it only
    says their patience was at least that long. So both waits are needed:

    - ``basis = "exact"``: ``abandon_wait_s`` is given on every row of the group;
      ``queue_time_s = wait_time_s + abandon_wait_s``.
    - ``"lower bound"``: the abandoned calls' waits are missing (column absent, or empty on some
      rows): only the known waits are counted, so ``patience_s`` is a lower bound on the truth.
    - ``"fallback"``: fewer than ``min_abandoned`` abandons (too few to estimate), then
      ``patience_s = fallback_s`` (the planning figure; NaN when none is given).

    Parameters
    ----------
    stats : interval stats as read by ``toolkit.io.read_interval_stats`` (``offered``,
        ``abandoned``, ``wait_time_s``, optionally ``abandon_wait_s``).
    by : group keys (columns of ``stats``); ``()`` for one figure over everything.
    min_abandoned : abandons needed before the data speak (relative error ~ 1/sqrt(abandoned)).
    fallback_s : patience in seconds to use where the data cannot; announced in ``note``.
    level : confidence level of ``patience_low_s``/``patience_high_s`` (exact basis only): the
        Poisson interval for the abandon count given the queue time, which ignores any
        heterogeneity between intervals and is therefore a lower bound on the uncertainty.

    Returns one row per group: the keys, ``offered``, ``abandoned``, ``queue_time_s``,
    ``patience_s``, ``basis``, ``note``, ``patience_low_s``, ``patience_high_s``.
    """
    by = [by] if isinstance(by, str) else list(by)
    needed = {"offered", "abandoned", "wait_time_s", *by}
    if not needed <= set(stats.columns):
        missing = sorted(needed - set(stats.columns))
        raise DataError(f"interval stats lack column(s) {missing}", column=missing[0],
                        expected="offered, abandoned, wait_time_s, the group keys and "
                                 "ideally abandon_wait_s (toolkit.io.read_interval_stats)")
    if not (isinstance(min_abandoned, (int, np.integer)) and min_abandoned >= 1):
        raise ParameterError("min_abandoned", min_abandoned, "a whole number >= 1")
    if fallback_s is not None and not (np.isfinite(fallback_s) and fallback_s > 0):
        raise ParameterError("fallback_s", fallback_s, "a positive number of seconds, or None")
    if not 0 < level < 1:
        raise ParameterError("level", level, "a confidence level between 0 and 1, e.g. 0.95")
    has_column = "abandon_wait_s" in stats.columns
    abandon_wait = (stats["abandon_wait_s"].to_numpy(dtype=float) if has_column
                    else np.full(len(stats), np.nan))
    frame = pd.DataFrame({
        "offered": stats["offered"].to_numpy(dtype=np.int64),
        "abandoned": stats["abandoned"].to_numpy(dtype=np.int64),
        "wait_time_s": stats["wait_time_s"].to_numpy(dtype=float),
        "abandon_wait_s": np.nan_to_num(abandon_wait, nan=0.0),
        "rows": 1, "known": np.isfinite(abandon_wait).astype(np.int64)})
    for key in by:
        frame[key] = stats[key].to_numpy()
    sums = ["offered", "abandoned", "wait_time_s", "abandon_wait_s", "rows", "known"]
    if by:
        g = frame.groupby(by, sort=True, observed=True)[sums].sum().reset_index()
    else:
        g = frame[sums].sum().to_frame().T
    abandoned = g["abandoned"].to_numpy(dtype=float)
    queue_time = g["wait_time_s"].to_numpy(dtype=float) + g["abandon_wait_s"].to_numpy(float)
    exact = (g["known"] == g["rows"]).to_numpy()
    enough = abandoned >= min_abandoned
    basis = np.where(~enough, "fallback", np.where(exact, "exact", "lower bound"))
    estimate = np.divide(queue_time, abandoned, out=np.full(len(g), np.nan),
                         where=abandoned > 0)
    fallback = np.nan if fallback_s is None else float(fallback_s)
    patience = np.where(enough, estimate, fallback)
    # Poisson interval for theta = abandoned / queue_time (chi-square limits via gammaincinv).
    alpha = 1.0 - level
    ok = enough & exact & (queue_time > 0)
    a_safe = np.maximum(abandoned, 1.0)
    theta_low = special.gammaincinv(a_safe, alpha / 2) / np.where(ok, queue_time, 1.0)
    theta_high = special.gammaincinv(a_safe + 1.0, 1 - alpha / 2) / np.where(ok, queue_time, 1.0)
    notes = []
    for i in range(len(g)):
        a, hours = int(abandoned[i]), queue_time[i] / 3600.0
        if basis[i] == "exact":
            notes.append(f"{a:,} abandons over {hours:,.1f} h in queue (answered and "
                         "abandoned calls)")
        elif basis[i] == "lower bound":
            missing = int(g["rows"].iloc[i] - g["known"].iloc[i])
            why = ("no abandon_wait_s column" if not has_column
                   else f"abandon_wait_s empty on {missing:,} of {int(g['rows'].iloc[i]):,} "
                        "intervals")
            notes.append(f"lower bound: {why}, so only {hours:,.1f} h of known waits for "
                         f"{a:,} abandons; the true mean patience is longer")
        else:
            use = ("the planning figure " + f"{fallback:,.0f} s is used" if fallback_s is not None
                   else "no fallback_s given, so no figure")
            notes.append(f"only {a:,} abandons (fewer than {min_abandoned}): too few to "
                         f"estimate; {use}")
    out = g[by].copy() if by else pd.DataFrame(index=g.index)
    out["offered"] = g["offered"].astype(np.int64).to_numpy()
    out["abandoned"] = g["abandoned"].astype(np.int64).to_numpy()
    out["queue_time_s"] = queue_time
    out["patience_s"] = patience
    out["basis"] = basis
    out["note"] = notes
    out["patience_low_s"] = np.where(ok, 1.0 / theta_high, np.nan)
    out["patience_high_s"] = np.where(ok, 1.0 / np.where(ok, theta_low, 1.0), np.nan)
    return out.reset_index(drop=True)


def patience_by_queue(stats: pd.DataFrame, *, min_abandoned: int = 30, fallback_s=None,
                      details: bool = False):
    """One mean patience per queue for Erlang A: the sites' estimates weighted by offered calls.

    Weighting by offered calls gives the mean patience of an offered caller of the queue (the
    caller mix the queue's staffing must serve). Sites with too few abandons are left out of
    the mean; a queue with no usable site falls back to ``fallback_s``. The queue's basis is
    the weakest of its sites used ("lower bound" if any is). Returns a Series queue ->
    ``patience_s``; ``details=True`` returns the table instead (``queue, offered, abandoned,
    patience_s, basis, note``).
    """
    if "site" not in stats.columns:
        per_site = patience_estimates(stats, by=("queue",), min_abandoned=min_abandoned,
                                      fallback_s=fallback_s)
        table = per_site[["queue", "offered", "abandoned", "patience_s", "basis", "note"]]
        return table if details else table.set_index("queue")["patience_s"]
    per_site = patience_estimates(stats, by=("queue", "site"), min_abandoned=min_abandoned,
                                  fallback_s=fallback_s)
    rows = []
    for queue, sites in per_site.groupby("queue", sort=True):
        used = sites[sites["basis"] != "fallback"]
        offered, abandoned = int(sites["offered"].sum()), int(sites["abandoned"].sum())
        if used.empty:
            fallback = np.nan if fallback_s is None else float(fallback_s)
            use = (f"the planning figure {fallback:,.0f} s is used" if fallback_s is not None
                   else "no fallback_s given, so no figure")
            rows.append((queue, offered, abandoned, fallback, "fallback",
                         f"no site has {min_abandoned} abandons or more; {use}"))
            continue
        weights = used["offered"].to_numpy(dtype=float)
        value = float(np.average(used["patience_s"].to_numpy(), weights=weights))
        basis = "lower bound" if (used["basis"] == "lower bound").any() else "exact"
        left_out = sites.loc[sites["basis"] == "fallback", "site"].tolist()
        note = (f"mean of {len(used)} site(s) weighted by offered calls ("
                + ", ".join(f"{s} {p:,.0f} s" for s, p in
                            zip(used["site"], used["patience_s"], strict=True)) + ")")
        if basis == "lower bound":
            note += "; a lower bound: some sites lack the abandoned calls' waits"
        if left_out:
            note += "; left out for too few abandons: " + ", ".join(map(str, left_out))
        rows.append((queue, offered, abandoned, value, basis, note))
    table = pd.DataFrame(rows, columns=["queue", "offered", "abandoned", "patience_s", "basis",
                                        "note"])
    return table if details else table.set_index("queue")["patience_s"]


# --------------------------------------------------------------------------------------------
# Forecast uncertainty
# --------------------------------------------------------------------------------------------

# special.ndtri / ndtr are what scipy.stats.norm.ppf / cdf evaluate (same bits); scipy.stats
# itself is imported only for the gamma family: its import costs ~0.5 s per kernel.
_Z80, _Z95 = special.ndtri(0.9), special.ndtri(0.975)
FORECAST_COLUMNS = ("yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95")


def forecast_distribution(forecast: pd.DataFrame, *, family: str = "lognormal") -> pd.DataFrame:
    """Per-interval distribution of calls fitted to the forecast's 80/95 % interval columns.

    ``lognormal``: median = yhat, log-scale sigma = mean of the log distances to every
    positive interval bound divided by its normal quantile (zero lower bounds are skipped).
    ``gamma``: mean = yhat, standard deviation = mean of (upper - lower) / (2 z) over the two
    intervals (shape = mean^2 / var). yhat <= 0 or a zero-width interval gives a point mass.
    Returns ``family, mean, sd, p1, p2`` (lognormal: mu, sigma; gamma: shape, scale).
    """
    if family not in ("lognormal", "gamma"):
        raise ParameterError("family", family, '"lognormal" or "gamma"')
    missing = [c for c in FORECAST_COLUMNS if c not in forecast.columns]
    if missing:
        raise DataError(f"forecast lacks column(s) {missing}", column=missing[0],
                        expected=", ".join(FORECAST_COLUMNS))
    cols = {c: _as_float(c, forecast[c].reset_index(drop=True)) for c in FORECAST_COLUMNS}
    yhat = cols["yhat"]
    for lo, hi in (("yhat_lower_80", "yhat_upper_80"), ("yhat_lower_95", "yhat_upper_95")):
        bad = cols[lo] > cols[hi]
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise DataError(f"'{lo}' above '{hi}'", row=pos + 1, column=lo,
                            expected="lower bound <= upper bound")
    point = yhat <= 0
    if family == "lognormal":
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.log(np.where(point, 1.0, yhat))
            parts = []
            for col, z, sign in (("yhat_upper_80", _Z80, 1), ("yhat_upper_95", _Z95, 1),
                                 ("yhat_lower_80", _Z80, -1), ("yhat_lower_95", _Z95, -1)):
                v = cols[col]
                parts.append(np.where(v > 0, sign * (np.log(v) - m) / z, np.nan))
            stacked = np.vstack(parts)
            finite = np.isfinite(stacked)
            count = finite.sum(axis=0)
            sigma = np.where(count > 0, np.where(finite, stacked, 0.0).sum(axis=0)
                             / np.maximum(count, 1), 0.0)
        sigma = np.where(point, 0.0, np.maximum(sigma, 0.0))
        mean = np.where(point, 0.0, np.exp(m + sigma**2 / 2))
        sd = mean * np.sqrt(np.expm1(sigma**2))
        p1, p2 = np.where(point, -np.inf, m), sigma
    else:
        sd = ((cols["yhat_upper_80"] - cols["yhat_lower_80"]) / (2 * _Z80)
              + (cols["yhat_upper_95"] - cols["yhat_lower_95"]) / (2 * _Z95)) / 2
        mean = np.where(point, 0.0, yhat)
        sd = np.where(point, 0.0, sd)
        with np.errstate(divide="ignore", invalid="ignore"):
            p1 = np.where(sd > 0, mean**2 / sd**2, np.inf)
            p2 = np.where(sd > 0, sd**2 / np.where(mean > 0, mean, 1.0), 0.0)
    return pd.DataFrame({"family": family, "mean": mean, "sd": sd, "p1": p1, "p2": p2},
                        index=forecast.index)


def calls_quantile(distribution: pd.DataFrame, q) -> np.ndarray:
    """Calls at probability ``q`` (scalar or array broadcast against the rows) of a
    ``forecast_distribution`` table; point masses return their value."""
    q = np.asarray(q, dtype=float)
    family = distribution["family"].iloc[0] if len(distribution) else "lognormal"
    p1 = distribution["p1"].to_numpy()
    p2 = distribution["p2"].to_numpy()
    mean = distribution["mean"].to_numpy()
    if q.ndim == 2:
        p1, p2, mean = p1[None, :], p2[None, :], mean[None, :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if family == "lognormal":
            value = np.exp(p1 + p2 * special.ndtri(q))
        else:
            from scipy import stats

            value = stats.gamma.ppf(q, np.where(np.isfinite(p1), p1, 1.0),
                                    scale=np.where(p2 > 0, p2, 1.0))
    degenerate = (p2 <= 0) | ~np.isfinite(p1) if family == "lognormal" else (p2 <= 0)
    return np.where(degenerate, mean, value)


def staff_to_quantile(forecast: pd.DataFrame, *, quantile: float, aht_s, interval_s,
                      family: str = "lognormal", **targets) -> pd.DataFrame:
    """Required agents for the calls at a forecast quantile (e.g. 0.8: staffed for a volume
    exceeded one interval in five). ``targets`` go to ``required_agents``."""
    _check_fraction("quantile", quantile)
    dist = forecast_distribution(forecast, family=family)
    calls = calls_quantile(dist, quantile)
    out = required_agents(calls, np.asarray(aht_s, dtype=float), interval_s, **targets)
    out.index = forecast.index
    out.insert(0, "calls", calls)
    return out


def _sl_at(calls, aht, interval_s, agents, target_s, patience_s, sl_definition):
    """Service level only (skips the ASA series: the risk functions call this many times)."""
    if patience_s is None:
        return erlang_c(calls, aht, interval_s, agents, target_s)["service_level"].to_numpy()
    calls, aht, interval = _traffic(calls, aht, interval_s)
    b = _broadcast(calls=calls, aht=aht, interval=interval,
                   n=_as_float("agents", agents, integer=True), t=_as_float("target_s", target_s),
                   patience=_as_float("patience_s", patience_s, allow_inf=True, positive=True))
    out = _erlang_a_arrays(b["calls"] / b["interval"], b["aht"], b["patience"], b["n"], b["t"],
                           need_asa=False)
    return out[f"sl_{sl_definition}"]


def service_level_risk(forecast: pd.DataFrame, agents, *, aht_s, interval_s, target_s,
                       sl_target: float, patience_s=None,
                       sl_definition: str = "answered_of_offered", family: str = "lognormal",
                       within_day_correlation: float = 0.5, n_draws: int = 200,
                       seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expected SL and P(SL >= sl_target) for a given staffing over the forecast distribution.

    Per interval (exact, deterministic): E[SL] by a 64-point quantile rule; P(SL >= target)
    = P(calls <= c*) where c* (bisection) is the most calls the staffing absorbs at target.
    Per day and queue (Monte Carlo, seeded): daily SL = calls-weighted interval SL; interval
    draws share a day factor with correlation ``within_day_correlation`` (forecast errors
    within a day move together; 0 = independent, which understates risk).
    Returns ``(per_interval, per_day)``.
    """
    _check_fraction("sl_target", sl_target)
    if not 0 <= within_day_correlation <= 1:
        raise ParameterError("within_day_correlation", within_day_correlation, "a value in [0, 1]")
    dist = forecast_distribution(forecast, family=family)
    rows = len(forecast)
    agents = np.broadcast_to(_as_float("agents", agents, integer=True), (rows,)).copy()
    aht = np.broadcast_to(_as_float("aht_s", aht_s), (rows,)).copy()
    grid = (np.arange(64) + 0.5) / 64
    calls_grid = calls_quantile(dist, grid[:, None])                 # (64, rows)
    flat = lambda v: np.broadcast_to(v, calls_grid.shape).ravel()  # noqa: E731
    sl_grid = _sl_at(calls_grid.ravel(), flat(aht), interval_s, flat(agents), target_s,
                     patience_s, sl_definition).reshape(calls_grid.shape)
    expected = sl_grid.mean(axis=0)
    # Largest calls still meeting the target: SL falls with calls, bisect on [0, hi].
    lo = np.zeros(rows)
    hi = np.maximum(calls_quantile(dist, 0.99999), 1.0) * 2
    meets_hi = _sl_at(hi, aht, interval_s, agents, target_s, patience_s, sl_definition) >= sl_target
    for _ in range(40):
        mid = (lo + hi) / 2
        ok = _sl_at(mid, aht, interval_s, agents, target_s, patience_s, sl_definition) >= sl_target
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    threshold = np.where(meets_hi, np.inf, lo)
    mean = dist["mean"].to_numpy()
    if dist["family"].iloc[0] == "lognormal":
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(threshold) - dist["p1"].to_numpy()) / np.where(dist["p2"] > 0, dist["p2"], 1)
        cdf = special.ndtr(z)
    else:
        from scipy import stats

        cdf = stats.gamma.cdf(threshold, np.where(np.isfinite(dist["p1"]), dist["p1"], 1.0),
                              scale=np.where(dist["p2"] > 0, dist["p2"], 1.0))
    point = dist["p2"].to_numpy() <= 0
    sl_point = _sl_at(mean, aht, interval_s, agents, target_s, patience_s, sl_definition)
    p_meet = np.where(point, (sl_point >= sl_target).astype(float), cdf)
    per_interval = pd.DataFrame({"ds": forecast["ds"].to_numpy(),
                                 "queue": forecast["queue"].to_numpy() if "queue" in forecast
                                 else "all",
                                 "agents": agents.astype(np.int64), "calls_mean": mean,
                                 "sl_at_mean": sl_point, "expected_sl": expected,
                                 "calls_at_target": threshold, "p_sl_ge_target": p_meet},
                                index=forecast.index)
    # Per day: correlated Monte Carlo draws.
    rng = np.random.default_rng(seed)
    local = local_clock(forecast["ds"]).reset_index(drop=True)
    day_key = pd.DataFrame({"queue": per_interval["queue"].to_numpy(),
                            "day": local.dt.normalize().to_numpy()})
    day_codes, day_uniques = pd.factorize(pd.MultiIndex.from_frame(day_key))
    z_day = rng.standard_normal((n_draws, len(day_uniques)))[:, day_codes]
    z_own = rng.standard_normal((n_draws, rows))
    r = within_day_correlation
    u = special.ndtr(np.sqrt(r) * z_day + np.sqrt(1 - r) * z_own)
    draws = calls_quantile(dist, np.clip(u, 1e-12, 1 - 1e-12))
    sl_draw = _sl_at(draws.ravel(), np.broadcast_to(aht, draws.shape).ravel(), interval_s,
                     np.broadcast_to(agents, draws.shape).ravel(), target_s, patience_s,
                     sl_definition).reshape(draws.shape)
    met = np.zeros((n_draws, len(day_uniques)))
    offered = np.zeros((n_draws, len(day_uniques)))
    for d in range(n_draws):
        met[d] = np.bincount(day_codes, weights=draws[d] * sl_draw[d], minlength=len(day_uniques))
        offered[d] = np.bincount(day_codes, weights=draws[d], minlength=len(day_uniques))
    with np.errstate(invalid="ignore", divide="ignore"):
        day_sl = np.where(offered > 0, met / offered, 1.0)
    per_day = pd.DataFrame({"queue": [k[0] for k in day_uniques],
                            "day": [k[1] for k in day_uniques],
                            "calls_mean": np.bincount(day_codes, weights=mean),
                            "expected_sl": day_sl.mean(axis=0),
                            "sl_p10": np.quantile(day_sl, 0.1, axis=0),
                            "p_sl_ge_target": (day_sl >= sl_target).mean(axis=0)})
    return per_interval, per_day.sort_values(["queue", "day"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Discrete-event simulation check
# --------------------------------------------------------------------------------------------

def _lognormal(rng, mean, cv, size):
    sigma2 = math.log1p(cv * cv)
    return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)


def _draw(rng, kind: str, mean: float, cv: float, size: int, parameter: str) -> np.ndarray:
    if not np.isfinite(mean):
        return np.full(size, np.inf)
    if kind == "exponential":
        return rng.exponential(mean, size)
    if kind == "lognormal":
        return _lognormal(rng, mean, cv, size)
    if kind == "deterministic":
        return np.full(size, float(mean))
    raise ParameterError(parameter, kind, '"exponential", "lognormal" or "deterministic"')


def _simulate_one(lam, n, aht, patience, t, *, handle, handle_cv, patience_kind, patience_cv,
                  n_calls, warmup, batches, rng):
    """FCFS M/G/n+G in steady state: one long run of ``n_calls`` arrivals after ``warmup``.

    Server free times live in a heap; a caller starts at max(arrival, earliest free time)
    unless that wait exceeds its patience (then it abandons and takes no server). FCFS makes
    start times non-decreasing, so this single pass is exact.
    """
    total = n_calls + warmup
    arrivals = np.cumsum(rng.exponential(1.0 / lam, total))
    service = _draw(rng, handle, aht, handle_cv, total, "handle")
    pat = _draw(rng, patience_kind, patience, patience_cv, total, "patience")
    # The event loop runs on Python floats and lists: indexing numpy arrays element by element
    # (and numpy scalar arithmetic) costs several times more; the doubles are the same.
    arrivals_l, service_l, pat_l = arrivals.tolist(), service.tolist(), pat.tolist()
    waits_l = [0.0] * total
    answered_l = [False] * total
    free = [0.0] * int(n)
    heapq.heapify(free)
    for i in range(total):
        arr = arrivals_l[i]
        if n == 0:
            waits_l[i] = pat_l[i]
            continue
        start = free[0] if free[0] > arr else arr
        wait = start - arr
        if wait > pat_l[i]:
            waits_l[i] = pat_l[i]
            continue
        waits_l[i] = wait
        answered_l[i] = True
        heapq.heapreplace(free, start + service_l[i])
    waits = np.array(waits_l[warmup:], dtype=float)
    answered = np.array(answered_l[warmup:], dtype=bool)
    sl = answered & (waits <= t)
    split = np.array_split(np.arange(n_calls), batches)
    sl_b = np.array([sl[s].mean() for s in split])
    ab_b = np.array([1 - answered[s].mean() for s in split])
    n_ans = answered.sum()
    return (sl.mean(), sl_b.std(ddof=1) / math.sqrt(batches), 1 - answered.mean(),
            ab_b.std(ddof=1) / math.sqrt(batches),
            float(waits[answered].mean()) if n_ans else np.nan,
            float(waits.mean()) if np.isfinite(waits).all() else np.inf)


def simulate_intervals(calls, aht_s, interval_s, agents, target_s, patience_s=None, *,
                       handle: str = "exponential", handle_cv: float = 1.0,
                       patience: str = "exponential", patience_cv: float = 1.0,
                       n_calls: int = 20_000, warmup_calls: int = 2_000, batches: int = 10,
                       seed: int = 0) -> pd.DataFrame:
    """Steady-state discrete-event simulation per row, to check the formulas' assumptions.

    Each row is simulated as a long stationary run at its arrival rate (calls / interval_s)
    with ``agents`` servers: handle times exponential (Erlang) or lognormal with ``handle_cv``;
    patience exponential (Erlang A), lognormal or deterministic with mean ``patience_s``
    (None = infinite, Erlang C). Returns ``sim_sl`` (answered within target_s of offered),
    ``sim_sl_se`` (batch means), ``sim_abandon``, ``sim_abandon_se``, ``sim_asa_s``
    (answered calls), ``sim_queue_time_s`` (mean time in queue of all offered calls, answered
    and abandoned: ``sim_abandon / sim_queue_time_s`` is the patience estimator's theta).
    Seeded: same inputs, same numbers.
    """
    index = _index_of(calls, aht_s, interval_s, agents, target_s)
    calls_a, aht, interval = _traffic(calls, aht_s, interval_s)
    pat = np.inf if patience_s is None else _as_float("patience_s", patience_s, allow_inf=True,
                                                        positive=True)
    b = _broadcast(calls=calls_a, aht=aht, interval=interval,
                   n=_as_float("agents", agents, integer=True),
                   t=_as_float("target_s", target_s), patience=np.atleast_1d(pat))
    if batches < 2 or n_calls < batches:
        raise ParameterError("batches", batches, "at least 2 and at most n_calls")
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(b["calls"].shape[0]):
        lam = b["calls"][i] / b["interval"][i]
        if lam <= 0:
            rows.append((1.0, 0.0, 0.0, 0.0, 0.0, 0.0))
            continue
        rows.append(_simulate_one(lam, int(b["n"][i]), b["aht"][i], b["patience"][i], b["t"][i],
                                  handle=handle, handle_cv=handle_cv, patience_kind=patience,
                                  patience_cv=patience_cv, n_calls=n_calls, warmup=warmup_calls,
                                  batches=batches, rng=rng))
    return pd.DataFrame(rows, columns=["sim_sl", "sim_sl_se", "sim_abandon", "sim_abandon_se",
                                       "sim_asa_s", "sim_queue_time_s"], index=index)


def flag_formula_vs_simulation(formula: pd.DataFrame, simulated: pd.DataFrame, *,
                               sl_tolerance: float = 0.03,
                               abandon_tolerance: float = 0.02,
                               n_se: float = 2.0) -> pd.DataFrame:
    """Side by side formula and simulation; ``flag`` where SL or abandonment differ by more
    than the tolerance (absolute, in fractions) plus ``n_se`` simulation standard errors —
    i.e. where the Erlang assumptions, not simulation noise, move the answer."""
    if len(formula) != len(simulated):
        raise ParameterError("simulated", f"{len(simulated)} rows",
                             f"one row per formula row ({len(formula)})")
    out = pd.DataFrame(index=formula.index)
    out["sl_formula"] = formula["service_level"].to_numpy()
    out["sl_sim"] = simulated["sim_sl"].to_numpy()
    out["sl_gap"] = out["sl_sim"] - out["sl_formula"]
    ab_formula = formula["p_abandon"].to_numpy() if "p_abandon" in formula else 0.0
    out["abandon_formula"] = ab_formula
    out["abandon_sim"] = simulated["sim_abandon"].to_numpy()
    out["abandon_gap"] = out["abandon_sim"] - out["abandon_formula"]
    sl_se = simulated["sim_sl_se"].to_numpy()
    ab_se = simulated["sim_abandon_se"].to_numpy()
    out["flag"] = ((np.abs(out["sl_gap"]) > sl_tolerance + n_se * sl_se)
                   | (np.abs(out["abandon_gap"]) > abandon_tolerance + n_se * ab_se))
    return out


# --------------------------------------------------------------------------------------------
# Notebook-level helpers (thin notebooks: the steps live here, tested)
# --------------------------------------------------------------------------------------------

def load_forecast(path) -> pd.DataFrame:
    """Read the forecast Parquet written by notebooks/10_volume_forecast.ipynb, checked.

    A missing file stops with a message saying which notebook writes it.
    """
    from toolkit import config

    resolved = config.project_path(path)
    if not resolved.is_file():
        raise FileNotFoundError(
            f"forecast file {resolved} not found: run notebooks/10_volume_forecast.ipynb first "
            "(it writes data/processed/forecast.parquet), or point forecast_path at a forecast "
            "with columns ds, queue, " + ", ".join(FORECAST_COLUMNS))
    forecast = pd.read_parquet(resolved)
    missing = [c for c in ("ds", "queue", *FORECAST_COLUMNS) if c not in forecast.columns]
    if missing:
        raise DataError(f"forecast lacks column(s) {missing}", file=resolved, column=missing[0],
                        expected="ds, queue, " + ", ".join(FORECAST_COLUMNS))
    for col in FORECAST_COLUMNS:
        _as_float(col, forecast[col].reset_index(drop=True))
    return forecast.sort_values(["queue", "ds"], kind="stable").reset_index(drop=True)


#: The distributions the notebook checks the formulas against: the formulas' own assumptions
#: (the simulation's control), then the realistic departures the call history can reveal.
SIMULATION_SCENARIOS = {
    "exponential (formula assumptions)": {},
    "lognormal handle, CV 0.8": {"handle": "lognormal", "handle_cv": 0.8},
    "lognormal handle + lognormal patience, CV 0.5": {
        "handle": "lognormal", "handle_cv": 0.8, "patience": "lognormal", "patience_cv": 0.5},
}


def simulation_checks(plan: pd.DataFrame, interval_s: float, target_s: float,
                      patience_s: float | None, *, per_queue: int = 2,
                      scenarios: dict | None = None, n_calls: int = 40_000,
                      seed: int = 0) -> pd.DataFrame:
    """Formula vs simulation on each queue's ``per_queue`` busiest intervals of ``plan``
    (``queue, ds, calls, aht_s, agents``), under each of ``scenarios`` (default
    ``SIMULATION_SCENARIOS``): one row per (scenario, interval) with the ``flag`` columns of
    ``flag_formula_vs_simulation`` and the scenario's name in ``simulation``."""
    busiest = (plan.sort_values("calls", ascending=False).groupby("queue").head(per_queue)
               .sort_values(["queue", "ds"]).reset_index(drop=True))
    formula = erlang_a(busiest["calls"], busiest["aht_s"], interval_s, busiest["agents"],
                       target_s, patience_s if patience_s is not None else float("inf"))
    checks = []
    for label, options in (scenarios or SIMULATION_SCENARIOS).items():
        sim = simulate_intervals(busiest["calls"], busiest["aht_s"], interval_s,
                                 busiest["agents"], target_s, patience_s, n_calls=n_calls,
                                 seed=seed, **options)
        flags = flag_formula_vs_simulation(formula, sim)
        checks.append(pd.concat([busiest[["queue", "ds", "agents"]], flags], axis=1)
                      .assign(simulation=label))
    return pd.concat(checks, ignore_index=True)


def plan_requirements(forecast: pd.DataFrame, history: pd.DataFrame, *, interval_minutes=30,
                      sl_target=0.8, target_s=20, patience_s=None, max_occupancy=None,
                      shrinkage_planned=0.0, shrinkage_unplanned=0.0, recent_weeks=13,
                      sl_definition: str = "answered_of_offered") -> pd.DataFrame:
    """Interval requirements for a forecast: AHT from the history profile (queue x weekday x
    slot, or the forecast's own ``aht_s`` when no history is given), agents at the point forecast (Erlang A when ``patience_s`` is given, else C),
    the Erlang C answer alongside for comparison, scheduled agents after combined shrinkage.
    """
    if history is None and "aht_s" in forecast.columns:
        frame = forecast  # handle times given per interval (e.g. the call history itself)
    else:
        frame = apply_aht_profile(forecast, aht_profile(history, recent_weeks=recent_weeks))
    interval_s = float(interval_minutes) * 60.0
    shrink = combine_shrinkage(shrinkage_planned, shrinkage_unplanned)
    targets = {"sl_target": sl_target, "target_s": target_s, "max_occupancy": max_occupancy,
               "shrinkage": shrink}
    req = required_agents(frame["yhat"].clip(lower=0), frame["aht_s"], interval_s,
                          patience_s=patience_s, sl_definition=sl_definition, **targets)
    erlang_c_req = required_agents(frame["yhat"].clip(lower=0), frame["aht_s"], interval_s,
                                   **targets)
    out = frame[["ds", "queue", "yhat"]].rename(columns={"yhat": "calls"})
    out["aht_s"] = frame["aht_s"]
    out = pd.concat([out, req.drop(columns=[c for c in req.columns if c.startswith("sl_")])],
                    axis=1)
    out["agents_erlang_c"] = erlang_c_req["agents"].to_numpy()
    out["scheduled_erlang_c"] = erlang_c_req["scheduled"].to_numpy()
    out["shrinkage"] = shrink
    return out


def service_curve(calls: float, aht_s: float, interval_s: float, *, target_s: float,
                  patience_s=None, agents: Iterable[int] | None = None,
                  sl_definition: str = "answered_of_offered") -> pd.DataFrame:
    """SL, ASA, abandonment and occupancy against agents for one interval, Erlang A (when
    ``patience_s``) and Erlang C side by side, with the SL each extra agent buys."""
    a = float(calls) * float(aht_s) / float(interval_s)
    if agents is None:
        agents = np.arange(max(1, math.floor(a * 0.8)), math.ceil(a * 1.35) + 4)
    n = np.asarray(list(agents), dtype=float)
    c = erlang_c(float(calls), float(aht_s), float(interval_s), n, float(target_s))
    out = pd.DataFrame({"agents": n.astype(np.int64), "sl_erlang_c": c["service_level"].to_numpy(),
                        "asa_erlang_c_s": c["asa_s"].to_numpy()})
    if patience_s is not None:
        e = erlang_a(float(calls), float(aht_s), float(interval_s), n, float(target_s),
                     float(patience_s), sl_definition=sl_definition)
        out["sl_erlang_a"] = e["service_level"].to_numpy()
        out["asa_erlang_a_s"] = e["asa_s"].to_numpy()
        out["p_abandon"] = e["p_abandon"].to_numpy()
        out["occupancy"] = e["occupancy"].to_numpy()
        main = out["sl_erlang_a"]
    else:
        out["occupancy"] = c["occupancy"].to_numpy()
        main = out["sl_erlang_c"]
    out["sl_gain_per_agent"] = main.diff()
    return out


def model_gap(requirements: pd.DataFrame, *, interval_minutes=30) -> pd.DataFrame:
    """Per queue: agent-hours under Erlang A (``agents``) vs Erlang C (``agents_erlang_c``),
    the gap in hours and percent, and the largest single-interval gap."""
    hours = float(interval_minutes) / 60.0
    g = requirements.assign(gap=requirements["agents_erlang_c"] - requirements["agents"])
    out = g.groupby("queue", sort=True).agg(
        agent_hours_erlang_a=("agents", lambda s: s.sum() * hours),
        agent_hours_erlang_c=("agents_erlang_c", lambda s: s.sum() * hours),
        max_interval_gap_agents=("gap", "max"),
        mean_p_abandon=("p_abandon", "mean") if "p_abandon" in g else ("agents", "size"))
    out["gap_hours"] = out["agent_hours_erlang_c"] - out["agent_hours_erlang_a"]
    out["gap_pct"] = out["gap_hours"] / out["agent_hours_erlang_a"]
    return out.reset_index()
