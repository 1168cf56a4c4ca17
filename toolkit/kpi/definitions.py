"""What each KPI means and how its monthly value is computed.

The KPI catalogue (``toolkit/reference/kpis.yaml``: objectives, indicators, formulas, units,
directions, sources) and the monthly actuals: interval KPIs as sums of numerators over sums
of denominators, provider-reported KPIs with their own denominators as pooling weights, and
the platform KPIs of hosted-seats sites from the provider's platform reports
(``read_platform_reports``), each with its own numerator and denominator.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.config import DEFAULT_TIMEZONE, REFERENCE
from toolkit.errors import DataError, ParameterError

CATALOGUE_PATH = REFERENCE / "kpis.yaml"


DIRECTIONS = ("higher", "lower", "band")


SOURCES = ("interval", "provider_report", "platform_report", "derived")


UNITS = ("fraction", "seconds", "hours", "points", "eur_per_contact")


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
    ("SL", "short_abandons_removed"): ({"answered_in_sl": 1},
                                       {"offered": 1, "short_abandoned": -1}),
    ("SL", "short_abandons_as_success"): ({"answered_in_sl": 1, "short_abandoned": 1},
                                          {"offered": 1}),
    ("ASA", STANDARD): ({"wait_time_s": 1}, {"answered": 1}),
    ("ABANDON", "abandons_all"): ({"abandoned": 1}, {"offered": 1}),
    ("ABANDON", "short_abandons_removed"): ({"abandoned": 1, "short_abandoned": -1},
                                            {"offered": 1, "short_abandoned": -1}),
    ("AHT", STANDARD): ({"handle_time_s": 1}, {"answered": 1}),
}


#: A month as ``YYYY-MM``; always used with ``fullmatch`` (``$`` would accept a trailing newline).
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


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
            for field in ("weight", "weight_fallback"):
                if spec.get(field, "contacts_handled") not in WEIGHT_COLUMNS:
                    raise DataError(f"{where}: {field} '{spec[field]}' is not a weight column",
                                    file=path, column=field, expected=", ".join(WEIGHT_COLUMNS))
        if spec["source"] == "platform_report":
            numeric = list(PLATFORM_COLUMNS)[2:]
            for part in ("numerator", "denominator"):
                terms = spec.get(part)
                ok = (isinstance(terms, dict) and terms
                      and all(c in numeric and isinstance(v, int) for c, v in terms.items()))
                if not ok:
                    raise DataError(f"{where}: '{part}' must map platform-report columns to "
                                    "coefficients", file=path, column=part,
                                    expected="e.g. {seat_hours_available: 1}; columns "
                                    + ", ".join(numeric))
    raw["file"] = str(path)
    return raw


def catalogue_table(catalogue: dict, reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """The catalogue as one row per KPI (for the report's glossary); with ``reports``, the
    "pooled by" column names the weight those reports allow (``pooling_weights``)."""
    used = pooling_weights(reports, catalogue) if reports is not None else {}
    rows = []
    for kpi_id, spec in catalogue["kpis"].items():
        rows.append({"kpi": kpi_id, "name": spec["name"], "objective": spec["objective"],
                     "unit": spec["unit"], "direction": spec["direction"],
                     "source": spec["source"], "formula": spec["formula"],
                     "variants": ", ".join(spec["variants"]),
                     "pooled by": (used.get(kpi_id, spec.get("weight", "contacts_handled"))
                                   if spec["source"] == "provider_report"
                                   and isinstance(spec["column"], str)
                                   else "its denominator"),
                     "reference": spec.get("reference", "")})
    return pd.DataFrame(rows)


def parse_period(period: str, parameter: str = "period") -> str:
    """Check a month given as ``YYYY-MM`` and return it; ParameterError otherwise."""
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
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

    A reported ratio pools over months (12-month average, earn-back windows) by its own
    denominator, the catalogue's ``weight`` (headcount for attrition, scheduled hours for
    absenteeism, survey responses for CSAT and NPS, contacts for the rest), or its
    ``weight_fallback`` when the file does not carry that column in full
    (``pooling_weights``). Empty cells stay NaN (the site does not serve that queue, or did
    not report): they become ``no data``, never zero.
    """
    _require_columns(reports, ("month", "site", *REPORT_COLUMNS), file)
    months = reports["month"].astype(str)
    bad = ~months.str.fullmatch(_PERIOD.pattern)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DataError(f"month '{months[bad].iloc[0]}' is not a month", file=file, row=row,
                        column="month", expected="YYYY-MM")
    dup = reports.assign(month=months).duplicated(["month", "site"], keep=False)
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise DataError("the same (month, site) is reported twice", file=file, row=row,
                        column="month", expected="one row per month and site")
    frames = []
    used = pooling_weights(reports, catalogue)
    for kpi_id, spec in catalogue["kpis"].items():
        if spec["source"] != "provider_report":
            continue
        columns = spec["column"]
        if isinstance(columns, str):
            value = pd.to_numeric(reports[columns], errors="coerce").astype(float)
            weight = pd.to_numeric(reports[used[kpi_id]], errors="coerce").astype(float)
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


#: Provider-report columns a reported ratio may be weighted by (denominators or proxies).
WEIGHT_COLUMNS = ("contacts_handled", "billed_hours", "headcount", "scheduled_hours",
                  "survey_responses")


def pooling_weights(reports: pd.DataFrame, catalogue: dict) -> dict[str, str]:
    """The column each provider-reported ratio is weighted by when months are pooled: its
    ``weight`` when the reports carry it on every row, else its ``weight_fallback``."""
    out = {}
    for kpi_id, spec in catalogue["kpis"].items():
        if spec["source"] != "provider_report" or not isinstance(spec["column"], str):
            continue
        weight = spec.get("weight", "contacts_handled")
        if weight not in reports.columns or reports[weight].isna().any():
            weight = spec.get("weight_fallback", "contacts_handled")
        out[kpi_id] = weight
    return out


_LONG_COLUMNS = ["site", "month", "kpi", "definition", "value", "numerator", "denominator",
                 "source"]


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


def monthly_kpis(intervals: pd.DataFrame | None, reports: pd.DataFrame | None, catalogue: dict,
                 *, sites: Iterable[str] | None = None, months: Iterable[str] | None = None,
                 timezone: str = DEFAULT_TIMEZONE, platform: pd.DataFrame | None = None,
                 site_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """All KPIs per site and month, one row per (site, month, KPI, definition).

    Columns ``site, month, kpi, definition, value, numerator, denominator, source``. The
    table is complete over ``sites`` x ``months`` (default: every site and the month span
    seen in either input): a month without data is a row with NaN ``value``, so gaps show up
    as ``no data`` rather than vanish. Occupancy is derived: handle hours (interval data)
    over billed hours (provider report). ``platform``: the hosted-seat platform reports
    (``read_platform_reports``); ``site_table``: sites.csv, whose engagement forms decide
    the cost per contact (hosted seats add the company's own costs, ``toolkit.kpi.forms``).
    """
    parts = []
    if intervals is not None:
        parts.append(interval_kpis(intervals, timezone=timezone))
    if reports is not None:
        report_part = report_kpis(reports, catalogue)
        if site_table is not None:  # hosted seats: the company's own costs join the invoice
            from toolkit.kpi.forms import with_own_costs
            report_part = with_own_costs(report_part, reports, site_table)
        parts.append(report_part)
    if platform is not None:
        parts.append(platform_kpis(platform, catalogue))
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


def _read_yaml(path: Path) -> dict:
    """A YAML mapping through ``toolkit.yamlsafe.load``: alias bombs, self-referencing aliases
    and duplicate keys are refused with a DataError naming the file, line and column."""
    from toolkit import yamlsafe

    if not path.exists():
        raise DataError("file not found", file=path)
    try:
        raw = yamlsafe.load(path.read_text(encoding="utf-8"))
    except yamlsafe.YamlError as exc:
        raise DataError(f"not usable YAML: {exc}", file=path) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=path, expected="a YAML file in UTF-8") from None
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


def catalogue_settings(catalogue: dict | None, block: str, defaults) -> dict:
    """The values of one settings block of the KPI catalogue (``kpis.yaml``) over
    ``defaults`` (a mapping, or a dataclass type whose fields are the settings); a key the
    block should not have is refused naming the block and the valid keys."""
    known = (dict(defaults) if isinstance(defaults, dict)
             else {k: f.default for k, f in defaults.__dataclass_fields__.items()})
    given = (catalogue or {}).get(block) or {}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise DataError(f"{block}: unknown setting(s) {unknown}",
                        file=(catalogue or {}).get("file"), expected=", ".join(known))
    return {**known, **{k: (v["value"] if isinstance(v, dict) else v) for k, v in given.items()}}
