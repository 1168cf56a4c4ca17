"""Tables for the notebook: actual totals, the seasonal patterns (decomposition) and the
models table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit import present
from toolkit.clock import local_clock
from toolkit.errors import DataError, ParameterError
from toolkit.forecast.aggregation import _period_alias
from toolkit.forecast.panel import _as_tidy


def totals(history: pd.DataFrame, freq: str = "D") -> pd.DataFrame:
    """Actual calls summed per queue and period (``'D'``, ``'W'``, ``'ME'``), local calendar."""
    tidy = _as_tidy(history)
    wall = local_clock(tidy["ds"]).dt.floor("D")
    if str(freq) != "D":
        wall = wall.dt.to_period(_period_alias(freq)).dt.start_time
    out = (tidy.assign(ds=wall).groupby(["queue", "ds"], sort=True)["calls"].sum()
           .reset_index())
    return out[["ds", "queue", "calls"]]


def decompose(history: pd.DataFrame, queue: str | None = None) -> dict[str, pd.DataFrame]:
    """The three seasonal patterns the models use, as tables for charts.

    ``intraday``: weekday x time-of-day share of the day's calls (%); ``weekly``: mean calls
    per open day by weekday; ``annual``: mean calls per open day by calendar month (with the
    number of open days behind each mean); ``components``: daily totals split into trend,
    weekly, annual (from two years of history) and remainder by statsmodels STL / MSTL
    (:func:`daily_components`). ``queue`` selects one queue (default: all summed).
    """
    tidy = _as_tidy(history)
    if queue is not None:
        if queue not in set(tidy["queue"]):
            raise ParameterError("queue", queue, f"one of {sorted(set(tidy['queue']))}")
        tidy = tidy[tidy["queue"] == queue]
    series = tidy.groupby("ds", sort=True)["calls"].sum(min_count=1).reset_index()
    wall = local_clock(series["ds"])
    day = wall.dt.floor("D")
    frame = series.assign(day=day, weekday=day.dt.day_name(), weekday_n=day.dt.day_of_week,
                          time=(wall - day).map(lambda t: f"{t.components.hours:02d}:"
                                                          f"{t.components.minutes:02d}"))
    frame["share"] = 100 * frame["calls"] / frame.groupby("day")["calls"].transform("sum")
    order = frame.drop_duplicates("weekday_n").sort_values("weekday_n")["weekday"].tolist()
    intraday = frame.pivot_table(index="weekday", columns="time", values="share",
                                 aggfunc="mean").reindex(order)
    daily = frame.groupby(["day", "weekday", "weekday_n"])["calls"].sum().reset_index()
    weekly = (daily.groupby(["weekday_n", "weekday"])["calls"].mean().reset_index()
              .drop(columns="weekday_n").rename(columns={"calls": "mean_calls_per_day"}))
    annual = (daily.assign(month=daily["day"].dt.month)
              .groupby("month")["calls"].agg(["mean", "size"]).reset_index()
              .rename(columns={"mean": "mean_calls_per_day", "size": "open_days"}))
    components = daily_components(daily[["day", "calls"]].rename(columns={"day": "ds"}))
    return {"intraday": intraday, "weekly": weekly, "annual": annual,
            "components": components}


def daily_components(daily: pd.DataFrame) -> pd.DataFrame:
    """Daily totals split into trend + weekly + annual + remainder (statsmodels STL / MSTL).

    ``daily`` has ``ds`` (dates) and ``calls``. STL needs a regular grid: the series is laid on
    the usual open weekdays (a weekday open on at least half of the weeks), so the weekly period
    is the number of open weekdays and a public holiday does not shift the phase. Holidays
    and other closed usual-open days are filled, for the decomposition only, with the mean of
    the same weekday one week before and after (``imputed`` True, ``calls`` NaN there). The
    annual component (period = open days in 365.25 days) needs two full years (MSTL);
    otherwise STL with the weekly period only, and the annual swing stays in the trend.
    Robust fitting keeps outlier days in the remainder. Additive, in calls per day.
    """
    from statsmodels.tsa.seasonal import MSTL, STL

    days = pd.DatetimeIndex(pd.to_datetime(daily["ds"])).normalize()
    calls = pd.Series(daily["calls"].to_numpy(float), index=days).groupby(level=0).sum()
    weeks = max(1, ((calls.index[-1] - calls.index[0]).days + 1) / 7)
    open_weekdays = np.flatnonzero(np.bincount(calls.index.day_of_week, minlength=7)
                                   >= weeks / 2)
    grid = pd.date_range(calls.index[0], calls.index[-1], freq="D")
    grid = grid[np.isin(grid.day_of_week, open_weekdays)]
    period = len(open_weekdays)
    if period < 2 or len(grid) < 2 * period + 1:
        raise DataError(f"{len(grid)} open days span too little history for a weekly "
                        "decomposition", column="ds",
                        expected=f"at least {2 * max(period, 2) + 1} open days (two weeks "
                                 "and a day)")
    on_grid = calls.reindex(grid)
    imputed = on_grid.isna().to_numpy()
    values = on_grid.to_numpy(copy=True)
    for _ in range(4):   # a closure next to another one borrows from two weeks away
        before = np.concatenate([np.full(period, np.nan), values[:-period]])
        after = np.concatenate([values[period:], np.full(period, np.nan)])
        both = np.vstack([before, after])
        fill = np.where(np.isnan(both).all(axis=0), np.nan,
                        np.nansum(both, axis=0) / np.maximum(1, (~np.isnan(both)).sum(axis=0)))
        values = np.where(np.isnan(values), fill, values)
    values = pd.Series(values).interpolate(limit_direction="both").to_numpy()
    annual_period = round(period * 365.25 / 7)
    out = pd.DataFrame({"ds": grid, "calls": on_grid.to_numpy(), "imputed": imputed})
    if len(values) >= 2 * annual_period + 1:
        fit = MSTL(values, periods=(period, annual_period),
                   stl_kwargs={"robust": True}).fit()
        seasonal = np.asarray(fit.seasonal)
        out["weekly"], out["annual"] = seasonal[:, 0], seasonal[:, 1]
    else:
        fit = STL(values, period=period, robust=True).fit()
        out["weekly"], out["annual"] = np.asarray(fit.seasonal), np.nan
    out["trend"] = np.asarray(fit.trend)
    out["remainder"] = np.asarray(fit.resid)
    return out[["ds", "calls", "imputed", "trend", "weekly", "annual", "remainder"]]


def models_table(result) -> pd.DataFrame:
    """One row per queue: chosen method (with weights) and inner-backtest MASE per method.

    ``result`` is a :class:`ForecastResult` (``forecast_result``, ``forecast_reconciled``'s
    ``base``, ``read_forecast``): a bare table carries no models.
    """
    from toolkit.forecast.result import ForecastResult

    if not isinstance(result, ForecastResult):
        raise ParameterError("result", type(result).__name__,
                             "a ForecastResult (forecast.forecast_result, forecast_reconciled's "
                             "base or forecast.read_forecast): a table carries no models")
    return result.models_table()


# ------------------------------------------------------------------------------ reviewer words
#
# Every sentence the report shows about a number or a comparison is written here, from the
# same table as the chart or table beside it (DESIGN: a test reverses the data and the
# sentence changes). Numbers go through toolkit.present in the report's locale.

#: What reviewers read instead of the method codes (parameters, tables of the analysts).
METHOD_NAMES = {
    "snaive": "seasonal naive",
    "same_slot_avg": "4-week same-slot average",
    "dhr": "harmonic regression",
    "dhr_mle": "harmonic regression (exact fit)",
    "topdown": "top-down",
    "auto": "automatic choice",
}
#: The horizon buckets ``auto`` chooses by (``params._SELECT_LABELS``), as open days.
_BUCKET_DAYS = {"1 d": (1, 1), "2-7 d": (2, 7), "8-28 d": (8, 28), "> 28 d": (29, None)}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def method_name(method: str) -> str:
    """A forecasting method as reviewers read it (``same_slot_avg`` -> 4-week same-slot
    average); an unknown code is returned as it is."""
    return METHOD_NAMES.get(str(method), str(method))


def _num(x, locale, decimals=0):
    return present.number(x, locale, decimals)


def _level(lv, locale) -> str:
    """An interval level in percent (80 -> 80%), in the locale's percent format."""
    return present.percent(lv / 100, locale, 0)


def _pct(x, locale, decimals=1):
    return present.percent(x, locale, decimals)


def _weekday(name: str, locale: str) -> str:
    """A weekday name (pandas ``day_name``) for a sentence: English, as the reports' words
    are whatever the figures' locale (``present.names_locale``)."""
    from babel.dates import get_day_names
    if name not in _WEEKDAYS:
        return str(name)
    word = get_day_names("wide", locale=present.names_locale(locale))[_WEEKDAYS.index(name)]
    return word[:1].upper() + word[1:]


def _month_name(month: int, locale: str) -> str:
    from babel.dates import get_month_names
    word = get_month_names("wide", locale=present.names_locale(locale))[int(month)]
    return word[:1].upper() + word[1:]


def _queue(name) -> str:
    text = str(name)
    return text[:1].upper() + text[1:]


def _more_or_fewer(change: float, locale: str, what: str = "") -> str:
    """``3.2% more … than`` / ``3.2% fewer … than`` / ``as many … as`` (change as a
    fraction, rounded as shown)."""
    what = f" {what}" if what else ""
    if round(abs(change), 3) == 0:
        return f"as many{what} as"
    word = "more" if change > 0 else "fewer"
    return f"{_pct(abs(change), locale)} {word}{what} than"


def history_headline(daily: pd.DataFrame, locale: str = "en_GB") -> str:
    """The queue carrying the most calls and its share, from the daily totals the history
    chart draws (``ds, queue, calls``)."""
    by_queue = daily.groupby("queue")["calls"].sum().sort_values(ascending=False)
    if by_queue.empty or by_queue.sum() <= 0:
        return "No calls in the history."
    top = by_queue.index[0]
    start = pd.Timestamp(daily["ds"].min())
    if len(by_queue) == 1:
        return (f"{_queue(top)}: {_num(by_queue.iloc[0], locale)} calls since "
                f"{_month_name(start.month, locale)} {start.year}")
    return (f"{_queue(top)} carries the most calls: {_pct(by_queue.iloc[0] / by_queue.sum(), locale, 0)} "
            f"of all calls since {_month_name(start.month, locale)} {start.year}")


def intraday_headline(intraday: pd.DataFrame, locale: str = "en_GB") -> str:
    """Peak half-hour on average and the weekday with the sharpest peak, from the
    weekday x time share table of the heatmap."""
    peak_time = intraday.mean().idxmax()
    sharpest = intraday.max(axis=1).idxmax()
    return (f"Calls peak at {peak_time} on average "
            f"({_pct(intraday.mean().max() / 100, locale)} of the day's calls in that half hour); "
            f"{_weekday(sharpest, locale)} has the sharpest peak")


def weekly_headline(weekly: pd.DataFrame, locale: str = "en_GB") -> str:
    """Busiest and quietest weekday from the weekly bar chart's table."""
    w = weekly.set_index("weekday")["mean_calls_per_day"]
    hi, lo = w.idxmax(), w.idxmin()
    return (f"{_weekday(hi, locale)} is the busiest day ({_num(w.max(), locale)} calls), "
            f"{_weekday(lo, locale)} the quietest ({_num(w.min(), locale)})")


def annual_headline(annual: pd.DataFrame, locale: str = "en_GB") -> str:
    """Peak and trough calendar month from the annual chart's table."""
    a = annual.set_index("month")["mean_calls_per_day"]
    hi, lo = int(a.idxmax()), int(a.idxmin())
    return (f"{_month_name(hi, locale)} is the peak ({_num(a.max(), locale)} calls a day), "
            f"{_month_name(lo, locale)} the trough ({_num(a.min(), locale)})")


def trend_headline(components: pd.DataFrame, locale: str = "en_GB") -> str:
    """The trend's range (and whether the annual swing is in it), from the components
    table the trend panel draws."""
    low, high = components["trend"].min(), components["trend"].max()
    note = ("" if not components["annual"].isna().all()
            else " (includes the yearly swing: under two years of history)")
    return f"Trend between {_num(low, locale)} and {_num(high, locale)} calls per day{note}"


_PART_WORDS = {"weekly": "Weekly cycle", "annual": "Yearly cycle", "remainder": "What is left"}


def component_headline(components: pd.DataFrame, part: str, locale: str = "en_GB") -> str:
    """A component panel's title: the range holding 90 % of days (5th to 95th percentile)."""
    values = components[part]
    swing = values.quantile(0.95) - values.quantile(0.05)
    return (f"{_PART_WORDS.get(part, part.capitalize())}: {_level(90, locale)} of days within a "
            f"{_num(swing, locale)}-call range")


def accuracy_table(summary: pd.DataFrame, methods=None, levels=(80, 95)) -> pd.DataFrame:
    """One row per method for the reviewer: its error against repeating last week (MASE)
    next day and over the whole horizon, the share of calls missed (WAPE) and how often the
    actual fell inside the 80 % / 95 % ranges, over the whole horizon. From the same
    ``backtest_summary`` table as the chart."""
    first, last = summary["horizon_days"].min(), summary["horizon_days"].max()
    by = summary.set_index(["method", "horizon_days"])
    order = list(methods) if methods is not None else list(dict.fromkeys(summary["method"]))
    rows = []
    for m in order:
        row = {"method": method_name(m)[:1].upper() + method_name(m)[1:], "mase_first": by.loc[(m, first), "mase"],
               "mase_last": by.loc[(m, last), "mase"], "wape_last": by.loc[(m, last), "wape"]}
        for lv in levels:
            row[f"cov{lv}"] = by.loc[(m, last), f"cov{lv}"]
        rows.append(row)
    return pd.DataFrame(rows)


def accuracy_labels(summary: pd.DataFrame, levels=(80, 95), locale: str = "en_GB"
                    ) -> tuple[dict, dict]:
    """(units, labels) for ``present.table`` of :func:`accuracy_table`."""
    first, last = int(summary["horizon_days"].min()), int(summary["horizon_days"].max())
    day = "open day" if first == 1 else "open days"
    units = {"mase_first": "number:2", "mase_last": "number:2", "wape_last": "percent:0",
             **{f"cov{lv}": "percent:0" for lv in levels}}
    labels = {"method": "Method",
              "mase_first": f"Error vs last week, {first} {day} ahead",
              "mase_last": f"Error vs last week, {last} open days ahead",
              "wape_last": f"Calls missed, {last} open days ahead",
              **{f"cov{lv}": f"Inside the {_level(lv, locale)} range (should be "
                             f"{_level(lv, locale)})" for lv in levels}}
    return units, labels


def backtest_headline(summary: pd.DataFrame, locale: str = "en_GB") -> str:
    """Which method has the lowest error over the full horizon, and whether it beats
    repeating last week (error 1), from the MASE table the bar chart draws."""
    last = summary["horizon_days"].max()
    full = summary[summary["horizon_days"] == last].set_index("method")["mase"]
    best = full.idxmin()
    text = (f"{method_name(best)[:1].upper() + method_name(best)[1:]} has the lowest error "
            f"{int(last)} open days ahead ({_num(full.min(), locale, 2)})")
    if full.min() < 1:
        return text + f": {_pct(1 - full.min(), locale, 0)} less than repeating last week"
    return text + ", but no method beats repeating last week"


def _days_words(first: int, last: int | None) -> str:
    if last is None:
        return f"from day {first}"
    return "next day" if first == last == 1 else f"days {first}–{last}"


def chosen_in_words(label: str) -> str:
    """The automatic choice as words: ``auto: 1 d: topdown 1.00; 2-7 d: topdown 0.50 + dhr
    0.50; 8-28 d: topdown 0.50 + dhr 0.50`` -> ``next day: top-down; days 2–28: top-down and
    harmonic regression, half each``."""
    text = str(label)
    if text.startswith("auto: "):
        text = text[len("auto: "):]
    parts: list[list] = []   # [first day, last day, words]
    for part in text.split("; "):
        bucket, _, mix = part.rpartition(": ")
        try:
            weights = [(m, float(w)) for m, w in (t.rsplit(" ", 1) for t in mix.split(" + "))]
        except ValueError:
            weights = [(mix, 1.0)]
        if len(weights) == 1:
            words = method_name(weights[0][0])
        elif len({round(w, 2) for _, w in weights}) == 1:
            words = (" and ".join(method_name(m) for m, _ in weights)
                     + (", half each" if len(weights) == 2 else ", in equal parts"))
        else:
            words = " + ".join(f"{round(100 * w)} % {method_name(m)}" for m, w in weights)
        days = _BUCKET_DAYS.get(bucket)
        if parts and days and parts[-1][2] == words and parts[-1][1] is not None:
            parts[-1][1] = days[1]   # days 2–7 and 8–28 alike read as days 2–28
        else:
            parts.append([*(days or (None, None)), words])
    return "; ".join(f"{_days_words(a, b)}: {w}" if a is not None else w for a, b, w in parts)


def models_in_words(fc: pd.DataFrame) -> tuple[pd.DataFrame, dict, dict]:
    """:func:`models_table` for reviewers: (table, units, labels) with the chosen method in
    words and one inner-backtest error column per method, named in words."""
    raw = models_table(fc)
    if raw.empty:
        return raw, {}, {}
    errors = [c for c in raw.columns if c.startswith("inner MASE ")]
    out = pd.DataFrame({"queue": raw["queue"].map(_queue),
                        "chosen": raw["chosen"].map(chosen_in_words)})
    for c in errors:
        out[c] = raw[c]
    units = {c: "number:2" for c in errors}
    labels = {"queue": "Queue", "chosen": "Method used",
              **{c: f"Error: {method_name(c[len('inner MASE '):])}" for c in errors}}
    if raw["notes"].astype(str).str.strip().any():
        out["notes"] = raw["notes"]
        labels["notes"] = "Notes"
    return out, units, labels


def _local_months(ds: pd.Series) -> pd.Series:
    """The calendar month of each timestamp, on the local clock (aware or naive)."""
    ds = pd.to_datetime(ds)
    return (ds.dt.tz_localize(None) if ds.dt.tz is not None else ds).dt.to_period("M")


def in_month(frame: pd.DataFrame, month) -> pd.DataFrame:
    """The rows of ``frame`` (column ``ds``) in calendar ``month`` (a Period or YYYY-MM):
    the daily chart shows the month planned, on the same basis as the next-month table."""
    return frame[_local_months(frame["ds"]) == pd.Period(month, "M")]


def daily_title(daily_fc: pd.DataFrame, queue: str, locale: str = "en_GB") -> str:
    """A queue panel's title: mean forecast calls per open day, from the plotted table (named
    with its month when the table holds one month)."""
    f = daily_fc[daily_fc["queue"] == queue]
    months = _local_months(f["ds"]).unique()
    where = f" in {present.month(months[0], locale)}" if len(months) == 1 else ""
    return f"{_queue(queue)}: {_num(f['yhat'].mean(), locale)} calls per open day expected{where}"


def forecast_months(month_table: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """The monthly forecast table without partial months: the first month (the month planned,
    whatever its coverage — the next-month table says how many of its open days the forecast
    covers) and every later month the forecast covers in full. A month with one forecast day
    is not a month of calls. ``coverage``: ``month_coverage`` (``month``, ``open_days``,
    ``open_days_forecast``)."""
    months = _local_months(month_table["ds"])
    cov = coverage.assign(month=coverage["month"].astype(str)).set_index("month")
    full = {m for m in months.unique() if str(m) in cov.index
            and cov.loc[str(m), "open_days_forecast"] >= cov.loc[str(m), "open_days"]}
    keep = (months == months.min()) | months.isin(full)
    return month_table[keep.to_numpy()]


def next_month(month_table: pd.DataFrame, coverage: pd.DataFrame,
               daily_actual: pd.DataFrame) -> pd.DataFrame:
    """The first forecast month per queue against the same month a year earlier.

    ``month_table``: :func:`aggregate` of the forecast by month (``ds, queue, yhat,
    yhat_lower_80, yhat_upper_80``); ``coverage``: :func:`month_coverage` (open days the
    forecast covers and open days of the month); ``daily_actual``: :func:`totals` by day.
    Returns ``month`` (Period), ``queue``, ``calls``, ``lower_80``, ``upper_80``,
    ``open_days`` (forecast), ``month_open_days``, ``per_day``, ``year_before`` (actual calls
    of the same month a year earlier, NaN when the history does not reach it),
    ``year_before_open_days``, ``year_before_per_day`` and ``change`` (per open day, as a
    fraction): calls per open day, because the forecast may cover part of the month.
    """
    months = month_table["ds"].dt.tz_localize(None).dt.to_period("M")
    first = months.min()
    rows = month_table[months == first]
    cov = coverage.assign(month=coverage["month"].astype(str)).set_index("month")
    covered = int(cov.loc[str(first), "open_days_forecast"])
    in_month = int(cov.loc[str(first), "open_days"])
    act = daily_actual.assign(m=pd.to_datetime(daily_actual["ds"]).dt.tz_localize(None)
                              .dt.to_period("M"))
    act = act[(act["m"] == first - 12) & (act["calls"] > 0)]
    per_queue = act.groupby("queue")["calls"].agg(["sum", "size"])
    total_days = act["ds"].nunique()
    out = []
    for _, r in rows.iterrows():
        q = r["queue"]
        if q == "total":
            before = per_queue["sum"].sum() if len(per_queue) else np.nan
            before_days = total_days if len(per_queue) else np.nan
        elif q in per_queue.index:
            before, before_days = per_queue.loc[q, "sum"], per_queue.loc[q, "size"]
        else:
            before, before_days = np.nan, np.nan
        per_day = r["yhat"] / covered if covered else np.nan
        before_per_day = before / before_days if before_days and before_days == before_days else np.nan
        out.append({"month": first, "queue": q, "calls": r["yhat"],
                    "lower_80": r.get("yhat_lower_80", np.nan),
                    "upper_80": r.get("yhat_upper_80", np.nan),
                    "open_days": covered, "month_open_days": in_month, "per_day": per_day,
                    "year_before": before, "year_before_open_days": before_days,
                    "year_before_per_day": before_per_day,
                    "change": per_day / before_per_day - 1 if before_per_day else np.nan})
    return pd.DataFrame(out)


#: Columns of the next-month summary written beside the forecast (:func:`write_next_month`).
NEXT_MONTH_COLUMNS = ["month", "queue", "calls", "lower_80", "upper_80", "open_days",
                      "month_open_days", "per_day", "year_before", "year_before_open_days",
                      "year_before_per_day", "change"]


def write_next_month(table: pd.DataFrame, path) -> Path:
    """Write the :func:`next_month` table (the figures the report's card quotes) as a small
    processed table beside the forecast, for the executive summary. One row per queue and
    one ``total`` row; columns:

    ``month``
        the month planned, text ``YYYY-MM`` (the first month of the forecast);
    ``queue``
        queue name, or ``total`` for all queues together;
    ``calls``, ``lower_80``, ``upper_80``
        forecast calls over the open days the forecast covers in that month, and the
        80 % range around them;
    ``open_days``, ``month_open_days``
        open days the forecast covers, and open days in the whole month (equal when the
        forecast covers the month);
    ``per_day``
        forecast calls per open day (``calls / open_days``);
    ``year_before``, ``year_before_open_days``, ``year_before_per_day``
        actual calls, open days and calls per open day in the same month a year earlier
        (empty when the history does not reach it);
    ``change``
        change per open day against a year earlier, as a fraction (0.011 = 1.1 % more).

    Written atomically (``toolkit.io.write_processed``); returns the path."""
    from toolkit import io
    out = table[NEXT_MONTH_COLUMNS].copy()
    out["month"] = out["month"].astype(str)
    for c in NEXT_MONTH_COLUMNS[2:]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return io.write_processed(out, path)


def _total_row(table: pd.DataFrame) -> pd.Series:
    """The ``total`` row of a :func:`next_month` table (a one-queue table: its only row)."""
    rows = table[table["queue"] == "total"]
    if len(rows):
        return rows.iloc[0]
    if len(table) == 1:
        return table.iloc[0]
    raise DataError("the next-month table has several queues and no 'total' row",
                    column="queue", expected="a row for queue 'total' (forecast.add_total)")


def next_month_headline(table: pd.DataFrame, locale: str = "en_GB") -> str:
    """The report's one-sentence answer: calls to plan for next month (total), its 80 %
    range, the open days covered and the change per open day against a year earlier, from
    the :func:`next_month` table the chart beside it draws."""
    r = _total_row(table)
    month = present.month(r["month"], locale)
    text = (f"Plan for about {_num(round(r['calls'], -2), locale)} calls in {month} "
            f"({_level(80, locale)} range {_num(round(r['lower_80'], -2), locale)}–"
            f"{_num(round(r['upper_80'], -2), locale)})")
    if r["open_days"] < r["month_open_days"]:
        text += f" over the {int(r['open_days'])} of its {int(r['month_open_days'])} open days forecast"
    if present.is_missing(r["change"]):
        return text + "; the history does not reach the same month a year earlier."
    before = present.month(r["month"] - 12, locale)
    return (text + f": {_more_or_fewer(r['change'], locale, 'calls per open day')} in "
            f"{before}.")


def next_month_labels(table: pd.DataFrame, locale: str = "en_GB") -> tuple[dict, dict]:
    """(units, labels) for ``present.table`` of :func:`next_month` (month names in labels)."""
    r = table.iloc[0]
    month, before = present.month(r["month"], locale), present.month(r["month"] - 12, locale)
    units = {"queue": "text", "calls": "count", "lower_80": "count", "upper_80": "count", "per_day": "count",
             "year_before": "count", "year_before_per_day": "count", "change": "percent:1"}
    labels = {"queue": "Queue", "calls": f"Calls forecast, {month}",
              "lower_80": f"{_level(80, locale)} range from",
              "upper_80": f"{_level(80, locale)} range to",
              "per_day": "Per open day", "year_before": f"Calls, {before}",
              "year_before_per_day": f"Per open day, {before}",
              "change": "Change per open day"}
    return units, labels


def outlook_vs_forecast(table: pd.DataFrame, outlook: pd.DataFrame,
                        locale: str = "en_GB") -> str | None:
    """Why the long-horizon outlook's figure for the first forecast month differs from this
    forecast's: both totals, the open days each counts and the gap per open day. From the
    :func:`next_month` table and the outlook table (``month, queue, scenario, yhat,
    open_days``); None when the outlook has no base row for that month."""
    r = _total_row(table)
    base = outlook[(outlook["queue"] == "total") & (outlook["scenario"] == "base")
                   & (outlook["month"].astype(str) == str(r["month"]))]
    if base.empty:
        return None
    b = base.iloc[0]
    days = int(b["open_days"]) if "open_days" in b and not present.is_missing(b["open_days"]) \
        else int(r["month_open_days"])
    gap = b["yhat"] / r["calls"] - 1
    per_day_gap = (b["yhat"] / days) / r["per_day"] - 1
    month = present.month(r["month"], locale)
    text = (f"The long-horizon outlook below puts {month} at {_num(b['yhat'], locale)} calls, "
            f"{_more_or_fewer(gap, locale)} this forecast's {_num(r['calls'], locale)}")
    reasons = []
    if days != int(r["open_days"]):
        reasons.append(f"it counts all {days} open days of the month where this forecast "
                       f"covers {int(r['open_days'])}")
    reasons.append("it is a monthly trend model for the business case, while this forecast "
                   "follows the recent weeks half-hour by half-hour")
    per_day = (f"per open day the outlook expects {_num(b['yhat'] / days, locale)} calls, "
               f"{_more_or_fewer(per_day_gap, locale)} this forecast's "
               f"{_num(r['per_day'], locale)}")
    return (text + ": " + "; and ".join(reasons) + ". " + per_day[:1].upper() + per_day[1:]
            + ". Plan staff on this forecast.")


def outlook_headline(s: dict, locale: str = "en_GB", *, lead: str = "Base:") -> str:
    """The outlook chart's title from :func:`outlook_summary` (base, last 12 months, change
    on the last 12 months of history and the 80 % range); ``lead`` starts the sentence (the
    executive summary's "The volume outlook expects")."""
    span = f"{present.month(s['final_from'], locale)} to {present.month(s['final_to'], locale)}"
    growth = s["growth"]
    change = ("no change" if present.is_missing(growth) or round(growth, 3) == 0 else
              f"{_pct(abs(growth), locale, 0)} {'more' if growth > 0 else 'fewer'}")
    return (f"{lead} {_num(round(s['final_12'], -3), locale)} "
            f"calls from {span}, {change} than the last 12 months "
            f"({_level(80, locale)} range {_num(round(s['final_12_lower_80'], -3), locale)}–"
            f"{_num(round(s['final_12_upper_80'], -3), locale)})")


def growth_range_words(info, locale: str = "en_GB") -> str:
    """The outlook's assumed growth uncertainty as the ± change a year it allows 8 years in 10
    ("10%"), back from the s.d. of log growth in its ``info``; "" when none was added."""
    from toolkit.outlook import Z80

    sd = float((info or {}).get("growth_sd_per_year") or 0.0)
    return present.percent(float(np.expm1(Z80 * sd)), locale, 0) if sd > 0 else ""


def outlook_band_sentence(info, locale: str = "en_GB") -> str:
    """What the outlook's 80 % range is made of, from its ``info`` (the sidecar): the
    statistical spread of the history plus the assumed growth uncertainty, as the ± change
    a year it allows 8 years in 10 (``growth_sd_per_year`` x 1.2816, back from the log scale)."""
    level = _level(80, locale)
    if not growth_range_words(info, locale):
        return (f"The {level} range is the statistical spread of the history only: no "
                "uncertainty of the growth rate is added, so it widens little with the years.")
    plus = growth_range_words(info, locale)
    return (f"The {level} range is the statistical spread of the history plus growth "
            f"uncertainty of ±{plus} a year (an assumption, the range the sourcing report's "
            "tornado moves volume growth by), so it widens with the years.")


def next_month_status(table: pd.DataFrame, threshold: float = 0.10) -> str:
    """``attention`` when next month's calls per open day move by ``threshold`` or more
    against the same month a year earlier (last year's staffing would not fit), else
    ``ok``; ``info`` when the history does not reach a year earlier."""
    change = _total_row(table)["change"]
    if present.is_missing(change):
        return "info"
    return "attention" if abs(change) >= threshold else "ok"


_STEP_WORDS = {"15min": "quarter hour", "30min": "half hour", "h": "hour", "1h": "hour",
               "60min": "hour", "D": "day"}


def step_words(granularity: str) -> str:
    """An interval length as words (``30min`` -> half hour)."""
    return _STEP_WORDS.get(str(granularity), str(granularity))


def window_sentence(window: dict, clock, country, history: pd.DataFrame, horizon_days: int,
                    outlook_months: int, locale: str = "en_GB") -> str:
    """The data window in words: report month, history span, forecast start and length,
    clock and holiday calendar (where each came from)."""
    first, last = history["ds"].min(), history["ds"].max()
    partial = (f" (partial month: data to {present.date(window['data_to'], locale)})"
               if window.get("partial") else "")
    source = (str(getattr(clock, "source", "")).replace("holiday_calendar", "holiday calendar")
              .replace("parameter holiday_country", "the holiday country set for this run")
              .replace("parameter timezone", "the time zone set for this run"))
    holidays = f"{country} public holidays" if country else "no public holidays"
    return (f"**Data:** report month **{present.month(window['period'], locale)}**{partial}. "
            f"History from {present.date(first, locale)} to {present.date(last, locale)}: "
            f"{present.count_phrase(len(history), 'open interval', locale=locale)} across "
            f"{present.count_phrase(history['queue'].nunique(), 'queue', locale=locale)}. "
            f"Forecast from the day after {present.date(window['origin'], locale)} for "
            f"{int(horizon_days)} days; long-horizon outlook {int(outlook_months)} months. "
            f"Clock {clock.timezone}, {holidays} ({source}).")


def history_source(path) -> str:
    """A chart's source note for the call history, in words (no file names): the interval
    statistics of the telephony platform, or a call-history file of another centre."""
    if Path(str(path)).stem == "interval_stats":
        return "interval statistics of the telephony platform"
    return "call history (calls per interval)"


def saved_sentence(fc: pd.DataFrame, granularity: str, locale: str = "en_GB") -> str:
    """What was saved for the staffing report, in words (no file names)."""
    wall = local_clock(fc["ds"])
    return (f"Saved for the staffing report: "
            f"{present.count_phrase(len(fc), step_words(granularity).replace(' ', '-') + ' value', locale=locale)} "
            f"from {present.date(wall.min(), locale)} to {present.date(wall.max(), locale)}, "
            f"for {present.count_phrase(fc['queue'].nunique(), 'queue', locale=locale)}, each "
            f"with its ranges.")


def yearly_outlook(outlook: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Calls per calendar year and scenario (total of the queues) for the table under the
    outlook chart, and a sentence naming the part years."""
    total = outlook[(outlook["queue"] == "total") & (outlook["scenario"] != "history")]
    year = total["month"].dt.year
    table = total.pivot_table(index=year.rename("year"), columns="scenario", values="yhat",
                              aggfunc="sum")
    months = total.groupby(year)["month"].nunique()
    order = [c for c in ("base", "low", "high") if c in table.columns]
    table = table[order + [c for c in table.columns if c not in order]].reset_index()
    table.columns.name = None
    part = [str(y) for y, n in months.items() if n < 12]
    note = ("" if not part else
            f"{' and '.join(part)} {'is a part year' if len(part) == 1 else 'are part years'} "
            "(forecast months only).")
    return table, note
