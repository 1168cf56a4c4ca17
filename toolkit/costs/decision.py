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

from toolkit import names, present
from toolkit.config import project_path
from toolkit.costs.finance import tco
from toolkit.costs.model import SourcingModel
from toolkit.costs.portfolio import PORTFOLIO, STATUS_QUO
from toolkit.costs.reference import _check_choice, _value, load_reference
from toolkit.costs.uncertainty import tornado
from toolkit.errors import ParameterError

CRITERIA = ("cost", "data_transfer", "labour_law", "language_fit", "timezone_overlap",
            "attrition", "social_acceptance")
#: What each criterion is called in reviewer tables and charts.
CRITERION_LABELS = {"cost": "cost", "data_transfer": "data leaving the EU",
                    "labour_law": "French labour law", "language_fit": "language fit",
                    "timezone_overlap": "time-zone overlap", "attrition": "staff turnover",
                    "social_acceptance": "social acceptance"}
#: What each cost line (``reference.LINES``) is called in reviewer charts and tables.
LINE_LABELS = {"agents": "agents' pay", "supervision": "team leaders and managers",
               "wfm_qa": "planning and quality staff", "overheads": "overheads",
               "recruitment": "recruitment", "training_attrition": "training (turnover)",
               "premises": "premises", "it": "IT", "telephony_licences": "telephony licences",
               "provider_margin": "provider's margin", "governance": "contract management",
               "transition": "transition", "exit": "exit", "dual_running": "double running",
               "severance": "severance and social plan",
               "stranded_premises": "premises left empty",
               "staff_transfer": "transferred staff's pay premium"}
#: Status of the report card: the recommendation needs attention when it beats the
#: comparison in fewer simulations than this, or keeps its rank in fewer re-weightings.
ROBUST_SHARE = 0.80


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

#: Published ratios (``benchmark_checks``) in words.
CHECK_LABELS = {"paris_regions_price_ratio": "Paris price over regional price",
                "morocco_france_price_ratio": "Moroccan price over French price",
                "maghreb_saving_vs_france": "Maghreb saving against France",
                "onshore_bpo_index": "French provider cost as a share of in-house",
                "nearshore_index": "near-shore cost as a share of in-house",
                "offshore_index": "off-shore cost as a share of in-house"}
METHOD_LABELS = {"rate_card": "market price lists", "bottom_up": "provider cost plus margin"}
_CODE = re.compile(r"\b([A-Z]{2}(?:-[A-Z]{3})?) / ([A-Z]+)\b")


def option_name(model: SourcingModel, loc: str, form: str, *, code: bool = False) -> str:
    """An option in words: "Madagascar, full outsourcing" (``code`` adds "(MG / FULL)");
    the status quo is "the status quo (today's mix)", a partial move keeps its name with any
    option code in it spelled out."""
    if form == PORTFOLIO:
        if loc == STATUS_QUO:
            return "the status quo (today's mix)"
        return "partial move: " + _CODE.sub(
            lambda m: option_name(model, m[1], m[2])
            if m[1] in model.ref["locations"] else m[0], str(loc))
    return names.option_name(loc, form, model.ref) + (f" ({loc} / {form})" if code else "")


def option_names(model: SourcingModel, table: pd.DataFrame) -> pd.Series:
    """``option_name`` of each row's ``location, form``."""
    return pd.Series([option_name(model, loc, form) for loc, form in
                      zip(table["location"], table["form"], strict=True)], index=table.index,
                     dtype=object)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _against(model: SourcingModel) -> str:
    return "the status quo" if model.status_quo is not None else "running everything in-house"


def _money(x, locale: str) -> str:
    return present.money(x, locale, compact=True)


def recommendation(model: SourcingModel, tco_table: pd.DataFrame, mc: pd.DataFrame,
                   decision: pd.DataFrame, robustness: dict,
                   checks: pd.DataFrame | None = None,
                   margins: pd.DataFrame | None = None, *, site_names: Mapping | None = None,
                   locale: str = "en_GB") -> str:
    """The board-paper recommendation, written from the results (markdown).

    One money basis: the net present cost (NPV) at the reference figures (``tco_table``);
    the simulations (``mc``) say how often the option beats the comparison. With ``checks``
    (``benchmark_checks``) warns when the recommended location's cost sits outside the
    published bands; with ``margins`` (``margin_check``) when its price is below cost.
    """
    top = decision.iloc[0]
    loc, form = top["location"], top["form"]
    name = option_name(model, loc, form)
    t = tco_table.set_index(["location", "form"]).loc[(loc, form)]
    m = mc.set_index(["location", "form"]).loc[(loc, form)]
    bl = tuple(model.comparison)
    years = model.months // 12
    against = _against(model)
    sims = present.count_phrase(int(m["n_draws"]), "simulation", locale=locale)
    saving = float(t["baseline_npv_eur"]) - float(t["npv_eur"])
    npv = (f"{_money(t['npv_eur'], locale)} in net present cost (NPV) over the {years}-year "
           f"contract{_one_off_text(model, t, locale)}, against "
           f"{_money(t['baseline_npv_eur'], locale)} for {against}")
    odds = (f"It is cheaper than {against} in "
            f"{present.percent(m['prob_beats_baseline'], locale, 0)} of {sims} of the "
            f"uncertain costs.")
    inhouse = ""
    if model.status_quo is not None and (loc, form) != tuple(model.baseline):
        pct = float(t["saving_vs_inhouse_pct"])
        inhouse = (f" Against running everything in-house ({_money(t['inhouse_npv_eur'], locale)})"
                   f" it {'saves' if pct >= 0 else 'costs'} {present.percent(abs(pct), locale, 0)}"
                   f"{'' if pct >= 0 else ' more'}.")
    if (loc, form) == bl:
        kept = (against if model.status_quo is not None else
                f"running everything in-house in {location_name(model, loc)}")
        headline = (f"**Recommendation: keep {kept}.** No option scores better once cost "
                    f"and risk are weighed ({_money(t['npv_eur'], locale)} in net present cost "
                    f"over the {years}-year contract).{inhouse}")
    elif saving < 0:
        headline = (f"**Recommendation: {name}.** It costs {_money(-saving, locale)} "
                    f"({present.percent(-t['saving_pct'], locale, 0)}) more than {against}: "
                    f"{npv}, but scores best once risks are weighed. {odds}{inhouse}")
    else:
        headline = (f"**Recommendation: {name}.** It saves {_money(saving, locale)} "
                    f"({present.percent(t['saving_pct'], locale, 0)}) against {against}: "
                    f"{npv}. {odds}{inhouse}")
    lines = [headline, ""]
    leaving = _leaving_text(model, loc, form, locale, site_names)
    if leaving:
        lines.append(leaving)
    be = t["break_even_month"]
    if (loc, form) != bl:
        lines.append(f"- It pays back the cost of the move against {against} "
                     + (f"in month {present.number(be, locale)} of the contract."
                        if np.isfinite(be) else "not within the contract."))
    lines.append(f"- It stays first in {present.percent(robustness['keeps_top'], locale, 0)} of "
                 f"random re-weightings of the decision criteria (weighted score "
                 f"{present.number(top['score'], locale, 2)} out of 1).")
    if len(decision) > 1:
        runner = decision.iloc[1]
        key = (runner["location"], runner["form"])
        p = mc.set_index(["location", "form"]).loc[key, "prob_beats_baseline"]
        beats = ("" if key == bl else f"; cheaper than {against} in "
                 f"{present.percent(p, locale, 0)} of the simulations")
        lines.append(f"- Runner-up: {option_name(model, *key)} (score "
                     f"{present.number(runner['score'], locale, 2)}{beats}).")
    cheapest = tco_table[tco_table["feasible"]].sort_values("npv_eur").iloc[0]
    if (cheapest["location"], cheapest["form"]) != (loc, form):
        lines.append(f"- Cheapest on cost alone: "
                     f"{option_name(model, cheapest['location'], cheapest['form'])} "
                     f"({_money(cheapest['npv_eur'], locale)}), ranked lower on risk.")
    if checks is not None and len(checks):
        lines.append("- The model reproduces "
                     + present.share_phrase(int(checks["passed"].sum()), len(checks),
                                            locale=locale)
                     + " published cost ratios within tolerance.")
        own = _own_failed_checks(checks, loc)
        place = option_name(model, loc, form).split(",")[0]
        for r in own.itertuples():
            where = "above" if r.model_value > r.band_high else "below"
            lines.append(
                f"- Caution: {place}'s modelled cost is {where} the published range "
                f"({CHECK_LABELS.get(r.check, r.check)}: "
                f"{present.number(r.model_value, locale, 2)} against "
                f"{present.number(r.band_low, locale, 2)}–{present.number(r.band_high, locale, 2)}"
                f"): ask for a local quote before relying on the saving.")
    if margins is not None and len(margins):
        own = margins[(margins["location"] == loc) & (margins["form"] == form)
                      & (margins["flag"] == "negative")]
        if len(own):
            lines.append(f"- Caution: its price leaves the provider a loss "
                         f"({present.percent(own['margin_pct'].mean(), locale, 0)} of its cost):"
                         f" it wins only if the provider accepts to work at a loss.")
    risks = model.ref["forms"][form].get("risks", [])
    if risks:
        lines.append("- Main risks of this form: "
                     + "; ".join(_flags_in_words(r["text"]) for r in risks[:3]) + ".")
    return "\n".join(lines)


def _own_failed_checks(checks: pd.DataFrame | None, loc: str) -> pd.DataFrame:
    """The published-ratio checks of the recommended location its modelled cost misses."""
    if checks is None or checks.empty:
        return pd.DataFrame(columns=["check", "model_value", "band_low", "band_high"])
    return checks[(checks["location"] == loc) & ~checks["in_band"]].drop_duplicates("check")


def published_range(checks: pd.DataFrame | None, loc: str) -> str:
    """Where ``loc``'s modelled cost sits against the published ratios it misses
    (``benchmark_checks``): ``"below"``, ``"above"``, ``"above and below"``, or ``""`` when it
    misses none. The sourcing report's caution and the executive summary's read this word."""
    failed = _own_failed_checks(checks, loc)
    return " and ".join(sorted({"above" if r.model_value > r.band_high else "below"
                                for r in failed.itertuples()}))


_REF_FLAG = re.compile(r"\s*\(([A-Z])(?:, \d{4})?\)")
_FLAG_WORDS = {"E": "estimate", "G": "rule of thumb", "X": "assumption"}


def _flags_in_words(text: str) -> str:
    """"exit notice of 6-18 months (E)" -> "exit notice of 6-18 months (estimate)"."""
    return _REF_FLAG.sub(lambda m: f" ({_FLAG_WORDS.get(m.group(1), 'estimate')})", text)


def report_headline(model: SourcingModel, tco_table: pd.DataFrame, mc: pd.DataFrame,
                    decision: pd.DataFrame, robustness: dict,
                    checks: pd.DataFrame | None = None, *,
                    locale: str = "en_GB") -> tuple[str, str]:
    """The report card's one-sentence answer and its status, from the same figures as
    ``recommendation``: "attention" when the choice beats the comparison in fewer than
    ``ROBUST_SHARE`` of the simulations, keeps its rank in fewer than half that share of
    re-weightings of the criteria, or (with ``checks``, ``benchmark_checks``) when its own
    modelled cost falls outside a published range — the headline then says so; else "ok"."""
    top = decision.iloc[0]
    key = (top["location"], top["form"])
    t = tco_table.set_index(["location", "form"]).loc[key]
    p = float(mc.set_index(["location", "form"]).loc[key, "prob_beats_baseline"])
    against = _against(model)
    years = model.months // 12
    saving = float(t["baseline_npv_eur"]) - float(t["npv_eur"])
    if key == tuple(model.comparison):
        text = (f"Keep {against}: no option scores better once cost and risk are weighed "
                f"({_money(t['npv_eur'], locale)} NPV over {years} year{'s' if years != 1 else ''}).")
        robust = robustness["keeps_top"] >= ROBUST_SHARE
    else:
        verb = "saving" if saving >= 0 else "costing"
        text = (f"{_upper_first(option_name(model, *key))}, {verb} "
                f"{_money(abs(saving), locale)}{'' if saving >= 0 else ' more'} NPV over "
                f"{years} year{'s' if years != 1 else ''} against {against} ({_money(t['npv_eur'], locale)} against "
                f"{_money(t['baseline_npv_eur'], locale)}); cheaper in "
                f"{present.percent(p, locale, 0)} of the simulations.")
        robust = p >= ROBUST_SHARE and robustness["keeps_top"] >= ROBUST_SHARE / 2
    where = published_range(checks, key[0])
    if where:
        text = (text.removesuffix(".") + f". Caution: its modelled cost is {where} the "
                "published range — get a local quote first.")
        robust = False
    return text, ("ok" if robust else "attention")


def bases_sentence(model: SourcingModel, tco_table: pd.DataFrame, mc: pd.DataFrame,
                   fan: pd.DataFrame, option: tuple[str, str], *,
                   locale: str = "en_GB") -> str:
    """One sentence tying the option's three cost figures together: the NPV at the reference
    figures (the report's basis), the simulations' median NPV, and the nominal cumulative
    cost at the contract's end (``cumulative_fan``, the chart beside it)."""
    t = tco_table.set_index(["location", "form"]).loc[tuple(option)]
    m = mc.set_index(["location", "form"]).loc[tuple(option)]
    end = fan[(fan["location"] == option[0]) & (fan["form"] == option[1])]
    end = end[end["month"] == end["month"].max()]
    nominal = float(end.loc[np.isclose(end["quantile"], 0.5), "cumulative_cost_eur"].iloc[0])
    return (f"Every cost in this report is the net present cost (NPV) at the reference "
            f"figures: {_money(t['npv_eur'], locale)} for {option_name(model, *option)}. "
            f"The same option costs {_money(m['npv_p50_eur'], locale)} as the median NPV of "
            f"the simulations ({present.percent(0.8, locale, 0)} of them between {_money(m['npv_p10_eur'], locale)} and "
            f"{_money(m['npv_p90_eur'], locale)}), and {_money(nominal, locale)} in the chart, "
            f"which adds up the euros actually paid over {model.months} months without "
            f"discounting later years.")


def ranking_table(model: SourcingModel, tco_table: pd.DataFrame, mc: pd.DataFrame,
                  decision: pd.DataFrame, *, top: int = 6) -> pd.DataFrame:
    """The options a reviewer decides on: the ``top`` ranked, then the comparison and the
    all in-house baseline if they are not among them. Columns ``rank, option, npv_eur,
    saving_eur, saving_pct, npv_p10_eur, npv_p90_eur, prob_beats_baseline, risk_score,
    score, location, form`` (NPV at the reference figures; P10/P90 and the probability from
    the simulations)."""
    keys = ["location", "form"]
    t = decision[[*keys, "rank", "score", "risk_score"]].merge(
        tco_table[[*keys, "npv_eur", "baseline_npv_eur"]], on=keys).merge(
        mc[[*keys, "npv_p10_eur", "npv_p90_eur", "prob_beats_baseline"]], on=keys)
    t = t.sort_values("rank", ignore_index=True)
    keep = t["rank"] <= top
    for key in (tuple(model.comparison), tuple(model.baseline)):
        keep |= (t["location"] == key[0]) & (t["form"] == key[1])
    t = t[keep].reset_index(drop=True)
    t["saving_eur"] = t["baseline_npv_eur"] - t["npv_eur"]
    t["saving_pct"] = t["saving_eur"] / t["baseline_npv_eur"]
    t.insert(1, "option", option_names(model, t))
    comparison = (t["location"] == model.comparison[0]) & (t["form"] == model.comparison[1])
    t.loc[comparison, "prob_beats_baseline"] = np.nan  # against itself: no comparison
    return t[["rank", "option", "npv_eur", "saving_eur", "saving_pct", "npv_p10_eur",
              "npv_p90_eur", "prob_beats_baseline", "risk_score", "score", *keys]]


def ranking_sentence(model: SourcingModel, ranking: pd.DataFrame, n_ranked: int, *,
                     locale: str = "en_GB") -> str:
    """What ``ranking_table`` shows, from its own rows: how many options it shows and how
    many of them cost less than the comparison, and the first one's saving."""
    options = ranking[(ranking["location"] != model.comparison[0])
                      | (ranking["form"] != model.comparison[1])]
    cheaper = options[options["saving_eur"] > 0]
    first = ranking.iloc[0]
    against = _against(model)
    ranks = ranking["rank"].astype(int).tolist()
    lead = 0
    while lead < len(ranks) and ranks[lead] == lead + 1:
        lead += 1
    extra = [f", ranked {_ordinal(int(r['rank']))}, "
             f"{option_name(model, r['location'], r['form'])}"
             for _, r in ranking.iloc[lead:].iterrows()]
    shows = (f"the top {present.number(lead, locale)}"
             + (" and" + " and".join(extra) if extra else ""))
    return (f"{_upper_first(present.count_phrase(int(n_ranked), 'option'))} were ranked on cost "
            f"and risk together; the table shows {shows}. "
            f"{_upper_first(present.share_phrase(len(cheaper), len(options), locale=locale))}"
            f" of the other rows cost less than {against} in net present cost; the first, "
            f"{option_name(model, first['location'], first['form'])}, "
            f"{'saves' if first['saving_eur'] >= 0 else 'costs'} "
            f"{_money(abs(first['saving_eur']), locale)}"
            f"{'' if first['saving_eur'] >= 0 else ' more'}.")


def _ordinal(n: int) -> str:
    """9 -> "9th", 22 -> "22nd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def cheapest_sentence(bars: pd.DataFrame, *, locale: str = "en_GB") -> str:
    """Chart title of the yearly cost bars: the cheapest row of the table drawn and its total."""
    totals = bars.sum(axis=1)
    return (f"{_upper_first(str(totals.idxmin()))} is the cheapest of these options in a full "
            f"year, at {_money(totals.min(), locale)}")


def bridge_sentence(start: float, end: float, option: str, comparison: str, *,
                    locale: str = "en_GB") -> str:
    """Chart title of the cost bridge, from its own start and end totals."""
    change = end - start
    if abs(change) < 0.5:
        return f"{_upper_first(option)} costs the same as {comparison} in a full year"
    return (f"{_upper_first(option)} {'cuts' if change < 0 else 'raises'} the yearly bill by "
            f"{_money(abs(change), locale)} against {comparison}")


def fan_sentence(fan: pd.DataFrame, model: SourcingModel, option: tuple[str, str],
                 rival: tuple[str, str], *, locale: str = "en_GB") -> str:
    """Chart title of the cumulative cost fan: the option's and the rival's medians at the end."""
    end = fan[(fan["month"] == fan["month"].max()) & np.isclose(fan["quantile"], 0.5)]
    end = end.set_index(["location", "form"])["cumulative_cost_eur"]
    a, b = float(end.loc[tuple(option)]), float(end.loc[tuple(rival)])
    word = present.compare(a, b, above="more than", below="less than", same="as much as")
    return (f"After {model.months} months {option_name(model, *option)} has cost "
            f"{_money(a, locale)}, {word} {option_name(model, *rival)} ({_money(b, locale)}; "
            f"medians, euros paid)")


def margin_sentence(model: SourcingModel, margins: pd.DataFrame, *,
                    locale: str = "en_GB") -> str:
    """Which options' prices sit outside the plausible provider margin, in words."""
    keys = ["location", "form"]
    flagged = margins[margins["flag"] != ""]
    negative = margins[margins["flag"] == "negative"]
    band = (f"{present.percent(margins['band_low'].iloc[0], locale, 0)}–"
            f"{present.percent(margins['band_high'].iloc[0], locale, 0)} of its cost")
    if flagged.empty:
        return f"Every price leaves the provider a plausible margin ({band})."
    n_flagged, n_priced = flagged.groupby(keys).ngroups, margins.groupby(keys).ngroups
    text = (f"{present.number(n_flagged, locale)} of the {present.number(n_priced, locale)} "
            f"options a provider prices ({present.percent(n_flagged / n_priced, locale, 0)}) "
            f"have a price outside the plausible provider margin ({band}) in at least one "
            f"contract year.")
    below_cost = list(negative.groupby(keys).groups)
    if below_cost:
        text += (" Priced below the provider's cost, so cheaper than they can last: "
                 + ", ".join(option_name(model, *k) for k in below_cost)
                 + " (drawn left of zero, hatched, in the yearly cost chart).")
    rest = flagged[[k not in below_cost for k in zip(flagged["location"], flagged["form"], strict=True)]]
    for flag, what in (("below band", "Priced below the plausible margin but above cost"),
                       ("above band", "Priced above the plausible margin")):
        group = list(rest[rest["flag"] == flag].groupby(keys).groups)
        if group:
            text += f" {what}: " + ", ".join(option_name(model, *k) for k in group) + "."
    others = sorted(set(rest["flag"]) - {"below band", "above band"})
    for flag in others:
        group = list(rest[rest["flag"] == flag].groupby(keys).groups)
        text += f" {_upper_first(flag)}: " + ", ".join(option_name(model, *k) for k in group) + "."
    return text


def leaving_table(model: SourcingModel, leaving: pd.DataFrame, decision: pd.DataFrame, *,
                  top: int = 6) -> pd.DataFrame:
    """The cost of leaving today's mix for the ``top`` ranked options, in people and euros."""
    keys = ["location", "form"]
    t = decision[[*keys, "rank"]].merge(leaving, on=keys).sort_values("rank")
    t = t[t["rank"] <= top].reset_index(drop=True)
    t.insert(1, "option", option_names(model, t))
    return t


def _site_staff(model: SourcingModel, rows: pd.DataFrame, site_names: Mapping | None,
                locale: str) -> str:
    """"the 88 in-house staff at Lille and the 42 company agents in hosted seats at Ile
    Contact Ebene (Mauritius)" from ``leaving_people`` rows."""
    parts = []
    for r in rows.itertuples():
        site = re.sub(r"\s*\([^)]*\)\s*$", "", str((site_names or {}).get(r.site, r.site)))
        n = present.number(round(r.people), locale)
        if r.site_form == "INHOUSE":
            parts.append(f"the {n} in-house staff at {site}")
        elif r.site_form == "HOSTED":
            parts.append(f"the {n} company agents in hosted seats at {site} in "
                         f"{location_name(model, r.site_location)}")
        else:
            parts.append(f"the {n} company staff at {site} "
                         f"({option_name(model, r.site_location, r.site_form)})")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def hardest_move_sentence(model: SourcingModel, leaving: pd.DataFrame, *,
                          people: pd.DataFrame | None = None,
                          site_names: Mapping | None = None,
                          locale: str = "en_GB") -> str:
    """The most people any option makes redundant, and how many options do, from the
    leaving-cost table; with ``people`` (``leaving_people``) which of today's sites they
    work at (``site_names``: site -> name, from the sites file)."""
    if leaving.empty or leaving["people_redundant"].max() <= 0:
        return "No option makes anyone redundant."
    most = leaving["people_redundant"].max()
    worst = leaving[np.isclose(leaving["people_redundant"], most)]
    n_people = present.count_phrase(round(most), "person", "people", locale=locale)
    who = ""
    if people is not None and not people.empty:
        r = worst.iloc[0]
        own = people[(people["location"] == r["location"]) & (people["form"] == r["form"])
                     & (people["fate"] == "redundant")]
        if len(own):
            who = f" ({_site_staff(model, own, site_names, locale)})"
    if len(worst) == 1:
        r = worst.iloc[0]
        return (f"The hardest move for the staff: {option_name(model, r['location'], r['form'])}"
                f", {n_people}{who} made redundant in contract year 1 "
                f"({_money(r['leaving_eur'], locale)} to leave today's mix).")
    return (f"The hardest moves for the staff make {n_people}{who} redundant in contract "
            f"year 1: {present.number(len(worst), locale)} of the "
            f"{present.number(len(leaving), locale)} single-site options "
            f"({present.percent(len(worst) / len(leaving), locale, 0)}), costing up to {_money(worst['leaving_eur'].max(), locale)} "
            f"to leave today's mix.")


def redundancy_sentences(model: SourcingModel, table: pd.DataFrame, people: pd.DataFrame, *,
                         site_names: Mapping | None = None, locale: str = "en_GB") -> str:
    """Why an option of the leaving table makes fewer people redundant than the hardest
    moves: whose jobs go, and whose stay or move to the provider (``leaving_people``)."""
    if table.empty or people.empty:
        return ""
    most = table["people_redundant"].max()
    out = []
    for r in table.itertuples():
        if r.people_redundant <= 0 or np.isclose(r.people_redundant, most):
            continue
        own = people[(people["location"] == r.location) & (people["form"] == r.form)]
        gone, kept = own[own["fate"] == "redundant"], own[own["fate"] == "stays"]
        moved = own[own["fate"] == "transferred"]
        text = (f"{_upper_first(option_name(model, r.location, r.form))} makes "
                f"{present.count_phrase(round(r.people_redundant), 'person', 'people', locale=locale)}"
                f" redundant: {_site_staff(model, gone, site_names, locale)}, whose work leaves "
                f"their site")
        if len(kept):
            text += f"; {_site_staff(model, kept, site_names, locale)} keep their jobs"
        if len(moved):
            text += (f"; {_site_staff(model, moved, site_names, locale)} move to the provider "
                     f"with their work")
        out.append(text + ".")
    return " ".join(out)


def _leaving_text(model: SourcingModel, loc: str, form: str, locale: str = "en_GB",
                  site_names: Mapping | None = None) -> str:
    """Leaving today's mix for the option, in people and euros (staff representatives)."""
    if model.status_quo is None or form == PORTFOLIO:
        return ""
    from toolkit.costs.model import leaving_costs, leaving_people
    r = leaving_costs(model).set_index(["location", "form"]).loc[(loc, form)]
    staff = leaving_people(model)
    staff = staff[(staff["location"] == loc) & (staff["form"] == form)]
    gone = staff[staff["fate"] == "redundant"]
    moved = staff[staff["fate"] == "transferred"]

    def people(n):
        return present.count_phrase(round(n), "person", "people", locale=locale, zero="no one")

    parts = [f"severance and social plan {_money(r['severance_eur'], locale)}",
             f"premises left empty {_money(r['stranded_premises_eur'], locale)}",
             f"old and new sites running side by side {_money(r['dual_running_eur'], locale)}"]
    if r["staff_transfer_eur"]:
        parts.append(f"transferred staff's pay premium {_money(r['staff_transfer_eur'], locale)}")
    who_gone = f" ({_site_staff(model, gone, site_names, locale)})" if len(gone) else ""
    who_moved = f" ({_site_staff(model, moved, site_names, locale)})" if len(moved) else ""
    home = model.ref["locations"][loc]["country"] == _value(model.ref["defaults"]["home_country"])
    # Article L1224-1 moves staff with their work only to a new employer in France: say
    # which way it cuts for this option, so a reader does not take the law for the cause.
    if len(moved):
        law = (f"{people(r['people_transferred'])}{who_moved} move to the provider with their "
               "work on their current contracts (French labour code, article L1224-1)")
    elif len(gone) and not home:
        law = ("no one moves to the provider with the work: article L1224-1 of the French "
               "labour code, which moves staff with their work to a new employer, applies "
               "only in France, and this work leaves France")
    else:
        law = "no one moves to the provider with the work"
    return (f"- Leaving today's mix in contract year 1: {people(r['people_redundant'])}"
            f"{who_gone} made redundant; {law}; " + ", ".join(parts)
            + " (all included in the cost above).")


def _one_off_text(model: SourcingModel, t: pd.Series, locale: str = "en_GB") -> str:
    """", including €4.9m of one-off costs (€3.7m to leave today's mix ... and €1.2m to move
    the work to the provider and out again ...)" from a tco row: the leaving cost is the
    table's "cost of leaving", transition and exit the provider's one-off lines."""
    provider = sum(float(t.get(c, 0.0)) for c in ("transition_eur", "exit_eur"))
    leaving = float(t.get("leaving_eur", 0.0))
    if not provider + leaving:
        return ""
    if not leaving:
        return f", including {_money(provider, locale)} of transition and exit costs"
    return (f", including {_money(provider + leaving, locale)} of one-off costs "
            f"({_money(leaving, locale)} to leave today's mix, the cost of leaving in the table "
            f"further down, and {_money(provider, locale)} to move the work to the provider and "
            f"out again at the end of the contract)")


_FLAG = re.compile(r"\s*\((?:[A-Z]|override)(?:, \d{4})?\)\s*$")


_DRIVER_WORDS = (
    (r"^quality gap: AHT uplift and FCR gap at the ends of their ranges$",
     "quality gap abroad (handling time, resolution)"),
    (r"^transition one-offs \(set-up per seat, project, entity\)",
     "transition one-offs (set-up, project, entity)"),
    (r" at the (?:low / high|ends) of (?:their|its) ranges?$", ""),
    (r"^leaving: dual running months:", "double running:"),
    (r"^leaving: ", ""),
    (r"\bNON-EU\b", "outside the EU"),
    (r"^provider margins EU (\S+), outside the EU (\S+)$",
     r"margins: \1 in the EU, \2 outside"),
    (r"^AHT\b", "handling time"),
    (r"^rate-card price\b", "market price"),
)


def driver_label(label: str, max_chars: int = 50) -> str:
    """A tornado driver's label for reviewers: without its reference flag and year
    ("(G, 2026)"), code spellings made words, and cut at a word when longer than
    ``max_chars`` (a chart's row label, not a paragraph)."""
    text = _FLAG.sub("", str(label))
    text = re.sub(r"\binhouse\b", "in-house", text)
    text = re.sub(r"^it\b", "IT", text)
    for pattern, words in _DRIVER_WORDS:
        text = re.sub(pattern, words, text)
    if len(text) > max_chars:  # "name: 1 to 4 months <description>" keeps its range
        ranged = re.match(r"^(.+?: \S+ to \S+(?: (?:months?|years?|days?|EUR|pts?))?)(?= |$)",
                          text)
        if ranged and len(ranged.group(1)) <= max_chars:
            text = ranged.group(1)
    if len(text) > max_chars:  # "transition one-offs (set-up per seat, ...)": the name alone
        text = re.sub(r"\s*\([^)]*\)?\s*$", "", text) if "(" in text else text
    if len(text) > max_chars:
        cut = text[:max_chars].rsplit(" ", 1)[0].rstrip(" :,;")
        text = cut + "…"
    return text


def what_would_change(model: SourcingModel, decision: pd.DataFrame,
                      robustness: dict, *, locale: str = "en_GB") -> tuple[str, pd.DataFrame]:
    """Drivers whose plausible range reverses the choice against the runner-up and the
    comparison, and the cost weights at which another option comes first.

    Returns a markdown summary and the table of one-way tests (option NPV - rival NPV), with
    the rival's code (``rival``) and name (``rival_name``).
    """
    top = tuple(decision.iloc[0][["location", "form"]])
    rivals = []
    if len(decision) > 1:
        rivals.append(("runner-up", tuple(decision.iloc[1][["location", "form"]])))
    if top != tuple(model.comparison):
        rivals.append(("status quo" if model.status_quo is not None else "in-house",
                       tuple(model.comparison)))
    frames, lines, flows = [], [], {}
    for role, rival in rivals:
        name = option_name(model, *rival)
        t = tornado(model, *top, against=rival, _flows=flows).assign(
            rival=f"{rival[0]} / {rival[1]}", rival_name=name, rival_role=role)
        frames.append(t)
        flips = t[t["flips"]]
        gap = -t["base_eur"].iloc[0]
        who = name if role == "status quo" else f"the runner-up, {name}"
        if flips.empty:
            lines.append(f"- Against {who}: no single driver within its range closes the "
                         f"{_money(gap, locale)} gap in net present cost.")
        else:
            lines.append(f"- Against {who} ({_money(gap, locale)} apart in net present cost): "
                         + "; ".join(flips["label"].map(driver_label))
                         + " would reverse the cost ranking.")
    lines.append(f"- Weights: the first option stays first in "
                 f"{present.percent(robustness['keeps_top'], locale, 0)} of random "
                 f"re-weightings of the criteria.")
    switches = cost_weight_switches(decision, robustness["weights"])
    here = robustness["weights"]["cost"]
    below = switches[switches["cost_weight"] < here]
    above = switches[switches["cost_weight"] > here]
    named = {f"{r.location} / {r.form}": option_name(model, r.location, r.form)
             for r in decision.itertuples()}
    if len(below):
        w, opt = below.iloc[-1]["cost_weight"], below.iloc[-1]["top_before"]
        lines.append(f"- With cost weighing less than {present.percent(w, locale, 0)} of the "
                     f"decision (now {present.percent(here, locale, 0)}; the other criteria "
                     f"keep their proportions) {named.get(opt, opt)} comes first.")
    if len(above):
        w, opt = above.iloc[0]["cost_weight"], above.iloc[0]["top_after"]
        lines.append(f"- With cost weighing more than {present.percent(w, locale, 0)}, "
                     f"{named.get(opt, opt)} comes first.")
    lines.append("- Market prices and wages rest on dated or unverified reference figures: "
                 "replace them with the quotes of the tender before signing.")
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


def location_name(model: SourcingModel, loc: str) -> str:
    """A location in words, without its cities: "Madagascar", "France – regions"."""
    return names.location_name(loc, model.ref)


def small_steps_grouped(steps: pd.Series, min_eur: float = 50_000,
                        label: str = "other lines") -> pd.Series:
    """The cost bridge's steps with every line moving less than ``min_eur`` summed into one
    (so no bar reads "0.0 M"); the total is unchanged."""
    small = steps.abs() < min_eur
    if small.sum() < 2:
        return steps
    return pd.concat([steps[~small], pd.Series({label: float(steps[small].sum())})])


def weakest_sentence(model: SourcingModel, decision: pd.DataFrame, key: tuple[str, str], *,
                     locale: str = "en_GB") -> str:
    """The risk criteria (cost left out) on which option ``key`` scores lowest, ties named."""
    risks = [c for c in CRITERIA if c != "cost"]
    row = decision.set_index(["location", "form"]).loc[tuple(key), risks].astype(float)
    low = row[np.isclose(row, row.min())].index
    words = [CRITERION_LABELS[c] for c in low]
    named = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return (f"{_upper_first(option_name(model, *key))} scores lowest on {named} "
            f"({present.number(row.min(), locale, 2)} out of 1).")


def missed_checks(model: SourcingModel, checks: pd.DataFrame) -> pd.DataFrame:
    """The published ratios the model misses (``benchmark_checks`` not ``passed``), in words:
    ``check, option, method, model_value, band_low, band_high``."""
    missed = checks[~checks["passed"]]
    return pd.DataFrame({
        "check": missed["check"].map(CHECK_LABELS).fillna(missed["check"]),
        "option": missed["option"].str.replace(
            _CODE, lambda m: (option_name(model, m[1], m[2])
                              if m[1] in model.ref["locations"] else m[0]), regex=True),
        "method": missed["method"].map(METHOD_LABELS).fillna(missed["method"]),
        "model_value": missed["model_value"], "band_low": missed["band_low"],
        "band_high": missed["band_high"]}).reset_index(drop=True)


def invoice_gap_sentence(rec: pd.DataFrame, *, locale: str = "en_GB") -> str:
    """The provider whose invoice is furthest from the model's price, for the status-quo
    comparison (``status_quo_reconciliation``, the appendix's table of all of them)."""
    if rec.empty:
        return ""
    r = rec.loc[rec["gap_pct"].abs().idxmax()]
    more = r["gap_pct"] > 0
    return (f"The status quo is costed at today's invoices: {r['provider']} invoiced "
            f"{_money(r['invoice_eur'], locale)} over the last 12 months against "
            f"{_money(r['model_invoice_eur'], locale)} the model prices for the same work "
            f"({'+' if more else ''}{present.percent(r['gap_pct'], locale, 0)}), the widest gap "
            f"of the {present.count_phrase(len(rec), 'provider', locale=locale)} (all reconciled "
            f"in the appendix).")


def reconciliation_sentence(rec: pd.DataFrame, *, locale: str = "en_GB") -> str:
    """Each provider's invoice against the model's price for the same work, split into the
    price and hours effects (``status_quo_reconciliation``)."""
    if rec.empty:
        return "No provider invoices to reconcile."

    def signed(x):
        return ("+" if x > 0 else "") + _money(x, locale)

    return " ".join(
        f"{r.provider} invoiced {_money(r.invoice_eur, locale)} against "
        f"{_money(r.model_invoice_eur, locale)} modelled "
        f"({'+' if r.gap_pct > 0 else ''}{present.percent(r.gap_pct, locale, 0)}: price per hour "
        f"{signed(r.price_effect_eur)}, hours billed {signed(r.hours_effect_eur)})."
        for r in rec.itertuples())


# --------------------------------------------------------------------------------------------
# Value of service: the ranking with and without it
# --------------------------------------------------------------------------------------------

def service_ranking(model: SourcingModel, mc: pd.DataFrame,
                    weights: Mapping[str, float] | None = None, *,
                    locale: str = "en_GB") -> tuple[str, pd.DataFrame]:
    """The weighted ranking without and with the value of service, side by side.

    ``mc`` is the ``monte_carlo`` table of a model built with ``value_of_service=True``: the
    cost criterion takes the P50 NPV, then the P50 of NPV + lost value (same draws). Returns
    a markdown sentence generated from the table and the table ``location, form, option``
    (in words, as every report names it), ``rank, rank_with_service, move`` (places gained),
    the P50s and the probabilities of beating the comparison, sorted by the rank with the
    value of service (``service_ranking_table`` shows it to reviewers).
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
    table.insert(2, "option", option_names(model, table))
    table["move"] = table["rank"] - table["rank_with_service"]
    table = table.sort_values("rank_with_service", ignore_index=True)
    comp = option_name(model, *model.comparison)
    against = "the status quo" if model.status_quo is not None else "in-house"
    pct = lambda x: present.percent(x, locale, 0)  # noqa: E731

    first, before = table.iloc[0], table.set_index("rank").loc[1]
    lost = table.set_index("option")["service_p50_eur"]
    text = (f"Counting the value of service — the sales and saves lost with abandoned and "
            f"repeat contacts, {_money(lost[comp], locale)} over the contract for {against} "
            f"(median of the simulations), {_money(lost.min(), locale)} to "
            f"{_money(lost.max(), locale)} across the options — ")
    if first["option"] == before["option"]:
        text += f"{first['option']} stays first"
    else:
        text += f"{first['option']} comes first instead of {before['option']}"
    text += (f"; it beats {against} in {pct(first['prob_beats_baseline_with_service'])} of the "
             f"simulations with it, {pct(first['prob_beats_baseline'])} without.")
    moved = table[table["move"] != 0]
    if moved.empty:
        text += (" No option changes rank ("
                 + present.count_phrase(len(table), "option", locale=locale) + " ranked).")
    else:
        big = moved.loc[moved["move"].abs().idxmax()]
        text += (f" {present.number(len(moved), locale)} of "
                 f"{present.number(len(table), locale)} options change rank; the largest "
                 f"move: {big['option']} from "
                 f"{int(big['rank'])} to {int(big['rank_with_service'])} "
                 f"({_money(big['service_p50_eur'], locale)} lost).")
    return _upper_first(text), table


def service_ranking_table(model: SourcingModel, table: pd.DataFrame, *, top: int | None = 8,
                          locale: str = "en_GB") -> present.Table:
    """``service_ranking``'s table for reviewers: options in words, ranks without and with
    the value of service, the median lost value and costs (the first ``top`` rows)."""
    shown = table if top is None else table.head(top)
    return present.table(
        shown[["option", "rank", "rank_with_service", "service_p50_eur", "npv_p50_eur",
               "npv_with_service_p50_eur", "prob_beats_baseline_with_service"]],
        locale=locale, empty="No option was ranked.",
        units={"rank": "count", "rank_with_service": "count", "service_p50_eur": "money:compact",
               "npv_p50_eur": "money:compact", "npv_with_service_p50_eur": "money:compact",
               "prob_beats_baseline_with_service": "percent:0"},
        labels={"option": "Option", "rank": "Rank on cost and risk",
                "rank_with_service": "Rank with the value of service",
                "service_p50_eur": "Sales and saves lost (median)",
                "npv_p50_eur": "Net present cost (median)",
                "npv_with_service_p50_eur": "Net present cost with the value lost (median)",
                "prob_beats_baseline_with_service":
                    f"Cheaper than {_against(model)}, value included, in"})


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
                        weights: Mapping[str, float] | None = None, *,
                        locale: str = "en_GB") -> tuple[str, pd.DataFrame]:
    """Each feasible option's NPV and saving with and without a quality gap, and the new leader.

    ``gap_model`` comes from ``with_quality_gap``. Returns a markdown summary (generated
    from the numbers) and the table ``location, form, npv_eur, saving_pct, npv_gap_eur,
    saving_gap_pct`` (and both comparison NPVs, ``baseline_npv_eur`` and
    ``baseline_gap_npv_eur``: a status quo holding near- or off-shore sites changes too).
    """
    base, gap = tco(model), tco(gap_model)
    table = base[base["feasible"]][["location", "form", "npv_eur", "saving_pct",
                                    "baseline_npv_eur"]].merge(
        gap[["location", "form", "npv_eur", "saving_pct", "baseline_npv_eur"]].rename(
            columns={"npv_eur": "npv_gap_eur", "saving_pct": "saving_gap_pct",
                     "baseline_npv_eur": "baseline_gap_npv_eur"}),
        on=["location", "form"]).sort_values("npv_gap_eur", ignore_index=True)
    top = decision_matrix(model, base, weights, n_perturbations=200)[0].iloc[0]
    top_gap = decision_matrix(gap_model, gap, weights, n_perturbations=200)[0].iloc[0]
    row = table.set_index(["location", "form"]).loc[(top["location"], top["form"])]
    label = option_name(model, top["location"], top["form"])
    against = _against(model)
    d = gap_model.ref["defaults"]
    fcr_home = float(_value(d["fcr_baseline"]))
    fcr_abroad = fcr_home - float(_value(d["fcr_gap"]["offshore"]))
    base_gap = float(_value(model.ref["defaults"]["fcr_gap"]["offshore"]))
    assumed = ("no gap" if base_gap == 0 else
               f"a gap of {present.number(base_gap * 100, locale)} points")
    text = (f"If near- and off-shore sites resolve "
            f"{present.percent(fcr_abroad, locale, 0)} of contacts first time against "
            f"{present.percent(fcr_home, locale, 0)} at home (a stress case: the base case "
            f"assumes {assumed}; check it against the first-contact resolution the KPI "
            f"reports measure at each site), {label} saves "
            f"{present.percent(row['saving_gap_pct'], locale, 0)} against {against} instead of "
            f"{present.percent(row['saving_pct'], locale, 0)}: "
            f"{_money(row['npv_gap_eur'], locale)} in net present cost against "
            f"{_money(row['baseline_gap_npv_eur'], locale)} for {against}, instead of "
            f"{_money(row['npv_eur'], locale)} against {_money(row['baseline_npv_eur'], locale)}")
    if not np.isclose(row["baseline_gap_npv_eur"], row["baseline_npv_eur"]):
        text += (f" ({against} costs more too: its own near- and off-shore sites lose the same "
                 f"quality)")
    text += ". "
    same = (top_gap["location"], top_gap["form"]) == (top["location"], top["form"])
    text += ("It stays first on the weighted criteria." if same else
             f"{_upper_first(option_name(model, top_gap['location'], top_gap['form']))} comes "
             f"first on the weighted criteria instead.")
    return text, table


# --------------------------------------------------------------------------------------------
# Output file
# --------------------------------------------------------------------------------------------

def scenarios_table(scenarios: pd.DataFrame, tco_table: pd.DataFrame, mc: pd.DataFrame,
                    decision: pd.DataFrame, checks: pd.DataFrame | None = None,
                    leaving: pd.DataFrame | None = None) -> pd.DataFrame:
    """One tidy table for the output file: yearly cost lines with TCO, risk and rank columns.

    With ``checks`` (``benchmark_checks``), ``published_range`` says where each location's
    modelled cost sits against the published ratios it misses (``published_range``: "below",
    "above", or "" within them), the word the sourcing report's caution is written from.
    With ``leaving`` (``leaving_costs``), each option's ``people_redundant`` and
    ``people_transferred`` in contract year 1, so the executive summary says whose jobs go.
    """
    keys = ["location", "form"]
    if checks is not None:
        scenarios = scenarios.assign(published_range=[
            published_range(checks, loc) for loc in scenarios["location"]])
    out = scenarios.merge(tco_table.drop(columns=["feasible", "currency", "price_year"]),
                          on=keys, how="left")
    out = out.merge(mc[keys + ["npv_p10_eur", "npv_p50_eur", "npv_p90_eur",
                               "prob_beats_baseline"]], on=keys, how="left")
    crit = [c for c in (*CRITERIA, "risk_score", "score", "rank", "top_share")
            if c in decision.columns and c != "cost"]
    out = out.merge(decision[keys + crit], on=keys, how="left")
    if leaving is not None:
        out = out.merge(leaving[keys + ["people_redundant", "people_transferred"]], on=keys,
                        how="left")
    return out


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table to Parquet atomically (``toolkit.io.write_processed``, mode 0644)."""
    from toolkit.io import write_processed

    return write_processed(table, project_path(path))


# --------------------------------------------------------------------------------------------
# What the headline rests on
# --------------------------------------------------------------------------------------------

#: Tornado drivers that scale a per-location figure: the option's own figure is the input a
#: reviewer should check (driver -> location field, words).
_LOCATION_DRIVERS = {"wage": ("wage_basis", "wage basis"),
                     "charges": ("employer_charges", "employer charges"),
                     "attrition": ("attrition", "staff turnover"),
                     "wage_inflation": ("wage_inflation", "wage inflation"),
                     "price": ("price_per_productive_hour", "market price"),
                     "premises": ("premises_per_seat_month", "premises cost")}
#: Other drivers in words, without their ranges (the chart beside the line shows those).
_DRIVER_NAMES = {"volume": "a miss of the volume forecast", "volume_growth": "volume growth year on year",
                 "aht": "handle time", "fx": "exchange rates",
                 "wage": "wage level", "wage_inflation": "wage inflation",
                 "attrition": "staff turnover", "charges": "employer charges",
                 "price": "market prices", "premises": "premises cost",
                 "discount_rate": "discount rate", "shrinkage": "in-shift shrinkage",
                 "margin": "provider margins", "exit": "exit period",
                 "transition": "transition one-offs", "governance": "contract management cost",
                 "overheads": "overheads",
                 "quality": "quality gap (handle time and first-contact resolution abroad)"}


def driver_figures(model: SourcingModel, driver: str, inputs: str, label: str,
                   location: str) -> tuple[str, dict]:
    """The reference figure behind one tornado driver for an option at ``location``, and its
    name in words: the location's own figure for the drivers that scale one (wage basis,
    charges, turnover, price, premises), the currency's rate for the exchange rate, the
    planning basis's in-shift shrinkage, else the figure whose range the driver uses."""
    loc = model.ref["locations"].get(location, {})
    place = location_name(model, location)
    if driver in _LOCATION_DRIVERS:
        field, words = _LOCATION_DRIVERS[driver]
        if isinstance(loc.get(field), dict):
            return f"{place} {words}", loc[field]
    if driver == "fx":
        currency = loc.get("currency")
        fig = model.ref.get("fx_to_eur", {}).get(currency)
        if currency and currency != "EUR" and isinstance(fig, dict):
            return f"{currency} exchange rate", fig
    if driver == "shrinkage":
        fig = model.basis.figures.get("shrinkage.planned_in_shift")
        if isinstance(fig, dict):
            return "in-shift shrinkage", fig
    first = str(inputs).split(",")[0].strip()
    words = _DRIVER_NAMES.get(driver) or re.sub(
        r"\s+\S*\d\S*(\s*[-/x]\s*\S*\d\S*)*.*$", "", driver_label(label, 200)).rstrip(" :") or driver_label(label)
    node = model.ref["defaults"]
    for part in first.split(".") if first else ():
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return words, (node if isinstance(node, dict) else {})


def rests_on(model: SourcingModel, tor: pd.DataFrame, location: str, *, top: int = 3) -> str:
    """"Rests on: Madagascar wage basis (derived here, 2018, Marood 2018), …": the ``top``
    drivers of the tornado ``tor`` (largest swing first) named by their reference figures for
    the option at ``location``, each with its flag in words, its year and its sources'
    short names (toolkit.sources)."""
    from toolkit.sources import figure_basis, rests_on_line

    ranked = tor.sort_values("swing_eur", ascending=False, kind="stable")
    ranked = ranked[ranked["swing_eur"] > 0].head(top)
    items = []
    for row in ranked.itertuples():
        words, fig = driver_figures(model, row.driver, row.inputs, row.label, location)
        items.append(figure_basis(words, fig) if fig else words)
    return rests_on_line(items)


def figure_sources(model: SourcingModel, locations, field: str) -> list[str]:
    """Per location, the short names of the sources of its ``field`` figure (e.g. the market
    price per productive hour), as a table's "Source" column prints them (toolkit.sources)."""
    from toolkit.sources import short_names

    out = []
    for loc in locations:
        fig = model.ref["locations"].get(loc, {}).get(field)
        out.append(short_names(str(fig.get("source", "")), fig.get("flag"))
                   if isinstance(fig, dict) else "")
    return out
