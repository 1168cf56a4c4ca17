"""The month's scorecard: status, deltas, pooled 12-month average, trend and rank.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ParameterError
from toolkit.kpi.contract import contract_table, rag_status
from toolkit.kpi.definitions import STATUS_POINTS, STATUSES, month_range, parse_period
from toolkit.kpi.trend import monthly_trend, trend_settings


def contracted_kpis(kpis_long: pd.DataFrame, contract: dict, catalogue: dict,
                    *, through: str | None = None) -> pd.DataFrame:
    """Each contracted (site, KPI) under the contract's definition, every month, with status.

    Months before the provider's ``effective_from`` are dropped; months through ``through``
    (default: all) are kept; a site or month absent from the data gets ``no data`` rows.
    """
    terms = contract_table(contract, catalogue)
    months = sorted(set(kpis_long["month"]))
    if through is not None:  # every month up to ``through``, even past the data's end
        first = months[0] if months and months[0] <= through else through
        months = month_range(first, through)
    grid = terms.merge(pd.DataFrame({"month": months}), how="cross")
    out = grid.merge(kpis_long[["site", "month", "kpi", "definition", "value", "numerator",
                                "denominator"]],
                     on=["site", "month", "kpi", "definition"], how="left")
    effective = {s: t["effective_from"] for s, t in contract["providers"].items()}
    keep = [effective[s] is None or m >= effective[s] for s, m in zip(out["site"], out["month"],
                                                                      strict=True)]
    out = out[keep].reset_index(drop=True)
    out["status"] = rag_status(out["value"], out["target_low"], out["target_high"],
                               out["amber_low"], out["amber_high"])
    return out.sort_values(["site", "kpi", "month"], ignore_index=True)


def scorecard(kpis_long: pd.DataFrame, contract: dict, catalogue: dict, period: str, *,
              sites: Iterable[str] | None = None, trend_months: int = 12) -> pd.DataFrame:
    """The month's scorecard: one row per provider site and contracted KPI.

    Columns: identification (site, provider, objective, kpi, name, unit, source, definition),
    ``actual``, green range (``target_low``/``target_high``), amber range, ``status``,
    ``mom_delta`` (actual minus last month), ``avg_12m`` (pooled over the ``trend_months``
    months ending at ``period``: sum of numerators over sum of denominators), ``vs_avg_12m``,
    ``slope_per_month`` (Sen's slope), ``trend`` (improving / worsening when the Mann–Kendall
    test — seasonal Kendall for seasonal KPIs with two years of months — is significant at the
    catalogue's ``trend.alpha``, else "no clear trend"), ``trend_test`` and ``trend_p_value``
    (``toolkit.kpi.trend``), ``rank`` among
    the providers tracking the same KPI under the same definition (1 = best) and
    ``n_ranked``, ``weight``.
    """
    period = parse_period(period)
    history = contracted_kpis(kpis_long, contract, catalogue, through=period)
    if sites is not None:
        sites = list(sites)
        unknown = [s for s in sites if s not in contract["providers"]]
        if unknown:
            raise ParameterError("provider_site", unknown[0] if len(unknown) == 1 else unknown,
                                 "a site in the contract: " + ", ".join(contract["providers"]))
    trend_cfg = trend_settings(catalogue)
    window = set(month_range(str(pd.Period(period, "M") - (trend_months - 1)), period))
    previous = str(pd.Period(period, "M") - 1)
    by_key = {key: g.set_index("month") for key, g in history.groupby(["site", "kpi"])}
    rows = []
    for term in contract_table(contract, catalogue).itertuples(index=False):
        g = by_key.get((term.site, term.kpi))
        if g is None:  # nothing in force yet (effective_from after the period)
            g = pd.DataFrame(columns=["value", "numerator", "denominator", "status"])
        actual = g["value"].get(period, np.nan)
        prev = g["value"].get(previous, np.nan)
        w = g[g.index.isin(window)].dropna(subset=["value"])
        den = w["denominator"].sum()
        avg = w["numerator"].sum() / den if len(w) and den > 0 else np.nan
        trend = "no clear trend"
        found = monthly_trend(g["value"], period, settings=trend_cfg,
                              seasonal=bool(catalogue["kpis"][term.kpi].get("seasonal", False)))
        slope = found["slope"]
        if found["p_value"] < trend_cfg.alpha and slope != 0:
            trend = _trend_word(slope, term.direction, term.target_low, term.target_high,
                                g["value"].dropna().iloc[-1])
        status = g["status"].get(period, "no data")
        rows.append({**term._asdict(), "month": period, "actual": actual, "status": status,
                     "mom_delta": actual - prev, "avg_12m": avg, "vs_avg_12m": actual - avg,
                     "slope_per_month": slope, "trend": trend, "trend_test": found["test"],
                     "trend_p_value": found["p_value"]})
    card = pd.DataFrame(rows)
    if card.empty:
        raise DataError(f"no contracted KPI to score for {period}", file=contract["file"])
    card["rank"], card["n_ranked"] = _ranks(card)
    if sites is not None:
        card = card[card["site"].isin(sites)]
    order = {o: i for i, o in enumerate(catalogue["objectives"])}
    card = card.assign(_o=card["objective"].map(order)).sort_values(["site", "_o", "kpi"])
    return card[SCORECARD_COLUMNS].reset_index(drop=True)


SCORECARD_COLUMNS = ["site", "provider", "month", "objective", "kpi", "name", "unit",
                     "direction", "source", "definition", "actual", "target_low",
                     "target_high", "amber_low", "amber_high", "status", "mom_delta",
                     "avg_12m", "vs_avg_12m", "slope_per_month", "trend", "trend_test",
                     "trend_p_value", "rank", "n_ranked",
                     "weight", "credit_allocation"]


def _trend_word(slope, direction, lo, hi, last) -> str:
    if direction == "higher":
        good = slope > 0
    elif direction == "lower":
        good = slope < 0
    else:  # a band: moving towards the band is improving
        good = (last < lo and slope > 0) or (last > hi and slope < 0)
        if lo <= last <= hi:
            return "no clear trend"
    return "improving" if good else "worsening"


def _ranks(card: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Rank 1 = best among sites with the same KPI and definition and a value this month."""
    badness = np.select(
        [card["direction"] == "higher", card["direction"] == "lower"],
        [-card["actual"], card["actual"]],
        # band: distance outside the green range, 0 inside
        default=np.maximum(card["target_low"] - card["actual"],
                           card["actual"] - card["target_high"]).clip(lower=0))
    badness = pd.Series(badness, index=card.index).where(card["actual"].notna())
    groups = [card["kpi"], card["definition"]]
    rank = badness.groupby(groups).rank(method="min")
    n = badness.notna().groupby(groups).transform("sum")
    return rank.astype("Int64"), n.astype("Int64")


def objective_summary(card: pd.DataFrame) -> pd.DataFrame:
    """Per site and objective: KPIs by status and the weighted score (green 1, amber 0.5,
    red and no data 0), so a missing report pulls the score down instead of hiding."""
    points = card["status"].map(STATUS_POINTS)
    tmp = card.assign(_wp=points * card["weight"])
    counts = (pd.crosstab([tmp["site"], tmp["objective"]], tmp["status"])
              .reindex(columns=list(STATUSES), fill_value=0))
    weights = tmp.groupby(["site", "objective"]).agg(_wp=("_wp", "sum"), _w=("weight", "sum"))
    out = counts.join(weights)
    out["score"] = out["_wp"] / out["_w"].where(out["_w"] > 0)
    out["n_kpis"] = out[list(STATUSES)].sum(axis=1)
    return out.drop(columns=["_wp", "_w"]).reset_index()
