"""Costs that fit the engagement form.

A hosted-seats site (``HOSTED``: the company's own agents in a provider's centre) is not a
full outsourcer: the provider answers for seats, platform and incidents, the company for its
people. So its contract carries platform indicators (seat availability, platform uptime,
incident fix time, seat readiness: read and computed with the other KPI sources in
:mod:`toolkit.kpi.definitions`) and — unless the contract says otherwise — no credits on
agent performance (:mod:`toolkit.kpi.contract`); and its cost per contact adds the company's
own costs of the agents to the seat invoice (this module), with the sourcing model's
definition: the run-rate cost lines the company pays in that form
(``engagement_forms.yaml``: agents, supervision, WFM/QA, overheads, recruitment, training),
per productive hour, from ``toolkit.costs`` for the site's location and year.
"""

from __future__ import annotations

import functools

import pandas as pd

#: Forms whose provider runs the agents: the invoice is the whole cost to the company.
PROVIDER_RUN_FORMS = ("FULL", "BOT")
#: Run-rate lines that are never part of a cost per contact (margin is in the invoice;
#: governance is the client's vendor management, one-offs are not run cost).
_NOT_RUN_COST = ("provider_margin", "governance", "transition", "exit")


@functools.lru_cache(maxsize=64)
def own_cost_per_hour(location: str, form: str, year: int) -> tuple[float, tuple[str, ...]]:
    """EUR the company itself pays per productive hour at ``location`` in ``form`` and
    ``year`` (nominal EUR of that year), and the cost lines that make it up — the
    sourcing model's cost engine on one year of even workload."""
    from toolkit import costs

    ref = costs.load_reference()
    payer = ref["forms"][form]["payer"]
    lines = tuple(line for line in costs.LINES
                  if payer.get(line) == "client" and line not in _NOT_RUN_COST)
    if not lines:
        return 0.0, ()
    hours = 1000.0  # any level: the run-rate lines are linear in the workload
    profile = pd.DataFrame({"location": location, "month": range(1, 13),
                            "productive_hours": hours, "contacts": 1.0,
                            "handled_contacts": 1.0, "handled_minutes": 1.0})
    model = costs.build_model(profile=profile, locations=[location], forms=[form],
                              baseline=(location, form), start=f"{year}-01", contract_years=1)
    lines_cost = costs.monthly_costs(model)
    sel = ((lines_cost["location"] == location) & (lines_cost["form"] == form)
           & lines_cost["line"].isin(lines))
    return float(lines_cost.loc[sel, "cost_eur"].sum() / (12 * hours)), lines


def own_costs(reports: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Per site and month, the company's own cost of the productive hours billed (EUR):
    ``site, month, form, own_eur_per_hour, own_cost_eur, lines``; zero for full outsourcing."""
    forms = sites.set_index(sites["site"].astype(str))
    rows = []
    for site, month, hours in zip(reports["site"].astype(str), reports["month"].astype(str),
                                  pd.to_numeric(reports["billed_hours"], errors="coerce"),
                                  strict=True):
        if site not in forms.index:
            continue
        form = str(forms.at[site, "engagement_form"])
        rate, lines = ((0.0, ()) if form in PROVIDER_RUN_FORMS else
                       own_cost_per_hour(str(forms.at[site, "location"]), form, int(month[:4])))
        rows.append({"site": site, "month": month, "form": form, "own_eur_per_hour": rate,
                     "own_cost_eur": rate * hours, "lines": ", ".join(lines)})
    return pd.DataFrame(rows, columns=["site", "month", "form", "own_eur_per_hour",
                                       "own_cost_eur", "lines"])


def with_own_costs(kpis_long: pd.DataFrame, reports: pd.DataFrame, sites: pd.DataFrame
                   ) -> pd.DataFrame:
    """The long KPI table with cost per contact = (invoice + the company's own costs) /
    contacts handled for sites whose form leaves costs with the company (hosted seats)."""
    own = own_costs(reports, sites).set_index(["site", "month"])["own_cost_eur"]
    out = kpis_long.copy()
    cpc = out["kpi"] == "CPC"
    key = pd.MultiIndex.from_arrays([out.loc[cpc, "site"], out.loc[cpc, "month"]])
    extra = own.reindex(key).fillna(0.0).to_numpy()
    out.loc[cpc, "numerator"] = out.loc[cpc, "numerator"].to_numpy() + extra
    den = out.loc[cpc, "denominator"]
    out.loc[cpc, "value"] = out.loc[cpc, "numerator"] / den.where(den > 0)
    return out
