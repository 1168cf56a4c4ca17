"""How much work is there to cost?

Interval volumes -> an average day per month of year and weekday -> Erlang agents
(``toolkit.staffing``) -> productive hours, contacts and handled minutes per location and
month of year; and monthly volume forecasts summed by month. Self-contained: it needs only
``reference``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.config import project_path
from toolkit.costs.reference import _check_choice, _value, load_reference
from toolkit.errors import ParameterError


def _local_clock(ds) -> pd.Series:
    """Timestamps as the site's wall-clock time (tz dropped after conversion, if any)."""
    ds = pd.to_datetime(pd.Series(ds))
    return ds.dt.tz_localize(None) if ds.dt.tz is not None else ds


def demand_profile(volumes: pd.DataFrame) -> pd.DataFrame:
    """Average day per (month of year, weekday, time slot, queue) over the last 12 months.

    Staffing an average day per weekday and month (and multiplying by the number of such
    days) keeps the intraday shape that drives Erlang requirements at ~1/4 of the rows.
    Returns ``month, weekday, slot, queue, calls, aht_s, days, interval_s``.
    """
    missing = {"ds", "queue", "calls", "aht_s"} - set(volumes.columns)
    if missing:
        raise ParameterError("volumes", sorted(missing), "a table with ds, queue, calls, aht_s")
    v = volumes[["ds", "queue", "calls", "aht_s"]].copy()
    v["ds"] = _local_clock(v["ds"])
    month = v["ds"].dt.to_period("M")
    last = month.max()
    v = v[month > last - 12]
    deltas = np.diff(np.sort(v["ds"].drop_duplicates().to_numpy())).astype("timedelta64[s]")
    positive = deltas[deltas > np.timedelta64(0, "s")]
    interval_s = float(positive.min().astype(float)) if len(positive) else 1800.0
    aht_fill = v.groupby("queue")["aht_s"].transform("mean")
    v["aht_s"] = v["aht_s"].fillna(aht_fill).fillna(0.0)
    v["month"] = v["ds"].dt.month
    v["weekday"] = v["ds"].dt.day_of_week
    v["slot"] = v["ds"].dt.hour * 60 + v["ds"].dt.minute
    v["date"] = v["ds"].dt.date
    v["work_s"] = v["calls"] * v["aht_s"]
    keys = ["month", "weekday", "slot", "queue"]
    g = v.groupby(keys, as_index=False).agg(calls=("calls", "sum"), work_s=("work_s", "sum"))
    days = (v.drop_duplicates(["date"]).groupby(["month", "weekday"]).size()
            .rename("days").reset_index())
    g = g.merge(days, on=["month", "weekday"], how="left")
    g["aht_s"] = np.where(g["calls"] > 0, g["work_s"] / g["calls"].where(g["calls"] > 0, 1), 0.0)
    g["calls"] = g["calls"] / g["days"]
    g["interval_s"] = interval_s
    return g.drop(columns="work_s")


def staffing_profile(volumes: pd.DataFrame, ref: dict | None = None,
                     locations: Sequence[str] | None = None) -> pd.DataFrame:
    """Productive hours, contacts and handled minutes per location and month of year.

    The Erlang requirement (``toolkit.staffing.required_agents``) is computed once per
    interval on the company's own traffic; each location's quality gap (AHT uplift, FCR gap
    -> repeat contacts) is applied by the cost engine as a workload factor, so the same
    profile serves the deterministic views, the tornado and the Monte Carlo draws.
    Returns ``location, month, productive_hours, contacts, handled_contacts, handled_minutes``.
    """
    from toolkit import staffing  # imported here: the cost model also runs on a given profile

    ref = ref or load_reference()
    locations = _check_choice("locations", locations or list(ref["locations"]),
                              list(ref["locations"]))
    d = ref["defaults"]
    prof = demand_profile(volumes)
    calls, aht = prof["calls"].to_numpy(), prof["aht_s"].to_numpy()
    agents = np.zeros(len(prof))
    busy = calls > 0
    if busy.any():
        req = staffing.required_agents(
            calls[busy], aht[busy], float(prof["interval_s"].iloc[0]),
            sl_target=float(_value(d["sl_target"])), target_s=float(_value(d["target_s"])),
            max_occupancy=float(_value(d["max_occupancy"])), shrinkage=0.0)
        agents[busy] = np.asarray(req["agents"], dtype=float)
    t = prof.assign(agent_h=agents * prof["interval_s"] / 3600 * prof["days"],
                    demand=prof["calls"] * prof["days"],
                    minutes=calls * aht / 60 * prof["days"])
    by_month = t.groupby("month").agg(
        productive_hours=("agent_h", "sum"), contacts=("demand", "sum"),
        handled_contacts=("demand", "sum"), handled_minutes=("minutes", "sum")).reset_index()
    out = pd.concat([by_month.assign(location=loc) for loc in locations], ignore_index=True)
    return out[["location", "month", "productive_hours", "contacts", "handled_contacts",
                "handled_minutes"]]


def read_monthly_forecast(path: str | os.PathLike) -> pd.DataFrame:
    """A monthly volume forecast: ``ds`` (month), ``yhat`` and optionally 80 % bounds.

    Queues are summed. Returns ``month`` (Period), ``yhat``, ``cv`` (from the 80 % interval
    when present, else NaN).
    """
    p = project_path(path)
    if not p.exists():
        raise ParameterError("forecast_path", str(path), "an existing CSV or Parquet file")
    fc = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
    return monthly_forecast_table(fc, parameter="forecast_path")


def monthly_forecast_table(fc: pd.DataFrame, *, parameter: str = "forecast") -> pd.DataFrame:
    """Sum a forecast (``ds, yhat[, yhat_lower_80, yhat_upper_80]``, any queues) by month.

    Interval-level forecasts are summed too. Returns ``month, yhat, cv``.
    """
    if not {"ds", "yhat"} <= set(fc.columns):
        raise ParameterError(parameter, sorted(fc.columns), "columns ds and yhat (monthly)")
    ds = pd.to_datetime(fc["ds"].astype(str).str[:7], format="%Y-%m")
    fc = fc.assign(month=ds.dt.to_period("M"))
    agg = {"yhat": ("yhat", "sum")}
    has_pi = {"yhat_lower_80", "yhat_upper_80"} <= set(fc.columns)
    if has_pi:
        agg |= {"lo": ("yhat_lower_80", "sum"), "hi": ("yhat_upper_80", "sum")}
    out = fc.groupby("month").agg(**agg).reset_index()
    # 80 % two-sided interval = +-1.2816 sd under normality. Summing bounds over queues and
    # intervals treats their errors as perfectly correlated: a deliberately wide CV.
    out["cv"] = ((out["hi"] - out["lo"]) / (2 * 1.2816 * out["yhat"])) if has_pi else np.nan
    return out[["month", "yhat", "cv"]]
