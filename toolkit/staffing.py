"""Staffing: Erlang B / C / A, required agents, scheduled agents, FTE roll-up, risk and simulation.

Conventions (../shared/reference/staffing/README.md, followed exactly):

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
from scipy import special, stats

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
        raise DataError(f"'{name}' {what} ({arr[pos]!r}) at row {pos + 1} of the input{label}",
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
        raise ParameterError(name, arr[bad][0].item() if arr.size > 1 else value,
                             f"a fraction in {lo}, {hi}")
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


def _erlang_c_arrays(a, aht, n, t):
    """Erlang C metrics on aligned float arrays."""
    b = _erlang_b_arrays(n, a)
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


def _erlang_a_arrays(lam, aht, patience, n, t, *, moments: bool = True):
    """Erlang A (M/M/n+M) metrics on aligned float arrays (rates per second)."""
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
    log_a, mean_k, mean_g = _kummer(x, y, moments=True)
    log_az, _, _ = _kummer(x, z)
    inv_a = np.exp(-log_a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        p_wait = e_b / (e_b + (1.0 - e_b) * inv_a)          # = A E / (1 + (A - 1) E)
        log_d = -n_l * mu * t_l + y * (-np.expm1(-theta * t_l))
        d_t = np.exp(log_d)
        r_t = np.exp(log_d + log_az - log_a)                 # P(V > t) / P(V > 0)
        p_virtual_gt_t = p_wait * r_t
        # P(abandon | wait) = sum_k k w_k / (y A): a direct series, no cancellation.
        p_ab = p_wait * mean_k / y
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

    def evaluate(rows, n):
        if erlang_a_mode:
            m = _erlang_a_arrays(lam[rows], b["aht"][rows], b["patience"][rows], n, b["t"][rows])
            m["service_level"] = m[f"sl_{sl_definition}"]
            m["asa_s"] = m["asa_answered_s"]
            return m
        return _erlang_c_arrays(a[rows], b["aht"][rows], n, b["t"][rows])

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
    positive = np.flatnonzero(a > 0)
    if positive.size:
        if erlang_a_mode:
            agents[positive] = _search_bisect(positive, evaluate, meets)
        else:
            agents[positive] = _search_erlang_c(positive, a, b, meets)

    metrics = evaluate(np.arange(size), agents)
    prev_n = np.maximum(agents - 1, 0)
    prev = evaluate(np.arange(size), prev_n)
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


def _search_erlang_c(rows, a, b, meets) -> np.ndarray:
    """Step n upwards from max(floor(a) + 1, occupancy floor) with the Erlang B recursion,
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
    todo = np.arange(rows.size)
    aht, t = b["aht"][rows], b["t"][rows]
    while todo.size:
        m = _erlang_c_arrays(ar[todo], aht[todo], n[todo], t[todo])
        ok = meets(rows[todo], n[todo], m)
        result[todo[ok]] = n[todo[ok]]
        todo = todo[~ok]
        if todo.size:
            bt, at = blocking[todo], ar[todo]
            n[todo] += 1
            blocking[todo] = at * bt / (n[todo] + at * bt)   # B(n) from B(n - 1)
    return result


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
