"""Contract simulator: before signing, what would a candidate staffing level and SLA give?

For one site, a year of months is simulated many times:

1. **the year's traffic**: each month's intervals as in the same month of the last year of
   history (calls and handle times), scaled by a monthly volume draw and a handle-time draw
   around 1 (lognormal, coefficients of variation from the forecast's uncertainty:
   ``simulator`` block of the KPI catalogue, or the caller's);
2. **the candidate staffing**: the staffing engine's agents per interval for the history at
   the candidate's planning target (``planning.requirements``, the shared basis and the
   site's patience), times a staffing factor (1.0 = staffed to the requirement);
3. **the month's service**: Erlang A at those agents. Volume and handle time enter as one
   offered-load multiplier; each month's SL, abandonment and ASA are tabulated once on a grid
   of multipliers (a few hundred thousand interval evaluations), and every draw reads its
   month from the grid (``np.interp``) — so 10,000 simulated years take well under a second;
4. **the contract**: each month is judged against the SLA (trigger threshold, tolerance
   bands, allocations, caps, consecutive-target earn-back within the year) to give the
   distribution of credits per year.

The result says how often each SLA would be breached and what it would cost, so targets and
at-risk amounts can be set fair to both sides.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.config import DEFAULT_TIMEZONE
from toolkit.errors import DataError, ParameterError
from toolkit.kpi.definitions import catalogue_settings

#: KPIs the simulator can produce per month, and the Erlang A output each is read from.
SIMULATED = {"SL": "service_level", "ABANDON": "p_abandon", "ASA": "asa_s"}


def simulator_settings(catalogue: dict | None = None) -> dict:
    """The ``simulator`` block of the KPI catalogue (values only), with defaults."""
    return catalogue_settings(catalogue, "simulator", {
        "draws": 10000, "volume_cv": 0.08, "aht_cv": 0.03, "load_grid_low": 0.7,
        "load_grid_high": 1.5, "load_grid_points": 17, "seed": 20261031})


@dataclass
class SimulationResult:
    """Simulated months of one site under a candidate staffing level and SLA.

    ``values[kpi]`` is a ``(draws, 12)`` array of monthly values; ``credits`` a
    ``(draws,)`` array of credits per year (EUR); ``months`` the calendar months simulated;
    ``terms`` the SLA judged; ``settings`` and ``staffing_factor`` the provenance.
    """

    site: str
    months: list[str]
    values: dict[str, np.ndarray]
    credits: np.ndarray
    monthly_invoice_eur: float
    terms: dict
    scheme: dict | None
    staffing_factor: float
    agent_hours: float
    settings: dict = field(default_factory=dict)

    def breach_table(self) -> pd.DataFrame:
        """Per credited or simulated KPI: target, trigger threshold, median and 5-95 %
        monthly values, share of months breached, probability of at least one breach a year
        and the expected number of breached months."""
        rows = []
        for kpi_id, v in self.values.items():
            t = self.terms.get(kpi_id)
            if t is None:
                continue
            miss = _miss(v, t, self.scheme["trigger"] if self.scheme else "below_target")
            rows.append({"kpi": kpi_id, "target": t["target"],
                         "threshold": _threshold(t, self.scheme),
                         "median": float(np.median(v)), "p05": float(np.quantile(v, 0.05)),
                         "p95": float(np.quantile(v, 0.95)),
                         "months_breached_share": float((miss > 0).mean()),
                         "p_breach_in_year": float((miss > 0).any(axis=1).mean()),
                         "breached_months_per_year": float((miss > 0).sum(axis=1).mean())})
        return pd.DataFrame(rows)

    def credit_summary(self) -> dict:
        """Expected credits per year, their 95th percentile, the share of years with any
        credit, and the at-risk amount of a year for scale (EUR)."""
        at_risk = (self.monthly_invoice_eur * self.scheme["at_risk_pct"] * 12
                   if self.scheme else np.nan)
        return {"expected_eur": float(self.credits.mean()),
                "p95_eur": float(np.quantile(self.credits, 0.95)),
                "p_any_credit": float((self.credits > 0).mean()),
                "at_risk_per_year_eur": at_risk,
                "expected_share_of_at_risk": float(self.credits.mean() / at_risk)
                if at_risk and np.isfinite(at_risk) else np.nan}

    def sl_fan(self) -> pd.DataFrame:
        """Monthly SL quantiles (5, 25, 50, 75, 95 %) per simulated month, for the chart."""
        v = self.values["SL"]
        q = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        return pd.DataFrame({"month": self.months, "p05": q[0], "p25": q[1], "median": q[2],
                             "p75": q[3], "p95": q[4]})

    def title(self, locale: str = "en_GB") -> str:
        """The chart's finding, from this result, in ``locale``."""
        from toolkit import present

        table = self.breach_table().set_index("kpi")
        summary = self.credit_summary()
        sl = table.loc["SL"] if "SL" in table.index else None
        staffed = (f"staffed at {present.percent(self.staffing_factor, locale, 0)} of the "
                   "requirement")
        if sl is None:
            return f"{self.site} {staffed}"
        head = (f"{self.site}, {staffed}: service level below its "
                f"{threshold_words(sl['threshold'], sl['target'], locale)} in "
                f"{present.percent(sl['months_breached_share'], locale, 0)} of months; ")
        if not self.sl_credited:
            return head + "service level carries no credit at this site, so it costs nothing"
        return (head + "credits "
                f"{present.money(summary['expected_eur'], locale, decimals=0)} a year expected "
                f"({present.percent(summary['expected_share_of_at_risk'], locale, 0)} of the "
                "amount at risk)")

    @property
    def sl_credited(self) -> bool:
        """Whether the contract credits a service-level miss at this site (hosted seats:
        usually only the platform KPIs are)."""
        return bool(self.scheme) and "SL" in (self.scheme.get("allocations") or {})


def threshold_words(threshold, target, locale: str = "en_GB") -> str:
    """``80% target`` or ``70% contractual minimum``: which of the two a threshold is."""
    from toolkit import present

    kind = "target" if threshold == target else "contractual minimum"
    return f"{present.percent(threshold, locale, 0)} {kind}"


def _threshold(t: dict, scheme: dict | None):
    if scheme and scheme["trigger"] == "below_floor" and t.get("red_floor") is not None:
        return t["red_floor"]
    return t["target"]


def _miss(v: np.ndarray, t: dict, trigger: str) -> np.ndarray:
    """How far each simulated month misses its threshold (> 0: breach), in the KPI's unit."""
    threshold = t["red_floor"] if trigger == "below_floor" else t["target"]
    if threshold is None:
        threshold = t["target"]
    if t["direction"] == "higher":
        return np.round(threshold - v, 12)
    if t["direction"] == "lower":
        return np.round(v - threshold, 12)
    return np.round(np.maximum(threshold[0] - v, v - threshold[1]), 12)


def _met_target(v: np.ndarray, t: dict) -> np.ndarray:
    return _miss(v, {**t, "red_floor": None}, "below_target") <= 0


def simulate_contract(stats: pd.DataFrame, site: str, contract: dict, catalogue: dict,
                      period: str, *, staffing_factor: float = 1.0,
                      staff_to_sl: float | None = None, terms: dict | None = None,
                      scheme: dict | None = None, monthly_invoice_eur: float | None = None,
                      reports: pd.DataFrame | None = None, draws: int | None = None,
                      volume_cv: float | None = None, aht_cv: float | None = None,
                      seed: int | None = None) -> SimulationResult:
    """Simulate a year of months for ``site`` under a candidate staffing level and SLA.

    Parameters
    ----------
    stats : interval statistics (``toolkit.io.read_interval_stats``); the 12 months ending
        with ``period`` of ``site`` shape the simulated year.
    staffing_factor : candidate staffing as a multiple of the engine's requirement.
    staff_to_sl : the SL target the requirement is computed for (default: the contract's).
    terms, scheme : the candidate SLA (KPI terms and credit scheme as ``load_contract``
        normalises them); default: the site's contract.
    monthly_invoice_eur : the invoice a month is judged on (default: the mean of the last 12
        months of ``reports``).
    draws, volume_cv, aht_cv, seed : default from the ``simulator`` block of the catalogue.
    """
    from toolkit import io, planning, staffing
    from toolkit.kpi.audit import site_basis

    cfg = simulator_settings(catalogue)
    draws = int(draws or cfg["draws"])
    volume_cv = float(cfg["volume_cv"] if volume_cv is None else volume_cv)
    aht_cv = float(cfg["aht_cv"] if aht_cv is None else aht_cv)
    if not staffing_factor > 0:
        raise ParameterError("staffing_factor", staffing_factor, "a multiple > 0, e.g. 1.0")
    site_terms = contract["providers"].get(site)
    if site_terms is None and terms is None:
        raise ParameterError("site", site, "a site of the contract: "
                             + ", ".join(contract["providers"]))
    terms = terms or site_terms["kpis"]
    scheme = scheme if scheme is not None else (site_terms or {}).get("credits")
    months = [str(m) for m in planning.workload_months(period, 12)]
    month_of = stats["ds"].dt.tz_convert(DEFAULT_TIMEZONE).dt.strftime("%Y-%m")
    s = stats[(stats["site"] == site).to_numpy() & month_of.isin(months).to_numpy()]
    if s.empty:
        raise DataError(f"no interval statistics for {site} in {months[0]}..{months[-1]}",
                        column="site", expected="12 months of the site's traffic")
    basis = site_basis(contract, catalogue, site, None) if site_terms else planning.load_basis()
    if staff_to_sl is not None:
        basis = dataclasses.replace(basis, sl_target=float(staff_to_sl))
    patience, _ = planning.patience(s, basis, period=period)
    plan = planning.requirements(io.volumes_from_stats(s), basis, patience_s=patience)
    plan = plan[plan["calls"] > 0].reset_index(drop=True)
    agents = np.ceil(np.round(plan["agents"].to_numpy(float) * staffing_factor, 9))
    step_s = planning.interval_minutes(plan) * 60.0
    plan_month = plan["ds"].dt.tz_convert(DEFAULT_TIMEZONE).dt.strftime("%Y-%m").to_numpy()
    month_idx = np.searchsorted(np.array(months), plan_month)

    # Erlang A once per (interval, load multiplier): a month's SL, abandonment, ASA by load.
    grid = np.linspace(cfg["load_grid_low"], cfg["load_grid_high"], int(cfg["load_grid_points"]))
    n_i, n_g = len(plan), len(grid)
    calls = plan["calls"].to_numpy(float)
    out = staffing.erlang_a(np.repeat(calls, n_g) * np.tile(grid, n_i),
                            np.repeat(plan["aht_s"].to_numpy(float), n_g), step_s,
                            np.repeat(agents, n_g), basis.target_s,
                            np.repeat(plan["patience_s"].to_numpy(float), n_g),
                            sl_definition=basis.sl_definition)
    curves = {}
    weight = np.repeat(calls, n_g).reshape(n_i, n_g)
    for kpi_id, column in SIMULATED.items():
        v = out[column].to_numpy().reshape(n_i, n_g)
        w = weight * (1 - out["p_abandon"].to_numpy().reshape(n_i, n_g)) if kpi_id == "ASA" \
            else weight
        num = np.zeros((12, n_g))
        den = np.zeros((12, n_g))
        np.add.at(num, month_idx, v * w)
        np.add.at(den, month_idx, w)
        curves[kpi_id] = num / np.where(den > 0, den, np.nan)

    rng = np.random.default_rng(int(cfg["seed"] if seed is None else seed))
    load = (_lognormal(rng, volume_cv, (draws, 12)) * _lognormal(rng, aht_cv, (draws, 12)))
    load = np.clip(load, grid[0], grid[-1])
    values = {}
    for kpi_id, curve in curves.items():
        v = np.empty((draws, 12))
        for m in range(12):
            v[:, m] = np.interp(load[:, m], grid, curve[m])
        values[kpi_id] = v
    if monthly_invoice_eur is None:
        monthly_invoice_eur = np.nan
        if reports is not None:
            r = reports[(reports["site"].astype(str) == site)
                        & reports["month"].astype(str).isin(months)]
            monthly_invoice_eur = float(pd.to_numeric(r["invoice_eur"]).mean())
    credits = _credits_per_year(values, terms, scheme, monthly_invoice_eur)
    return SimulationResult(site=site, months=months, values=values, credits=credits,
                            monthly_invoice_eur=float(monthly_invoice_eur), terms=terms,
                            scheme=scheme, staffing_factor=float(staffing_factor),
                            agent_hours=float(agents.sum() * step_s / 3600),
                            settings={**cfg, "draws": draws, "volume_cv": volume_cv,
                                      "aht_cv": aht_cv})


def _lognormal(rng, cv: float, size) -> np.ndarray:
    """Multipliers with mean 1 and coefficient of variation ``cv``."""
    if cv <= 0:
        return np.ones(size)
    sigma = np.sqrt(np.log1p(cv * cv))
    return rng.lognormal(-sigma * sigma / 2, sigma, size)


def _credits_per_year(values: dict, terms: dict, scheme: dict | None, invoice: float
                      ) -> np.ndarray:
    """Credits per simulated year under the scheme (vectorised over draws): tolerance bands,
    allocations, per-KPI and monthly caps, consecutive-target or higher-target earn-back
    within the year (a credit whose window runs past the year is counted due), annual cap."""
    from toolkit.kpi.credits import band_share

    draws = next(iter(values.values())).shape[0]
    if scheme is None or not np.isfinite(invoice):
        return np.zeros(draws)
    at_risk = invoice * scheme["at_risk_pct"]
    gross = np.zeros((draws, 12))
    per_kpi = {}
    for kpi_id, alloc in scheme["allocations"].items():
        if kpi_id not in values:
            continue  # not simulated (e.g. FCR): assumed met
        t = terms[kpi_id]
        miss = _miss(values[kpi_id], t, scheme["trigger"])
        share = band_share(miss, t["credit_bands"])
        c = np.minimum(at_risk * alloc * share, at_risk * t["credit_cap_pct"])
        per_kpi[kpi_id] = c
        gross += c
    total_cap = at_risk * scheme["monthly_cap_pct"]
    scale = np.where(gross > total_cap, total_cap / np.where(gross > 0, gross, 1), 1.0)
    due = np.zeros((draws, 12))
    earn = scheme["earn_back"]
    for kpi_id, c in per_kpi.items():
        c = c * scale
        if earn is not None:
            t = terms[kpi_id]
            n = earn["months"]
            waived = np.zeros_like(c, dtype=bool)
            for m in range(12 - n):
                window = values[kpi_id][:, m + 1:m + 1 + n]
                if earn["rule"] == "consecutive_target":
                    waived[:, m] = _met_target(window, t).all(axis=1)
                else:
                    goal = {**t, "target": t["earn_back_target"]}
                    waived[:, m] = _met_target(window.mean(axis=1), goal)
            c = np.where(waived, 0.0, c)
        due += c
    year = due.sum(axis=1)
    if scheme["annual_cap_eur"] is not None:
        year = np.minimum(year, scheme["annual_cap_eur"])
    return year


def simulation_chart(result: SimulationResult, *, ax=None, locale: str = "en_GB"):
    """Monthly SL of the simulated year: median line, 50 % and 90 % bands, the target and the
    trigger threshold, titled with the result's finding."""
    from toolkit import plots

    fan = result.sl_fan()
    ax = plots.new_axes(ax, figsize=(12, 4.2))
    x = np.arange(len(fan))
    plots.band(ax, x, fan["p05"], fan["p95"], alpha=0.15, label="90 % of simulated months")
    plots.band(ax, x, fan["p25"], fan["p75"], alpha=0.3, label="50 % of simulated months")
    ax.plot(x, fan["median"], color=plots.ACTUAL, linewidth=1.4, marker="o", markersize=3,
            label="median")
    t = result.terms.get("SL")
    if t is not None:
        plots.target_line(ax, t["target"], "target")
        plots.label_values(ax, x, fan["median"], ".1%", near=t["target"])
        threshold = _threshold(t, result.scheme)
        if threshold != t["target"]:
            plots.target_line(ax, threshold, "credit threshold", color=plots.RAG["red"])
    ax.set_xticks(x, [f"month {i + 1} (as {plots.month_label(m)})" if i % 3 == 0 else ""
                      for i, m in enumerate(fan["month"])])
    plots.percent_axis(ax, decimals=0)
    plots.finish(ax, result.title(locale), "simulated month (traffic shaped like)",
                 "monthly service level")
    plots.legend_outside(ax, "below", ncols=3)
    plots.headline(ax, result.title(locale))
    return ax


def simulate_candidates(stats: pd.DataFrame, sites, contract: dict, catalogue: dict,
                        period: str, factors=(0.95, 1.0, 1.05), *,
                        reports: pd.DataFrame | None = None, **kwargs
                        ) -> tuple[pd.DataFrame, dict]:
    """``simulate_contract`` for each site and candidate staffing factor: one row per
    (site, factor) — agent hours a year, SL median and 5 % quantile, share of months and
    probability of a year with an SL breach, expected and 95th-percentile credits per year —
    and the results by ``(site, factor)`` (for the chart)."""
    rows, results = [], {}
    for site in sites:
        for factor in factors:
            res = simulate_contract(stats, site, contract, catalogue, period,
                                    staffing_factor=factor, reports=reports, **kwargs)
            results[(site, factor)] = res
            table = res.breach_table().set_index("kpi")
            credit = res.credit_summary()
            sl = table.loc["SL"] if "SL" in table.index else pd.Series(dtype=float)
            rows.append({"site": site, "staffing_factor": factor,
                         "agent_hours_per_year": res.agent_hours,
                         "sl_median": sl.get("median", np.nan), "sl_p05": sl.get("p05", np.nan),
                         "sl_threshold": sl.get("threshold", np.nan),
                         "sl_target": sl.get("target", np.nan),
                         "sl_credited": res.sl_credited,
                         "sl_months_breached": sl.get("months_breached_share", np.nan),
                         "sl_p_breach_in_year": sl.get("p_breach_in_year", np.nan),
                         "expected_credits_eur": credit["expected_eur"],
                         "p95_credits_eur": credit["p95_eur"],
                         "at_risk_per_year_eur": credit["at_risk_per_year_eur"]})
    return pd.DataFrame(rows), results


def volume_cv_from_outlook(outlook, period: str, months: int = 1) -> float:
    """The spread of a month's volume for the simulator, from the forecast's own uncertainty:
    the log-scale s.d. of the outlook's base path (total of all queues) read off its 80 %
    interval (``toolkit.forecast.outlook_volume_path``), for the month after ``period``
    (mean over ``months`` months from there). One month ahead, because a provider staffs each
    month against a forecast made just before it: the outlook's growth uncertainty, which
    widens the band year after year, is a drift of the contract's volume, not the miss of a
    month's forecast. ``outlook`` is the table notebook 10 writes, or its path."""
    from toolkit import forecast, planning
    from toolkit.config import project_path

    frame = outlook if isinstance(outlook, pd.DataFrame) else pd.read_parquet(
        project_path(outlook))
    frame = frame.assign(month=pd.PeriodIndex(frame["month"].astype(str), freq="M"))
    path = forecast.outlook_volume_path(frame, "base")
    first = planning.staffing_month(period)
    ahead = path[(path["month"] >= first) & (path["month"] < first + months)]
    if ahead.empty:
        raise ParameterError("outlook_path", str(outlook) if not isinstance(
            outlook, pd.DataFrame) else "outlook", f"an outlook covering the months after {period}")
    return float(ahead["log_sd"].mean())


def volume_spread(outlook_path, period: str, catalogue: dict,
                  locale: str = "en_GB") -> tuple[float, str]:
    """The simulator's month-to-month volume spread and the sentence that says where it comes
    from: the forecast outlook's own band (``volume_cv_from_outlook``) when ``outlook_path``
    is given and written, else the KPI catalogue's figure — also when the outlook was not
    written for this period (a plan run before the volume forecast), which the sentence says
    instead of failing. Two plans reporting the same month read the same spread as soon as
    the outlook exists."""
    from toolkit import config, present

    if outlook_path and config.project_path(outlook_path).is_file():
        cv = volume_cv_from_outlook(config.project_path(outlook_path), period)
        return cv, (f"Each simulated month's calls vary by about {present.percent(cv, locale)} "
                    "(one standard deviation): how far a month can land from a forecast made "
                    "a month ahead, read off the volume outlook's range for next month. The "
                    "outlook's wider range for later years (growth uncertain year after year) "
                    "is a drift over the contract, not a monthly miss, and is left out here.")
    cv = float(simulator_settings(catalogue)["volume_cv"])
    why = ("the KPI catalogue's figure: no forecast outlook given" if not outlook_path else
           "the KPI catalogue's figure: the volume forecast has not written its outlook "
           "for this month yet")
    return cv, (f"Each simulated month's calls vary by about {present.percent(cv, locale)} "
                f"(one standard deviation; {why}).")
