"""Which figures does the cost model use?

The reference YAML (``toolkit/reference/*.yaml``) with the analyst's overrides merged in and
validated; the cost lines and engagement forms those files speak of; the value of a lost
contact per queue (value of service: rates from the KPI data or the reference, outcome
values, each with its source), which ``model.build_model`` carries and ``service`` costs per
option; and the assumptions table listing every figure a model used, with its source.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from toolkit import refdata
from toolkit.config import REFERENCE
from toolkit.errors import ParameterError


class UsesReference(Protocol):
    """What :func:`assumptions_table` reads of a model (a ``SourcingModel``): its locations
    and the reference it was built from."""

    locations: Sequence[str]
    ref: dict


#: Cost lines, in waterfall order. ``overheads`` (HR, finance, site direction) is the
#: bottom-up overhead line; ``provider_margin`` is explicit (cost-plus) or implied (rate card).
LINES = ("agents", "supervision", "wfm_qa", "overheads", "recruitment", "training_attrition",
         "premises", "it", "telephony_licences", "provider_margin", "governance", "transition",
         "exit", "dual_running", "severance", "stranded_premises", "staff_transfer")
#: The labour share's numerator, as in FACTS section 2's bottom-up formula
#: (``price = gross x (1 + charges) / labour_share / (1 - shrinkage) x (1 + margin)``):
#: agents' loaded pay. ``PAYROLL_LINES`` adds the people steering them (``payroll_share``;
#: ~0.80 for French outsourcers, FACTS section 2).
LABOUR_LINES = ("agents",)
PAYROLL_LINES = ("agents", "supervision", "wfm_qa")
#: One-off lines, left out of run-rate views. The labour share is payroll over operating cost
#: (run cost without one-offs, provider margin and governance), as in FACTS section 2.
ONE_OFF_LINES = ("transition", "exit", "dual_running", "severance", "stranded_premises",
                 "staff_transfer")
#: The cost of leaving today's mix (status quo) for an option (``model.leaving_costs``).
LEAVING_LINES = ("dual_running", "severance", "stranded_premises", "staff_transfer")
FORMS = ("INHOUSE", "FULL", "HOSTED", "INSOURCE", "BOT", "CAPTIVE")
#: Parameters that may be negative (currency drift, volume decline).
_SIGNED_KEYS = {"drift", "volume_growth", "low"}


# --------------------------------------------------------------------------------------------
# Load, override, validate
# --------------------------------------------------------------------------------------------

# One reader and one merge for every reference file (toolkit.refdata).
_safe_load = refdata.safe_load
_read_yaml = refdata.read_yaml
_is_figure = refdata.is_figure
_deep_merge = refdata.deep_merge
_walk_figures = refdata.walk_figures
_value = refdata.value


#: Parsed reference files, keyed by their modification times (callers get deep copies).
_REFERENCE_CACHE: dict = {}


def load_reference(overrides: str | os.PathLike | Mapping | None = None) -> dict:
    """Reference data (locations, FX, defaults, forms) with the analyst's overrides merged in.

    ``overrides`` is a YAML path or a mapping with the same structure as the reference files
    (top-level keys ``fx_to_eur``, ``locations``, ``defaults``, ``risk_weights``, ``forms``,
    ``correlations``).
    """
    files = [REFERENCE / name for name in ("locations.yaml", "cost_defaults.yaml",
                                           "engagement_forms.yaml", "correlations.yaml")]
    key = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    if key not in _REFERENCE_CACHE:
        merged = {}
        for f in files:
            merged.update(_read_yaml(f, "reference"))
        _REFERENCE_CACHE.clear()
        _REFERENCE_CACHE[key] = merged
    ref = copy.deepcopy(_REFERENCE_CACHE[key])
    if overrides is not None:
        data = (_read_yaml(overrides, "overrides_path") if not isinstance(overrides, Mapping)
                else overrides)
        ref = _deep_merge(ref, data, "")
    validate_reference(ref)
    return ref




def validate_reference(ref: dict) -> None:
    """Refuse negative money or rates, currencies without an FX rate, bad payer codes."""
    fx = ref.get("fx_to_eur", {})
    for path, fig in _walk_figures(ref, ""):
        for key in ("value", "low", "high"):
            v = fig.get(key)
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue
            if path.startswith("correlations."):
                if not -1 <= v <= 1:
                    raise ParameterError(path, v, "a correlation in [-1, 1]")
                continue
            if v < 0 and key not in _SIGNED_KEYS and not path.endswith(tuple(_SIGNED_KEYS)):
                raise ParameterError(path + (f".{key}" if key != "value" else ""), v,
                                     "a value >= 0 (costs, rates and counts cannot be negative)")
        currency = fig.get("currency")
        if currency and not path.startswith("fx_to_eur") and currency not in fx:
            raise ParameterError(f"{path}.currency", currency,
                                 f"a currency with an FX rate in fx_to_eur: {sorted(fx)}")
    for cur, fig in fx.items():
        if not _is_figure(fig) or not fig["value"] or fig["value"] <= 0:
            raise ParameterError(f"fx_to_eur.{cur}", fig, "a figure with a positive value")
    for loc_id, loc in ref.get("locations", {}).items():
        if loc.get("currency") not in fx:
            raise ParameterError(f"locations.{loc_id}.currency", loc.get("currency"),
                                 f"a currency with an FX rate in fx_to_eur: {sorted(fx)}")
        if loc.get("tier") not in ("onshore", "nearshore", "offshore"):
            raise ParameterError(f"locations.{loc_id}.tier", loc.get("tier"),
                                 "one of ['nearshore', 'offshore', 'onshore']")
    for form_id, form in ref.get("forms", {}).items():
        for line, payer in form["payer"].items():
            if line not in LINES or payer not in ("client", "provider", "none"):
                raise ParameterError(f"forms.{form_id}.payer.{line}", payer,
                                     f"lines {list(LINES)} with payer client, provider or none")
        if form.get("where") not in ("any", "home_country", "abroad"):
            raise ParameterError(f"forms.{form_id}.where", form.get("where"),
                                 "one of ['abroad', 'any', 'home_country']")
    _validate_baskets(ref)


def _validate_baskets(ref: dict) -> None:
    """Each peg's anchors are currencies with an FX rate, weights >= 0 summing to 1, and an
    anchor is not itself pegged (its EUR value must be drawn, not derived)."""
    fx = ref.get("fx_to_eur", {})
    baskets = ref.get("correlations", {}).get("fx_basket", {}) or {}
    for cur, fig in baskets.items():
        where = f"correlations.fx_basket.{cur}"
        weights = _value(fig)
        if cur not in fx:
            raise ParameterError(where, cur, f"a currency with an FX rate in fx_to_eur: {sorted(fx)}")
        if (not isinstance(weights, Mapping) or not weights
                or any(a not in fx or a == cur or a in baskets for a in weights)):
            raise ParameterError(where, weights, "anchor currencies of fx_to_eur (not pegged "
                                 "themselves) with their weights, e.g. {EUR: 0.6, USD: 0.4}")
        w = list(weights.values())
        if any(isinstance(x, bool) or not isinstance(x, int | float) or x < 0 for x in w) \
                or abs(sum(w) - 1) > 1e-6:
            raise ParameterError(where, weights, f"weights >= 0 summing to 1 (they sum to "
                                 f"{sum(x for x in w if isinstance(x, int | float)):.4f})")




def _check_choice(parameter: str, values, valid: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    values = list(values)
    bad = [v for v in values if v not in valid]
    if bad or not values:
        raise ParameterError(parameter, bad[0] if bad else values, f"one or more of {list(valid)}")
    return values


# --------------------------------------------------------------------------------------------
# The value of a lost contact per queue (value of service)
# --------------------------------------------------------------------------------------------

#: Report columns of the KPI data holding each kind's rate (``toolkit.schemas``).
RATE_COLUMNS = {"sales": "conversion_rate", "retention": "retention_save_rate"}
#: Reference figures of each kind: (rate, value of one outcome).
_FIGURES = {"sales": ("conversion_rate", "margin_per_sale"),
            "retention": ("save_rate", "customer_value")}


@dataclass
class ValueOfService:
    """Per queue: ``queue, contact_share, abandon_rate, kind, rate, rate_source,
    outcome_value_eur, value_year, value_source, lost_value_per_contact_eur`` (EUR at
    ``value_year``, after ``recovered_share``); the figures' provenance is in the columns."""

    queues: pd.DataFrame
    recovered_share: float


def service_rates(reports: pd.DataFrame, period: str | None = None, *,
                  months: int = 12) -> pd.DataFrame:
    """Conversion and save rates from the provider reports (KPI data): each rate weighted by
    the contacts its site handled, over the ``months`` ending with ``period`` (all months
    when None). Returns ``kind, rate, site_months, source`` (rows only for rates reported)."""
    r = reports
    if period is not None:
        from toolkit import planning
        window = planning.workload_months(period, months)
        r = r[pd.PeriodIndex(r["month"], freq="M").isin(window)]
    rows = []
    for kind, col in RATE_COLUMNS.items():
        if col not in r.columns:
            continue
        sel = r[r[col].notna()]
        w = sel["contacts_handled"].astype(float) if "contacts_handled" in sel else None
        if sel.empty or (w is not None and w.sum() <= 0):
            continue
        rate = float(np.average(sel[col].astype(float), weights=w))
        span = (f"{pd.Period(sel['month'].min(), freq='M')} to "
                f"{pd.Period(sel['month'].max(), freq='M')}")
        rows.append({"kind": kind, "rate": rate, "site_months": len(sel),
                     "source": f"provider reports, {col} weighted by contacts handled, "
                               f"{len(sel)} site-months {span}"})
    return pd.DataFrame(rows, columns=["kind", "rate", "site_months", "source"])


def build_service(ref: dict, queues: pd.DataFrame, reports: pd.DataFrame | None = None,
                  period: str | None = None) -> ValueOfService:
    """The value of a lost contact per queue from the base year's queues (``queue,
    contact_share, abandon_rate``: ``workload.queue_service``), the KPI data and the
    reference."""
    need = {"queue", "contact_share", "abandon_rate"}
    if not isinstance(queues, pd.DataFrame) or need - set(queues.columns):
        raise ParameterError("service_queues", getattr(queues, "columns", queues),
                             f"a table with columns {sorted(need)} (workload.queue_service)")
    bad = queues[~queues["abandon_rate"].between(0, 1) | ~queues["contact_share"].between(0, 1)]
    if len(bad):
        raise ParameterError(f"service_queues.{bad.iloc[0]['queue']}",
                             bad.iloc[0][["contact_share", "abandon_rate"]].to_dict(),
                             "a contact share and an abandonment rate in [0, 1]")
    d = ref["defaults"]["value_of_service"]
    kinds = {}
    for kind, key in (("sales", "sales_queues"), ("retention", "retention_queues")):
        for q in _value(d[key]) or []:
            kinds.setdefault(str(q), kind)
    data = service_rates(reports, period) if reports is not None else pd.DataFrame(
        columns=["kind", "rate", "site_months", "source"])
    data = data.set_index("kind")
    recovered = float(_value(d["recovered_share"]))
    if not 0 <= recovered <= 1:
        raise ParameterError("defaults.value_of_service.recovered_share", recovered,
                             "a share in [0, 1]")
    rows = []
    for row in queues.itertuples():
        kind = kinds.get(str(row.queue), "none")
        out = {"queue": row.queue, "contact_share": float(row.contact_share),
               "abandon_rate": float(row.abandon_rate), "kind": kind, "rate": 0.0,
               "rate_source": "not a sales or retention queue (defaults.value_of_service)",
               "outcome_value_eur": 0.0, "value_year": None, "value_source": ""}
        if kind != "none":
            rate_key, value_key = _FIGURES[kind]
            if kind in data.index:
                out.update(rate=float(data.loc[kind, "rate"]), rate_source=data.loc[kind, "source"])
            else:
                fig = d[rate_key]
                out.update(rate=float(_value(fig)), rate_source=f"defaults.value_of_service."
                           f"{rate_key}: {fig.get('source')} (flag {fig.get('flag')})")
            fig = d[value_key]
            out.update(outcome_value_eur=float(_value(fig)), value_year=int(fig["year"]),
                       value_source=f"defaults.value_of_service.{value_key}: "
                                    f"{fig.get('source')} (flag {fig.get('flag')})")
            if not 0 <= out["rate"] <= 1:
                raise ParameterError(f"defaults.value_of_service.{rate_key}", out["rate"],
                                     "a rate in [0, 1]")
        out["lost_value_per_contact_eur"] = out["rate"] * out["outcome_value_eur"] * (1 - recovered)
        rows.append(out)
    return ValueOfService(queues=pd.DataFrame(rows), recovered_share=recovered)


# --------------------------------------------------------------------------------------------
# What a model used
# --------------------------------------------------------------------------------------------

def assumptions_table(model: UsesReference) -> pd.DataFrame:
    """Every reference figure the model used, with unit, year, currency, source and flag."""
    rows = []
    for loc in model.locations:
        for key, fig in model.ref["locations"][loc].items():
            if _is_figure(fig):
                rows.append({"scope": loc, "item": key, **{k: fig.get(k) for k in
                             ("value", "low", "high", "unit", "year", "currency", "flag",
                              "source")}})
    used = {model.ref["locations"][loc]["currency"] for loc in model.locations} | {"USD"}
    for cur in sorted(used):
        fig = model.ref["fx_to_eur"][cur]
        rows.append({"scope": "FX", "item": cur, **{k: fig.get(k) for k in
                     ("value", "unit", "year", "currency", "flag", "source")}})
    for scope in ("defaults", "correlations"):
        for path, fig in _walk_figures(model.ref.get(scope, {}), ""):
            rows.append({"scope": scope, "item": path, **{k: fig.get(k) for k in
                         ("value", "low", "high", "unit", "year", "currency", "flag", "source")}})
    for i, pair in enumerate(model.ref.get("correlations", {}).get("pairs") or []):
        rows.append({"scope": "correlations", "item": f"pairs[{i}] " + " ~ ".join(
            map(str, pair.get("between", []))), **{k: pair.get(k) for k in
                ("value", "unit", "year", "currency", "flag", "source")}})
    out = pd.DataFrame(rows)
    out["value"] = out["value"].astype(str)
    return out
