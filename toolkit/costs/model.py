"""Cost of a contact centre by location x engagement form, over the contract, with its risk.

The chain: interval volumes -> Erlang staffing (``toolkit.staffing``) -> productive hours and
FTE per location -> cost lines per engagement form (who pays what) -> monthly cash flows ->
TCO / NPV / break-even against in-house -> tornado, Monte Carlo, weighted decision matrix.

One engine serves every view. Each month's cost of a (location, form) is a linear combination
of four cost drivers per location — payroll ``P`` (agent FTE x loaded wage, EUR), hires ``A``
(``P`` x attrition / 12), FTE-months at EUR prices ``S`` (seats, and the EUR costs that do
not follow local wages: expatriate managers, governance abroad) and the rate-card invoice
``R`` — with coefficients set by the who-pays matrix. The deterministic views evaluate the
drivers once; the Monte Carlo draws them (wages, FX, AHT, attrition, volume, quality gaps)
as ``(draws, locations, months)`` arrays and contracts them with discount weights, so
10,000 draws of every location x form over 60 months take well under two seconds.

Calibration: agent wages are sector / agent anchors (FACTS 1.2) escalated with wage
inflation, the legal minimum a floor (``wage_floor_check``); the labour share is agents'
loaded pay over operating cost, as in FACTS 2's bottom-up formula; ``benchmark_checks``
sets the model's outputs against the published price ratios and savings (FACTS 1.1).

Money is in EUR, nominal, with figures escalated from their stated year to the contract start
year (each output states that year). Reference figures live in ``toolkit/reference/*.yaml``;
analysts override any of them with a YAML file (``overrides``).
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml

from toolkit.config import REFERENCE, project_path
from toolkit.errors import ParameterError

#: Cost lines, in waterfall order. ``overheads`` (HR, finance, site direction) is the
#: bottom-up overhead line; ``provider_margin`` is explicit (cost-plus) or implied (rate card).
LINES = ("agents", "supervision", "wfm_qa", "overheads", "recruitment", "training_attrition",
         "premises", "it", "telephony_licences", "provider_margin", "governance", "transition",
         "exit")
#: The labour share's numerator, as in FACTS section 2's bottom-up formula
#: (``price = gross x (1 + charges) / labour_share / (1 - shrinkage) x (1 + margin)``):
#: agents' loaded pay. ``PAYROLL_LINES`` adds the people steering them (``payroll_share``;
#: ~0.80 for French outsourcers, FACTS section 2).
LABOUR_LINES = ("agents",)
PAYROLL_LINES = ("agents", "supervision", "wfm_qa")
#: One-off lines, left out of run-rate views. The labour share is payroll over operating cost
#: (run cost without one-offs, provider margin and governance), as in FACTS section 2.
ONE_OFF_LINES = ("transition", "exit")
FORMS = ("INHOUSE", "FULL", "HOSTED", "INSOURCE", "BOT", "CAPTIVE")
BILLING_BASES = ("per_productive_hour", "per_fte_month", "per_call", "per_minute", "cost_plus")
METHODS = ("rate_card", "bottom_up")
CRITERIA = ("cost", "data_transfer", "labour_law", "language_fit", "timezone_overlap",
            "attrition", "social_acceptance")
#: Drivers of the cost engine (see module docstring) and the constant driver for fixed sums.
_DRIVERS = ("P", "A", "S", "R")
_WEEKS_PER_MONTH = 52.1775 / 12
_DAYS_PER_MONTH = 365.25 / 12
#: Parameters that may be negative (currency drift, volume decline).
_SIGNED_KEYS = {"drift", "volume_growth", "low"}


# --------------------------------------------------------------------------------------------
# Reference data: load, override, validate
# --------------------------------------------------------------------------------------------

def _safe_load(stream):
    """``yaml.safe_load``, through libyaml's safe loader when built: the same objects,
    about 10x faster on the reference files."""
    if yaml.__with_libyaml__:
        return yaml.load(stream, Loader=yaml.CSafeLoader)
    return yaml.safe_load(stream)


def _read_yaml(path: str | os.PathLike, parameter: str) -> dict:
    p = project_path(path)
    if not p.exists():
        raise ParameterError(parameter, str(path), "an existing YAML file")
    with open(p, encoding="utf-8") as fh:
        data = _safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ParameterError(parameter, str(path), "a YAML mapping at top level")
    return data


def _is_figure(node) -> bool:
    return isinstance(node, dict) and "value" in node


def _deep_merge(base: dict, override: Mapping, path: str) -> dict:
    """Merge ``override`` into a copy of ``base``; unknown keys are refused with the valid ones.

    A bare value given where the reference holds a figure replaces the figure's ``value`` and
    marks it as an analyst override, keeping unit, year and currency.
    """
    merged = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in merged:
            raise ParameterError(f"overrides: {path or 'top level'}", key,
                                 f"one of {sorted(map(str, merged))}")
        current = merged[key]
        if _is_figure(current) and not isinstance(value, Mapping):
            merged[key] = {**current, "value": value, "source": f"analyst override "
                           f"(reference: {current.get('value')!r}, {current.get('source')})",
                           "flag": "override"}
        elif isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = _deep_merge(current, value, where)
            if _is_figure(current) and "value" in value and "source" not in value:
                merged[key]["flag"] = "override"
        else:
            merged[key] = copy.deepcopy(value)
    return merged


#: Parsed reference files, keyed by their modification times (callers get deep copies).
_REFERENCE_CACHE: dict = {}


def load_reference(overrides: str | os.PathLike | Mapping | None = None) -> dict:
    """Reference data (locations, FX, defaults, forms) with the analyst's overrides merged in.

    ``overrides`` is a YAML path or a mapping with the same structure as the reference files
    (top-level keys ``fx_to_eur``, ``locations``, ``defaults``, ``risk_weights``, ``forms``).
    """
    files = [REFERENCE / name for name in ("locations.yaml", "cost_defaults.yaml",
                                           "engagement_forms.yaml")]
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


def _walk_figures(node, path: str):
    if _is_figure(node):
        yield path, node
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_figures(value, f"{path}.{key}" if path else str(key))


def validate_reference(ref: dict) -> None:
    """Refuse negative money or rates, currencies without an FX rate, bad payer codes."""
    fx = ref.get("fx_to_eur", {})
    for path, fig in _walk_figures(ref, ""):
        for key in ("value", "low", "high"):
            v = fig.get(key)
            if isinstance(v, bool) or not isinstance(v, int | float):
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


def _value(fig):
    return fig["value"] if _is_figure(fig) else fig


def _check_choice(parameter: str, values, valid: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    values = list(values)
    bad = [v for v in values if v not in valid]
    if bad or not values:
        raise ParameterError(parameter, bad[0] if bad else values, f"one or more of {list(valid)}")
    return values


# --------------------------------------------------------------------------------------------
# Staffing: volumes -> productive hours per location and month of year
# --------------------------------------------------------------------------------------------

def _local_clock(ds) -> pd.Series:
    """Timestamps as the site's wall-clock time (tz dropped after conversion, if any)."""
    ds = pd.to_datetime(pd.Series(ds))
    return ds.dt.tz_localize(None) if ds.dt.tz is not None else ds


def demand_profile(volumes: pd.DataFrame) -> pd.DataFrame:
    """Average day per (month of year, weekday, time slot, queue) over the last 12 months.

    Staffing an average day per weekday and month (and multiplying by the number of such
    days) keeps the intraday shape that drives Erlang requirements at ~1/4 of the rows.
    Returns ``month, weekday, slot, queue, calls, aht_s, days, interval_s``.
    """
    missing = {"ds", "queue", "calls", "aht_s"} - set(volumes.columns)
    if missing:
        raise ParameterError("volumes", sorted(missing), "a table with ds, queue, calls, aht_s")
    v = volumes[["ds", "queue", "calls", "aht_s"]].copy()
    v["ds"] = _local_clock(v["ds"])
    month = v["ds"].dt.to_period("M")
    last = month.max()
    v = v[month > last - 12]
    deltas = np.diff(np.sort(v["ds"].drop_duplicates().to_numpy())).astype("timedelta64[s]")
    positive = deltas[deltas > np.timedelta64(0, "s")]
    interval_s = float(positive.min().astype(float)) if len(positive) else 1800.0
    aht_fill = v.groupby("queue")["aht_s"].transform("mean")
    v["aht_s"] = v["aht_s"].fillna(aht_fill).fillna(0.0)
    v["month"] = v["ds"].dt.month
    v["weekday"] = v["ds"].dt.day_of_week
    v["slot"] = v["ds"].dt.hour * 60 + v["ds"].dt.minute
    v["date"] = v["ds"].dt.date
    v["work_s"] = v["calls"] * v["aht_s"]
    keys = ["month", "weekday", "slot", "queue"]
    g = v.groupby(keys, as_index=False).agg(calls=("calls", "sum"), work_s=("work_s", "sum"))
    days = (v.drop_duplicates(["date"]).groupby(["month", "weekday"]).size()
            .rename("days").reset_index())
    g = g.merge(days, on=["month", "weekday"], how="left")
    g["aht_s"] = np.where(g["calls"] > 0, g["work_s"] / g["calls"].where(g["calls"] > 0, 1), 0.0)
    g["calls"] = g["calls"] / g["days"]
    g["interval_s"] = interval_s
    return g.drop(columns="work_s")


def staffing_profile(volumes: pd.DataFrame, ref: dict | None = None,
                     locations: Sequence[str] | None = None) -> pd.DataFrame:
    """Productive hours, contacts and handled minutes per location and month of year.

    The Erlang requirement (``toolkit.staffing.required_agents``) is computed once per
    interval on the company's own traffic; each location's quality gap (AHT uplift, FCR gap
    -> repeat contacts) is applied by the cost engine as a workload factor, so the same
    profile serves the deterministic views, the tornado and the Monte Carlo draws.
    Returns ``location, month, productive_hours, contacts, handled_contacts, handled_minutes``.
    """
    from toolkit import staffing  # imported here: the cost model also runs on a given profile

    ref = ref or load_reference()
    locations = _check_choice("locations", locations or list(ref["locations"]),
                              list(ref["locations"]))
    d = ref["defaults"]
    prof = demand_profile(volumes)
    calls, aht = prof["calls"].to_numpy(), prof["aht_s"].to_numpy()
    agents = np.zeros(len(prof))
    busy = calls > 0
    if busy.any():
        req = staffing.required_agents(
            calls[busy], aht[busy], float(prof["interval_s"].iloc[0]),
            sl_target=float(_value(d["sl_target"])), target_s=float(_value(d["target_s"])),
            max_occupancy=float(_value(d["max_occupancy"])), shrinkage=0.0)
        agents[busy] = np.asarray(req["agents"], dtype=float)
    t = prof.assign(agent_h=agents * prof["interval_s"] / 3600 * prof["days"],
                    demand=prof["calls"] * prof["days"],
                    minutes=calls * aht / 60 * prof["days"])
    by_month = t.groupby("month").agg(
        productive_hours=("agent_h", "sum"), contacts=("demand", "sum"),
        handled_contacts=("demand", "sum"), handled_minutes=("minutes", "sum")).reset_index()
    out = pd.concat([by_month.assign(location=loc) for loc in locations], ignore_index=True)
    return out[["location", "month", "productive_hours", "contacts", "handled_contacts",
                "handled_minutes"]]


def read_monthly_forecast(path: str | os.PathLike) -> pd.DataFrame:
    """A monthly volume forecast: ``ds`` (month), ``yhat`` and optionally 80 % bounds.

    Queues are summed. Returns ``month`` (Period), ``yhat``, ``cv`` (from the 80 % interval
    when present, else NaN).
    """
    p = project_path(path)
    if not p.exists():
        raise ParameterError("forecast_path", str(path), "an existing CSV or Parquet file")
    fc = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
    return monthly_forecast_table(fc, parameter="forecast_path")


def monthly_forecast_table(fc: pd.DataFrame, *, parameter: str = "forecast") -> pd.DataFrame:
    """Sum a forecast (``ds, yhat[, yhat_lower_80, yhat_upper_80]``, any queues) by month.

    Interval-level forecasts are summed too. Returns ``month, yhat, cv``.
    """
    if not {"ds", "yhat"} <= set(fc.columns):
        raise ParameterError(parameter, sorted(fc.columns), "columns ds and yhat (monthly)")
    ds = pd.to_datetime(fc["ds"].astype(str).str[:7], format="%Y-%m")
    fc = fc.assign(month=ds.dt.to_period("M"))
    agg = {"yhat": ("yhat", "sum")}
    has_pi = {"yhat_lower_80", "yhat_upper_80"} <= set(fc.columns)
    if has_pi:
        agg |= {"lo": ("yhat_lower_80", "sum"), "hi": ("yhat_upper_80", "sum")}
    out = fc.groupby("month").agg(**agg).reset_index()
    # 80 % two-sided interval = +-1.2816 sd under normality. Summing bounds over queues and
    # intervals treats their errors as perfectly correlated: a deliberately wide CV.
    out["cv"] = ((out["hi"] - out["lo"]) / (2 * 1.2816 * out["yhat"])) if has_pi else np.nan
    return out[["month", "yhat", "cv"]]


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------

@dataclass
class SourcingModel:
    """Everything the cost views need: reference data, staffing profile and contract terms."""

    ref: dict
    profile: pd.DataFrame
    locations: list[str]
    forms: list[str]
    start: pd.Period
    months: int
    billing_basis: str
    method: str
    discount_rate: float
    baseline: tuple[str, str]
    language_market: str
    volume_index: np.ndarray
    volume_cv: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def start_year(self) -> int:
        return int(self.start.year)

    @property
    def options(self) -> list[tuple[str, str]]:
        return [(loc, form) for loc in self.locations for form in self.forms]

    def feasible(self, location: str, form: str) -> bool:
        """INHOUSE/INSOURCE need the company's own site (home country); CAPTIVE/BOT are abroad."""
        where = self.ref["forms"][form]["where"]
        home = self.ref["locations"][location]["country"] == _value(
            self.ref["defaults"]["home_country"])
        return where == "any" or (where == "home_country") == home


def build_model(volumes: pd.DataFrame | str | os.PathLike | None = None, *,
                profile: pd.DataFrame | None = None,
                locations: Sequence[str] | None = None,
                forms: Sequence[str] = ("INHOUSE", "FULL", "HOSTED", "INSOURCE"),
                contract_years: int = 5, start: str | None = None,
                billing_basis: str = "per_productive_hour", method: str = "rate_card",
                discount_rate: float = 0.08, overrides=None,
                forecast: pd.DataFrame | str | os.PathLike | None = None,
                baseline: tuple[str, str] = ("FR-REG", "INHOUSE"),
                language_market: str = "FR") -> SourcingModel:
    """Assemble a sourcing model from volumes (or a ready staffing profile) and parameters.

    Parameters
    ----------
    volumes : tidy ``ds, queue, calls, aht_s`` table or a path read by ``toolkit.io.read_volumes``.
    profile : a ``staffing_profile`` table, instead of volumes (tests, what-ifs).
    contract_years : 3 to 5 (months = 12 x years), starting the month after the history
        unless ``start`` ("YYYY-MM") says otherwise.
    billing_basis : how the provider bills: per productive hour, FTE month, call, minute, or
        ``cost_plus`` (bottom-up cost + margin).
    method : ``rate_card`` (market price per billing unit) or ``bottom_up`` (cost + margin).
    forecast : monthly forecast (``ds, yhat[, yhat_lower_80, yhat_upper_80]``) setting the
        volume path and, from its intervals, the volume uncertainty.
    baseline : the (location, form) every option is compared with.
    """
    ref = load_reference(overrides)
    valid_locs = list(ref["locations"])
    locations = _check_choice("locations", locations or ["FR-REG", "FR-PAR", "PT", "MA", "TN",
                                                          "SN", "MU", "MG"], valid_locs)
    forms = _check_choice("forms", forms, list(ref["forms"]))
    _check_choice("billing_basis", billing_basis, BILLING_BASES)
    _check_choice("method", method, METHODS)
    if not isinstance(contract_years, int | np.integer) or not 1 <= contract_years <= 10:
        raise ParameterError("contract_years", contract_years, "an integer from 1 to 10 (3-5 usual)")
    if not 0 <= discount_rate < 1:
        raise ParameterError("discount_rate", discount_rate, "an annual rate in [0, 1), e.g. 0.08")
    _check_choice("baseline location", baseline[0], valid_locs)
    _check_choice("baseline form", baseline[1], list(ref["forms"]))
    # The baseline is evaluated with every option (common random numbers in Monte Carlo).
    locations = list(dict.fromkeys([*locations, baseline[0]]))
    forms = list(dict.fromkeys([*forms, baseline[1]]))
    last_month = None
    if profile is None:
        if volumes is None:
            raise ParameterError("volumes", None, "a volumes table or path, or a profile table")
        if not isinstance(volumes, pd.DataFrame):
            from toolkit import io
            volumes = io.read_volumes(project_path(volumes))
        profile = staffing_profile(volumes, ref, locations)
        last_month = _local_clock(volumes["ds"]).max().to_period("M")
    else:
        missing = set(locations) - set(profile["location"])
        if missing:
            raise ParameterError("profile", sorted(missing), "a profile row set for every location")
    if start is not None:
        start_p = pd.Period(start, freq="M")
    elif last_month is not None:
        start_p = pd.Period(last_month.to_timestamp(), freq="M") + 1
    else:
        start_p = pd.Period("2027-01", freq="M")
    months = 12 * int(contract_years)
    d = ref["defaults"]
    contract = pd.period_range(start_p, periods=months, freq="M")
    growth = float(_value(d["volume_growth"]))
    volume_index = (1 + growth) ** (np.arange(months) / 12.0)
    volume_cv = np.full(months, float(_value(d["volume_cv"])))
    notes = []
    if forecast is not None:
        if not isinstance(forecast, pd.DataFrame):
            fc = read_monthly_forecast(forecast)
        elif {"month", "yhat", "cv"} <= set(forecast.columns):
            fc = forecast
        else:
            fc = monthly_forecast_table(forecast)
        base = (profile[profile["location"] == locations[0]].set_index("month")["contacts"])
        by_month = fc.set_index("month")
        for i, m in enumerate(contract):
            hits = [m] + [m - 12 * k for k in range(1, 6)]
            hit = next((h for h in hits if h in by_month.index), None)
            if hit is not None and base.get(m.month, 0) > 0:
                volume_index[i] = by_month.loc[hit, "yhat"] / base[m.month]
                cv = by_month.loc[hit, "cv"]
                if np.isfinite(cv):
                    volume_cv[i] = cv
        notes.append("volumes follow the monthly forecast; months beyond it repeat its last year")
    return SourcingModel(ref=ref, profile=profile, locations=locations, forms=forms,
                         start=start_p, months=months, billing_basis=billing_basis,
                         method=method, discount_rate=float(discount_rate),
                         baseline=tuple(baseline), language_market=language_market,
                         volume_index=volume_index, volume_cv=volume_cv, notes=notes)


# --------------------------------------------------------------------------------------------
# Engine: per-location arrays, cost-line coefficients, drivers
# --------------------------------------------------------------------------------------------

@dataclass
class _Tweaks:
    """Multipliers / replacements used by the tornado (1.0 / None = reference value)."""

    volume: float = 1.0
    aht: float = 1.0
    wage: float = 1.0
    wage_inflation: float = 0.0       # added to every location's rate
    fx: float = 1.0                   # applied to non-EUR currencies
    attrition: float = 1.0
    charges: float = 1.0
    price: float = 1.0
    seat_cost: float = 1.0
    margin: str | None = None         # "low" / "high": every market's margin at that end
    quality: str | None = None        # "high": every tier's AHT uplift and FCR gap at range high
    governance: float | None = None
    shrinkage: float | None = None
    overhead: float | None = None
    discount_rate: float | None = None
    exit_months: float | None = None
    transition: float = 1.0


def _escalate(fig, rate: float, to_year: int) -> float:
    return float(fig["value"]) * (1 + rate) ** (to_year - int(fig.get("year") or to_year))


def _location_arrays(model: SourcingModel, tw: _Tweaks) -> dict:
    """Per-location parameters at the contract start year (arrays of length L)."""
    ref, y0 = model.ref, model.start_year
    fx, d = ref["fx_to_eur"], ref["defaults"]
    locs = [ref["locations"][k] for k in model.locations]
    infl = np.array([_value(loc["wage_inflation"]) for loc in locs], float) + tw.wage_inflation
    nonlab = float(_value(d["non_labour_inflation"]))
    cur = [loc["currency"] for loc in locs]
    currencies = list(dict.fromkeys(["EUR", *cur, "USD"]))
    fx0 = np.array([fx[c]["value"] for c in currencies], float)
    fx0 = np.where(np.array(currencies) == "EUR", 1.0, fx0 * tw.fx)
    drift = np.array([fx[c].get("drift", 0.0) for c in currencies], float)
    vol = np.array([fx[c].get("volatility", 0.0) for c in currencies], float)
    gross = np.array([_escalate(loc["wage_basis"], i, y0) for loc, i in zip(locs, infl, strict=True)])
    charges = np.array([_value(loc["employer_charges"]) for loc in locs], float) * tw.charges
    price_cur, price = [], []
    for loc, i in zip(locs, infl, strict=True):
        fig = loc.get("price_per_productive_hour")
        price_cur.append(fig["currency"] if fig else "EUR")
        # Prices quoted in the local currency follow local wages; prices in EUR/USD follow
        # EUR-zone inflation (a 2012 EUR price is not indexed on MAD wages).
        rate = i if fig and fig["currency"] == loc["currency"] else nonlab
        price.append(_escalate(fig, rate, y0) if fig else np.nan)
    shrink = float(tw.shrinkage if tw.shrinkage is not None else _value(d["shrinkage"]))
    tiers = [loc["tier"] for loc in locs]
    home_ok = np.array([loc["country"] == _value(d["home_country"]) for loc in locs])
    margin_key = tw.margin or "value"
    margins = [_margin(d, _margin_market(loc), margin_key) for loc in locs]
    aht_up, repeat = _quality_factors(ref, model.locations, "high" if tw.quality else "value")
    return {
        "currencies": currencies,
        "cur_idx": np.array([currencies.index(c) for c in cur]),
        "price_cur_idx": np.array([currencies.index(c) for c in price_cur]),
        "fx0": fx0, "fx_drift": drift, "fx_vol": vol,
        "gross_local": gross * tw.wage, "charges": charges, "infl": infl,
        "paid_hours": np.array([_value(loc["paid_hours_per_month"]) for loc in locs], float),
        "attrition": np.array([_value(loc["attrition"]) for loc in locs], float) * tw.attrition,
        "price_local": np.array(price, float),
        "premises": np.array([_escalate(loc["premises_per_seat_month"], nonlab, y0)
                              for loc in locs]) * tw.seat_cost,
        "it": _escalate(d["it_per_seat_month"], nonlab, y0) * tw.seat_cost,
        "tel": _escalate(d["telephony_licences_per_seat_month"], nonlab, y0) * tw.seat_cost,
        "nonlab": nonlab, "shrinkage": shrink,
        "home": home_ok, "margin": np.array(margins, float),
        "aht_quality": aht_up, "repeat": repeat,
        "home_loaded_eur": _home_loaded_wage_eur(model, tw),
        "stab": np.array([_value(d["stabilisation_months"][t]) for t in tiers], float),
        "wage_sd": np.array([_value(d["wage_inflation_sd"]) * (1 if loc["currency"] == "EUR"
                                                               else 2) for loc in locs]),
    }


def _margin_market(location: dict) -> str:
    """``eu`` (on-shore and EU near-shore providers) or ``non_eu`` (off-shore markets)."""
    return "eu" if _value(location["eu_data_transfer"]) == "eu_member" else "non_eu"


def _margin(defaults: dict, market: str, key: str = "value") -> float:
    """Provider margin of a market (``eu`` / ``non_eu``); a single figure serves both."""
    fig = defaults["provider_margin"]
    if isinstance(fig, dict) and not _is_figure(fig):
        fig = fig[market]
    if not _is_figure(fig):
        return float(fig)
    return float(fig.get(key, fig["value"]))


def _repeat_factor(fcr_base: float, gap) -> np.ndarray:
    """Contacts handled per customer contact when FCR falls from ``fcr_base`` by ``gap``.

    An unresolved contact comes back until resolved (geometric): contacts per issue are
    ``1 / FCR``, so relative to the baseline ``fcr_base / (fcr_base - gap)``
    (FCR 67 % -> 50 %: x1.34, FACTS section 2's "34 % more likely to resolve").
    """
    gap = np.asarray(gap, float)
    if np.any(gap >= fcr_base) or np.any(gap < 0):
        raise ParameterError("fcr_gap", gap.tolist(), f"points in [0, fcr_baseline = {fcr_base})")
    return fcr_base / (fcr_base - gap)


def _quality_factors(ref: dict, locations: Sequence[str], key: str = "value"):
    """AHT factor and repeat-contact factor per location from its tier's quality gap."""
    d = ref["defaults"]
    tiers = [ref["locations"][k]["tier"] for k in locations]
    uplift = np.array([float(d["aht_uplift"][t].get(key, _value(d["aht_uplift"][t])))
                       for t in tiers])
    gap = np.array([float(d["fcr_gap"][t].get(key, _value(d["fcr_gap"][t]))) for t in tiers])
    return 1 + uplift, _repeat_factor(float(_value(d["fcr_baseline"])), gap)


def _home_loaded_wage_eur(model: SourcingModel, tw: _Tweaks) -> float:
    """Loaded monthly agent wage in the home country at the start year (EUR).

    Prices the expatriate managers a company sends to run its own staff abroad: their pay
    follows the home labour market, not the local one. Taken from the baseline location
    when it is at home, else from the first home-country location of the reference.
    """
    ref, d = model.ref, model.ref["defaults"]
    home = _value(d["home_country"])
    ids = [model.baseline[0], *ref["locations"]]
    loc = next(ref["locations"][k] for k in ids if ref["locations"][k]["country"] == home)
    infl = float(_value(loc["wage_inflation"])) + tw.wage_inflation
    fx = 1.0 if loc["currency"] == "EUR" else ref["fx_to_eur"][loc["currency"]]["value"]
    return (_escalate(loc["wage_basis"], infl, model.start_year) * tw.wage
            * (1 + float(_value(loc["employer_charges"]))) * fx)


#: Last profiles turned into month-of-year grids: (profile, locations, grids). The tornado
#: and the Monte Carlo rebuild the quantities for every tweak; the profile does not change.
_GRID_CACHE: list = []
_GRID_COLUMNS = ("productive_hours", "contacts", "handled_contacts", "handled_minutes")


def _profile_grids(profile: pd.DataFrame, locations: Sequence[str]) -> dict:
    """``column -> [location, month of year 1..12]`` from the staffing profile.

    A month missing from a location's profile takes that location's mean. Cached on the
    profile object itself (a new profile, e.g. from ``_with_locations``, is a new object).
    """
    key = tuple(locations)
    for cached_profile, cached_key, grids in _GRID_CACHE:
        if cached_profile is profile and cached_key == key:
            return grids
    prof = profile.set_index(["location", "month"]).sort_index()
    grids = {}
    for col in _GRID_COLUMNS:
        out = np.zeros((len(locations), 12))
        for i, loc in enumerate(locations):
            s = prof.loc[loc, col]
            filled = s.reindex(range(1, 13))
            out[i] = filled.fillna(s.mean()).to_numpy()
        out.flags.writeable = False  # shared between calls: nobody may edit it in place
        grids[col] = out
    _GRID_CACHE[:] = [*_GRID_CACHE[-7:], (profile, key, grids)]
    return grids


def _base_quantities(model: SourcingModel, la: dict, tw: _Tweaks) -> dict:
    """Monthly workload (productive hours), FTE, contacts, handled contacts/minutes (L, T).

    Quality gaps scale the workload linearly: AHT uplift x repeat contacts (Erlang
    economies of scale over a 10-30 % traffic change are a few % at this size).
    """
    moy = np.array([(model.start.month - 1 + t) % 12 + 1 for t in range(model.months)])
    vidx = model.volume_index * tw.volume
    months_of_year = _profile_grids(model.profile, model.locations)

    def grid(col):
        return months_of_year[col][:, moy - 1] * vidx

    quality = (la["aht_quality"] * la["repeat"])[:, None]
    hours = grid("productive_hours") * tw.aht * quality
    fte = hours / ((1 - la["shrinkage"]) * la["paid_hours"][:, None])
    return {"hours": hours, "fte": fte, "contacts": grid("contacts"),
            "handled": grid("handled_contacts") * la["repeat"][:, None],
            "minutes": grid("handled_minutes") * tw.aht * quality}


def _form_payers(model: SourcingModel, form: str, phase: int) -> dict:
    forms = model.ref["forms"]
    if form == "BOT" and phase == 1:
        return forms["CAPTIVE"]["payer"] if "CAPTIVE" in forms else forms["BOT"]["payer"]
    return forms[form]["payer"]


@dataclass
class _Terms:
    """Cost terms: ``cost[l,f,line,t] += coef[l,f] * weight[name][l,t] * driver_k[l,t]``."""

    items: list = field(default_factory=list)   # (line_index, driver, weight_name, coef[L,F])
    weights: dict = field(default_factory=dict)  # name -> (L, T)


def _terms(model: SourcingModel, la: dict, q: dict, tw: _Tweaks) -> _Terms:
    """Cost terms for every location x form: who pays which line, margin, governance, one-offs."""
    d, forms_ref = model.ref["defaults"], model.ref["forms"]
    L, F, T = len(model.locations), len(model.forms), model.months
    li = {name: i for i, name in enumerate(LINES)}
    margin = la["margin"]
    gov = float(tw.governance if tw.governance is not None else _value(d["governance_rate"]))
    premium = float(_value(d["inhouse_wage_premium"]))
    premium_abroad = float(_value(d["abroad_employer_premium"]))
    overhead_abroad = float(_value(d["abroad_overhead_rate"]))
    infra_factor = float(_value(d["client_infrastructure_factor"]))
    team_leaders = _value(d["team_leader_wage_multiple"]) / _value(d["agents_per_team_leader"])
    managers = _value(d["manager_wage_multiple"]) / _value(d["agents_per_manager"])
    sup = team_leaders + managers
    # A company running its own staff abroad sends managers paid on the home market
    # (plus an expatriate package): EUR per agent FTE-month, not a multiple of local pay.
    expat = (managers * la["home_loaded_eur"]
             * (1 + float(_value(d["expatriate_premium"]))))
    wfm = _value(d["wfm_qa_per_agent"]) * _value(d["wfm_qa_wage_multiple"])
    overhead = float(tw.overhead if tw.overhead is not None else _value(d["overhead_rate"]))
    rec = float(_value(d["recruitment_months"]))
    train = (_value(d["training_weeks"]) / _WEEKS_PER_MONTH
             + _value(d["ramp_days"]) / _DAYS_PER_MONTH * (1 - _value(d["ramp_productivity"])))
    seats = float(_value(d["seats_per_fte"]))
    fx_usd = la["fx0"][la["currencies"].index("USD")]
    setup = _escalate(d["setup_per_seat"], la["nonlab"], model.start_year) * fx_usd * tw.transition
    project = _escalate(d["transition_project_cost"], la["nonlab"], model.start_year) * tw.transition
    entity = _escalate(d["entity_setup_cost"], la["nonlab"], model.start_year) * tw.transition
    exit_m = float(tw.exit_months if tw.exit_months is not None else _value(d["exit_months"]))
    tau = min(int(forms_ref.get("BOT", {}).get("transfer_month", T)), T)
    fee_m = float(forms_ref.get("BOT", {}).get("transfer_fee_months", 0.0))

    home_price = _home_price_eur(model, la, q, tw)
    t = np.arange(T)
    W = {"all": np.ones((L, T)), "pre": np.broadcast_to(t < tau, (L, T)).astype(float),
         "post": np.broadcast_to(t >= tau, (L, T)).astype(float),
         "t0": np.broadcast_to(t == 0, (L, T)).astype(float),
         "last": np.broadcast_to(t == T - 1, (L, T)).astype(float),
         "tau": np.broadcast_to(t == tau - 1, (L, T)).astype(float)}
    p0 = float(_value(d["ramp_start_productivity"]))
    prod = np.minimum(1.0, p0 + (1 - p0) * t[None, :] / la["stab"][:, None])
    W["ramp"] = 1.0 / prod - 1.0
    terms = _Terms(weights=W)

    # Deterministic driver magnitudes at t = 0 (for the rate-card provider share).
    P0 = q["fte"][:, 0] * la["gross_local"] * (1 + la["charges"]) * la["fx0"][la["cur_idx"]]
    ref0 = {"P": P0, "A": P0 * la["attrition"] / 12, "S": q["fte"][:, 0] * seats}

    def run_coefs(form: str, phase: int):
        """coef[line] -> {driver: array L} for the run-rate lines paid by someone."""
        payer = _form_payers(model, form, phase)
        out = {}
        for line in LINES[:9]:
            who = payer[line]
            if who == "none":
                continue
            # The company's own staff: company pay at home, above-market pay abroad.
            client = who == "client"
            prem = np.where(client & la["home"], 1 + premium,
                            np.where(client, 1 + premium_abroad, 1.0))
            if line == "agents":
                c = {"P": prem}
            elif line == "supervision":
                abroad = client & ~la["home"]
                c = {"P": prem * np.where(abroad, team_leaders, sup)}
                if abroad.any():
                    c["S"] = np.where(abroad, expat, 0.0)
            elif line == "wfm_qa":
                c = {"P": prem * wfm}
            elif line == "overheads":
                # Overheads follow the payroll of whoever employs the agents.
                rate = np.where(client & ~la["home"], overhead_abroad, overhead)
                c = {"P": prem * rate * (1 + sup + wfm)}
            elif line == "recruitment":
                c = {"A": prem * rec}
            elif line == "training_attrition":
                c = {"A": prem * train}
            else:
                per_seat = {"premises": la["premises"], "it": np.full(L, la["it"]),
                            "telephony_licences": np.full(L, la["tel"])}[line]
                factor = infra_factor if who == "client" else 1.0
                c = {"S": per_seat * seats * factor}
            out[line] = (who, c)
        return out

    for fi, form in enumerate(model.forms):
        payer0 = forms_ref[form]["payer"]
        for phase, wname in ((0, "pre"), (1, "post")):
            if form != "BOT":
                wname = "all" if phase == 0 else None
            if wname is None:
                continue
            coefs = run_coefs(form, phase)
            payer = _form_payers(model, form, phase)
            prov = {k: np.zeros(L) for k in _DRIVERS}
            total_ref, prov_ref = np.zeros(L), np.zeros(L)
            for line, (who, c) in coefs.items():
                for k, v in c.items():
                    coef = np.zeros((L, F))
                    coef[:, fi] = v
                    terms.items.append((li[line], k, wname, coef))
                    total_ref += v * ref0[k]
                    if who == "provider":
                        prov[k] += v
                        prov_ref += v * ref0[k]
            has_provider = payer["provider_margin"] == "client" and prov_ref.any()
            invoice = {}
            if has_provider:
                # A rate card prices the provider's people (FULL, INSOURCE, BOT); hosted seats
                # are billed as seat costs + margin whatever the method.
                rate_card = (model.method == "rate_card" and model.billing_basis != "cost_plus"
                             and payer["agents"] == "provider")
                if rate_card:
                    share = np.where(total_ref > 0, prov_ref / np.where(total_ref > 0,
                                                                        total_ref, 1), 0)
                    invoice = {"R": share}
                    margin_terms = {"R": share, **{k: -v for k, v in prov.items() if v.any()}}
                else:
                    invoice = {k: (1 + margin) * v for k, v in prov.items() if v.any()}
                    margin_terms = {k: margin * v for k, v in prov.items() if v.any()}
                for k, v in margin_terms.items():
                    coef = np.zeros((L, F))
                    coef[:, fi] = v
                    terms.items.append((li["provider_margin"], k, wname, coef))
                if payer["governance"] == "client":
                    gov_terms = {k: gov * v for k, v in invoice.items()}
                    if payer["agents"] == "provider" and home_price is not None:
                        # The client's vendor-management team is sized by the work, not by
                        # the supplier's wages: abroad, governance is a share of what the
                        # same hours cost on the home market (FACTS 2's 3-6 % are measured
                        # on on-shore contracts).
                        gov_terms = _governance_home(gov_terms, gov, home_price, la)
                    for k, v in gov_terms.items():
                        coef = np.zeros((L, F))
                        coef[:, fi] = v
                        terms.items.append((li["governance"], k, wname, coef))
            # One-offs --------------------------------------------------------------------
            if phase != 0:
                continue
            tr = forms_ref[form]["transition"]
            if payer0["transition"] == "client":
                agents_c = coefs["agents"][1]["P"]
                team = agents_c * (1 + sup + wfm)

                def add(line, k, wname_, v, _fi=fi):
                    coef = np.zeros((L, F))
                    coef[:, _fi] = v
                    terms.items.append((li[line], k, wname_, coef))

                if tr.get("workforce"):
                    add("transition", "P", "t0", agents_c * (rec + train))
                if tr.get("ramp"):
                    add("transition", "P", "ramp", team)
                if tr.get("setup_per_seat"):
                    add("transition", "S", "t0", np.full(L, setup))
                ent = tr.get("entity_setup")
                # entity_setup: true, false or "abroad" (needed only outside the home country)
                needs_entity = (np.full(L, True) if ent is True else ~la["home"]
                                if ent == "abroad" else np.full(L, False))
                fixed = (project if tr.get("project_team") else 0.0) + entity * needs_entity
                if np.any(fixed):
                    add("transition", "one", "t0", fixed)
                if form == "BOT" and tau < T and fee_m:
                    for k, v in invoice.items():
                        add("transition", k, "tau", fee_m * v)
            if payer0["exit"] == "client" and exit_m:
                # Exit: months of the final run cost (parallel run, knowledge transfer back).
                for line_i, k, wn, coef in list(terms.items):
                    if coef[:, fi].any() and wn in ("all", "pre", "post") and \
                            LINES[line_i] not in ONE_OFF_LINES:
                        c2 = np.zeros((L, F))
                        c2[:, fi] = exit_m * coef[:, fi]
                        terms.items.append((li["exit"], k, "last", c2))
    return terms


def _home_price_eur(model: SourcingModel, la: dict, q: dict, tw: _Tweaks) -> float | None:
    """Provider price per productive hour (EUR, start) in the home location, or None.

    The home location is the baseline's when at home, else the first home-country location
    of the model. Rate card unless the model prices bottom-up or cost-plus.
    """
    home = _value(model.ref["defaults"]["home_country"])
    ids = [model.baseline[0], *model.locations]
    loc = next((k for k in ids if model.ref["locations"][k]["country"] == home), None)
    if loc is None:
        return None
    i = model.locations.index(loc)
    if model.method == "rate_card" and model.billing_basis != "cost_plus":
        return float(_rate_card_price_eur(model, la, q, tw)[i])
    return float(_bottom_up_price_eur(model, la, tw)[i])


def _governance_home(own: dict, gov: float, home_price: float, la: dict) -> dict:
    """Governance terms: own invoice at home; home-market value of the hours abroad.

    Abroad, the share-of-invoice terms in ``own`` give way to a seat-month (S) term worth
    ``gov x home price x productive hours per FTE-month``.
    """
    abroad = ~la["home"]
    per_fte = gov * home_price * (1 - la["shrinkage"]) * la["paid_hours"]
    out = {k: np.where(abroad, 0.0, v) for k, v in own.items()}
    out["S"] = out.get("S", 0.0) + np.where(abroad, per_fte, 0.0)
    return out


def _bottom_up_price_eur(model: SourcingModel, la: dict, tw: _Tweaks) -> np.ndarray:
    """Provider cost + margin per productive hour (FULL form, EUR at start), per location."""
    d = model.ref["defaults"]
    sup = (_value(d["team_leader_wage_multiple"]) / _value(d["agents_per_team_leader"])
           + _value(d["manager_wage_multiple"]) / _value(d["agents_per_manager"]))
    wfm = _value(d["wfm_qa_per_agent"]) * _value(d["wfm_qa_wage_multiple"])
    overhead = float(tw.overhead if tw.overhead is not None else _value(d["overhead_rate"]))
    train = (_value(d["training_weeks"]) / _WEEKS_PER_MONTH + _value(d["ramp_days"])
             / _DAYS_PER_MONTH * (1 - _value(d["ramp_productivity"])))
    loaded = la["gross_local"] * (1 + la["charges"]) * la["fx0"][la["cur_idx"]]
    per_fte = loaded * ((1 + sup + wfm) * (1 + overhead)
                        + la["attrition"] / 12 * (_value(d["recruitment_months"]) + train))
    per_fte = per_fte + _value(d["seats_per_fte"]) * (la["premises"] + la["it"] + la["tel"])
    return per_fte * (1 + la["margin"]) / ((1 - la["shrinkage"]) * la["paid_hours"])


def market_markups(model: SourcingModel, tw: _Tweaks | None = None) -> dict:
    """Market price / bottom-up price (cost + margin) per market group, over sourced locations.

    Off-shore market prices sit well above local production cost (2004: Moroccan producer
    cost 7 EUR/h, price to French clients 14-18 EUR/h, FACTS 1.1); this ratio prices the
    locations without a sourced rate card (flag X). Groups are tiers split EU / non-EU
    (``onshore-eu``, ``nearshore``, ...); median per group, at least 1.0.
    """
    tw = tw or _Tweaks()
    every = copy.copy(model)
    every.locations = list(model.ref["locations"])
    la = _location_arrays(every, tw)
    ratio = la["price_local"] * la["fx0"][la["price_cur_idx"]] / _bottom_up_price_eur(every, la, tw)
    groups = np.array([_market_group(model.ref["locations"][k]) for k in every.locations])
    out = {}
    for group in dict.fromkeys(groups.tolist()):
        r = ratio[(groups == group) & np.isfinite(ratio)]
        # Floor at 1: a market price below cost + margin says our cost base is too high
        # for that group, not that providers sell at a loss.
        out[group] = max(1.0, float(np.median(r))) if len(r) else 1.0
    return out


def _market_group(location: dict) -> str:
    """Tier, split EU / non-EU: Portugal's market is not priced like Morocco's."""
    eu = _value(location["eu_data_transfer"]) == "eu_member"
    return f"{location['tier']}{'-eu' if eu else ''}"


def _rate_card_price_eur(model: SourcingModel, la: dict, q: dict, tw: _Tweaks) -> np.ndarray:
    """Market price per productive hour in EUR at start; unsourced = bottom-up x tier mark-up."""
    price = la["price_local"] * la["fx0"][la["price_cur_idx"]]
    missing = ~np.isfinite(price)
    if missing.any():
        markup = market_markups(model, tw)
        groups = [_market_group(model.ref["locations"][k]) for k in model.locations]
        derived = _bottom_up_price_eur(model, la, tw) * np.array([markup[g] for g in groups])
        price = np.where(missing, derived, price)
    return price * tw.price


def _drivers(model: SourcingModel, la: dict, q: dict, tw: _Tweaks, shocks: dict | None,
             price_pph_eur: np.ndarray) -> dict:
    """Driver arrays ``(D, L, T)`` in EUR (P, A, R) or seat-months (S).

    ``shocks`` holds standard-normal draws (``wage`` (D,L), ``fx`` (D,C,T), ``aht`` (D,),
    ``aht_loc`` (D,L), ``attrition`` (D,L), ``volume`` (D,)); None = the expected path.
    """
    T = model.months
    years = np.arange(T) / 12.0
    if shocks is None:
        wage_idx = np.exp(np.log1p(la["infl"])[None, :, None] * years)     # (1, L, T)
        fx_path = la["fx0"][None, :, None] * np.exp(np.log1p(la["fx_drift"])[None, :, None]
                                                    * years)              # (1, C, T)
        vf = np.ones((1, 1, 1))
        af = rf = np.ones((1, len(model.locations), 1))
        attr = la["attrition"][None, :, None]
    else:
        f = _shock_factors(model, la, shocks)
        wage_idx = np.exp(f["log_w"])
        fx_path = la["fx0"][None, :, None] * np.exp(f["log_fx"])
        vf, attr = f["vf"][:, None, :], f["attr"][:, :, None]
        af = (f["af"] * f["qf"])[:, :, None]
        rf = f["rf"][:, :, None]
    fx_loc = fx_path[:, la["cur_idx"], :]
    wf = vf * af                                                          # workload factor
    loaded = (la["gross_local"] * (1 + la["charges"]))[None, :, None]
    P = q["fte"][None] * wf * loaded * wage_idx * fx_loc
    A = P * attr / 12.0
    S = q["fte"][None] * wf * np.exp(np.log1p(la["nonlab"]) * years)[None, None, :]
    basis = model.billing_basis
    # Unit prices keep the base-year bill equal across bases: only who carries which risk moves.
    hours_y = q["hours"][:, :12].sum(axis=1)
    if basis in ("per_productive_hour", "cost_plus"):
        units, unit_price = q["hours"][None] * wf, price_pph_eur
    elif basis == "per_fte_month":
        units = q["fte"][None] * wf
        unit_price = price_pph_eur * hours_y / q["fte"][:, :12].sum(axis=1)
    elif basis == "per_call":
        units = q["handled"][None] * vf * rf
        unit_price = price_pph_eur * hours_y / q["handled"][:, :12].sum(axis=1)
    else:
        units = q["minutes"][None] * vf * af
        unit_price = price_pph_eur * hours_y / q["minutes"][:, :12].sum(axis=1)
    fx_price = fx_path[:, la["price_cur_idx"], :] / la["fx0"][la["price_cur_idx"]][None, :, None]
    R = units * unit_price[None, :, None] * wage_idx * fx_price
    return {"P": P, "A": A, "S": S, "R": R}


def _discount(model: SourcingModel, tw: _Tweaks) -> np.ndarray:
    rate = tw.discount_rate if tw.discount_rate is not None else model.discount_rate
    return (1 + rate) ** (-(np.arange(model.months) + 1) / 12.0)


def _monthly_array(model: SourcingModel, tw: _Tweaks | None = None):
    """Deterministic monthly cost ``[location, form, line, month]`` in EUR plus quantities."""
    tw = tw or _Tweaks()
    la = _location_arrays(model, tw)
    q = _base_quantities(model, la, tw)
    price = _rate_card_price_eur(model, la, q, tw)
    X = _drivers(model, la, q, tw, None, price)
    X = {k: v[0] for k, v in X.items()}
    X["one"] = np.ones((len(model.locations), model.months))
    terms = _terms(model, la, q, tw)
    L, F, T = len(model.locations), len(model.forms), model.months
    cost = np.zeros((L, F, len(LINES), T))
    for line_i, k, wname, coef in terms.items:
        cost[:, :, line_i, :] += coef[:, :, None] * (terms.weights[wname] * X[k])[:, None, :]
    return cost, q, la, price


# --------------------------------------------------------------------------------------------
# Public views
# --------------------------------------------------------------------------------------------

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


def monthly_costs(model: SourcingModel) -> pd.DataFrame:
    """Tidy monthly cash flows: ``location, form, month, line, cost_eur`` (nominal EUR)."""
    cost, *_ = _monthly_array(model)
    months = pd.period_range(model.start, periods=model.months, freq="M").astype(str)
    idx = pd.MultiIndex.from_product([model.locations, model.forms, LINES, months],
                                     names=["location", "form", "line", "month"])
    out = pd.DataFrame({"cost_eur": cost.reshape(-1)}, index=idx).reset_index()
    out["feasible"] = [model.feasible(loc, f) for loc, f in zip(out["location"], out["form"],
                                                                 strict=True)]
    return out


def scenario_costs(model: SourcingModel, *, methods: Sequence[str] | None = None) -> pd.DataFrame:
    """Cost lines per location x form x contract year, total, cost per contact, labour share.

    ``methods`` defaults to the model's method; pass ``("bottom_up", "rate_card")`` to get
    both views. Money is nominal EUR escalated from each figure's year to the start year.
    """
    methods = _check_choice("methods", methods or [model.method], METHODS)
    frames = []
    for method in methods:
        m = copy.copy(model)
        m.method = method
        cost, q, la, price = _monthly_array(m)
        T = cost.shape[3]
        years = np.arange(T) // 12
        for y in np.unique(years):
            sel = years == y
            annual = cost[:, :, :, sel].sum(axis=3)
            contacts = q["contacts"][:, sel].sum(axis=1)
            fte = q["fte"][:, sel].mean(axis=1)
            hours = q["hours"][:, sel].sum(axis=1)
            for li_, loc in enumerate(model.locations):
                for fi, form in enumerate(model.forms):
                    row = {"location": loc, "form": form, "method": method,
                           "billing_basis": model.billing_basis if method == "rate_card"
                           else "cost_plus",
                           "contract_year": int(y) + 1,
                           "calendar_start": str(model.start + 12 * int(y))}
                    row.update(dict(zip(LINES, annual[li_, fi], strict=True)))
                    total = float(annual[li_, fi].sum())
                    # Operating cost: run cost without one-offs, provider margin, governance.
                    run = total - sum(row[k] for k in (*ONE_OFF_LINES, "provider_margin",
                                                       "governance"))
                    row.update(total_eur=total, contacts=float(contacts[li_]),
                               cost_per_contact_eur=total / contacts[li_] if contacts[li_] else np.nan,
                               labour_share=sum(row[k] for k in LABOUR_LINES) / run if run else np.nan,
                               payroll_share=sum(row[k] for k in PAYROLL_LINES) / run if run else np.nan,
                               fte=float(fte[li_]), productive_hours=float(hours[li_]),
                               price_per_productive_hour_eur=float(price[li_]),
                               currency="EUR", price_year=model.start_year,
                               feasible=model.feasible(loc, form))
                    frames.append(row)
    return pd.DataFrame(frames)


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


def with_quality_gap(model: SourcingModel, *, fcr_home: float = 0.67, fcr_abroad: float = 0.50,
                     aht_uplift: float | None = None,
                     tiers: Sequence[str] = ("nearshore", "offshore")) -> SourcingModel:
    """A copy of the model where sites in ``tiers`` resolve fewer contacts first time.

    Defaults: FCR ~67 % on-shore vs ~50 % off-shore (FACTS 2, D/E): every unresolved
    contact comes back, so off-shore sites handle 0.67 / 0.50 = 1.34 contacts per customer
    contact. ``aht_uplift`` (share) optionally lengthens their calls too.
    """
    if not 0 < fcr_abroad <= fcr_home <= 1:
        raise ParameterError("fcr_abroad", (fcr_home, fcr_abroad),
                             "first-contact resolutions with 0 < fcr_abroad <= fcr_home <= 1")
    _check_choice("tiers", tiers, ["onshore", "nearshore", "offshore"])
    m = copy.copy(model)
    m.ref = copy.deepcopy(model.ref)
    d = m.ref["defaults"]
    note = f"quality-gap scenario: FCR {fcr_home:.0%} at home vs {fcr_abroad:.0%} abroad"
    d["fcr_baseline"].update(value=fcr_home, source=note, flag="override")
    for tier in tiers:
        d["fcr_gap"][tier].update(value=fcr_home - fcr_abroad, source=note, flag="override",
                                  high=max(fcr_home - fcr_abroad,
                                           float(d["fcr_gap"][tier].get("high", 0.0))))
        if aht_uplift is not None:
            d["aht_uplift"][tier].update(value=float(aht_uplift), source=note, flag="override",
                                         high=max(float(aht_uplift),
                                                  float(d["aht_uplift"][tier].get("high", 0.0))))
    m.notes = [*model.notes, note]
    return m


def quality_gap_summary(model: SourcingModel, gap_model: SourcingModel,
                        weights: Mapping[str, float] | None = None) -> tuple[str, pd.DataFrame]:
    """Each feasible option's NPV and saving with and without a quality gap, and the new leader.

    ``gap_model`` comes from ``with_quality_gap``. Returns a markdown summary (generated
    from the numbers) and the table ``location, form, npv_eur, saving_pct, npv_gap_eur,
    saving_gap_pct``.
    """
    base, gap = tco(model), tco(gap_model)
    table = base[base["feasible"]][["location", "form", "npv_eur", "saving_pct"]].merge(
        gap[["location", "form", "npv_eur", "saving_pct"]].rename(
            columns={"npv_eur": "npv_gap_eur", "saving_pct": "saving_gap_pct"}),
        on=["location", "form"]).sort_values("npv_gap_eur", ignore_index=True)
    top = decision_matrix(model, base, weights, n_perturbations=200)[0].iloc[0]
    top_gap = decision_matrix(gap_model, gap, weights, n_perturbations=200)[0].iloc[0]
    row = table.set_index(["location", "form"]).loc[(top["location"], top["form"])]
    label = f"{top['location']} / {top['form']}"
    text = (f"With {gap_model.notes[-1].split(': ', 1)[-1]}, {label} saves "
            f"{row['saving_gap_pct']:.0%} against in-house instead of {row['saving_pct']:.0%} "
            f"({row['npv_gap_eur'] / 1e6:,.1f} M EUR NPV instead of {row['npv_eur'] / 1e6:,.1f} M). ")
    new_label = f"{top_gap['location']} / {top_gap['form']}"
    text += ("It stays first on the weighted criteria." if new_label == label
             else f"{new_label} comes first on the weighted criteria instead.")
    return text, table


def tco(model: SourcingModel) -> pd.DataFrame:
    """Contract TCO per location x form: nominal total, NPV, saving and break-even vs baseline."""
    cost, q, la, _ = _monthly_array(model)
    disc = _discount(model, _Tweaks())
    monthly = cost.sum(axis=2)                                    # (L, F, T)
    bl = (model.locations.index(model.baseline[0]), model.forms.index(model.baseline[1]))
    base = monthly[bl]
    base_npv = float((base * disc).sum())
    rows = []
    for li_, loc in enumerate(model.locations):
        for fi, form in enumerate(model.forms):
            flows = monthly[li_, fi]
            value = float((flows * disc).sum())
            rows.append({
                "location": loc, "form": form, "feasible": model.feasible(loc, form),
                "total_nominal_eur": float(flows.sum()), "npv_eur": value,
                "baseline_npv_eur": base_npv, "saving_npv_eur": base_npv - value,
                "saving_pct": (base_npv - value) / base_npv if base_npv else np.nan,
                "break_even_month": break_even_month(flows, base),
                "transition_eur": float(cost[li_, fi, LINES.index("transition")].sum()),
                "exit_eur": float(cost[li_, fi, LINES.index("exit")].sum()),
                "discount_rate": model.discount_rate, "months": model.months,
                "currency": "EUR", "price_year": model.start_year})
    return pd.DataFrame(rows)


def _draw_shocks(model: SourcingModel, n_draws: int, seed: int, n_currencies: int,
                 quality: bool = True) -> dict:
    """Seeded standard-normal shocks, plus uniforms for the quality gaps (None = not drawn)."""
    rng = np.random.default_rng(seed)
    L, T = len(model.locations), model.months
    out = {"wage": rng.standard_normal((n_draws, L)),
           "fx": rng.standard_normal((n_draws, n_currencies, T)),
           "aht": rng.standard_normal(n_draws), "aht_loc": rng.standard_normal((n_draws, L)),
           "attrition": rng.standard_normal((n_draws, L)),
           "volume": rng.standard_normal(n_draws)}
    # Drawn last so that switching quality draws off leaves the other shocks unchanged.
    u = rng.random((2, n_draws, L))
    out["quality_aht"], out["quality_fcr"] = (u[0], u[1]) if quality else (None, None)
    return out


def _triangular(u: np.ndarray, low, mode, high) -> np.ndarray:
    """Inverse CDF of the triangular distribution (low, mode, high), vectorised over columns."""
    low, mode, high = (np.broadcast_to(np.asarray(x, float), u.shape[1:]) for x in (low, mode, high))
    width = np.where(high > low, high - low, 1.0)
    cut = (mode - low) / width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1 - u) * width * (high - mode))
    return np.where(high > low, np.where(u < cut, left, right), mode)


def _quality_draws(model: SourcingModel, la: dict, shocks: dict):
    """Workload factor (AHT x repeats) and repeat factor per draw, relative to the defaults.

    Each location's AHT uplift and FCR gap are drawn from triangular distributions over
    their reference ranges (mode = the default), independently per location.
    """
    n, L = shocks["wage"].shape
    if shocks.get("quality_aht") is None:
        return np.ones((n, L)), np.ones((n, L))
    d = model.ref["defaults"]
    tiers = [model.ref["locations"][k]["tier"] for k in model.locations]

    def draw(u, key):
        figs = [d[key][t] for t in tiers]
        v = [float(_value(f)) for f in figs]
        return _triangular(u, [float(f.get("low", x)) for f, x in zip(figs, v, strict=True)], v,
                           [float(f.get("high", x)) for f, x in zip(figs, v, strict=True)])

    aht = (1 + draw(shocks["quality_aht"], "aht_uplift")) / la["aht_quality"]
    rep = _repeat_factor(float(_value(d["fcr_baseline"])),
                         draw(shocks["quality_fcr"], "fcr_gap")) / la["repeat"]
    return aht * rep, rep


def _shock_factors(model: SourcingModel, la: dict, shocks: dict) -> dict:
    """Stochastic multipliers of the drivers, kept factored to avoid (D, L, T) temporaries.

    ``vf`` volume (D, T); ``af`` AHT (D, L); ``attr`` attrition (D, L); ``log_w`` wage index
    (D, L, T, log); ``log_fx`` currency paths (D, C, T, log, relative to the start rate).
    """
    d = model.ref["defaults"]
    T = model.months
    years = np.arange(T) / 12.0
    rate = la["infl"][None, :] + la["wage_sd"][None, :] * shocks["wage"]
    log_w = np.log1p(rate)[:, :, None] * years
    sig = la["fx_vol"][None, :, None]
    # Geometric random walk with mean (1 + drift)^t; monthly steps, known at t = 0.
    steps = shocks["fx"] * np.sqrt(1 / 12)
    steps[:, :, 0] = 0.0
    walk = np.cumsum(steps, axis=2)
    log_fx = (np.log1p(la["fx_drift"])[None, :, None] - 0.5 * sig**2) * years + sig * walk
    vcv = model.volume_cv[None, :]
    vf = np.exp(vcv * shocks["volume"][:, None] - 0.5 * vcv**2)
    acv = float(_value(d["aht_cv"]))
    # Business-wide AHT drift plus a smaller location-specific part; total s.d. = aht_cv.
    af = np.exp(acv * (shocks["aht"][:, None] + 0.5 * shocks["aht_loc"]) / np.sqrt(1.25)
                - 0.5 * acv**2)
    cv = float(_value(d["attrition_cv"]))
    attr = la["attrition"][None, :] * np.exp(cv * shocks["attrition"] - 0.5 * cv**2)
    qf, rf = _quality_draws(model, la, shocks)
    return {"vf": vf, "af": af, "attr": attr, "log_w": log_w, "log_fx": log_fx,
            "qf": qf, "rf": rf}


def _mc_npv(model: SourcingModel, n_draws: int, seed: int, tw: _Tweaks | None = None,
            quality: bool = True):
    """NPV draws ``(D, L, F)`` from the same cost terms as the deterministic views.

    Every driver is (deterministic base[l, t]) x (draw multiplier); the multiplier is volume
    (D, T) x AHT (D, L) x wage-and-FX path (D, L, T) (x attrition (D, L) for hires); the
    present values of all time weights of a driver come from one batched matrix product.
    """
    tw = tw or _Tweaks()
    la = _location_arrays(model, tw)
    q = _base_quantities(model, la, tw)
    price = _rate_card_price_eur(model, la, q, tw)
    base = {k: v[0] for k, v in _drivers(model, la, q, tw, None, price).items()}
    # The deterministic path already holds (1 + inflation)^t and (1 + drift)^t; divide them
    # out so the draws' own paths replace them.
    years = np.arange(model.months) / 12.0
    det_w = np.log1p(la["infl"])[:, None] * years
    det_fx = np.log1p(la["fx_drift"])[:, None] * years
    shocks = _draw_shocks(model, n_draws, seed, len(la["currencies"]), quality)
    f = _shock_factors(model, la, shocks)
    terms = _terms(model, la, q, tw)
    disc = _discount(model, tw)
    # Workload factors per driver (volume is in the paths): AHT x quality (AHT uplift and
    # repeat contacts); an invoice per call follows the repeat contacts only.
    workload = f["af"] * f["qf"]
    factor = {"P": workload, "A": workload, "S": workload,
              "R": f["rf"] if model.billing_basis == "per_call" else workload}
    # Sum the coefficients of terms sharing a (driver, weight): a handful of keys remain.
    coefs: dict = {}
    for _line_i, k, wname, coef in terms.items:
        coefs[(k, wname)] = coefs.get((k, wname), 0.0) + coef
    keys = list(coefs)
    # Wage x FX path relative to the deterministic one, (D, L, T), times the volume factor.
    rel_w = f["log_w"] - det_w[None]
    cur, pcur = la["cur_idx"], la["price_cur_idx"]
    g_p = np.exp(rel_w + f["log_fx"][:, cur] - det_fx[cur][None])
    g_p *= f["vf"][:, None, :]
    g = {"P": g_p, "R": g_p}
    differs = np.flatnonzero(cur != pcur)
    if differs.size:
        g_r = g_p.copy()
        g_r[:, differs] = np.exp(rel_w[:, differs] + f["log_fx"][:, pcur[differs]]
                                 - det_fx[pcur[differs]][None]) * f["vf"][:, None, :]
        g["R"] = g_r
    pv = {}
    for src in ("P", "S", "R"):
        names = sorted({w for k, w in keys if (k if k != "A" else "P") == src})
        if not names:
            continue
        stack = np.stack([base[src] * terms.weights[w] * disc[None, :] for w in names])  # (W,L,T)
        if src == "S":
            res = np.einsum("dt,wlt->dlw", f["vf"], stack, optimize=True)
        else:
            # Batched over locations: (L, D, T) @ (L, T, W) -> (L, D, W).
            res = np.matmul(g[src].transpose(1, 0, 2), stack.transpose(1, 2, 0)).transpose(1, 0, 2)
        for i, w in enumerate(names):
            pv[(src, w)] = res[:, :, i]
    rows = []
    for k, w in keys:
        if k == "one":
            v = np.broadcast_to((terms.weights[w] * disc[None, :]).sum(axis=1),
                                (n_draws, len(model.locations)))
        else:
            v = pv[("P" if k == "A" else k, w)] * factor[k]
            if k == "A":
                # base["A"] = base["P"] x attrition / 12: swap in the drawn attrition.
                v = v * f["attr"] / 12.0
        rows.append(v)
    return np.einsum("kdl,klf->dlf", np.stack(rows), np.stack([coefs[k] for k in keys]),
                     optimize=True)


def monte_carlo(model: SourcingModel, *, n_draws: int = 10_000, seed: int = 42,
                volume_cv: float | None = None, draw_quality: bool = True,
                return_draws: bool = False):
    """P10/P50/P90 of contract NPV per location x form and the probability of beating the baseline.

    Draws (seeded, common to all options): annual wage inflation per location, monthly FX
    random walks per currency, AHT (business-wide and per location), attrition per location,
    volume level (CV from the forecast interval if given, else ``volume_cv``: this argument,
    or the ``volume_cv`` default), and — with ``draw_quality`` — each location's AHT uplift
    and FCR gap (triangular over their reference ranges, mode = default).
    ``return_draws`` also returns the (D, L, F) NPV draws.
    """
    if not isinstance(n_draws, int | np.integer) or n_draws < 100:
        raise ParameterError("n_draws", n_draws, "an integer >= 100 (10,000 recommended)")
    if volume_cv is not None:
        if not 0 <= volume_cv < 1:
            raise ParameterError("volume_cv", volume_cv, "a coefficient of variation in [0, 1)")
        model = copy.copy(model)
        model.volume_cv = np.full(model.months, float(volume_cv))
    draws = _mc_npv(model, int(n_draws), int(seed), quality=draw_quality)
    bl = draws[:, model.locations.index(model.baseline[0]), model.forms.index(model.baseline[1])]
    p10, p50, p90 = np.percentile(draws, [10, 50, 90], axis=0)
    beats = (draws < bl[:, None, None]).mean(axis=0)
    rows = []
    for li_, loc in enumerate(model.locations):
        for fi, form in enumerate(model.forms):
            rows.append({"location": loc, "form": form, "feasible": model.feasible(loc, form),
                         "npv_p10_eur": p10[li_, fi], "npv_p50_eur": p50[li_, fi],
                         "npv_p90_eur": p90[li_, fi], "npv_mean_eur": draws[:, li_, fi].mean(),
                         "prob_beats_baseline": beats[li_, fi], "n_draws": int(n_draws),
                         "seed": int(seed), "currency": "EUR", "price_year": model.start_year})
    table = pd.DataFrame(rows)
    return (table, draws) if return_draws else table


def cumulative_fan(model: SourcingModel, options: Sequence[tuple[str, str]], *,
                   n_draws: int = 2000, seed: int = 42,
                   quantiles: Sequence[float] = (0.1, 0.5, 0.9),
                   draw_quality: bool = True) -> pd.DataFrame:
    """Quantiles of cumulative nominal cost by month for a few options (the TCO fan chart)."""
    tw = _Tweaks()
    la = _location_arrays(model, tw)
    q = _base_quantities(model, la, tw)
    price = _rate_card_price_eur(model, la, q, tw)
    shocks = _draw_shocks(model, n_draws, seed, len(la["currencies"]), draw_quality)
    X = _drivers(model, la, q, tw, shocks, price)
    terms = _terms(model, la, q, tw)
    months = pd.period_range(model.start, periods=model.months, freq="M").to_timestamp()
    rows = []
    for loc, form in options:
        li_, fi = model.locations.index(loc), model.forms.index(form)
        flows = np.zeros((n_draws, model.months))
        for _line_i, k, wname, coef in terms.items:
            if coef[li_, fi]:
                w = terms.weights[wname][li_]
                flows += coef[li_, fi] * w * (1.0 if k == "one" else X[k][:, li_, :])
        cum = np.cumsum(flows, axis=1)
        qs = np.quantile(cum, quantiles, axis=0)
        for qi, qq in enumerate(quantiles):
            rows.append(pd.DataFrame({"location": loc, "form": form, "month": months,
                                      "quantile": qq, "cumulative_cost_eur": qs[qi]}))
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Sensitivity, scoring, recommendation
# --------------------------------------------------------------------------------------------

def _tornado_ranges(model: SourcingModel) -> dict:
    """Driver -> (label, low tweak, high tweak) from the reference ranges."""
    d = model.ref["defaults"]
    r = lambda key: (float(d[key].get("low", _value(d[key]))),  # noqa: E731
                     float(d[key].get("high", _value(d[key]))))
    r_margin = lambda key: (_margin(d, key, "low"), _margin(d, key, "high"))  # noqa: E731
    out = {
        "volume": ("volume level -/+15 %", _Tweaks(volume=0.85), _Tweaks(volume=1.15)),
        "aht": ("AHT -/+10 %", _Tweaks(aht=0.90), _Tweaks(aht=1.10)),
        "wage": ("wage level -/+10 %", _Tweaks(wage=0.90), _Tweaks(wage=1.10)),
        "wage_inflation": ("wage inflation -/+2 pts/yr", _Tweaks(wage_inflation=-0.02),
                           _Tweaks(wage_inflation=0.02)),
        "fx": ("non-EUR currencies -/+15 % vs EUR", _Tweaks(fx=0.85), _Tweaks(fx=1.15)),
        "attrition": ("attrition x0.6 / x1.6", _Tweaks(attrition=0.6), _Tweaks(attrition=1.6)),
        "charges": ("employer charges -/+15 %", _Tweaks(charges=0.85), _Tweaks(charges=1.15)),
        "price": ("rate-card price -/+15 %", _Tweaks(price=0.85), _Tweaks(price=1.15)),
        "seat_cost": ("seat costs -/+25 %", _Tweaks(seat_cost=0.75), _Tweaks(seat_cost=1.25)),
        "shrinkage": ("shrinkage {:.0%}-{:.0%}".format(*r("shrinkage")),
                      _Tweaks(shrinkage=r("shrinkage")[0]), _Tweaks(shrinkage=r("shrinkage")[1])),
        "margin": ("provider margins EU {:.0%}-{:.0%}, non-EU {:.0%}-{:.0%}".format(
            *r_margin("eu"), *r_margin("non_eu")), _Tweaks(margin="low"), _Tweaks(margin="high")),
        "quality": ("quality gap: AHT uplift and FCR gap at the top of their ranges",
                    _Tweaks(), _Tweaks(quality="high")),
        "governance": ("governance {:.0%}-{:.0%}".format(*r("governance_rate")),
                       _Tweaks(governance=r("governance_rate")[0]),
                       _Tweaks(governance=r("governance_rate")[1])),
        "overheads": ("overheads {:.0%}-{:.0%}".format(*r("overhead_rate")),
                      _Tweaks(overhead=r("overhead_rate")[0]), _Tweaks(overhead=r("overhead_rate")[1])),
        "transition": ("transition one-offs -/+50 %", _Tweaks(transition=0.5),
                       _Tweaks(transition=1.5)),
        "exit": ("exit {:.0f}-{:.0f} months".format(*r("exit_months")),
                 _Tweaks(exit_months=r("exit_months")[0]), _Tweaks(exit_months=r("exit_months")[1])),
        "discount_rate": ("discount rate 4-12 %", _Tweaks(discount_rate=0.04),
                          _Tweaks(discount_rate=0.12)),
    }
    return out


def tornado(model: SourcingModel, location: str, form: str, *,
            against: tuple[str, str] | None = None, _flows: dict | None = None) -> pd.DataFrame:
    """One-way sensitivity of an option's NPV (or its NPV minus ``against``'s) to every driver.

    Each driver moves alone to its low and high value (ranges from the reference defaults);
    rows are sorted by swing. With ``against``, ``flips`` says whether the move reverses
    which of the two is cheaper.
    """
    _check_choice("location", location, model.locations)
    _check_choice("form", form, model.forms)
    if against is not None:
        _check_choice("against location", against[0], model.locations)
        _check_choice("against form", against[1], model.forms)

    # ``_flows`` (tweak -> monthly flows, discount) lets several tornados of one model share
    # the cost runs: what_would_change tests the same tweaks against two rivals.
    cache = {} if _flows is None else _flows

    def metric(tw: _Tweaks) -> float:
        key = repr(tw)
        if key not in cache:
            cost, *_ = _monthly_array(model, tw)
            cache[key] = (cost.sum(axis=2), _discount(model, tw))
        flows, disc = cache[key]
        v = float((flows[model.locations.index(location), model.forms.index(form)] * disc).sum())
        if against is not None:
            v -= float((flows[model.locations.index(against[0]),
                              model.forms.index(against[1])] * disc).sum())
        return v

    base = metric(_Tweaks())
    rows = []
    for name, (label, lo, hi) in _tornado_ranges(model).items():
        v_lo, v_hi = metric(lo), metric(hi)
        rows.append({"driver": name, "label": label, "low_eur": v_lo, "high_eur": v_hi,
                     "base_eur": base, "swing_eur": abs(v_hi - v_lo),
                     "flips": bool(against is not None and (np.sign(v_lo) != np.sign(base)
                                                             or np.sign(v_hi) != np.sign(base)))})
    out = pd.DataFrame(rows).sort_values("swing_eur", ascending=False, ignore_index=True)
    out.attrs.update(location=location, form=form, against=against,
                     metric="NPV difference (EUR)" if against else "NPV (EUR)")
    return out


def timezone_overlap(tz: str, *, opening: tuple[int, int] = (8, 20), site_tz: str = "Europe/Paris",
                     local_day: tuple[int, int] = (7, 21), year: int = 2026) -> float:
    """Share of the site's opening hours (Mon-Sat) falling inside the location's working day.

    Averaged over a January and a July week so daylight-saving differences count.
    """
    src, dst = ZoneInfo(site_tz), ZoneInfo(tz)
    inside = total = 0
    for month in (1, 7):
        day = datetime(year, month, 5, tzinfo=src)
        for offset in range(7):
            dt = day + timedelta(days=offset)
            if dt.weekday() == 6:
                continue
            for half in range(opening[0] * 2, opening[1] * 2):
                t = dt.replace(hour=half // 2, minute=30 * (half % 2)).astimezone(dst)
                h = t.hour + t.minute / 60
                inside += local_day[0] <= h < local_day[1]
                total += 1
    return inside / total


def _check_weights(weights: Mapping | None, ref: dict) -> dict:
    w = dict(weights if weights is not None else ref["risk_weights"])
    bad = [k for k in w if k not in CRITERIA]
    if bad:
        raise ParameterError("risk_weights", bad[0], f"keys among {list(CRITERIA)}")
    if any((not isinstance(v, int | float)) or v < 0 for v in w.values()):
        raise ParameterError("risk_weights", w, "non-negative numbers")
    total = sum(w.values())
    if abs(total - 1) > 1e-6:
        raise ParameterError("risk_weights", w, f"weights summing to 1 (they sum to {total:.4f}); "
                             f"criteria: {list(CRITERIA)}")
    return {k: float(w.get(k, 0.0)) for k in CRITERIA}


def risk_scores(model: SourcingModel) -> pd.DataFrame:
    """Qualitative criteria per feasible option, each scored 0-1 (1 = no concern)."""
    ref, rows = model.ref, []
    for loc, form in model.options:
        if not model.feasible(loc, form):
            continue
        L, F = ref["locations"][loc], ref["forms"][form]
        status = _value(L["eu_data_transfer"])
        on_client_infra_home = (F["infrastructure"] == "client"
                                and L["country"] == _value(ref["defaults"]["home_country"]))
        transfer = 1.0 if status == "eu_member" or on_client_infra_home else (
            0.7 if status == "adequacy" else 0.3)
        langs = L["languages"]
        lang = 1.0 if langs and langs[0] == model.language_market else (
            0.8 if model.language_market in langs else 0.1)
        rows.append({"location": loc, "form": form, "data_transfer": transfer,
                     "labour_law": float(F.get("labour_law_score_abroad", F["labour_law_score"])
                                         if L["country"] != _value(ref["defaults"]["home_country"])
                                         else F["labour_law_score"]),
                     "language_fit": lang,
                     "timezone_overlap": timezone_overlap(L["timezone"]),
                     "attrition": 1 - min(float(_value(L["attrition"])) / 0.6, 1.0),
                     "social_acceptance": float(_value(L["social_acceptance"]))})
    return pd.DataFrame(rows)


def decision_matrix(model: SourcingModel, costs: pd.DataFrame | None = None,
                    weights: Mapping[str, float] | None = None, *, n_perturbations: int = 2000,
                    concentration: float = 30.0, seed: int = 0):
    """Weighted score of every feasible option, and how robust the top rank is to the weights.

    ``costs`` is a ``monte_carlo`` table (uses P50 NPV) or a ``tco`` table (uses NPV); cost
    scores are cheapest / option (1 = cheapest). Weights (keys in ``CRITERIA``) must sum to 1.
    Robustness: weights drawn from a Dirichlet centred on the given ones (``concentration``
    sets the spread); ``top_share`` is the share of draws keeping each option on top.
    Returns ``(table, robustness)`` where ``robustness`` has ``keeps_top`` (share).
    """
    w = _check_weights(weights, model.ref)
    costs = costs if costs is not None else tco(model)
    col = "npv_p50_eur" if "npv_p50_eur" in costs.columns else "npv_eur"
    table = risk_scores(model).merge(costs[["location", "form", col]], on=["location", "form"])
    table = table.rename(columns={col: "npv_eur"})
    table["cost"] = table["npv_eur"].min() / table["npv_eur"]
    crit = np.array(CRITERIA)
    scores = table[list(crit)].to_numpy()
    wv = np.array([w[c] for c in crit])
    table["score"] = scores @ wv
    # The non-cost criteria alone, re-weighted to sum to 1: the y axis of the risk matrix.
    risk_w = np.where(crit == "cost", 0.0, wv)
    table["risk_score"] = (scores @ risk_w / risk_w.sum()) if risk_w.sum() else np.nan
    table = table.sort_values("score", ascending=False, ignore_index=True)
    table["rank"] = np.arange(1, len(table) + 1)
    rng = np.random.default_rng(seed)
    active = wv > 0
    draws = np.zeros((n_perturbations, len(wv)))
    draws[:, active] = rng.dirichlet(wv[active] * concentration, size=n_perturbations)
    top = np.argmax(table[list(crit)].to_numpy() @ draws.T, axis=0)
    share = np.bincount(top, minlength=len(table)) / n_perturbations
    table["top_share"] = share
    robustness = {"keeps_top": float(share[0]), "n_perturbations": n_perturbations,
                  "concentration": concentration, "weights": w}
    return table, robustness


def assumptions_table(model: SourcingModel) -> pd.DataFrame:
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
    for path, fig in _walk_figures(model.ref["defaults"], ""):
        rows.append({"scope": "defaults", "item": path, **{k: fig.get(k) for k in
                     ("value", "low", "high", "unit", "year", "currency", "flag", "source")}})
    out = pd.DataFrame(rows)
    out["value"] = out["value"].astype(str)
    return out


def recommendation(model: SourcingModel, tco_table: pd.DataFrame, mc: pd.DataFrame,
                   decision: pd.DataFrame, robustness: dict,
                   checks: pd.DataFrame | None = None) -> str:
    """The board-paper recommendation, written from the results (markdown).

    With ``checks`` (``benchmark_checks``), says how many published ratios the model
    reproduces and warns when the recommended location's cost sits outside them.
    """
    top = decision.iloc[0]
    loc, form = top["location"], top["form"]
    name_l = model.ref["locations"][loc]["name"]
    name_f = model.ref["forms"][form]["name"]
    t = tco_table.set_index(["location", "form"]).loc[(loc, form)]
    m = mc.set_index(["location", "form"]).loc[(loc, form)]
    bl = model.baseline
    years = model.months // 12
    runner = decision.iloc[1] if len(decision) > 1 else None
    base_p50 = mc.set_index(["location", "form"]).loc[tuple(bl), "npv_p50_eur"]

    def meur(x):
        return f"{x / 1e6:,.1f} M EUR"

    if (loc, form) == tuple(bl):
        headline = (f"**Recommendation: keep the in-house operation ({name_l}).** No option "
                    f"beats it on the weighted criteria.")
    elif t["saving_pct"] < 0:
        headline = (f"**Recommendation: {name_f} in {name_l} ({loc} / {form}).** It costs "
                    f"{-t['saving_pct']:.0%} more than in-house over {years} years "
                    f"({meur(t['npv_eur'])} against {meur(t['baseline_npv_eur'])} in present "
                    f"value; cheaper in {m['prob_beats_baseline']:.0%} of "
                    f"{int(m['n_draws']):,} simulations) but scores best once risks are "
                    f"weighed.")
    else:
        headline = (f"**Recommendation: {name_f} in {name_l} ({loc} / {form}).** "
                    f"Over {years} years it costs {meur(t['npv_eur'])} in present value at "
                    f"the reference figures, against {meur(t['baseline_npv_eur'])} in-house: "
                    f"a saving of {t['saving_pct']:.0%}. Over {int(m['n_draws']):,} "
                    f"simulations of the uncertain drivers its median is "
                    f"{meur(m['npv_p50_eur'])} (P10-P90 {meur(m['npv_p10_eur'])} - "
                    f"{meur(m['npv_p90_eur'])}) against a median of {meur(base_p50)} in-house, "
                    f"and it beats in-house in {m['prob_beats_baseline']:.0%} of them.")
    be = t["break_even_month"]
    lines = [headline,
             "- Break-even against in-house: "
             + (f"month {int(be)}." if np.isfinite(be) else "not within the contract."),
             f"- Weighted score {top['score']:.2f}; the top rank holds in "
             f"{robustness['keeps_top']:.0%} of random re-weightings of the criteria."]
    if runner is not None:
        lines.append(f"- Runner-up: {runner['location']} / {runner['form']} "
                     f"(score {runner['score']:.2f}).")
    cheapest = tco_table[tco_table["feasible"]].sort_values("npv_eur").iloc[0]
    if (cheapest["location"], cheapest["form"]) != (loc, form):
        lines.append(f"- Cheapest on cost alone: {cheapest['location']} / {cheapest['form']} "
                     f"({meur(cheapest['npv_eur'])}), ranked lower on risk.")
    if checks is not None and len(checks):
        failed = checks[~checks["passed"]]
        lines.append(f"- Published-ratio checks: {int(checks['passed'].sum())} of {len(checks)} "
                     f"reproduced within tolerance"
                     + ("." if failed.empty else "; outside: " + "; ".join(
                         f"{r.option} [{r.method}] {r.model_value:.2f} vs {r.band_low:.2f}-"
                         f"{r.band_high:.2f}" for r in failed.itertuples()) + "."))
        own = checks[(checks["location"] == loc) & ~checks["in_band"]]
        if len(own):
            lines.append(f"- Caution: {loc}'s modelled cost is outside the published bands "
                         f"({'; '.join(f'{r.check} {r.model_value:.2f} vs {r.band_low:.2f}-{r.band_high:.2f}' for r in own.drop_duplicates('check').itertuples())}): "
                         f"ask for a local quote before relying on the saving.")
    risks = model.ref["forms"][form].get("risks", [])
    if risks:
        lines.append("- Main risks of this form: " + "; ".join(r["text"] for r in risks[:3]) + ".")
    lines.append(f"- Money in nominal EUR from {model.start_year}, discounted at "
                 f"{model.discount_rate:.0%}; billing basis `{model.billing_basis}`, "
                 f"method `{model.method}`.")
    return "\n".join(lines)


def observed_prices(reports: pd.DataFrame, sites: pd.DataFrame,
                    model: SourcingModel | None = None, *, months: int = 12) -> pd.DataFrame:
    """Price actually paid per billed hour and per contact at current provider sites.

    ``reports`` / ``sites`` as read by ``toolkit.io.read_provider_reports`` / ``read_sites``;
    the last ``months`` months count. With a model, the reference rate card of the same
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


def what_would_change(model: SourcingModel, decision: pd.DataFrame,
                      robustness: dict) -> tuple[str, pd.DataFrame]:
    """Drivers whose plausible range reverses the choice against the runner-up and in-house.

    Returns a markdown summary and the table of one-way tests (option NPV - rival NPV).
    """
    top = tuple(decision.iloc[0][["location", "form"]])
    rivals = []
    if len(decision) > 1:
        rivals.append(("runner-up", tuple(decision.iloc[1][["location", "form"]])))
    if top != tuple(model.baseline):
        rivals.append(("in-house", tuple(model.baseline)))
    frames, lines, flows = [], [], {}
    for name, rival in rivals:
        t = tornado(model, *top, against=rival, _flows=flows).assign(rival=f"{rival[0]} / {rival[1]}",
                                                        rival_role=name)
        frames.append(t)
        flips = t[t["flips"]]
        gap = -t["base_eur"].iloc[0]
        if flips.empty:
            lines.append(f"- Against the {name} ({rival[0]} / {rival[1]}): no single driver "
                         f"within its range closes the {gap / 1e6:,.1f} M EUR NPV gap on cost.")
        else:
            lines.append(f"- Against the {name} ({rival[0]} / {rival[1]}), cost gap "
                         f"{gap / 1e6:,.1f} M EUR NPV: " + "; ".join(flips["label"]) +
                         " would reverse the cost ranking.")
    lines.append(f"- Weights: the top rank survives {robustness['keeps_top']:.0%} of random "
                 f"re-weightings of the criteria.")
    switches = cost_weight_switches(decision, robustness["weights"])
    here = robustness["weights"]["cost"]
    below = switches[switches["cost_weight"] < here]
    above = switches[switches["cost_weight"] > here]
    if len(below):
        w, opt = below.iloc[-1]["cost_weight"], below.iloc[-1]["top_before"]
        lines.append(f"- With cost weighted below {w:.0%} (now {here:.0%}; the other criteria "
                     f"keep their proportions) {opt} comes first.")
    if len(above):
        w, opt = above.iloc[0]["cost_weight"], above.iloc[0]["top_after"]
        lines.append(f"- With cost weighted above {w:.0%}, {opt} comes first.")
    lines.append("- Reference figures flagged D (dated) or G (unverified) drive the market "
                 "prices and wages: replace them with quotes from the tender (overrides file).")
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return "\n".join(lines), table


def cost_weight_switches(decision: pd.DataFrame, weights: Mapping[str, float], *,
                         steps: int = 201) -> pd.DataFrame:
    """Cost weights at which the top option changes, the other weights keeping their ratios.

    Returns ``cost_weight`` (first weight of the new leader), ``top_before``, ``top_after``.
    """
    crit = list(CRITERIA)
    w = np.array([float(weights.get(c, 0.0)) for c in crit])
    others = np.where(np.array(crit) == "cost", 0.0, w)
    others = others / others.sum() if others.sum() else others
    grid = np.linspace(0, 1, steps)
    scores = decision[crit].to_numpy()
    is_cost = (np.array(crit) == "cost").astype(float)
    tops = [int(np.argmax(scores @ (g * is_cost + (1 - g) * others))) for g in grid]
    label = (decision["location"] + " / " + decision["form"]).to_numpy()
    rows = [{"cost_weight": float(grid[i]), "top_before": label[tops[i - 1]],
             "top_after": label[tops[i]]} for i in range(1, steps) if tops[i] != tops[i - 1]]
    return pd.DataFrame(rows, columns=["cost_weight", "top_before", "top_after"])


def scenarios_table(scenarios: pd.DataFrame, tco_table: pd.DataFrame, mc: pd.DataFrame,
                    decision: pd.DataFrame) -> pd.DataFrame:
    """One tidy table for the output file: yearly cost lines with TCO, risk and rank columns."""
    keys = ["location", "form"]
    out = scenarios.merge(tco_table.drop(columns=["feasible", "currency", "price_year"]),
                          on=keys, how="left")
    out = out.merge(mc[keys + ["npv_p10_eur", "npv_p50_eur", "npv_p90_eur",
                               "prob_beats_baseline"]], on=keys, how="left")
    crit = [c for c in (*CRITERIA, "risk_score", "score", "rank", "top_share")
            if c in decision.columns and c != "cost"]
    return out.merge(decision[keys + crit], on=keys, how="left")


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table to Parquet atomically (temporary file in the same folder, then rename)."""
    p = project_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return p
