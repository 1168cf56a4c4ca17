"""Required agents (Erlang C / A searches, every target) and scheduled agents after shrinkage."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from toolkit.errors import ParameterError
from toolkit.staffing.erlang import (
    SL_DEFINITIONS,
    _as_float,
    _broadcast,
    _check_definition,
    _check_fraction,
    _erlang_a_arrays,
    _erlang_b_arrays,
    _erlang_c_arrays,
    _index_of,
    _traffic,
)

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
