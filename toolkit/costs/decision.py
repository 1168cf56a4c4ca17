"""Which option, and what would change the choice?

Risk criteria per option, the weighted decision matrix and how robust its top rank is, the
written recommendation, what would reverse it (drivers, cost weight), the quality-gap
scenario, and the tidy output table.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from toolkit.config import project_path
from toolkit.costs.finance import tco
from toolkit.costs.model import SourcingModel
from toolkit.costs.portfolio import PORTFOLIO
from toolkit.costs.reference import _check_choice, _value, load_reference
from toolkit.costs.uncertainty import tornado
from toolkit.errors import ParameterError

CRITERIA = ("cost", "data_transfer", "labour_law", "language_fit", "timezone_overlap",
            "attrition", "social_acceptance")


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_OPENING = re.compile(r"^\s*(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))?\s+)?"
                      r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})(?:\s+(\S+))?\s*$")


def _parse_hours(text: str, parameter: str = "opening_hours") -> tuple[tuple[int, ...], int, int, str | None]:
    """``"Mon-Sat 08:00-20:00 Europe/Paris"`` -> (weekdays, open minute, close minute, zone).

    Days and zone are optional (``"07:00-21:00"``: every day, no zone).
    """
    m = _OPENING.match(str(text))
    if not m:
        raise ParameterError(parameter, text, "days, hours and time zone such as "
                             "'Mon-Sat 08:00-20:00 Europe/Paris' (or hours only, '07:00-21:00')")
    first, last, h0, m0, h1, m1, zone = m.groups()
    a, b = _DAYS.index(first or "Mon"), _DAYS.index(last or first or "Sun")
    days = tuple(range(a, b + 1)) if a <= b else (*range(a, 7), *range(0, b + 1))
    start, end = int(h0) * 60 + int(m0), int(h1) * 60 + int(m1)
    if not 0 <= start < end <= 24 * 60:
        raise ParameterError(parameter, text, "an opening time before the closing time, 00:00-24:00")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (KeyError, ValueError) as exc:
            raise ParameterError(parameter, text, "an IANA time zone such as Europe/Paris") from exc
    return days, start, end, zone


def timezone_overlap(tz: str, *, opening_hours: str | None = None,
                     working_day: str | None = None, year: int = 2026,
                     ref: Mapping | None = None) -> float:
    """Share of the service's opening hours falling inside the location's working day.

    ``opening_hours`` (``"Mon-Sat 08:00-20:00 Europe/Paris"``) and ``working_day`` (local
    hours staffed without night work, ``"07:00-21:00"``) default to the reference's
    ``opening_hours`` and ``risk_scales.working_day`` (``cost_defaults.yaml``; ``ref`` is a
    loaded reference, else the shipped one). Averaged over a January and a July week of
    ``year`` so daylight-saving differences count.
    """
    if opening_hours is None or working_day is None:
        d = (ref if ref is not None else load_reference())["defaults"]
        opening_hours = opening_hours if opening_hours is not None else _value(d["opening_hours"])
        working_day = (working_day if working_day is not None
                       else _value(d["risk_scales"]["working_day"]))
    days, open_min, close_min, site_tz = _parse_hours(opening_hours)
    _, day_start, day_end, _ = _parse_hours(working_day, "working_day")
    src, dst = ZoneInfo(site_tz or "UTC"), ZoneInfo(tz)
    inside = total = 0
    for month in (1, 7):
        day = datetime(year, month, 5, tzinfo=src)
        for offset in range(7):
            dt = day + timedelta(days=offset)
            if dt.weekday() not in days:
                continue
            for minute in range(open_min, close_min, 30):
                t = dt.replace(hour=minute // 60, minute=minute % 60).astimezone(dst)
                inside += day_start <= t.hour * 60 + t.minute < day_end
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
    """Qualitative criteria per feasible option, each scored 0-1 (1 = no concern).

    A portfolio scores the share-weighted mean of its legs over the contract.
    """
    table = _pair_risk_scores(model)
    rows = [table]
    keyed = table.set_index(["location", "form"])
    crit = [c for c in table.columns if c not in ("location", "form")]
    for p in model.portfolios:
        w = {}
        for leg in p.legs:
            key = (leg.location, leg.form)
            w[key] = w.get(key, 0.0) + float(np.mean(leg.share))
        total = sum(w.values())
        mix = sum(keyed.loc[k, crit] * v for k, v in w.items() if k in keyed.index) / total
        rows.append(pd.DataFrame([{"location": p.name, "form": PORTFOLIO, **mix.to_dict()}]))
    return pd.concat(rows, ignore_index=True)


def _pair_risk_scores(model: SourcingModel) -> pd.DataFrame:
    """Each criterion on its reference scale (``defaults.risk_scales``, ``opening_hours``)."""
    ref, rows = model.ref, []
    scales = ref["defaults"]["risk_scales"]

    def scale(criterion: str, level: str) -> float:
        return float(_value(scales[criterion][level]))

    attrition_zero = float(_value(scales["attrition_at_zero"]))
    overlap = {}
    for loc, form in model.options:
        if not model.feasible(loc, form):
            continue
        L, F = ref["locations"][loc], ref["forms"][form]
        status = _value(L["eu_data_transfer"])
        on_client_infra_home = (F["infrastructure"] == "client"
                                and L["country"] == _value(ref["defaults"]["home_country"]))
        transfer = scale("data_transfer", "eu_member" if status == "eu_member"
                         or on_client_infra_home else status if status == "adequacy" else "other")
        langs = L["languages"]
        lang = scale("language_fit", "first_language" if langs and langs[0] == model.language_market
                     else "spoken" if model.language_market in langs else "other")
        rows.append({"location": loc, "form": form, "data_transfer": transfer,
                     "labour_law": float(F.get("labour_law_score_abroad", F["labour_law_score"])
                                         if L["country"] != _value(ref["defaults"]["home_country"])
                                         else F["labour_law_score"]),
                     "language_fit": lang,
                     "timezone_overlap": overlap.setdefault(L["timezone"], timezone_overlap(
                         L["timezone"], year=model.start_year, ref=ref)),
                     "attrition": 1 - min(float(_value(L["attrition"])) / attrition_zero, 1.0),
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


# --------------------------------------------------------------------------------------------
# Recommendation and what would change it
# --------------------------------------------------------------------------------------------

def recommendation(model: SourcingModel, tco_table: pd.DataFrame, mc: pd.DataFrame,
                   decision: pd.DataFrame, robustness: dict,
                   checks: pd.DataFrame | None = None,
                   margins: pd.DataFrame | None = None) -> str:
    """The board-paper recommendation, written from the results (markdown).

    With ``checks`` (``benchmark_checks``), says how many published ratios the model
    reproduces and warns when the recommended location's cost sits outside them.
    """
    top = decision.iloc[0]
    loc, form = top["location"], top["form"]
    label = _option_name(model, loc, form)
    t = tco_table.set_index(["location", "form"]).loc[(loc, form)]
    m = mc.set_index(["location", "form"]).loc[(loc, form)]
    bl = tuple(model.comparison)
    years = model.months // 12
    runner = decision.iloc[1] if len(decision) > 1 else None
    base_p50 = mc.set_index(["location", "form"]).loc[bl, "npv_p50_eur"]
    against = "the status quo" if model.status_quo is not None else "in-house"
    one_offs = _one_off_text(model, t)
    sims = (f"{int(m['n_draws']):,} simulations of the uncertain drivers"
            + (" (correlated as the reference states)" if bool(m.get("correlated", False))
               else ""))

    def meur(x):
        return f"{x / 1e6:,.1f} M EUR"

    inhouse = ""
    if model.status_quo is not None and (loc, form) != tuple(model.baseline):
        inhouse = (f" Against running everything in-house ({meur(t['inhouse_npv_eur'])}) it "
                   f"{'saves' if t['saving_vs_inhouse_pct'] >= 0 else 'costs'} "
                   f"{abs(t['saving_vs_inhouse_pct']):.0%}"
                   f"{'' if t['saving_vs_inhouse_pct'] >= 0 else ' more'}.")
    if (loc, form) == bl:
        headline = (f"**Recommendation: keep {against} ({label}).** No option beats it on "
                    f"the weighted criteria.{inhouse}")
    elif t["saving_pct"] < 0:
        headline = (f"**Recommendation: {label}.** It costs "
                    f"{-t['saving_pct']:.0%} more than {against} over {years} years "
                    f"({meur(t['npv_eur'])} against {meur(t['baseline_npv_eur'])} in present "
                    f"value{one_offs}; cheaper in {m['prob_beats_baseline']:.0%} of "
                    f"{sims}) but scores best once risks are "
                    f"weighed.{inhouse}")
    else:
        headline = (f"**Recommendation: {label}.** "
                    f"Over {years} years it costs {meur(t['npv_eur'])} in present value at "
                    f"the reference figures{one_offs}, against {meur(t['baseline_npv_eur'])} "
                    f"for {against}: a saving of {t['saving_pct']:.0%}.{inhouse} Over "
                    f"{sims} its median is "
                    f"{meur(m['npv_p50_eur'])} (P10-P90 {meur(m['npv_p10_eur'])} - "
                    f"{meur(m['npv_p90_eur'])}) against a median of {meur(base_p50)} for "
                    f"{against}, and it beats {against} in {m['prob_beats_baseline']:.0%} of them.")
    leaving = _leaving_text(model, loc, form)
    be = t["break_even_month"]
    lines = [headline,
             f"- Break-even against {against}: "
             + (f"month {int(be)}." if np.isfinite(be) else "not within the contract."),
             f"- Weighted score {top['score']:.2f}; the top rank holds in "
             f"{robustness['keeps_top']:.0%} of random re-weightings of the criteria."]
    if leaving:
        lines.insert(1, leaving)
    if runner is not None:
        key = (runner["location"], runner["form"])
        p = mc.set_index(["location", "form"]).loc[key, "prob_beats_baseline"]
        beats = ("" if key == bl else
                 f"; cheaper than {against} in {p:.0%} of the simulations")
        lines.append(f"- Runner-up: {runner['location']} / {runner['form']} "
                     f"(score {runner['score']:.2f}{beats}).")
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
    if margins is not None and len(margins):
        from toolkit.costs.checks import negative_margin_text
        own = negative_margin_text(margins, (loc, form))
        if own:
            lines.append(f"- Caution: {own}")
        others = negative_margin_text(margins[(margins["location"] != loc)
                                              | (margins["form"] != form)])
        n = margins[margins["flag"] == "negative"].groupby(["location", "form"]).ngroups
        if others:
            lines.append(f"- Negative provider margins in {n} option(s) under the rate card "
                         f"(shown below zero in the yearly cost chart): "
                         + ", ".join(sorted({f"{r.location} / {r.form}" for r in margins[
                             margins['flag'] == 'negative'].itertuples()})) + ".")
    risks = model.ref["forms"][form].get("risks", [])
    if risks:
        lines.append("- Main risks of this form: " + "; ".join(r["text"] for r in risks[:3]) + ".")
    lines.append(f"- Money in nominal EUR from {model.start_year}, discounted at "
                 f"{model.discount_rate:.0%}; billing basis `{model.billing_basis}`, "
                 f"method `{model.method}`.")
    return "\n".join(lines)


def _option_name(model: SourcingModel, loc: str, form: str) -> str:
    """"full outsourcing in Morocco (MA / FULL)" or "portfolio 'care 40 % to MA'"."""
    if form == PORTFOLIO:
        return f"portfolio '{loc}'"
    return (f"{model.ref['forms'][form]['name']} in {model.ref['locations'][loc]['name']} "
            f"({loc} / {form})")


def _leaving_text(model: SourcingModel, loc: str, form: str) -> str:
    """Leaving today's mix for the option, in people and euros (staff representatives)."""
    if model.status_quo is None or form == PORTFOLIO:
        return ""
    from toolkit.costs.model import leaving_costs
    r = leaving_costs(model).set_index(["location", "form"]).loc[(loc, form)]
    return (f"- Leaving today's mix: {r['people_redundant']:,.0f} people made redundant and "
            f"{r['people_transferred']:,.0f} transferred to the provider with their work "
            f"(L1224-1) in contract year 1; severance and social plan "
            f"{r['severance_eur'] / 1e6:,.2f} M EUR, stranded premises "
            f"{r['stranded_premises_eur'] / 1e6:,.2f} M, dual running "
            f"{r['dual_running_eur'] / 1e6:,.2f} M, transferred staff's pay premium "
            f"{r['staff_transfer_eur'] / 1e6:,.2f} M (all included in the cost above).")


def _one_off_text(model: SourcingModel, t: pd.Series) -> str:
    """", transition and exit costs of 1.2 M EUR included" from a tco row."""
    one_off = sum(float(t.get(c, 0.0)) for c in ("transition_eur", "exit_eur", "leaving_eur"))
    if not one_off:
        return ""
    return f", transition and exit costs of {one_off / 1e6:,.1f} M EUR (nominal) included"


def what_would_change(model: SourcingModel, decision: pd.DataFrame,
                      robustness: dict) -> tuple[str, pd.DataFrame]:
    """Drivers whose plausible range reverses the choice against the runner-up and in-house.

    Returns a markdown summary and the table of one-way tests (option NPV - rival NPV).
    """
    top = tuple(decision.iloc[0][["location", "form"]])
    rivals = []
    if len(decision) > 1:
        rivals.append(("runner-up", tuple(decision.iloc[1][["location", "form"]])))
    if top != tuple(model.comparison):
        rivals.append(("status quo" if model.status_quo is not None else "in-house",
                       tuple(model.comparison)))
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


# --------------------------------------------------------------------------------------------
# Value of service: the ranking with and without it
# --------------------------------------------------------------------------------------------

def service_ranking(model: SourcingModel, mc: pd.DataFrame,
                    weights: Mapping[str, float] | None = None) -> tuple[str, pd.DataFrame]:
    """The weighted ranking without and with the value of service, side by side.

    ``mc`` is the ``monte_carlo`` table of a model built with ``value_of_service=True``: the
    cost criterion takes the P50 NPV, then the P50 of NPV + lost value (same draws). Returns
    a markdown sentence generated from the table and the table ``option, rank,
    rank_with_service, move`` (places gained), the P50s and the probabilities of beating the
    comparison, sorted by the rank with the value of service.
    """
    if "npv_with_service_p50_eur" not in mc.columns:
        raise ParameterError("mc", "no value-of-service columns",
                             "the monte_carlo table of a model built with value_of_service=True")
    keys = ["location", "form"]
    plain, _ = decision_matrix(model, mc, weights, n_perturbations=100)
    served, _ = decision_matrix(model, mc.assign(npv_p50_eur=mc["npv_with_service_p50_eur"]),
                                weights, n_perturbations=100)
    table = (plain[[*keys, "rank", "score"]]
             .merge(served[[*keys, "rank", "score"]].rename(
                 columns={"rank": "rank_with_service", "score": "score_with_service"}), on=keys)
             .merge(mc[[*keys, "npv_p50_eur", "service_p50_eur", "npv_with_service_p50_eur",
                        "prob_beats_baseline", "prob_beats_baseline_with_service"]], on=keys))
    table.insert(0, "option", table["location"] + " / " + table["form"])
    table["move"] = table["rank"] - table["rank_with_service"]
    table = table.sort_values("rank_with_service", ignore_index=True)
    comp = " / ".join(model.comparison)
    against = "the status quo" if model.status_quo is not None else "in-house"

    def meur(x):
        return f"{x / 1e6:,.1f} M EUR"

    first, before = table.iloc[0], table.set_index("rank").loc[1]
    lost = table.set_index("option")["service_p50_eur"]
    text = (f"Counting the value of service — the sales and saves lost with abandoned and "
            f"repeat contacts, {meur(lost[comp])} over the contract for {against} (median of "
            f"the simulations), {meur(lost.min())} to {meur(lost.max())} across the options — ")
    if first["option"] == before["option"]:
        text += f"{first['option']} stays first"
    else:
        text += f"{first['option']} comes first instead of {before['option']}"
    text += (f"; it beats {against} in {first['prob_beats_baseline_with_service']:.0%} of the "
             f"simulations with it, {first['prob_beats_baseline']:.0%} without.")
    moved = table[table["move"] != 0]
    if moved.empty:
        text += f" No option changes rank ({len(table)} ranked)."
    else:
        big = moved.loc[moved["move"].abs().idxmax()]
        text += (f" {len(moved)} of {len(table)} options change rank; the largest move: "
                 f"{big['option']} from {int(big['rank'])} to {int(big['rank_with_service'])} "
                 f"({meur(big['service_p50_eur'])} lost).")
    return text, table


# --------------------------------------------------------------------------------------------
# Quality-gap scenario
# --------------------------------------------------------------------------------------------

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
    against = "the status quo" if model.status_quo is not None else "in-house"
    text = (f"With {gap_model.notes[-1].split(': ', 1)[-1]}, {label} saves "
            f"{row['saving_gap_pct']:.0%} against {against} instead of {row['saving_pct']:.0%} "
            f"({row['npv_gap_eur'] / 1e6:,.1f} M EUR NPV instead of {row['npv_eur'] / 1e6:,.1f} M). ")
    new_label = f"{top_gap['location']} / {top_gap['form']}"
    text += ("It stays first on the weighted criteria." if new_label == label
             else f"{new_label} comes first on the weighted criteria instead.")
    return text, table


# --------------------------------------------------------------------------------------------
# Output file
# --------------------------------------------------------------------------------------------

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
    """Write a table to Parquet atomically (``toolkit.io.write_processed``, mode 0644)."""
    from toolkit.io import write_processed

    return write_processed(table, project_path(path))
