"""From interval requirements to FTE, and the AHT profile that feeds them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from toolkit.clock import local_clock
from toolkit.errors import DataError, ParameterError
from toolkit.staffing.erlang import _as_float
from toolkit.staffing.requirements import _as_fraction

# --------------------------------------------------------------------------------------------
# From interval requirement to FTE
# --------------------------------------------------------------------------------------------

def _interval_hours(ds: pd.Series, interval_minutes) -> float:
    if interval_minutes is not None:
        if not interval_minutes > 0:
            raise ParameterError("interval_minutes", interval_minutes, "a positive number")
        return float(interval_minutes) / 60.0
    steps = np.diff(np.unique(ds.to_numpy(dtype="datetime64[ns]")).astype(np.int64))
    steps = steps[steps > 0]
    if steps.size == 0:
        raise ParameterError("interval_minutes", None,
                             "the interval length in minutes (cannot infer it from one row)")
    return float(steps.min()) / 3.6e12


def fte_rollup(requirements: pd.DataFrame, *, freq: str = "W", contract_hours_per_week=35.0,
               shrinkage=0.0, absence_rate=0.0, schedule_efficiency=1.0,
               agents_column: str = "agents", interval_minutes=None,
               by: Iterable[str] = ("queue",), worked_hours_per_year=None,
               holiday_country: str | None = None, open_weekdays=None) -> pd.DataFrame:
    """Weekly (``freq="W"``, weeks ending Sunday) or monthly (``"ME"``) FTE from interval
    requirements: agent-hours, not a sum of interval peaks.

    paid hours = sum(agents x interval hours) / (1 - shrinkage) / schedule_efficiency;
    FTE = paid hours / hours one FTE works on the period's open days.

    One FTE's worked hours of a year (``worked_hours_per_year``: a number or a function of the
    year; default ``contract_hours_per_week`` x 52.18 x (1 - ``absence_rate``)) are spread over
    the site's open days of that year. A period's FTE is then the staff level its workload
    needs, and a partial period (the data start or end inside it) is prorated by the open days
    it covers (``complete`` False): the same staff gives the same FTE whatever the window.
    Open days: ``open_weekdays`` (default: the weekdays the requirement shows), less
    ``holiday_country``'s public holidays, plus any day the requirement shows open.
    ``shrinkage`` is in-shift loss (breaks, training, coaching, in-day unplanned); leave,
    public holidays and absence belong in the worked hours: do not count a loss twice.
    ``schedule_efficiency`` (<= 1) is the share of scheduled hours that land where the
    requirement is. Rounding happens once, here: ``fte_rounded`` = ceil(FTE) per group and
    period, the level where people are scheduled; never sum rounded interval values.
    """
    if freq not in ("W", "ME"):
        raise ParameterError("freq", freq, '"W" (weeks ending Sunday) or "ME" (calendar months)')
    if not contract_hours_per_week > 0:
        raise ParameterError("contract_hours_per_week", contract_hours_per_week, "hours > 0")
    shrink = float(_as_fraction("shrinkage", shrinkage))
    absence = float(_as_fraction("absence_rate", absence_rate))
    if not 0 < schedule_efficiency <= 1:
        raise ParameterError("schedule_efficiency", schedule_efficiency, "a fraction in (0, 1]")
    by = [c for c in by if c in requirements.columns]
    missing = [c for c in ("ds", agents_column) if c not in requirements.columns]
    if missing:
        raise DataError(f"requirements lack column(s) {missing}", column=missing[0],
                        expected=f"columns ds, {agents_column} (and optionally {', '.join(by)})")
    agents = _as_float(agents_column, requirements[agents_column].reset_index(drop=True))
    local = local_clock(requirements["ds"]).reset_index(drop=True)
    hours = _interval_hours(local, interval_minutes)
    day = local.dt.normalize()
    if freq == "W":
        period_end = day + pd.to_timedelta(6 - day.dt.day_of_week, unit="D")
        period_start = period_end - pd.Timedelta(days=6)
    else:
        period_end = day + pd.offsets.MonthEnd(0)
        period_start = period_end - pd.offsets.MonthBegin(1)
    frame = pd.DataFrame({"period": period_end, "period_start": period_start,
                          "agent_hours": agents * hours, "agents": agents})
    for c in by:
        frame[c] = requirements[c].to_numpy()
    keys = [*by, "period"]
    grouped = frame.groupby(keys, sort=True).agg(period_start=("period_start", "first"),
                                                 workload_hours=("agent_hours", "sum"),
                                                 peak_agents=("agents", "max")).reset_index()
    per_day = _fte_hours_per_day(day, worked_hours_per_year, contract_hours_per_week, absence,
                                 holiday_country, open_weekdays)
    first_day, last_day = day.min(), day.max()
    cum_open = per_day["open"].cumsum()
    cum_hours = per_day["fte_hours"].cumsum()

    def _between(cum: pd.Series, lo: pd.Series, hi: pd.Series) -> np.ndarray:
        upper = cum.reindex(hi).to_numpy()
        lower = cum.reindex(lo - pd.Timedelta(days=1)).fillna(0).to_numpy()
        return upper - lower

    start = grouped["period_start"].where(grouped["period_start"] > first_day, first_day)
    end = grouped["period"].where(grouped["period"] < last_day, last_day)
    full_open = _between(cum_open, grouped["period_start"], grouped["period"])
    covered_open = _between(cum_open, start, end)
    grouped["complete"] = covered_open >= full_open
    grouped["days"] = (end - start).dt.days.to_numpy() + 1
    grouped["open_days"] = covered_open.astype(np.int64)
    grouped["open_days_in_period"] = full_open.astype(np.int64)
    grouped["paid_hours"] = grouped["workload_hours"] / (1 - shrink) / schedule_efficiency
    grouped["fte_hours"] = _between(cum_hours, start, end)
    grouped["fte"] = grouped["paid_hours"] / grouped["fte_hours"]
    # round to 1e-9 first so binary noise (20.000000000000004) does not add a whole FTE
    grouped["fte_rounded"] = np.ceil(grouped["fte"].round(9)).astype(np.int64)
    return grouped[[*by, "period", "period_start", "days", "open_days", "open_days_in_period",
                    "complete", "workload_hours", "paid_hours", "fte_hours", "fte",
                    "fte_rounded", "peak_agents"]]


def _fte_hours_per_day(day: pd.Series, worked_hours_per_year, contract_hours_per_week,
                       absence: float, holiday_country, open_weekdays) -> pd.DataFrame:
    """Per calendar day of the years the data touch: open (0/1) and the hours one FTE works
    on it (the year's worked hours spread evenly over the year's open days)."""
    seen = pd.DatetimeIndex(day.unique())
    years = range(int(seen.min().year), int(seen.max().year) + 1)
    days = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-31", freq="D")
    weekdays = (sorted(set(seen.day_of_week)) if open_weekdays is None
                else [int(w) for w in open_weekdays])
    closed = pd.DatetimeIndex([])
    if holiday_country:
        from toolkit import calendars
        try:
            table = calendars.public_holidays(holiday_country, list(years))
        except ParameterError as exc:
            raise ParameterError("holiday_country", holiday_country, exc.expected) from exc
        closed = pd.DatetimeIndex(table["date"])
    is_open = ((days.day_of_week.isin(weekdays) & ~days.isin(closed)) | days.isin(seen))
    out = pd.DataFrame({"open": is_open.astype(np.int64)}, index=days)
    if worked_hours_per_year is None:
        def worked(_year):
            return contract_hours_per_week * 365.2425 / 7 * (1 - absence)
    elif callable(worked_hours_per_year):
        worked = worked_hours_per_year
    else:
        def worked(_year):
            return float(worked_hours_per_year)
    per_open = {}
    for y in years:
        n_open = int(out.loc[str(y), "open"].sum())
        hours = float(worked(y))
        if not hours > 0:
            raise ParameterError("worked_hours_per_year", hours, "hours > 0 for every year")
        per_open[y] = hours / n_open if n_open else 0.0
    out["fte_hours"] = out["open"] * out.index.year.map(per_open).to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# AHT profile
# --------------------------------------------------------------------------------------------

def aht_profile(history: pd.DataFrame, *, recent_weeks: int | None = 13,
                min_calls: float = 30.0) -> pd.DataFrame:
    """Call-weighted AHT by queue x weekday x slot (local clock) from ``ds, queue, calls,
    aht_s`` history (``toolkit.io.read_volumes``).

    Uses the last ``recent_weeks`` weeks (AHT drifts; None = all). A cell with fewer than
    ``min_calls`` calls borrows the queue x slot value, then the queue value (``level`` says
    which), so thin early/late slots do not get noisy AHTs. ``aht_queue_s`` is the queue's
    call-weighted AHT over the window (the fallback for unseen slots).
    """
    needed = {"ds", "queue", "calls", "aht_s"}
    if not needed <= set(history.columns):
        missing = sorted(needed - set(history.columns))
        raise DataError(f"history lacks column(s) {missing}", column=missing[0],
                        expected="ds, queue, calls, aht_s (toolkit.io.read_volumes)")
    local = local_clock(history["ds"])
    frame = pd.DataFrame({"queue": history["queue"].astype(str).to_numpy(),
                          "day": local.dt.normalize().to_numpy(),
                          "weekday": local.dt.day_of_week.to_numpy(),
                          "slot": local.dt.strftime("%H:%M").to_numpy(),
                          "calls": history["calls"].to_numpy(dtype=float),
                          "aht_s": history["aht_s"].to_numpy(dtype=float)})
    if recent_weeks is not None:
        frame = frame[frame["day"] > frame["day"].max() - pd.Timedelta(weeks=recent_weeks)]
    frame = frame[(frame["calls"] > 0) & np.isfinite(frame["aht_s"])]
    if frame.empty:
        raise DataError("history has no interval with calls and an AHT", column="aht_s",
                        expected="some intervals with calls > 0 and aht_s given")
    frame = frame.assign(handle=frame["calls"] * frame["aht_s"])

    def level(keys):
        g = frame.groupby(keys, sort=True)[["calls", "handle"]].sum().reset_index()
        return g.assign(aht_s=g["handle"] / g["calls"]).drop(columns="handle")

    cell = level(["queue", "weekday", "slot"])
    by_slot = level(["queue", "slot"]).rename(columns={"aht_s": "aht_slot", "calls": "calls_slot"})
    by_queue = level(["queue"]).rename(columns={"aht_s": "aht_queue", "calls": "calls_queue"})
    out = cell.merge(by_slot, on=["queue", "slot"]).merge(by_queue, on="queue")
    use_cell = out["calls"] >= min_calls
    use_slot = ~use_cell & (out["calls_slot"] >= min_calls)
    out["level"] = np.select([use_cell, use_slot], ["queue_weekday_slot", "queue_slot"], "queue")
    out["aht_s"] = np.select([use_cell, use_slot], [out["aht_s"], out["aht_slot"]],
                             out["aht_queue"])
    out["aht_queue_s"] = out["aht_queue"]
    return out[["queue", "weekday", "slot", "aht_s", "calls", "level", "aht_queue_s"]]


def apply_aht_profile(forecast: pd.DataFrame, profile: pd.DataFrame) -> pd.DataFrame:
    """Add ``aht_s`` to a ``ds, queue, ...`` forecast from an ``aht_profile`` table; slots the
    profile lacks take the queue's call-weighted AHT. A queue the profile lacks is an error."""
    local = local_clock(forecast["ds"])
    keys = pd.DataFrame({"queue": forecast["queue"].astype(str).to_numpy(),
                         "weekday": local.dt.day_of_week.to_numpy(),
                         "slot": local.dt.strftime("%H:%M").to_numpy()})
    merged = keys.merge(profile[["queue", "weekday", "slot", "aht_s"]], how="left",
                        on=["queue", "weekday", "slot"])
    queue_mean = profile.groupby("queue")["aht_queue_s"].first()
    fallback = merged["queue"].map(queue_mean)
    unknown = merged["aht_s"].isna() & fallback.isna()
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataError(f"no AHT history for queue {merged['queue'].iloc[pos]!r}", row=pos + 1,
                        column="queue", expected=f"one of {sorted(queue_mean.index)}")
    out = forecast.copy()
    out["aht_s"] = merged["aht_s"].fillna(fallback).to_numpy()
    return out
