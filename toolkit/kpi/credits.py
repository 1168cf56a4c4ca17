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

    Mechanics (FACTS 4.1), in this order:

    1. at risk = invoice of the month x ``at_risk_pct``;
    2. a credited KPI fails when its status is red (``trigger: red``) or not green
       (``trigger: missed_target``); ``no data`` fails unless ``missing_data: ignore``;
       gross credit = at risk x the KPI's ``credit_allocation`` (allocations may add up to
       more than 100 % of the at-risk amount, within ``pool_pct``);
    3. the month's credits are capped at at-risk x ``monthly_cap_pct``, scaled pro rata;
    4. earn-back: a credit is waived if the KPI meets its target in each of the next N months
       (``consecutive_target``) or meets ``earn_back_target`` over the next N months pooled
       (``higher_target``); while those months are not all known it is ``pending``;
    5. ``annual_cap_eur``: credits not waived, taken in month order, stop at the cap per
       calendar year.

    Returns one row per (site, month, KPI) with ``status``, ``invoice_eur``, ``at_risk_eur``,
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
    columns = ["site", "provider", "month", "kpi", "status", "allocation", "invoice_eur",
               "at_risk_eur", "gross_credit_eur", "capped_credit_eur", "earn_back",
               "credit_eur", "currency", "price_year"]
    return pd.DataFrame(rows, columns=columns)


def _site_credits(site, terms, scheme, h, status, months, inv, period, currency) -> list[dict]:
    fail_states = {"red"} if scheme["trigger"] == "red" else {"red", "amber"}
    if scheme["missing_data"] == "fail":
        fail_states = fail_states | {"no data"}
    earn = scheme["earn_back"]
    rows = []
    annual_used: dict[str, float] = {}
    for month in months:
        invoice = inv["invoice_eur"].get((site, month), np.nan)
        at_risk = invoice * scheme["at_risk_pct"]
        gross = {k: (at_risk * a if status.at[month, k] in fail_states else 0.0)
                 for k, a in scheme["allocations"].items()}
        total = sum(gross.values())
        cap = at_risk * scheme["monthly_cap_pct"]
        scale = min(1.0, cap / total) if total > 0 else 1.0
        for kpi_id, alloc in scheme["allocations"].items():
            st = status.at[month, kpi_id]
            failed = st in fail_states
            capped = gross[kpi_id] * scale
            if not np.isfinite(invoice):
                verdict = "no invoice"
            elif not failed:
                verdict = "not failed"
            elif earn is None:
                verdict = "n/a"
            else:
                verdict = _earn_back(h, terms["kpis"][kpi_id], kpi_id, month, earn, period)
            credit = capped if verdict in ("n/a", "pending", "due") else 0.0
            if np.isfinite(credit) and credit > 0 and scheme["annual_cap_eur"] is not None:
                year = month[:4]
                room = max(0.0, scheme["annual_cap_eur"] - annual_used.get(year, 0.0))
                credit = min(credit, room)
                annual_used[year] = annual_used.get(year, 0.0) + credit
            rows.append({"site": site, "provider": terms["provider"], "month": month,
                         "kpi": kpi_id, "status": st, "allocation": alloc,
                         "invoice_eur": invoice, "at_risk_eur": at_risk,
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
