"""What is an option worth over the contract?

Net present value, break-even month against the baseline, the contract TCO table, and the
year's cost bridge (line by line) between an option and the baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.costs.model import (
    SourcingModel,
    _discount,
    _monthly_array,
    _Tweaks,
    option_slice,
)
from toolkit.costs.portfolio import PORTFOLIO
from toolkit.costs.reference import LEAVING_LINES, LINES
from toolkit.errors import ParameterError


def npv(cashflows, rate: float, *, periods_per_year: int = 12) -> float:
    """Net present value of end-of-period cash flows at an annual ``rate``.

    ``npv([100, 100], 0.10, periods_per_year=1) == 100/1.1 + 100/1.21``.
    """
    cf = np.asarray(cashflows, dtype=float)
    if rate <= -1:
        raise ParameterError("rate", rate, "an annual discount rate above -1 (e.g. 0.08)")
    return float(np.sum(cf * (1 + rate) ** (-(np.arange(len(cf)) + 1) / periods_per_year)))


def break_even_month(option_costs, baseline_costs) -> float:
    """First month (1-based) from which the cumulative saving against the baseline stays >= 0.

    NaN when the option never pays back within the horizon.
    """
    saving = np.cumsum(np.asarray(baseline_costs, float) - np.asarray(option_costs, float))
    negative = np.flatnonzero(saving < -1e-9)
    if len(negative) == 0:
        return 1.0
    last_neg = negative[-1]
    return float(last_neg + 2) if last_neg + 1 < len(saving) else float("nan")


def tco(model: SourcingModel) -> pd.DataFrame:
    """Contract TCO per option: nominal total, NPV, saving and break-even.

    Savings are measured against ``model.comparison`` — the status quo when the model has
    one (``baseline_*`` columns), else the in-house baseline — and always against all
    in-house too (``inhouse_npv_eur``, ``saving_vs_inhouse_pct``). Portfolios (the status quo,
    partial moves) are rows with ``form == "PORTFOLIO"``. With the value of service on, also
    ``service_npv_eur`` (present value of the lost contacts), ``npv_with_service_eur`` and
    ``saving_with_service_pct``.
    """
    cost, q, la, _ = _monthly_array(model)
    disc = _discount(model, _Tweaks())
    monthly = cost.sum(axis=2)                                    # (L, columns, T)
    base = option_slice(model, monthly, model.comparison)
    base_npv = float((base * disc).sum())
    inhouse_npv = float((option_slice(model, monthly, tuple(model.baseline)) * disc).sum())
    rows = []
    for loc, form in model.option_keys():
        flows = option_slice(model, monthly, (loc, form))
        lines = option_slice(model, cost, (loc, form))
        value = float((flows * disc).sum())
        rows.append({
            "location": loc, "form": form,
            "feasible": True if form == PORTFOLIO else model.feasible(loc, form),
            "total_nominal_eur": float(flows.sum()), "npv_eur": value,
            "baseline": " / ".join(model.comparison),
            "baseline_npv_eur": base_npv, "saving_npv_eur": base_npv - value,
            "saving_pct": (base_npv - value) / base_npv if base_npv else np.nan,
            "inhouse_npv_eur": inhouse_npv,
            "saving_vs_inhouse_pct": (inhouse_npv - value) / inhouse_npv if inhouse_npv else np.nan,
            "break_even_month": break_even_month(flows, base),
            "transition_eur": float(lines[LINES.index("transition")].sum()),
            "exit_eur": float(lines[LINES.index("exit")].sum()),
            "leaving_eur": float(sum(lines[LINES.index(k)].sum() for k in LEAVING_LINES)),
            "discount_rate": model.discount_rate, "months": model.months,
            "currency": "EUR", "price_year": model.start_year})
    out = pd.DataFrame(rows)
    if model.service is not None:
        # value of service on: what the option's abandoned and repeat contacts lose, beside
        # its cost (not a cost line: no cash changes hands)
        from toolkit.costs.service import service_npv
        lost = service_npv(model)
        keys = list(zip(out["location"], out["form"], strict=True))
        out["service_npv_eur"] = lost.loc[keys].to_numpy()
        out["npv_with_service_eur"] = out["npv_eur"] + out["service_npv_eur"]
        base = float(out["npv_with_service_eur"][[k == tuple(model.comparison) for k in keys]].iloc[0])
        out["saving_with_service_pct"] = (base - out["npv_with_service_eur"]) / base
    return out


def cost_bridge_steps(scenarios: pd.DataFrame, option: tuple[str, str],
                      baseline: tuple[str, str], *, contract_year: int = 2,
                      method: str | None = None) -> tuple[float, pd.Series, float]:
    """Baseline total, per-line differences (option - baseline) and option total for a year."""
    s = scenarios[scenarios["contract_year"] == contract_year]
    if method is not None:
        s = s[s["method"] == method]
    s = s.set_index(["location", "form"])
    base, opt = s.loc[tuple(baseline)], s.loc[tuple(option)]
    if isinstance(base, pd.DataFrame):
        base, opt = base.iloc[0], opt.iloc[0]
    steps = (opt[list(LINES)] - base[list(LINES)]).astype(float)
    return float(base["total_eur"]), steps[steps.abs() > 0], float(opt["total_eur"])
