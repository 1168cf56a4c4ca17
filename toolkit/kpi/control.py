"""Control charts (XmR) that tell a real shift from noise — and point at the right months.

Wheeler's practice, in the order a report needs it:

1. **phases**: a provider's months are split at the breaks the contract file names (go-live,
   contract change). A ``ramp`` phase (go-live) is plotted but never gets limits; a phase
   with too few months neither.
2. **baseline**: within a phase, the limits come from the months *before* the judged window
   (the ``judged_months`` ending with the report period): a month never helps set the limits
   it is judged against. A phase too young for that gets *provisional* limits from all its
   months, and says so.
3. **robust limits**: sigma = median moving range / 0.954, so one collapse inside the
   baseline does not widen the limits; the centre line is the mean of the baseline points
   left inside those first limits (signals removed, limits recomputed once).
4. **rules** (Western Electric), read on every point of the phase: a point beyond 3 sigma,
   a run of 8 on one side of the centre line, 2 of 3 beyond 2 sigma on the same side.

The tunable numbers live in ``toolkit/reference/kpis.yaml`` (``control_charts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ParameterError
from toolkit.kpi.definitions import catalogue_settings, trailing_months

#: Bias-correction constants for moving ranges of 2 points (Wheeler & Chambers 1992, A.2).
D2 = 1.128
MEDIAN_MR_FACTOR = 0.954
ESTIMATORS = ("median_moving_range", "average_moving_range")
RULES = ("beyond_3s", "run_8", "two_of_three_2s")


@dataclass(frozen=True)
class ControlSettings:
    """The control-chart settings of the KPI catalogue (``control_charts``)."""

    judged_months: int = 12
    min_baseline_months: int = 6
    min_phase_points: int = 6
    sigma_estimator: str = "median_moving_range"
    limit_sigmas: float = 3.0
    run_length: int = 8
    two_of_three_sigmas: float = 2.0

    def rule_text(self, rule: str) -> str:
        return {"beyond_3s": f"beyond {self.limit_sigmas:g}σ",
                "run_8": f"run of {self.run_length} on one side",
                "two_of_three_2s": f"2 of 3 beyond {self.two_of_three_sigmas:g}σ"}[rule]


def control_settings(catalogue: dict | None = None) -> ControlSettings:
    """The ``control_charts`` block of the catalogue as settings (defaults without one)."""
    file = (catalogue or {}).get("file")
    settings = ControlSettings(**catalogue_settings(catalogue, "control_charts", ControlSettings))
    if settings.sigma_estimator not in ESTIMATORS:
        raise DataError(f"control_charts: sigma_estimator '{settings.sigma_estimator}' is "
                        "unknown", file=file, column="sigma_estimator",
                        expected=", ".join(ESTIMATORS))
    for name in ("judged_months", "min_baseline_months", "min_phase_points", "run_length"):
        v = getattr(settings, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 2:
            raise DataError(f"control_charts: {name} {v!r} is not a whole number >= 2",
                            file=file, column=name)
    return settings


def control_limits(x, estimator: str = "median_moving_range", limit_sigmas: float = 3.0
                   ) -> tuple[float, float]:
    """Centre line and sigma of an XmR chart from baseline values ``x`` (in time order).

    ``average_moving_range``: the textbook chart (mean, mR-bar / 1.128), right for a clean
    baseline. ``median_moving_range``: sigma = median mR / 0.954, and the centre is the mean
    of the points within ``limit_sigmas`` of the median — a collapse in the baseline neither
    widens the limits nor drags the centre line.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        raise ParameterError("values", f"{len(x)} value(s)", "at least 2 values for an XmR chart")
    mr = np.abs(np.diff(x))
    if estimator == "average_moving_range":
        return float(x.mean()), float(mr.mean() / D2)
    if estimator != "median_moving_range":
        raise ParameterError("sigma_estimator", estimator, ", ".join(ESTIMATORS))
    sigma = float(np.median(mr) / MEDIAN_MR_FACTOR)
    inside = np.abs(x - np.median(x)) <= limit_sigmas * sigma
    return float(x[inside].mean() if inside.any() else np.median(x)), sigma


def xmr(values: pd.Series, baseline=None, *, phases=None, ramp: Iterable = (),
        settings: ControlSettings | None = None, method: str | None = None) -> pd.DataFrame:
    """XmR chart of ``values`` (index = month, in order): limits per phase, rules, signals.

    Parameters
    ----------
    values : the monthly values; NaN months have no point and are dropped.
    baseline : which points may set the limits — a boolean mask aligned with ``values``, or
        an int ``n`` for "the last n points" (older callers); None = every point.
    phases : a phase label per point (None = one phase). Each phase gets its own limits.
    ramp : phase labels that are a go-live ramp: plotted, no limits, never signalled.
    settings : ``ControlSettings`` (rules, minimum points); ``method`` overrides its
        ``sigma_estimator``.

    Returns one row per point: ``value``, ``moving_range``, ``phase``, ``baseline`` (used for
    the limits), ``limits`` (``baseline``, ``provisional`` or ``none``), ``centre``,
    ``sigma``, ``ucl``, ``lcl``, ``upper_2s``, ``lower_2s``, one boolean column per rule
    (``beyond_3s``, ``run_8``, ``two_of_three_2s``: True on every point taking part),
    ``signal`` and ``rule`` (the rules that fired, as words).
    """
    settings = settings or ControlSettings()
    estimator = method or settings.sigma_estimator
    v = pd.Series(values, dtype=float)
    keep = v.notna().to_numpy()
    n_all = len(v)
    v = v[keep]
    if len(v) < 2:
        raise ParameterError("values", f"{len(v)} value(s)", "at least 2 values for an XmR chart")
    if baseline is None:
        base = np.ones(len(v), bool)
    elif isinstance(baseline, int | np.integer) and not isinstance(baseline, bool):
        base = np.arange(len(v)) >= len(v) - max(int(baseline), 2)
    else:
        base = np.asarray(baseline, bool)
        base = base[keep] if len(base) == n_all else base
    phase = (np.full(len(v), "all", dtype=object) if phases is None
             else np.asarray(phases, dtype=object)[keep] if len(phases) == n_all
             else np.asarray(phases, dtype=object))
    ramp = set(ramp)
    x = v.to_numpy()
    out = pd.DataFrame({"value": x, "moving_range": np.nan, "phase": phase, "baseline": False,
                        "limits": "none", "centre": np.nan, "sigma": np.nan},
                       index=v.index)
    rules = {r: np.zeros(len(x), bool) for r in RULES}
    for label in pd.unique(phase):
        idx = np.flatnonzero(phase == label)
        if len(idx) > 1:
            out.iloc[idx[1:], out.columns.get_loc("moving_range")] = np.abs(np.diff(x[idx]))
        if label in ramp or len(idx) < settings.min_phase_points:
            continue
        used = idx[base[idx]]
        basis = "baseline"
        if len(used) < settings.min_baseline_months:
            used, basis = idx, "provisional"
        centre, sigma = control_limits(x[used], estimator, settings.limit_sigmas)
        out.iloc[used, out.columns.get_loc("baseline")] = True
        out.iloc[idx, out.columns.get_loc("limits")] = basis
        out.iloc[idx, out.columns.get_loc("centre")] = centre
        out.iloc[idx, out.columns.get_loc("sigma")] = sigma
        found = special_causes(x[idx], centre, sigma, run_length=settings.run_length,
                               limit_sigmas=settings.limit_sigmas,
                               two_of_three_sigmas=settings.two_of_three_sigmas)
        for r in RULES:
            rules[r][idx] = found[r]
    k, k2 = settings.limit_sigmas, settings.two_of_three_sigmas
    out["ucl"], out["lcl"] = out["centre"] + k * out["sigma"], out["centre"] - k * out["sigma"]
    out["upper_2s"] = out["centre"] + k2 * out["sigma"]
    out["lower_2s"] = out["centre"] - k2 * out["sigma"]
    for r in RULES:
        out[r] = rules[r]
    out["signal"] = np.logical_or.reduce([rules[r] for r in RULES])
    out["rule"] = ["; ".join(settings.rule_text(r) for r in RULES if rules[r][i])
                   for i in range(len(x))]
    return out


def special_causes(x, centre: float, sigma: float, *, run_length: int = 8,
                   limit_sigmas: float = 3.0, two_of_three_sigmas: float = 2.0
                   ) -> dict[str, np.ndarray]:
    """The special-cause rules of ``xmr`` for values ``x`` around given limits.

    ``beyond_3s``: beyond ``limit_sigmas``; ``run_8``: ``run_length`` or more consecutive
    points on one side of the centre (a point on the line breaks the run);
    ``two_of_three_2s``: 2 of 3 consecutive points beyond ``two_of_three_sigmas``, same side.
    """
    x = np.asarray(x, dtype=float)
    beyond = (x > centre + limit_sigmas * sigma) | (x < centre - limit_sigmas * sigma)
    side = np.sign(np.round(x - centre, 12))
    run = np.zeros(len(x), bool)
    start = 0
    for i in range(1, len(x) + 1):  # walk runs of equal side; a point on the line is side 0
        if i == len(x) or side[i] != side[start]:
            if side[start] != 0 and i - start >= run_length:
                run[start:i] = True
            start = i
    two3 = np.zeros(len(x), bool)
    for beyond_2s in (x > centre + two_of_three_sigmas * sigma,
                      x < centre - two_of_three_sigmas * sigma):
        for i in range(len(x) - 2):
            if beyond_2s[i:i + 3].sum() >= 2:
                two3[i:i + 3] |= beyond_2s[i:i + 3]
    return {"beyond_3s": beyond, "run_8": run, "two_of_three_2s": two3}


def kpi_series(history: pd.DataFrame, site: str, kpi_id: str) -> pd.Series:
    """Monthly values of one contracted KPI of one site (index = month), NaN kept."""
    g = history[(history["site"] == site) & (history["kpi"] == kpi_id)]
    return g.set_index("month")["value"].sort_index()


def phase_of_months(months: Iterable[str], terms: dict | None) -> tuple[list[str], set[str]]:
    """The contract phase of each month (``phases`` of the provider's terms) and the labels
    of ramp phases. Months before the first break belong to a phase "before <first>"."""
    months = list(months)
    phases = (terms or {}).get("phases") or []
    if not phases:
        return ["contract"] * len(months), set()
    labels = []
    for m in months:
        current = f"before {phases[0]['from']}"
        for p in phases:
            if p["from"] <= m:
                current = p["name"]
        labels.append(current)
    return labels, {p["name"] for p in phases if p.get("ramp")}


def control_chart(history: pd.DataFrame, site: str, kpi_id: str, *, period: str,
                  contract: dict | None = None, settings: ControlSettings | None = None,
                  bounds: tuple[float, float] | None = None) -> pd.DataFrame:
    """The XmR chart of one site's KPI through ``period``: phases from the contract, limits
    from the phase's months before the judged window (the ``judged_months`` ending with
    ``period``), rules read on every point (the months that set the limits are checked
    against them too). ``bounds``: the values the KPI can take (a percentage: 0 and 1); the
    limits shown are clipped to them (a usual range never reaches past 100 %). Empty when
    fewer than 2 months have a value."""
    settings = settings or ControlSettings()
    series = kpi_series(history, site, kpi_id)
    series = series[series.index <= period].dropna()
    if len(series) < 2:
        return pd.DataFrame()
    judged = set(trailing_months(period, settings.judged_months))
    terms = (contract or {}).get("providers", {}).get(site)
    phases, ramp = phase_of_months(series.index, terms)
    chart = xmr(series, baseline=~series.index.isin(judged), phases=phases, ramp=ramp,
                settings=settings)
    chart["judged"] = chart.index.isin(judged)
    if bounds is not None:
        for col in ("ucl", "lcl", "upper_2s", "lower_2s"):
            chart[col] = chart[col].clip(*bounds)
    return chart


def kpi_bounds(catalogue: dict | None, kpi_id: str) -> tuple[float, float] | None:
    """The values a KPI can take: 0-1 for a share (unit ``fraction``), else unbounded."""
    unit = ((catalogue or {}).get("kpis") or {}).get(kpi_id, {}).get("unit")
    return (0.0, 1.0) if unit == "fraction" else None


def control_signals(history: pd.DataFrame, sites: Iterable[str], kpi_ids: Iterable[str],
                    catalogue: dict, *, period: str, contract: dict | None = None
                    ) -> pd.DataFrame:
    """Every special-cause month of the control charts, one row per (site, KPI, month):
    ``site, kpi, month, value, rule, phase, centre, lcl, ucl, limits`` — the table written
    beside the scorecard."""
    settings = control_settings(catalogue)
    rows = []
    for site, kpi_id, chart in _charts(history, sites, kpi_ids, period, contract, settings,
                                       catalogue):
        hit = chart[chart["signal"]]
        rows.append(pd.DataFrame({
            "site": site, "kpi": kpi_id, "month": hit.index, "value": hit["value"],
            "rule": hit["rule"], "phase": hit["phase"], "centre": hit["centre"],
            "lcl": hit["lcl"], "ucl": hit["ucl"], "limits": hit["limits"]}))
    columns = ["site", "kpi", "month", "value", "rule", "phase", "centre", "lcl", "ucl",
               "limits"]
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.concat(rows, ignore_index=True)[columns]


def chart_finding(chart: pd.DataFrame, settings: ControlSettings | None = None) -> str:
    """The finding of one chart in words: which months signal and by which rule."""
    settings = settings or ControlSettings()
    if (chart["limits"] == "none").all():
        return "too few months for limits"
    hit = chart[chart["signal"]]
    if hit.empty:
        return "no special cause"
    by_rule = {}
    for month, rule in zip(hit.index, hit["rule"], strict=True):
        by_rule.setdefault(rule, []).append(str(month))
    # Panels sit two to a row: beyond three months the title gives the count and the latest.
    if len(hit) > 3:
        return f"{len(hit)} months signal, latest {hit.index[-1]} ({hit['rule'].iloc[-1]})"
    return "; ".join(f"{rule} in {', '.join(ms)}" for rule, ms in by_rule.items())


def control_chart_specs(history: pd.DataFrame, sites: Iterable[str], kpi_ids: Iterable[str],
                        catalogue: dict, *, period: str | None = None,
                        contract: dict | None = None) -> dict[str, dict]:
    """XmR charts for ``plots.xmr_grid``: one panel per (site, KPI) with at least 2 months of
    data, titled with its finding (the months that signal and the rule); ``label`` is the
    panel's site and KPI name for readers (:func:`toolkit.kpi.report.plain_specs`).
    ``period``: the report month (default: the last month of ``history``). With one site the
    titles leave out the site id (the figure title carries it)."""
    settings = control_settings(catalogue)
    period = period or str(history["month"].max())
    specs = {}
    sites = list(sites)
    for site, kpi_id, chart in _charts(history, sites, kpi_ids, period, contract, settings,
                                       catalogue):
        spec = catalogue["kpis"][kpi_id]
        rows = history[(history["site"] == site) & (history["kpi"] == kpi_id)]
        lo, hi = rows["target_low"].iloc[0], rows["target_high"].iloc[0]
        target = (lo if spec["direction"] == "higher" else hi
                  if spec["direction"] == "lower" else None)
        prefix = f"{site} · " if len(sites) > 1 else ""
        specs[f"{prefix}{kpi_id}: {chart_finding(chart, settings)}"] = {
            "chart": chart, "percent": spec["unit"] == "fraction", "target": target,
            "label": f"{prefix}{spec.get('name', kpi_id)}",
            "ylabel": {"fraction": "%", "seconds": "seconds", "hours": "hours", "points": "points",
                       "eur_per_contact": "EUR per contact"}[spec["unit"]]}
    return specs


def _charts(history, sites, kpi_ids, period, contract, settings, catalogue=None):
    """``(site, kpi, chart)`` for every site x KPI with a chart (at least 2 months of data)."""
    for site in sites:
        for kpi_id in kpi_ids:
            chart = control_chart(history, site, kpi_id, period=period, contract=contract,
                                  settings=settings, bounds=kpi_bounds(catalogue, kpi_id))
            if not chart.empty:
                yield site, kpi_id, chart
