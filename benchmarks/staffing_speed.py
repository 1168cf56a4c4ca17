"""Speed benchmark: required agents for 100,000 realistic interval rows, ours vs pyworkforce.

Run: .venv/bin/python benchmarks/staffing_speed.py [--quick] [--rows N] [--repeats R]

Rows are 30-minute intervals of a day-shaped volume curve (0-600 calls, AHT 120-600 s), 80/20
SL target, 85 % max occupancy, 30 % shrinkage. We time toolkit.staffing.required_agents on
all rows (Erlang C, and Erlang A with 120 s patience on a subset), and pyworkforce's ErlangC
(one object per row, its documented use) on a subset; medians over repeats, one core.
Agreement is checked row by row on the pyworkforce subset.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from toolkit import staffing

try:
    from pyworkforce.queuing import ErlangC
except ImportError:  # pragma: no cover - the peer is an optional bench dependency
    ErlangC = None


def realistic_rows(n_rows: int, seed: int = 0):
    """Calls and AHT for n_rows half-hour intervals: daily curve x queue size x noise."""
    rng = np.random.default_rng(seed)
    slot = np.arange(n_rows) % 24
    shape = 0.35 + np.sin(np.pi * (slot + 0.5) / 24) ** 1.5
    size = rng.choice([20.0, 80.0, 250.0, 450.0], n_rows)
    calls = rng.poisson(size * shape).astype(float)
    aht = rng.uniform(120, 600, n_rows).round(1)
    return calls, aht


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pyworkforce(calls, aht):
    out = []
    for c, a in zip(calls, aht, strict=True):
        if c <= 0:
            out.append(0)      # pyworkforce refuses zero transactions; zero agents by convention
            continue
        erlang = ErlangC(transactions=c, aht=a / 60, asa=20 / 60, interval=30, shrinkage=0.3)
        out.append(erlang.required_positions(service_level=0.8, max_occupancy=0.85)["raw_positions"])
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows, 3 repeats")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--peer-rows", type=int, default=2_000)
    args = parser.parse_args()
    rows, repeats, peer_rows = args.rows, args.repeats, args.peer_rows
    if args.quick:
        rows, repeats, peer_rows = 10_000, 3, 500
    calls, aht = realistic_rows(rows)
    targets = {"sl_target": 0.8, "target_s": 20, "max_occupancy": 0.85, "shrinkage": 0.3}

    ours = lambda: staffing.required_agents(calls, aht, 1800, **targets)  # noqa: E731
    ours_time = _median_time(ours, repeats)
    a_rows = min(rows, 20_000)
    ours_a = lambda: staffing.required_agents(calls[:a_rows], aht[:a_rows], 1800,  # noqa: E731
                                              patience_s=120, **targets)
    ours_a_time = _median_time(ours_a, max(1, repeats // 2))
    result = ours()

    lines = ["| implementation | model | rows timed | median s | rows/s |",
             "|---|---|---:|---:|---:|",
             f"| toolkit.staffing.required_agents | Erlang C | {rows:,} | {ours_time:.3f} | "
             f"{rows / ours_time:,.0f} |",
             f"| toolkit.staffing.required_agents | Erlang A (patience 120 s) | {a_rows:,} | "
             f"{ours_a_time:.3f} | {a_rows / ours_a_time:,.0f} |"]
    if ErlangC is not None:
        sub = slice(0, peer_rows)
        peer_time = _median_time(lambda: _pyworkforce(calls[sub], aht[sub]), max(1, repeats // 2))
        peer = _pyworkforce(calls[sub], aht[sub])
        lines.append(f"| pyworkforce ErlangC.required_positions | Erlang C | {peer_rows:,} | "
                     f"{peer_time:.3f} | {peer_rows / peer_time:,.0f} |")
        agree = result["agents"].to_numpy()[sub] == peer
        diff = result["agents"].to_numpy()[sub] - peer
        print("\n".join(lines))
        print()
        print(f"Agreement on the {peer_rows:,}-row subset: {agree.mean():.2%} identical agent "
              f"counts; differences (ours - pyworkforce): "
              + ", ".join(f"{d:+d}: {n}" for d, n in zip(*np.unique(diff, return_counts=True),
                                                          strict=True)))
        if not agree.all():
            worst = np.flatnonzero(~agree)[:3]
            for i in worst:
                print(f"  row {i}: calls {calls[i]:.0f}, AHT {aht[i]} s, traffic "
                      f"{result['traffic_erl'].iloc[i]:.3f} Erl -> ours {result['agents'].iloc[i]}"
                      f", pyworkforce {peer[i]} (it starts its search at round(a + 1))")
        print(f"\nSpeed-up vs pyworkforce: {(rows / ours_time) / (peer_rows / peer_time):,.0f}x")
    else:
        print("\n".join(lines))
        print("\npyworkforce is not installed: peer column skipped.")


if __name__ == "__main__":
    main()
