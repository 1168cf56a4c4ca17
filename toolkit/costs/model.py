"""What does each location x engagement form cost, month by month?

The chain: interval volumes -> Erlang staffing (``workload``) -> productive hours and FTE per
location -> cost lines per engagement form (who pays what) -> monthly cash flows
(``monthly_costs``, ``scenario_costs``). ``finance`` turns them into TCO / NPV / break-even
against in-house, ``uncertainty`` into tornado and Monte Carlo, ``decision`` into the
weighted decision matrix.

One engine serves every view. Each month's cost of a (location, form) is a linear combination
of five cost drivers per location — payroll ``P`` (agent FTE x loaded wage, EUR), hires ``A``
(``P`` x attrition / 12), FTE-months at EUR prices ``S`` (the EUR costs that do not follow
local wages: expatriate managers, governance abroad), seat-months ``N`` (premises, IT,
telephony: seats are fixed capacity sized on the peak of concurrent scheduled agents, not on
FTE) and the rate-card invoice ``R`` — with coefficients set by the who-pays matrix. The deterministic views evaluate the
drivers once; the Monte Carlo draws them (wages, FX, AHT, attrition, volume, quality gaps,
correlated as ``correlations.yaml`` states: see ``correlation``)
as ``(draws, locations, months)`` arrays and contracts them with discount weights, so
10,000 draws of every location x form over 60 months take well under two seconds.

Calibration: agent wages are sector / agent anchors (FACTS 1.2) escalated with wage
inflation, the legal minimum a floor (``checks.wage_floor_check``); the labour share is
agents' loaded pay over operating cost, as in FACTS 2's bottom-up formula;
``checks.benchmark_checks`` sets the model's outputs against the published price ratios
and savings (FACTS 1.1).

Money is in EUR, nominal, with figures escalated from their stated year to the contract start
year (each output states that year). Reference figures live in ``toolkit/reference/*.yaml``;
analysts override any of them with a YAML file (``overrides``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit import planning
from toolkit.clock import local_clock
from toolkit.config import project_path
from toolkit.costs.portfolio import (
    PORTFOLIO,
    STATUS_QUO,
    Portfolio,
    StatusQuo,
    build_portfolios,
)
from toolkit.costs.reference import (
    LABOUR_LINES,
    LINES,
    ONE_OFF_LINES,
    PAYROLL_LINES,
    ValueOfService,
    _check_choice,
    _is_figure,
    _value,
    build_service,
    load_reference,
)
from toolkit.costs.workload import (
    monthly_forecast_table,
    outlook_table,
    queue_service,
    read_monthly_forecast,
    staffing_profile,
    volume_path,
)
from toolkit.errors import ParameterError
from toolkit.forecast.result import ForecastResult

BILLING_BASES = ("per_productive_hour", "per_fte_month", "per_call", "per_minute", "cost_plus")
METHODS = ("rate_card", "bottom_up")
#: Drivers of the cost engine (see module docstring) and the constant driver for fixed sums.
_DRIVERS = ("P", "A", "S", "N", "R")
_WEEKS_PER_MONTH = 52.1775 / 12
_DAYS_PER_MONTH = 365.25 / 12


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
    #: where the volume path comes from: "flat" (the reference's growth) or "forecast"
    volume_source: str = "flat"
    basis: planning.PlanningBasis = field(default_factory=planning.load_basis)
    status_quo: StatusQuo | None = None
    portfolios: list[Portfolio] = field(default_factory=list)
    #: the value of a lost contact per queue (``reference.build_service``); None = value of
    #: service off
    service: ValueOfService | None = None

    @property
    def start_year(self) -> int:
        return int(self.start.year)

    @property
    def options(self) -> list[tuple[str, str]]:
        return [(loc, form) for loc in self.locations for form in self.forms]

    @property
    def columns(self) -> list[str]:
        """The engine's option columns: the forms, then one per portfolio (summed over
        locations: a portfolio's cost at location l is its legs there)."""
        return [*self.forms, *(p.name for p in self.portfolios)]

    @property
    def comparison(self) -> tuple[str, str]:
        """What savings are measured against: the status quo when known, else the baseline."""
        return (STATUS_QUO, PORTFOLIO) if self.status_quo is not None else tuple(self.baseline)

    def option_keys(self) -> list[tuple[str, str]]:
        """Every costed option: location x form pairs, then the portfolios."""
        return [*self.options, *((p.name, PORTFOLIO) for p in self.portfolios)]

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
                language_market: str = "FR", basis: planning.PlanningBasis | None = None,
                period: str | None = None, staffing_forecast: pd.DataFrame | None = None,
                patience_s=None, holiday_country: str | None = "FR",
                volume_scenario: str = "base", status_quo: StatusQuo | None = None,
                portfolios: Sequence[dict] | None = None, value_of_service: bool = False,
                provider_reports: pd.DataFrame | str | os.PathLike | None = None,
                service_queues: pd.DataFrame | None = None) -> SourcingModel:
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
    forecast : the volume path and its uncertainty: a long-horizon outlook
        (``toolkit.forecast.monthly_outlook``, table or path; ``volume_scenario`` picks base,
        low, high or a named scenario) or any monthly forecast (``ds, yhat[, yhat_lower_80,
        yhat_upper_80]``), or an interval forecast's ``ForecastResult`` (its error
        correlations then set the monthly spread).
    baseline : the (location, form) every option is compared with.
    basis : the planning basis (``toolkit.planning.load_basis()`` when None): service target,
        shrinkage, schedule efficiency, paid time per FTE, seats — the staffing notebook's.
    period : report period "YYYY-MM": the base year is the 12 months ending with it and the
        contract starts the month after (unless ``start`` says otherwise).
    staffing_forecast : the interval forecast of the month after ``period`` (notebook 10):
        that month is sized from it exactly as the staffing notebook does.
    patience_s : caller patience for Erlang A, a number or queue -> seconds.
    holiday_country : the calendar the site opens on (open days for FTE and partial months).
    status_quo : today's mix (``costs.status_quo``): costed as an option, at the providers'
        actual invoices, and the default comparison of every saving.
    portfolios : partial moves from the status quo (``costs.portfolio.build_portfolios``),
        e.g. ``[{"name": "care 40 % to MA", "moves": [{"queue": "care", "share": 0.4,
        "to": "MA / FULL", "from": "2027-03"}]}]``.
    value_of_service : count what abandoned and repeat contacts lose (lost sales and saves,
        ``service``) beside the cost; off by default.
    provider_reports : the provider reports (table or path): their conversion and save rates
        value a lost contact (else the reference's).
    service_queues : ``queue, contact_share, abandon_rate`` when the model is built from a
        ``profile`` (from ``volumes`` it is the staffing engine's, ``workload.queue_service``).
    """
    ref = load_reference(overrides)
    basis = basis or planning.load_basis()
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
    if status_quo is not None:
        sq_sites = status_quo.sites
        _check_choice("sites.location", list(sq_sites["location"]), valid_locs)
        _check_choice("sites.engagement_form", list(sq_sites["form"]), list(ref["forms"]))
        locations = list(dict.fromkeys([*locations, *sq_sites["location"]]))
        forms = list(dict.fromkeys([*forms, *sq_sites["form"]]))
    for spec in portfolios or []:
        for mv in spec.get("moves", []) if isinstance(spec, dict) else []:
            parts = [p.strip() for p in str(mv.get("to", "")).split("/")]
            if len(parts) == 2 and parts[0] in valid_locs and parts[1] in ref["forms"]:
                locations = list(dict.fromkeys([*locations, parts[0]]))
                forms = list(dict.fromkeys([*forms, parts[1]]))
    last_month = None
    if profile is None:
        if volumes is None:
            raise ParameterError("volumes", None, "a volumes table or path, or a profile table")
        if not isinstance(volumes, pd.DataFrame):
            from toolkit import io
            volumes = io.read_volumes(project_path(volumes))
        profile = staffing_profile(volumes, ref, locations, basis=basis, period=period,
                                   forecast=staffing_forecast, patience_s=patience_s,
                                   holiday_country=holiday_country)
        last_month = (planning.report_period(period) if period is not None
                      else local_clock(volumes["ds"]).max().to_period("M"))
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
        if isinstance(forecast, ForecastResult):
            fc = monthly_forecast_table(forecast)
        elif not isinstance(forecast, pd.DataFrame):
            fc = (read_monthly_forecast(forecast) if volume_scenario == "base"
                  else outlook_table(pd.read_parquet(project_path(forecast)), volume_scenario))
        elif {"scenario", "queue", "month"} <= set(forecast.columns):
            fc = outlook_table(forecast, volume_scenario)
        elif {"month", "yhat", "cv"} <= set(forecast.columns):
            fc = forecast
        else:
            fc = monthly_forecast_table(forecast)
        volume_index, volume_cv = volume_path(profile, fc, contract, volume_cv)
        notes.append(f"volumes grow year by year as the outlook's annual totals "
                     f"({volume_scenario} scenario), each year keeping the base year's monthly "
                     "shape; years beyond the outlook repeat its last")
    pfs = build_portfolios(status_quo, portfolios, start=start_p, months=months,
                           locations=locations, forms=forms)
    service = None
    if not isinstance(value_of_service, bool | np.bool_):
        raise ParameterError("value_of_service", value_of_service, "True or False")
    if value_of_service:
        if service_queues is None:
            if volumes is None:
                raise ParameterError("service_queues", None, "a table queue, contact_share, "
                                     "abandon_rate when the model is built from a profile")
            service_queues = queue_service(volumes, basis=basis, period=period,
                                           patience_s=patience_s)
        if provider_reports is not None and not isinstance(provider_reports, pd.DataFrame):
            from toolkit import io
            provider_reports = io.read_provider_reports(project_path(provider_reports))
        service = build_service(ref, service_queues, provider_reports,
                                str(last_month) if last_month is not None else period)
    return SourcingModel(ref=ref, profile=profile, locations=locations, forms=forms,
                         start=start_p, months=months, billing_basis=billing_basis,
                         method=method, discount_rate=float(discount_rate),
                         baseline=tuple(baseline), language_market=language_market,
                         volume_index=volume_index, volume_cv=volume_cv, notes=notes,
                         volume_source="flat" if forecast is None else "forecast",
                         basis=basis, status_quo=status_quo, portfolios=pfs, service=service)


# --------------------------------------------------------------------------------------------
# Engine: per-location arrays, cost-line coefficients, drivers
# --------------------------------------------------------------------------------------------

@dataclass
class _Tweaks:
    """Multipliers / replacements used by the tornado (1.0 / None = reference value).

    Their ranges are reference figures (``cost_defaults.yaml``: ``sensitivity`` and the
    figures' own low/high), read by ``uncertainty._tornado_ranges``; none is set here.
    """

    volume: float = 1.0
    aht: float = 1.0
    wage: float = 1.0
    wage_inflation: float = 0.0       # added to every location's rate
    fx: float = 1.0                   # applied to non-EUR currencies
    attrition: float = 1.0
    charges: float = 1.0
    price: float = 1.0
    premises: float = 1.0             # premises per seat (IT and telephony have their own range)
    margin: str | None = None         # "low" / "high": every market's margin at that end
    quality: str | None = None        # "low" / "high": every tier's AHT uplift and FCR gap
    governance: float | None = None
    shrinkage: float | None = None
    overhead: float | None = None
    discount_rate: float | None = None
    exit_months: float | None = None


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
    price_cur, price, clause = [], [], []
    ix = d["price_indexation"]
    for key, loc in zip(model.locations, locs, strict=True):
        code = _value(loc["price_indexation"]) if "price_indexation" in loc else None
        if code not in CLAUSES:
            raise ParameterError(f"locations.{key}.price_indexation", code,
                                 f"one of {list(CLAUSES)}")
        clause.append(CLAUSES.index(code))
    for loc, i in zip(locs, infl, strict=True):
        fig = loc.get("price_per_productive_hour")
        price_cur.append(fig["currency"] if fig else "EUR")
        # Prices quoted in the local currency follow local wages; prices in EUR/USD follow
        # EUR-zone inflation (a 2012 EUR price is not indexed on MAD wages).
        rate = i if fig and fig["currency"] == loc["currency"] else nonlab
        price.append(_escalate(fig, rate, y0) if fig else np.nan)
    basis = model.basis
    shrink = float(tw.shrinkage if tw.shrinkage is not None else basis.shrinkage)
    worked = np.array([_worked_hours(basis, k, y0) for k in model.locations], float)
    # schedule efficiency per location: the shift scheduler's under its country's labour
    # rules when the basis carries it (planning.with_schedules), else the planning file's
    efficiency = np.array([basis.efficiency(k) for k in model.locations], float)
    tiers = [loc["tier"] for loc in locs]
    home_ok = np.array([loc["country"] == _value(d["home_country"]) for loc in locs])
    margin_key = tw.margin or "value"
    margins = [_margin(d, _margin_market(loc), margin_key) for loc in locs]
    aht_up, repeat = _quality_factors(ref, model.locations, tw.quality or "value")
    return {
        "currencies": currencies,
        "cur_idx": np.array([currencies.index(c) for c in cur]),
        "price_cur_idx": np.array([currencies.index(c) for c in price_cur]),
        "fx0": fx0, "fx_drift": drift, "fx_vol": vol,
        "gross_local": gross * tw.wage, "charges": charges, "infl": infl,
        # Hours one FTE works a year (planning basis: contract hours less leave, public
        # holidays and absence) and, of those, the productive ones per FTE-month.
        "worked_hours": worked,
        "productive_per_fte": worked / 12.0 * (1 - shrink) * efficiency,
        "attrition": np.array([_value(loc["attrition"]) for loc in locs], float) * tw.attrition,
        "price_local": np.array(price, float),
        "clause": np.array(clause), "cap": np.full(len(locs), float(_value(ix["cap"]))),
        "eur_cpi": float(_value(ix["eur_cpi"])),
        "premises": np.array([_escalate(loc["premises_per_seat_month"], nonlab, y0)
                              for loc in locs]) * tw.premises,
        "it": _escalate(d["it_per_seat_month"], nonlab, y0),
        "tel": _escalate(d["telephony_licences_per_seat_month"], nonlab, y0),
        "nonlab": nonlab, "shrinkage": shrink, "efficiency": efficiency,
        "seat_factor": np.array([basis.seat_factor(k) for k in model.locations], float),
        "home": home_ok, "margin": np.array(margins, float),
        "aht_quality": aht_up, "repeat": repeat,
        "home_loaded_eur": _home_loaded_wage_eur(model, tw),
        "stab": np.array([_value(d["stabilisation_months"][t]) for t in tiers], float),
        "wage_sd": np.array([_value(d["wage_inflation_sd"]) * (1 if loc["currency"] == "EUR"
                                                               else 2) for loc in locs]),
    }


#: Worked hours per FTE of the last planning bases used: ``(basis, {(location, year): hours})``.
#: Counting a year's public holidays takes milliseconds per location, and the tornado and the
#: Monte Carlo rebuild the location arrays many times; a (frozen) basis object never changes.
_WORKED_CACHE: list = []


def _worked_hours(basis: planning.PlanningBasis, location: str, year: int) -> float:
    table = next((t for cached, t in _WORKED_CACHE if cached is basis), None)
    if table is None:
        table = {}
        _WORKED_CACHE[:] = [*_WORKED_CACHE[-7:], (basis, table)]
    if (location, year) not in table:
        table[(location, year)] = float(basis.worked_hours(location, year))
    return table[(location, year)]


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
_GRID_COLUMNS = ("productive_hours", "contacts", "handled_contacts", "handled_minutes",
                 "fte_share", "peak_scheduled")
#: Value of a column a what-if profile may leave out: an even share of the year's FTE hours
#: per month, and no interval peak (seats then follow FTE).
_GRID_DEFAULTS = {"fte_share": 1.0 / 12.0, "peak_scheduled": np.nan}


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
        if col not in prof.columns:
            out[:] = _GRID_DEFAULTS[col]
            out.flags.writeable = False
            grids[col] = out
            continue
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
    # FTE as toolkit.staffing.fte_rollup: paid hours over the hours an FTE works on the
    # month's open days (its share of the year; 1/12 when the profile does not say).
    share = months_of_year["fte_share"][:, moy - 1]
    fte = (hours / ((1 - la["shrinkage"]) * la["efficiency"][:, None])
           / (la["worked_hours"][:, None] * share))
    # Seats are fixed capacity: the base year's peak of concurrent scheduled agents, grown
    # with the volume path year by year (never down within a year), plus support positions.
    basis = model.basis
    years = np.arange(model.months) // 12
    peak_growth = np.array([vidx[years == y].max() for y in years])
    peak = months_of_year["peak_scheduled"].max(axis=1, keepdims=True)
    if np.isfinite(peak).all() and (peak > 0).all():
        # the profile's peak is at the basis's shrinkage; a tornado tweak rescales it
        tweak = (1 - basis.shrinkage) / (1 - la["shrinkage"])
        agent_seats = np.ceil(np.round(peak * peak_growth[None, :] * tw.aht * quality
                                       * basis.seats_per_scheduled_agent * tweak
                                       * la["seat_factor"][:, None], 9))
    else:  # a profile without intervals (what-ifs): one seat per FTE
        agent_seats = fte
    seats = agent_seats * (1 + basis.support_positions_per_agent)
    return {"hours": hours, "fte": fte, "seats": seats, "contacts": grid("contacts"),
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
    # Coefficient columns: the forms, then the portfolios (filled by _portfolio_terms).
    L, F, T = len(model.locations), len(model.columns), model.months
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
    fx_usd = la["fx0"][la["currencies"].index("USD")]
    setup = _escalate(d["setup_per_seat"], la["nonlab"], model.start_year) * fx_usd
    project = _escalate(d["transition_project_cost"], la["nonlab"], model.start_year)
    entity = _escalate(d["entity_setup_cost"], la["nonlab"], model.start_year)
    exit_m = float(tw.exit_months if tw.exit_months is not None else _value(d["exit_months"]))
    tau = min(int(forms_ref.get("BOT", {}).get("transfer_month", T)), T)
    fee_m = float(forms_ref.get("BOT", {}).get("transfer_fee_months", 0.0))

    gov_mode, gov_team = _governance_rule(model, la)
    t = np.arange(T)
    W = {"all": np.ones((L, T)), "pre": np.broadcast_to(t < tau, (L, T)).astype(float),
         "post": np.broadcast_to(t >= tau, (L, T)).astype(float),
         "t0": np.broadcast_to(t == 0, (L, T)).astype(float),
         "last": np.broadcast_to(t == T - 1, (L, T)).astype(float),
         "tau": np.broadcast_to(t == tau - 1, (L, T)).astype(float),
         "nonlab": np.broadcast_to((1 + la["nonlab"]) ** (t / 12.0), (L, T))}
    p0 = float(_value(d["ramp_start_productivity"]))
    prod = np.minimum(1.0, p0 + (1 - p0) * t[None, :] / la["stab"][:, None])
    W["ramp"] = 1.0 / prod - 1.0
    terms = _Terms(weights=W)

    # Deterministic driver magnitudes at t = 0 (for the rate-card provider share).
    P0 = q["fte"][:, 0] * la["gross_local"] * (1 + la["charges"]) * la["fx0"][la["cur_idx"]]
    ref0 = {"P": P0, "A": P0 * la["attrition"] / 12, "S": q["fte"][:, 0], "N": q["seats"][:, 0]}

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
                c = {"N": per_seat * factor}
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
                    # One rule for every form: a share of the option's own contract value
                    # (FACTS 2: 3-6 %), or the vendor-management team it needs.
                    gov_terms = ({k: gov * v for k, v in invoice.items()} if gov_mode == "share"
                                 else gov_team)
                    for k, v in gov_terms.items():
                        coef = np.zeros((L, F))
                        coef[:, fi] = v
                        if k == "one@nonlab":
                            k, w2 = "one", f"nonlab*{wname}"
                            W.setdefault(w2, W["nonlab"] * W[wname])
                        else:
                            w2 = wname
                        terms.items.append((li["governance"], k, w2, coef))
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
                    add("transition", "N", "t0", np.full(L, setup))
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
    if model.portfolios:
        _portfolio_terms(model, la, q, tw, terms)
        _leaving_terms(model, la, q, tw, terms)
    return terms


def _det_drivers(model: SourcingModel, la: dict, q: dict, tw: _Tweaks) -> dict:
    price = _rate_card_price_eur(model, la, q, tw)
    X = {k: v[0] for k, v in _drivers(model, la, q, tw, None, price).items()}
    X["one"] = np.ones((len(model.locations), model.months))
    return X


def _leaving(model: SourcingModel, la: dict, q: dict, tw: _Tweaks, terms: _Terms) -> dict:
    """What leaving the status quo for each location x form costs, deterministic, EUR.

    ``{(l, f): {"dual_running", "severance", "stranded_premises", "staff_transfer" (per
    month, decaying with attrition), "redundant", "transferred" (people)}}``. The option's
    own site keeps running; every other site of today's mix runs on beside the new one for
    ``dual_running_months``. In-house staff move with the work under L1224-1 when it goes to
    a provider at home in a ``transfer_forms`` form (they keep the company's pay premium
    until they leave), else they are made redundant: legal minimum plus social plan.
    Company staff abroad (hosted seats) get the local severance; released seats of the
    company's own premises leave their lease and fit-out stranded.
    """
    d, lv = model.ref["defaults"], model.ref["defaults"]["leaving"]
    val = {k: _value(v) for k, v in lv.items()}
    tenure = float(val["average_tenure_years"])
    legal = (val["severance_months_per_year_to_10"] * min(tenure, 10.0)
             + val["severance_months_per_year_after_10"] * max(tenure - 10.0, 0.0))
    premium = float(_value(d["inhouse_wage_premium"]))
    premium_abroad = float(_value(d["abroad_employer_premium"]))
    infra = float(_value(d["client_infrastructure_factor"]))
    assets = _escalate(lv["assets_per_seat"], la["nonlab"], model.start_year)
    home_country = _value(d["home_country"])
    gross_eur = la["gross_local"] * la["fx0"][la["cur_idx"]]
    X = _det_drivers(model, la, q, tw)
    sq = model.portfolios[0]
    col = len(model.forms)
    run = []
    for n, leg in enumerate(sq.legs):
        li_ = model.locations.index(leg.location)
        tag = f"|0.{n}"
        run.append(sum(float(coef[li_, col] * terms.weights[w][li_, 0] * X[k][li_, 0])
                       for line_i, k, w, coef in terms.items
                       if w.endswith(tag) and LINES[line_i] not in ONE_OFF_LINES))
    out = {}
    for fi, form in enumerate(model.forms):
        for li_, loc in enumerate(model.locations):
            if not model.feasible(loc, form):
                continue
            r = dict.fromkeys(("dual_running", "severance", "stranded_premises",
                               "staff_transfer", "redundant", "transferred"), 0.0)
            r["people"] = []  # (today's site, its location, its form, people, fate)
            dest_home = model.ref["locations"][loc]["country"] == home_country
            dest_infra = model.ref["forms"][form]["infrastructure"]
            for n, leg in enumerate(sq.legs):
                if (leg.location, leg.form) == (loc, form):
                    continue
                h = model.locations.index(leg.location)
                s = float(leg.share[0])
                r["dual_running"] += run[n] * float(val["dual_running_months"])
                employer = model.ref["forms"][leg.form]["employer"]
                if employer != "client":
                    continue
                people = s * q["fte"][h, 0] * float(val["headcount_per_fte"])
                if leg.form == "INHOUSE":
                    same_site = loc == leg.location
                    if dest_home and form in val["transfer_forms"]:
                        r["transferred"] += people
                        r["staff_transfer"] += premium * s * X["P"][h, 0]
                        fate = "transferred"
                    elif not (same_site and form in ("HOSTED", "INHOUSE")):
                        r["redundant"] += people
                        r["severance"] += (people * gross_eur[h] * (1 + premium)
                                           * (legal + val["social_plan_months"]))
                        fate = "redundant"
                    else:
                        fate = "stays"
                    r["people"].append((leg.site, leg.location, leg.form, people, fate))
                    if not (same_site and dest_infra == "client"):
                        seats = s * q["seats"][h, 0]
                        r["stranded_premises"] += seats * (
                            la["premises"][h] * infra * val["lease_remaining_months"]
                            * (1 - val["sublet_recovery"]) + assets)
                else:   # company staff abroad (hosted seats, captive)
                    r["redundant"] += people
                    r["severance"] += (people * gross_eur[h] * (1 + premium_abroad)
                                       * val["severance_months_abroad"])
                    r["people"].append((leg.site, leg.location, leg.form, people, "redundant"))
            out[(li_, fi)] = r
    return out


def _status_quo_engine(model: SourcingModel):
    """The engine's arrays at the reference figures (tweaks, location arrays, quantities,
    terms) for the views that compare options with today's mix: it needs a status quo."""
    if model.status_quo is None:
        raise ParameterError("model", "no status quo",
                             "a model built with status_quo=costs.status_quo(...)")
    tw = _Tweaks()
    la = _location_arrays(model, tw)
    q = _base_quantities(model, la, tw)
    return tw, la, q, _terms(model, la, q, tw)


def _leaving_terms(model: SourcingModel, la: dict, q: dict, tw: _Tweaks, terms: _Terms) -> None:
    """Each location x form option pays for leaving the status quo (``_leaving``)."""
    if model.status_quo is None:
        return
    L, T = len(model.locations), model.months
    h = model.locations.index(model.baseline[0])
    # transferred staff keep the company's premium until they leave (the home attrition)
    terms.weights["transfer"] = np.broadcast_to(
        np.exp(-la["attrition"][h] * np.arange(T) / 12.0), (L, T))
    for (li_, fi), r in _leaving(model, la, q, tw, terms).items():
        for line in ("dual_running", "severance", "stranded_premises", "staff_transfer"):
            if r[line]:
                coef = np.zeros((L, len(model.columns)))
                coef[li_, fi] = r[line]
                terms.items.append((LINES.index(line), "one",
                                    "transfer" if line == "staff_transfer" else "t0", coef))


def leaving_costs(model: SourcingModel) -> pd.DataFrame:
    """The cost of leaving today's mix per option, in euros and in people (contract year 1).

    ``severance_eur`` (legal minimum + social plan, or local severance abroad),
    ``staff_transfer_eur`` (L1224-1: the company's pay premium carried by the provider,
    nominal over the contract), ``stranded_premises_eur``, ``dual_running_eur``;
    ``people_redundant`` and ``people_transferred`` for the staff representatives.
    """
    tw, la, q, terms = _status_quo_engine(model)
    transfer = terms.weights["transfer"][0].sum()
    rows = []
    for (li_, fi), r in _leaving(model, la, q, tw, terms).items():
        rows.append({"location": model.locations[li_], "form": model.forms[fi],
                     "dual_running_eur": r["dual_running"], "severance_eur": r["severance"],
                     "stranded_premises_eur": r["stranded_premises"],
                     "staff_transfer_eur": r["staff_transfer"] * transfer,
                     "people_redundant": r["redundant"], "people_transferred": r["transferred"],
                     "contract_year": 1})
    out = pd.DataFrame(rows)
    out["leaving_eur"] = out[["dual_running_eur", "severance_eur", "stranded_premises_eur",
                              "staff_transfer_eur"]].sum(axis=1)
    return out


def leaving_people(model: SourcingModel) -> pd.DataFrame:
    """Whose jobs each option touches: one row per option and today's site employing company
    staff, ``location, form, site, site_location, site_form, people, fate`` (fate
    ``redundant``, ``transferred`` to the provider under L1224-1, or ``stays`` when the option
    keeps them where they are). ``people_redundant`` of ``leaving_costs`` is the sum of the
    redundant rows."""
    tw, la, q, terms = _status_quo_engine(model)
    rows = [{"location": model.locations[li_], "form": model.forms[fi], "site": site,
             "site_location": site_loc, "site_form": site_form, "people": people, "fate": fate}
            for (li_, fi), r in _leaving(model, la, q, tw, terms).items()
            for site, site_loc, site_form, people, fate in r["people"]]
    return pd.DataFrame(rows, columns=["location", "form", "site", "site_location",
                                       "site_form", "people", "fate"])


def _invoice_lines(model: SourcingModel, form: str) -> set[int]:
    """Lines the provider bills (its own cost lines and its margin) under ``form``."""
    payer = model.ref["forms"][form]["payer"]
    return {i for i, line in enumerate(LINES[:9]) if payer[line] == "provider"} | {
        LINES.index("provider_margin")}


def _leg_weight(wname: str, w: np.ndarray, share: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """A term's time weight for a leg: run weights x its share; one-off weights (start,
    ramp, transfer) restart at each increase of its share, in proportion to it."""
    if wname in ("t0", "ramp", "tau"):
        return np.convolve(onset, w)[: len(w)]
    if wname == "last":
        return w * share[-1]
    return w * share


def _leg_invoices(model: SourcingModel, la: dict, q: dict, tw: _Tweaks, terms: _Terms) -> dict:
    """Year-1 modelled invoice and productive hours of the whole workload at each
    (location, form) a status-quo provider leg uses: ``{(li_, fi): (invoice, hours)}``."""
    price = _rate_card_price_eur(model, la, q, tw)
    X = {k: v[0] for k, v in _drivers(model, la, q, tw, None, price).items()}
    X["one"] = np.ones((len(model.locations), model.months))
    out = {}
    for p in model.portfolios:
        for leg in p.legs:
            if not leg.existing or leg.form == "INHOUSE":
                continue
            li_, fi = model.locations.index(leg.location), model.forms.index(leg.form)
            if (li_, fi) in out:
                continue
            lines = _invoice_lines(model, leg.form)
            inv = sum(float(coef[li_, fi] * (terms.weights[w][li_] * X[k][li_])[:12].sum())
                      for line_i, k, w, coef in terms.items
                      if line_i in lines and coef[li_, fi] and w in ("all", "pre"))
            out[(li_, fi)] = (inv, float(q["hours"][li_, :12].sum()))
    return out


def _invoice_scales(model: SourcingModel, la: dict, q: dict, tw: _Tweaks,
                    terms: _Terms) -> dict:
    """Actual / modelled price per productive hour of each status-quo provider site.

    Actual: the site's invoices over the 12 months ending with the report period over its
    share of the modelled productive hours of those months (staffing profile); modelled:
    the year-1 invoice per productive hour of the same location x form.
    """
    sq = model.status_quo
    if sq is None:
        return {}
    inv = _leg_invoices(model, la, q, tw, terms)
    grids = _profile_grids(model.profile, model.locations)
    out = {}
    for row in sq.sites.itertuples():
        if row.form == "INHOUSE" or not np.isfinite(row.invoice_eur):
            continue
        li_, fi = model.locations.index(row.location), model.forms.index(row.form)
        invoice, hours = inv[(li_, fi)]
        base_hours = (row.share * grids["productive_hours"][li_].sum()
                      * la["aht_quality"][li_] * la["repeat"][li_])
        model_price = invoice / hours if hours else np.nan
        actual_price = row.invoice_eur / base_hours if base_hours else np.nan
        out[row.site] = {"scale": actual_price / model_price if model_price else 1.0,
                         "model_price": model_price, "actual_price": actual_price,
                         "model_hours": base_hours, "model_invoice": base_hours * model_price}
    return out


def _portfolio_terms(model: SourcingModel, la: dict, q: dict, tw: _Tweaks,
                     terms: _Terms) -> None:
    """Append each portfolio's terms: its legs' form terms, weighted by their shares.

    A status-quo leg runs today: no transition, and its invoice is the provider's actual
    price (the provider's margin takes the difference from the modelled invoice; governance
    follows the invoice).
    """
    F0 = len(model.forms)
    li_margin, li_gov = LINES.index("provider_margin"), LINES.index("governance")
    scales = _invoice_scales(model, la, q, tw, terms)
    form_items = list(terms.items)
    for j, p in enumerate(model.portfolios):
        col = F0 + j
        for n, leg in enumerate(p.legs):
            li_, fi = model.locations.index(leg.location), model.forms.index(leg.form)
            share = np.asarray(leg.share, float)
            onset = np.maximum(np.diff(share, prepend=0.0 if not leg.existing else share[0]), 0)
            scale = scales.get(leg.site, {}).get("scale", 1.0) if leg.existing else 1.0
            gov_scale = scale if _value(model.ref["defaults"]["governance_basis"]) == "share" else 1.0
            invoice = _invoice_lines(model, leg.form)
            for line_i, k, wname, coef in form_items:
                c = coef[li_, fi]
                if not c or (leg.existing and LINES[line_i] in ONE_OFF_LINES):
                    continue
                name = f"{wname}|{j}.{n}"
                if name not in terms.weights:
                    wl = _leg_weight(wname, terms.weights[wname][li_], share, onset)
                    terms.weights[name] = np.broadcast_to(wl, (len(model.locations), model.months))
                new = np.zeros_like(coef)
                new[li_, col] = c * (gov_scale if line_i == li_gov else 1.0)
                terms.items.append((line_i, k, name, new))
                if scale != 1.0 and line_i in invoice:
                    extra = np.zeros_like(coef)
                    extra[li_, col] = c * (scale - 1.0)
                    terms.items.append((li_margin, k, name, extra))


#: Governance rules (``defaults.governance_basis``).
GOVERNANCE_BASES = ("share", "team")


def _governance_rule(model: SourcingModel, la: dict) -> tuple[str, dict]:
    """``("share", {})`` or ``("team", terms)``: the vendor-management team as terms of
    agent FTE-months (S, the roles sized per 100 agent FTE) and a fixed core ("one", the
    roles every contract needs), priced at their loaded EUR cost escalated to the start."""
    d = model.ref["defaults"]
    mode = _value(d["governance_basis"])
    if mode not in GOVERNANCE_BASES:
        raise ParameterError("defaults.governance_basis", mode, f"one of {list(GOVERNANCE_BASES)}")
    if mode == "share":
        return mode, {}
    per_fte = fixed = 0.0
    for role, fig in d["governance_team"].items():
        for key in ("fixed_fte", "fte_per_100_agents"):
            if not isinstance(fig.get(key), int | float) or fig[key] < 0:
                raise ParameterError(f"defaults.governance_team.{role}.{key}", fig.get(key),
                                     "a number of people >= 0")
        monthly = _escalate(fig, la["nonlab"], model.start_year) / 12.0
        per_fte += fig["fte_per_100_agents"] / 100.0 * monthly
        fixed += fig["fixed_fte"] * monthly
    L = len(model.locations)
    # fixed core: a monthly sum escalated like other EUR costs (time weight "nonlab")
    return mode, {"S": np.full(L, per_fte), "one@nonlab": np.full(L, fixed)}


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
    # A price per hour carries the seats behind each FTE: one workstation plus the support
    # positions' (the planning basis), the usual ratio when shifts share seats over the day.
    seats = 1 + model.basis.support_positions_per_agent
    per_fte = per_fte + seats * (la["premises"] + la["it"] + la["tel"])
    return per_fte * (1 + la["margin"]) / la["productive_per_fte"]


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
    nonlab_idx = np.exp(np.log1p(la["nonlab"]) * years)[None, None, :]
    S = q["fte"][None] * wf * nonlab_idx
    N = q["seats"][None] * nonlab_idx  # fixed capacity: not drawn with the workload
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
    R = units * unit_price[None, :, None] * price_index(la, np.log(wage_idx),
                                                        np.log(fx_path / la["fx0"][None, :, None]),
                                                        years)
    return {"P": P, "A": A, "S": S, "N": N, "R": R}


#: Price indexation clauses (``defaults.price_indexation.clause`` or a location's own).
CLAUSES = ("fixed", "cpi", "local_wages_fx", "capped")


def price_index(la: dict, log_w: np.ndarray, log_fx: np.ndarray, years: np.ndarray) -> np.ndarray:
    """EUR price path (relative to the start) under each location's indexation clause.

    ``log_w`` local wage index (D, L, T) and ``log_fx`` EUR value of each currency relative
    to its start rate (D, C, T), both logs. ``fixed``: the price stays put in its own
    currency (a USD price moves with USD); ``cpi``: EUR CPI; ``local_wages_fx``: the
    provider's cost path, local wages x the local currency's EUR value (an EUR price does
    not follow local wages alone: depreciation offsets them); ``capped``: that path, capped
    at ``cap`` a year.
    """
    D = max(log_w.shape[0], log_fx.shape[0])
    out = np.empty((D, len(la["clause"]), log_w.shape[2]))
    for code in np.unique(la["clause"]):
        sel = np.flatnonzero(la["clause"] == code)
        if code in (2, 3):
            path = np.exp(log_w[:, sel] + log_fx[:, la["cur_idx"][sel]])
            if code == 3:
                path = np.minimum(path, np.exp(np.log1p(la["cap"][sel])[None, :, None] * years))
        else:
            path = np.exp(log_fx[:, la["price_cur_idx"][sel]]
                          + (np.log1p(la["eur_cpi"]) * years if code == 1 else 0.0))
        out[:, sel] = path
    return out


def provider_cost_index(la: dict, log_w: np.ndarray, log_fx: np.ndarray) -> np.ndarray:
    """The provider's labour cost path in EUR: local wages x the local currency's EUR value."""
    return np.exp(log_w + log_fx[:, la["cur_idx"], :])


# --------------------------------------------------------------------------------------------
# Engine: drawn shocks -> driver multipliers (the Monte Carlo's draws go through _drivers)
# --------------------------------------------------------------------------------------------

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


def _shock_factors(model: SourcingModel, la: dict, shocks: dict, wage_paths: bool = True) -> dict:
    """Stochastic multipliers of the drivers, kept factored to avoid (D, L, T) temporaries.

    ``vf`` volume (D, T); ``af`` AHT (D, L); ``attr`` attrition (D, L); ``log_rate`` drawn
    wage inflation (D, L, log of 1 + rate) and, with ``wage_paths``, ``log_w`` the wage index
    (D, L, T, log); ``log_fx`` currency paths (D, C, T, log, relative to the start rate).
    """
    d = model.ref["defaults"]
    T = model.months
    years = np.arange(T) / 12.0
    rate = la["infl"][None, :] + la["wage_sd"][None, :] * shocks["wage"]
    log_rate = np.log1p(rate)
    log_w = log_rate[:, :, None] * years if wage_paths else None
    sig = la["fx_vol"][None, :, None]
    # Geometric random walk with mean (1 + drift)^t; monthly steps, known at t = 0.
    log_fx = shocks["fx"] * np.sqrt(1 / 12)
    log_fx[:, :, 0] = 0.0
    np.cumsum(log_fx, axis=2, out=log_fx)
    log_fx *= sig
    log_fx += (np.log1p(la["fx_drift"])[None, :, None] - 0.5 * sig**2) * years
    vcv = model.volume_cv[None, :]
    vf = np.exp(vcv * shocks["volume"][:, None] - 0.5 * vcv**2)
    acv = float(_value(d["aht_cv"]))
    # Business-wide AHT drift plus a smaller location-specific part; total s.d. = aht_cv.
    af = np.exp(acv * (shocks["aht"][:, None] + 0.5 * shocks["aht_loc"]) / np.sqrt(1.25)
                - 0.5 * acv**2)
    cv = float(_value(d["attrition_cv"]))
    attr = la["attrition"][None, :] * np.exp(cv * shocks["attrition"] - 0.5 * cv**2)
    qf, rf = _quality_draws(model, la, shocks)
    return {"vf": vf, "af": af, "attr": attr, "log_w": log_w, "log_rate": log_rate,
            "log_fx": log_fx, "qf": qf, "rf": rf}


# --------------------------------------------------------------------------------------------
# Monthly cost arrays and the cost views
# --------------------------------------------------------------------------------------------

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
    L, F, T = len(model.locations), len(model.columns), model.months
    cost = np.zeros((L, F, len(LINES), T))
    for line_i, k, wname, coef in terms.items:
        cost[:, :, line_i, :] += coef[:, :, None] * (terms.weights[wname] * X[k])[:, None, :]
    return cost, q, la, price


def option_slice(model: SourcingModel, cost: np.ndarray, key: tuple[str, str]) -> np.ndarray:
    """An option's part of an engine array ``[location, column, ...]``: a location x form
    pair's row, or a portfolio's column summed over locations."""
    loc, form = key
    if form == PORTFOLIO:
        return cost[:, model.columns.index(loc)].sum(axis=0)
    return cost[model.locations.index(loc), model.forms.index(form)]


def monthly_costs(model: SourcingModel) -> pd.DataFrame:
    """Tidy monthly cash flows: ``location, form, month, line, cost_eur`` (nominal EUR).

    Portfolios (status quo, partial moves) come last, ``location`` = their name and
    ``form`` = ``PORTFOLIO``.
    """
    cost, *_ = _monthly_array(model)
    months = pd.period_range(model.start, periods=model.months, freq="M").astype(str)
    F = len(model.forms)
    idx = pd.MultiIndex.from_product([model.locations, model.forms, LINES, months],
                                     names=["location", "form", "line", "month"])
    out = pd.DataFrame({"cost_eur": cost[:, :F].reshape(-1)}, index=idx).reset_index()
    out["feasible"] = [model.feasible(loc, f) for loc, f in zip(out["location"], out["form"],
                                                                 strict=True)]
    frames = [out]
    for p in model.portfolios:
        flows = option_slice(model, cost, (p.name, PORTFOLIO))          # (lines, T)
        idx = pd.MultiIndex.from_product([[p.name], [PORTFOLIO], LINES, months],
                                         names=["location", "form", "line", "month"])
        frames.append(pd.DataFrame({"cost_eur": flows.reshape(-1), "feasible": True},
                                   index=idx).reset_index())
    return pd.concat(frames, ignore_index=True)


def monthly_workload(model: SourcingModel) -> pd.DataFrame:
    """The workload every option is costed on, per location and contract month: contacts,
    productive (agent) hours, FTE and seats (quality gaps included), with the volume index.

    Month 1 is the month after the report period: with an interval forecast its FTE at a home
    location is the staffing notebook's figure for that month.
    """
    la = _location_arrays(model, _Tweaks())
    q = _base_quantities(model, la, _Tweaks())
    months = pd.period_range(model.start, periods=model.months, freq="M").astype(str)
    frames = [pd.DataFrame({"location": loc, "month": months,
                            "volume_index": model.volume_index, "contacts": q["contacts"][i],
                            "productive_hours": q["hours"][i], "fte": q["fte"][i],
                            "seats": q["seats"][i]})
              for i, loc in enumerate(model.locations)]
    return pd.concat(frames, ignore_index=True)


def _portfolio_mix(model: SourcingModel, name: str, sel: np.ndarray) -> np.ndarray:
    """A portfolio's mean share of the workload per location over the months ``sel``."""
    p = next(p for p in model.portfolios if p.name == name)
    w = np.zeros(len(model.locations))
    for leg in p.legs:
        w[model.locations.index(leg.location)] += float(np.mean(np.asarray(leg.share)[sel]))
    return w


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
            seats = q["seats"][:, sel].max(axis=1)
            hours = q["hours"][:, sel].sum(axis=1)
            keys = [(k, model.forms.index(k[1]) if k[1] != PORTFOLIO else None)
                    for k in model.option_keys()]
            for (loc, form), fi in keys:
                if fi is None:                      # a portfolio: its legs, share-weighted
                    col = model.columns.index(loc)
                    lines_y = annual[:, col].sum(axis=0)
                    w = _portfolio_mix(model, loc, sel)
                    li_ = None
                    cts, fte_, seats_, hours_ = (float(w @ contacts), float(w @ fte),
                                                 float(w @ seats), float(w @ hours))
                    price_ = np.nan
                    feasible = True
                else:
                    li_ = model.locations.index(loc)
                    lines_y = annual[li_, fi]
                    cts, fte_, seats_, hours_ = (float(contacts[li_]), float(fte[li_]),
                                                 float(seats[li_]), float(hours[li_]))
                    price_ = float(price[li_])
                    feasible = model.feasible(loc, form)
                row = {"location": loc, "form": form, "method": method,
                       "billing_basis": model.billing_basis if method == "rate_card"
                       else "cost_plus",
                       "contract_year": int(y) + 1,
                       "calendar_start": str(model.start + 12 * int(y))}
                row.update(dict(zip(LINES, lines_y, strict=True)))
                total = float(lines_y.sum())
                # Operating cost: run cost without one-offs, provider margin, governance.
                run = total - sum(row[k] for k in (*ONE_OFF_LINES, "provider_margin",
                                                   "governance"))
                row.update(total_eur=total, contacts=cts,
                           cost_per_contact_eur=total / cts if cts else np.nan,
                           labour_share=sum(row[k] for k in LABOUR_LINES) / run if run else np.nan,
                           payroll_share=sum(row[k] for k in PAYROLL_LINES) / run if run else np.nan,
                           fte=fte_, seats=seats_, productive_hours=hours_,
                           price_per_productive_hour_eur=price_,
                           currency="EUR", price_year=model.start_year, feasible=feasible)
                frames.append(row)
    return pd.DataFrame(frames)
