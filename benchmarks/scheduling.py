"""Shift scheduling benchmark: toolkit.scheduling (HiGHS MILP) vs pyworkforce (OR-Tools CP-SAT).

Run: .venv/bin/python benchmarks/scheduling.py [--quick] [--repeats R] [--peer-limit-s S]

Same requirement, same shift set, same objective: pyworkforce's ``MinRequiredResources``
(cover every interval, minimise the summed shift cost) with each shift's cost = its paid
length, against ``toolkit.scheduling.schedule`` with single-day templates of the same
shifts and hard coverage (``under_coverage_penalty=None``, ``mip_rel_gap=0``). Problems:

- small: 7 days x 48 half-hour intervals x 20 shifts;
- large: 7 days x 96 quarter-hour intervals x 100 shifts (goal: solved within 30 s);
- each also at contact-centre scale (peak 150 agents) with a one-period unpaid break
  mid-shift: the break breaks the interval structure that makes the plain problem's LP
  integral, so both solvers must branch.

Requirements are seeded day-shaped curves (open 07:00-23:00, Saturday lighter, Sunday
closed in the small problem); shifts are seeded starts and 4-9 h lengths inside the day
(pyworkforce's model has no shift across midnight). Each side is timed end to end, the
same scope on both: from the requirement array and the shift definitions to the solved
schedule (ours: requirement table, ``daily_templates``, ``schedule``; theirs: coverage
lists, ``MinRequiredResources``, ``solve``). The toolkit's coverage-matrix cache is emptied
before every timed call, so its model build is timed as pyworkforce's is (the cached figure
is printed apart). After one untimed warm-up call each, the two run in turn (A B A B ...)
so that a drift of the shared machine hits both; medians of ``--repeats`` runs (the peer
gets fewer on the large problems); the speed-up is the ratio of the medians and, in
brackets, the median of the run-by-run ratios. pyworkforce gets ``--peer-limit-s`` seconds
per solve and 2 search workers (its default). Paid hours: lower is better.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from toolkit import scheduling

try:
    from pyworkforce.scheduling import MinRequiredResources
except ImportError:  # pragma: no cover - the peer is an optional bench dependency
    MinRequiredResources = None

WEEK = pd.Timestamp("2026-10-05", tz="Europe/Paris")     # a Monday


def problem(periods: int, n_shifts: int, seed: int, *, sunday: bool, peak_agents: float = 30,
            odd_lengths: bool = False):
    """Requirement (days x periods, agents) and shifts {name: (start_period, length_periods)}.

    ``odd_lengths`` keeps lengths odd so that a one-period break sits exactly mid-shift."""
    rng = np.random.default_rng(seed)
    per_h = periods // 24
    hour = (np.arange(periods) + 0.5) / per_h
    open_ = (hour >= 7) & (hour < 23)
    shape = np.where(open_, 0.25 + np.clip(np.sin(np.pi * (hour - 7) / 16), 0, None) ** 1.2
                     + 0.35 * np.exp(-((hour - 10.5) / 1.5) ** 2), 0.0)
    day_level = np.array([1.15, 1.0, 0.95, 1.0, 1.05, 0.6, 0.45 if sunday else 0.0])
    noise = rng.normal(1.0, 0.08, (7, periods))
    required = np.ceil(np.clip(peak_agents / 1.6 * day_level[:, None] * shape[None, :] * noise,
                               0, None))
    required = required.astype(int)
    shifts, first, last = {}, 7 * per_h, 23 * per_h
    # two anchor shifts make every open period coverable; the rest are random
    anchor = 8 * per_h + (1 if odd_lengths else 0)
    shifts["S00"] = (first, anchor)
    shifts["S01"] = (last - anchor, anchor)
    while len(shifts) < n_shifts:
        length = int(rng.integers(4 * per_h, 9 * per_h + 1)) | (1 if odd_lengths else 0)
        start = int(rng.integers(first, last - length + 1))
        if (start, length) not in shifts.values():
            shifts[f"S{len(shifts):02d}"] = (start, length)
    return required, shifts


def ours(required, shifts, periods, brk):
    step = 1440 // periods
    ds = pd.date_range(WEEK, periods=7 * periods, freq=f"{step}min")
    req = pd.DataFrame({"ds": ds, "agents": required.ravel()})
    templates = scheduling.daily_templates(
        {name: (s * step, (length - brk) * step / 60) for name, (s, length) in shifts.items()},
        break_minutes=brk * step)
    res = scheduling.schedule(req, templates=templates, under_coverage_penalty=None,
                              interval_minutes=step, mip_rel_gap=0.0, time_limit_s=300)
    return res.paid_hours, res.status


def theirs(required, shifts, periods, brk, limit_s):
    coverage = {}
    for name, (s, length) in shifts.items():
        row = np.zeros(periods, dtype=int)
        row[s:s + length] = 1
        if brk:
            row[s + (length - 1) // 2] = 0                  # the unpaid break, mid-shift
        coverage[name] = row.tolist()
    cost = {name: int(length - brk) for name, (_, length) in shifts.items()}   # paid periods
    model = MinRequiredResources(num_days=7, periods=periods, shifts_coverage=coverage,
                                 required_resources=required.tolist(),
                                 max_period_concurrency=int(required.max() * 3),
                                 max_shift_concurrency=int(required.max() * 2),
                                 cost_dict=cost, max_search_time=float(limit_s))
    sol = model.solve()
    lengths = {name: length - brk for name, (_, length) in shifts.items()}
    paid = sum(r["resources"] * lengths[r["shift"]] for r in sol["resources_shifts"]
               if r["resources"] > 0) * 24 / periods
    return paid, sol["status"].lower()


def cold(fn):
    """``fn`` with the toolkit's coverage-matrix cache emptied first: the model is built."""
    def run():
        scheduling._COVERAGE_CACHE.clear()
        return fn()
    return run


def timed_pair(ours_fn, peer_fn, repeats, peer_runs):
    """One warm-up call each, then the two in turn; (out, seconds per run) for each side."""
    outs, times = [ours_fn(), peer_fn() if peer_fn else None], ([], [])
    for i in range(repeats):
        for side, fn in enumerate((ours_fn, peer_fn)):
            if fn is None or (side == 1 and i >= peer_runs):
                continue
            start = time.perf_counter()
            outs[side] = fn()
            times[side].append(time.perf_counter() - start)
    return outs, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small problems only, at most 11 repeats")
    parser.add_argument("--repeats", type=int, default=21,
                        help="runs of each side on the small problems (a third on the large)")
    parser.add_argument("--peer-limit-s", type=float, default=120.0)
    args = parser.parse_args()
    # (label, periods a day, shifts, Sunday open, peak agents, one-period unpaid break)
    cases = [("7 d x 48 x 20 shifts", 48, 20, False, 30, 0),
             ("7 d x 48 x 20 shifts, 150 agents, breaks", 48, 20, False, 150, 1)]
    if not args.quick:
        cases += [("7 d x 96 x 100 shifts", 96, 100, True, 30, 0),
                  ("7 d x 96 x 100 shifts, 150 agents, breaks", 96, 100, True, 150, 1)]
    repeats = min(args.repeats, 11) if args.quick else args.repeats

    lines = ["| problem | implementation | paid hours | status | median s | runs |",
             "|---|---|---:|---|---:|---:|"]
    notes = []
    for label, periods, n_shifts, sunday, peak, brk in cases:
        required, shifts = problem(periods, n_shifts, seed=periods + n_shifts, sunday=sunday,
                                   peak_agents=peak, odd_lengths=bool(brk))
        ours_fn = cold(lambda r=required, s=shifts, p=periods, b=brk: ours(r, s, p, b))
        peer_fn = None if MinRequiredResources is None else (
            lambda r=required, s=shifts, p=periods, b=brk: theirs(r, s, p, b, args.peer_limit_s))
        runs = repeats if periods <= 48 else max(3, repeats // 3)
        peer_runs = runs if periods <= 48 and not brk else max(1, runs // 3)
        ((paid, status), peer_out), (t_ours, t_peer) = timed_pair(ours_fn, peer_fn, runs,
                                                                  peer_runs)
        lines.append(f"| {label} | toolkit.scheduling.schedule (HiGHS) | {paid:,.1f} | "
                     f"{status} | {statistics.median(t_ours):.4f} | {len(t_ours)} |")
        warm = []
        for _ in range(runs):           # the same call again, coverage matrices cached
            start = time.perf_counter()
            ours(required, shifts, periods, brk)
            warm.append(time.perf_counter() - start)
        notes.append(f"{label}: toolkit with its coverage cache warm (same templates "
                     f"again): {statistics.median(warm):.4f} s")
        if peer_fn is None:
            notes.append(f"{label}: pyworkforce is not installed, peer skipped.")
            continue
        p_paid, p_status = peer_out
        lines.append(f"| {label} | pyworkforce MinRequiredResources (CP-SAT, 2 workers) | "
                     f"{p_paid:,.1f} | {p_status} | {statistics.median(t_peer):.4f} | "
                     f"{len(t_peer)} |")
        pairwise = statistics.median(b / a for a, b in zip(t_ours, t_peer, strict=False))
        notes.append(f"{label}: paid hours ours/pyworkforce = {paid / p_paid:.4f}; "
                     f"speed-up = {statistics.median(t_peer) / statistics.median(t_ours):,.1f}x"
                     f" (run by run {pairwise:,.1f}x)")
    print("\n".join(lines))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
