"""Notebook-level helpers (thin notebooks: the steps live here, tested)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from toolkit.errors import DataError
from toolkit.staffing.erlang import _as_float, erlang_a, erlang_c
from toolkit.staffing.fte import aht_profile, apply_aht_profile
from toolkit.staffing.requirements import combine_shrinkage, required_agents
from toolkit.staffing.risk import FORECAST_COLUMNS
from toolkit.staffing.simulation import flag_formula_vs_simulation, simulate_intervals

# --------------------------------------------------------------------------------------------
# Notebook-level helpers (thin notebooks: the steps live here, tested)
# --------------------------------------------------------------------------------------------

def load_forecast(path) -> pd.DataFrame:
    """Read the forecast Parquet written by notebooks/10_volume_forecast.ipynb, checked.

    A missing file stops with a message saying which notebook writes it.
    """
    from toolkit import config

    resolved = config.project_path(path)
    if not resolved.is_file():
        raise FileNotFoundError(
            f"forecast file {resolved} not found: run notebooks/10_volume_forecast.ipynb first "
            "(it writes data/processed/forecast.parquet), or point forecast_path at a forecast "
            "with columns ds, queue, " + ", ".join(FORECAST_COLUMNS))
    forecast = pd.read_parquet(resolved)
    missing = [c for c in ("ds", "queue", *FORECAST_COLUMNS) if c not in forecast.columns]
    if missing:
        raise DataError(f"forecast lacks column(s) {missing}", file=resolved, column=missing[0],
                        expected="ds, queue, " + ", ".join(FORECAST_COLUMNS))
    for col in FORECAST_COLUMNS:
        _as_float(col, forecast[col].reset_index(drop=True))
    return forecast.sort_values(["queue", "ds"], kind="stable").reset_index(drop=True)


def forecast_correlation(path) -> dict:
    """The forecast's own error correlations by queue (``{queue: {"intraday": r1, "days":
    r2}}``), from the sidecar notebook 10 writes beside the forecast; ``{}`` when the file
    has none (a forecast written by hand): the risk then keeps its stated default."""
    from toolkit import forecast
    return forecast.read_forecast(path).correlation()


#: The distributions the notebook checks the formulas against: the formulas' own assumptions
#: (the simulation's control), then the realistic departures the call history can reveal.
SIMULATION_SCENARIOS = {
    "exponential (formula assumptions)": {},
    "lognormal handle (CV 0.8)": {"handle": "lognormal", "handle_cv": 0.8},
    "lognormal handle (CV 0.8) and lognormal patience (CV 0.5)": {
        "handle": "lognormal", "handle_cv": 0.8, "patience": "lognormal", "patience_cv": 0.5},
}


def simulation_checks(plan: pd.DataFrame, interval_s: float, target_s: float,
                      patience_s: float | None, *, per_queue: int = 2,
                      scenarios: dict | None = None, n_calls: int = 40_000,
                      seed: int = 0) -> pd.DataFrame:
    """Formula vs simulation on each queue's ``per_queue`` busiest intervals of ``plan``
    (``queue, ds, calls, aht_s, agents``), under each of ``scenarios`` (default
    ``SIMULATION_SCENARIOS``): one row per (scenario, interval) with the ``flag`` columns of
    ``flag_formula_vs_simulation`` and the scenario's name in ``simulation``."""
    busiest = (plan.sort_values("calls", ascending=False).groupby("queue").head(per_queue)
               .sort_values(["queue", "ds"]).reset_index(drop=True))
    formula = erlang_a(busiest["calls"], busiest["aht_s"], interval_s, busiest["agents"],
                       target_s, patience_s if patience_s is not None else float("inf"))
    checks = []
    for label, options in (scenarios or SIMULATION_SCENARIOS).items():
        sim = simulate_intervals(busiest["calls"], busiest["aht_s"], interval_s,
                                 busiest["agents"], target_s, patience_s, n_calls=n_calls,
                                 seed=seed, **options)
        flags = flag_formula_vs_simulation(formula, sim)
        checks.append(pd.concat([busiest[["queue", "ds", "agents"]], flags], axis=1)
                      .assign(simulation=label))
    return pd.concat(checks, ignore_index=True)


def plan_requirements(forecast: pd.DataFrame, history: pd.DataFrame, *, interval_minutes=30,
                      sl_target=0.8, target_s=20, patience_s=None, max_occupancy=None,
                      shrinkage_planned=0.0, shrinkage_unplanned=0.0, recent_weeks=13,
                      sl_definition: str = "answered_of_offered") -> pd.DataFrame:
    """Interval requirements for a forecast: AHT from the history profile (queue x weekday x
    slot, or the forecast's own ``aht_s`` when no history is given), agents at the point forecast (Erlang A when ``patience_s`` is given, else C),
    the Erlang C answer alongside for comparison, scheduled agents after combined shrinkage.
    """
    if history is None and "aht_s" in forecast.columns:
        frame = forecast  # handle times given per interval (e.g. the call history itself)
    else:
        frame = apply_aht_profile(forecast, aht_profile(history, recent_weeks=recent_weeks))
    interval_s = float(interval_minutes) * 60.0
    shrink = combine_shrinkage(shrinkage_planned, shrinkage_unplanned)
    targets = {"sl_target": sl_target, "target_s": target_s, "max_occupancy": max_occupancy,
               "shrinkage": shrink}
    req = required_agents(frame["yhat"].clip(lower=0), frame["aht_s"], interval_s,
                          patience_s=patience_s, sl_definition=sl_definition, **targets)
    erlang_c_req = required_agents(frame["yhat"].clip(lower=0), frame["aht_s"], interval_s,
                                   **targets)
    out = frame[["ds", "queue", "yhat"]].rename(columns={"yhat": "calls"})
    out["aht_s"] = frame["aht_s"]
    out = pd.concat([out, req.drop(columns=[c for c in req.columns if c.startswith("sl_")])],
                    axis=1)
    out["agents_erlang_c"] = erlang_c_req["agents"].to_numpy()
    out["scheduled_erlang_c"] = erlang_c_req["scheduled"].to_numpy()
    out["shrinkage"] = shrink
    return out


def service_curve(calls: float, aht_s: float, interval_s: float, *, target_s: float,
                  patience_s=None, agents: Iterable[int] | None = None,
                  sl_definition: str = "answered_of_offered") -> pd.DataFrame:
    """SL, ASA, abandonment and occupancy against agents for one interval, Erlang A (when
    ``patience_s``) and Erlang C side by side, with the SL each extra agent buys."""
    a = float(calls) * float(aht_s) / float(interval_s)
    if agents is None:
        agents = np.arange(max(1, math.floor(a * 0.8)), math.ceil(a * 1.35) + 4)
    n = np.asarray(list(agents), dtype=float)
    c = erlang_c(float(calls), float(aht_s), float(interval_s), n, float(target_s))
    out = pd.DataFrame({"agents": n.astype(np.int64), "sl_erlang_c": c["service_level"].to_numpy(),
                        "asa_erlang_c_s": c["asa_s"].to_numpy()})
    if patience_s is not None:
        e = erlang_a(float(calls), float(aht_s), float(interval_s), n, float(target_s),
                     float(patience_s), sl_definition=sl_definition)
        out["sl_erlang_a"] = e["service_level"].to_numpy()
        out["asa_erlang_a_s"] = e["asa_s"].to_numpy()
        out["p_abandon"] = e["p_abandon"].to_numpy()
        out["occupancy"] = e["occupancy"].to_numpy()
        main = out["sl_erlang_a"]
    else:
        out["occupancy"] = c["occupancy"].to_numpy()
        main = out["sl_erlang_c"]
    out["sl_gain_per_agent"] = main.diff()
    return out


def model_gap(requirements: pd.DataFrame, *, interval_minutes=30) -> pd.DataFrame:
    """Per queue: agent-hours under Erlang A (``agents``) vs Erlang C (``agents_erlang_c``),
    the gap in hours and percent, and the largest single-interval gap."""
    hours = float(interval_minutes) / 60.0
    g = requirements.assign(gap=requirements["agents_erlang_c"] - requirements["agents"])
    out = g.groupby("queue", sort=True).agg(
        agent_hours_erlang_a=("agents", lambda s: s.sum() * hours),
        agent_hours_erlang_c=("agents_erlang_c", lambda s: s.sum() * hours),
        max_interval_gap_agents=("gap", "max"),
        mean_p_abandon=("p_abandon", "mean") if "p_abandon" in g else ("agents", "size"))
    out["gap_hours"] = out["agent_hours_erlang_c"] - out["agent_hours_erlang_a"]
    out["gap_pct"] = out["gap_hours"] / out["agent_hours_erlang_a"]
    return out.reset_index()
