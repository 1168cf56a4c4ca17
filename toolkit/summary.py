"""Data summaries behind the data-overview notebook: period filter, weekly volumes, the
weekday x interval profile and monthly service by site.

Pure functions on the tables ``toolkit.io`` returns, so the notebook only calls and plots.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.clock import local_clock
from toolkit.errors import ParameterError

#: Labels for weekday numbers (Monday = 0) in profiles and tables.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day(value, parameter: str) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(str(value)).normalize()
    except ValueError as exc:
        raise ParameterError(parameter, value, "an ISO date such as 2026-01-31, or None") from exc


def filter_period(df: pd.DataFrame, start=None, end=None, *, column: str = "ds"
                  ) -> pd.DataFrame:
    """Rows whose local date lies between ``start`` and ``end`` (ISO dates, inclusive; None =
    open-ended)."""
    first, last = _day(start, "period_start"), _day(end, "period_end")
    if first is not None and last is not None and last < first:
        raise ParameterError("period_end", str(end), f"a date on or after period_start ({start})")
    day = local_clock(df[column]).dt.normalize()
    keep = np.ones(len(df), dtype=bool)
    if first is not None:
        keep &= (day >= first).to_numpy()
    if last is not None:
        keep &= (day <= last).to_numpy()
    out = df[keep]
    if out.empty:
        raise ParameterError("period_start/period_end", f"{start}..{end}",
                             "a period overlapping the data "
                             f"({day.min():%Y-%m-%d}..{day.max():%Y-%m-%d})")
    return out.reset_index(drop=True)


def through_period(df: pd.DataFrame, period: str, *, column: str = "ds") -> pd.DataFrame:
    """Rows up to the end of month ``period`` (``YYYY-MM``, local dates).

    A report for period P uses data up to the end of P; a month without any data is refused
    (ParameterError naming the data's span) rather than shown as another month's report.
    """
    import re

    if not isinstance(period, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise ParameterError("period", period, "a month as 'YYYY-MM', e.g. '2026-10'")
    month = pd.Period(period, "M")
    day = local_clock(df[column]).dt.normalize()
    in_month = (day.dt.to_period("M") == month).to_numpy()
    if not in_month.any():
        raise ParameterError("period", period, "a month with data: the file covers "
                             f"{day.min():%Y-%m-%d} to {day.max():%Y-%m-%d} "
                             f"({day.min():%Y-%m}..{day.max():%Y-%m})")
    return df[(day <= month.end_time.normalize()).to_numpy()].reset_index(drop=True)


def data_window(df: pd.DataFrame, column: str = "ds") -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last local day of the rows: the window a report states it used."""
    day = local_clock(df[column]).dt.normalize()
    return day.min(), day.max()


def select_queues(df: pd.DataFrame, queues) -> pd.DataFrame:
    """Rows of the named queues (None = all), refusing names absent from the data."""
    if queues is None:
        return df
    queues = [queues] if isinstance(queues, str) else list(queues)
    known = sorted(df["queue"].unique())
    unknown = [q for q in queues if q not in known]
    if unknown or not queues:
        raise ParameterError("queues", queues, "a list of queues among " + ", ".join(known))
    return df[df["queue"].isin(queues)].reset_index(drop=True)


def weekly_volumes(volumes: pd.DataFrame) -> pd.DataFrame:
    """Calls per week (weeks start on Monday, local dates) and queue: index week, one column
    per queue. Partial first/last weeks are dropped so a chart does not dip at the edges."""
    local = local_clock(volumes["ds"])
    week = (local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D"))
    table = (volumes.assign(week=week.to_numpy())
             .pivot_table(index="week", columns="queue", values="calls", aggfunc="sum",
                          fill_value=0, observed=True))
    table.columns.name = "queue"
    first_day, last_day = local.min().normalize(), local.max().normalize()
    # Complete = the data covers the week from its Monday to its Saturday.
    complete = (table.index >= first_day) & (table.index + pd.Timedelta(days=5) <= last_day)
    return table[complete] if complete.any() else table


def weekday_interval_profile(volumes: pd.DataFrame) -> pd.DataFrame:
    """Average calls per interval (all selected queues together) by weekday x interval start.

    Rows: weekday labels (Mon..Sat, only days with data); columns: local ``HH:MM``. The
    average is over the dates on which that weekday was open (closed holidays are absent,
    not zero).
    """
    local = local_clock(volumes["ds"])
    per_interval = volumes.groupby(local.to_numpy(), sort=True)["calls"].sum()
    stamps = pd.DatetimeIndex(per_interval.index)
    frame = pd.DataFrame({"weekday": stamps.day_of_week, "slot": stamps.strftime("%H:%M"),
                          "calls": per_interval.to_numpy()})
    table = frame.pivot_table(index="weekday", columns="slot", values="calls", aggfunc="mean")
    table.index = [WEEKDAYS[d] for d in table.index]
    table.index.name, table.columns.name = "weekday", "interval start"
    return table


def monthly_service(stats: pd.DataFrame, by: str = "site") -> pd.DataFrame:
    """Monthly service per ``by`` (site or queue) from interval stats.

    ``service_level`` = answered within threshold / offered (abandons count as failures, the
    FACTS.md default); ``abandon_rate`` = abandoned / offered; ``asa_s`` = wait / answered;
    ``aht_s`` = handle time / answered. Months are local calendar months (``Period``).
    """
    if by not in stats.columns:
        raise ParameterError("by", by, "a column of the interval stats, e.g. site or queue")
    month = local_clock(stats["ds"]).dt.to_period("M")
    # .array keeps the PeriodArray: .to_numpy() would box every row into a Period object.
    sums = (stats.assign(month=month.array)
            .groupby(["month", by], sort=True, observed=True)[
                ["offered", "answered", "abandoned", "answered_in_sl", "wait_time_s",
                 "handle_time_s"]].sum().reset_index())
    offered = sums["offered"].to_numpy(dtype=float)
    answered = sums["answered"].to_numpy(dtype=float)

    def ratio(num, den):
        return np.divide(num, den, out=np.full(len(sums), np.nan), where=den > 0)

    return sums.assign(service_level=ratio(sums["answered_in_sl"].to_numpy(float), offered),
                       abandon_rate=ratio(sums["abandoned"].to_numpy(float), offered),
                       asa_s=ratio(sums["wait_time_s"].to_numpy(float), answered),
                       aht_s=ratio(sums["handle_time_s"].to_numpy(float), answered))


def data_coverage(stats: pd.DataFrame) -> pd.DataFrame:
    """One row per site: first and last interval, open days, calls offered and share of all
    calls, and the queues it served — the 'what is in this file' table."""
    local = local_clock(stats["ds"])
    frame = stats.assign(_day=local.dt.normalize().to_numpy())
    out = frame.groupby("site", sort=True).agg(
        first_interval=("ds", "min"), last_interval=("ds", "max"),
        open_days=("_day", "nunique"), offered=("offered", "sum"))
    # Queue lists from the distinct (site, queue) pairs, not a Python set over every row.
    pairs = stats[["site", "queue"]].drop_duplicates()
    out["queues"] = pairs.groupby("site", sort=True)["queue"].agg(
        lambda q: ", ".join(sorted(q)))
    out["share_of_calls"] = out["offered"] / out["offered"].sum()
    return out


def describe_weekly(weekly: pd.DataFrame) -> dict:
    """Headline figures of a weekly volume table: largest queue and its share, busiest and
    quietest week (all queues together) and their ratio."""
    total = weekly.sum(axis=1)
    shares = weekly.sum() / weekly.to_numpy().sum()
    return {"top_queue": str(shares.idxmax()), "top_share": float(shares.max()),
            "peak_week": total.idxmax(), "peak_calls": int(total.max()),
            "low_week": total.idxmin(), "low_calls": int(total.min()),
            "peak_to_low": float(total.max() / total.min()) if total.min() > 0 else np.nan}


def describe_profile(profile: pd.DataFrame) -> dict:
    """Busiest weekday and interval of a weekday x interval profile, and how much busier the
    busiest interval is than the average open interval."""
    stacked = profile.stack().dropna()
    (day, slot), peak = stacked.idxmax(), float(stacked.max())
    return {"weekday": str(day), "interval": str(slot), "calls": peak,
            "peak_to_mean": peak / float(stacked.mean())}


def describe_service(monthly: pd.DataFrame, target: float = 0.8, by: str = "site") -> dict:
    """Months below the service-level target (per ``by`` group), the worst month, and the
    abandonment in that month."""
    rated = monthly.dropna(subset=["service_level"])
    below = rated[rated["service_level"] < target]
    worst = rated.loc[rated["service_level"].idxmin()]
    return {"months": int(len(rated)), "below_target": int(len(below)),
            "median_service_level": float(rated["service_level"].median()),
            "worst_group": str(worst[by]), "worst_month": str(worst["month"]),
            "worst_service_level": float(worst["service_level"]),
            "worst_abandon_rate": float(worst["abandon_rate"])}


def intraday_profile(volumes: pd.DataFrame) -> pd.DataFrame:
    """Intraday shape per queue: average calls per interval start (local ``HH:MM``) divided by
    the queue's average open interval, so queues of different size compare (1 = average)."""
    local = local_clock(volumes["ds"])
    slot = local.dt.strftime("%H:%M")
    table = (volumes.assign(slot=slot.to_numpy())
             .pivot_table(index="slot", columns="queue", values="calls", aggfunc="mean",
                          observed=True))
    table.index.name, table.columns.name = "interval start", "queue"
    return table / table.mean()
