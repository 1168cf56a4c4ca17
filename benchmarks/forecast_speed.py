"""Speed benchmark: fit + forecast of one 3-year 30-minute series 28 days ahead, and a batch.

Series: synthetic, seeded Poisson arrivals on Mon-Sat 08:00-20:00 (24 half-hours a day,
French holidays closed), weekly + intraday + annual pattern, ~3 years (~930 open days).
Single series: ``forecast(method=m)`` for every method, median of ``--repeats`` runs (one run
for the slow, opt-in ``dhr_mle``: statsmodels exact MLE refitted at every inner origin).
Batch: ``forecast_many`` through ``toolkit.executors`` (serial and local processes):
1,000 one-year series with a quick method (``same_slot_avg``, which still runs the inner
backtest that calibrates its intervals) measured in full, and ``--batch-auto`` three-year
series with ``auto``, extrapolated linearly to 1,000 series (stated as such in the output);
and ``--dask-auto`` (1,000) one-year series with ``auto`` through the Dask executor (a local
cluster of one single-threaded worker per core), measured in full.
One-year series keep the 1,000-series frame small on a shared machine.

Run: ``nice .venv/bin/python benchmarks/forecast_speed.py [--quick]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

from toolkit.forecast import METHODS, SLOW_METHODS, ForecastWarning, forecast, forecast_many

TARGET_SINGLE_S = 5.0


def synthetic_history(n_queues: int = 1, years: float = 3.0, seed: int = 7) -> pd.DataFrame:
    """Tidy ``ds, queue, calls`` of Poisson arrivals with weekly, intraday and annual shape."""
    import holidays

    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-02", periods=int(365.25 * years), freq="D")
    closed = pd.DatetimeIndex(list(holidays.country_holidays("FR", years=range(2023, 2027))))
    days = days[(days.day_of_week < 6) & ~days.isin(closed)]
    slots = pd.timedelta_range("08:00:00", periods=24, freq="30min")
    tod = np.arange(24) / 24
    intraday = np.exp(0.6 * np.sin(np.pi * tod) + 0.25 * np.sin(2 * np.pi * tod))
    weekday = np.array([1.25, 1.1, 1.0, 1.0, 0.95, 0.6, 0.0])
    annual = 1 + 0.15 * np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 15) / 365.25)
    frames = []
    for q in range(n_queues):
        base = rng.uniform(3, 30)
        level = np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
        rate = (base * level * annual * weekday[days.day_of_week])[:, None] * intraday[None, :]
        calls = rng.poisson(rate)
        ds = (days.to_numpy()[:, None] + slots.to_numpy()[None, :]).ravel()
        frames.append(pd.DataFrame({"ds": pd.DatetimeIndex(ds).tz_localize(
            "Europe/Paris", ambiguous="NaT", nonexistent="NaT"), "queue": f"q{q:04d}",
            "calls": calls.ravel()}).dropna(subset=["ds"]))
    return pd.concat(frames, ignore_index=True)


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and series")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-quick", type=int, default=1000)
    parser.add_argument("--batch-auto", type=int, default=50)
    parser.add_argument("--quick-method", default="same_slot_avg")
    parser.add_argument("--dask-auto", type=int, default=1000,
                        help="one-year series forecast by auto through Dask (0: skip)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.batch_quick, args.batch_auto, args.dask_auto = 1, 100, 10, 20
    warnings.simplefilter("ignore", ForecastWarning)
    one = synthetic_history(1)
    print(f"single series: {len(one):,} half-hour open intervals "
          f"({one['ds'].dt.date.nunique()} open days), horizon 28 calendar days, "
          f"median of {args.repeats}\n")
    print("| method | fit + forecast, s | target |")
    print("|---|---|---|")
    for m in (*METHODS, *SLOW_METHODS, "auto"):
        repeats = 1 if m in SLOW_METHODS else args.repeats
        s = timed(lambda m=m: forecast(one, "28D", method=m), repeats)
        target = f"< {TARGET_SINGLE_S:.0f} s: {'met' if s < TARGET_SINGLE_S else 'NOT met'}" \
            if m == "auto" else ""
        print(f"| {m} | {s:.2f} | {target} |")
    print("\n| batch (forecast_many, 28 days) | series x years | executor | wall s | "
          "s / series | 1,000 series, s |")
    print("|---|---|---|---|---|---|")
    runs = [(args.quick_method, args.batch_quick, 1.0, ("serial", "local")),
            ("auto", args.batch_auto, 3.0, ("serial", "local"))]
    if args.dask_auto:
        runs.append(("auto", args.dask_auto, 1.0, ("dask",)))
    for method, n, years, executors in runs:
        many = synthetic_history(n, years=years, seed=11)
        for executor in executors:
            t0 = time.perf_counter()
            forecast_many(many, "28D", method=method, executor=executor, progress=False)
            wall = time.perf_counter() - t0
            per = wall / n
            label = f"{1000 * per:.0f}" + (" (measured)" if n == 1000 else
                                           f" (extrapolated from {n})")
            print(f"| {method} | {n} x {years:.0f} | {executor} | {wall:.1f} | {per:.3f} | "
                  f"{label} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
