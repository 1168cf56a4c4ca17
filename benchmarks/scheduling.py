"""Shift scheduling benchmark: toolkit.scheduling (HiGHS MILP) vs pyworkforce (OR-Tools CP-SAT).

Run: .venv/bin/python benchmarks/scheduling.py [--quick] [--repeats R] [--peer-limit-s S]

Same requirement, same shift set, same objective: pyworkforce's ``MinRequiredResources``
(cover every interval, minimise the summed shift cost) with each shift's cost = its paid
length, against the toolkit's two entry points with hard coverage
(``under_coverage_penalty=None``, ``mip_rel_gap=0``): ``schedule_days`` (arrays in and out,
the same model and the same kind of input as pyworkforce's) and ``schedule`` (tables in, a
full result with coverage and shift tables out) with single-day templates of the same
shifts. Problems:

- small: 7 days x 48 half-hour intervals x 20 shifts;
- large: 7 days x 96 quarter-hour intervals x 100 shifts (goal: solved within 30 s);
- each also at contact-centre scale (peak 150 agents) with a one-period unpaid break
  mid-shift: the break breaks the interval structure that makes the plain problem's LP
  integral, so both solvers must branch.

Requirements are seeded day-shaped curves (open 07:00-23:00, Saturday lighter, Sunday
closed in the small problem); shifts are seeded starts and 4-9 h lengths inside the day
(pyworkforce's model has no shift across midnight). Each side is timed end to end from the
requirement array and the shift definitions (start, length) to the solved schedule:
arrays: the coverage array, ``schedule_days``; tables: requirement table,
``daily_templates``, ``schedule``; pyworkforce: its coverage lists,
``MinRequiredResources``, ``solve``. The toolkit's coverage-matrix cache is emptied before
every timed ``schedule`` call, so its model build is timed as pyworkforce's is (the cached
figure is printed apart). After one untimed warm-up call each, the three run in turn
(A B C A B C ...) so that a drift of the shared machine hits all; medians of ``--repeats``
runs (the peer gets fewer on the large problems); the speed-up is the ratio of the medians
and, in brackets, the median of the run-by-run ratios. pyworkforce gets ``--peer-limit-s``
seconds per solve and 2 search workers (its default). Paid hours: lower is better.
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


def ours_arrays(required, shifts, periods, brk):
    coverage = np.zeros((len(shifts), periods))
    paid = np.empty(len(shifts))
    for i, (s, length) in enumerate(shifts.values()):
        coverage[i, s:s + length] = 1
        if brk:
            coverage[i, s + (length - 1) // 2] = 0            # the unpaid break, mid-shift
        paid[i] = (length - brk) * 24 / periods
    plan = scheduling.schedule_days(required, coverage, paid, mip_rel_gap=0.0,
                                    time_limit_s=300)
    return plan.paid_hours, plan.status


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


def timed_in_turn(fns, runs):
    """One warm-up call each, then the functions in turn; (outs, seconds per run) for each.

    ``runs[i]`` timed calls of ``fns[i]`` (None: skipped)."""
    outs = [fn() if fn else None for fn in fns]
    times = [[] for _ in fns]
    for i in range(max(runs)):
        for side, fn in enumerate(fns):
            if fn is None or i >= runs[side]:
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
        def arrays_fn(r=required, s=shifts, p=periods, b=brk):
            return ours_arrays(r, s, p, b)
        tables_fn = cold(lambda r=required, s=shifts, p=periods, b=brk: ours(r, s, p, b))
        peer_fn = None if MinRequiredResources is None else (
            lambda r=required, s=shifts, p=periods, b=brk: theirs(r, s, p, b, args.peer_limit_s))
        runs = repeats if periods <= 48 else max(3, repeats // 3)
        peer_runs = runs if periods <= 48 and not brk else max(1, runs // 3)
        outs, times = timed_in_turn([arrays_fn, tables_fn, peer_fn], [runs, runs, peer_runs])
        names = ["toolkit.scheduling.schedule_days (arrays, HiGHS)",
                 "toolkit.scheduling.schedule (tables, HiGHS)",
                 "pyworkforce MinRequiredResources (CP-SAT, 2 workers)"]
        for name, out, t in zip(names, outs, times, strict=True):
            if out is not None:
                lines.append(f"| {label} | {name} | {out[0]:,.1f} | {out[1]} | "
                             f"{statistics.median(t):.4f} | {len(t)} |")
        warm = []
        for _ in range(runs):           # the same call again, coverage matrices cached
            start = time.perf_counter()
            ours(required, shifts, periods, brk)
            warm.append(time.perf_counter() - start)
        notes.append(f"{label}: schedule with its coverage cache warm (same templates "
                     f"again): {statistics.median(warm):.4f} s")
        if peer_fn is None:
            notes.append(f"{label}: pyworkforce is not installed, peer skipped.")
            continue
        p_paid = outs[2][0]
        for name, out, t in zip(("schedule_days", "schedule"), outs, times, strict=False):
            pairwise = statistics.median(b / a for a, b in zip(t, times[2], strict=False))
            notes.append(f"{label}: {name} paid hours / pyworkforce = {out[0] / p_paid:.4f}; "
                         f"speed-up = {statistics.median(times[2]) / statistics.median(t):,.1f}x"
                         f" (run by run {pairwise:,.1f}x)")
    print("\n".join(lines))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
