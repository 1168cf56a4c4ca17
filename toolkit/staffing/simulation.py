"""Discrete-event simulation check of the Erlang formulas."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd

from toolkit.errors import ParameterError
from toolkit.staffing.erlang import _as_float, _broadcast, _index_of, _traffic

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
