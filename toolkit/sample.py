"""Seeded, realistic synthetic data for the fictional French energy retailer "Helio Energie".

The toolkit's embedded default: every notebook runs on these files when the user has none.
``generate(out_dir)`` writes ``interval_stats.csv``, ``sites.csv``, ``provider_reports.csv`` and
``platform_reports.csv`` (hosted seats; the SAMPLE DATA CONTRACT, see ``data/raw/README.md``)
and copies
``toolkit/reference/contract_sample.yml`` to ``contract.yml`` when that file exists.

How the numbers are made (each knob is documented in :class:`SampleParameters`):

* calendar: 30-minute intervals Mon-Sat 08:00-20:00 Europe/Paris; Sundays and French public
  holidays (``holidays.France``) closed, so those intervals are simply absent;
* expected calls per interval and queue = level x trend x annual seasonality (winter heating
  peak, August dip) x weekday shape x intraday shape x day-of-month (bill) effect x marketing
  campaigns (sales only), then gamma-Poisson (negative binomial) noise with a day-level shock
  shared by all intervals of a day, so days are over-dispersed as real ones are;
* traffic is split between sites by binomial draws; providers take traffic from 2024-06 on a
  linear ramp, the in-house site keeps part of every queue;
* service: each site has a monthly staffing ratio (staffed / required agents) near 1.01 with a
  few documented under-staffed months; a logistic response curve shaped like Erlang-A results
  (service collapses quickly once staffing falls below need) turns the ratio into the share
  answered within 20 s and the length of the queue; callers have exponential patience with a
  documented mean per site (``patience_s``) and hang up when it runs out first, so bad months
  show low service level, long waits and high abandonment together, and ``abandoned``,
  ``wait_time_s`` and ``abandon_wait_s`` agree with that patience (see ``_service``);
* handle time: lognormal around a queue mean (4-8 min), longer at a newly opened site;
* provider monthly reports: quality KPIs around the FACTS.md section 4 benchmarks with
  documented bad months; ``contacts_handled`` and ``billed_hours`` are computed from the
  interval data, ``invoice_eur`` = billed hours x hourly rate by location.

Output is byte-identical for the same seed and period: ``numpy`` Generators drawn in a fixed
order (demand and handle times, service, provider reports: one stream each, seeded from the
seed), sorted rows, fixed number formatting, ``\\n`` line endings, atomic writes. The small
variant uses the same generator on a shorter period, so it is *not* a slice of the full data.

CLI: ``python -m toolkit.sample --out data/raw [--small] [--seed N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType

import holidays
import numpy as np
import pandas as pd

from toolkit import config
from toolkit.atomic import atomic_path
from toolkit.clock import local_clock
from toolkit.schemas import INTERVAL_MINUTES, QUEUES

DEFAULT_SEED = 20261031


@dataclass(frozen=True)
class Site:
    """One contact-centre site as written to ``sites.csv``."""

    site: str
    site_name: str
    provider: str
    location: str
    engagement_form: str
    timezone: str
    queues: tuple[str, ...]
    opened: str
    """First day the site takes traffic (ISO date)."""
    closed: str = ""
    """Last day of traffic, empty while the site is open."""


SITES: tuple[Site, ...] = (
    Site("INHOUSE-LIL", "Lille (in-house)", "Helio Energie", "FR-REG", "INHOUSE",
         "Europe/Paris", ("sales", "care", "retention"), "2015-03-02"),
    Site("NORDCALL-AMI", "Nordcall Amiens", "Nordcall", "FR-REG", "FULL",
         "Europe/Paris", ("sales", "retention"), "2024-06-03"),
    Site("ATLAS-CAS", "Atlas Relation Client Casablanca", "Atlas Relation Client", "MA", "FULL",
         "Africa/Casablanca", ("sales", "care"), "2024-07-01"),
    Site("ILECONTACT-EBN", "Ile Contact Ebene", "Ile Contact", "MU", "HOSTED",
         "Indian/Mauritius", ("care", "retention"), "2024-09-02"),
)


@dataclass(frozen=True)
class Campaign:
    """A marketing campaign lifting sales calls: ``uplift`` on day one, fading linearly."""

    name: str
    start: str
    days: int
    uplift: float


@dataclass(frozen=True)
class SampleParameters:
    """Every knob of the generator, with its meaning.

    Immutable all the way down: the mappings are read-only views (``MappingProxyType``), so
    ``PARAMETERS.daily_calls["sales"] = 0`` raises instead of changing every later default.
    Change a copy: ``dataclasses.replace(PARAMETERS, daily_calls={...})``.
    """

    full_period: tuple[str, str] = ("2023-01-02", "2026-10-31")
    """First and last day (inclusive) of the full sample."""
    small_period: tuple[str, str] = ("2025-05-01", "2026-10-31")
    """First and last day (inclusive) of the small sample (notebook defaults, tests)."""
    open_hour: int = 8
    """Opening time, local Europe/Paris (first interval starts at 08:00)."""
    close_hour: int = 20
    """Closing time, local (last interval starts at 19:30)."""
    open_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    """Open days, Monday = 0; Sunday closed. French public holidays are closed too."""

    daily_calls: Mapping[str, float] = field(default_factory=lambda: {
        "sales": 1400.0, "care": 3600.0, "retention": 700.0})
    """Average offered calls per open day at 2023-01 level, by queue."""
    annual_trend: Mapping[str, float] = field(default_factory=lambda: {
        "sales": 0.06, "care": 0.03, "retention": 0.05})
    """Compound growth of volume per year (customer base growth), by queue."""
    winter_amplitude: Mapping[str, float] = field(default_factory=lambda: {
        "sales": 0.10, "care": 0.25, "retention": 0.18})
    """Relative swing of the annual cycle, peaking mid-January (heating season bills)."""
    august_dip: float = 0.15
    """Relative drop of every queue in the first three weeks of August (summer holidays)."""
    weekday_shape: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: {
        "sales": (1.00, 1.00, 1.00, 1.05, 1.10, 0.75),
        "care": (1.30, 1.08, 1.00, 0.97, 0.92, 0.55),
        "retention": (1.15, 1.05, 1.00, 1.00, 0.95, 0.50)})
    """Multiplier per weekday Mon..Sat (normalised to mean 1): care is Monday-heavy."""
    intraday_peaks: Mapping[str, tuple[tuple[float, float, float], ...]] = field(
        default_factory=lambda: {
            "sales": ((12.75, 0.9, 1.0), (18.25, 1.0, 1.5)),
            "care": ((10.0, 1.4, 2.2), (14.5, 1.6, 0.8)),
            "retention": ((11.25, 1.3, 1.2), (16.0, 1.8, 1.0))})
    """Intraday shape as Gaussian bumps (centre hour, width h, weight) on a flat floor:
    sales peaks at lunchtime and in the evening, care in the morning, retention late morning."""
    intraday_floor: float = 0.35
    """Flat part of the intraday shape, relative to the bumps (calls outside peaks)."""
    bill_effect: Mapping[str, float] = field(default_factory=lambda: {
        "sales": 0.0, "care": 0.15, "retention": 0.60})
    """Extra volume just after the start-of-month bill run (day 1-2), fading over ~4 days;
    half as large after the mid-month bill run (day 15-16)."""
    campaigns: tuple[Campaign, ...] = (
        Campaign("Offre Hiver 2023 (TV + web)", "2023-10-02", 21, 0.70),
        Campaign("Printemps solaire 2024", "2024-03-11", 14, 0.45),
        Campaign("Rentree 2024 prix fixe", "2024-09-02", 21, 0.55),
        Campaign("Offre Hiver 2025", "2025-01-13", 14, 0.50),
        Campaign("Black Friday 2025", "2025-11-24", 8, 0.90),
        Campaign("Printemps solaire 2026", "2026-03-16", 14, 0.40),
        Campaign("Rentree 2026 prix fixe", "2026-09-07", 21, 0.50),
    )
    """Documented marketing campaigns on the sales queue (lift on day one, fading linearly)."""
    interval_dispersion: float = 25.0
    """Gamma shape k of the interval-level gamma-Poisson noise: variance = mu + mu^2 / k."""
    daily_shock_sd: float = 0.08
    """Log-sd of a day-level multiplier shared by all intervals of a day and queue."""

    provider_ramp_days: int = 84
    """Days for a provider to ramp from zero to its target share after opening."""
    target_share: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: {
        "sales": {"INHOUSE-LIL": 0.30, "NORDCALL-AMI": 0.40, "ATLAS-CAS": 0.30},
        "care": {"INHOUSE-LIL": 0.25, "ATLAS-CAS": 0.45, "ILECONTACT-EBN": 0.30},
        "retention": {"INHOUSE-LIL": 0.50, "NORDCALL-AMI": 0.30, "ILECONTACT-EBN": 0.20}})
    """Share of each queue's traffic per site once every provider has ramped up."""

    aht_s: Mapping[str, float] = field(default_factory=lambda: {
        "sales": 430.0, "care": 330.0, "retention": 400.0})
    """Mean handle time per queue at a mature site, seconds (4-8 minutes)."""
    aht_site_factor: Mapping[str, float] = field(default_factory=lambda: {
        "INHOUSE-LIL": 1.00, "NORDCALL-AMI": 1.03, "ATLAS-CAS": 1.08, "ILECONTACT-EBN": 1.06})
    """Steady-state handle-time factor by site (offshore slightly longer)."""
    new_site_aht_uplift: float = 0.15
    """Extra handle time when a site opens, fading out over ``new_site_learning_days``."""
    new_site_learning_days: int = 120
    """Learning curve length for a new site (FACTS.md 2: ramp 60-90 days + training)."""
    aht_daily_sd: float = 0.05
    """Log-sd of a day-level handle-time multiplier per site and queue."""
    aht_call_cv: float = 0.6
    """Coefficient of variation of one call's handle time (lognormal): noise of interval sums."""

    staffing_ratio_mean: float = 1.01
    """Typical monthly ratio of staffed to required agents per site (about on target)."""
    staffing_ratio_sd: float = 0.025
    """Month-to-month sd of the staffing ratio."""
    understaffed_months: Mapping[str, tuple[tuple[str, float], ...]] = field(
        default_factory=lambda: {
            "INHOUSE-LIL": (("2023-01", 0.90), ("2024-01", 0.91), ("2024-06", 0.89),
                            ("2025-12", 0.92)),
            "NORDCALL-AMI": (("2024-06", 0.88), ("2025-09", 0.90), ("2026-06", 0.91)),
            "ATLAS-CAS": (("2024-07", 0.87), ("2025-12", 0.89), ("2026-01", 0.90)),
            "ILECONTACT-EBN": (("2024-09", 0.88), ("2025-08", 0.89), ("2026-02", 0.91)),
        })
    """Documented under-staffed months (staffing ratio): go-lives, winter peaks, attrition
    waves. These drive service level down and abandonment up in the data."""
    interval_staffing_sd: float = 0.05
    """Log-sd of the interval-level staffing ratio around the monthly value."""
    sl_curve: tuple[float, float] = (0.863, 11.1)
    """Logistic response of service level to the staffing ratio r:
    SL = 1 / (1 + exp(-(r - centre) * slope)); ratio 1.0 -> ~0.82, 0.9 -> ~0.60."""
    patience_s: Mapping[str, float] = field(default_factory=lambda: {
        "INHOUSE-LIL": 420.0, "NORDCALL-AMI": 440.0, "ATLAS-CAS": 470.0,
        "ILECONTACT-EBN": 500.0})
    """TRUE mean caller patience per site, seconds (exponential patience, as Erlang A assumes).
    Every abandon in the data comes from it: a caller hangs up when their patience runs out
    before the wait they would have had (see :func:`_service`), so
    ``abandoned / (wait_time_s + abandon_wait_s)`` estimates 1 / patience without bias
    (``toolkit.staffing.patience_estimates``)."""
    short_abandon_share: float = 0.30
    """Share of abandons within 5 s (short abandons; mostly misdials)."""
    wait_in_sl_mean_s: float = 10.0
    """Mean *virtual* wait (before any hang-up) of callers reached within the 20 s threshold."""
    wait_over_sl_mean_s: float = 45.0
    """Mean virtual wait above 20 s of callers not reached within 20 s, at SL = 100 %, s."""
    wait_over_sl_slope_s: float = 50.0
    """Additional mean virtual late wait per unit of missed SL (1 - SL), seconds."""

    occupancy: Mapping[str, float] = field(default_factory=lambda: {
        "NORDCALL-AMI": 0.84, "ATLAS-CAS": 0.82, "ILECONTACT-EBN": 0.80})
    """Handle time / billed productive time per provider (FACTS.md 4: 0.75-0.85)."""
    hourly_rate_eur: Mapping[str, float] = field(default_factory=lambda: {
        "FR-REG": 27.0, "MA": 17.0, "MU": 15.0})
    """Price per billed productive hour, EUR 2025 excl. VAT, by location. Illustrative
    estimates (flag E) in line with FACTS.md 1.1: FR-REG 22-24 and MA 14-18 EUR per production
    hour in 2004 (D), MA/FR about 0.5-0.6, MU below MA. Raised by ``rate_indexation`` each
    January from 2026."""
    rate_indexation: float = 0.02
    """Yearly price indexation applied from January 2026 (contract clause)."""
    report_period: tuple[str, str] = ("2025-05", "2026-10")
    """Months covered by ``provider_reports.csv`` (inclusive)."""
    provider_kpis: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: {
        "NORDCALL-AMI": {"fcr": 0.72, "csat": 0.82, "nps": 32.0, "qa_score": 0.88,
                         "conversion_rate": 0.13, "retention_save_rate": 0.36,
                         "cross_sell_rate": 0.06, "attrition_rate": 0.32,
                         "absenteeism_rate": 0.06},
        "ATLAS-CAS": {"fcr": 0.68, "csat": 0.79, "nps": 22.0, "qa_score": 0.85,
                      "conversion_rate": 0.10, "retention_save_rate": np.nan,
                      "cross_sell_rate": 0.05, "attrition_rate": 0.45,
                      "absenteeism_rate": 0.07},
        "ILECONTACT-EBN": {"fcr": 0.70, "csat": 0.80, "nps": 25.0, "qa_score": 0.86,
                           "conversion_rate": np.nan, "retention_save_rate": 0.30,
                           "cross_sell_rate": 0.04, "attrition_rate": 0.38,
                           "absenteeism_rate": 0.08}})
    """Steady-state monthly KPI level per provider site (FACTS.md 4 benchmarks); NaN where the
    site does not serve the queue the KPI belongs to (conversion: sales; save rate: retention)."""
    kpi_variation: Mapping[str, tuple[float, float, tuple[float, float]]] = field(
        default_factory=lambda: {
            "fcr": (0.012, -0.05, (0.65, 0.75)),
            "csat": (0.012, -0.08, (0.75, 0.85)),
            "qa_score": (0.012, -0.07, (0.80, 0.92)),
            "conversion_rate": (0.006, -0.03, (0.08, 0.15)),
            "retention_save_rate": (0.015, -0.08, (0.25, 0.40)),
            "cross_sell_rate": (0.004, -0.015, (0.03, 0.08)),
            "attrition_rate": (0.05, 0.15, (0.20, 0.60)),
            "absenteeism_rate": (0.006, 0.025, (0.04, 0.10)),
            "nps": (4.0, -15.0, (10.0, 40.0))})
    """Per KPI: (month-to-month sd, shift in a bad month, normal range). A month's value is
    the site level plus noise, kept inside the normal range (FACTS.md 4 benchmarks), then
    shifted in bad months (attrition and absenteeism stay inside their range even then)."""
    bad_report_months: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {
        "NORDCALL-AMI": ("2025-09", "2026-06"),
        "ATLAS-CAS": ("2025-12", "2026-01"),
        "ILECONTACT-EBN": ("2025-08", "2026-02")})
    """Months with a quality dip (same months as under-staffing: FCR, CSAT, NPS, QA and sales
    KPIs down; attrition and absenteeism up)."""

    report_weights: Mapping[str, float] = field(default_factory=lambda: {
        "productive_hours_per_agent": 120.0, "scheduled_per_billed_hour": 1.15,
        "survey_response_rate": 0.07})
    """Denominators of the reported ratios, derived without random draws: headcount = billed
    hours / productive hours per agent a month; scheduled hours = billed hours x scheduled
    per billed hour (breaks, coaching); survey responses = contacts x response rate."""
    platform_sla: Mapping[str, float] = field(default_factory=lambda: {
        "seats": 45, "open_hours_per_month": 312.0, "seat_availability": 0.997,
        "seat_availability_sd": 0.0015, "minutes_down": 12.0, "incidents": 6.0,
        "fix_hours": 3.0, "seats_requested": 4.0, "late_seat_share": 0.05})
    """Hosted-seat platform (``platform_reports.csv``, HOSTED sites only): contracted seats,
    open hours a month (26 days x 12 h), usable share of seat-hours (mean, sd), outage
    minutes, incidents and mean fix hours, seat requests and the share ready late (means of
    a typical month; illustrative, flag E)."""
    platform_bad_months: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {
        "ILECONTACT-EBN": ("2026-04",)})
    """Months with a platform failure (a long outage, seats down, slow incident fixes)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _frozen(getattr(self, f.name)))


def _frozen(value):
    """A read-only copy: mappings become ``MappingProxyType``, lists tuples, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return tuple(_frozen(v) for v in value)
    return value


PARAMETERS = SampleParameters()


# --------------------------------------------------------------------------- calendar
def open_intervals(start: str, end: str, params: SampleParameters = PARAMETERS) -> pd.DatetimeIndex:
    """Interval starts (tz-aware Europe/Paris) of every open interval between two dates.

    Opening hours never straddle the 02:00-03:00 DST change, so local wall times map to one
    instant each.
    """
    days = pd.date_range(start, end, freq="D")
    closed = holidays.France(years=range(days[0].year, days[-1].year + 1))
    is_open = days.day_of_week.isin(params.open_weekdays) & ~days.normalize().isin(
        pd.DatetimeIndex(list(closed.keys())))
    days = days[is_open]
    slots = pd.timedelta_range(start=f"{params.open_hour}h",
                               end=f"{params.close_hour}h", freq=f"{INTERVAL_MINUTES}min",
                               closed="left")
    local = (days.values[:, None] + slots.values[None, :]).ravel()
    return pd.DatetimeIndex(local).tz_localize(config.DEFAULT_TIMEZONE).as_unit("s")


# --------------------------------------------------------------------------- demand
def _intraday(params: SampleParameters, queue: str, hour: np.ndarray) -> np.ndarray:
    """Intraday shape at interval-centre hours, normalised to mean 1 over the open day."""
    shape = np.full_like(hour, params.intraday_floor, dtype=float)
    for centre, width, weight in params.intraday_peaks[queue]:
        shape += weight * np.exp(-0.5 * ((hour - centre) / width) ** 2)
    return shape


def _campaign_lift(params: SampleParameters, day: pd.DatetimeIndex) -> np.ndarray:
    lift = np.ones(len(day))
    for c in params.campaigns:
        age = (day - pd.Timestamp(c.start)).days.to_numpy()
        active = (age >= 0) & (age < c.days)
        lift += np.where(active, c.uplift * (1 - age / c.days), 0.0)
    return lift


def _expected_calls(params: SampleParameters, queue: str, ds: pd.DatetimeIndex) -> np.ndarray:
    """Expected offered calls per interval for one queue (before noise)."""
    local = local_clock(ds)
    day = local.normalize()
    years = (day - pd.Timestamp("2023-01-01")).days.to_numpy() / 365.25
    doy = day.day_of_year.to_numpy()
    dom = day.day.to_numpy()
    hour = local.hour.to_numpy() + local.minute.to_numpy() / 60 + INTERVAL_MINUTES / 120

    slots_per_day = (params.close_hour - params.open_hour) * 60 // INTERVAL_MINUTES
    grid = params.open_hour + (np.arange(slots_per_day) + 0.5) * INTERVAL_MINUTES / 60
    intraday = _intraday(params, queue, hour) / _intraday(params, queue, grid).mean()
    weekday = np.asarray(params.weekday_shape[queue])
    weekday = weekday / weekday.mean()
    seasonal = 1 + params.winter_amplitude[queue] * np.cos(2 * np.pi * (doy - 15) / 365.25)
    seasonal *= np.where((local.month == 8) & (dom <= 21), 1 - params.august_dip, 1.0)
    bill = params.bill_effect[queue]
    bill_lift = (1 + bill * np.exp(-np.clip(dom - 2, 0, None) / 2.0) * (dom >= 1)
                 + 0.5 * bill * np.exp(-np.abs(dom - 15.5) / 1.5))
    trend = (1 + params.annual_trend[queue]) ** years
    lift = _campaign_lift(params, day) if queue == "sales" else 1.0
    return (params.daily_calls[queue] / slots_per_day * trend * seasonal
            * weekday[local.day_of_week.to_numpy()] * intraday * bill_lift * lift)


# --------------------------------------------------------------------------- sites
def _site_shares(params: SampleParameters, queue: str, day: pd.DatetimeIndex
                 ) -> dict[str, np.ndarray]:
    """Share of the queue's traffic per site per day: providers ramp up after opening and the
    in-house site keeps the rest."""
    shares: dict[str, np.ndarray] = {}
    for site in SITES:
        if site.engagement_form == "INHOUSE" or queue not in site.queues:
            continue
        age = (day - pd.Timestamp(site.opened)).days.to_numpy()
        ramp = np.clip((age + 1) / params.provider_ramp_days, 0.0, 1.0) * (age >= 0)
        shares[site.site] = params.target_share[queue][site.site] * ramp
    inhouse = 1.0 - sum(shares.values()) if shares else np.ones(len(day))
    return {"INHOUSE-LIL": np.broadcast_to(inhouse, (len(day),))} | shares


def _monthly_staffing(params: SampleParameters, rng: np.random.Generator,
                      months: pd.PeriodIndex) -> dict[str, np.ndarray]:
    ratio = {}
    for site in SITES:
        r = rng.normal(params.staffing_ratio_mean, params.staffing_ratio_sd, len(months))
        for month, value in params.understaffed_months.get(site.site, ()):
            r = np.where(months == pd.Period(month, "M"), value, r)
        ratio[site.site] = r
    return ratio


# --------------------------------------------------------------------------- generation
def generate_interval_stats(start: str, end: str, *, seed: int = DEFAULT_SEED,
                            params: SampleParameters = PARAMETERS) -> pd.DataFrame:
    """Interval statistics for every open interval, queue and active site between two dates.

    Returns the columns of ``interval_stats.csv`` with a tz-aware ``ds``; rows sorted by
    ``ds, queue, site``. Active site = opened and serving the queue (zero-traffic intervals of
    an active site are kept, so a missing row always means missing data).
    """
    rng = np.random.default_rng(seed)
    # Service (staffing noise, abandons, service level, waits) has its own stream, so tuning
    # the service model never moves the demand or handle-time draws.
    service_rng = np.random.default_rng([seed, 2])
    ds = open_intervals(start, end, params)
    local_day = local_clock(ds).normalize()
    day_codes, unique_days = pd.factorize(local_day)
    months = pd.PeriodIndex(unique_days, freq="M")
    month_codes, unique_months = pd.factorize(months)
    staffing = _monthly_staffing(params, rng, unique_months)

    frames = []
    for queue in QUEUES:
        mu = _expected_calls(params, queue, ds)
        daily_shock = rng.lognormal(-0.5 * params.daily_shock_sd ** 2, params.daily_shock_sd,
                                    len(unique_days))[day_codes]
        k = params.interval_dispersion
        total = rng.poisson(rng.gamma(k, mu * daily_shock / k))
        shares = _site_shares(params, queue, unique_days)
        remaining, remaining_share = total, np.ones(len(ds))
        for site in SITES:
            if site.site not in shares:
                continue
            share = shares[site.site][day_codes]
            # Sequential binomial split = multinomial split of the interval's calls.
            p = np.divide(share, remaining_share, out=np.zeros_like(share),
                          where=remaining_share > 1e-12)
            offered = rng.binomial(remaining, np.clip(p, 0.0, 1.0))
            remaining, remaining_share = remaining - offered, remaining_share - share
            active = share > 0
            frames.append(_service(params, rng, service_rng, queue, site, ds[active],
                                   offered[active], unique_days, day_codes[active],
                                   staffing[site.site][month_codes[day_codes[active]]]))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["ds", "queue", "site"], kind="stable").reset_index(drop=True)


def _service(params: SampleParameters, rng: np.random.Generator,
             service_rng: np.random.Generator, queue: str, site: Site,
             ds: pd.DatetimeIndex, offered: np.ndarray, unique_days: pd.DatetimeIndex,
             day_codes: np.ndarray, month_ratio: np.ndarray) -> pd.DataFrame:
    """Answer, abandon, wait and handle the offered calls of one site and queue.

    Queueing model (an approximation of M/M/n+M, in closed form per interval): each caller has
    a virtual wait V, Exp(``wait_in_sl_mean_s``) when an agent frees up within 20 s and
    20 s + Exp(late mean) otherwise, and an exponential patience with the site's mean
    ``patience_s``; whoever's patience runs out first abandons. Answer and abandon
    probabilities, the answered waits and the expected abandon wait are exact for this model
    (``E[min(patience, V)] = P(abandon) * patience_s``); the approximations are that V does
    not react to the abandons (no feedback on the queue), that "reached within 20 s" stands for
    "answered within 20 s", and that an interval's waits are summed as Gamma draws (right
    mean, exponential spread). Short abandons stay a fixed share of abandons.
    """
    n = len(ds)
    ratio = month_ratio * service_rng.lognormal(0.0, params.interval_staffing_sd, n)
    centre, slope = params.sl_curve
    sl = 1.0 / (1.0 + np.exp(-(ratio - centre) * slope))
    # Virtual wait V (what a caller would wait with infinite patience): with probability pi
    # an agent is free within the threshold, V ~ Exp(m); otherwise V = 20 s + Exp(late_mean).
    # Patience tau ~ Exp(mean patience_s); the caller is answered iff tau >= V, else abandons
    # after tau. Each branch's answer probability is E[exp(-theta V)] in closed form.
    theta = 1.0 / params.patience_s[site.site]
    m = params.wait_in_sl_mean_s
    late_mean = params.wait_over_sl_mean_s + params.wait_over_sl_slope_s * (1 - sl)
    keep_fast = 1.0 / (1.0 + m * theta)
    keep_late = np.exp(-20.0 * theta) / (1.0 + late_mean * theta)
    # pi is set so that the share answered within 20 s of offered is the curve's SL.
    pi = np.clip(sl / keep_fast, 0.0, 1.0)
    p_fast, p_late = pi * keep_fast, (1.0 - pi) * keep_late
    p_abandon = 1.0 - p_fast - p_late
    abandoned = service_rng.binomial(offered, p_abandon)
    answered = offered - abandoned
    short = service_rng.binomial(abandoned, params.short_abandon_share)
    in_sl = service_rng.binomial(answered, np.clip(p_fast / (1 - p_abandon), 0.0, 1.0))
    late = answered - in_sl
    # An answered caller's wait is V given tau >= V: Exp(m) tilted by exp(-theta v) is
    # Exp(m / (1 + m theta)), likewise the late excess. Sum of n such waits = Gamma(n, mean).
    fast_wait, late_wait = m * keep_fast, late_mean / (1.0 + late_mean * theta)
    wait = (service_rng.gamma(in_sl, fast_wait) + 20.0 * late
            + service_rng.gamma(late, late_wait))
    # Abandoned callers wait tau given tau < V. Exponential patience gives, per offered call,
    # E[min(tau, V)] = P(abandon) / theta, so the expected wait per abandon is exact:
    ans_wait = p_fast * fast_wait + p_late * (20.0 + late_wait)
    abandon_mean = np.maximum(p_abandon / theta - ans_wait, 0.0) / np.maximum(p_abandon, 1e-12)
    # Their sum is drawn as Gamma(abandoned, mean) (approximation: the right mean, the spread
    # of exponential waits).
    abandon_wait = service_rng.gamma(abandoned, abandon_mean)

    age = (unique_days - pd.Timestamp(site.opened)).days.to_numpy()[day_codes]
    learning = 1 + params.new_site_aht_uplift * np.clip(
        1 - age / params.new_site_learning_days, 0.0, 1.0)
    day_noise = rng.lognormal(0.0, params.aht_daily_sd, len(unique_days))[day_codes]
    aht = params.aht_s[queue] * params.aht_site_factor[site.site] * learning * day_noise
    # Mean of `answered` lognormal call durations: its log-sd shrinks like 1/sqrt(answered).
    sigma = np.sqrt(np.log1p(params.aht_call_cv ** 2 / np.maximum(answered, 1)))
    handle = answered * aht * rng.lognormal(-0.5 * sigma ** 2, sigma)
    return pd.DataFrame({
        "ds": ds, "queue": queue, "site": site.site, "offered": offered,
        "answered": answered, "abandoned": abandoned, "short_abandoned": short,
        "answered_in_sl": in_sl, "handle_time_s": np.rint(handle).astype(np.int64),
        "wait_time_s": np.rint(wait).astype(np.int64),
        "abandon_wait_s": np.rint(abandon_wait).astype(np.int64)})


def sites_table() -> pd.DataFrame:
    """The ``sites.csv`` table."""
    rows = [{"site": s.site, "site_name": s.site_name, "provider": s.provider,
             "location": s.location, "engagement_form": s.engagement_form,
             "timezone": s.timezone, "queues": ";".join(s.queues), "opened": s.opened,
             "closed": s.closed} for s in SITES]
    return pd.DataFrame(rows).sort_values("site").reset_index(drop=True)


def provider_reports(stats: pd.DataFrame, *, seed: int = DEFAULT_SEED,
                     params: SampleParameters = PARAMETERS) -> pd.DataFrame:
    """Monthly provider reports consistent with the interval data.

    ``contacts_handled`` = answered calls of the month; ``billed_hours`` = handle hours /
    occupancy (productive hours billed); ``invoice_eur`` = billed hours x location rate.
    """
    # A separate stream so the reports do not shift the interval draws (and vice versa).
    rng = np.random.default_rng([seed, 1])
    first, last = (pd.Period(m, "M") for m in params.report_period)
    month = local_clock(stats["ds"]).dt.to_period("M")
    monthly = (stats.assign(month=month)
               .groupby(["month", "site"], observed=True)[["answered", "handle_time_s"]].sum())
    rows = []
    months = pd.period_range(first, last, freq="M")
    for site in SITES:
        if site.engagement_form == "INHOUSE":
            continue
        base = params.provider_kpis[site.site]
        bad = np.isin(months.astype(str), params.bad_report_months.get(site.site, ()))
        frame = {"month": months.astype(str), "site": site.site, "provider": site.provider}
        for kpi, (sd, shift, (lo, hi)) in params.kpi_variation.items():
            value = np.clip(base[kpi] + rng.normal(0.0, sd, len(months)), lo, hi) + shift * bad
            if kpi in ("attrition_rate", "absenteeism_rate"):
                value = np.clip(value, lo, hi)
            frame[kpi] = (np.clip(np.rint(value), -100, 100) if kpi == "nps"
                          else np.clip(value, 0.0, 1.0))
        key = pd.MultiIndex.from_arrays([months, np.full(len(months), site.site)])
        agg = monthly.reindex(key, fill_value=0)
        handled = agg["answered"].to_numpy()
        hours = agg["handle_time_s"].to_numpy() / 3600 / params.occupancy[site.site]
        years_after_2025 = np.maximum(months.year.to_numpy() - 2025, 0)
        rate = params.hourly_rate_eur[site.location] * (1 + params.rate_indexation) ** (
            years_after_2025)
        frame["billed_hours"] = np.round(hours, 1)
        frame["invoice_eur"] = np.round(np.round(hours, 1) * rate, 2)
        frame["contacts_handled"] = handled
        w = params.report_weights
        frame["headcount"] = np.rint(np.round(hours, 1) / w["productive_hours_per_agent"])
        frame["scheduled_hours"] = np.round(np.round(hours, 1) * w["scheduled_per_billed_hour"], 1)
        frame["survey_responses"] = np.rint(handled * w["survey_response_rate"])
        rows.append(pd.DataFrame(frame))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["month", "site"], kind="stable").reset_index(drop=True)


def platform_reports(reports: pd.DataFrame, *, seed: int = DEFAULT_SEED,
                     params: SampleParameters = PARAMETERS) -> pd.DataFrame:
    """Monthly platform reports of the hosted-seats sites (``toolkit.kpi.definitions``), over the
    months of the provider reports; their own random stream, so no other file moves."""
    rng = np.random.default_rng([seed, 2])
    p = params.platform_sla
    rows = []
    for site in SITES:
        if site.engagement_form != "HOSTED":
            continue
        months = sorted(reports.loc[reports["site"] == site.site, "month"].astype(str))
        bad = np.isin(months, params.platform_bad_months.get(site.site, ()))
        n = len(months)
        contracted = np.full(n, p["seats"] * p["open_hours_per_month"])
        share = np.clip(rng.normal(p["seat_availability"], p["seat_availability_sd"], n)
                        - 0.02 * bad, 0.0, 1.0)
        scheduled = np.full(n, p["open_hours_per_month"] * 60.0)
        down = np.minimum(rng.poisson(p["minutes_down"], n) + 600.0 * bad, scheduled)
        incidents = rng.poisson(p["incidents"], n) + 4 * bad
        fix = np.round(incidents * rng.gamma(4.0, p["fix_hours"] / 4.0, n) * (1 + 2.0 * bad), 1)
        requested = rng.poisson(p["seats_requested"], n) + 1
        late = np.minimum(rng.binomial(requested, p["late_seat_share"]) + 2 * bad, requested)
        rows.append(pd.DataFrame({
            "month": months, "site": site.site, "seat_hours_contracted": contracted,
            "seat_hours_available": np.round(contracted * share, 1),
            "platform_minutes_scheduled": scheduled, "platform_minutes_down": down,
            "incidents": incidents, "incident_fix_hours": fix, "seats_requested": requested,
            "seats_ready_on_time": requested - late}))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["month", "site"], kind="stable").reset_index(drop=True)


def _format_platform(platform: pd.DataFrame) -> pd.DataFrame:
    out = platform.copy()
    for col in ("seat_hours_contracted", "seat_hours_available", "platform_minutes_scheduled",
                "platform_minutes_down", "incident_fix_hours"):
        out[col] = [f"{v:.1f}" for v in out[col]]
    for col in ("incidents", "seats_requested", "seats_ready_on_time"):
        out[col] = [f"{int(v)}" for v in out[col]]
    return out


# --------------------------------------------------------------------------- writing
def format_ds(ds: pd.Series) -> pd.Series:
    """ISO 8601 with the UTC offset as ``+HH:MM`` (e.g. ``2026-10-30T08:00:00+01:00``)."""
    local = local_clock(ds)
    offset_min = ((local - ds.dt.tz_convert("UTC").dt.tz_localize(None))
                  .dt.total_seconds().astype(int) // 60)
    sign = np.where(offset_min >= 0, "+", "-")
    hh, mm = np.abs(offset_min) // 60, np.abs(offset_min) % 60
    text = pd.Series(sign, index=ds.index) + pd.Series(hh, index=ds.index).map("{:02d}".format) \
        + ":" + pd.Series(mm, index=ds.index).map("{:02d}".format)
    return local.dt.strftime("%Y-%m-%dT%H:%M:%S") + text


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write atomically (``toolkit.atomic``), ``\n`` line endings on every platform."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")


def _format_reports(reports: pd.DataFrame) -> pd.DataFrame:
    """Fixed text formatting so the file is byte-identical across platforms."""
    out = reports.copy()
    for col in ("fcr", "csat", "qa_score", "conversion_rate", "retention_save_rate",
                "cross_sell_rate", "attrition_rate", "absenteeism_rate"):
        out[col] = [("" if np.isnan(v) else f"{v:.4f}") for v in out[col]]
    out["nps"] = [f"{v:.0f}" for v in out["nps"]]
    out["billed_hours"] = [f"{v:.1f}" for v in out["billed_hours"]]
    out["invoice_eur"] = [f"{v:.2f}" for v in out["invoice_eur"]]
    out["headcount"] = [f"{v:.0f}" for v in out["headcount"]]
    out["scheduled_hours"] = [f"{v:.1f}" for v in out["scheduled_hours"]]
    out["survey_responses"] = [f"{v:.0f}" for v in out["survey_responses"]]
    return out


def generate(out_dir: str | os.PathLike, *, seed: int = DEFAULT_SEED, small: bool = False,
             params: SampleParameters = PARAMETERS) -> dict[str, Path]:
    """Write the sample files to ``out_dir`` and return their paths by name.

    Parameters
    ----------
    out_dir : folder to write into (created if missing; relative paths from the project root).
    seed : random seed; the same seed and variant give byte-identical files.
    small : the short period (``params.small_period``) instead of the full one.
    """
    out = config.project_path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start, end = params.small_period if small else params.full_period
    stats = generate_interval_stats(start, end, seed=seed, params=params)
    reports = provider_reports(stats, seed=seed, params=params)

    paths = {"interval_stats": out / "interval_stats.csv", "sites": out / "sites.csv",
             "provider_reports": out / "provider_reports.csv"}
    _write_csv(stats.assign(ds=format_ds(stats["ds"])), paths["interval_stats"])
    _write_csv(sites_table(), paths["sites"])
    _write_csv(_format_reports(reports), paths["provider_reports"])
    paths["platform_reports"] = out / "platform_reports.csv"
    _write_csv(_format_platform(platform_reports(reports, seed=seed, params=params)),
               paths["platform_reports"])
    contract = config.REFERENCE / "contract_sample.yml"
    if contract.exists():
        target = out / "contract.yml"
        with atomic_path(target) as tmp:
            shutil.copyfile(contract, tmp)
        paths["contract"] = target
    return paths


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: ``python -m toolkit.sample --out data/raw [--small] [--seed N]``."""
    parser = argparse.ArgumentParser(prog="python -m toolkit.sample",
                                     description="Write the Helio Energie sample data.")
    parser.add_argument("--out", default=str(config.DATA_RAW),
                        help="output folder (default: data/raw)")
    parser.add_argument("--small", action="store_true",
                        help=f"short period {PARAMETERS.small_period[0]}..{PARAMETERS.small_period[1]}")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = generate(args.out, seed=args.seed, small=args.small)
    elapsed = time.perf_counter() - started
    for name, path in paths.items():
        print(f"{name:17s} {path} ({path.stat().st_size / 1e6:.2f} MB)")
    print(f"generated in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
