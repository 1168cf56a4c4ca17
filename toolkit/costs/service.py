"""What does a lost contact cost? The value of service, switchable (off by default).

When on (``build_model(value_of_service=True)``), every option carries the value its service
loses, beside its cost: contacts abandoned at the service target — the staffing engine's
Erlang A abandonment per queue (``workload.queue_service``), the same for every option since
every option is staffed to the same target, plus a location's ``abandon_rate_uplift`` where
the reference gives one — and the repeat contacts of its first-contact-resolution gap (the
repeat factor the workload already carries). Each lost contact loses its queue's expected
value: conversion rate x margin per sale (sales queues), save rate x customer value
(retention queues), nothing elsewhere, less the share recovered when the customer comes
back. The rates come from the provider reports (KPI data) when given, else from the
reference (``defaults.value_of_service``, flag G); that value per queue is built with the
model (``reference.build_service``), and this module turns it into lost contacts and lost
value per option.

The lost value is kept out of the cost lines (cash): ``tco`` and ``monte_carlo`` add it
in their own columns, and ``decision.service_ranking`` ranks with and without it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.costs.model import (
    SourcingModel,
    _base_quantities,
    _discount,
    _location_arrays,
    _Tweaks,
)
from toolkit.costs.portfolio import PORTFOLIO
from toolkit.costs.reference import _value
from toolkit.errors import ParameterError

# --------------------------------------------------------------------------------------------
# Lost contacts and their value per option
# --------------------------------------------------------------------------------------------

def _queue_weights(model: SourcingModel, key: tuple[str, str], queues: Sequence[str]) -> np.ndarray:
    """Share of each queue's contacts an option handles at each location: (L, Q, T)."""
    L, T = len(model.locations), model.months
    w = np.zeros((L, len(queues), T))
    loc, form = key
    if form != PORTFOLIO:
        w[model.locations.index(loc)] = 1.0
        return w
    p = next(p for p in model.portfolios if p.name == loc)
    for leg in p.legs:
        li_ = model.locations.index(leg.location)
        if leg.queue_share is None:          # a leg without its queues: every queue alike
            w[li_] += np.asarray(leg.share, float)[None, :]
            continue
        for qi, q in enumerate(queues):
            if q in p.queues:
                w[li_, qi] += leg.queue_share[p.queues.index(q)]
    return w


def _uplift(model: SourcingModel) -> np.ndarray:
    """Each location's abandonment above the planning basis's (``abandon_rate_uplift``)."""
    out = []
    for k in model.locations:
        fig = model.ref["locations"][k].get("abandon_rate_uplift")
        v = float(_value(fig)) if fig is not None else 0.0
        if not 0 <= v <= 1:
            raise ParameterError(f"locations.{k}.abandon_rate_uplift", v, "points in [0, 1]")
        out.append(v)
    return np.array(out)


def _service_arrays(model: SourcingModel, la: dict, q: dict) -> dict:
    """Per option (K) x location (L) x queue (Q) x month (T) contacts, and the EUR value of a
    lost contact per queue and month (escalated with ``non_labour_inflation``)."""
    svc = model.service.queues
    queues = list(svc["queue"])
    T = model.months
    t = np.arange(T) / 12.0
    nonlab = la["nonlab"]
    value = np.zeros((len(queues), T))
    for qi, row in enumerate(svc.itertuples()):
        if row.value_year is not None and row.lost_value_per_contact_eur:
            grow = (1 + nonlab) ** (model.start_year - int(row.value_year) + t)
            value[qi] = row.lost_value_per_contact_eur * grow
    keys = model.option_keys()
    # customer contacts of each queue at each location: (L, Q, T)
    contacts = q["contacts"][:, None, :] * svc["contact_share"].to_numpy(float)[None, :, None]
    W = np.stack([_queue_weights(model, k, queues) for k in keys])        # (K, L, Q, T)
    return {"keys": keys, "queues": queues, "contacts": W * contacts[None], "value": value,
            "abandon": svc["abandon_rate"].to_numpy(float)[None, :] + _uplift(model)[:, None],
            "kind": svc["kind"].to_numpy(), "rate": svc["rate"].to_numpy(float)}


def service_costs(model: SourcingModel) -> pd.DataFrame:
    """Lost contacts and their value per option and contract year (value of service on).

    ``contacts`` (customer contacts the option handles), ``abandoned_contacts`` (at the
    service target), ``repeat_contacts`` (from its FCR gap), ``lost_sales``, ``lost_saves``
    (outcomes of the lost contacts, after the recovered share), ``lost_value_eur`` (nominal).
    """
    _require(model)
    tw = _Tweaks()
    la = _location_arrays(model, tw)
    a = _service_arrays(model, la, _base_quantities(model, la, tw))
    c = a["contacts"]                                                     # (K, L, Q, T)
    abandoned = c * a["abandon"][None, :, :, None]
    repeats = c * (la["repeat"] - 1)[None, :, None, None]
    lost = (abandoned + repeats).sum(axis=1)                             # (K, Q, T)
    keep = 1 - model.service.recovered_share
    outcome = lost * (a["rate"] * keep)[None, :, None]
    years = np.arange(model.months) // 12
    rows = []
    for ki, (loc, form) in enumerate(a["keys"]):
        for y in np.unique(years):
            sel = years == y
            rows.append({
                "location": loc, "form": form, "contract_year": int(y) + 1,
                "contacts": float(c[ki][..., sel].sum()),
                "abandoned_contacts": float(abandoned[ki][..., sel].sum()),
                "repeat_contacts": float(repeats[ki][..., sel].sum()),
                "lost_sales": float(outcome[ki][a["kind"] == "sales"][:, sel].sum()),
                "lost_saves": float(outcome[ki][a["kind"] == "retention"][:, sel].sum()),
                "lost_value_eur": float((lost[ki] * a["value"])[:, sel].sum()),
                "currency": "EUR", "price_year": model.start_year})
    return pd.DataFrame(rows)


def _service_npv(model: SourcingModel, la: dict, q: dict, disc: np.ndarray,
                 vf: np.ndarray | None = None, repeat: np.ndarray | None = None) -> np.ndarray:
    """Present value of the lost contacts per option: (K,) at the reference figures, or
    (D, K) for drawn volume factors ``vf`` (D, T) and repeat factors ``repeat`` (D, L)."""
    a = _service_arrays(model, la, q)
    # EUR per contact handled x discount: abandonment part and per unit of (repeat - 1)
    per = (a["contacts"] * a["value"][None, None] * disc).sum(axis=2)      # (K, L, T)
    ab = (a["contacts"] * (a["value"][None, None] * a["abandon"][None, :, :, None])
          * disc).sum(axis=2)
    if vf is None:
        return (ab.sum(axis=(1, 2)) + (per.sum(axis=2) * (la["repeat"] - 1)[None]).sum(axis=1))
    e_ab = np.einsum("dt,klt->dk", vf, ab, optimize=True)
    e_per = np.einsum("dt,klt->dkl", vf, per, optimize=True)
    return e_ab + np.einsum("dkl,dl->dk", e_per, repeat - 1, optimize=True)


def service_npv(model: SourcingModel) -> pd.Series:
    """Present value of each option's lost contacts at the reference figures (EUR), indexed
    by (location, form)."""
    _require(model)
    tw = _Tweaks()
    la = _location_arrays(model, tw)
    v = _service_npv(model, la, _base_quantities(model, la, tw), _discount(model, tw))
    return pd.Series(v, index=pd.MultiIndex.from_tuples(model.option_keys(),
                                                         names=["location", "form"]))


def _require(model: SourcingModel) -> None:
    if model.service is None:
        raise ParameterError("value_of_service", False,
                             "a model built with value_of_service=True")


def service_inputs(model: SourcingModel) -> pd.DataFrame:
    """The value of a lost contact per queue, with where each figure comes from."""
    _require(model)
    return model.service.queues.copy()
