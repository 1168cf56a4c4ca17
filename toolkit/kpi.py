"""KPI tracking: objectives -> indicators -> targets; scorecards, SLA credits, control charts.

The flow of the monthly report: ``load_catalogue`` (what each KPI means) and ``load_contract``
(what the provider committed to) -> ``monthly_kpis`` from interval data and provider reports
(ratios as sums of numerators over sums of denominators, never averages of ratios) ->
``scorecard`` (RAG status, deltas, trend, rank) -> ``service_credits`` (at-risk amount, pool
allocation, caps, earn-back) -> ``xmr`` control limits and special-cause rules -> summary text.

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

import html
import math
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from toolkit.config import DEFAULT_TIMEZONE, REFERENCE
from toolkit.errors import DataError, ParameterError

CATALOGUE_PATH = REFERENCE / "kpis.yaml"
DIRECTIONS = ("higher", "lower", "band")
SOURCES = ("interval", "provider_report", "derived")
UNITS = ("fraction", "seconds", "points", "eur_per_contact")
STATUSES = ("green", "amber", "red", "no data")
#: Objective-summary points per status: no data scores like red (never a silent pass).
STATUS_POINTS = {"green": 1.0, "amber": 0.5, "red": 0.0, "no data": 0.0}
#: The definition label of KPIs that have no variants.
STANDARD = "standard"

INTERVAL_COLUMNS = ("offered", "answered", "abandoned", "short_abandoned", "answered_in_sl",
                    "handle_time_s", "wait_time_s")
REPORT_COLUMNS = ("fcr", "csat", "qa_score", "conversion_rate", "retention_save_rate",
                  "cross_sell_rate", "attrition_rate", "absenteeism_rate", "nps", "billed_hours",
                  "invoice_eur", "contacts_handled")

#: Interval KPIs per (kpi, definition variant): numerator and denominator as linear
#: combinations {column: coefficient} of the interval counts, summed over the month.
INTERVAL_FORMULAS: dict[tuple[str, str], tuple[dict[str, int], dict[str, int]]] = {
    ("SL", "abandons_as_fail"): ({"answered_in_sl": 1}, {"offered": 1}),
    ("SL", "abandons_removed"): ({"answered_in_sl": 1}, {"answered": 1}),
    ("SL", "short_abandons_as_success"): ({"answered_in_sl": 1, "short_abandoned": 1},
                                          {"offered": 1}),
    ("ASA", STANDARD): ({"wait_time_s": 1}, {"answered": 1}),
    ("ABANDON", "abandons_all"): ({"abandoned": 1}, {"offered": 1}),
    ("ABANDON", "short_abandons_removed"): ({"abandoned": 1, "short_abandoned": -1},
                                            {"offered": 1, "short_abandoned": -1}),
    ("AHT", STANDARD): ({"handle_time_s": 1}, {"answered": 1}),
}
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


# --------------------------------------------------------------------------- catalogue

def load_catalogue(path: str | os.PathLike = CATALOGUE_PATH) -> dict:
    """Read and validate the KPI catalogue (objectives, KPIs, formulas, sources).

    Returns the parsed YAML with ``file`` added; raises DataError naming the KPI and the
    field when an entry is incomplete or uses an unknown unit, direction or source.
    """
    path = Path(path)
    raw = _read_yaml(path)
    objectives = raw.get("objectives") or {}
    kpis = raw.get("kpis") or {}
    if not objectives or not kpis:
        raise DataError("the catalogue needs 'objectives' and 'kpis' sections", file=path)
    for kpi_id, spec in kpis.items():
        where = f"KPI '{kpi_id}'"
        for field in ("name", "objective", "definition", "formula", "unit", "direction",
                      "source"):
            if spec.get(field) in (None, ""):
                raise DataError(f"{where} has no '{field}'", file=path, column=field)
        for field, valid in (("unit", UNITS), ("direction", DIRECTIONS), ("source", SOURCES)):
            if spec[field] not in valid:
                raise DataError(f"{where}: {field} '{spec[field]}' is unknown", file=path,
                                column=field, expected=", ".join(valid))
        if spec["objective"] not in objectives:
            raise DataError(f"{where}: objective '{spec['objective']}' is not declared",
                            file=path, expected=", ".join(objectives))
        variants = spec.get("variants") or {STANDARD: {"formula": spec["formula"]}}
        spec["variants"] = variants
        spec.setdefault("default_variant", next(iter(variants)))
        if spec["default_variant"] not in variants:
            raise DataError(f"{where}: default_variant '{spec['default_variant']}' is not a "
                            "variant", file=path, expected=", ".join(variants))
        if spec["source"] == "interval":
            for variant in variants:
                if (kpi_id, variant) not in INTERVAL_FORMULAS:
                    raise DataError(f"{where}: no interval formula for variant '{variant}'",
                                    file=path, expected=", ".join(
                                        f"{k}/{v}" for k, v in INTERVAL_FORMULAS))
        if spec["source"] == "provider_report":
            columns = spec.get("column")
            columns = [columns] if isinstance(columns, str) else list(columns or [])
            unknown = [c for c in columns if c not in REPORT_COLUMNS]
            if not columns or unknown:
                raise DataError(f"{where}: 'column' must name provider-report columns",
                                file=path, column="column", expected=", ".join(REPORT_COLUMNS))
    raw["file"] = str(path)
    return raw


def catalogue_table(catalogue: dict) -> pd.DataFrame:
    """The catalogue as one row per KPI (for the report's glossary)."""
    rows = []
    for kpi_id, spec in catalogue["kpis"].items():
        rows.append({"kpi": kpi_id, "name": spec["name"], "objective": spec["objective"],
                     "unit": spec["unit"], "direction": spec["direction"],
                     "source": spec["source"], "formula": spec["formula"],
                     "variants": ", ".join(spec["variants"]),
                     "reference": spec.get("reference", "")})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- contract

def _reject_unknown_fields(mapping: dict, allowed: set, where: str, path) -> None:
    """A contract entry may only use the fields the toolkit reads (a typo is not ignored)."""
    extra = set(mapping) - allowed
    if extra:
        raise DataError(f"{where}: unknown field(s) {sorted(extra)}", file=path,
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
    header = raw.get("contract") or {}
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
        kpis = terms.get("kpis") or {}
        if not kpis:
            raise DataError(f"provider '{site}' tracks no KPIs", file=path,
                            expected="a 'kpis' mapping with at least one of "
                            + ", ".join(known))
        effective = terms.get("effective_from")
        if effective is not None and not _PERIOD.match(str(effective)):
            raise DataError(f"provider '{site}': effective_from '{effective}' is not a month",
                            file=path, expected="YYYY-MM, e.g. '2024-06' (quoted)")
        norm_kpis = {kpi_id: _validate_kpi_terms(path, site, kpi_id, kpi_terms, known)
                     for kpi_id, kpi_terms in kpis.items()}
        credits = _validate_credits(path, site, terms.get("service_credits"), norm_kpis, known)
        out["providers"][str(site)] = {
            "provider": terms.get("provider", str(site)),
            "effective_from": None if effective is None else str(effective),
            "kpis": norm_kpis, "credits": credits}
    return out


def _validate_kpi_terms(path, site, kpi_id, terms, known) -> dict:
    where = f"provider '{site}', KPI '{kpi_id}'"
    if kpi_id not in known:
        raise DataError(f"{where} is not in the KPI catalogue", file=path,
                        expected="one of " + ", ".join(known))
    spec = known[kpi_id]
    terms = dict(terms or {})
    _reject_unknown_fields(terms, {"definition", "target", "amber_tolerance", "red_floor",
                                   "weight", "credit_allocation", "earn_back_target"},
                           where, path)
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
    return {"definition": definition, "direction": direction, "target": target,
            "amber_tolerance": tolerance, "red_floor": floor, "weight": weight,
            "credit_allocation": allocation, "earn_back_target": earn_back_target}


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
                                    "annual_cap_eur", "missing_data", "earn_back"}, where, path)
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
    trigger = scheme.get("trigger", "red")
    if trigger not in ("red", "missed_target"):
        raise DataError(f"{where}: trigger '{trigger}' is unknown", file=path,
                        column="trigger", expected="red, missed_target")
    missing = scheme.get("missing_data", "fail")
    if missing not in ("fail", "ignore"):
        raise DataError(f"{where}: missing_data '{missing}' is unknown", file=path,
                        column="missing_data", expected="fail, ignore")
    monthly_cap = _number(path, where, "monthly_cap_pct", scheme.get("monthly_cap_pct", 1.0))
    if not 0 < monthly_cap <= pool:
        raise DataError(f"{where}: monthly_cap_pct {monthly_cap} is out of range", file=path,
                        column="monthly_cap_pct",
                        expected="a multiple of the at-risk amount in (0, pool_pct]")
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
            "missing_data": missing, "earn_back": earn_back, "allocations": allocated}


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


# --------------------------------------------------------------------------- actuals

def parse_period(period: str, parameter: str = "period") -> str:
    """Check a month given as ``YYYY-MM`` and return it; ParameterError otherwise."""
    if not isinstance(period, str) or not _PERIOD.match(period):
        raise ParameterError(parameter, period, "a month as 'YYYY-MM', e.g. '2026-10'")
    return period


def check_period_has_data(kpis_long: pd.DataFrame, period: str, sites: Iterable[str]) -> str:
    """Stop when no site reported has any KPI value for ``period`` (a typo'd or future month).

    A month with *some* data still reports, with "no data" for what is missing; a month with
    none at all would only render an empty scorecard that reads like a total failure.
    """
    sites = list(sites)
    rows = kpis_long[kpis_long["site"].isin(sites)]
    if not (rows["month"] == period).any():
        span = (f"{rows['month'].min()} to {rows['month'].max()}" if len(rows)
                else "no month at all")
        raise ParameterError("period", period,
                             f"a month with interval statistics or provider reports for "
                             f"{', '.join(sites)} (the data cover {span})")
    return period


def month_range(start: str, end: str) -> list[str]:
    """Months from ``start`` to ``end`` inclusive, as ``YYYY-MM`` strings."""
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def trailing_months(period: str, n: int = 12) -> list[str]:
    """The ``n`` months ending at ``period`` (inclusive), oldest first."""
    end = pd.Period(parse_period(period), "M")
    return month_range(str(end - (n - 1)), str(end))


def interval_kpis(intervals: pd.DataFrame, *, timezone: str = DEFAULT_TIMEZONE,
                  file: str | None = None) -> pd.DataFrame:
    """Monthly interval KPIs per site, every definition variant, from summed counts.

    Months are calendar months of the site clock (``timezone``). Each KPI is the month's
    sum of its numerator over the sum of its denominator (``INTERVAL_FORMULAS``), so busy
    intervals weigh what they weigh. Returns the long KPI table (see ``monthly_kpis``).
    """
    _require_columns(intervals, ("ds", "site", *INTERVAL_COLUMNS), file)
    ds = pd.to_datetime(intervals["ds"])
    if ds.dt.tz is None:
        raise DataError("interval start 'ds' has no time zone", file=file, column="ds",
                        expected="ISO 8601 with offset, read with toolkit.io.read_interval_stats")
    local = ds.dt.tz_convert(timezone)
    month = (local.dt.year.astype(str) + "-" + local.dt.month.astype(str).str.zfill(2))
    sums = (intervals.loc[:, list(INTERVAL_COLUMNS)].astype(float)
            .assign(site=intervals["site"].astype(str).to_numpy(), month=month.to_numpy())
            .groupby(["site", "month"], sort=True).sum())
    frames = []
    for (kpi_id, variant), (num_terms, den_terms) in INTERVAL_FORMULAS.items():
        numerator = _combine(sums, num_terms)
        denominator = _combine(sums, den_terms)
        frames.append(pd.DataFrame({"kpi": kpi_id, "definition": variant,
                                    "numerator": numerator, "denominator": denominator,
                                    "source": "interval"}))
    out = pd.concat(frames).reset_index()
    out["value"] = out["numerator"] / out["denominator"].where(out["denominator"] > 0)
    return out[_LONG_COLUMNS]


def report_kpis(reports: pd.DataFrame, catalogue: dict, *, file: str | None = None
                ) -> pd.DataFrame:
    """Monthly provider-reported KPIs per site, plus cost per contact (invoice / contacts).

    Reported ratios carry no denominators; contacts handled serve as their weights when
    months are pooled (12-month average, earn-back windows). Empty cells stay NaN (the site
    does not serve that queue, or did not report): they become ``no data``, never zero.
    """
    _require_columns(reports, ("month", "site", *REPORT_COLUMNS), file)
    months = reports["month"].astype(str)
    bad = ~months.str.match(_PERIOD.pattern)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DataError(f"month '{months[bad].iloc[0]}' is not a month", file=file, row=row,
                        column="month", expected="YYYY-MM")
    dup = reports.assign(month=months).duplicated(["month", "site"], keep=False)
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise DataError("the same (month, site) is reported twice", file=file, row=row,
                        column="month", expected="one row per month and site")
    weight = pd.to_numeric(reports["contacts_handled"], errors="coerce").astype(float)
    frames = []
    for kpi_id, spec in catalogue["kpis"].items():
        if spec["source"] != "provider_report":
            continue
        columns = spec["column"]
        if isinstance(columns, str):
            value = pd.to_numeric(reports[columns], errors="coerce").astype(float)
            numerator, denominator = value * weight, weight
        else:  # a ratio of two reported amounts, e.g. invoice / contacts handled
            numerator = pd.to_numeric(reports[columns[0]], errors="coerce").astype(float)
            denominator = pd.to_numeric(reports[columns[1]], errors="coerce").astype(float)
            value = numerator / denominator.where(denominator > 0)
        frames.append(pd.DataFrame({
            "site": reports["site"].astype(str).to_numpy(), "month": months.to_numpy(),
            "kpi": kpi_id, "definition": STANDARD, "value": value.to_numpy(),
            "numerator": numerator.to_numpy(), "denominator": denominator.to_numpy(),
            "source": "provider_report"}))
    return pd.concat(frames, ignore_index=True)[_LONG_COLUMNS]


_LONG_COLUMNS = ["site", "month", "kpi", "definition", "value", "numerator", "denominator",
                 "source"]


def monthly_kpis(intervals: pd.DataFrame | None, reports: pd.DataFrame | None, catalogue: dict,
                 *, sites: Iterable[str] | None = None, months: Iterable[str] | None = None,
                 timezone: str = DEFAULT_TIMEZONE) -> pd.DataFrame:
    """All KPIs per site and month, one row per (site, month, KPI, definition).

    Columns ``site, month, kpi, definition, value, numerator, denominator, source``. The
    table is complete over ``sites`` x ``months`` (default: every site and the month span
    seen in either input): a month without data is a row with NaN ``value``, so gaps show up
    as ``no data`` rather than vanish. Occupancy is derived: handle hours (interval data)
    over billed hours (provider report).
    """
    parts = []
    if intervals is not None:
        parts.append(interval_kpis(intervals, timezone=timezone))
    if reports is not None:
        parts.append(report_kpis(reports, catalogue))
    if not parts:
        raise ParameterError("intervals/reports", None, "at least one of the two data sets")
    long = pd.concat(parts, ignore_index=True)
    if "OCC" in catalogue["kpis"] and intervals is not None and reports is not None:
        handle = long[(long["kpi"] == "AHT")].set_index(["site", "month"])["numerator"] / 3600
        billed = (reports.assign(month=reports["month"].astype(str),
                                 site=reports["site"].astype(str))
                  .set_index(["site", "month"])["billed_hours"].astype(float))
        both = pd.concat({"numerator": handle, "denominator": billed}, axis=1).dropna(how="all")
        occ = both.reset_index().assign(kpi="OCC", definition=STANDARD, source="derived")
        occ["value"] = occ["numerator"] / occ["denominator"].where(occ["denominator"] > 0)
        parts_occ = occ[_LONG_COLUMNS]
        long = pd.concat([long, parts_occ], ignore_index=True)
    sites = sorted(set(long["site"])) if sites is None else list(sites)
    if months is None:
        months = month_range(long["month"].min(), long["month"].max())
    keys = long[["kpi", "definition", "source"]].drop_duplicates()
    grid = (pd.MultiIndex.from_product([sites, list(months)], names=["site", "month"])
            .to_frame(index=False).merge(keys, how="cross"))
    out = grid.merge(long, on=["site", "month", "kpi", "definition", "source"], how="left")
    return out[_LONG_COLUMNS].sort_values(["site", "kpi", "definition", "month"],
                                          ignore_index=True)


def missing_report_months(reports: pd.DataFrame, sites: Iterable[str], start: str, end: str
                          ) -> pd.DataFrame:
    """Months in ``start..end`` with no provider-report row, per site (``site, month``)."""
    have = set(zip(reports["site"].astype(str), reports["month"].astype(str), strict=True))
    rows = [(s, m) for s in sites for m in month_range(start, end) if (s, m) not in have]
    return pd.DataFrame(rows, columns=["site", "month"])


def require_report_months(reports: pd.DataFrame, sites: Iterable[str], start: str, end: str,
                          *, file: str | None = None) -> None:
    """Raise DataError naming the file, site and months when provider reports have gaps."""
    gaps = missing_report_months(reports, sites, start, end)
    if not gaps.empty:
        listing = "; ".join(f"{s}: {', '.join(g['month'])}" for s, g in gaps.groupby("site"))
        raise DataError(f"provider reports are missing months ({listing})", file=file,
                        column="month", check="one row per site and month",
                        expected=f"every month from {start} to {end} for each site")


# --------------------------------------------------------------------------- scorecard

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
    ``slope_per_month`` (least-squares slope of the monthly values) and ``trend`` (improving /
    worsening when the slope is significant at 5 %, else "no clear trend"), ``rank`` among
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
        slope, trend = np.nan, "no clear trend"
        if len(w) >= 3:
            x = np.array([pd.Period(m, "M").ordinal for m in w.index], dtype=float)
            slope, pvalue = _linear_trend(x, w["value"].to_numpy(dtype=float))
            if pvalue < 0.05 and slope != 0:
                trend = _trend_word(slope, term.direction, term.target_low, term.target_high,
                                    w["value"].iloc[-1])
        status = g["status"].get(period, "no data")
        rows.append({**term._asdict(), "month": period, "actual": actual, "status": status,
                     "mom_delta": actual - prev, "avg_12m": avg, "vs_avg_12m": actual - avg,
                     "slope_per_month": slope, "trend": trend})
    card = pd.DataFrame(rows)
    if card.empty:
        raise DataError(f"no contracted KPI to score for {period}", file=contract["file"])
    card["rank"], card["n_ranked"] = _ranks(card)
    if sites is not None:
        card = card[card["site"].isin(sites)]
    order = {o: i for i, o in enumerate(catalogue["objectives"])}
    card = card.assign(_o=card["objective"].map(order)).sort_values(["site", "_o", "kpi"])
    return card[SCORECARD_COLUMNS].reset_index(drop=True)


def _linear_trend(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of ``y`` on ``x`` and its two-sided p-value (t test, n - 2 df).

    The same arithmetic as ``scipy.stats.linregress`` (at least 3 points, distinct x), without
    importing scipy.stats: that import costs about half a second in every report kernel.
    """
    from scipy.special import stdtr

    ssxm, ssxym, _, ssym = np.cov(x, y, bias=1).flat
    if ssxm == 0.0 or ssym == 0.0:
        r = np.nan if ssxym == 0 else 0.0
    else:
        r = min(max(ssxym / np.sqrt(ssxm * ssym), -1.0), 1.0)
    slope = ssxym / ssxm
    df = len(x) - 2
    tiny = 1.0e-20
    t = r * np.sqrt(df / ((1.0 - r + tiny) * (1.0 + r + tiny)))
    return slope, float(2 * stdtr(df, -np.abs(t)))


SCORECARD_COLUMNS = ["site", "provider", "month", "objective", "kpi", "name", "unit",
                     "direction", "source", "definition", "actual", "target_low",
                     "target_high", "amber_low", "amber_high", "status", "mom_delta",
                     "avg_12m", "vs_avg_12m", "slope_per_month", "trend", "rank", "n_ranked",
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


# --------------------------------------------------------------------------- credits

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


# --------------------------------------------------------------------------- SPC

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


def sl_heatmap_table(intervals: pd.DataFrame, site: str, period: str, *,
                     definition: str = "abandons_as_fail", timezone: str = DEFAULT_TIMEZONE
                     ) -> pd.DataFrame:
    """Service level by weekday (rows, Mon..Sun present) x interval start (columns, HH:MM)
    for one site and month, pooled over the month's weeks (sums, then the ratio)."""
    period = parse_period(period)
    if ("SL", definition) not in INTERVAL_FORMULAS:
        raise ParameterError("definition", definition, "abandons_as_fail, abandons_removed, "
                             "short_abandons_as_success")
    num_terms, den_terms = INTERVAL_FORMULAS[("SL", definition)]
    local = pd.to_datetime(intervals["ds"]).dt.tz_convert(timezone)
    month = local.dt.year.astype(str) + "-" + local.dt.month.astype(str).str.zfill(2)
    mask = (intervals["site"].astype(str) == site) & (month == period)
    if not mask.any():
        return pd.DataFrame()
    d = intervals.loc[mask, list(INTERVAL_COLUMNS)].astype(float)
    d = d.assign(_num=_combine(d, num_terms), _den=_combine(d, den_terms),
                 weekday=local[mask].dt.day_of_week.to_numpy(),
                 time=local[mask].dt.strftime("%H:%M").to_numpy())
    sums = d.groupby(["weekday", "time"])[["_num", "_den"]].sum()
    table = (sums["_num"] / sums["_den"].where(sums["_den"] > 0)).unstack("time")
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    table.index = [names[i] for i in table.index]
    return table


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


def heatmap_title(table: pd.DataFrame, site: str, period: str, locale: str = "fr_FR", *,
                  target: float = 0.80) -> str:
    """A title stating the heatmap's finding: the weakest weekday x half-hour cell and the
    share of cells below the SL ``target``."""
    if table.empty or table.isna().all().all():
        return f"{site}, {period}: no interval data for the month"
    stacked = table.stack()
    (day, time), worst = stacked.idxmin(), stacked.min()
    share_below = float((stacked < target).mean())
    return (f"{site}, {period}: service level weakest on {day} {time} "
            f"({format_value(worst, 'fraction', locale)}); "
            f"{format_value(share_below, 'fraction', locale)} of half-hours below "
            f"{format_value(target, 'fraction', locale)}")


def check_locale(locale: str) -> str:
    """Return ``locale`` if babel knows it, else ParameterError (e.g. ``fr_FR``, ``en_GB``)."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ParameterError("locale", locale, "a locale babel knows, e.g. 'fr_FR', 'en_GB'"
                             ) from exc
    return locale


def check_contract_sites(contract: dict, sites: pd.DataFrame, *, file: str | None = None
                         ) -> None:
    """DataError when the contract names a site that sites.csv does not list."""
    known = set(sites["site"].astype(str))
    unknown = [s for s in contract["providers"] if s not in known]
    if unknown:
        raise DataError(f"contract sites {unknown} are not in the sites file {file or ''}".strip(),
                        file=contract["file"], expected="site ids from sites.csv: "
                        + ", ".join(sorted(known)))


def select_sites(contract: dict, provider_site: str | None) -> list[str]:
    """The sites a report covers: one provider site, or all contract sites for None."""
    if provider_site is None:
        return list(contract["providers"])
    if provider_site not in contract["providers"]:
        raise ParameterError("provider_site", provider_site,
                             "None (all providers) or a site in the contract: "
                             + ", ".join(contract["providers"]))
    return [provider_site]


# --------------------------------------------------------------------------- presentation

def format_value(value, unit: str, locale: str = "fr_FR", *, currency: str = "EUR",
                 delta: bool = False) -> str:
    """A KPI value for people: % with one decimal, seconds, points, money per contact.

    ``delta`` formats a difference: fractions become percentage points (``pp``) with a sign.
    NaN -> an en dash.
    """
    from babel.numbers import format_currency, format_decimal, format_percent

    if value is None or (isinstance(value, float) and not np.isfinite(value)) or pd.isna(value):
        return "–"
    value = float(value)
    sign = "+" if delta and value > 0 else ""
    if unit == "fraction":
        if delta:
            return sign + format_decimal(value * 100, format="#,##0.0", locale=locale) + " pp"
        return format_percent(value, format=_percent_pattern(locale), locale=locale)
    if unit == "seconds":
        return sign + format_decimal(value, format="#,##0", locale=locale) + " s"
    if unit == "points":
        return sign + format_decimal(value, format="#,##0.0", locale=locale) + " pts"
    if unit in ("eur_per_contact", "money"):
        return sign + format_currency(value, currency, locale=locale)
    return sign + format_decimal(value, locale=locale)


def _percent_pattern(locale: str) -> str:
    from babel import Locale

    pattern = Locale.parse(locale).percent_formats[None].pattern
    i = pattern.rfind("0")
    return pattern[:i + 1] + ".0" + pattern[i + 1:]


def format_money(value, locale: str = "fr_FR", currency: str = "EUR") -> str:
    """An amount of money in the locale's format (NaN -> en dash)."""
    from babel.numbers import format_currency

    if value is None or pd.isna(value):
        return "–"
    return format_currency(float(value), currency, locale=locale)


def _rule_text(row, low: str, high: str, locale: str) -> str:
    """``≥ low``, ``≤ high`` or ``low – high`` by the KPI's direction, in its unit."""
    unit = row["unit"]
    if row["direction"] == "higher":
        return "≥ " + format_value(row[low], unit, locale)
    if row["direction"] == "lower":
        return "≤ " + format_value(row[high], unit, locale)
    return format_value(row[low], unit, locale) + " – " + format_value(row[high], unit, locale)


def target_text(row, locale: str = "fr_FR") -> str:
    """The target of a scorecard row as a readable rule (``≥ 80,0 %``, ``300–420 s``)."""
    return _rule_text(row, "target_low", "target_high", locale)


def amber_text(row, locale: str = "fr_FR") -> str:
    """The amber range of a scorecard row as a readable rule (what is still amber)."""
    return _rule_text(row, "amber_low", "amber_high", locale)


def scorecard_display(card: pd.DataFrame, locale: str = "fr_FR") -> pd.DataFrame:
    """The scorecard as formatted text columns for the report table."""
    return pd.DataFrame({
        "Provider": card["provider"] + " (" + card["site"] + ")",
        "Objective": card["objective"],
        "KPI": card["name"] + " [" + card["kpi"] + "]",
        "Source": card["source"],
        "Actual": [format_value(v, u, locale) for v, u in zip(card["actual"], card["unit"],
                                                              strict=True)],
        "Target": [target_text(r, locale) for _, r in card.iterrows()],
        "Amber if": [amber_text(r, locale) for _, r in card.iterrows()],
        "Status": card["status"],
        "Δ m/m": [format_value(v, u, locale, delta=True)
                  for v, u in zip(card["mom_delta"], card["unit"], strict=True)],
        "12-m avg": [format_value(v, u, locale) for v, u in zip(card["avg_12m"], card["unit"],
                                                                strict=True)],
        "Trend": card["trend"],
        "Rank": [("–" if pd.isna(r) else f"{r}/{n}") for r, n in zip(card["rank"],
                                                                     card["n_ranked"],
                                                                     strict=True)],
    })


def style_scorecard(card: pd.DataFrame, locale: str = "fr_FR"):
    """A pandas Styler of the scorecard with RAG status cells; every text cell HTML-escaped."""
    from toolkit.plots import rag_color

    table = scorecard_display(card, locale)

    def colour(status: str) -> str:
        return f"background-color: {rag_color(status)}; color: white; font-weight: bold"

    return (table.style.hide(axis="index")
            .format(escape="html")
            .format_index(escape="html", axis=1)
            .map(colour, subset=["Status"]))


def summary_text(card: pd.DataFrame, credits: pd.DataFrame, period: str,
                 locale: str = "fr_FR", *, gaps: pd.DataFrame | None = None) -> str:
    """Headline per provider (Markdown, names HTML-escaped): KPIs red / amber / no data with
    actual vs target, and the credit due for the month (and pending earn-back)."""
    from babel.dates import format_date

    month_name = format_date(pd.Period(period, "M").start_time.date(), "MMMM y", locale=locale)
    by_month = credits_by_month(credits)
    lines = []
    for site, g in card.groupby("site", sort=False):
        provider = html.escape(str(g["provider"].iloc[0]))
        parts = []
        for status in ("red", "amber", "no data"):
            s = g[g["status"] == status]
            if s.empty:
                continue
            items = ", ".join(
                html.escape(str(r["kpi"])) + ("" if status == "no data" else
                                              f" {format_value(r['actual'], r['unit'], locale)}"
                                              f" vs {target_text(r, locale)}")
                for _, r in s.iterrows())
            noun = "KPI" if len(s) == 1 else "KPIs"
            parts.append(f"{len(s)} {noun} {status}: {items}")
        n_green = int((g["status"] == "green").sum())
        parts.append(f"{n_green} of {len(g)} green")
        m = by_month[(by_month["site"] == site) & (by_month["month"] == period)]
        if m.empty:
            parts.append("credit due: none (no credit scheme or no failed KPI)")
        elif m["invoice_eur"].isna().all():
            parts.append("credit due: unknown (no invoice reported for the month)")
        else:
            text = f"credit due: {format_money(m['credit_due_eur'].sum(), locale)}"
            pending = m["credit_pending_eur"].sum()
            if pending > 0:
                text += f" (+ {format_money(pending, locale)} pending earn-back)"
            year = by_month[(by_month["site"] == site) & (by_month["month"] <= period)
                            & (by_month["month"].str[:4] == period[:4])]
            parts.append(text + f"; year to date {format_money(year['credit_due_eur'].sum(), locale)}"
                         " due")
        if gaps is not None and not gaps.empty:
            missing = gaps[gaps["site"] == site]["month"].tolist()
            if missing:
                parts.append("provider report missing for " + ", ".join(missing))
        lines.append(f"- **{provider} ({html.escape(site)}), {month_name}** — "
                     + "; ".join(parts) + ".")
    return "\n".join(lines)


# --------------------------------------------------------------------------- files

def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table as CSV atomically (temporary file in the same folder, then rename).

    Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) are
    written with a leading apostrophe: provider and site names come from data files.
    """
    from toolkit.markup import csv_safe

    table = csv_safe(table)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            table.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_scorecard(card: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the scorecard CSV (atomic)."""
    return write_csv(card, path)


def write_credits(credits: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the service-credit CSV (atomic)."""
    return write_csv(credits, path)


# --------------------------------------------------------------------------- helpers

def _safe_load(stream):
    """``yaml.safe_load``, through libyaml's safe loader when built: the same objects,
    about 10x faster on the reference files."""
    if yaml.__with_libyaml__:
        return yaml.load(stream, Loader=yaml.CSafeLoader)
    return yaml.safe_load(stream)


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        raise DataError("file not found", file=path)
    try:
        raw = _safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(f"not valid YAML ({exc})", file=path) from exc
    if not isinstance(raw, dict):
        raise DataError("expected a YAML mapping at the top level", file=path)
    return raw


def _number(path, where, field, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{where}: {field} {value!r} is not a number", file=path, column=field,
                        expected="a number (fractions as 0.80, not '80 %')")
    return float(value)


def _pair(path, where, field, value) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise DataError(f"{where}: {field} {value!r} must be a [low, high] pair for a band KPI",
                        file=path, column=field)
    lo, hi = (_number(path, where, field, v) for v in value)
    if lo > hi:
        raise DataError(f"{where}: {field} [{lo}, {hi}] has low > high", file=path,
                        column=field)
    return lo, hi


def _combine(table: pd.DataFrame, terms: dict[str, int]) -> pd.Series:
    """Sum of ``coefficient * column`` over the terms of an interval formula."""
    return sum(coef * table[col] for col, coef in terms.items())


def _require_columns(table: pd.DataFrame, columns: Iterable[str], file) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}", file=file, column=missing[0],
                        expected="columns " + ", ".join(columns))
