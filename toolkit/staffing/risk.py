"""Risk: forecast uncertainty as a calls distribution, staffing to a quantile, service-level risk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from toolkit.clock import local_clock
from toolkit.errors import DataError, ParameterError
from toolkit.staffing.erlang import (
    _as_float,
    _broadcast,
    _check_fraction,
    _erlang_a_arrays,
    _traffic,
    erlang_c,
)
from toolkit.staffing.requirements import required_agents

# --------------------------------------------------------------------------------------------
# Forecast uncertainty
# --------------------------------------------------------------------------------------------

# special.ndtri / ndtr are what scipy.stats.norm.ppf / cdf evaluate (same bits); scipy.stats
# itself is imported only for the gamma family: its import costs ~0.5 s per kernel.
_Z80, _Z95 = special.ndtri(0.9), special.ndtri(0.975)
FORECAST_COLUMNS = ("yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95")


def forecast_distribution(forecast: pd.DataFrame, *, family: str = "lognormal",
                          of: str = "calls") -> pd.DataFrame:
    """Per-interval distribution of calls fitted to the forecast's 80/95 % interval columns.

    ``lognormal``: median = yhat, log-scale sigma = mean of the log distances to every
    positive interval bound divided by its normal quantile (zero lower bounds are skipped).
    ``gamma``: mean = yhat, standard deviation = mean of (upper - lower) / (2 z) over the two
    intervals (shape = mean^2 / var). yhat <= 0 or a zero-width interval gives a point mass.

    ``of="rate"``: the distribution of the arrival *rate* instead, for the queueing formulas.
    The bands are for counts, which vary around their rate by Poisson noise (variance = the
    mean) even when the rate is known; Erlang C / A already carry that noise, so feeding them
    count draws counts it twice and makes every day look riskier than the forecast says.
    The rate keeps the mean and takes the variance left after the Poisson part (none when
    the bands are no wider than Poisson noise: the rate is then treated as known).
    Returns ``family, mean, sd, p1, p2`` (lognormal: mu, sigma; gamma: shape, scale).
    """
    if family not in ("lognormal", "gamma"):
        raise ParameterError("family", family, '"lognormal" or "gamma"')
    if of not in ("calls", "rate"):
        raise ParameterError("of", of, '"calls" or "rate"')
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
    if of == "rate":
        sd = np.sqrt(np.clip(sd**2 - mean, 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            if family == "lognormal":
                p2 = np.sqrt(np.log1p(np.where(mean > 0, sd**2 / np.where(mean > 0, mean, 1.0)**2,
                                               0.0)))
                p1 = np.where(point, -np.inf, np.log(np.where(mean > 0, mean, 1.0)) - p2**2 / 2)
            else:
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
    """Required agents for the arrival rate at a forecast quantile (e.g. 0.8: staffed for a
    rate exceeded one interval in five; the count's Poisson noise is left to the queueing
    formula, see ``forecast_distribution(of="rate")``). ``targets`` go to
    ``required_agents``."""
    _check_fraction("quantile", quantile)
    dist = forecast_distribution(forecast, family=family, of="rate")
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
    """Expected SL and P(SL >= sl_target) for a given staffing over the forecast's arrival-rate
    distribution (``forecast_distribution(of="rate")``: the Erlang formulas carry the
    count's own Poisson noise).

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
    dist = forecast_distribution(forecast, family=family, of="rate")
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
