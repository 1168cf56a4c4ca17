"""Long-horizon monthly volume outlook (12-60 months) for the business case, with scenarios.

Why a separate model from :func:`toolkit.forecast.forecast`: the business case needs monthly
totals years ahead with honest uncertainty, not intervals. The model works on **calls per
open day** per month, so a month with more public holidays or Sundays is not mistaken for a
trend or a season, and multiplies back by the open days of each future month from the site
calendar (:mod:`toolkit.calendars`).

Model, per queue and for the total (statsmodels OLS, log scale):

    log(calls_m / open_days_m) = level + slope * t_m + month-of-year effect + e_m

- *Open days* are weighted by weekday (a Saturday that carries 60 % of a weekday's calls
  counts 0.6), so a month with five Saturdays is not read as a busier month.
- *Annual seasonality* (11 month effects) only from 24 months of fitted history: with fewer,
  one year's pattern and the trend cannot be told apart; a warning says so and none is used.
  Below 12 months the trend is dropped too (flat level), for the same reason.
- *Trend*: linear in log (a constant growth rate), **damped** by default after the origin:
  the monthly growth halves every ``trend_half_life_months`` (24). Two or three years of
  growth rarely continue undamped for five more (damped trends win at long horizons in the
  M-competitions, Gardner & McKenzie); ``trend="linear"`` keeps it undamped, ``"none"`` flat.
- *Intervals*: the OLS prediction interval (residual noise + uncertainty of level, slope and
  month effects; Newey-West covariance, as monthly residuals are autocorrelated), on the
  log scale with Student-t quantiles, so they widen with the horizon. The slope term uses
  the *undamped* distance from the data: the band spans both "growth stops" and "growth
  goes on", the damping being an assumption, not a finding. ``yhat`` is the mean
  (exp(mu + s^2/2)), so months and queues add up; the bounds are quantiles.
- *Growth uncertainty*: the growth a few smooth years show is not the growth of the next
  five, yet a fitted trend has a tiny slope error. The band therefore adds an uncertain,
  persistent growth rate, ``(growth_sd_per_year * h / 12) ** 2`` on the log variance at h
  months ahead (normal quantiles: an assumption, not an estimate). Its default is the
  sourcing tornado's volume-growth range read as an 80 % range (:func:`growth_uncertainty`),
  so the outlook and the tornado cannot disagree; 0 gives the purely statistical band.
- Queues are reconciled to the total top-down (each queue scaled by the same factor per
  month), so queue rows add up to the ``total`` row, whose own fit sets the level.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit import calendars, refdata
from toolkit.clock import local_clock
from toolkit.config import REFERENCE
from toolkit.errors import DataError, ParameterError

#: Months of fitted history from which month-of-year effects are estimated.
MIN_MONTHS_SEASONAL = 24
#: Months of fitted history from which a trend is estimated (below: flat level).
MIN_MONTHS_TREND = 12
#: Months of history the model needs at all.
MIN_MONTHS = 3
#: Half-life of the growth rate after the origin for ``trend="damped"`` (months).
TREND_HALF_LIFE_MONTHS = 24
#: Share of a month's open days the data must cover for the month to enter the fit.
MIN_MONTH_COVERAGE = 0.5
#: Newey-West lags for the coefficient covariance (monthly residual autocorrelation).
HAC_LAGS = 2
TOTAL = "total"
RESERVED_SCENARIOS = ("history", "base", "low", "high")
TRENDS = ("damped", "linear", "none")
#: The reference figure whose low/high range is also the outlook's growth uncertainty:
#: (file, section, figure). The sourcing tornado moves volume growth by the same range.
GROWTH_FIGURE = ("cost_defaults.yaml", "defaults", "volume_growth")
#: Standard normal quantile of a two-sided 80 % range (norm.ppf(0.9)).
Z80 = 1.2815515655446004


def growth_uncertainty() -> dict:
    """The default ``growth_sd_per_year`` of the outlook and where it comes from.

    One assumption in one place: the sourcing tornado moves volume growth by the low/high of
    ``cost_defaults.yaml`` ``defaults.volume_growth`` (±10 % a year). Read as an 80 % range of
    a year's growth, the s.d. of log growth is ln(1 + high) / 1.2816 (0.074 a year at 10 %).
    Read through :mod:`toolkit.refdata`, so the forecast does not import the costs package.
    Returns ``value`` (s.d. a year), ``range_80`` (the ± share a year), ``unit``, ``year``,
    ``source`` and ``flag``.
    """
    file, section, name = GROWTH_FIGURE
    fig = refdata.read_yaml(REFERENCE / file, "reference")[section][name]
    high = float(fig["high"])
    return {"value": math.log1p(high) / Z80, "range_80": high,
            "unit": "s.d. of log volume growth per year",
            "year": fig.get("year"), "flag": fig.get("flag"),
            "source": (f"the sourcing tornado's volume growth ±{high:.0%} a year ({file} "
                       f"{section}.{name}, flag {fig.get('flag')}) read as an 80 % range: "
                       f"ln(1 + {high:g}) / {Z80:.4f}")}


def _check_growth_sd(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or not 0 <= value <= 1:
        raise ParameterError("growth_sd_per_year", value,
                             "a standard deviation of log volume growth per year from 0 to 1, "
                             "e.g. 0.074 for growth within ±10 % a year 8 years in 10 "
                             "(0 = no growth uncertainty; None = the reference figure)")
    return float(value)


# ----------------------------------------------------------------------------- inputs
def _daily(history: pd.DataFrame) -> pd.DataFrame:
    """Tidy history (intervals or days) -> calls per queue and local calendar date."""
    from toolkit.forecast.panel import _as_tidy

    tidy = _as_tidy(history)
    day = local_clock(tidy["ds"]).dt.floor("D")
    daily = (tidy.assign(date=day).groupby(["queue", "date"], sort=True)["calls"]
             .sum(min_count=1).dropna().reset_index())
    return daily


def _open_weekdays(dates: pd.DatetimeIndex) -> tuple[int, ...]:
    """Weekdays present on at least half of the weeks of the last 26 (the site's week)."""
    recent = dates[dates > dates.max() - pd.Timedelta(weeks=26)]
    weeks = max(1.0, ((recent.max() - recent.min()).days + 1) / 7)
    counts = np.bincount(recent.day_of_week, minlength=7)
    return tuple(int(w) for w in np.flatnonzero(counts >= weeks / 2)) or (0, 1, 2, 3, 4)


def _closes_on_holidays(dates: pd.DatetimeIndex, holidays: pd.DatetimeIndex,
                        weekdays: Sequence[int]) -> bool:
    """True unless the data show the site open on most holidays falling on open weekdays."""
    span = holidays[(holidays >= dates.min()) & (holidays <= dates.max())
                    & np.isin(holidays.day_of_week, list(weekdays))]
    return True if len(span) == 0 else bool(span.isin(dates).mean() < 0.5)


def _parse_month(value, name: str) -> pd.Period:
    try:
        return pd.Period(str(value), freq="M")
    except (ValueError, TypeError) as exc:
        raise ParameterError(name, value, "a month 'YYYY-MM', e.g. '2027-07'") from exc


def _check_scenarios(scenarios, first: pd.Period, last: pd.Period) -> list[dict]:
    """Validate user scenarios: name, change (> -1), from (YYYY-MM), optional ramp_months."""
    if scenarios is None:
        return []
    if isinstance(scenarios, dict) or not isinstance(scenarios, (list, tuple)):
        raise ParameterError("scenarios", scenarios,
                             "a list of dicts such as [{'name': 'digital deflection', "
                             "'change': -0.10, 'from': '2027-07'}]")
    out, seen = [], set()
    for i, sc in enumerate(scenarios):
        label = f"scenarios[{i}]"
        if not isinstance(sc, dict):
            raise ParameterError(label, sc, "a dict with keys name, change, from "
                                            "(optional ramp_months)")
        name = sc.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ParameterError(f"{label}.name", name, "a non-empty scenario name")
        label = f"scenario {name!r}"
        unknown = sorted(set(sc) - {"name", "change", "from", "ramp_months"})
        if unknown:
            raise ParameterError(f"{label}: {unknown[0]}", sc[unknown[0]],
                                 "only the fields name, change, from, ramp_months")
        if name in RESERVED_SCENARIOS or name in seen:
            raise ParameterError(f"{label}.name", name,
                                 "a name not already used and not one of "
                                 + ", ".join(RESERVED_SCENARIOS))
        seen.add(name)
        change = sc.get("change")
        if isinstance(change, bool) or not isinstance(change, (int, float)) \
                or not math.isfinite(change) or change <= -1:
            raise ParameterError(f"{label}.change", change,
                                 "a relative change of the base volume above -1, e.g. -0.10 "
                                 "for 10 % fewer calls")
        if "from" not in sc:
            raise ParameterError(f"{label}.from", None, "the first month of the change, "
                                                        "'YYYY-MM'")
        start = _parse_month(sc["from"], f"{label}.from")
        if not first <= start <= last:
            raise ParameterError(f"{label}.from", sc["from"],
                                 f"a month within the outlook, {first} to {last}")
        ramp = sc.get("ramp_months", 1)
        if isinstance(ramp, bool) or not isinstance(ramp, (int, np.integer)) or ramp < 1:
            raise ParameterError(f"{label}.ramp_months", ramp,
                                 "a whole number of months >= 1 over which the change builds "
                                 "up (1 = a step)")
        out.append({"name": name, "change": float(change), "from": start,
                    "ramp_months": int(ramp)})
    return out


def _check_levels(levels) -> tuple[int, ...]:
    from toolkit.forecast.core import _check_levels as check

    out = check(levels)
    if 80 not in out:
        raise ParameterError("levels", levels, "levels including 80 (the low and high "
                                               "scenarios are the 80 % bounds), e.g. (80, 95)")
    return out


# ----------------------------------------------------------------------------- model
def _fit_series(months: pd.PeriodIndex, rate: np.ndarray, future: pd.PeriodIndex, *,
                seasonal: bool, trend: str, half_life: float, levels: Sequence[int],
                growth_sd: float = 0.0) -> dict:
    """OLS on log(rate) with trend and month effects; returns mu, sd and quantiles per month.

    ``growth_sd`` (s.d. of log growth a year) adds ``(growth_sd * h / 12) ** 2`` to the log
    variance h months after the origin (h = 1 for ``future[0]``), at normal quantiles: the
    statistical part keeps its Student-t quantile, the assumed part is not estimated.
    """
    from scipy import stats
    from statsmodels.regression.linear_model import OLS

    y = np.log(rate)
    t = np.asarray([(m - months[0]).n for m in months], float)
    tf = np.asarray([(m - months[0]).n for m in future], float)
    cols, fcols = [np.ones(len(t))], [np.ones(len(tf))]
    fvar_cols = [np.ones(len(tf))]
    if trend != "none":
        t_last = t[-1]
        h = tf - t_last
        if trend == "damped":
            phi = 0.5 ** (1.0 / half_life)
            damped = t_last + phi * (1 - phi ** h) / (1 - phi)
        else:
            damped = tf
        cols.append(t)
        fcols.append(damped)
        fvar_cols.append(tf)       # uncertainty as if undamped: damping is an assumption
    if seasonal:
        moy = np.asarray([m.month for m in months])
        fmoy = np.asarray([m.month for m in future])
        for k in range(2, 13):
            cols.append((moy == k).astype(float))
            fcols.append((fmoy == k).astype(float))
            fvar_cols.append((fmoy == k).astype(float))
    x, xf, xv = np.column_stack(cols), np.column_stack(fcols), np.column_stack(fvar_cols)
    df_resid = len(y) - x.shape[1]
    model = OLS(y, x)
    if df_resid >= 4:
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": HAC_LAGS})
        ols = model.fit()
        # Newey-West can also shrink the covariance (negative autocorrelation): keep the
        # larger of the two so the bands never narrow because of it.
        cov = np.asarray(res.cov_params())
        cov_ols = np.asarray(ols.cov_params())
        var_hac = np.einsum("ij,jk,ik->i", xv, cov, xv)
        var_ols = np.einsum("ij,jk,ik->i", xv, cov_ols, xv)
        var_mean = np.maximum(var_hac, var_ols)
        scale = float(ols.scale)
        params = np.asarray(ols.params)
        dof = df_resid
    else:
        ols = model.fit()
        params = np.asarray(ols.params)
        resid = y - x @ params
        # too few months for a residual variance: a 10 % monthly sd, announced by the caller
        scale = max(float(resid @ resid) / max(df_resid, 1), 0.1 ** 2)
        var_mean = np.einsum("ij,jk,ik->i", xv, np.linalg.pinv(x.T @ x) * scale, xv)
        dof = max(df_resid, 1)
    mu = xf @ params
    h = np.asarray([(m - future[0]).n + 1 for m in future], float)
    var_growth = (growth_sd * h / 12) ** 2
    sd = np.sqrt(var_mean + scale + var_growth)
    sd_stat = np.sqrt(var_mean + scale)
    # Point forecast: exp(mu + s^2/2) with s^2 the residual (month-noise) variance only: the
    # usual retransformation from log scale, so fitted months match actual levels on average.
    # Adding the parameter variance too would make "base" grow with the horizon just
    # because the band widens; the bounds carry that uncertainty instead.
    out = {"mu": mu, "sd": sd, "mean": np.exp(mu + scale / 2),
           "slope": float(params[1]) if trend != "none" else 0.0,
           "resid_sd": math.sqrt(scale), "n_months": len(y)}
    for lv in levels:
        q = float(stats.t.ppf(0.5 + lv / 200, dof))
        z = float(stats.norm.ppf(0.5 + lv / 200))
        # half-width^2 = (t x statistical sd)^2 + (z x growth sd)^2; exactly t x sd at 0
        half = np.hypot(q * sd_stat, z * np.sqrt(var_growth))
        out[lv] = (np.exp(mu - half), np.exp(mu + half))
    return out


def _weekday_weights(daily: pd.DataFrame, open_dates: pd.DatetimeIndex) -> np.ndarray:
    """Relative calls of each weekday (last 12 months), mean 1 over the open days.

    Month level and weekday weight are fitted together (calls = level of the month x weight
    of the weekday), so the month's level (season, trend) does not leak into the weights.
    """
    recent = daily[(daily["date"] > daily["date"].max() - pd.Timedelta(days=365))
                   & daily["date"].isin(open_dates) & (daily["calls"] > 0)]
    weights = np.zeros(7)
    if recent.empty:
        weights[np.unique(open_dates.day_of_week)] = 1.0
        return weights
    month = recent["date"].dt.to_period("M")
    wd = recent["date"].dt.day_of_week.to_numpy()
    counts = np.bincount(wd, minlength=7)
    weights[counts > 0] = 1.0
    # alternate month level and weekday weight (multiplicative two-way fit, a few sweeps)
    for _ in range(6):
        level = (recent["calls"] / weights[wd]).groupby(month).transform("mean")
        means = (recent["calls"] / level).groupby(wd).mean()
        weights[means.index.to_numpy()] = means.to_numpy()
        avg = float((weights * counts).sum() / max(counts.sum(), 1))
        weights = weights / avg if avg > 0 else weights
    return weights


def monthly_outlook(history: pd.DataFrame, months: int = 60, **kwargs) -> pd.DataFrame:
    """The outlook table of :func:`monthly_outlook_result` (same parameters), without its
    provenance (write the result with ``toolkit.forecast.write_forecast`` to keep it)."""
    return monthly_outlook_result(history, months, **kwargs).frame


def monthly_outlook_result(history: pd.DataFrame, months: int = 60, *, origin=None,
                           country: str | None = "FR", levels: Sequence[int] = (80, 95),
                           scenarios: list[dict] | None = None, trend: str = "damped",
                           trend_half_life_months: float = TREND_HALF_LIFE_MONTHS,
                           growth_sd_per_year: float | None = None,
                           open_weekdays: Sequence[int] | None = None,
                           by_queue: bool = True):
    """Monthly calls ``months`` ahead of ``origin`` per scenario, with history, for charts.

    Parameters
    ----------
    history : tidy ``ds, queue, calls`` (or ``ds, y``), intervals or days, tz-aware (the
        dates are the site's local calendar).
    months : months forecast after the origin (1-120).
    origin : last month used, "YYYY-MM" (default: the last complete month of history);
        later data are ignored, so a report for period P passes ``origin=P``.
    country : holiday calendar of the site (:mod:`toolkit.calendars`), None for none.
    levels : interval levels in percent; must include 80 (low / high scenarios).
    scenarios : extra scenarios on top of base, e.g. ``[{"name": "digital deflection",
        "change": -0.10, "from": "2027-07"}]``: base (and its bounds) times ``1 + change``
        from that month on, built up linearly over ``ramp_months`` (default 1 = a step).
    trend : ``"damped"`` (default; growth halves every ``trend_half_life_months``),
        ``"linear"`` (constant growth rate) or ``"none"`` (flat level).
    growth_sd_per_year : s.d. of an uncertain, persistent log growth rate a year, added to the
        band as ``(growth_sd_per_year * h / 12) ** 2`` h months ahead (0 = the statistical
        band only). None: the reference figure, :func:`growth_uncertainty` (the tornado's
        ±10 % a year read as an 80 % range, 0.074).
    open_weekdays : the site's open weekdays (default: learnt from the data).
    by_queue : also one set of rows per queue (reconciled to the total); else total only.

    Returns
    -------
    A ``toolkit.forecast.ForecastResult``: ``info`` records origin, span, calendar, notes,
    scenarios and the growth uncertainty used (``growth_sd_per_year``, ``growth_sd_source``),
    ``models`` the model terms and growth per queue; its ``frame`` has one row per
    ``month`` (Period[M]), ``queue`` (each queue and ``"total"``) and
    ``scenario``: ``"history"`` (actual calls; ``partial`` when the data cover only part of
    the month's open days), ``"base"`` (mean, with ``yhat_lower_<L>`` / ``yhat_upper_<L>``),
    ``"low"`` / ``"high"`` (the 80 % bounds of base as paths: a month-by-month band, not a
    scenario anyone expects to happen every month) and each user scenario. Columns ``month,
    queue, scenario, yhat, yhat_lower_<L>, yhat_upper_<L>, open_days, calls_per_open_day,
    partial``.
    """
    from toolkit.forecast.panel import ForecastWarning

    levels = _check_levels(levels)
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) \
            or not 1 <= months <= 120:
        raise ParameterError("months", months, "a whole number of months from 1 to 120")
    if trend not in TRENDS:
        raise ParameterError("trend", trend, " or ".join(repr(t) for t in TRENDS))
    if not trend_half_life_months > 0:
        raise ParameterError("trend_half_life_months", trend_half_life_months,
                             "a positive number of months")
    if growth_sd_per_year is None:
        growth = growth_uncertainty()
    else:
        growth = {"value": _check_growth_sd(growth_sd_per_year), "source": "set for this run"}
    growth_sd = growth["value"]
    daily = _daily(history)
    if daily.empty:
        raise DataError("history has no call counts", column="calls",
                        expected="daily or interval call counts")
    dates = pd.DatetimeIndex(daily["date"].unique()).sort_values()
    first_date, last_date = dates[0], dates[-1]
    weekdays = (calendars._check_weekdays(open_weekdays) if open_weekdays is not None
                else _open_weekdays(dates))
    # the site calendar over history and outlook: one table, one definition of open days
    cal_end = (last_date.to_period("M") + months + 1).end_time.normalize()
    hol = calendars.holiday_dates(country, first_date.year, cal_end.year)
    closed_hol = _closes_on_holidays(dates, hol, weekdays)
    table = calendars.day_table(country, first_date.to_period("M").start_time, cal_end,
                                open_weekdays=weekdays, patterns=[],
                                closed_on_holidays=closed_hol)
    table["month"] = table["date"].dt.to_period("M")
    last_month = last_date.to_period("M")
    month_open = table[table["open"]].groupby("month")["date"].max()
    if origin is None:
        complete = last_month in month_open.index and last_date >= month_open[last_month]
        origin_p = last_month if complete else last_month - 1
    else:
        origin_p = _parse_month(origin, "origin")
    first_month = first_date.to_period("M")
    if not first_month <= origin_p <= last_month:
        raise ParameterError("origin", str(origin_p),
                             f"a month with data: the history runs from {first_date:%Y-%m-%d} "
                             f"to {last_date:%Y-%m-%d} ({first_month} to {last_month})")
    end_date = min(last_date, origin_p.end_time.normalize())
    daily = daily[daily["date"] <= end_date]
    future = pd.period_range(origin_p + 1, periods=months, freq="M")
    user = _check_scenarios(scenarios, future[0], future[-1])

    covered = table["open"] & (table["date"] >= first_date) & (table["date"] <= end_date)
    hist_months = pd.period_range(first_month, origin_p, freq="M")
    notes: list[str] = []
    queues = sorted(daily["queue"].unique())
    series = {TOTAL: daily.groupby("date", sort=True)["calls"].sum().reset_index()}
    if by_queue and len(queues) > 1:
        series |= {q: g[["date", "calls"]] for q, g in daily.groupby("queue", sort=True)}
    fits, rows = {}, []
    open_count = table.groupby("month")["open"].sum()
    for name, s in series.items():
        weights = _weekday_weights(s, pd.DatetimeIndex(table.loc[covered, "date"]))
        eff = table["open"] * weights[table["date"].dt.day_of_week.to_numpy()]
        eff_cov = eff.where(covered, 0.0).groupby(table["month"]).sum()
        eff_all = eff.groupby(table["month"]).sum()
        calls = s.groupby(s["date"].dt.to_period("M"))["calls"].sum()
        cov_days = covered.groupby(table["month"]).sum()
        hist = pd.DataFrame({"month": hist_months})
        hist["calls"] = calls.reindex(hist_months).fillna(0.0).to_numpy()
        hist["eff"] = eff_cov.reindex(hist_months).fillna(0.0).to_numpy()
        hist["share"] = (cov_days.reindex(hist_months).fillna(0)
                         / open_count.reindex(hist_months).replace(0, np.nan)).fillna(0).to_numpy()
        fit_rows = hist[(hist["share"] >= MIN_MONTH_COVERAGE) & (hist["eff"] > 0)
                        & (hist["calls"] > 0)]
        n = len(fit_rows)
        if n < MIN_MONTHS:
            raise DataError(f"queue {name!r} has {n} month(s) with calls up to {origin_p}",
                            column="ds", expected=f"at least {MIN_MONTHS} months of history "
                                                  "(better 24 or more) for a monthly outlook")
        seasonal = n >= MIN_MONTHS_SEASONAL
        use_trend = trend if n >= MIN_MONTHS_TREND else "none"
        if name == TOTAL:
            if not seasonal:
                notes.append(f"history has {n} months (< {MIN_MONTHS_SEASONAL}): no annual "
                             "seasonality is estimated; the outlook is trend only.")
            if use_trend != trend:
                notes.append(f"history has {n} months (< {MIN_MONTHS_TREND}): no trend is "
                             "estimated (it would be confounded with the season); flat level.")
        fit = _fit_series(pd.PeriodIndex(fit_rows["month"]),
                          (fit_rows["calls"] / fit_rows["eff"]).to_numpy(), future,
                          seasonal=seasonal, trend=use_trend,
                          half_life=trend_half_life_months, levels=levels,
                          growth_sd=growth_sd)
        if n < MIN_MONTHS_TREND + 1 and name == TOTAL:
            notes.append(f"only {n} months fitted: intervals rest on few residuals.")
        eff_f = eff_all.reindex(future).fillna(0.0).to_numpy()
        fits[name] = {"fit": fit, "eff": eff_f, "seasonal": seasonal, "trend": use_trend}
        hist_open = open_count.reindex(hist_months).fillna(0).astype(int).to_numpy()
        rows.append(pd.DataFrame({
            "month": hist_months, "queue": name, "scenario": "history",
            "yhat": hist["calls"].to_numpy(), "open_days": hist_open,
            "calls_per_open_day": np.where(hist["eff"] > 0, hist["calls"]
                                           / np.maximum(hist["eff"], 1e-9), np.nan),
            "partial": (hist["share"] < 1).to_numpy()}))
    for note in notes:
        warnings.warn(note, ForecastWarning, stacklevel=2)

    # totals per month = rate x weighted open days; queues scaled to the total (top-down)
    fut_open = open_count.reindex(future).fillna(0).astype(int).to_numpy()
    paths = {name: {"yhat": f["fit"]["mean"] * f["eff"],
                    **{lv: (f["fit"][lv][0] * f["eff"], f["fit"][lv][1] * f["eff"])
                       for lv in levels}} for name, f in fits.items()}
    qnames = [q for q in paths if q != TOTAL]
    if qnames:
        ssum = np.sum([paths[q]["yhat"] for q in qnames], axis=0)
        factor = np.divide(paths[TOTAL]["yhat"], ssum, out=np.ones_like(ssum), where=ssum > 0)
        for q in qnames:
            p = paths[q]
            p["yhat"] = p["yhat"] * factor
            for lv in levels:
                p[lv] = (p[lv][0] * factor, p[lv][1] * factor)
    for name, p in paths.items():
        base = pd.DataFrame({"month": future, "queue": name, "scenario": "base",
                             "yhat": p["yhat"], "open_days": fut_open, "partial": False})
        for lv in levels:
            base[f"yhat_lower_{lv}"], base[f"yhat_upper_{lv}"] = p[lv]
        rows.append(base)
        for label, side in (("low", 0), ("high", 1)):
            rows.append(pd.DataFrame({"month": future, "queue": name, "scenario": label,
                                      "yhat": p[80][side], "open_days": fut_open,
                                      "partial": False}))
        for sc in user:
            k = np.asarray([(m - sc["from"]).n for m in future], float)
            mult = 1 + sc["change"] * np.clip((k + 1) / sc["ramp_months"], 0, 1)
            frame = base.assign(scenario=sc["name"])
            cols = ["yhat"] + [f"yhat_{b}_{lv}" for lv in levels for b in ("lower", "upper")]
            frame[cols] = frame[cols].mul(mult, axis=0)
            rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    fc_rows = out["scenario"] != "history"
    out.loc[fc_rows, "calls_per_open_day"] = out.loc[fc_rows, "yhat"] / out.loc[
        fc_rows, "open_days"].replace(0, np.nan)
    band = [f"yhat_{b}_{lv}" for lv in levels for b in ("lower", "upper")]
    out = out[["month", "queue", "scenario", "yhat", *band, "open_days",
               "calls_per_open_day", "partial"]]
    out["partial"] = out["partial"].astype(bool)
    out["open_days"] = out["open_days"].astype(int)
    info = {
        "kind": "outlook", "origin": str(origin_p), "history_from": f"{first_date:%Y-%m-%d}",
        "history_to": f"{end_date:%Y-%m-%d}", "months": int(months),
        "country": country, "open_weekdays": list(weekdays),
        "closed_on_holidays": closed_hol, "notes": notes,
        "scenarios": [{**sc, "from": str(sc["from"])} for sc in user],
        "growth_sd_per_year": growth_sd, "growth_sd_source": growth["source"]}
    models = {name: {"trend": f["trend"], "seasonal": f["seasonal"],
                     "months_fitted": f["fit"]["n_months"],
                     "growth_per_year": math.exp(12 * f["fit"]["slope"]) - 1,
                     "residual_sd_log": f["fit"]["resid_sd"]}
              for name, f in fits.items()}
    from toolkit.forecast.result import ForecastResult
    return ForecastResult(out, models, info)


def outlook_volume_path(outlook: pd.DataFrame, scenario: str = "base", *,
                        queue: str = TOTAL) -> pd.DataFrame:
    """Per month: ``yhat`` (mean), ``median`` and ``log_sd`` for a Monte Carlo volume draw.

    ``log_sd`` is read off the 80 % interval: (ln upper - ln lower) / (2 x 1.2816). Draw one
    standard normal ``z`` per simulated path and use ``median * exp(log_sd * z)`` for EVERY
    month of that path: months are treated as **perfectly correlated**. Why: over years the
    error is dominated by level and trend (a market that grows slower stays slower), not by
    month-to-month noise; independent draws would shrink the uncertainty of a five-year total
    by about sqrt(60) and make the business case look far safer than it is. Perfect
    correlation is the conservative end (it slightly overstates the spread of multi-year
    totals, since the monthly noise part does average out).
    """
    from scipy import stats

    need = {"month", "queue", "scenario", "yhat", "yhat_lower_80", "yhat_upper_80"}
    if not isinstance(outlook, pd.DataFrame) or not need <= set(outlook.columns):
        raise ParameterError("outlook", type(outlook).__name__,
                             "the table returned by monthly_outlook")
    rows = outlook[(outlook["scenario"] == scenario) & (outlook["queue"] == queue)]
    if rows.empty or rows["yhat_lower_80"].isna().all():
        has_band = outlook[outlook["yhat_lower_80"].notna() & (outlook["queue"] == queue)]
        raise ParameterError("scenario", scenario,
                             f"a scenario with intervals for queue {queue!r}: "
                             f"{', '.join(sorted(set(has_band['scenario']))) or 'none'} "
                             "(low and high are paths: draw around base instead)")
    lo, hi = rows["yhat_lower_80"].to_numpy(float), rows["yhat_upper_80"].to_numpy(float)
    z = float(stats.norm.ppf(0.9))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_sd = np.where((lo > 0) & (hi > 0), (np.log(hi) - np.log(lo)) / (2 * z), 0.0)
        median = np.where((lo > 0) & (hi > 0), np.sqrt(lo * hi), rows["yhat"].to_numpy(float))
    return pd.DataFrame({"month": rows["month"].to_numpy(), "yhat": rows["yhat"].to_numpy(float),
                         "median": median, "log_sd": log_sd})


# ----------------------------------------------------------------------------- report helpers
def history_window(history: pd.DataFrame, period=None, *, country: str | None = "FR"
                   ) -> tuple[pd.DataFrame, dict]:
    """History truncated to the end of report ``period`` ("YYYY-MM"), and the window used.

    A report for period P uses data up to the end of P: the forecast origin is the end of P.
    ``period=None`` takes the last complete month of the data. A period without any data
    raises :class:`ParameterError` naming the data's span. Returns ``(history up to P,
    window)``; the history comes back tidy (``ds, queue, calls``), with window keys ``period``, ``history_from``, ``history_to`` (dates),
    ``origin`` (end of P), ``partial`` (P not covered to its last open day) and ``data_to``.
    """
    from toolkit.forecast.panel import _as_tidy

    tidy = _as_tidy(history)
    day = local_clock(tidy["ds"]).dt.floor("D")
    first, last = day.min(), day.max()
    dates = pd.DatetimeIndex(day.unique())
    weekdays = _open_weekdays(dates)
    last_month = last.to_period("M")
    month_days = calendars.day_table(country, last_month.start_time, last_month.end_time,
                                     open_weekdays=weekdays, patterns=[])
    last_open = month_days.loc[month_days["open"], "date"].max()
    complete_last = pd.isna(last_open) or last >= last_open
    if period is None or (isinstance(period, str) and not period.strip()):
        p = last_month if complete_last else last_month - 1
    else:
        p = _parse_month(period, "period")
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    in_p = (day.dt.to_period("M") == p).to_numpy()
    if not in_p.any():
        raise ParameterError("period", str(p) if period is not None else period,
                             f"a month with data: the history covers {span} "
                             f"({first:%Y-%m} to {last:%Y-%m})")
    keep = (day <= p.end_time.normalize()).to_numpy()
    kept = tidy.loc[keep]
    window = {"period": str(p), "history_from": first.date(),
              "history_to": day[keep].max().date(), "origin": p.end_time.normalize().date(),
              "partial": bool(p == last_month and not complete_last), "data_to": last.date()}
    return kept.reset_index(drop=True), window


def month_coverage(fc: pd.DataFrame, *, country: str | None = "FR",
                   open_weekdays: Sequence[int] | None = None) -> pd.DataFrame:
    """Per forecast month: open days forecast vs open days of the whole month (site calendar).

    Columns ``month`` ("YYYY-MM"), ``open_days_forecast``, ``open_days``, ``partial`` and
    ``label`` ("2026-11 (partial: 23 of 24 open days)"), so a monthly table never passes a
    part-month off as a month.
    """
    day = local_clock(fc["ds"]).dt.floor("D")
    dates = pd.DatetimeIndex(day.unique()).sort_values()
    weekdays = (calendars._check_weekdays(open_weekdays) if open_weekdays is not None
                else _open_weekdays(dates) if len(dates) >= 7 else tuple(range(6)))
    months = dates.to_period("M").unique()
    table = calendars.day_table(country, months[0].start_time, months[-1].end_time,
                                open_weekdays=weekdays, patterns=[])
    full = table.groupby(table["date"].dt.to_period("M"))["open"].sum()
    got = pd.Series(dates.to_period("M")).value_counts()
    out = pd.DataFrame({"month": [str(m) for m in months],
                        "open_days_forecast": [int(got.get(m, 0)) for m in months],
                        "open_days": [int(full.get(m, 0)) for m in months]})
    out["partial"] = out["open_days_forecast"] < out["open_days"]
    out["label"] = np.where(out["partial"], out["month"] + " (partial: "
                            + out["open_days_forecast"].astype(str) + " of "
                            + out["open_days"].astype(str) + " open days)", out["month"])
    return out


def outlook_summary(outlook: pd.DataFrame, *, queue: str = TOTAL) -> dict:
    """The figures a sentence about the outlook quotes, computed from the table itself.

    ``last_12`` (actual calls in the 12 months to the origin), ``first_12`` / ``final_12``
    (base calls in the first and last 12 forecast months), with the 80 % band of the final
    12 months (monthly bounds summed: months perfectly correlated, as in
    :func:`outlook_volume_path`), ``growth`` (final_12 / last_12 - 1), ``origin``.
    """
    part = outlook[outlook["queue"] == queue]
    hist = part[part["scenario"] == "history"].sort_values("month")
    base = part[part["scenario"] == "base"].sort_values("month")
    last_12, first_12 = float(hist["yhat"].tail(12).sum()), float(base["yhat"].head(12).sum())
    tail = base.tail(12)
    return {"origin": str(hist["month"].iloc[-1]), "last_12": last_12, "first_12": first_12,
            "final_12": float(tail["yhat"].sum()),
            "final_12_lower_80": float(tail["yhat_lower_80"].sum()),
            "final_12_upper_80": float(tail["yhat_upper_80"].sum()),
            "final_from": str(tail["month"].iloc[0]), "final_to": str(tail["month"].iloc[-1]),
            "growth": float(tail["yhat"].sum()) / last_12 - 1 if last_12 > 0 else float("nan"),
            "history_months": int(len(hist))}
