"""Suspicious provider data: figures a provider reports (or that derive from what it bills)
that look typed rather than measured, or that the interval data make impossible.

Three checks over the months ending with the report period (settings: ``data_quality`` in the
KPI catalogue):

- ``constant``: the same value month after month (occupancy exactly 82.0 % with Δ 0.0: the
  billed hours are a formula of the handled hours, not a measurement);
- ``whole points``: a rate that is a whole percentage every month (a rounded estimate);
- ``impossible``: occupancy above 100 % (more handle hours than billed hours) or below the
  plausible floor, contacts handled that differ from the answered calls of the interval data.

A flag never changes a KPI's value or status: it is shown beside it, so nobody uses the
figure without knowing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.kpi.definitions import catalogue_settings, trailing_months

CHECKS = ("constant", "whole points", "impossible")
_COLUMNS = ["site", "kpi", "check", "months", "n_months", "detail"]


@dataclass(frozen=True)
class QualitySettings:
    """The ``data_quality`` block of the KPI catalogue."""

    window_months: int = 12
    min_months: int = 6
    constant_tolerance_fraction: float = 0.0005
    constant_tolerance_relative: float = 0.0005
    occupancy_floor: float = 0.40
    contacts_tolerance: float = 0.02


def quality_settings(catalogue: dict | None = None) -> QualitySettings:
    return QualitySettings(**catalogue_settings(catalogue, "data_quality", QualitySettings))


def data_quality_flags(kpis_long: pd.DataFrame, catalogue: dict, period: str, *,
                       sites=None, settings: QualitySettings | None = None) -> pd.DataFrame:
    """Flags on provider-reported and derived KPIs per site: ``site, kpi, check, months,
    n_months, detail`` (one row per site, KPI and check; months as ``first..last`` or a list).
    """
    settings = settings or quality_settings(catalogue)
    window = trailing_months(period, settings.window_months)
    data = kpis_long[kpis_long["month"].isin(window)]
    if sites is not None:
        data = data[data["site"].isin(list(sites))]
    specs = catalogue["kpis"]
    rows = []
    for (site, kpi_id, definition), g in data.groupby(["site", "kpi", "definition"], sort=True):
        spec = specs.get(kpi_id)
        if spec is None or spec["source"] not in ("provider_report", "derived"):
            continue
        if definition != spec.get("default_variant", definition):
            continue
        g = g.dropna(subset=["value"]).sort_values("month")
        values = g["value"].to_numpy(dtype=float)
        months = g["month"].tolist()
        if len(values) >= settings.min_months:
            unit = spec["unit"]
            spread = float(values.max() - values.min())
            tol = (settings.constant_tolerance_fraction if unit == "fraction"
                   else settings.constant_tolerance_relative * max(abs(values).max(), 1e-12))
            if spread <= tol:
                rows.append(_row(site, kpi_id, "constant", months,
                                 f"{_fmt(values.mean(), unit)} every month (spread "
                                 f"{_fmt(spread, unit, delta=True)}): looks computed, not "
                                 "measured"))
            if unit == "fraction" and np.allclose(values * 100, np.round(values * 100), rtol=0,
                                                  atol=1e-9):
                rows.append(_row(site, kpi_id, "whole points", months,
                                 "a whole percentage every month: a rounded estimate"))
        if kpi_id == "OCC":
            high = g[g["value"] > 1.0]
            low = g[g["value"] < settings.occupancy_floor]
            if len(high):
                rows.append(_row(site, kpi_id, "impossible", high["month"].tolist(),
                                 "handle hours exceed the hours billed (occupancy above 100 %)"))
            if len(low):
                rows.append(_row(site, kpi_id, "impossible", low["month"].tolist(),
                                 f"occupancy below {settings.occupancy_floor:.0%}: billed hours "
                                 "far above the handled workload"))
    rows.extend(_contacts_check(data, settings))
    return pd.DataFrame(rows, columns=_COLUMNS)


def _contacts_check(data: pd.DataFrame, settings: QualitySettings) -> list[dict]:
    """Contacts handled (provider report) against the answered calls of the interval data."""
    answered = (data[data["kpi"] == "AHT"].set_index(["site", "month"])["denominator"])
    handled = (data[data["kpi"] == "CPC"].set_index(["site", "month"])["denominator"])
    both = pd.concat({"answered": answered, "handled": handled}, axis=1).dropna()
    both = both[both["answered"] > 0]
    gap = (both["handled"] - both["answered"]).abs() / both["answered"]
    rows = []
    for site, g in gap[gap > settings.contacts_tolerance].groupby(level="site"):
        months = [m for _, m in g.index]
        rows.append(_row(site, "CPC", "impossible", months,
                         f"contacts handled differ from answered calls by up to "
                         f"{g.max():.1%} (tolerance {settings.contacts_tolerance:.0%})"))
    return rows


def _row(site, kpi_id, check, months, detail) -> dict:
    span = (f"{months[0]}..{months[-1]}" if len(months) > 3 else ", ".join(months))
    return {"site": site, "kpi": kpi_id, "check": check, "months": span,
            "n_months": len(months), "detail": detail}


def _fmt(value, unit, delta=False) -> str:
    if unit == "fraction":
        return f"{value * 100:.1f} {'pp' if delta else '%'}"
    return f"{value:.4g}"


def flag_scorecard(card: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """The scorecard with a ``data_check`` column: the checks a KPI's figures failed."""
    text = (flags.groupby(["site", "kpi"])["check"].agg(lambda c: ", ".join(dict.fromkeys(c)))
            if not flags.empty else pd.Series(dtype=str))
    key = list(zip(card["site"], card["kpi"], strict=True))
    return card.assign(data_check=[text.get(k, "") for k in key])
