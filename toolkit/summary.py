"""Data summaries behind the data-overview notebook: period filter, weekly volumes, the
weekday x interval profile and monthly service by site.

Pure functions on the tables ``toolkit.io`` returns, so the notebook only calls and plots.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import names, present
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


# --- Reviewer sentences and tables ----------------------------------------------------------
# Every sentence below is written from the very table the chart or table beside it is drawn
# from, so the words cannot disagree with the figure (tests reverse the data and check that
# the sentence turns with it). Numbers go through toolkit.present in the report's locale.

#: Months of history the site shares are computed on: the 12 months ending with the report
#: period, the basis of the sourcing report's status quo.
SHARE_MONTHS = 12


def _pct(value: float, locale: str, near: float | None = None, decimals: int = 1) -> str:
    """A percentage, with more decimals when it would otherwise read as ``near`` (a target):
    79.96 % misses an 80 % target and must not be written "80.0 %"."""
    shown = present.percent(value, locale, decimals)
    if near is None or value == near:
        return shown
    for extra in range(decimals, decimals + 3):
        shown = present.percent(value, locale, extra)
        if shown != present.percent(near, locale, extra):
            return shown
    return shown


def percent_label(locale: str, near: float | None = None):
    """A value-label function for charts of fractions: the locale's percent, one decimal,
    more when the value would read as the threshold ``near``."""
    return lambda v: _pct(float(v), locale, near)


def percent_ticks(ax, locale: str) -> None:
    """Show the y-axis of fractions as whole percentages in the report's locale."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: present.percent(v, locale, 0)))


def number_ticks(ax, locale: str) -> None:
    """Show the y-axis numbers with the locale's grouping (30,000 / 30 000)."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: present.number(v, locale)))


def wrap(title: str, width: int = 90) -> str:
    """A chart title on lines of at most ``width`` characters, broken after a clause (``;``)
    where it can be, so a long finding does not shrink the chart."""
    import textwrap

    if len(title) <= width:
        return title
    head, sep, tail = title.partition("; ")
    if sep and len(head) < width and len(tail) < width:
        return head + ";\n" + tail
    return textwrap.fill(title, width)


def _and(items: list[str], locale: str) -> str:
    return present.and_list(items, locale)


def _of(part: int, whole: int, noun: str, locale: str) -> str:
    """``19 of 72 site-months (26%)``: ``present.share_phrase`` with its noun."""
    head, sep, tail = present.share_phrase(part, whole, locale=locale).partition(" (")
    return f"{head} {noun}{' (' + tail if sep else ''}"


def weekday_name(label: str, locale: str) -> str:
    """A weekday label of ``WEEKDAYS`` (``Mon``) spelled out (Monday), in English like the
    sentences around it whatever the locale."""
    from babel.dates import get_day_names

    return str(get_day_names("wide", locale=present.names_locale(locale))[WEEKDAYS.index(label)])


def window_sentence(stats: pd.DataFrame, period: str, locale: str = "en_GB") -> str:
    """The report's first line: the month reported and the days of data it uses (first and
    last day, open days), from the interval statistics the report reads."""
    first, last = data_window(stats)
    days = local_clock(stats["ds"]).dt.normalize().nunique()
    return (f"Report for {present.month(period, locale)}: data from "
            f"{present.date(first, locale)} to {present.date(last, locale)} "
            f"({present.count_phrase(days, 'open day', locale=locale)}).")


def site_overview(stats: pd.DataFrame, sites: pd.DataFrame, period: str,
                  months: int = SHARE_MONTHS) -> pd.DataFrame:
    """One row per site: who runs it, where, how, since when — and its calls offered, share
    of calls offered and share of the workload over the ``months`` ending with ``period``.

    The workload share is the sourcing report's (``toolkit.costs.status_quo``: each queue's
    calls weighted by its handling time), so both reports quote the same figure for a site.
    Columns: ``site, site_name, provider, location, engagement_form, queues, opened,
    offered, share_of_calls, share_of_workload``, location and form in words; the months
    counted are given by ``share_window``.
    """
    from toolkit import planning
    from toolkit.costs import portfolio

    window = planning.workload_months(period, months)
    month = local_clock(stats["ds"]).dt.to_period("M")
    recent = stats[month.isin(window).to_numpy()]
    if recent.empty:
        raise ParameterError("period", period, f"a month whose {months} months the interval "
                             "statistics cover")
    offered = recent.groupby("site", sort=True)["offered"].sum()
    pairs = recent[["site", "queue"]].drop_duplicates()
    queues = pairs.groupby("site", sort=True)["queue"].agg(lambda q: ", ".join(sorted(q)))
    workload = portfolio.status_quo(recent, None, sites, period, months=months).sites
    out = (sites[["site", "site_name", "provider", "location", "engagement_form", "opened"]]
           .merge(pd.DataFrame({"site": offered.index, "offered": offered.to_numpy()}),
                  on="site", how="inner"))
    out["queues"] = out["site"].map(queues)
    out["location"] = [f"{location_name(c)}" for c in out["location"]]
    out["engagement_form"] = [form_name(c) for c in out["engagement_form"]]
    out["share_of_calls"] = out["offered"] / out["offered"].sum()
    out["share_of_workload"] = out["site"].map(workload.set_index("site")["share"])
    cols = ["site", "site_name", "provider", "location", "engagement_form", "queues", "opened",
            "offered", "share_of_calls", "share_of_workload"]
    return out[cols].sort_values("share_of_calls", ascending=False, ignore_index=True)


def location_name(code: str) -> str:
    """A location code in words with its cities (``MA`` -> ``Morocco (Casablanca / Rabat)``;
    ``toolkit.names``); an unknown code is shown as it is."""
    return names.location_name(code, cities=True)


def form_name(code: str) -> str:
    """An engagement form code in words (``HOSTED`` -> ``hosted seats``; ``toolkit.names``)."""
    return names.form_name(code)


def share_window(stats: pd.DataFrame, period: str, months: int = SHARE_MONTHS
                 ) -> tuple[pd.Period, pd.Period]:
    """First and last month with data among the ``months`` ending with ``period``: the
    months ``site_overview`` counts."""
    from toolkit import planning

    window = planning.workload_months(period, months)
    month = local_clock(stats["ds"]).dt.to_period("M")
    seen = month[month.isin(window).to_numpy()]
    return seen.min(), seen.max()


def site_overview_sentence(overview: pd.DataFrame, first, last, locale: str = "en_GB") -> str:
    """Which site took the most and the fewest calls over the months of ``overview``, with
    both of its shares (calls offered, workload), the basis named."""
    top = overview.loc[overview["share_of_calls"].idxmax()]
    low = overview.loc[overview["share_of_calls"].idxmin()]
    span = f"{present.month(first, locale)} to {present.month(last, locale)}"
    text = (f"From {span} (the months the sourcing report also counts), {top['site']} took "
            f"the most calls: {present.percent(top['share_of_calls'], locale)} of calls offered "
            f"and {present.percent(top['share_of_workload'], locale)} of the workload")
    if low["site"] != top["site"]:
        text += (f"; {low['site']} the fewest: "
                 f"{present.percent(low['share_of_calls'], locale)} of calls offered and "
                 f"{present.percent(low['share_of_workload'], locale)} of the workload")
    return text + ". The workload weighs each queue's calls by their handling time."


def weekly_headline(weekly: pd.DataFrame, locale: str = "en_GB") -> str:
    """The weekly chart's finding: the largest queue's share of the calls shown, and the
    busiest week against the quietest (``describe_weekly`` on the same table)."""
    w = describe_weekly(weekly)
    text = (f"{w['top_queue'].capitalize()} carries {present.percent(w['top_share'], locale, 0)}"
            f" of the calls shown; the busiest week (from {present.date(w['peak_week'], locale)},"
            f" {present.number(w['peak_calls'], locale)} calls)")
    if len(weekly) > 1 and np.isfinite(w["peak_to_low"]):
        return text + f" is {present.number(w['peak_to_low'], locale, 1)} times the quietest"
    return text + " is the only complete week" if len(weekly) == 1 else text + " stands out"


def profile_headline(profile: pd.DataFrame, locale: str = "en_GB") -> str:
    """The weekday x half-hour heatmap's finding: its busiest cell and how it compares with
    the average open half-hour (``describe_profile`` on the same table)."""
    p = describe_profile(profile)
    return (f"Busiest half-hour: {weekday_name(p['weekday'], locale)} {p['interval']}, "
            f"{present.number(p['calls'], locale)} calls on average, "
            f"{present.number(p['peak_to_mean'], locale, 1)} times the average open half-hour")


def intraday_headline(shape: pd.DataFrame, locale: str = "en_GB") -> str:
    """The intraday chart's finding: the half-hour at which each queue peaks, queues that
    peak together named together."""
    peaks = shape.idxmax()
    by_time = {}
    for queue, slot in peaks.items():
        by_time.setdefault(str(slot), []).append(str(queue))
    if len(by_time) == 1:
        (slot, names), = by_time.items()
        who = "The queue peaks" if len(names) == 1 else "All queues peak"
        return f"{who} at {slot}"
    parts = [f"{_and(names, locale)} at {slot}" for slot, names in sorted(by_time.items())]
    return "Queues peak at different hours: " + ", ".join(parts)


def _worst(monthly: pd.DataFrame, value: str, by: str, locale: str, highest: bool) -> tuple:
    """The group-months with the worst ``value`` — every one that reads the same at one
    decimal (ties are all named) — as (value, ["SITE in Month", ...])."""
    rated = monthly.dropna(subset=[value])
    extreme = rated[value].max() if highest else rated[value].min()
    shown = present.percent(extreme, locale)
    tied = rated[rated[value].map(lambda v: present.percent(v, locale)) == shown]
    tied = tied.sort_values(["month", by])
    # a site opened within the window ramps up in its first month: say so, the reader
    # would not guess it (a first month that is the window's own first month is not news)
    first = rated.groupby(by)["month"].min()
    opened = first[first > rated["month"].min()]
    return float(extreme), [f"{row[by]} in {present.month(row['month'], locale)}"
                            + (", its first month" if opened.get(row[by]) == row["month"] else "")
                            for _, row in tied.iterrows()]


def service_headline(monthly: pd.DataFrame, target: float = 0.8, by: str = "site",
                     locale: str = "en_GB") -> str:
    """The service-level chart's finding: group-months below target, and the worst one(s)
    of that same chart, ties included."""
    s = describe_service(monthly, target=target, by=by)
    value, where = _worst(monthly, "service_level", by, locale, highest=False)
    kind = f"{by}-months"
    if s["below_target"] == 0:
        return (f"All {s['months']} {kind} met the {present.percent(target, locale, 0)} target; "
                f"lowest: {_and(where, locale)} ({_pct(value, locale, target)})")
    return (f"{_of(s['below_target'], s['months'], kind, locale)} "
            f"below the {present.percent(target, locale, 0)} target; worst: "
            f"{_and(where, locale)} ({_pct(value, locale, target)})")


def abandon_headline(monthly: pd.DataFrame, reference: float = 0.05, by: str = "site",
                     locale: str = "en_GB") -> str:
    """The abandonment chart's finding: group-months above the reference, and the highest
    abandonment of that same chart (every tied group-month named)."""
    rated = monthly.dropna(subset=["abandon_rate"])
    above = int((rated["abandon_rate"] > reference).sum())
    value, where = _worst(monthly, "abandon_rate", by, locale, highest=True)
    ref = present.percent(reference, locale, 0)
    count = (f"no {by}-month above the {ref} reference" if above == 0 else
             f"{_of(above, len(rated), by + '-months', locale)} above the {ref} reference")
    return (f"Highest abandonment: {_pct(value, locale, reference)} at {_and(where, locale)}; "
            + count)


def site_service(monthly: pd.DataFrame, target: float = 0.8, by: str = "site") -> pd.DataFrame:
    """Per group over the months of ``monthly`` (the service charts' table): months rated,
    months below target, the worst month and its service level, the latest month's service
    level, and service level, abandonment, ASA and AHT over all those months (sums, not an
    average of monthly ratios)."""
    rated = monthly.dropna(subset=["service_level"])
    rows = []
    for group, g in rated.groupby(by, sort=True):
        g = g.sort_values("month")
        worst = g.loc[g["service_level"].idxmin()]
        offered, answered = g["offered"].sum(), g["answered"].sum()
        rows.append({
            by: group, "months": len(g), "months_below": int((g["service_level"] < target).sum()),
            "worst_month": worst["month"], "worst_service_level": float(worst["service_level"]),
            "latest_month": g["month"].iloc[-1],
            "latest_service_level": float(g["service_level"].iloc[-1]),
            "service_level": g["answered_in_sl"].sum() / offered if offered else np.nan,
            "abandon_rate": g["abandoned"].sum() / offered if offered else np.nan,
            "asa_s": g["wait_time_s"].sum() / answered if answered else np.nan,
            "aht_s": g["handle_time_s"].sum() / answered if answered else np.nan})
    return pd.DataFrame(rows, columns=[by, "months", "months_below", "worst_month",
                                       "worst_service_level", "latest_month",
                                       "latest_service_level", "service_level", "abandon_rate",
                                       "asa_s", "aht_s"])


def sites_below_most_months(table: pd.DataFrame, by: str = "site") -> list[str]:
    """Groups of a ``site_service`` table below target in more than half of their months."""
    return [str(s) for s in table.loc[table["months_below"] * 2 > table["months"], by]]


def site_service_sentence(table: pd.DataFrame, target: float = 0.8, by: str = "site",
                          locale: str = "en_GB") -> str:
    """Which group missed the target most often and which least, compared as a share of each
    group's own months (sites opened at different dates have different numbers of months),
    each quoted with its own count; and any that missed it in most months — from the
    ``site_service`` table shown beside it."""
    goal = present.percent(target, locale, 0)
    rated = table[table["months"] > 0]
    if rated.empty or rated["months_below"].max() == 0:
        return f"Every {by} met the {goal} target in every month shown."
    rate = rated["months_below"] / rated["months"]

    def quoted(mask) -> str:
        rows = rated[mask].sort_values(by)
        return _and([f"{r[by]} ({present.number(int(r['months_below']), locale)} of "
                     f"{present.number(int(r['months']), locale)} months, "
                     f"{present.percent(r['months_below'] / r['months'], locale, 0)})"
                     for _, r in rows.iterrows()], locale)

    text = (f"As a share of each {by}'s own months, {quoted(np.isclose(rate, rate.max()))} "
            f"fell below the {goal} target most often")
    if not np.isclose(rate.min(), rate.max()):
        least = np.isclose(rate, rate.min())
        text += (f"; {quoted(least)} least often" if rate.min() > 0 else
                 f"; {_and(sorted(rated.loc[least, by]), locale)} never")
    flagged = sites_below_most_months(table, by)
    text += (f". Below target in most months: {_and(flagged, locale)}." if flagged else
             f". No {by} was below target in most months.")
    return text + _overall_and_latest(rated, target, by, locale)


def _overall_and_latest(rated: pd.DataFrame, target: float, by: str, locale: str) -> str:
    """Counting months can hide a site that sits just under target all along, and the worst
    month may be long past: the service level over all months and in the latest month."""
    goal = present.percent(target, locale, 0)
    if not {"service_level", "latest_service_level", "latest_month"} <= set(rated.columns):
        return ""
    under = rated[rated["service_level"] < target].sort_values(by)
    text = ""
    if len(under):
        span = (_pct(under["service_level"].min(), locale, target) if len(under) == 1 else
                f"{_pct(under['service_level'].min(), locale, target)} to "
                f"{_pct(under['service_level'].max(), locale, target)}")
        every = len(under) == len(rated) and len(rated) > 1
        who = f"every {by}" if every else _and(list(under[by]), locale)
        text += (f" Over all {'their' if len(under) > 1 else 'its'} months, {who} "
                 f"{'average' if len(under) > 1 and not every else 'averages'} below the "
                 f"{goal} target ({span}).")
    latest = rated[rated["latest_service_level"] < target].sort_values(by)
    if len(latest):
        text += (" In the latest month, below target: " + _and(
            [f"{r[by]} ({_pct(r['latest_service_level'], locale, target)}, "
             f"{present.month(r['latest_month'], locale)})" for _, r in latest.iterrows()],
            locale) + ".")
    return text


def report_headline(stats: pd.DataFrame, monthly: pd.DataFrame, target: float = 0.8,
                    by: str = "site", locale: str = "en_GB") -> tuple[str, str]:
    """The report card's answer and status: calls offered over the window, site-months below
    target and the worst one(s); status ``attention`` when a site was below target in most
    of its months, else ``info`` (a descriptive report)."""
    first, last = data_window(stats)
    s = describe_service(monthly, target=target, by=by)
    value, where = _worst(monthly, "service_level", by, locale, highest=False)
    flagged = sites_below_most_months(site_service(monthly, target, by), by)
    text = (f"{present.number(int(stats['offered'].sum()), locale)} calls offered from "
            f"{present.month(first, locale)} to {present.month(last, locale)}; "
            f"{_of(s['below_target'], s['months'], by + '-months', locale)} "
            f"below the {present.percent(target, locale, 0)} target, the worst "
            f"{_and(where, locale)} ({_pct(value, locale, target)})")
    if flagged:
        text += f"; below target in most months: {_and(flagged, locale)}"
    return text + ".", ("attention" if flagged else "info")


def site_service_table(table: pd.DataFrame, locale: str = "en_GB", by: str = "site"):
    """The ``site_service`` table as reviewers read it (``present.Table``): months below
    target as "5 of 18", and the latest month named in its heading when every site shares it."""
    shown = table.assign(below=[f"{present.number(b, locale)} of {present.number(m, locale)}"
                                for b, m in zip(table["months_below"], table["months"],
                                                strict=True)])
    latest = shown["latest_month"].drop_duplicates()
    labels = {by: by.capitalize(), "below": "Months below target",
              "worst_month": "Worst month", "worst_service_level": "Service level, worst month",
              "latest_month": "Latest month", "latest_service_level": "Service level, latest month",
              "service_level": "Service level, all months", "abandon_rate": "Abandoned, all months",
              "asa_s": "ASA", "aht_s": "AHT"}
    cols = [by, "below", "worst_month", "worst_service_level", "latest_month",
            "latest_service_level", "service_level", "abandon_rate", "asa_s", "aht_s"]
    if len(latest) == 1:
        cols.remove("latest_month")
        labels["latest_service_level"] = f"Service level, {present.month(latest.iloc[0], locale)}"
    units = {"below": "text", "worst_month": "month", "worst_service_level": "percent:1",
             "latest_month": "month", "latest_service_level": "percent:1",
             "service_level": "percent:1", "abandon_rate": "percent:1", "asa_s": "seconds:1",
             "aht_s": "seconds"}
    return present.table(shown[cols], locale=locale,
                         labels={c: labels[c] for c in cols},
                         units={c: units[c] for c in cols if c in units},
                         empty="No month with calls offered in the days shown.")
