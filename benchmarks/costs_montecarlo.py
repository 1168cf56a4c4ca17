"""Monte Carlo speed: every location x engagement form over 60 months, 10,000 draws.

Compares, in the same run and on the same draws:

- ``toolkit.costs.monte_carlo`` — factored drivers: each (driver, time weight) present value
  is one batched matrix product over (draws, locations, months);
- full arrays — the same draws materialised as (draws, locations, months) driver arrays,
  then one contraction per cost term (the straightforward vectorisation);
- per-draw loop — the deterministic engine called once per draw (timed on a few hundred
  draws and scaled to the full count: it is far too slow to run in full).

Every method draws the same shocks: wages, FX paths, AHT, attrition, volume and each
location's quality gap (AHT uplift, FCR gap -> repeat contacts), with the correlations of the
reference (``toolkit.costs.correlation``: labour markets, pegs, wages vs FX, quality tiers). The staffing profile is
synthetic and flat (timing does not depend on it). Prints a markdown
table of median wall-clock seconds over repeats. ``--quick``: fewer repeats.

Run: ``.venv/bin/python benchmarks/costs_montecarlo.py [--quick] [--draws N]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from toolkit import costs
from toolkit.costs.model import (
    _base_quantities,
    _discount,
    _drivers,
    _location_arrays,
    _rate_card_price_eur,
    _terms,
    _Tweaks,
)
from toolkit.costs.uncertainty import _draw_shocks


def flat_profile(locations) -> pd.DataFrame:
    return pd.DataFrame([{"location": loc, "month": m, "productive_hours": 30_000.0,
                          "contacts": 150_000.0, "handled_contacts": 150_000.0,
                          "handled_minutes": 800_000.0}
                         for loc in locations for m in range(1, 13)])


def _inputs(model: costs.SourcingModel, n_draws: int, seed: int):
    """The reference inputs both peers start from (the same draws as ``monte_carlo``)."""
    tw = _Tweaks()
    la = _location_arrays(model, tw)
    q = _base_quantities(model, la, tw)
    price = _rate_card_price_eur(model, la, q, tw)
    shocks = _draw_shocks(model, n_draws, seed, la["currencies"])
    return tw, la, q, price, shocks, _terms(model, la, q, tw), _discount(model, tw)


def full_arrays(model: costs.SourcingModel, n_draws: int, seed: int) -> np.ndarray:
    """Peer: materialise every driver as (D, L, T), then contract term by term."""
    tw, la, q, price, shocks, terms, disc = _inputs(model, n_draws, seed)
    X = _drivers(model, la, q, tw, shocks, price)
    out = np.zeros((n_draws, len(model.locations), len(model.columns)))
    for _line, k, wname, coef in terms.items:
        w = terms.weights[wname] * disc[None, :]
        pv = (np.broadcast_to(w.sum(axis=1), (n_draws, w.shape[0])) if k == "one"
              else np.einsum("dlt,lt->dl", X[k], w))
        out += coef[None] * pv[:, :, None]
    return out


def per_draw_loop(model: costs.SourcingModel, n_draws: int, seed: int) -> np.ndarray:
    """Peer: one deterministic evaluation per draw (Python loop)."""
    tw, la, q, price, shocks, terms, disc = _inputs(model, n_draws, seed)
    out = np.zeros((n_draws, len(model.locations), len(model.columns)))
    for d in range(n_draws):
        one = {k: v[d:d + 1] for k, v in shocks.items()}
        X = {k: v[0] for k, v in _drivers(model, la, q, tw, one, price).items()}
        X["one"] = np.ones_like(X["P"])
        for _line, k, wname, coef in terms.items:
            out[d] += coef * ((terms.weights[wname] * X[k] * disc[None, :]).sum(axis=1))[:, None]
    return out


def markdown(table: pd.DataFrame) -> str:
    """A markdown table (no optional dependency)."""
    def fmt(v):
        return f"{v:.3g}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(table.columns) + " |",
             "|" + "|".join("---" for _ in table.columns) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    ref = costs.load_reference()
    locations = list(ref["locations"])
    rows = []
    for basis in ("per_productive_hour", "per_call"):
        model = costs.build_model(profile=flat_profile(locations), locations=locations,
                                  forms=list(costs.FORMS), contract_years=5, start="2027-01",
                                  billing_basis=basis, method="rate_card")
        grid = f"{len(model.locations)} x {len(model.forms)} x {model.months} m"
        t_ours, table = timed(lambda m=model: costs.monte_carlo(m, n_draws=args.draws,
                                                                 seed=args.seed), repeats)
        _, draws = costs.monte_carlo(model, n_draws=args.draws, seed=args.seed,
                                     return_draws=True)
        t_full, full = timed(lambda m=model: full_arrays(m, args.draws, args.seed),
                             max(1, repeats // 2))
        agree = float(np.max(np.abs(full / draws - 1)))
        loop_n = 200
        t_loop, loop = timed(lambda m=model, n=loop_n: per_draw_loop(m, n, args.seed), 1)
        # Same seed, same number of draws -> the same random numbers.
        _, small = costs.monte_carlo(model, n_draws=loop_n, seed=args.seed, return_draws=True)
        loop_agree = float(np.max(np.abs(loop / small - 1)))
        rows += [
            {"billing basis": basis, "method": "toolkit.costs.monte_carlo (factored)",
             "grid": grid, "draws": args.draws, "median s": t_ours, "max rel. diff": 0.0},
            {"billing basis": basis, "method": "full (D, L, T) arrays per term",
             "grid": grid, "draws": args.draws, "median s": t_full, "max rel. diff": agree},
            {"billing basis": basis, "method": f"per-draw loop (x{args.draws // loop_n} of "
                                               f"{loop_n} draws)",
             "grid": grid, "draws": args.draws, "median s": t_loop * args.draws / loop_n,
             "max rel. diff": loop_agree},
        ]
        assert len(table) == len(model.locations) * len(model.forms)
    out = pd.DataFrame(rows)
    print(f"Monte Carlo TCO timing, median of {repeats} repeats "
          f"(full arrays: {max(1, repeats // 2)}; loop: 1 run scaled)\n")
    print(markdown(out))
    ours = out[out["method"].str.startswith("toolkit")]["median s"].max()
    print(f"\nSlowest toolkit median: {ours:.2f} s (target < 2 s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
