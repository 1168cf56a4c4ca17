"""Service credits as the contract says: at-risk amount, trigger, allocations, caps, earn-back.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from toolkit.kpi.definitions import month_range, parse_period
from toolkit.kpi.scorecard import contracted_kpis


def invoices(reports: pd.DataFrame) -> pd.DataFrame:
    """The monthly invoice per site (``site, month, invoice_eur``) from provider reports."""
    return pd.DataFrame({"site": reports["site"].astype(str),
                         "month": reports["month"].astype(str),
                         "invoice_eur": pd.to_numeric(reports["invoice_eur"], errors="coerce")})


def service_credits(kpis_long: pd.DataFrame, invoice_table: pd.DataFrame, contract: dict,
                    catalogue: dict, period: str, *, sites: Iterable[str] | None = None
                    ) -> pd.DataFrame:
    """Service credits per site, month and credited KPI, as known at the end of ``period``.

    Mechanics (FACTS 4.1; each clause documented in the contract file), in this order:

    1. at risk = invoice of the month x ``at_risk_pct``;
    2. trigger: a credited KPI fails when it misses its contractual minimum ``red_floor``
       (``below_floor``; the amber band plays no part) or its target (``below_target``);
       ``no data`` fails unless ``missing_data: ignore``;
    3. tolerance bands (``credit_bands``): a miss by more than ``over`` credits ``share``
       of the allocation (default: any miss, the whole allocation);
       gross credit = at risk x ``credit_allocation`` x share, at most at risk x the KPI's
       ``credit_cap_pct`` (allocations may add up to more than the at-risk amount, within
       ``pool_pct``);
    4. the month's credits are capped at at-risk x ``monthly_cap_pct`` (<= 1), scaled pro
       rata;
    5. earn-back: a credit is waived if the KPI meets its target in each of the next N months
       (``consecutive_target``) or meets ``earn_back_target`` over the next N months pooled
       (``higher_target``); while those months are not all known it is ``pending``;
    6. annual cap: credits not waived, taken in month order, stop at ``annual_cap_eur`` and
       never exceed the at-risk amounts of the calendar year's months so far.

    Returns one row per (site, month, KPI) with ``status``, ``value``, ``trigger``,
    ``shortfall`` (the miss in the KPI's unit), ``band_share``, ``invoice_eur``, ``at_risk_eur``,
    ``gross_credit_eur``, ``capped_credit_eur``, ``earn_back`` (``n/a``, ``not failed``,
    ``pending``, ``waived``, ``due``), ``credit_eur`` (what the client deducts: due and
    pending credits after the annual cap), ``currency`` and ``price_year``. A month without
    an invoice has NaN money and earn-back ``no invoice``.
    """
    period = parse_period(period)
    history = contracted_kpis(kpis_long, contract, catalogue, through=period)
    history = history[history["month"] <= period]
    inv = invoice_table.drop_duplicates(["site", "month"]).set_index(["site", "month"])
    rows = []
    for site, terms in contract["providers"].items():
        if sites is not None and site not in set(sites):
            continue
        scheme = terms["credits"]
        if scheme is None or not scheme["allocations"]:
            continue
        h = history[history["site"] == site]
        months = sorted(set(h["month"]))
        status = h.pivot(index="month", columns="kpi", values="status")
        rows.extend(_site_credits(site, terms, scheme, h, status, months, inv, period,
                                  contract["currency"]))
    columns = ["site", "provider", "month", "kpi", "status", "value", "trigger", "shortfall",
               "band_share", "allocation", "invoice_eur",
               "at_risk_eur", "gross_credit_eur", "capped_credit_eur", "earn_back",
               "credit_eur", "currency", "price_year"]
    return pd.DataFrame(rows, columns=columns)


def shortfall(value, terms: dict, trigger: str) -> float:
    """How far ``value`` misses the trigger threshold of a KPI, in the KPI's unit (<= 0: met).

    ``below_floor``: the contractual minimum ``red_floor`` (a ceiling for lower-is-better,
    outer limits for a band); ``below_target``: the target. The threshold itself is met.
    """
    threshold = terms["red_floor"] if trigger == "below_floor" else terms["target"]
    if value is None or not np.isfinite(value):
        return np.nan
    if terms["direction"] == "higher":
        gap = threshold - value
    elif terms["direction"] == "lower":
        gap = value - threshold
    else:
        gap = max(threshold[0] - value, value - threshold[1])
    return float(np.round(gap, 12))


def band_share(gap: float, bands: list[tuple[float, float]]) -> float:
    """Share of the allocation credited for a miss of ``gap``: the last band whose ``over``
    the miss exceeds (0 when it exceeds none: inside the tolerance, or met)."""
    gap = np.asarray(gap, dtype=float)
    share = np.zeros(gap.shape)
    for over, s in bands:
        share = np.where(gap > over, s, share)
    return float(share) if share.ndim == 0 else share


def _site_credits(site, terms, scheme, h, status, months, inv, period, currency) -> list[dict]:
    earn = scheme["earn_back"]
    values = h.pivot(index="month", columns="kpi", values="value")
    rows = []
    annual_used: dict[str, float] = {}
    annual_room: dict[str, float] = {}
    for month in months:
        invoice = inv["invoice_eur"].get((site, month), np.nan)
        at_risk = invoice * scheme["at_risk_pct"]
        year = month[:4]
        # the annual cap never exceeds the at-risk amounts of the year's months so far
        annual_room[year] = annual_room.get(year, 0.0) + (at_risk if np.isfinite(at_risk) else 0)
        share, gaps, gross = {}, {}, {}
        for k, alloc in scheme["allocations"].items():
            t = terms["kpis"][k]
            gaps[k] = shortfall(values.at[month, k], t, scheme["trigger"])
            if np.isnan(gaps[k]):  # no data: the whole allocation unless the contract ignores it
                share[k] = 1.0 if scheme["missing_data"] == "fail" else 0.0
            else:
                share[k] = band_share(gaps[k], t["credit_bands"])
            gross[k] = min(at_risk * alloc * share[k], at_risk * t["credit_cap_pct"])
        total = sum(gross.values())
        cap = at_risk * scheme["monthly_cap_pct"]
        scale = min(1.0, cap / total) if total > 0 else 1.0
        for kpi_id, alloc in scheme["allocations"].items():
            capped = gross[kpi_id] * scale
            if not np.isfinite(invoice):
                verdict = "no invoice"
            elif share[kpi_id] <= 0:
                verdict = "not failed"
            elif earn is None:
                verdict = "n/a"
            else:
                verdict = _earn_back(h, terms["kpis"][kpi_id], kpi_id, month, earn, period)
            credit = capped if verdict in ("n/a", "pending", "due") else 0.0
            if np.isfinite(credit) and credit > 0:
                limit = annual_room[year]
                if scheme["annual_cap_eur"] is not None:
                    limit = min(limit, scheme["annual_cap_eur"])
                credit = min(credit, max(0.0, limit - annual_used.get(year, 0.0)))
                annual_used[year] = annual_used.get(year, 0.0) + credit
            rows.append({"site": site, "provider": terms["provider"], "month": month,
                         "kpi": kpi_id, "status": status.at[month, kpi_id],
                         "value": values.at[month, kpi_id], "trigger": scheme["trigger"],
                         "shortfall": gaps[kpi_id], "band_share": share[kpi_id],
                         "allocation": alloc, "invoice_eur": invoice, "at_risk_eur": at_risk,
                         "gross_credit_eur": gross[kpi_id], "capped_credit_eur": capped,
                         "earn_back": verdict,
                         "credit_eur": credit if np.isfinite(invoice) else np.nan,
                         "currency": currency, "price_year": int(month[:4])})
    return rows


def _earn_back(h: pd.DataFrame, t: dict, kpi_id: str, month: str, earn: dict, period: str
               ) -> str:
    """``waived``, ``due`` or ``pending`` for a credit of ``kpi_id`` in ``month``."""
    window = month_range(str(pd.Period(month, "M") + 1), str(pd.Period(month, "M") + earn["months"]))
    known = [m for m in window if m <= period]
    g = h[(h["kpi"] == kpi_id) & h["month"].isin(known)].set_index("month")
    if earn["rule"] == "consecutive_target":
        statuses = [g["status"].get(m, "no data") for m in known]
        if any(s != "green" for s in statuses):
            return "due"
        return "waived" if len(known) == len(window) else "pending"
    if len(known) < len(window):
        return "pending"
    if g["value"].isna().any() or len(g) < len(window):
        return "due"  # a month without data cannot earn the credit back
    den = g["denominator"].sum()
    pooled = g["numerator"].sum() / den if den > 0 else np.nan
    goal = t["earn_back_target"]
    met = pooled >= goal if t["direction"] == "higher" else pooled <= goal
    return "waived" if met else "due"


def credits_by_month(credits: pd.DataFrame) -> pd.DataFrame:
    """Credits per site and month: invoice, at risk, credit due, pending and waived (EUR)."""
    if credits.empty:
        return pd.DataFrame(columns=["site", "provider", "month", "invoice_eur", "at_risk_eur",
                                     "credit_due_eur", "credit_pending_eur", "waived_eur"])
    c = credits.assign(
        _due=credits["credit_eur"].where(credits["earn_back"].isin(["due", "n/a"]), 0.0),
        _pending=credits["credit_eur"].where(credits["earn_back"] == "pending", 0.0),
        _waived=credits["capped_credit_eur"].where(credits["earn_back"] == "waived", 0.0))
    return (c.groupby(["site", "provider", "month"], as_index=False)
            .agg(invoice_eur=("invoice_eur", "first"), at_risk_eur=("at_risk_eur", "first"),
                 credit_due_eur=("_due", "sum"), credit_pending_eur=("_pending", "sum"),
                 waived_eur=("_waived", "sum"), currency=("currency", "first")))
