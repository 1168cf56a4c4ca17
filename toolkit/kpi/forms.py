"""SLAs and costs that fit the engagement form.

A hosted-seats site (``HOSTED``: the company's own agents in a provider's centre) is not a
full outsourcer: the provider answers for seats, platform and incidents, the company for its
people. So its contract carries platform indicators (seat availability, platform uptime,
incident fix time, seat readiness) and — unless the contract says otherwise — no credits on
agent performance; and its cost per contact adds the company's own costs of the agents to the
seat invoice, with the sourcing model's definition: the run-rate cost lines the company pays
in that form (``engagement_forms.yaml``: agents, supervision, WFM/QA, overheads, recruitment,
training), per productive hour, from ``toolkit.costs`` for the site's location and year.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import DataError
from toolkit.kpi.definitions import _PERIOD, _require_columns

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


# --------------------------------------------------------------------------- platform reports

#: Columns of ``platform_reports.csv`` (one row per month and hosted-seats site).
PLATFORM_COLUMNS = {
    "month": "reporting month (YYYY-MM)",
    "site": "site id, as in sites.csv",
    "seat_hours_contracted": "seat-hours the contract makes available in the month (hours)",
    "seat_hours_available": "of those, seat-hours actually usable (hours)",
    "platform_minutes_scheduled": "minutes the platform had to be up (opening hours)",
    "platform_minutes_down": "of those, minutes of outage (minutes)",
    "incidents": "incidents closed in the month (count)",
    "incident_fix_hours": "total time to fix those incidents (hours)",
    "seats_requested": "seats requested for the month (additions and moves, count)",
    "seats_ready_on_time": "of those, seats ready on the requested date (count)",
}


def read_platform_reports(path: str | os.PathLike) -> pd.DataFrame:
    """Read and check the hosted-seat provider's monthly platform report (CSV).

    Every count and duration is a finite number >= 0; parts never exceed their whole
    (available <= contracted seat-hours, down <= scheduled minutes, ready <= requested).
    Errors name the file, row (header = row 1), column and what would be right.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path,
                        expected="platform_reports.csv with " + ", ".join(PLATFORM_COLUMNS))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    _require_columns(raw, PLATFORM_COLUMNS, path)
    extra = [c for c in raw.columns if c not in PLATFORM_COLUMNS]
    if extra:
        raise DataError(f"unknown column(s) {extra}", file=path, column=extra[0],
                        expected="only " + ", ".join(PLATFORM_COLUMNS))
    out = pd.DataFrame({"month": raw["month"].str.strip(), "site": raw["site"].str.strip()})
    bad = ~out["month"].str.fullmatch(_PERIOD.pattern)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"'{raw['month'].iloc[i]}' is not a month", file=path, row=i + 2,
                        column="month", expected="YYYY-MM, e.g. 2026-10")
    for col in list(PLATFORM_COLUMNS)[2:]:
        values = pd.to_numeric(raw[col], errors="coerce")
        wrong = ~(np.isfinite(values) & (values >= 0))
        if wrong.any():
            i = int(np.flatnonzero(wrong.to_numpy())[0])
            raise DataError(f"'{raw[col].iloc[i]}' is not a number >= 0", file=path, row=i + 2,
                            column=col, expected=PLATFORM_COLUMNS[col])
        out[col] = values.astype(float)
    for part, whole in (("seat_hours_available", "seat_hours_contracted"),
                        ("platform_minutes_down", "platform_minutes_scheduled"),
                        ("seats_ready_on_time", "seats_requested")):
        wrong = out[part] > out[whole]
        if wrong.any():
            i = int(np.flatnonzero(wrong.to_numpy())[0])
            raise DataError(f"{part} {out[part].iloc[i]:g} exceeds {whole} "
                            f"{out[whole].iloc[i]:g}", file=path, row=i + 2, column=part,
                            expected=f"{part} <= {whole}")
    dup = out.duplicated(["month", "site"], keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError("the same (month, site) is reported twice", file=path, row=i + 2,
                        column="month", expected="one row per month and site")
    return out


def platform_kpis(platform: pd.DataFrame, catalogue: dict) -> pd.DataFrame:
    """Monthly platform KPIs per site (the long KPI table): each KPI's numerator and
    denominator are the linear combinations of report columns the catalogue gives, so months
    pool by their own denominators (seat-hours, scheduled minutes, incidents, requests)."""
    from toolkit.kpi.definitions import _LONG_COLUMNS, STANDARD, _combine

    frames = []
    for kpi_id, spec in catalogue["kpis"].items():
        if spec["source"] != "platform_report":
            continue
        num = _combine(platform, spec["numerator"])
        den = _combine(platform, spec["denominator"])
        frames.append(pd.DataFrame({
            "site": platform["site"].to_numpy(), "month": platform["month"].to_numpy(),
            "kpi": kpi_id, "definition": STANDARD,
            "value": (num / den.where(den > 0)).to_numpy(), "numerator": num.to_numpy(),
            "denominator": den.to_numpy(), "source": "platform_report"}))
    if not frames:
        return pd.DataFrame(columns=_LONG_COLUMNS)
    return pd.concat(frames, ignore_index=True)[_LONG_COLUMNS]
