"""Right-sizing audit: did each provider put the hours on the phones that its traffic needed?

Per provider site and month, three figures in productive (logged-in) hours:

- **required**: the staffing engine on the site's actual calls and handle times, at the
  contract's service target (``planning.requirements``: Erlang A with the callers' patience
  estimated from the site's own abandons, ``planning.patience``; occupancy cap from the
  planning basis), summed over intervals;
- **billed**: the hours on the provider's report (``billed_hours``);
- **delivered**: the handled workload (handle hours of the interval data) divided by the
  planning basis's occupancy cap — the logged-in hours that work needed at least.

``billed / required`` well below 1 is the evidence for a staffing demand (the service target
could not be met with those hours); ``billed / delivered`` well above 1 for an invoice
challenge. Required FTE (``planning.fte``, the location's paid time) sizes the demand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from toolkit import present
from toolkit.config import DEFAULT_TIMEZONE
from toolkit.errors import DataError
from toolkit.kpi.definitions import catalogue_settings

#: Contract SL definitions -> the staffing engine's (``toolkit.staffing.SL_DEFINITIONS``).
#: Short abandons are not modelled by Erlang A: both short-abandon variants size as
#: answered-of-offered, the strictest (stated in the audit's notes).
SL_DEFINITION_MAP = {"abandons_as_fail": "answered_of_offered",
                     "abandons_removed": "answered_of_answered",
                     "short_abandons_removed": "answered_of_offered",
                     "short_abandons_as_success": "answered_of_offered"}
AUDIT_COLUMNS = ["site", "provider", "month", "required_hours", "billed_hours",
                 "delivered_hours", "handle_hours", "billed_vs_required",
                 "delivered_vs_required", "billed_vs_delivered", "required_fte", "sl_target",
                 "target_s", "sl_definition", "max_occupancy", "patience_s"]


def site_basis(contract: dict, catalogue: dict, site: str, location: str | None):
    """The planning basis for one provider site, with the contract's service target."""
    from toolkit import planning

    basis = planning.load_basis(location=location, site=site)
    sl = contract["providers"][site]["kpis"].get("SL")
    if sl is None:
        return basis
    return dataclasses.replace(
        basis, sl_target=float(sl["target"]),
        target_s=float(catalogue.get("sl_threshold_s", basis.target_s)),
        sl_definition=SL_DEFINITION_MAP.get(sl["definition"], basis.sl_definition))


def right_sizing(stats: pd.DataFrame, reports: pd.DataFrame, sites: pd.DataFrame,
                 contract: dict, catalogue: dict, period: str, *, months: int | None = None,
                 site_ids=None) -> pd.DataFrame:
    """Required, billed and delivered hours per provider site and month (the ``months``
    ending with ``period``), with their ratios and the required FTE. Columns
    ``AUDIT_COLUMNS``; a month without interval data or report has NaN figures."""
    from toolkit import io, planning

    months = months or int(audit_settings(catalogue)["months"])
    window = [str(m) for m in planning.workload_months(period, months)]
    month = stats["ds"].dt.tz_convert(DEFAULT_TIMEZONE).dt.strftime("%Y-%m")
    locations = dict(zip(sites["site"].astype(str), sites["location"].astype(str),
                         strict=True))
    billed = (reports.assign(month=reports["month"].astype(str),
                             site=reports["site"].astype(str))
              .set_index(["site", "month"])["billed_hours"])
    frames = []
    for site in (site_ids or contract["providers"]):
        if site not in locations:
            raise DataError(f"site '{site}' is not in the sites file", column="site",
                            expected=", ".join(sorted(locations)))
        basis = site_basis(contract, catalogue, site, locations[site])
        s = stats[(stats["site"] == site).to_numpy() & month.isin(window).to_numpy()]
        out = pd.DataFrame({"month": window})
        out["billed_hours"] = [billed.get((site, m), np.nan) for m in window]
        if s.empty:
            out["required_hours"] = out["handle_hours"] = out["required_fte"] = np.nan
            patience_text = ""
        else:
            patience, _ = planning.patience(s, basis, period=period, months=months)
            plan = planning.requirements(io.volumes_from_stats(s), basis, patience_s=patience)
            step_h = planning.interval_minutes(plan) / 60.0
            plan_month = plan["ds"].dt.tz_convert(DEFAULT_TIMEZONE).dt.strftime("%Y-%m")
            required = (plan["agents"] * step_h).groupby(plan_month.to_numpy()).sum()
            handle = (s["handle_time_s"].astype(float) / 3600).groupby(
                month[s.index].to_numpy()).sum()
            fte = planning.fte(plan, basis, location=locations[site], by=())
            fte_month = fte.set_index(fte["period"].dt.strftime("%Y-%m"))["fte"]
            out["required_hours"] = out["month"].map(required)
            out["handle_hours"] = out["month"].map(handle)
            out["required_fte"] = out["month"].map(fte_month)
            patience_text = ", ".join(f"{q} {v:.0f} s" for q, v in sorted(patience.items()))
        out["delivered_hours"] = out["handle_hours"] / basis.max_occupancy
        out = out.assign(site=site, provider=contract["providers"][site]["provider"],
                         sl_target=basis.sl_target, target_s=basis.target_s,
                         sl_definition=basis.sl_definition, max_occupancy=basis.max_occupancy,
                         patience_s=patience_text)
        frames.append(out)
    table = pd.concat(frames, ignore_index=True)
    table["billed_vs_required"] = table["billed_hours"] / table["required_hours"]
    table["delivered_vs_required"] = table["delivered_hours"] / table["required_hours"]
    table["billed_vs_delivered"] = table["billed_hours"] / table["delivered_hours"]
    return table[AUDIT_COLUMNS]


def audit_settings(catalogue: dict | None = None) -> dict:
    """The ``right_sizing`` block of the KPI catalogue (values only)."""
    return catalogue_settings(catalogue, "right_sizing", {
        "months": 12, "staffing_demand_below": 0.95, "invoice_challenge_above": 1.10})


def audit_findings(table: pd.DataFrame, period: str, catalogue: dict | None = None,
                   history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per site for ``period``: the ratios, the month's service level against its
    target (``sl_actual``, from ``history``, the contracted KPIs: ``site, month, kpi, value``)
    and what they call for (``finding``).

    Billed hours short of the requirement call for a staffing demand only when the service
    target was missed too; when it was met, the hours were below the model's need but the
    callers were served: the model may overstate the need, and no demand follows. Without
    ``history`` the service level is unknown and the hours alone decide."""
    cfg = audit_settings(catalogue)
    rows = table[table["month"] == period].copy()
    sl = pd.Series(np.nan, index=rows.index)
    if history is not None and not history.empty:
        h = history[(history["kpi"] == "SL") & (history["month"] == period)]
        sl = rows["site"].map(h.drop_duplicates("site").set_index("site")["value"])
    rows["sl_actual"] = sl.astype(float)
    short = rows["billed_vs_required"] < cfg["staffing_demand_below"]
    met = rows["sl_actual"] >= rows["sl_target"]
    finding = np.select(
        [rows["billed_vs_required"].isna(),
         short & met,
         short,
         rows["billed_vs_delivered"] > cfg["invoice_challenge_above"]],
        ["no data",
         "no staffing demand: fewer hours billed than the model needs, yet the service target "
         "was met (the model may overstate the need)",
         "staffing demand: fewer hours billed than the target needs"
         + pd.Series([f", and service level ({present.percent(a)}) was below its "
                      f"{present.percent(t, decimals=0)} target" if pd.notna(a) else ""
                      for a, t in zip(rows["sl_actual"], rows["sl_target"], strict=True)],
                     index=rows.index, dtype=object).to_numpy(),
         "invoice challenge: more hours billed than the handled work needed"],
        default="hours in line with the target")
    return rows.assign(finding=finding)[["site", "provider", "month", "required_hours",
                                          "billed_hours", "delivered_hours",
                                          "billed_vs_required", "billed_vs_delivered",
                                          "required_fte", "sl_actual", "sl_target", "finding"]]


def audit_title(table: pd.DataFrame, period: str, locale: str = "en_GB") -> str:
    """The chart's title, from the same table: the site furthest below the hours its target
    needs in ``period`` (or that every site billed enough)."""
    from toolkit import present

    month = present.month(period, locale)
    rows = table[(table["month"] == period)].dropna(subset=["billed_vs_required"])
    if rows.empty:
        return f"{month}: no site has both interval data and a billed-hours report"
    worst = rows.sort_values("billed_vs_required").iloc[0]
    ratios = ", ".join(f"{r.site} {present.percent(r.billed_vs_required, locale, 0)}"
                       for r in rows.itertuples())
    if worst["billed_vs_required"] >= 1:
        return f"{month}: every site billed the hours its service target needs ({ratios})"
    return (f"{month}: {worst['site']} billed "
            f"{present.percent(worst['billed_vs_required'], locale, 0)} of the hours "
            f"its service target needs (billed ÷ required: {ratios})")


def audit_chart(table: pd.DataFrame, period: str, *, ncols: int = 2, locale: str = "en_GB"):
    """Required, billed and delivered hours per month, one panel per site, titled with the
    finding of ``audit_title`` (the same table)."""
    from toolkit import plots

    sites = list(dict.fromkeys(table["site"]))
    fig, axes = plots.panel_grid(len(sites), min(ncols, len(sites)), (6, 3.4),
                                 audit_title(table, period, locale))
    for ax, site in zip(axes, sites, strict=True):
        g = table[table["site"] == site].set_index("month")
        lines = g[["required_hours", "billed_hours", "delivered_hours"]].rename(columns={
            "required_hours": "required at the contract target",
            "billed_hours": "billed", "delivered_hours": "delivered (workload ÷ occupancy cap)"})
        plots.category_lines(lines, ax=ax, title=str(site), xlabel="month",
                             ylabel="productive hours")
        ax.get_legend().remove()  # one legend for the figure, under the panels
        ax.set_xticks(range(0, len(lines), 2), [plots.month_label(m) for m in lines.index[::2]],
                      rotation=45)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=3, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    plots.headline(fig, audit_title(table, period, locale))
    return fig
