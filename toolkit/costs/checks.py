"""Does the model agree with the world?

Labour share against its band, wages against the legal minimum, the published price ratios
and savings (FACTS 1.1), and the prices current providers actually invoice.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.costs.finance import tco
from toolkit.costs.model import (
    CLAUSES,
    METHODS,
    SourcingModel,
    _bottom_up_price_eur,
    _escalate,
    _invoice_scales,
    _location_arrays,
    _rate_card_price_eur,
    _status_quo_engine,
    _Tweaks,
    price_index,
    provider_cost_index,
    scenario_costs,
)
from toolkit.costs.reference import LINES, _check_choice, _is_figure, _value, load_reference
from toolkit.errors import ParameterError


def labour_share_check(scenarios: pd.DataFrame, *, band: tuple[float, float] | None = None,
                       tiers: Sequence[str] = ("onshore",), ref: dict | None = None,
                       contract_year: int = 2) -> pd.DataFrame:
    """Labour share (payroll / operating cost) of the feasible scenarios in ``tiers`` against a band.

    The band defaults to ``labour_share_band`` (0.60-0.70: FACTS section 2 puts labour at
    0.60-0.80 of operating cost). Year 2 is checked by default: a full run-rate year.
    Returns one row per scenario with ``labour_share``, ``low``, ``high`` and ``ok``.
    """
    ref = ref or load_reference()
    low, high = band or tuple(_value(ref["defaults"]["labour_share_band"]))
    if not 0 <= low < high <= 1:
        raise ParameterError("band", (low, high), "two shares 0 <= low < high <= 1")
    scenarios = scenarios[scenarios["location"].isin(list(ref["locations"]))]
    tier = scenarios["location"].map(lambda x: ref["locations"][x]["tier"])
    year = min(contract_year, int(scenarios["contract_year"].max()))
    sel = scenarios[tier.isin(list(tiers)) & scenarios["feasible"]
                    & (scenarios["contract_year"] == year)]
    out = sel[["location", "form", "method", "contract_year", "labour_share"]].copy()
    out["low"], out["high"] = low, high
    out["ok"] = out["labour_share"].between(low, high)
    return out.reset_index(drop=True)


def wage_floor_check(model: SourcingModel) -> pd.DataFrame:
    """Each location's agent wage against its statutory minimum, both at the start year.

    Wages come from sector / agent anchors escalated with wage inflation; the legal
    minimum (FACTS 1.3) is the floor they must clear. ``ok`` is False below the floor.
    """
    rows = []
    for loc in model.locations:
        L = model.ref["locations"][loc]
        floor = L.get("minimum_wage")
        if not _is_figure(floor):
            continue
        infl = float(_value(L["wage_inflation"]))
        wage = _escalate(L["wage_basis"], infl, model.start_year)
        minimum = _escalate(floor, infl, model.start_year)
        rows.append({"location": loc, "currency": L["currency"], "year": model.start_year,
                     "wage_gross_month": wage, "minimum_gross_month": minimum,
                     "ratio_to_minimum": wage / minimum, "ok": wage >= minimum,
                     "wage_source": L["wage_basis"].get("source")})
    return pd.DataFrame(rows)


#: Location ids the published ratios refer to (FACTS 1.1).
_CHECK_LOCATIONS = {"paris": "FR-PAR", "regions": "FR-REG", "morocco": "MA",
                    "maghreb": ("MA", "TN")}


def _with_locations(model: SourcingModel, extra: Sequence[str],
                    forms: Sequence[str] = ("INHOUSE", "FULL")) -> SourcingModel:
    """A copy of the model that also covers ``extra`` locations and ``forms``.

    The staffing profile is the company's own traffic, the same for every location (quality
    gaps are applied by the engine), so a missing location reuses the baseline's rows.
    """
    m = copy.copy(model)
    missing = [loc for loc in extra if loc in model.ref["locations"] and loc not in m.locations]
    if missing:
        base = model.profile[model.profile["location"] == model.baseline[0]]
        m.profile = pd.concat([model.profile, *(base.assign(location=loc) for loc in missing)],
                              ignore_index=True)
        m.locations = [*model.locations, *missing]
    m.forms = list(dict.fromkeys([*model.forms, *forms]))
    return m


def benchmark_checks(model: SourcingModel, *, methods: Sequence[str] = ("rate_card", "bottom_up"),
                     contract_year: int = 2) -> pd.DataFrame:
    """Does the model reproduce the published ratios (FACTS 1.1)? One row per check x method.

    Computed from the model's own outputs (each method: market rate card, and bottom-up
    provider cost + margin):

    - Paris / regions provider price per productive hour (1.35-1.40, 2004, D);
    - Morocco / France (regions) provider price (~0.5, 2004/2012, D);
    - offshore Maghreb saving vs France: 1 - NPV(full outsourcing) / NPV(FR-REG in-house)
      over the contract, for each Maghreb location of the shortlist (MA if none; 30-40 %, D);
    - UK relative index, year-``contract_year`` cost of full outsourcing / in-house: on-shore
      BPO (same location) 90-105 %; each near-shore location 55-75 %; each off-shore 35-55 %
      of FR-REG in-house (E).

    Tolerance reflects the flag: D (dated) and E (estimate) bands get +-0.10 (10 points for
    shares; 0.10 for ratios), sourced current figures +-0.05. ``passed`` = within the band
    widened by the tolerance; ``in_band`` = within the band itself.
    """
    methods = _check_choice("methods", methods, METHODS)
    ref = model.ref
    bands = ref.get("benchmarks", {})
    need = [_CHECK_LOCATIONS["paris"], _CHECK_LOCATIONS["regions"], _CHECK_LOCATIONS["morocco"]]
    m0 = _with_locations(model, need)
    home = _CHECK_LOCATIONS["regions"]
    tiers = {loc: ref["locations"][loc]["tier"] for loc in m0.locations}
    rows = []

    def add(key, option, method, value):
        fig = bands[key]
        low, high = (float(x) for x in fig["value"])
        tol = 0.10 if fig.get("flag") in ("D", "E") else 0.05
        rows.append({"check": key, "location": option.split(" ")[0], "option": option,
                     "method": method, "model_value": value,
                     "band_low": low, "band_high": high, "tolerance": tol,
                     "in_band": bool(low <= value <= high),
                     "passed": bool(low - tol <= value <= high + tol),
                     "flag": fig.get("flag"), "year": fig.get("year"),
                     "source": fig.get("source")})

    for method in methods:
        m = copy.copy(m0)
        m.method = method
        tw = _Tweaks()
        la = _location_arrays(m, tw)
        price = (_bottom_up_price_eur(m, la, tw) if method == "bottom_up"
                 else _rate_card_price_eur(m, la, {}, tw))
        p = dict(zip(m.locations, price, strict=True))
        scen = scenario_costs(m)
        year = min(contract_year, int(scen["contract_year"].max()))
        total = scen[scen["contract_year"] == year].set_index(["location", "form"])["total_eur"]
        npv_ = tco(m).set_index(["location", "form"])["npv_eur"]
        add("paris_regions_price_ratio", f"{_CHECK_LOCATIONS['paris']} / {home} price",
            method, p[_CHECK_LOCATIONS["paris"]] / p[home])
        add("morocco_france_price_ratio", f"{_CHECK_LOCATIONS['morocco']} / {home} price",
            method, p[_CHECK_LOCATIONS["morocco"]] / p[home])
        for loc in [k for k in _CHECK_LOCATIONS["maghreb"] if k in model.locations] or ["MA"]:
            add("maghreb_saving_vs_france", f"{loc} / FULL vs {home} / INHOUSE (NPV)", method,
                1 - npv_[(loc, "FULL")] / npv_[(home, "INHOUSE")])
        for loc in m.locations:
            if tiers[loc] == "onshore":
                add("onshore_bpo_index", f"{loc} / FULL vs {loc} / INHOUSE", method,
                    total[(loc, "FULL")] / total[(loc, "INHOUSE")])
        for loc in model.locations:
            if tiers[loc] in ("nearshore", "offshore"):
                add(f"{tiers[loc]}_index", f"{loc} / FULL vs {home} / INHOUSE", method,
                    total[(loc, "FULL")] / total[(home, "INHOUSE")])
    return pd.DataFrame(rows)


def observed_prices(reports: pd.DataFrame, sites: pd.DataFrame,
                    model: SourcingModel | None = None, *, months: int = 12) -> pd.DataFrame:
    """Price actually paid per billed hour and per contact at current provider sites.

    ``reports`` / ``sites`` as read by ``toolkit.io.read_provider_reports`` / ``read_sites``;
    the last ``months`` months count. ``full_cost_per_contact_eur`` adds, for hosted seats,
    the company's own payroll for the agents (``hosted_full_cost``) to the seat invoice. With a model, the reference rate card of the same
    location (EUR per productive hour at the contract start year) is set beside it: only
    FULL sites compare like for like (hosted seats bill the seats alone; billed hours may be
    logged rather than productive hours).
    """
    need = {"month", "site", "invoice_eur", "billed_hours", "contacts_handled"}
    if need - set(reports.columns):
        raise ParameterError("reports", sorted(need - set(reports.columns)),
                             "provider reports read by toolkit.io.read_provider_reports")
    r = reports.merge(sites[["site", "provider", "location", "engagement_form"]]
                      .rename(columns={"provider": "provider_name"}), on="site", how="left")
    period = pd.PeriodIndex(r["month"], freq="M")
    r = r[period > period.max() - months]
    g = (r.groupby(["site", "provider_name", "location", "engagement_form"], as_index=False)
         .agg(invoice_eur=("invoice_eur", "sum"), billed_hours=("billed_hours", "sum"),
              contacts=("contacts_handled", "sum"), first_month=("month", "min"),
              last_month=("month", "max")))
    g["eur_per_billed_hour"] = g["invoice_eur"] / g["billed_hours"]
    g["eur_per_contact"] = g["invoice_eur"] / g["contacts"]
    # Hosted seats bill the seats alone: their cost per contact adds the company's payroll.
    full = hosted_full_cost(r.drop(columns=["provider_name", "location", "engagement_form"]),
                            sites, overrides=None if model is None else model.ref,
                            basis=None if model is None else model.basis)
    payroll = full.groupby("site")["payroll_eur"].sum()
    g["own_payroll_eur"] = g["site"].map(payroll).fillna(0.0)
    g["full_cost_eur"] = g["invoice_eur"] + g["own_payroll_eur"]
    g["full_cost_per_contact_eur"] = g["full_cost_eur"] / g["contacts"]
    g["first_month"], g["last_month"] = g["first_month"].astype(str), g["last_month"].astype(str)
    if model is not None:
        known = [loc for loc in g["location"].unique() if loc in model.ref["locations"]]
        sub = copy.copy(model)
        sub.locations = known
        tw = _Tweaks()
        la = _location_arrays(sub, tw)
        price = dict(zip(known, _rate_card_price_eur(sub, la, {}, tw), strict=True))
        g["reference_eur_per_productive_hour"] = g["location"].map(price)
        g["reference_year"] = model.start_year
        g["ratio_observed_to_reference"] = (g["eur_per_billed_hour"]
                                            / g["reference_eur_per_productive_hour"])
        g["like_for_like"] = g["engagement_form"] == "FULL"
    return g.rename(columns={"provider_name": "provider"})


def status_quo_reconciliation(model: SourcingModel) -> pd.DataFrame:
    """Model against invoice per provider site of the status quo, the gap and its causes.

    Over the 12 months ending with the report period: the model's invoice for the site's
    share of the workload (reference rate card or seat costs, contract-start prices) against
    what the provider invoiced. The gap splits exactly into an hours effect (billed hours
    against the model's productive hours, at the model's price) and a price effect (actual
    price per billed hour against the model's, on the billed hours). The status quo is
    costed at the actual invoices; this table says how far the reference figures are off.
    """
    tw, la, q, terms = _status_quo_engine(model)
    scales = _invoice_scales(model, la, q, tw, terms)
    rows = []
    for r in model.status_quo.sites.itertuples():
        if r.site not in scales:
            continue
        s = scales[r.site]
        model_price = s["model_price"]
        actual_price = r.invoice_eur / r.billed_hours if r.billed_hours else np.nan
        hours_effect = (r.billed_hours - s["model_hours"]) * model_price
        price_effect = (actual_price - model_price) * r.billed_hours
        rows.append({"site": r.site, "provider": r.provider, "location": r.location,
                     "form": r.form, "share_of_workload": r.share,
                     "model_invoice_eur": s["model_invoice"], "invoice_eur": r.invoice_eur,
                     "gap_eur": r.invoice_eur - s["model_invoice"],
                     "gap_pct": r.invoice_eur / s["model_invoice"] - 1,
                     "model_hours": s["model_hours"], "billed_hours": r.billed_hours,
                     "model_eur_per_hour": model_price, "invoiced_eur_per_billed_hour": actual_price,
                     "hours_effect_eur": hours_effect, "price_effect_eur": price_effect,
                     "explanation": _gap_words(hours_effect, price_effect, r.form),
                     "months": r.report_months, "price_year": model.start_year})
    return pd.DataFrame(rows)


def _gap_words(hours: float, price: float, form: str) -> str:
    """The larger effect first, in words a reader can check."""
    what = "seat invoice per hour" if form == "HOSTED" else "price per hour"
    parts = sorted([(abs(hours), f"billed hours {'above' if hours > 0 else 'below'} the "
                     f"modelled productive hours ({hours / 1e3:+,.0f} k EUR)"),
                    (abs(price), f"{what} {'above' if price > 0 else 'below'} the model's "
                     f"({price / 1e3:+,.0f} k EUR)")], reverse=True)
    return "; ".join(p for _, p in parts)


def margin_check(model: SourcingModel, scenarios: pd.DataFrame | None = None, *,
                 band: tuple[float, float] | None = None) -> pd.DataFrame:
    """The provider's implied margin per option and contract year against a plausible band.

    Under a rate card the margin is what the invoice leaves after the provider's estimated
    costs; it moves with the price's indexation clause (``price_index``) against the
    provider's cost path (local wages x FX, ``cost_index``; both relative to the start).
    ``flag``: ``negative`` (the provider would work at a loss), ``below band``,
    ``above band`` or empty. Band: ``defaults.margin_band`` (5-45 % of provider cost: FACTS 2 puts off-shore margins at ~43 %).
    """
    d = model.ref["defaults"]
    low, high = band or tuple(float(x) for x in _value(d["margin_band"]))
    if not -1 < low < high:
        raise ParameterError("band", (low, high), "two margins low < high, e.g. (0.05, 0.35)")
    scen = scenarios if scenarios is not None else scenario_costs(model)
    scen = scen[(scen["form"] != "PORTFOLIO") & scen["feasible"]]
    tw = _Tweaks()
    la = _location_arrays(model, tw)
    years = np.arange(model.months) / 12.0
    log_w = np.log1p(la["infl"])[None, :, None] * years
    log_fx = np.log1p(la["fx_drift"])[None, :, None] * years
    price_idx = price_index(la, log_w, log_fx, years)[0]
    cost_idx = provider_cost_index(la, log_w, log_fx)[0]
    year_of = np.arange(model.months) // 12
    clause = {loc: CLAUSES[c] for loc, c in zip(model.locations, la["clause"], strict=True)}
    rows = []
    for r in scen.itertuples():
        payer = model.ref["forms"][r.form]["payer"]
        if payer["provider_margin"] != "client":
            continue
        provider = sum(getattr(r, line) for line in LINES[:9] if payer[line] == "provider")
        if not provider:
            continue
        li_ = model.locations.index(r.location)
        sel = year_of == r.contract_year - 1
        pct = r.provider_margin / provider
        flag = ("negative" if pct < 0 else "below band" if pct < low
                else "above band" if pct > high else "")
        rows.append({"location": r.location, "form": r.form, "method": r.method,
                     "contract_year": r.contract_year, "clause": clause[r.location],
                     "invoice_eur": provider + r.provider_margin, "provider_cost_eur": provider,
                     "provider_margin_eur": r.provider_margin, "margin_pct": pct,
                     "price_index": float(price_idx[li_, sel].mean()),
                     "cost_index": float(cost_idx[li_, sel].mean()),
                     "band_low": low, "band_high": high, "flag": flag})
    return pd.DataFrame(rows)


def price_comparison(model: SourcingModel) -> pd.DataFrame:
    """Rate card beside bottom-up price (provider cost + margin) per location, EUR per
    productive hour at the contract start.

    ``implied_margin_pct`` is what the rate card leaves over the provider's cost per hour;
    ``flag`` says ``rate card below cost`` (the provider would work at a loss) or
    ``outside margin band`` (``defaults.margin_band``); empty when they agree.
    """
    tw = _Tweaks()
    la = _location_arrays(model, tw)
    rate = _rate_card_price_eur(model, la, {}, tw)
    bottom_up = _bottom_up_price_eur(model, la, tw)
    cost = bottom_up / (1 + la["margin"])
    low, high = (float(x) for x in _value(model.ref["defaults"]["margin_band"]))
    out = pd.DataFrame({"location": model.locations,
                        "rate_card_eur_per_hour": rate, "bottom_up_eur_per_hour": bottom_up,
                        "provider_cost_eur_per_hour": cost,
                        "reference_margin_pct": la["margin"],
                        "implied_margin_pct": rate / cost - 1,
                        "sourced_rate_card": np.isfinite(la["price_local"]),
                        "price_year": model.start_year})
    out["flag"] = np.where(out["implied_margin_pct"] < 0, "rate card below cost",
                           np.where(~out["implied_margin_pct"].between(low, high),
                                    "outside margin band", ""))
    return out


def negative_margin_text(margins: pd.DataFrame, option: tuple[str, str] | None = None) -> str:
    """One sentence per option whose provider works at a loss (``margin_check`` rows)."""
    neg = margins[margins["flag"] == "negative"]
    if option is not None:
        neg = neg[(neg["location"] == option[0]) & (neg["form"] == option[1])]
    if neg.empty:
        return ""
    g = neg.groupby(["location", "form"]).agg(margin=("margin_pct", "mean"),
                                             eur=("provider_margin_eur", "sum"),
                                             years=("contract_year", "count"))
    return " ".join(f"{loc} / {form}: the rate card leaves the provider a negative margin "
                    f"({r.margin:.0%} of its cost, {r.eur / 1e6:,.2f} M EUR over {int(r.years)} "
                    f"contract year(s)): it beats its rivals only if the provider accepts to work at a loss."
                    for (loc, form), r in g.iterrows())


#: Lines the company pays for its own agents on a hosted site (HOSTED payer = client).
_OWN_STAFF_LINES = ("agents", "supervision", "wfm_qa", "overheads", "recruitment",
                    "training_attrition")


def hosted_full_cost(reports: pd.DataFrame, sites: pd.DataFrame, *, overrides=None,
                     basis=None) -> pd.DataFrame:
    """Full monthly cost of each hosted-seats site: the provider's seat invoice plus the
    company's own payroll for the agents working there (the KPI report's cost per contact).

    The agents' FTE are the billed productive hours over the productive hours one FTE gives
    a month at that location (planning basis: worked hours, in-shift shrinkage, schedule
    efficiency); their cost per FTE-month is the sourcing model's client-paid lines for
    hosted seats there (loaded pay with the abroad premium, team leaders and expatriate
    managers, WFM/QA, overheads, hiring and training), escalated to each month's year.

    Returns ``month, site, location, seat_invoice_eur, fte, payroll_eur, full_cost_eur,
    contacts, seat_invoice_per_contact_eur, full_cost_per_contact_eur``.
    """
    from toolkit.costs.model import _monthly_array, build_model

    need = {"month", "site", "invoice_eur", "billed_hours", "contacts_handled"}
    if need - set(reports.columns):
        raise ParameterError("reports", sorted(need - set(reports.columns)),
                             "provider reports read by toolkit.io.read_provider_reports")
    hosted = sites[sites["engagement_form"] == "HOSTED"]
    r = reports.merge(hosted[["site", "location"]], on="site", how="inner")
    if r.empty:
        return pd.DataFrame(columns=["month", "site", "location", "seat_invoice_eur", "fte",
                                     "payroll_eur", "full_cost_eur", "contacts",
                                     "seat_invoice_per_contact_eur", "full_cost_per_contact_eur"])
    month = pd.PeriodIndex(r["month"], freq="M")
    first, last = month.min(), month.max()
    years = int(np.ceil(((last - first).n + 1) / 12))
    frames = []
    for loc, g in r.assign(period=month).groupby("location"):
        profile = pd.DataFrame([{"location": loc, "month": m, "productive_hours": 1000.0,
                                 "contacts": 1.0, "handled_contacts": 1.0, "handled_minutes": 1.0}
                                for m in range(1, 13)])
        m = build_model(profile=profile, locations=[loc], forms=["HOSTED"], start=str(first),
                        contract_years=max(1, min(years, 10)), overrides=overrides,
                        baseline=(loc, "HOSTED"), **({"basis": basis} if basis else {}))
        cost, q, la, _ = _monthly_array(m)
        lines = [LINES.index(k) for k in _OWN_STAFF_LINES]
        # run cost per FTE-month (transition and exit are one-offs of a new operation)
        per_fte = cost[0, m.forms.index("HOSTED"), lines, :].sum(axis=0) / q["fte"][0]
        t = (g["period"] - first).map(lambda d: d.n).to_numpy()
        fte = g["billed_hours"].to_numpy(float) / la["productive_per_fte"][0]
        payroll = fte * per_fte[np.minimum(t, m.months - 1)]
        frames.append(pd.DataFrame({"month": g["month"].astype(str).to_numpy(),
                                    "site": g["site"].to_numpy(), "location": loc,
                                    "seat_invoice_eur": g["invoice_eur"].to_numpy(float),
                                    "fte": fte, "payroll_eur": payroll,
                                    "contacts": g["contacts_handled"].to_numpy(float)}))
    out = pd.concat(frames, ignore_index=True)
    out["full_cost_eur"] = out["seat_invoice_eur"] + out["payroll_eur"]
    out["seat_invoice_per_contact_eur"] = out["seat_invoice_eur"] / out["contacts"]
    out["full_cost_per_contact_eur"] = out["full_cost_eur"] / out["contacts"]
    return out.sort_values(["site", "month"], ignore_index=True)
