"""Control charts (XmR) that tell a real shift from noise.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from toolkit.errors import ParameterError


def xmr(values: pd.Series, baseline: int | None = None) -> pd.DataFrame:
    """XmR (individuals and moving range) chart limits and special-cause signals.

    Centre line = mean; sigma = mR-bar / 1.128 (d2 for ranges of 2); limits = centre +- 3
    sigma, computed on the whole series or, with ``baseline = n``, on its last ``n`` points
    only (the recent, stable phase: a provider's go-live ramp would otherwise inflate the
    limits and put every later month on one side of the centre line). The rules are then
    read on every point. Rules (Western Electric), each a boolean column, True on every
    point that takes part in the pattern:

    - ``beyond_3s``: a point beyond a 3-sigma limit;
    - ``run_8``: 8 or more consecutive points on the same side of the centre line (a point
      on the line breaks the run);
    - ``two_of_three_2s``: 2 of 3 consecutive points beyond 2 sigma on the same side.

    NaN values are dropped (a month without data has no point). Needs at least 2 values.
    """
    v = pd.Series(values, dtype=float).dropna()
    if len(v) < 2:
        raise ParameterError("values", f"{len(v)} value(s)", "at least 2 values for an XmR chart")
    x = v.to_numpy()
    mr = np.abs(np.diff(x))
    base = x if baseline is None or baseline >= len(x) else x[-max(int(baseline), 2):]
    centre = float(base.mean())
    sigma = float(np.abs(np.diff(base)).mean() / 1.128)
    rules = special_causes(x, centre, sigma)
    return pd.DataFrame({"value": x, "moving_range": np.r_[np.nan, mr], "centre": centre,
                         "sigma": sigma, "ucl": centre + 3 * sigma, "lcl": centre - 3 * sigma,
                         "upper_2s": centre + 2 * sigma, "lower_2s": centre - 2 * sigma,
                         **rules, "signal": rules["beyond_3s"] | rules["run_8"]
                         | rules["two_of_three_2s"]}, index=v.index)


def special_causes(x, centre: float, sigma: float) -> dict[str, np.ndarray]:
    """The three special-cause rules of ``xmr`` for values ``x`` around given limits."""
    x = np.asarray(x, dtype=float)
    beyond = (x > centre + 3 * sigma) | (x < centre - 3 * sigma)
    side = np.sign(x - centre)
    run8 = np.zeros(len(x), bool)
    start = 0
    for i in range(1, len(x) + 1):  # walk runs of equal side; a point on the line is side 0
        if i == len(x) or side[i] != side[start]:
            if side[start] != 0 and i - start >= 8:
                run8[start:i] = True
            start = i
    two3 = np.zeros(len(x), bool)
    for beyond_2s in (x > centre + 2 * sigma, x < centre - 2 * sigma):
        for i in range(len(x) - 2):
            if beyond_2s[i:i + 3].sum() >= 2:
                two3[i:i + 3] |= beyond_2s[i:i + 3]
    return {"beyond_3s": beyond, "run_8": run8, "two_of_three_2s": two3}


def kpi_series(history: pd.DataFrame, site: str, kpi_id: str) -> pd.Series:
    """Monthly values of one contracted KPI of one site (index = month), NaN kept."""
    g = history[(history["site"] == site) & (history["kpi"] == kpi_id)]
    return g.set_index("month")["value"].sort_index()


def control_chart_specs(history: pd.DataFrame, sites: Iterable[str], kpi_ids: Iterable[str],
                        catalogue: dict, baseline_months: int | None = 12) -> dict[str, dict]:
    """XmR charts for ``plots.xmr_grid``: one panel per (site, KPI) with at least 2 months of
    data, titled with its finding (special-cause months or "in control"). Limits come from the
    last ``baseline_months`` months (None: all). With one site the titles leave out the site
    id (the figure title carries it): long ids overran the panel."""
    specs = {}
    sites = list(sites)
    for site in sites:
        for kpi_id in kpi_ids:
            series = kpi_series(history, site, kpi_id).dropna()
            if len(series) < 2:
                continue
            chart = xmr(series, baseline=baseline_months)
            spec = catalogue["kpis"][kpi_id]
            flagged = list(chart.index[chart["signal"]])
            # Panels sit two to a row: a title listing many months runs into its neighbour's,
            # so beyond two months the title gives the count and the latest one.
            if not flagged:
                finding = "in statistical control"
            elif len(flagged) <= 2:
                finding = f"special cause in {', '.join(flagged)}"
            else:
                finding = f"{len(flagged)} special-cause months, latest {flagged[-1]}"
            rows = history[(history["site"] == site) & (history["kpi"] == kpi_id)]
            lo, hi = rows["target_low"].iloc[0], rows["target_high"].iloc[0]
            target = lo if spec["direction"] == "higher" else hi if spec["direction"] == "lower" else None
            prefix = f"{site} · " if len(sites) > 1 else ""
            specs[f"{prefix}{kpi_id}: {finding}"] = {
                "chart": chart, "percent": spec["unit"] == "fraction", "target": target,
                "ylabel": {"fraction": "% ", "seconds": "seconds", "points": "points",
                           "eur_per_contact": "EUR per contact"}[spec["unit"]].strip()}
    return specs
