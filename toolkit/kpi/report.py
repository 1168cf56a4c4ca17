"""Presentation: numbers for people, the scorecard table, the summary text, CSV files.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit import markup, present
from toolkit.atomic import atomic_path
from toolkit.config import DEFAULT_TIMEZONE
from toolkit.errors import ParameterError
from toolkit.kpi.credits import credits_by_month
from toolkit.kpi.definitions import INTERVAL_COLUMNS, INTERVAL_FORMULAS, _combine, parse_period
from toolkit.kpi.simulator import threshold_words


def sl_heatmap_table(intervals: pd.DataFrame, site: str, period: str, *,
                     definition: str = "abandons_as_fail", timezone: str = DEFAULT_TIMEZONE
                     ) -> pd.DataFrame:
    """Service level by weekday (rows, Mon..Sun present) x interval start (columns, HH:MM)
    for one site and month, pooled over the month's weeks (sums, then the ratio)."""
    period = parse_period(period)
    if ("SL", definition) not in INTERVAL_FORMULAS:
        raise ParameterError("definition", definition, ", ".join(
            v for k, v in INTERVAL_FORMULAS if k == "SL"))
    num_terms, den_terms = INTERVAL_FORMULAS[("SL", definition)]
    local = pd.to_datetime(intervals["ds"]).dt.tz_convert(timezone)
    month = local.dt.year.astype(str) + "-" + local.dt.month.astype(str).str.zfill(2)
    mask = (intervals["site"].astype(str) == site) & (month == period)
    if not mask.any():
        return pd.DataFrame()
    d = intervals.loc[mask, list(INTERVAL_COLUMNS)].astype(float)
    d = d.assign(_num=_combine(d, num_terms), _den=_combine(d, den_terms),
                 weekday=local[mask].dt.day_of_week.to_numpy(),
                 time=local[mask].dt.strftime("%H:%M").to_numpy())
    sums = d.groupby(["weekday", "time"])[["_num", "_den"]].sum()
    table = (sums["_num"] / sums["_den"].where(sums["_den"] > 0)).unstack("time")
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    table.index = [names[i] for i in table.index]
    return table


def heatmap_title(table: pd.DataFrame, site: str, period: str, locale: str = "fr_FR", *,
                  target: float = 0.80) -> str:
    """A title stating the heatmap's finding: the weakest weekday x half-hour cell and the
    share of cells below the SL ``target``."""
    month_name = present.month(period, locale)
    if table.empty or table.isna().all().all():
        return f"{site}, {month_name}: no interval data for the month"
    stacked = table.stack()
    (day, time), worst = stacked.idxmin(), stacked.min()
    share_below = float((stacked < target).mean())
    return (f"{site}, {month_name}: service level weakest on {day} {time} "
            f"({format_value(worst, 'fraction', locale)}); "
            f"{format_value(share_below, 'fraction', locale)} of half-hours below "
            f"{format_value(target, 'fraction', locale)}")


def check_locale(locale: str) -> str:
    """Return ``locale`` if babel knows it, else ParameterError (``toolkit.present``)."""
    return present.check_locale(locale)


def format_value(value, unit: str, locale: str = "fr_FR", *, currency: str = "EUR",
                 delta: bool = False) -> str:
    """A KPI value for people: % with one decimal, seconds, points, money per contact.

    ``delta`` formats a difference: fractions become percentage points (``pp``) with a sign.
    NaN -> an en dash. The numbers come from ``toolkit.present``.
    """
    if present.is_missing(value):
        return present.MISSING
    value = float(value)
    if unit == "fraction":
        text = (present.points(value, locale) if delta
                else present.percent(value, locale, 1))
        return text
    suffix, decimals = {"seconds": (" s", 0), "hours": (" h", 1), "points": (" pts", 1),
                        "eur_per_contact": ("", 2), "money": ("", 2)}.get(unit, ("", None))
    if decimals is None:  # an undeclared unit: the decimals it needs, at most three
        decimals = next(d for d in range(4) if d == 3 or round(value, d) == round(value, 3))
    text = (present.money(value, locale, currency) if unit in ("eur_per_contact", "money")
            else present.number(value, locale, decimals) + suffix)
    sign = "+" if delta and round(value, decimals) > 0 else ""
    return sign + text


def format_money(value, locale: str = "fr_FR", currency: str = "EUR") -> str:
    """An amount of money in the locale's format, whole euros as in the report's tables
    (NaN -> en dash), via ``toolkit.present``."""
    return present.money(value, locale, currency, decimals=0)


def _rule_text(row, low: str, high: str, locale: str) -> str:
    """``≥ low``, ``≤ high`` or ``low – high`` by the KPI's direction, in its unit."""
    unit = row["unit"]
    if row["direction"] == "higher":
        return "≥ " + format_value(row[low], unit, locale)
    if row["direction"] == "lower":
        return "≤ " + format_value(row[high], unit, locale)
    return format_value(row[low], unit, locale) + " – " + format_value(row[high], unit, locale)


def target_text(row, locale: str = "fr_FR") -> str:
    """The target of a scorecard row as a readable rule (``≥ 80,0 %``, ``300–420 s``)."""
    return _rule_text(row, "target_low", "target_high", locale)


def amber_text(row, locale: str = "fr_FR") -> str:
    """The amber range of a scorecard row as a readable rule (what is still amber)."""
    return _rule_text(row, "amber_low", "amber_high", locale)


#: How reviewers read the scorecard's machine words (sources, directions, units).
SOURCE_WORDS = {"interval": "telephony data", "provider_report": "provider's report",
                "platform_report": "platform report", "derived": "derived"}
DIRECTION_WORDS = {"higher": "higher", "lower": "lower", "band": "within a range"}
#: KPIs that follow the staffing of the seats: at a hosted-seats site the company staffs
#: them with its own agents, so their misses are not the provider's.
STAFFING_KPIS = ("SL", "ASA", "ABANDON", "OCC", "AHT", "ABSENT", "ATTR")


def _table(df: pd.DataFrame, *, labels: dict | None = None, units: dict | None = None,
           **kwargs):
    """``present.table`` with the labels and units of the columns ``df`` has (a table drops
    its site column when it shows one site)."""
    labels = {k: v for k, v in (labels or {}).items() if k in df.columns}
    units = {k: v for k, v in (units or {}).items() if k in df.columns}
    return present.table(df, labels=labels, units=units, **kwargs)


def status_text(status) -> str:
    """A status in words with its symbol (``✓ on target``, ``▲ watch``, ``✕ missed``)."""
    from toolkit.plots import status_label

    return status_label(status)


def objective_names(catalogue: dict | None) -> dict:
    """Objective key -> its name for people (``cross_sell`` -> ``Cross-sell``)."""
    objectives = (catalogue or {}).get("objectives") or {}
    return {k: v.get("name", k) for k, v in objectives.items()}


def _objective(key, catalogue) -> str:
    names = objective_names(catalogue)
    return names.get(key, str(key).replace("_", " ").capitalize())


def hosted_sites(sites: pd.DataFrame | None, site_ids) -> list[str]:
    """The sites of ``site_ids`` run as hosted seats (the company's own agents)."""
    if sites is None or "engagement_form" not in sites.columns:
        return []
    form = dict(zip(sites["site"].astype(str), sites["engagement_form"].astype(str),
                    strict=True))
    return [s for s in site_ids if form.get(str(s), "").upper() == "HOSTED"]


def company_owned(card: pd.DataFrame, sites: pd.DataFrame | None) -> pd.Series:
    """Per scorecard row, True when the KPI is the company's own to answer for, not the
    provider's: at a hosted-seats site (``sites``' engagement form) the agents are the
    company's, so every KPI outside the platform objective measures them — unless the contract
    credits it to the provider (``credit_allocation`` above 0, ``agent_performance_credits``).
    The provider answers for every KPI of the other forms. Rows without an ``objective``
    column, or without ``sites``, are the provider's."""
    from toolkit.kpi.contract import PLATFORM_OBJECTIVE

    hosted = set(hosted_sites(sites, list(dict.fromkeys(card["site"].astype(str))))
                 if "site" in card.columns else [])
    if not hosted or "objective" not in card.columns:
        return pd.Series(False, index=card.index)
    credited = (pd.to_numeric(card["credit_allocation"], errors="coerce").fillna(0.0) > 0
                if "credit_allocation" in card.columns else False)
    return (card["site"].astype(str).isin(hosted)
            & (card["objective"].astype(str) != PLATFORM_OBJECTIVE) & ~credited)


def staffing_note(sites: pd.DataFrame | None, site_ids) -> str:
    """The sentence a staffing figure needs at hosted-seats sites: the company staffs them,
    so a shortfall there is the company's to fix, not the provider's (empty when none)."""
    hosted = hosted_sites(sites, site_ids)
    if not hosted:
        return ""
    names = ", ".join(markup.md(s) for s in hosted)
    verb = "is a hosted-seats site" if len(hosted) == 1 else "are hosted-seats sites"
    return (f"{names} {verb}: the agents there are the company's own, so the company, not the "
            "provider, decides how many hours are staffed; a staffing shortfall there is "
            "ours to fix, and the provider answers for seats and platform.")


def scorecard_display(card: pd.DataFrame, locale: str = "fr_FR",
                      catalogue: dict | None = None) -> pd.DataFrame:
    """The scorecard as formatted text columns for the report table: labels for people,
    status in words and symbol; the provider column only when several providers are shown
    (the section heading names a single one)."""
    several = card["site"].nunique() > 1
    table = pd.DataFrame({
        **({"Provider": card["provider"] + " (" + card["site"] + ")"} if several else {}),
        "Objective": [_objective(o, catalogue) for o in card["objective"]],
        "KPI": card["name"] + " (" + card["kpi"] + ")",
        "Actual": [format_value(v, u, locale) for v, u in zip(card["actual"], card["unit"],
                                                              strict=True)],
        "Target": [target_text(r, locale) for _, r in card.iterrows()],
        "Watch if": [amber_text(r, locale) for _, r in card.iterrows()],
        "Status": [status_text(s) for s in card["status"]],
        "Change on last month": [format_value(v, u, locale, delta=True)
                                 for v, u in zip(card["mom_delta"], card["unit"], strict=True)],
        "12-month average": [format_value(v, u, locale)
                             for v, u in zip(card["avg_12m"], card["unit"], strict=True)],
        "Trend": card["trend"],
        **({"Data check": card["data_check"].fillna("")} if "data_check" in card.columns
           else {}),
        "Rank": [("–" if pd.isna(r) else f"{int(r)} of {int(n)}")
                 for r, n in zip(card["rank"], card["n_ranked"], strict=True)],
    })
    return table.reset_index(drop=True)


def style_scorecard(card: pd.DataFrame, locale: str = "fr_FR", catalogue: dict | None = None):
    """A pandas Styler of the scorecard with status cells in their colour, in words and
    symbol, written in the colour that stays legible on it (``plots.STATUS_STYLE``); every
    text cell shown as text (``toolkit.markup.style``: HTML-escaped, bidi controls removed)."""
    from toolkit.plots import STATUS_STYLE

    table = scorecard_display(card, locale, catalogue)
    by_label = {status_text(s): st for s, st in STATUS_STYLE.items()}

    def colour(label: str) -> str:
        st = by_label.get(label, STATUS_STYLE["no data"])
        fill = st["color"] if st["filled"] else "white"
        return (f"background-color: {fill}; color: {st['text']}; font-weight: bold; "
                f"border: 1px solid {st['color']}")

    return markup.style(table).hide(axis="index").map(colour, subset=["Status"])


def _kpi_item(r, locale: str, with_value: bool = True) -> str:
    name = markup.md(r["name"])
    if not with_value or present.is_missing(r["actual"]):
        return name
    return (f"{name} {format_value(r['actual'], r['unit'], locale)} "
            f"(target {target_text(r, locale)})")


def summary_text(card: pd.DataFrame, credits: pd.DataFrame, period: str,
                 locale: str = "fr_FR", *, gaps: pd.DataFrame | None = None,
                 flags: pd.DataFrame | None = None, sites: pd.DataFrame | None = None) -> str:
    """Headline per provider (Markdown), from the scorecard and credits tables beside it:
    KPIs missed / to watch / without data with actual vs target, how many on target, and
    the credit due for the month (and pending earn-back). At a hosted-seats site (``sites``)
    it says that the company staffs the seats. Provider, site and KPI names go through
    ``markup.md``: they come from data files and are shown as text."""
    month_name = present.month(period, locale)
    by_month = credits_by_month(credits)
    lines = []
    for site, g in card.groupby("site", sort=False):
        provider = markup.md(g["provider"].iloc[0])
        n_green = int((g["status"] == "green").sum())
        parts = [f"{present.number(n_green, locale)} of {present.number(len(g), locale)} KPIs "
                 "on target"]
        for status in ("red", "amber", "no data"):
            s = g[g["status"] == status]
            if s.empty:
                continue
            items = ", ".join(_kpi_item(r, locale, status != "no data")
                              for _, r in s.iterrows())
            parts.append(f"{status_text(status)}: {items}")
        m = by_month[(by_month["site"] == site) & (by_month["month"] == period)]
        if m.empty:
            parts.append("no service credit applies (the contract sets no credit for this "
                         "provider)")
        elif m["invoice_eur"].isna().all():
            parts.append("credit unknown: no invoice reported for the month")
        else:
            due = m["credit_due_eur"].sum()
            text = ("no credit due for the month" if due <= 0
                    else f"credit due for the month: {format_money(due, locale)}")
            pending = m["credit_pending_eur"].sum()
            if pending > 0:
                text += (f" (+ {format_money(pending, locale)} pending: the provider can still "
                         "earn it back)")
            year = by_month[(by_month["site"] == site) & (by_month["month"] <= period)
                            & (by_month["month"].str[:4] == period[:4])]
            text += (f"; {format_money(year['credit_due_eur'].sum(), locale)} due so far "
                     f"in {period[:4]}")
            parts.append(text)
        if gaps is not None and not gaps.empty:
            missing = gaps[gaps["site"] == site]["month"].tolist()
            if missing:
                parts.append("provider report missing for "
                             + ", ".join(present.month(m, locale) for m in missing))
        if flags is not None and not flags.empty:
            f = flags[flags["site"] == site]
            if not f.empty:
                names = dict(zip(g["kpi"], g["name"], strict=True))
                parts.append("figures to verify with the provider before use: " + ", ".join(
                    f"{markup.md(names.get(r.kpi, r.kpi))} "
                    f"({CHECK_WORDS.get(r.check, r.check)}, "
                    f"{present.count_phrase(r.n_months, 'month', locale=locale)})"
                    for r in f.itertuples()))
        line = (f"- **{provider} ({markup.md(site)}), {month_name}**: "
                + "; ".join(parts) + ".")
        note = staffing_note(sites, [site])
        lines.append(line + (" " + note if note else ""))
    return "\n".join(lines)


#: The data checks in words (``toolkit.kpi.quality``).
CHECK_WORDS = {"constant": "the same value every month",
               "rounded": "a whole percentage every month",
               "impossible": "impossible against the interval data"}


def report_headline(card: pd.DataFrame, credits: pd.DataFrame, period: str,
                    locale: str = "fr_FR", catalogue: dict | None = None,
                    sites: pd.DataFrame | None = None) -> tuple[str, str]:
    """The report card's one-sentence answer and its status, from the scorecard and the
    credits tables the report shows: objectives fully met, KPIs missed, credit due and the
    month's credit pending earn-back.

    At a hosted-seats site (``sites``) the misses of the company's own agents
    (``company_owned``) are said to be ours, apart from the provider's own KPIs (seats and
    platform), so the card never blames the provider for them.

    Status ``attention`` when a KPI is missed (beyond its tolerance or below its floor) or a
    credit is due for the month, else ``ok``."""
    from toolkit.kpi.scorecard import objective_summary

    month_name = present.month(period, locale)
    if card.empty:
        return f"No contracted KPI to score for {month_name}.", "info"
    objectives = objective_summary(card)
    met = int((objectives["score"] >= 1).sum())
    missed = card[card["status"] == "red"]
    ours = company_owned(card, sites)
    by_month = credits_by_month(credits)
    this_month = by_month.loc[by_month["month"] == period]
    due = float(this_month["credit_due_eur"].sum())
    pending = float(this_month["credit_pending_eur"].sum())
    parts = [f"{present.number(met, locale)} of {present.number(len(objectives), locale)} "
             "objectives fully met"]

    def kpis(rows) -> str:
        return (f"{present.count_phrase(len(rows), 'KPI', 'KPIs', locale=locale)} "
                f"({', '.join(str(n) for n in rows['name'])})")

    if ours.any():
        hosts = " and ".join(f"{p}'s" for p in dict.fromkeys(card.loc[ours, "provider"]
                                                              .astype(str)))
        own_missed = missed[ours.loc[missed.index]]
        theirs = card[~ours]
        their_missed = theirs[theirs["status"] == "red"]
        their_watch = theirs[theirs["status"] == "amber"]
        parts.append(f"our own agents at {hosts} hosted seats "
                     + (f"missed {kpis(own_missed)}" if not own_missed.empty
                        else "missed no KPI"))
        theirs_text = ([f"{kpis(their_missed)} missed"] if not their_missed.empty else
                       ["none missed"])
        if not their_watch.empty:
            theirs_text.append(f"{present.number(len(their_watch), locale)} on watch")
        whose = (f"{card['provider'].iloc[0]}'s own KPIs (seats and platform)"
                 if card["site"].nunique() == 1 else "the providers' own KPIs")
        parts.append(f"{whose}: {', '.join(theirs_text)}")
    elif missed.empty:
        parts.append("no KPI missed")
    else:
        parts.append(f"{present.count_phrase(len(missed), 'KPI', 'KPIs', locale=locale)} "
                     f"missed ({', '.join(str(n) for n in missed['name'])})")
    credit = (f"{format_money(due, locale)} credit due for {month_name}" if due > 0
              else f"no service credit due for {month_name}")
    if pending > 0:
        credit += (f" ({format_money(pending, locale)} triggered this month, pending "
                   "earn-back)")
    parts.append(credit)
    text = "; ".join(parts)
    status = "attention" if (not missed.empty or due > 0) else "ok"
    return text[0].upper() + text[1:] + ".", status


def credits_sentence(by_month: pd.DataFrame, period: str, locale: str = "fr_FR",
                     credits: pd.DataFrame | None = None, catalogue: dict | None = None,
                     sites: pd.DataFrame | None = None) -> str:
    """What the credits tables beside it say: which KPIs the contract credits (from
    ``credits``, the per-KPI rows ``by_month`` sums), the month's credit due or pending and on
    which KPIs, which months the table shows and why, and over those months the credits due,
    pending and earned back. Amounts in whole euros, as in the tables."""
    from toolkit.kpi.definitions import trailing_months

    month_name = present.month(period, locale)
    if by_month.empty:
        return f"The contract sets no service credit for this provider: none is due for {month_name}."
    kpis = (catalogue or {}).get("kpis") or {}

    def name(k):
        return kpis.get(k, {}).get("name", k)

    parts = []
    if credits is not None and not credits.empty:
        hosted = set(hosted_sites(sites, list(dict.fromkeys(credits["site"]))))
        for site, g in credits.groupby("site", sort=False):
            credited = list(dict.fromkeys(g["kpi"]))
            text = f"At {site} the contract credits {_and([name(k) for k in credited])}"
            if "SL" not in credited:
                text += (" only; service level and the other agent KPIs are scored but carry no "
                         "credit")
                if site in hosted:
                    text += (" (hosted seats: the agents are the company's own, the provider "
                             "answers for seats and platform)")
            trigger = g["trigger"].iloc[0]
            text += (". A credited KPI fails as soon as it misses its target, so a ▲ watch "
                     "KPI can carry a credit" if trigger == "below_target"
                     else ". A credited KPI fails only below its contractual minimum")
            parts.append(text + ".")
    rows = by_month[by_month["month"].isin(trailing_months(period))]
    now = rows[rows["month"] == period]
    due_now = float(now["credit_due_eur"].sum())
    pending_now = float(now["credit_pending_eur"].sum())
    if due_now > 0:
        parts.append(f"A credit of {format_money(due_now, locale)} is due for {month_name}.")
    elif pending_now > 0:
        text = f"No credit is due yet for {month_name}: {format_money(pending_now, locale)} is pending"
        if credits is not None:
            on = credits[(credits["month"] == period) & (credits["earn_back"] == "pending")]
            if not on.empty:
                text += " on " + _and([f"{name(r.kpi)} ({status_text(r.status)})"
                                       for r in on.itertuples()])
        parts.append(text + ", which the provider earns back by meeting the target in the "
                     "following months (the table below counts it as pending, not deducted).")
    else:
        parts.append(f"No credit is due for {month_name}.")
    shown = rows[(rows[["credit_due_eur", "credit_pending_eur", "waived_eur"]].sum(axis=1) > 0)
                 | (rows["month"] == period)]
    quiet = [m for m in trailing_months(period) if m not in set(shown["month"])]
    if quiet:
        parts.append(f"The table shows the months of the last 12 with a credit due, pending or "
                     f"earned back, and {month_name}; {_month_ranges(quiet, locale)} "
                     f"carried no credit.")
    due = rows[rows["credit_due_eur"] > 0]
    if due.empty:
        parts.append("No credit was due in any of the last 12 months.")
    else:
        months = _and([present.month(m, locale) for m in dict.fromkeys(due["month"])])
        parts.append(f"Over the last 12 months {format_money(due['credit_due_eur'].sum(), locale)}"
                     f" was due, in {months}.")
    extra = []
    if rows["credit_pending_eur"].sum() > 0:
        extra.append(f"{format_money(rows['credit_pending_eur'].sum(), locale)} is pending "
                     "(the provider can still earn it back)")
    if rows["waived_eur"].sum() > 0:
        extra.append(f"{format_money(rows['waived_eur'].sum(), locale)} was earned back by "
                     "meeting the target afterwards")
    if extra:
        parts.append(extra[0][0].upper() + "; ".join(extra)[1:] + ".")
    both = rows[(rows["credit_due_eur"] > 0) & (rows["waived_eur"] > 0)]
    if not both.empty:
        r = both.iloc[0]
        parts.append("Each KPI's credit is earned back on its own, so a month can be partly due "
                     f"and partly earned back ({present.month(r['month'], locale)}: "
                     f"{format_money(r['credit_due_eur'], locale)} due, "
                     f"{format_money(r['waived_eur'], locale)} earned back).")
    return " ".join(parts)


def _month_ranges(months: list[str], locale: str) -> str:
    """Consecutive months as ranges: ``November 2025 to March 2026 and June 2026``."""
    runs: list[list[str]] = []
    for m in sorted(months):
        if runs and pd.Period(m, "M") == pd.Period(runs[-1][-1], "M") + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return _and([present.month(r[0], locale) if len(r) == 1
                 else f"{present.month(r[0], locale)} to {present.month(r[-1], locale)}"
                 for r in runs])


def _and(items: list[str]) -> str:
    return present.and_list(items)


def credits_table(by_month: pd.DataFrame, period: str, locale: str = "fr_FR"):
    """The months of the last 12 that carried a credit (due, pending or earned back), and the
    report month, one row per month (and provider when several): invoice, amount at risk,
    credit due, pending and earned back. ``credits_sentence`` gives the totals."""
    from toolkit.kpi.definitions import trailing_months

    rows = by_month[by_month["month"].isin(trailing_months(period))]
    rows = rows[(rows[["credit_due_eur", "credit_pending_eur", "waived_eur"]].sum(axis=1) > 0)
                | (rows["month"] == period)]
    columns = (["site"] if rows["site"].nunique() > 1 else []) + [
        "month", "invoice_eur", "at_risk_eur", "credit_due_eur", "credit_pending_eur",
        "waived_eur"]
    money = {c: "money:0" for c in columns if c.endswith("_eur")}
    return _table(
        rows[columns], units={"month": "month", **money}, locale=locale,
        labels={"site": "Site", "month": "Month", "invoice_eur": "Invoice",
                "at_risk_eur": "At risk", "credit_due_eur": "Credit due",
                "credit_pending_eur": "Pending", "waived_eur": "Earned back"},
        empty=f"No service credit applies: the contract sets none for "
              f"{'these providers' if by_month['site'].nunique() > 1 else 'this provider'}.")


#: The earn-back verdicts of ``toolkit.kpi.service_credits`` in words.
EARN_BACK_WORDS = {"due": "due", "n/a": "due (no earn-back clause)",
                   "pending": "pending: can still be earned back",
                   "waived": "earned back", "not failed": "not failed",
                   "no invoice": "no invoice reported"}


def failed_credits_table(credits: pd.DataFrame, period: str, locale: str = "fr_FR",
                         catalogue: dict | None = None):
    """The credited KPIs that failed in ``period``, with what each costs the provider; an
    empty month says so in a sentence."""
    failed = credits[(credits["month"] == period) & (credits["gross_credit_eur"] > 0)]
    kpis = (catalogue or {}).get("kpis") or {}
    shown = pd.DataFrame({
        **({"site": failed["site"]} if failed["site"].nunique() > 1 else {}),
        "kpi": [kpis.get(k, {}).get("name", k) + f" ({k})" for k in failed["kpi"]],
        "status": [status_text(s) for s in failed["status"]],
        "value": [format_value(v, kpis.get(k, {}).get("unit", ""), locale)
                  for v, k in zip(failed["value"], failed["kpi"], strict=True)],
        "at_risk_eur": failed["at_risk_eur"], "capped_credit_eur": failed["capped_credit_eur"],
        "credit_eur": failed["credit_eur"],
        "earn_back": [EARN_BACK_WORDS.get(v, v) for v in failed["earn_back"]]})
    return _table(
        shown, locale=locale,
        units={"at_risk_eur": "money:0", "capped_credit_eur": "money:0", "credit_eur": "money:0",
               "kpi": "text", "status": "text", "value": "text", "earn_back": "text"},
        labels={"site": "Site", "kpi": "KPI", "status": "Status", "value": "Value",
                "at_risk_eur": "At risk", "capped_credit_eur": "Credit after caps",
                "credit_eur": "Credit due or pending", "earn_back": "Earn-back"},
        empty=f"No credited KPI failed in {present.month(period, locale)}: no credit this month.")


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table as CSV atomically (``toolkit.atomic``: mode 0644, meant to be shared).

    Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) are
    written with a leading apostrophe: provider and site names come from data files.
    """
    from toolkit.markup import csv_safe

    table = csv_safe(table)
    path = Path(path)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8")
    return path


def write_scorecard(card: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the scorecard CSV (atomic)."""
    return write_csv(card, path)


def write_credits(credits: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the service-credit CSV (atomic)."""
    return write_csv(credits, path)


def plain_rule(text: str) -> str:
    """A control-chart rule in plain words: "beyond 3σ" -> "outside the usual range", "run of
    8 on one side" -> "8 months in a row on one side of the centre", "2 of 3 beyond 2σ" ->
    "2 of 3 months near the edge of the range" (titles and signals tables)."""
    import re

    text = re.sub(r"(\d+) of (\d+) beyond [\d.]+σ", r"\1 of \2 months near the edge of the range",
                  str(text))
    text = re.sub(r"beyond [\d.]+σ", "outside the usual range", text)
    text = re.sub(r"run of (\d+) on one side", r"\1 months in a row on one side of the centre",
                  text)
    return re.sub(r"(\d+) months signal", r"\1 unusual months", text)


def plain_specs(specs: dict) -> dict:
    """Control-chart panels (``control_chart_specs``) titled in plain words from their own
    chart: the site and the KPI's name, then on a second line how many months stand out and
    the latest of them."""
    out = {}
    for title, spec in specs.items():
        head = spec.get("label") or title.split(": ", 1)[0]
        chart = spec["chart"]
        hit = [present.month(m, short=True)
               for m, s in zip(chart.index, chart["signal"], strict=True) if s]
        if "limits" in chart.columns and (chart["limits"] == "none").all():
            tail = "too few months for a usual range"
        elif not hit:
            tail = "no unusual month"
        elif len(hit) == 1:
            tail = f"unusual in {hit[0]}"
        else:
            tail = f"{len(hit)} unusual months, latest {hit[-1]}"
        out[f"{head}\n{tail}"] = spec
    return out


def signals_display(signals: pd.DataFrame, catalogue: dict, locale: str = "fr_FR", *,
                    top: int | None = None):
    """The control-chart signals as a table for people: one row per site and KPI, the months
    that stand out (latest first), the latest value, why, and the usual range. ``top`` keeps
    the KPIs with the most such months."""
    kpis = catalogue["kpis"]
    rows = []
    for (site, kpi_id), g in signals.groupby(["site", "kpi"], sort=False):
        g = g.sort_values("month")
        last = g.iloc[-1]
        unit = kpis[kpi_id]["unit"]
        months = [present.month(m, locale) for m in g["month"]]
        rows.append({
            "site": site, "kpi": f"{kpis[kpi_id]['name']} ({kpi_id})",
            "n": len(g), "months": ", ".join(months[::-1][:4])
            + (f" and {len(months) - 4} more" if len(months) > 4 else ""),
            "value": format_value(last["value"], unit, locale),
            "rule": plain_rule(last["rule"]),
            "range": (f"{format_value(last['lcl'], unit, locale)} – "
                      f"{format_value(last['ucl'], unit, locale)}"
                      + (" (provisional)" if last["limits"] == "provisional" else ""))})
    table = pd.DataFrame(rows, columns=["site", "kpi", "n", "months", "value", "rule", "range"])
    table = table.sort_values("n", ascending=False, kind="stable")
    if top is not None:
        table = table.head(top)
    if table["site"].nunique() <= 1:
        table = table.drop(columns="site")
    return _table(
        table, locale=locale, units={"n": "count", "value": "text", "range": "text"},
        labels={"site": "Site", "kpi": "KPI", "n": "Unusual months", "months": "Which (latest first)",
                "value": "Latest unusual value", "rule": "Why it stands out",
                "range": "Usual range"},
        empty="No month stands out in any control chart: the variation is the usual one.")


def signals_sentence(signals: pd.DataFrame, catalogue: dict, period: str,
                     locale: str = "fr_FR") -> str:
    """One sentence over the same signals table: how many KPIs have unusual months, and
    whether the report month is one of them."""
    if signals.empty:
        return "No month stands out in any control chart."
    from toolkit.kpi.control import control_settings
    from toolkit.kpi.definitions import trailing_months

    kpis = catalogue["kpis"]
    now = signals[signals["month"] == period]
    n = signals.groupby(["site", "kpi"]).ngroups
    judged_n = control_settings(catalogue).judged_months
    judged = signals["month"].isin(trailing_months(period, judged_n))
    split = (f"{present.number(int(judged.sum()), locale)} in the last "
             f"{present.number(judged_n, locale)} months")
    if (~judged).any():
        split += (f", {present.number(int((~judged).sum()), locale)} earlier, among the months "
                  "that set the limits")
    first = (f"{present.count_phrase(n, 'KPI', 'KPIs', locale=locale)} "
             f"{'has' if n == 1 else 'have'} months outside the usual variation "
             f"({present.count_phrase(len(signals), 'month', locale=locale)} in all: {split})")
    if now.empty:
        return first + f"; {present.month(period, locale)} itself is not one of them."
    names = ", ".join(dict.fromkeys(kpis[k]["name"] for k in now["kpi"]))
    return first + f"; in {present.month(period, locale)}: {markup.md(names)}."


def flags_table(flags: pd.DataFrame, card: pd.DataFrame, locale: str = "fr_FR"):
    """The data checks the provider's figures failed: KPI, check in words, months, detail."""
    names = dict(zip(card["kpi"], card["name"], strict=True)) if not card.empty else {}
    shown = pd.DataFrame({
        **({"site": flags["site"]} if flags["site"].nunique() > 1 else {}),
        "kpi": [f"{names.get(k, k)} ({k})" for k in flags["kpi"]],
        "check": [CHECK_WORDS.get(c, c) for c in flags["check"]],
        "months": [present.month_span(m, locale) for m in flags["months"]],
        "detail": flags["detail"]})
    return _table(shown, locale=locale,
                         labels={"site": "Site", "kpi": "KPI", "check": "Check failed",
                                 "months": "Months", "detail": "What was seen"},
                         empty="Every provider figure passed the data checks.")


def gaps_table(gaps: pd.DataFrame, locale: str = "fr_FR"):
    """Months missing from the provider reports (a sentence when none is)."""
    shown = gaps.rename(columns=str)
    units = {"month": "month"} if "month" in shown.columns else {}
    return _table(shown, locale=locale, units=units,
                         labels={c: c.replace("_", " ").capitalize() for c in shown.columns},
                         empty="No provider-report month is missing over the last 12 months.")


def definitions_table(catalogue: dict, kpi_ids=None, locale: str = "fr_FR"):
    """The KPI catalogue for reviewers: name, objective, what it measures, which way is
    better, where the figure comes from (``kpi_ids``: only those, in catalogue order)."""
    rows = []
    for kpi_id, spec in catalogue["kpis"].items():
        if kpi_ids is not None and kpi_id not in set(kpi_ids):
            continue
        rows.append({"kpi": f"{spec['name']} ({kpi_id})",
                     "objective": _objective(spec["objective"], catalogue),
                     "definition": " ".join(str(spec.get("definition", "")).split()),
                     "better": DIRECTION_WORDS.get(spec["direction"], spec["direction"]),
                     "source": SOURCE_WORDS.get(spec["source"], spec["source"])})
    return _table(pd.DataFrame(rows, columns=["kpi", "objective", "definition", "better",
                                                     "source"]),
                         locale=locale,
                         labels={"kpi": "KPI", "objective": "Objective",
                                 "definition": "What it measures", "better": "Better when",
                                 "source": "Measured from"},
                         empty="The KPI catalogue is empty.")


def audit_table(findings: pd.DataFrame, locale: str = "fr_FR",
                sites: pd.DataFrame | None = None):
    """The right-sizing audit of the month (``toolkit.kpi.audit_findings``) for reviewers.
    At a hosted-seats site (``sites``) a shortfall is the company's own staffing, not a
    demand on the provider, and the finding says so."""
    shown = findings.drop(columns=["provider"] + [c for c in ("sl_target",)
                                                   if c in findings.columns])
    hosted = set(hosted_sites(sites, list(shown["site"])))
    shown["finding"] = [
        ("the company's own staffing is short of the target (hosted seats: we staff them)"
         if s in hosted and str(f).startswith("staffing demand") else f)
        for s, f in zip(shown["site"], shown["finding"], strict=True)]
    if shown["site"].nunique() <= 1:
        shown = shown.drop(columns="site")
    return _table(
        shown, locale=locale,
        units={"month": "month", "required_hours": "hours:0", "billed_hours": "hours:0",
               "delivered_hours": "hours:0", "billed_vs_required": "percent:0",
               "billed_vs_delivered": "percent:0", "required_fte": "number:1",
               "sl_actual": "percent", "finding": "text"},
        labels={"site": "Site", "month": "Month", "sl_actual": "Service level",
                "required_hours": "Required", "billed_hours": "Billed",
                "delivered_hours": "Delivered", "billed_vs_required": "Billed ÷ required",
                "billed_vs_delivered": "Billed ÷ delivered",
                "required_fte": "Required FTE (the site country's working time)", "finding": "What it calls for"},
        empty="No site has both interval data and a billed-hours report this month.")


def simulation_table(candidates: pd.DataFrame, locale: str = "fr_FR"):
    """The contract simulator's candidates for reviewers: staffing level, service level
    reached, how often the SLA breaks, what the credits would cost a year."""
    columns = ["site", "staffing_factor", "sl_median", "sl_p05", "sl_months_breached",
               "sl_p_breach_in_year", "expected_credits_eur", "p95_credits_eur"]
    shown = candidates[columns]
    below = "Months below the threshold"
    if shown["site"].nunique() <= 1:
        shown = shown.drop(columns="site")
        if len(candidates):
            r = candidates.iloc[0]
            below = f"Months below the {threshold_words(r['sl_threshold'], r['sl_target'], locale)}"
    return _table(
        shown, locale=locale,
        units={"staffing_factor": "percent:0", "sl_median": "percent", "sl_p05": "percent",
               "sl_months_breached": "percent", "sl_p_breach_in_year": "percent:0",
               "expected_credits_eur": "money:0", "p95_credits_eur": "money:0"},
        labels={"site": "Site", "staffing_factor": "Staffing (share of requirement)",
                "sl_median": "Service level, typical month",
                "sl_p05": "Service level, 1 month in 20",
                "sl_months_breached": below,
                "sl_p_breach_in_year": "Chance of at least one such month a year",
                "expected_credits_eur": "Credits a year, expected",
                "p95_credits_eur": "Credits a year, 1 year in 20"},
        empty="No candidate staffing level was simulated.")


def simulation_sentence(candidates: pd.DataFrame, locale: str = "fr_FR") -> str:
    """What the simulator's threshold is for each site (its service-level target or its
    contractual minimum, as the contract's credit trigger says) and whether a miss costs the
    provider a credit there, from the same candidates table the simulator's table shows."""
    parts = []
    for site, g in candidates.groupby("site", sort=False):
        r = g.iloc[0]
        if not np.isfinite(r["sl_threshold"]):
            parts.append(f"{site}: the contract sets no service level to simulate.")
            continue
        words = threshold_words(r["sl_threshold"], r["sl_target"], locale)
        if bool(r["sl_credited"]):
            parts.append(f"{site}: a month counts as missed below the {words}, the threshold "
                         f"the contract's credit clause uses; the credits are what those "
                         "misses would cost the provider.")
        else:
            parts.append(f"{site}: a month counts as missed below the {words}; the contract "
                         "credits no service level at this site (its credits sit on other "
                         "KPIs), so these misses cost the provider nothing.")
    return " ".join(parts)


def objectives_table(objectives: pd.DataFrame, catalogue: dict | None = None,
                     locale: str = "fr_FR"):
    """Each objective's weighted score (the chart beside it shows the counts per status)."""
    shown = pd.DataFrame({
        **({"site": objectives["site"]} if objectives["site"].nunique() > 1 else {}),
        "objective": [_objective(o, catalogue) for o in objectives["objective"]],
        "n_kpis": objectives["n_kpis"], "score": objectives["score"]})
    return _table(shown, locale=locale, units={"n_kpis": "count", "score": "percent:0"},
                         labels={"site": "Site", "objective": "Objective", "n_kpis": "KPIs",
                                 "score": "Weighted score"},
                         empty="No contracted KPI, so no objective to score.")


def objectives_title(objectives: pd.DataFrame, catalogue: dict | None, period: str,
                     locale: str = "fr_FR") -> str:
    """The objectives chart's finding from the same table: the weakest objective(s) by
    weighted score, or that every objective is fully met."""
    month_name = present.month(period, locale)
    if objectives.empty:
        return f"{month_name}: no objective to score"
    several = objectives["site"].nunique() > 1
    if (objectives["score"] >= 1).all():
        return f"{month_name}: every objective fully met"
    low = objectives[objectives["score"] == objectives["score"].min()]
    names = [_objective(r.objective, catalogue) + (f" at {r.site}" if several else "")
             for r in low.itertuples()]
    score = present.percent(low["score"].iloc[0], locale, 0)
    if len(names) == 1:
        return f"{month_name}: weakest objective is {names[0]} (score {score})"
    listed = ", ".join(names[:-1]) + " and " + names[-1]
    return f"{month_name}: weakest objectives are {listed} (score {score} each)"
