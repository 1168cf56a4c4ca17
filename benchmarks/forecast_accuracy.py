"""Accuracy benchmark: rolling-origin backtest on the US bank 5-minute arrivals (15-min bins).

Protocol (../shared/data/README.md): 10 origins at day ends, 3 open days apart, the first after
>= 28 training days (all history before each origin is used); each method forecasts the
longest horizon (5 open days) once per origin; horizons 1 and 5 open days; MASE = MAE / in-sample
MAE of the weekly seasonal naive (lag = one week of open intervals), averaged over origins;
WAPE pooled; coverage = share of actuals inside the intervals. Forecasts clipped at 0.

Peers run in the same process on the same origins (``--peers``, default on):

- ``statsmodels DHR (ARIMA MLE)``: ``statsmodels.tsa.arima.model.ARIMA`` order (2, 0, 0) with a
  constant and the *same* Fourier regressors as the toolkit's ``dhr`` (10 daily, 3 weekly
  harmonics on the open-interval index), log(1 + calls), exact Gaussian MLE by the state-space
  Kalman filter on the whole history before each origin; point = lognormal mean
  exp(m + v/2) - 1, intervals = the model's own normal quantiles on the log scale. It isolates
  the question "does the toolkit's two-step least squares AR(2) lose accuracy against MLE?".
- ``statsmodels MSTL + ETS``: ``MSTL`` with periods 57 (one open day of 15-min intervals) and
  285 (one open week), ETS on the seasonally adjusted series (``ETSModel``, additive error,
  no trend or damped additive trend, lower AIC), seasonal components continued from their
  last cycle; intervals = the ETS ones (seasonal part taken as known).

The toolkit's opt-in ``dhr_mle`` (the same statsmodels MLE inside the toolkit, refitted at each
of its 20 inner origins: over a minute per origin here) is left out of the default run; add it
with ``--methods dhr,dhr_mle --origins 2`` to compare. The toolkit's methods are timed one
backtest each (each includes its own inner backtest of 20
origins for model choice and interval calibration); the peers are timed per origin (fit +
forecast; their intervals come from the model, no inner backtest).

Run: ``nice .venv/bin/python benchmarks/forecast_accuracy.py [--quick] [--methods a,b]
[--no-peers]``
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit import config
from toolkit.forecast import ForecastWarning, backtest, backtest_summary

#: ../shared/ beside the repository (a clone) or beside the worktrees' folder (a worktree).
_CANDIDATES = [Path(config.ROOT).parent / "shared", Path(config.ROOT).parent.parent / "shared"]
DATA = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0]) / "data" / "us_bank_5min" \
    / "data.csv"

#: Published rolling-origin figures at 15 minutes (README of the data folder).
PUBLISHED = pd.DataFrame([
    ("published: DHR (Fourier, AR(2), log; statsmodels)", 0.889, 8.1, 0.865, 8.0, 90.7),
    ("published: 4-week same-slot average", 1.018, 9.3, 0.933, 8.7, 77.5),
    ("published: Prophet", 1.043, 9.6, 1.048, 9.7, 70.5),
    ("published: statsforecast MSTL(AutoETS)", 1.076, 9.9, 1.043, 9.7, 63.7),
    ("published: weekly seasonal naive", 1.132, 10.4, 0.998, 9.2, 78.9),
    ("published: statsmodels MSTL + ETS", 1.189, 10.9, 1.145, 10.6, 54.9),
], columns=["method", "mase_1d", "wape_1d", "mase_5d", "wape_5d", "cov80_1d"])

TARGETS = {"mase_1d": 0.80, "mase_5d": 0.78, "cov80": (0.77, 0.83)}


def flat_lag_baselines(raw: pd.DataFrame, origins: list[int], slots: int) -> pd.DataFrame:
    """The README's baselines exactly as published: lags on the flat open-interval sequence.

    Seasonal naive = value one week of open intervals (5 x slots) earlier; 4-week average =
    mean of the values 1-4 such weeks earlier. Holidays shift these lags off the weekday
    (the toolkit's own baselines use the same weekday instead). Reproducing the published
    figures checks that this benchmark runs the same protocol (origins, horizons, scaling).
    """
    y = (raw.assign(b=raw["ds"].dt.floor("15min")).groupby("b")["calls"].sum()
         .to_numpy(float))
    week = 5 * slots
    rows = []
    for name, k in (("flat-lag weekly seasonal naive", 1), ("flat-lag 4-week same-slot avg", 4)):
        res = {1: [], 5: []}
        err = {1: 0.0, 5: 0.0}
        tot = {1: 0.0, 5: 0.0}
        for n_train in origins:
            t = n_train * slots
            train = y[:t]
            scale = np.mean(np.abs(train[week:] - train[:-week]))
            idx = np.arange(5 * slots) % week
            fc = np.mean([train[t - week * j + idx] for j in range(1, k + 1)], axis=0)
            for h in (1, 5):
                e = np.abs(y[t:t + h * slots] - fc[:h * slots])
                res[h].append(e.mean() / scale)
                err[h] += e.sum()
                tot[h] += y[t:t + h * slots].sum()
        rows.append((f"protocol check: {name}", np.mean(res[1]), 100 * err[1] / tot[1],
                     np.mean(res[5]), 100 * err[5] / tot[5]))
    return pd.DataFrame(rows, columns=["method", "mase_1d", "wape_1d", "mase_5d", "wape_5d"])


def _fourier(phase: np.ndarray, k: int) -> np.ndarray:
    return np.column_stack([f(2 * np.pi * j * phase) for j in range(1, k + 1)
                            for f in (np.sin, np.cos)])


def dhr_regressors(days: pd.DatetimeIndex, slots: int) -> np.ndarray:
    """The toolkit's DHR design on the flat open-interval index: 10 daily harmonics of the
    slot phase, 3 weekly harmonics of (open-weekday rank + slot phase) / 5 (Mon-Fri open)."""
    slot = np.tile(np.arange(slots), len(days))
    phase_day = (slot + 0.5) / slots
    rank = np.repeat(days.day_of_week.to_numpy(), slots)
    phase_week = (rank + phase_day) / 5
    return np.column_stack([_fourier(phase_day, min(10, slots // 2)), _fourier(phase_week, 3)])


def _peer_dhr_mle(train: np.ndarray, x_train, x_test, horizon: int, levels):
    from scipy.stats import norm
    from statsmodels.tsa.arima.model import ARIMA

    z = np.log1p(train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # statsmodels' convergence chatter; checked below
        res = ARIMA(z, exog=x_train, order=(2, 0, 0), trend="c").fit(cov_type="none")
    fc = res.get_forecast(horizon, exog=x_test)
    mean, var = np.asarray(fc.predicted_mean), np.asarray(fc.var_pred_mean)
    out = {"yhat": np.expm1(mean + var / 2),
           "converged": bool(res.mle_retvals.get("converged", True)),
           "ar": tuple(float(v) for v in np.round(res.params[-3:-1], 3))}
    for lv in levels:
        zq = norm.ppf(0.5 + lv / 200)
        out[lv] = (np.expm1(mean - zq * np.sqrt(var)), np.expm1(mean + zq * np.sqrt(var)))
    return out


def _peer_mstl_ets(train: np.ndarray, slots: int, horizon: int, levels):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.seasonal import MSTL

    periods = (slots, 5 * slots)
    seasonal = np.asarray(MSTL(train, periods=periods).fit().seasonal)
    adjusted = pd.Series(train - seasonal.sum(axis=1))   # a Series: ETS prediction needs an index
    fits = []
    for spec in ({"trend": None}, {"trend": "add", "damped_trend": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.append(ETSModel(adjusted, error="add", **spec).fit(disp=False))
    ets = min(fits, key=lambda r: r.aic)
    # seasonal components continue their last cycle
    season_fc = sum(np.resize(seasonal[-p:, i], horizon) for i, p in enumerate(periods))
    pred = ets.get_prediction(start=len(train), end=len(train) + horizon - 1)
    out = {"yhat": np.asarray(pred.predicted_mean) + season_fc,
           "ets": "AAdN" if ets.model.has_trend else "ANN"}
    for lv in levels:
        frame = pred.summary_frame(alpha=1 - lv / 100)
        out[lv] = (frame["pi_lower"].to_numpy() + season_fc,
                   frame["pi_upper"].to_numpy() + season_fc)
    return out


def statsmodels_peers(raw: pd.DataFrame, starts: list[int], slots: int,
                      levels=(80, 95)) -> tuple[pd.DataFrame, list[str]]:
    """The two statsmodels peers on the benchmark's origins (``starts`` = training days)."""
    series = raw.assign(b=raw["ds"].dt.floor("15min")).groupby("b")["calls"].sum()
    y = series.to_numpy(float)
    days = pd.DatetimeIndex(series.index.normalize().unique())
    if len(y) != len(days) * slots:
        raise ValueError("the peers expect every open day to hold all its 15-min intervals")
    x = dhr_regressors(days, slots)
    horizon = 5 * slots
    rows, notes = [], []
    peers = {"statsmodels DHR (ARIMA(2,0,0) + Fourier, log, exact MLE)":
             lambda tr, t: _peer_dhr_mle(tr, x[:t], x[t:t + horizon], horizon, levels),
             "statsmodels MSTL + ETS":
             lambda tr, t: _peer_mstl_ets(tr, slots, horizon, levels)}
    for name, fit in peers.items():
        per_h = {1: {"mase": [], "err": 0.0, "tot": 0.0, "hit": {lv: [] for lv in levels}},
                 5: {"mase": [], "err": 0.0, "tot": 0.0, "hit": {lv: [] for lv in levels}}}
        seconds, info = [], []
        for n_train in starts:
            t = n_train * slots
            train = y[:t]
            scale = np.mean(np.abs(train[5 * slots:] - train[:-5 * slots]))
            t0 = time.perf_counter()
            out = fit(train, t)
            seconds.append(time.perf_counter() - t0)
            info.append(out.get("ar", out.get("ets")))
            if out.get("converged") is False:
                notes.append(f"{name}: MLE did not report convergence at origin {n_train}")
            yhat = np.clip(out["yhat"], 0, None)
            for h, acc in per_h.items():
                actual = y[t:t + h * slots]
                err = np.abs(actual - yhat[:h * slots])
                acc["mase"].append(err.mean() / scale)
                acc["err"] += err.sum()
                acc["tot"] += actual.sum()
                for lv in levels:
                    lo = np.clip(out[lv][0][:h * slots], 0, None)
                    hi = np.clip(out[lv][1][:h * slots], 0, None)
                    acc["hit"][lv] += list((actual >= lo) & (actual <= hi))
        rows.append((f"peer: {name}", np.mean(per_h[1]["mase"]),
                     100 * per_h[1]["err"] / per_h[1]["tot"], np.mean(per_h[5]["mase"]),
                     100 * per_h[5]["err"] / per_h[5]["tot"],
                     100 * np.mean(per_h[1]["hit"][80]), 100 * np.mean(per_h[5]["hit"][80]),
                     100 * np.mean(per_h[1]["hit"][95]), 100 * np.mean(per_h[5]["hit"][95]),
                     float(np.median(seconds))))
        label = " (AR(1), AR(2) coefficients)" if "DHR" in name else " (ETS chosen by AIC)"
        notes.append(f"{name}: per origin " + ", ".join(str(i) for i in info) + label)
    columns = ["method", "mase_1d", "wape_1d", "mase_5d", "wape_5d", "cov80_1d", "cov80_5d",
               "cov95_1d", "cov95_5d", "fit_s"]
    return pd.DataFrame(rows, columns=columns), notes


def daily_coverage(bt: pd.DataFrame) -> str:
    """Coverage of the daily-total intervals that ``aggregate`` builds from the intraday ones."""
    from toolkit.forecast import aggregate

    hits = {80: [], 95: []}
    cols = ["ds", "queue", "yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95",
            "yhat_upper_95"]
    for _, x in bt.groupby(["origin", "queue"]):
        rho = {"intraday": x["rho_intraday"].iloc[0], "days": x["rho_days"].iloc[0]}
        daily = aggregate(x[cols], "D", correlation=rho)
        actual = x.assign(day=x["ds"].dt.floor("D")).groupby("day")["y"].sum().to_numpy()
        for lv in hits:
            hits[lv] += list((actual >= daily[f"yhat_lower_{lv}"])
                             & (actual <= daily[f"yhat_upper_{lv}"]))
    return (f"cov80 {100 * np.mean(hits[80]):.0f} %, cov95 {100 * np.mean(hits[95]):.0f} % "
            f"over {len(hits[80])} origin-days")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 origins instead of 10")
    parser.add_argument("--methods", default="snaive,same_slot_avg,dhr,topdown,auto")
    parser.add_argument("--origins", type=int, default=10)
    parser.add_argument("--placement", choices=["start", "end"], default="end",
                        help="first origin after 28 open days (start) or last origin at the "
                             "end of the data (end)")
    parser.add_argument("--no-peers", dest="peers", action="store_false",
                        help="skip the statsmodels peers (DHR by MLE, MSTL + ETS)")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    raw = pd.read_csv(DATA, parse_dates=["ds"])
    methods = args.methods.split(",")
    n_origins = 4 if args.quick else args.origins
    slots_15 = 57   # 15-minute open intervals per day, 07:00-21:15
    if args.placement == "start":
        days = pd.DatetimeIndex(sorted(raw["ds"].dt.normalize().unique()))
        origins = [days[28 + 3 * k] for k in range(n_origins)]
    else:
        origins = n_origins
    parts, seconds = [], {}
    for m in methods:   # one backtest per method, so that each can be timed on its own
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ForecastWarning)
            parts.append(backtest(raw, 5 * slots_15, origins=origins, step_days=3, method=m,
                                  freq="15min", country="US"))
        seconds[m] = (time.perf_counter() - t0) / n_origins
    bt = pd.concat(parts, ignore_index=True)
    elapsed = sum(seconds.values()) * n_origins
    first_train = bt.groupby("origin").size().index.min()
    n_train_days = (raw["ds"].dt.normalize() <= first_train).pipe(
        lambda s: raw.loc[s, "ds"].dt.normalize().nunique())
    summary = backtest_summary(bt, horizons_days=[1, 5])
    table = summary.pivot_table(index="method", columns="horizon_days",
                                values=["mase", "wape", "cov80", "cov95"])
    rows = []
    for m in methods:
        rows.append((f"this toolkit: {m}", table.loc[m, ("mase", 1)],
                     100 * table.loc[m, ("wape", 1)], table.loc[m, ("mase", 5)],
                     100 * table.loc[m, ("wape", 5)], 100 * table.loc[m, ("cov80", 1)],
                     100 * table.loc[m, ("cov80", 5)], 100 * table.loc[m, ("cov95", 1)],
                     100 * table.loc[m, ("cov95", 5)], seconds[m]))
    ours = pd.DataFrame(rows, columns=["method", "mase_1d", "wape_1d", "mase_5d", "wape_5d",
                                       "cov80_1d", "cov80_5d", "cov95_1d", "cov95_5d",
                                       "fit_s"])
    days = pd.DatetimeIndex(sorted(raw["ds"].dt.normalize().unique()))
    starts = [int(days.searchsorted(pd.Timestamp(o) + pd.Timedelta(days=1)))
              for o in sorted(bt["origin"].unique())]
    check = flat_lag_baselines(raw, starts, slots_15)
    peer_notes = []
    frames = [ours]
    if args.peers:
        t0 = time.perf_counter()
        peers, peer_notes = statsmodels_peers(raw, starts, slots_15)
        elapsed += time.perf_counter() - t0
        frames.append(peers)
    both = pd.concat([*frames, check, PUBLISHED], ignore_index=True)
    print(f"US bank arrivals, 15-min, {n_origins} origins 3 open days apart, first origin "
          f"after {n_train_days} open days; total backtest time {elapsed:.0f} s\n")
    print("| method | 1 d MASE | 1 d WAPE % | 5 d MASE | 5 d WAPE % | cov80 % 1 d | "
          "cov80 % 5 d | cov95 % 1 d | cov95 % 5 d | fit s / origin |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in both.reindex(columns=[*ours.columns]).itertuples(index=False):
        cells = [f"{v:.3f}" if i in (1, 3) else ("" if pd.isna(v) else
                                                 f"{v:.2f}" if i == 9 else f"{v:.1f}")
                 for i, v in enumerate(r) if i > 0]
        print(f"| {r.method} | " + " | ".join(cells) + " |")
    print("\nfit s / origin: the toolkit's figure includes its inner backtest (20 origins, "
          "model choice + interval calibration); a peer's is one fit + forecast.")
    for note in peer_notes:
        print(f"- {note}")
    if "auto" in methods:
        a = ours.set_index("method").loc["this toolkit: auto"]
        ok = (a.mase_1d <= TARGETS["mase_1d"] and a.mase_5d <= TARGETS["mase_5d"]
              and 77 <= a.cov80_1d <= 83)
        print(f"\ntargets (auto MASE <= 0.80 at 1 d, <= 0.78 at 5 d, cov80 1 d in 77-83 %): "
              f"{'MET' if ok else 'NOT MET'}")
        print(f"\ndaily totals (aggregate() with the inner-backtest error correlations): "
              f"{daily_coverage(bt[bt['method'] == 'auto'])}")
        chosen = bt[bt["method"] == "auto"].groupby("origin")["chosen"].first()
        print("\nauto's choice per origin:")
        for origin, label in chosen.items():
            print(f"- {origin.date()}: {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
