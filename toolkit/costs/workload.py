"""How much work is there to cost?

The staffing engine's answer, not a second one: the 12 months of call history ending with the
report period (and, when given, the interval forecast of the month after it) go through
``toolkit.planning.requirements`` — the same Erlang A, service target, occupancy cap, shrinkage
and patience as the staffing notebook — and ``toolkit.staffing.fte_rollup``; the result per
month of year is the profile the cost engine scales along the volume path. Also: monthly
volume forecasts summed by month.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit import planning, staffing
from toolkit.clock import local_clock
from toolkit.config import project_path
from toolkit.costs.reference import _check_choice, load_reference
from toolkit.errors import ParameterError

#: Profile columns (per location and month of year); see :func:`staffing_profile`.
PROFILE_COLUMNS = ("location", "month", "period", "productive_hours", "paid_hours", "fte_share", "fte",
                   "peak_scheduled", "contacts", "handled_contacts", "handled_minutes", "source")


def _monthly_workload(plan: pd.DataFrame, basis, holiday_country) -> pd.DataFrame:
    """Per calendar month of a requirement plan: agent-hours, paid hours, the month's share of
    a year's FTE hours (open days), peak concurrent scheduled agents, contacts and minutes —
    scaled up to the whole month where the plan covers only some of its open days."""
    roll = staffing.fte_rollup(plan, freq="ME", by=(), shrinkage=basis.shrinkage,
                               schedule_efficiency=basis.schedule_efficiency,
                               worked_hours_per_year=1.0, holiday_country=holiday_country)
    local = local_clock(plan["ds"])
    month = local.dt.to_period("M")
    concurrent = plan.assign(month=month.to_numpy()).groupby(["month", "ds"])["scheduled"].sum()
    work = plan.assign(month=month.to_numpy(), minutes=plan["calls"] * plan["aht_s"] / 60.0)
    sums = work.groupby("month").agg(contacts=("calls", "sum"), minutes=("minutes", "sum"))
    out = []
    for row in roll.itertuples():
        m = pd.Period(row.period, freq="M")
        # fte_hours at 1 worked hour a year = the covered open days' share of the year
        full = row.open_days_in_period / row.open_days if row.open_days else 1.0
        share = row.fte_hours * full
        out.append({"period": m, "month": m.month, "productive_hours": row.workload_hours * full,
                    "paid_hours": row.paid_hours * full, "fte_share": share,
                    "peak_scheduled": planning.peak_concurrent(concurrent.loc[m], basis),
                    "contacts": float(sums.loc[m, "contacts"]) * full,
                    "handled_contacts": float(sums.loc[m, "contacts"]) * full,
                    "handled_minutes": float(sums.loc[m, "minutes"]) * full,
                    "covered": f"{row.open_days} of {row.open_days_in_period} open days"})
    return pd.DataFrame(out)


def staffing_profile(volumes: pd.DataFrame, ref: dict | None = None,
                     locations: Sequence[str] | None = None, *, basis=None, period=None,
                     forecast: pd.DataFrame | None = None, patience_s=None,
                     holiday_country: str | None = "FR") -> pd.DataFrame:
    """Agent-hours, paid hours, FTE, peak seats, contacts and minutes per location and month
    of year, from the staffing engine on the company's own traffic.

    Parameters
    ----------
    volumes : call history ``ds, queue, calls, aht_s`` (interval level).
    basis : the planning basis (``toolkit.planning.load_basis()`` when None).
    period : report period "YYYY-MM": the 12 months ending with it are the base year (default:
        the 12 months ending with the last month of data).
    forecast : the interval forecast (``ds, queue, yhat``) of the month after ``period``: that
        month's row comes from it, with the history's AHT profile — exactly as the staffing
        notebook sizes it.
    patience_s : caller patience, a number or queue -> seconds (default: the basis's).

    Each location's FTE = paid hours / (its worked hours per FTE x the month's open-day share
    of the year), as in ``toolkit.staffing.fte_rollup``; quality gaps are applied by the cost
    engine. Months the data cover only in part are scaled to the whole month by open days.
    Returns the columns of ``PROFILE_COLUMNS``.
    """
    ref = ref or load_reference()
    basis = basis or planning.load_basis()
    locations = _check_choice("locations", locations or list(ref["locations"]),
                              list(ref["locations"]))
    missing = {"ds", "queue", "calls", "aht_s"} - set(volumes.columns)
    if missing:
        raise ParameterError("volumes", sorted(missing), "a table with ds, queue, calls, aht_s")
    history, period, window = _base_year(volumes, period)
    plan = planning.requirements(window, basis, patience_s=patience_s)
    by_month = _monthly_workload(plan, basis, holiday_country).assign(source="history")
    if forecast is not None:
        month = planning.staffing_month(period)
        fc = planning.in_month(forecast, month)
        fc_plan = planning.requirements(fc, basis, history=history, patience_s=patience_s)
        fc_row = _monthly_workload(fc_plan, basis, holiday_country).assign(source="forecast")
        by_month = pd.concat([by_month[by_month["month"] != month.month], fc_row],
                             ignore_index=True)
    frames = []
    for loc in locations:
        worked = by_month["period"].map(lambda m, loc=loc: basis.worked_hours(loc, m.year))
        frames.append(by_month.assign(location=loc,
                                      fte=by_month["paid_hours"] / (worked * by_month["fte_share"])))
    out = pd.concat(frames, ignore_index=True)
    out["source"] = out["source"] + " " + out["period"].astype(str) + " (" + out["covered"] + ")"
    out["period"] = out["period"].astype(str)
    return out.sort_values(["location", "month"], ignore_index=True)[list(PROFILE_COLUMNS)]


def _base_year(volumes: pd.DataFrame, period) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """History up to ``period`` (default: the last month of data), the period, and the 12
    months ending with it (the base year)."""
    history = volumes[["ds", "queue", "calls", "aht_s"]]
    if period is None:
        period = str(local_clock(history["ds"]).max().to_period("M"))
    history = planning.until_period(history, period)
    months = planning.workload_months(period)
    in_window = local_clock(history["ds"]).dt.to_period("M").isin(months).to_numpy()
    return history, period, history[in_window].reset_index(drop=True)


def queue_service(volumes: pd.DataFrame, *, basis=None, period=None,
                  patience_s=None) -> pd.DataFrame:
    """Contacts and abandoned contacts per queue over the base year, staffed at the service
    target: the staffing engine's Erlang A (``planning.requirements``, the basis's target and
    the queues' patience) at the agents it requires, as ``staffing_profile`` sizes them.

    Returns ``queue, contacts, abandoned, abandon_rate, contact_share``.
    """
    basis = basis or planning.load_basis()
    missing = {"ds", "queue", "calls", "aht_s"} - set(volumes.columns)
    if missing:
        raise ParameterError("volumes", sorted(missing), "a table with ds, queue, calls, aht_s")
    _, _, window = _base_year(volumes, period)
    plan = planning.requirements(window, basis, patience_s=patience_s)
    g = (plan.assign(abandoned=plan["calls"] * plan["p_abandon"])
         .groupby("queue")[["calls", "abandoned"]].sum().rename(columns={"calls": "contacts"}))
    g["abandon_rate"] = (g["abandoned"] / g["contacts"]).where(g["contacts"] > 0, 0.0)
    g["contact_share"] = g["contacts"] / g["contacts"].sum()
    return g.reset_index()


def read_monthly_forecast(path: str | os.PathLike) -> pd.DataFrame:
    """A monthly volume forecast: ``ds`` (month), ``yhat`` and optionally 80 % bounds.

    Queues are summed. An interval forecast written by ``toolkit.forecast.write_forecast``
    comes with its sidecar, whose error correlations set the monthly spread (see
    :func:`monthly_forecast_table`). Returns ``month`` (Period), ``yhat``, ``cv`` (from the
    80 % interval when present, else NaN).
    """
    from toolkit import forecast
    p = project_path(path)
    if not p.exists():
        raise ParameterError("outlook_path", str(path), "an existing CSV or Parquet file")
    fc = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
    if {"scenario", "queue", "month"} <= set(fc.columns):
        return outlook_table(fc)
    if p.suffix == ".parquet" and forecast.sidecar_path(p).exists():
        fc = forecast.read_forecast(p)
    return monthly_forecast_table(fc, parameter="outlook_path")


def outlook_table(outlook: pd.DataFrame, scenario: str = "base") -> pd.DataFrame:
    """The contract's volume path from a long-horizon outlook (``toolkit.forecast.
    monthly_outlook``): all queues, one ``scenario``; ``cv`` is the log-scale spread of the
    base path's 80 % interval, which the Monte Carlo draws once per path (months perfectly
    correlated: a slower market stays slower). It includes the outlook's growth uncertainty,
    so it grows over the contract as the tornado's volume-growth range does. Returns
    ``month, yhat, cv``."""
    from toolkit import forecast
    frame = outlook.assign(month=pd.PeriodIndex(outlook["month"].astype(str), freq="M"))
    scenarios = sorted(set(frame["scenario"]) - {"history"})
    if scenario not in scenarios:
        raise ParameterError("volume_scenario", scenario, f"one of the outlook's {scenarios}")
    spread = forecast.outlook_volume_path(frame, "base").set_index("month")["log_sd"]
    rows = frame[(frame["scenario"] == scenario) & (frame["queue"] == "total")]
    out = pd.DataFrame({"month": rows["month"].to_numpy(), "yhat": rows["yhat"].to_numpy(float)})
    out["cv"] = out["month"].map(spread).astype(float).to_numpy()
    return out.reset_index(drop=True)


def monthly_forecast_table(fc, *, parameter: str = "forecast") -> pd.DataFrame:
    """Sum a forecast (``ds, yhat[, yhat_lower_80, yhat_upper_80]``, any queues) by month.

    ``fc`` is a table or a ``toolkit.forecast.ForecastResult``. A result's intervals are
    first summed to months per queue with its own error correlations (inner-backtest
    estimates, ``forecast.aggregate``); a bare table's are added as if fully dependent, the
    widest spread. Queues are then added as fully dependent too (a common level error is the
    cautious assumption for a cost). Returns ``month, yhat, cv``.
    """
    from toolkit import forecast
    if isinstance(fc, forecast.ForecastResult):
        if not {"ds", "yhat", "queue"} <= set(fc.frame.columns):
            raise ParameterError(parameter, sorted(fc.frame.columns),
                                 "columns ds, queue and yhat (a forecast table)")
        fc = forecast.aggregate(fc, "ME") if fc.correlation() else fc.frame
    if not {"ds", "yhat"} <= set(fc.columns):
        raise ParameterError(parameter, sorted(fc.columns), "columns ds and yhat (monthly)")
    ds = pd.to_datetime(fc["ds"].astype(str).str[:7], format="%Y-%m")
    fc = fc.assign(month=ds.dt.to_period("M"))
    agg = {"yhat": ("yhat", "sum")}
    has_pi = {"yhat_lower_80", "yhat_upper_80"} <= set(fc.columns)
    if has_pi:
        agg |= {"lo": ("yhat_lower_80", "sum"), "hi": ("yhat_upper_80", "sum")}
    out = fc.groupby("month").agg(**agg).reset_index()
    # 80 % two-sided interval = +-1.2816 sd under normality.
    out["cv"] = ((out["hi"] - out["lo"]) / (2 * 1.2816 * out["yhat"])) if has_pi else np.nan
    return out[["month", "yhat", "cv"]]


def volume_path(profile: pd.DataFrame, fc: pd.DataFrame, contract: pd.PeriodIndex,
                default_cv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Volume index and CV per contract month from a monthly outlook (``month, yhat, cv``).

    The outlook sets the level, the base year the shape: contract year y's index is the
    outlook's total over that year divided by the base year's contacts, and every month of
    the year keeps the base year's seasonal profile (an outlook fitted without seasonality
    would otherwise swing the ratio month by month, and the seats with it). A month sized
    from the interval forecast already holds its growth: it is indexed to contract year 1.
    Years the outlook does not cover repeat its last complete year.
    """
    own = profile[profile["location"] == profile["location"].iloc[0]].set_index("month")
    base_total = float(own["contacts"].sum())
    forecast_months = (set(own.index[own["source"].str.startswith("forecast")])
                       if "source" in own.columns else set())
    by_month = fc.set_index("month")
    index = np.ones(len(contract))
    cv = np.array(default_cv, dtype=float, copy=True)
    growth, first = [], None
    for y in range(0, len(contract), 12):
        months = contract[y:y + 12]
        if base_total > 0 and all(m in by_month.index for m in months):
            growth.append(float(by_month.loc[list(months), "yhat"].sum()) / base_total)
        elif growth:
            growth.append(growth[-1])
        else:
            growth.append(1.0)
        first = growth[0] if first is None else first
        for i, m in enumerate(months, start=y):
            index[i] = growth[-1] / first if m.month in forecast_months else growth[-1]
            if m in by_month.index and np.isfinite(by_month.loc[m, "cv"]):
                cv[i] = by_month.loc[m, "cv"]
    return index, cv

