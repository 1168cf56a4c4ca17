"""What the provider committed to: the contract file, its thresholds and the RAG rule.

Status rules (one place, used everywhere):

- green: the target is met (``>= target`` for higher-is-better, ``<= target`` for
  lower-is-better, inside ``[low, high]`` for a band);
- amber: the target is missed by no more than ``amber_tolerance`` *and* the ``red_floor`` (the
  contractual minimum; a ceiling for lower-is-better KPIs, outer limits for a band) is not
  crossed — the stricter of the two bounds wins;
- red: anything worse;
- no data: the month has no value (missing report, no traffic, KPI not reported). It is never
  green, it scores 0 in the objective summary and counts as a failure for service credits
  unless the contract says ``missing_data: ignore``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ParameterError
from toolkit.kpi.definitions import _PERIOD, _number, _pair, _read_yaml

#: Top-level sections of a contract file.
TOP_LEVEL_KEYS = ("contract", "providers")
#: Fields of one KPI's terms in a provider's contract.
KPI_TERM_KEYS = ("definition", "target", "amber_tolerance", "red_floor", "weight",
                 "credit_allocation", "credit_cap_pct", "credit_bands", "earn_back_target")
#: When a credited KPI fails: it misses its contractual minimum, or its target.
TRIGGERS = ("below_floor", "below_target")
#: Fields of one provider's terms.
PROVIDER_KEYS = ("provider", "engagement_form", "effective_from", "phases", "kpis",
                 "service_credits")
#: Engagement forms (engagement_forms.yaml) and the objective whose KPIs the provider of a
#: hosted-seats site answers for; every other KPI measures the company's own agents there.
FORMS = ("INHOUSE", "FULL", "HOSTED", "INSOURCE", "BOT", "CAPTIVE")
PLATFORM_OBJECTIVE = "platform"


def _reject_unknown_fields(mapping: dict, allowed: set, where: str, path) -> None:
    """A contract entry may only use the fields the toolkit reads (a typo is not ignored)."""
    extra = set(mapping) - allowed
    if extra:
        raise DataError(f"{where}: unknown field(s) {sorted(map(str, extra))}", file=path,
                        expected=", ".join(sorted(allowed)))


def load_contract(path: str | os.PathLike, catalogue: dict) -> dict:
    """Read and validate a contract/objectives file against the KPI catalogue.

    Checks every provider's KPIs exist in the catalogue, definitions are known variants,
    thresholds are ordered the right way for the KPI's direction, and the service-credit
    scheme adds up (allocations within the pool, percentages given as fractions). Errors
    name the file, provider, KPI and the valid values.

    Returns a normalised dict: ``{"file", "name", "client", "currency", "providers":
    {site: {"provider", "effective_from", "kpis": {kpi: {...}}, "credits": {...}}}}``.
    """
    path = Path(path)
    raw = _read_yaml(path)
    _reject_unknown_fields(raw, set(TOP_LEVEL_KEYS), "the contract file's top level", path)
    header = raw.get("contract") or {}
    if not isinstance(header, dict):
        raise DataError("'contract' must be a mapping (name, client, currency, measurement)",
                        file=path, column="contract")
    providers = raw.get("providers")
    if not isinstance(providers, dict) or not providers:
        raise DataError("no 'providers' section (a mapping site id -> provider terms)",
                        file=path, expected="providers: {SITE-ID: {provider, kpis, ...}}")
    out = {"file": str(path), "name": header.get("name", path.stem),
           "client": header.get("client", ""), "currency": header.get("currency", "EUR"),
           "providers": {}}
    known = catalogue["kpis"]
    for site, terms in providers.items():
        if not isinstance(terms, dict):
            raise DataError(f"provider '{site}': terms must be a mapping", file=path)
        _reject_unknown_fields(terms, set(PROVIDER_KEYS), f"provider '{site}'", path)
        for section in ("kpis", "service_credits"):
            if terms.get(section) is not None and not isinstance(terms[section], dict):
                raise DataError(f"provider '{site}': '{section}' must be a mapping, not "
                                f"{type(terms[section]).__name__}", file=path, column=section,
                                expected=f"{section}: {{KEY: value, ...}}")
        kpis = terms.get("kpis") or {}
        if not kpis:
            raise DataError(f"provider '{site}' tracks no KPIs", file=path,
                            expected="a 'kpis' mapping with at least one of "
                            + ", ".join(known))
        effective = terms.get("effective_from")
        if effective is not None and not _PERIOD.fullmatch(str(effective)):
            raise DataError(f"provider '{site}': effective_from '{effective}' is not a month",
                            file=path, expected="YYYY-MM, e.g. '2024-06' (quoted)")
        phases = _validate_phases(path, site, terms.get("phases"), effective)
        norm_kpis = {kpi_id: _validate_kpi_terms(path, site, kpi_id, kpi_terms, known)
                     for kpi_id, kpi_terms in kpis.items()}
        form = terms.get("engagement_form", "FULL")
        if form not in FORMS:
            raise DataError(f"provider '{site}': engagement_form '{form}' is unknown", file=path,
                            column="engagement_form", expected=", ".join(FORMS))
        credits = _validate_credits(path, site, terms.get("service_credits"), norm_kpis, known)
        if form == "HOSTED" and credits is not None and not credits["agent_performance_credits"]:
            agents = [k for k in credits["allocations"]
                      if known[k]["objective"] != PLATFORM_OBJECTIVE]
            if agents:
                raise DataError(
                    f"provider '{site}' is hosted seats (the company employs the agents) but "
                    f"carries credits on agent performance {agents}", file=path,
                    column="credit_allocation",
                    expected="credits on platform indicators ("
                    + ", ".join(k for k, v in known.items()
                                if v["objective"] == PLATFORM_OBJECTIVE)
                    + "), or 'agent_performance_credits: true' in service_credits when the "
                    "contract really makes the provider answer for them")
        out["providers"][str(site)] = {
            "provider": terms.get("provider", str(site)), "engagement_form": form,
            "effective_from": None if effective is None else str(effective),
            "phases": phases, "kpis": norm_kpis, "credits": credits}
    return out


def _validate_phases(path, site, phases, effective) -> list[dict]:
    """Phase breaks (go-live ramp, contract change): ``[{from: YYYY-MM, name, ramp}]`` in
    month order. Control charts set limits per phase; a ramp phase gets none."""
    if phases is None:
        return []
    where = f"provider '{site}', phases"
    if not isinstance(phases, list) or not phases:
        raise DataError(f"{where}: must be a list of breaks", file=path, column="phases",
                        expected="[{from: 'YYYY-MM', name: go-live, ramp: true}, ...]")
    out = []
    for i, p in enumerate(phases, 1):
        if not isinstance(p, dict):
            raise DataError(f"{where}: break {i} is not a mapping", file=path, column="phases",
                            expected="{from: 'YYYY-MM', name: ..., ramp: false}")
        _reject_unknown_fields(p, {"from", "name", "ramp"}, f"{where}, break {i}", path)
        start, name, ramp = str(p.get("from", "")), p.get("name"), p.get("ramp", False)
        if not _PERIOD.fullmatch(start):
            raise DataError(f"{where}, break {i}: from '{p.get('from')}' is not a month",
                            file=path, column="phases.from", expected="'YYYY-MM' (quoted)")
        if not isinstance(name, str) or not name.strip():
            raise DataError(f"{where}, break {i} has no name", file=path, column="phases.name",
                            expected="a label, e.g. 'go-live ramp', 'contract amendment 2'")
        if not isinstance(ramp, bool):
            raise DataError(f"{where}, break {i}: ramp {ramp!r} is not true/false", file=path,
                            column="phases.ramp")
        if out and start <= out[-1]["from"]:
            raise DataError(f"{where}, break {i}: {start} is not after {out[-1]['from']}",
                            file=path, column="phases.from", expected="breaks in month order")
        if name in {q["name"] for q in out}:
            raise DataError(f"{where}: the name '{name}' is used twice", file=path,
                            column="phases.name", expected="one name per phase")
        out.append({"from": start, "name": name, "ramp": ramp})
    return out


def _validate_kpi_terms(path, site, kpi_id, terms, known) -> dict:
    where = f"provider '{site}', KPI '{kpi_id}'"
    if kpi_id not in known:
        raise DataError(f"{where} is not in the KPI catalogue", file=path,
                        expected="one of " + ", ".join(known))
    spec = known[kpi_id]
    terms = dict(terms or {})
    _reject_unknown_fields(terms, set(KPI_TERM_KEYS), where, path)
    definition = terms.get("definition", spec["default_variant"])
    if definition not in spec["variants"]:
        raise DataError(f"{where}: definition '{definition}' is unknown", file=path,
                        column="definition", expected=", ".join(spec["variants"]))
    direction = spec["direction"]
    target = terms.get("target")
    tolerance = terms.get("amber_tolerance", 0.0)
    floor = terms.get("red_floor")
    if target is None:
        raise DataError(f"{where} has no target", file=path, column="target",
                        expected="a number (a [low, high] pair for band KPIs)")
    if direction == "band":
        target = _pair(path, where, "target", target)
        floor = None if floor is None else _pair(path, where, "red_floor", floor)
        if floor is not None and not (floor[0] <= target[0] and target[1] <= floor[1]):
            raise DataError(f"{where}: red_floor {list(floor)} must enclose the target band "
                            f"{list(target)}", file=path, column="red_floor")
    else:
        target = _number(path, where, "target", target)
        if floor is not None:
            floor = _number(path, where, "red_floor", floor)
            wrong = floor > target if direction == "higher" else floor < target
            if wrong:
                side = "at or below" if direction == "higher" else "at or above"
                raise DataError(f"{where}: red_floor {floor} must be {side} the target "
                                f"{target} ({direction} is better)", file=path,
                                column="red_floor")
    tolerance = _number(path, where, "amber_tolerance", tolerance)
    if tolerance < 0:
        raise DataError(f"{where}: amber_tolerance {tolerance} is negative", file=path,
                        column="amber_tolerance", expected="a margin >= 0 in the KPI's unit")
    if spec["unit"] == "fraction" and direction != "band" and not 0 <= target <= 1:
        raise DataError(f"{where}: target {target} is not a fraction", file=path,
                        column="target", expected="a value in [0, 1], e.g. 0.80 for 80 %")
    weight = _number(path, where, "weight", terms.get("weight", 1.0))
    allocation = _number(path, where, "credit_allocation", terms.get("credit_allocation", 0.0))
    if weight < 0 or allocation < 0:
        raise DataError(f"{where}: weight and credit_allocation must be >= 0", file=path)
    earn_back_target = terms.get("earn_back_target")
    if earn_back_target is not None:
        earn_back_target = _number(path, where, "earn_back_target", earn_back_target)
        if direction == "band":
            raise DataError(f"{where}: earn_back_target is not supported for band KPIs",
                            file=path, column="earn_back_target")
        stricter = (earn_back_target >= target if direction == "higher"
                    else earn_back_target <= target)
        if not stricter:
            raise DataError(f"{where}: earn_back_target {earn_back_target} is not stricter "
                            f"than the target {target}", file=path, column="earn_back_target",
                            expected=("a value >= target" if direction == "higher"
                                      else "a value <= target"))
    cap = _number(path, where, "credit_cap_pct", terms.get("credit_cap_pct", min(allocation, 1.0)))
    if not 0 <= cap <= 1:
        raise DataError(f"{where}: credit_cap_pct {cap} is above the at-risk amount", file=path,
                        column="credit_cap_pct",
                        expected="a fraction of the month's at-risk amount in [0, 1]")
    return {"definition": definition, "direction": direction, "target": target,
            "amber_tolerance": tolerance, "red_floor": floor, "weight": weight,
            "credit_allocation": allocation, "earn_back_target": earn_back_target,
            "credit_cap_pct": cap,
            "credit_bands": _validate_bands(path, where, terms.get("credit_bands"))}


def _validate_bands(path, where, bands) -> list[tuple[float, float]]:
    """Tolerance bands of a credited KPI: ``[{over, share}]`` — a miss of the trigger
    threshold by more than ``over`` (in the KPI's unit) credits ``share`` of the KPI's
    allocation. Default: any miss credits the whole allocation."""
    if bands is None:
        return [(0.0, 1.0)]
    if not isinstance(bands, list) or not bands:
        raise DataError(f"{where}: credit_bands must be a list", file=path,
                        column="credit_bands",
                        expected="[{over: 0.0, share: 0.5}, {over: 0.05, share: 1.0}]")
    out = []
    for i, band in enumerate(bands, 1):
        if not isinstance(band, dict):
            raise DataError(f"{where}: credit band {i} is not a mapping", file=path,
                            column="credit_bands", expected="{over: 0.02, share: 0.5}")
        _reject_unknown_fields(band, {"over", "share"}, f"{where}, credit band {i}", path)
        over = _number(path, where, "credit_bands.over", band.get("over"))
        share = _number(path, where, "credit_bands.share", band.get("share"))
        if over < 0 or not 0 <= share <= 1 or (out and over <= out[-1][0]):
            raise DataError(f"{where}: credit band {i} {{over: {over:g}, share: {share:g}}} "
                            "is out of order or range", file=path, column="credit_bands",
                            expected="over >= 0 increasing from band to band, share in [0, 1]")
        out.append((over, share))
    return out


def _validate_credits(path, site, scheme, kpis, known) -> dict | None:
    allocated = {k: t["credit_allocation"] for k, t in kpis.items() if t["credit_allocation"] > 0}
    if scheme is None:
        if allocated:
            raise DataError(f"provider '{site}': KPIs carry credit_allocation but there is no "
                            "service_credits scheme", file=path,
                            expected="service_credits: {at_risk_pct, pool_pct, ...}")
        return None
    where = f"provider '{site}', service_credits"
    _reject_unknown_fields(scheme, {"at_risk_pct", "pool_pct", "trigger", "monthly_cap_pct",
                                    "annual_cap_eur", "missing_data", "earn_back",
                                    "agent_performance_credits"}, where, path)
    agent_credits = scheme.get("agent_performance_credits", False)
    if not isinstance(agent_credits, bool):
        raise DataError(f"{where}: agent_performance_credits {agent_credits!r} is not "
                        "true/false", file=path, column="agent_performance_credits")
    at_risk = _number(path, where, "at_risk_pct", scheme.get("at_risk_pct"))
    if not 0 < at_risk <= 1:
        raise DataError(f"{where}: at_risk_pct {at_risk} is not a fraction of the invoice",
                        file=path, column="at_risk_pct",
                        expected="a fraction in (0, 1], e.g. 0.10 for 10 % of monthly fees")
    pool = _number(path, where, "pool_pct", scheme.get("pool_pct"))
    if not 0 < pool <= 10:
        raise DataError(f"{where}: pool_pct {pool} is out of range", file=path,
                        column="pool_pct",
                        expected="a multiple of the at-risk amount in (0, 10], e.g. 2.5 for 250 %")
    total = sum(allocated.values())
    if total > pool + 1e-9:
        raise DataError(f"{where}: credit allocations add up to {total:g} ({allocated}) > "
                        f"pool_pct {pool:g}", file=path, column="credit_allocation",
                        expected="sum of allocations <= pool_pct")
    trigger = scheme.get("trigger")
    if trigger not in TRIGGERS:
        hint = {"red": " ('red' let the amber band override the contractual floor)",
                "missed_target": " (now 'below_target')"}.get(trigger, "")
        raise DataError(f"{where}: trigger {trigger!r} is unknown{hint}", file=path,
                        column="trigger", expected="below_floor (credit when the KPI misses "
                        "its contractual minimum red_floor) or below_target")
    if trigger == "below_floor":
        lacking = [k for k in allocated if kpis[k]["red_floor"] is None]
        if lacking:
            raise DataError(f"{where}: trigger below_floor needs a red_floor on the credited "
                            f"KPIs {lacking}", file=path, column="red_floor",
                            expected="red_floor: the contractual minimum of each credited KPI")
    missing = scheme.get("missing_data", "fail")
    if missing not in ("fail", "ignore"):
        raise DataError(f"{where}: missing_data '{missing}' is unknown", file=path,
                        column="missing_data", expected="fail, ignore")
    monthly_cap = _number(path, where, "monthly_cap_pct", scheme.get("monthly_cap_pct", 1.0))
    if not 0 < monthly_cap <= 1:
        raise DataError(f"{where}: monthly_cap_pct {monthly_cap} is above the at-risk amount",
                        file=path, column="monthly_cap_pct",
                        expected="a fraction of the month's at-risk amount in (0, 1]")
    annual_cap = scheme.get("annual_cap_eur")
    if annual_cap is not None:
        annual_cap = _number(path, where, "annual_cap_eur", annual_cap)
        if annual_cap < 0:
            raise DataError(f"{where}: annual_cap_eur is negative", file=path)
    earn_back = scheme.get("earn_back")
    if earn_back is not None:
        rule = earn_back.get("rule")
        if rule not in ("consecutive_target", "higher_target"):
            raise DataError(f"{where}: earn_back rule '{rule}' is unknown", file=path,
                            column="earn_back.rule",
                            expected="consecutive_target, higher_target")
        months = earn_back.get("months")
        if not isinstance(months, int) or isinstance(months, bool) or months < 1:
            raise DataError(f"{where}: earn_back months {months!r} is not a positive integer",
                            file=path, column="earn_back.months")
        if rule == "higher_target":
            lacking = [k for k in allocated if kpis[k]["earn_back_target"] is None]
            if lacking:
                raise DataError(f"{where}: higher_target earn-back needs earn_back_target on "
                                f"credited KPIs {lacking}", file=path,
                                column="earn_back_target")
        earn_back = {"rule": rule, "months": months}
    return {"at_risk_pct": at_risk, "pool_pct": pool, "trigger": trigger,
            "monthly_cap_pct": monthly_cap, "annual_cap_eur": annual_cap,
            "missing_data": missing, "earn_back": earn_back, "allocations": allocated,
            "agent_performance_credits": agent_credits}


def contract_table(contract: dict, catalogue: dict) -> pd.DataFrame:
    """One row per (site, KPI) of the contract: definition, thresholds, weight, allocation."""
    rows = []
    for site, terms in contract["providers"].items():
        for kpi_id, t in terms["kpis"].items():
            spec = catalogue["kpis"][kpi_id]
            lo, hi, amber_lo, amber_hi = _bounds(t)
            rows.append({"site": site, "provider": terms["provider"], "kpi": kpi_id,
                         "name": spec["name"], "objective": spec["objective"],
                         "unit": spec["unit"], "direction": t["direction"],
                         "source": spec["source"], "definition": t["definition"],
                         "target_low": lo, "target_high": hi, "amber_low": amber_lo,
                         "amber_high": amber_hi, "weight": t["weight"],
                         "credit_allocation": t["credit_allocation"]})
    return pd.DataFrame(rows)


def _bounds(t: dict) -> tuple[float, float, float, float]:
    """Green range and amber range ``(green_low, green_high, amber_low, amber_high)``."""
    tol, floor = t["amber_tolerance"], t["red_floor"]
    if t["direction"] == "higher":
        amber_lo = t["target"] - tol if floor is None else max(t["target"] - tol, floor)
        return t["target"], math.inf, amber_lo, math.inf
    if t["direction"] == "lower":
        amber_hi = t["target"] + tol if floor is None else min(t["target"] + tol, floor)
        return -math.inf, t["target"], -math.inf, amber_hi
    lo, hi = t["target"]
    amber_lo, amber_hi = lo - tol, hi + tol
    if floor is not None:
        amber_lo, amber_hi = max(amber_lo, floor[0]), min(amber_hi, floor[1])
    return lo, hi, amber_lo, amber_hi


def rag_status(actual, green_low, green_high, amber_low, amber_high) -> np.ndarray:
    """Status per value from its green and amber ranges (vectorised); NaN -> ``no data``.

    Values are rounded to 12 decimals first so that a ratio equal to its target on paper
    (80/100 vs 0.80) is not pushed to amber by binary floating point.
    """
    a = np.round(np.asarray(actual, dtype=float), 12)
    g_lo, g_hi = np.round(np.asarray(green_low, float), 12), np.round(np.asarray(green_high, float), 12)
    a_lo, a_hi = np.round(np.asarray(amber_low, float), 12), np.round(np.asarray(amber_high, float), 12)
    return np.select([np.isnan(a), (a >= g_lo) & (a <= g_hi), (a >= a_lo) & (a <= a_hi)],
                     ["no data", "green", "amber"], default="red")


def check_contract_sites(contract: dict, sites: pd.DataFrame, *, file: str | None = None
                         ) -> None:
    """DataError when the contract names a site that sites.csv does not list."""
    known = set(sites["site"].astype(str))
    unknown = [s for s in contract["providers"] if s not in known]
    if unknown:
        raise DataError(f"contract sites {unknown} are not in the sites file {file or ''}".strip(),
                        file=contract["file"], expected="site ids from sites.csv: "
                        + ", ".join(sorted(known)))
    if "engagement_form" in sites.columns:
        forms = dict(zip(sites["site"].astype(str), sites["engagement_form"].astype(str),
                         strict=True))
        for site, terms in contract["providers"].items():
            if forms[site] != terms["engagement_form"]:
                raise DataError(f"provider '{site}': engagement_form {terms['engagement_form']} "
                                f"in the contract, {forms[site]} in the sites file "
                                f"{file or ''}".rstrip(), file=contract["file"],
                                column="engagement_form",
                                expected=f"engagement_form: {forms[site]} (or correct sites.csv)")


def select_sites(contract: dict, provider_site: str | None) -> list[str]:
    """The sites a report covers: one provider site, or all contract sites for None."""
    if provider_site is None:
        return list(contract["providers"])
    if provider_site not in contract["providers"]:
        raise ParameterError("provider_site", provider_site,
                             "None (all providers) or a site in the contract: "
                             + ", ".join(contract["providers"]))
    return [provider_site]
