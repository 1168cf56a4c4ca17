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

import math

import numpy as np
import pandas as pd
from scipy import special

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
