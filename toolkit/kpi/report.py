"""Presentation: numbers for people, the scorecard table, the summary text, CSV files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from toolkit import markup, present
from toolkit.atomic import atomic_path
from toolkit.config import DEFAULT_TIMEZONE
from toolkit.errors import ParameterError
from toolkit.kpi.credits import credits_by_month
from toolkit.kpi.definitions import INTERVAL_COLUMNS, INTERVAL_FORMULAS, _combine, parse_period


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
    if table.empty or table.isna().all().all():
        return f"{site}, {period}: no interval data for the month"
    stacked = table.stack()
    (day, time), worst = stacked.idxmin(), stacked.min()
    share_below = float((stacked < target).mean())
    return (f"{site}, {period}: service level weakest on {day} {time} "
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
    """An amount of money in the locale's format (NaN -> en dash), via ``toolkit.present``."""
    return present.money(value, locale, currency)


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


def scorecard_display(card: pd.DataFrame, locale: str = "fr_FR") -> pd.DataFrame:
    """The scorecard as formatted text columns for the report table."""
    return pd.DataFrame({
        "Provider": card["provider"] + " (" + card["site"] + ")",
        "Objective": card["objective"],
        "KPI": card["name"] + " [" + card["kpi"] + "]",
        "Source": card["source"],
        "Actual": [format_value(v, u, locale) for v, u in zip(card["actual"], card["unit"],
                                                              strict=True)],
        "Target": [target_text(r, locale) for _, r in card.iterrows()],
        "Amber if": [amber_text(r, locale) for _, r in card.iterrows()],
        "Status": card["status"],
        "Δ m/m": [format_value(v, u, locale, delta=True)
                  for v, u in zip(card["mom_delta"], card["unit"], strict=True)],
        "12-m avg": [format_value(v, u, locale) for v, u in zip(card["avg_12m"], card["unit"],
                                                                strict=True)],
        "Trend": card["trend"],
        **({"Data check": card["data_check"]} if "data_check" in card.columns else {}),
        "Rank": [("–" if pd.isna(r) else f"{r}/{n}") for r, n in zip(card["rank"],
                                                                     card["n_ranked"],
                                                                     strict=True)],
    })


def style_scorecard(card: pd.DataFrame, locale: str = "fr_FR"):
    """A pandas Styler of the scorecard with RAG status cells; every text cell shown as text
    (``toolkit.markup.style``: HTML-escaped, bidi controls removed)."""
    from toolkit.plots import rag_color

    table = scorecard_display(card, locale)

    def colour(status: str) -> str:
        return f"background-color: {rag_color(status)}; color: white; font-weight: bold"

    return markup.style(table).hide(axis="index").map(colour, subset=["Status"])


def summary_text(card: pd.DataFrame, credits: pd.DataFrame, period: str,
                 locale: str = "fr_FR", *, gaps: pd.DataFrame | None = None,
                 flags: pd.DataFrame | None = None) -> str:
    """Headline per provider (Markdown): KPIs red / amber / no data with actual vs target, and
    the credit due for the month (and pending earn-back). Provider, site and KPI names go
    through ``markup.md``: they come from data files and are shown as text."""
    from babel.dates import format_date

    month_name = format_date(pd.Period(period, "M").start_time.date(), "MMMM y", locale=locale)
    by_month = credits_by_month(credits)
    lines = []
    for site, g in card.groupby("site", sort=False):
        provider = markup.md(g["provider"].iloc[0])
        parts = []
        for status in ("red", "amber", "no data"):
            s = g[g["status"] == status]
            if s.empty:
                continue
            items = ", ".join(
                markup.md(r["kpi"]) + ("" if status == "no data" else
                                              f" {format_value(r['actual'], r['unit'], locale)}"
                                              f" vs {target_text(r, locale)}")
                for _, r in s.iterrows())
            noun = "KPI" if len(s) == 1 else "KPIs"
            parts.append(f"{len(s)} {noun} {status}: {items}")
        n_green = int((g["status"] == "green").sum())
        parts.append(f"{n_green} of {len(g)} green")
        m = by_month[(by_month["site"] == site) & (by_month["month"] == period)]
        if m.empty:
            parts.append("credit due: none (no credit scheme or no failed KPI)")
        elif m["invoice_eur"].isna().all():
            parts.append("credit due: unknown (no invoice reported for the month)")
        else:
            text = f"credit due: {format_money(m['credit_due_eur'].sum(), locale)}"
            pending = m["credit_pending_eur"].sum()
            if pending > 0:
                text += f" (+ {format_money(pending, locale)} pending earn-back)"
            year = by_month[(by_month["site"] == site) & (by_month["month"] <= period)
                            & (by_month["month"].str[:4] == period[:4])]
            parts.append(text + f"; year to date {format_money(year['credit_due_eur'].sum(), locale)}"
                         " due")
        if gaps is not None and not gaps.empty:
            missing = gaps[gaps["site"] == site]["month"].tolist()
            if missing:
                parts.append("provider report missing for " + ", ".join(missing))
        if flags is not None and not flags.empty:
            f = flags[flags["site"] == site]
            if not f.empty:
                parts.append("figures to verify before use: " + ", ".join(
                    f"{markup.md(r.kpi)} {r.check} ({r.n_months} months)"
                    for r in f.itertuples()))
        lines.append(f"- **{provider} ({markup.md(site)}), {month_name}** — "
                     + "; ".join(parts) + ".")
    return "\n".join(lines)


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


def signals_display(signals: pd.DataFrame, catalogue: dict, locale: str = "fr_FR"):
    """The control-chart signals as a table for people (site, KPI, month, value, rule,
    limits), every text cell shown as text."""
    units = [catalogue["kpis"][k]["unit"] for k in signals["kpi"]]

    def fmt(col):
        return [format_value(v, u, locale) for v, u in zip(signals[col], units, strict=True)]

    table = pd.DataFrame({
        "Site": signals["site"], "KPI": signals["kpi"], "Month": signals["month"],
        "Value": fmt("value"), "Rule": signals["rule"], "Phase": signals["phase"],
        "Centre": fmt("centre"),
        "Limits": [f"{lo} – {hi}" + (" (provisional)" if b == "provisional" else "")
                   for lo, hi, b in zip(fmt("lcl"), fmt("ucl"), signals["limits"], strict=True)]})
    return markup.style(table).hide(axis="index")
