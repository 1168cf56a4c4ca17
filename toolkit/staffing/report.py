"""The staffing report's words: every sentence, title and table of notebook 20, built from the
same object as the chart or table beside it.

One formatting rule throughout (``toolkit.present``, the report's locale): FTE with one
decimal, agents whole, agent-hours in whole hours, shares as percentages, gaps in
percentage points; a total is
the sum of the unrounded figures, rounded once. Each function takes the frames the notebook
draws from, so a test can feed tiny data that reverses a statement and see the words change.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from toolkit import present, staffing
from toolkit.markup import md

#: What each binding target is called in reviewer text.
BINDING_WORDS = {"max_occupancy": "occupancy cap", "service_level": "service target"}


def _when(ts, locale: str = "en_GB", pattern: str = "EEE d MMM HH:mm") -> str:
    """A site-local timestamp as wall-clock words (Mon 16 Nov 10:00)."""
    from babel.dates import format_datetime

    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return format_datetime(stamp.to_pydatetime(), pattern,
                           locale=present.names_locale(locale))  # English words


def _day(ts, locale: str = "en_GB") -> str:
    return _when(ts, locale, "EEE d MMM")


def _fte(x, locale: str) -> str:
    return present.number(x, locale, 1)


def _hours(x, locale: str) -> str:
    """Agent-hours as reviewers read them: whole hours (23,266; the half hours they come in
    are noise at a month's scale), one format wherever they sit side by side."""
    return present.number(float(x), locale, 0)


def country_name(code: str, locale: str = "en_GB") -> str:
    """A country code in words, in English like the report's sentences (``MA`` ->
    ``Morocco`` in every locale); an unknown code as it is."""
    from babel import Locale

    return str(Locale.parse(present.names_locale(locale)).territories.get(str(code), code))


def location_words(location: str, locale: str = "en_GB") -> str:
    """A planning location in words from ``reference/locations.yaml`` (``FR-REG`` ->
    ``France – regions``, cities left out); a bare country code as the country's name."""
    from toolkit import names

    name = names.location_name(location)
    return name if name != location else country_name(location, locale)


def all_queue_peak(plan: pd.DataFrame):
    """The busiest half hour across queues (agents summed over queues per interval): the
    executive summary's figure (``toolkit.executive.staffing_peak``)."""
    from toolkit import executive

    return executive.staffing_peak(plan)


def binding_word(binding: str) -> str:
    """The binding target in words (``max_occupancy`` -> ``occupancy cap``)."""
    return BINDING_WORDS.get(str(binding), str(binding).replace("_", " "))


def _local_day(ds: pd.Series) -> pd.Series:
    return ds.dt.tz_localize(None).dt.normalize() if ds.dt.tz is not None else ds.dt.normalize()


# ------------------------------------------------------------------------------ window


def window_sentence(history: pd.DataFrame, plan: pd.DataFrame, period: str, month,
                    locale: str = "en_GB") -> str:
    """Which call history and which forecast days the report reads."""
    hist, days = _local_day(history["ds"]), _local_day(plan["ds"])
    queues = ", ".join(md(q) for q in sorted(plan["queue"].unique()))
    return (f"**Window.** Report period {present.month(period, locale)}: call history from "
            f"{present.date(hist.min(), locale)} to {present.date(hist.max(), locale)}; staffing "
            f"for **{present.month(month, locale)}** from the forecast of "
            f"{present.date(days.min(), locale)} to {present.date(days.max(), locale)} "
            f"({present.count_phrase(len(plan), 'half-hour interval', locale=locale)}; queues "
            f"{queues}).")


def assumptions_sentence(basis, location: str, country: str, plan: pd.DataFrame, *,
                         estimated: bool, locale: str = "en_GB") -> str:
    """The planning-basis figures the report uses, in words."""
    pct = lambda x, d=0: present.percent(x, locale, d)  # noqa: E731
    patience = ", ".join(f"{md(q)} {present.seconds(p, locale)}" for q, p in
                         plan.groupby("queue")["patience_s"].first().items())
    return (f"**Assumptions** (planning basis, {md(basis.scope)}): service level (SL) "
            f"{pct(basis.sl_target)} of calls answered within "
            f"{present.seconds(basis.target_s, locale)} "
            f"({basis.sl_definition.replace('_', ' ')}), occupancy cap "
            f"{pct(basis.max_occupancy)}, in-shift shrinkage **{pct(basis.shrinkage, 1)}** "
            f"(planned {pct(basis.shrinkage_planned)} and unplanned "
            f"{pct(basis.shrinkage_unplanned)}, combined), schedule efficiency "
            f"**{pct(basis.efficiency(location), 1)}** (a week of shifts under the labour rules "
            f"of {md(country_name(country, locale))}, section 5); caller patience {patience} "
            + ("(estimated from the last 12 months' abandoned calls and waiting times)."
               if estimated else "(the planning basis's figure: the history has no waiting "
                                 "times)."))


#: What each patience basis means to a reader (``staffing.patience.PATIENCE_BASES``).
PATIENCE_BASIS_WORDS = {"exact": "measured: every call's wait is known",
                        "lower bound": "at least this: abandoned calls' waits are missing",
                        "fallback": "planning figure: too few abandoned calls to measure"}


def patience_table(table: pd.DataFrame, locale: str = "en_GB") -> present.Table:
    """The patience estimate per queue (``planning.patience``'s table) for reviewers."""
    if "basis" in table.columns:
        table = table.assign(basis=table["basis"].map(PATIENCE_BASIS_WORDS)
                             .fillna(table["basis"]))
    return present.table(
        table, locale=locale,
        units={"offered": "count", "abandoned": "count", "patience_s": "seconds"},
        labels={"queue": "Queue", "offered": "Calls offered", "abandoned": "Abandoned",
                "patience_s": "Mean patience", "basis": "How sure", "note": "How"},
        empty="No call history with waiting times: patience is the planning basis's figure.")


# ------------------------------------------------------------------------------ section 1


def binding_table(plan: pd.DataFrame, locale: str = "en_GB") -> present.Table:
    """Per queue: how many intervals each target sets (the service target or the cap)."""
    counts = (plan.assign(binding=plan["binding"].map(binding_word))
              .groupby(["queue", "binding"]).size().unstack(fill_value=0))
    counts.columns = [f"Intervals set by the {c}" for c in counts.columns]
    frame = counts.rename_axis("Queue").reset_index()
    return present.table(frame, locale=locale,
                         units={c: "count" for c in frame.columns if c != "Queue"},
                         empty="No intervals to staff.")


def week_peak_title(week: pd.DataFrame, plan: pd.DataFrame, locale: str = "en_GB") -> str:
    """The first-week chart's title: its own peak, and the month's if it lies elsewhere."""
    wp = week.loc[week["agents"].idxmax()]
    mp = plan.loc[plan["agents"].idxmax()]
    head = (f"The first week peaks at {present.number(wp['agents'], locale)} agents on the "
            f"phone ({wp['queue']}, {_when(wp['ds'], locale)})")
    if mp["ds"] == wp["ds"] and mp["queue"] == wp["queue"]:
        return head + ", the month's peak"
    return (head + f"; the month peaks at {present.number(mp['agents'], locale)} "
            f"({mp['queue']}, {_day(mp['ds'], locale)})")


# ------------------------------------------------------------------------------ section 2


def sl_column(curve: pd.DataFrame) -> str:
    """The curve's main SL column: Erlang A when the curve has it, else Erlang C."""
    return "sl_erlang_a" if "sl_erlang_a" in curve else "sl_erlang_c"


def agents_for_target(curve: pd.DataFrame, sl_target: float) -> int | None:
    """Fewest agents on the curve whose SL reaches ``sl_target`` (where the curve crosses
    the target line), or None when no point of the curve reaches it."""
    meets = curve.loc[curve[sl_column(curve)] >= sl_target, "agents"]
    return int(meets.min()) if not meets.empty else None


def peak_title(curve: pd.DataFrame, peak: pd.Series, *, sl_target: float, target_s: float,
               locale: str = "en_GB") -> str:
    """Where the SL curve crosses the target, and what the peak is staffed with (the
    occupancy cap may add agents on top): both numbers when they differ."""
    target = (f"{present.percent(sl_target, locale, 0)} in "
              f"{present.seconds(target_s, locale)}")
    staffed, queue = int(peak["agents"]), peak["queue"]
    crossing = agents_for_target(curve, sl_target)
    n = lambda x: present.number(x, locale)  # noqa: E731
    if crossing is None:
        return (f"No staffing up to {n(curve['agents'].max())} agents reaches {target} at the "
                f"{queue} peak")
    if crossing < staffed:
        return (f"{n(crossing)} agents reach {target} at the {queue} peak; the "
                f"{binding_word(peak['binding'])} raises the staffing to {n(staffed)}")
    if crossing == staffed:
        return (f"{n(staffed)} agents reach {target} at the {queue} peak: the service "
                f"target sets the staffing")
    return (f"{n(crossing)} agents would reach {target} at the {queue} peak; the plan "
            f"staffs {n(staffed)}")


def curve_rows(curve: pd.DataFrame, peak: pd.Series, sl_target: float, around: int = 3
               ) -> pd.DataFrame:
    """The rows a reviewer decides on: a few agents either side of where the curve crosses
    the target, and the staffed peak with one either side."""
    crossing = agents_for_target(curve, sl_target)
    staffed = int(peak["agents"])
    keep = curve["agents"].between(staffed - 1, staffed + 1)
    if crossing is not None:
        keep |= curve["agents"].between(crossing - around, crossing + around)
    return curve.loc[keep]


def curve_table(rows: pd.DataFrame, locale: str = "en_GB") -> present.Table:
    """The service curve's rows with reviewer labels (SL, ASA, abandonment, occupancy)."""
    labels = {"agents": "Agents", "sl_erlang_a": "SL, Erlang A",
              "asa_erlang_a_s": "ASA, Erlang A (s)", "p_abandon": "Abandoned, Erlang A",
              "occupancy": "Occupancy", "sl_erlang_c": "SL, Erlang C",
              "asa_erlang_c_s": "ASA, Erlang C (s)",
              "sl_gain_per_agent": "SL gained by the last agent"}
    units = {"agents": "count", "sl_erlang_a": "percent", "asa_erlang_a_s": "number:1",
             "p_abandon": "percent", "occupancy": "percent", "sl_erlang_c": "percent",
             "asa_erlang_c_s": "number:1", "sl_gain_per_agent": "pp"}
    order = [c for c in labels if c in rows]
    return present.table(rows[order], locale=locale, units={c: units[c] for c in order},
                         labels={c: labels[c] for c in order},
                         empty="The curve has no points near the target.")


def abandon_title(curve: pd.DataFrame, peak: pd.Series, locale: str = "en_GB") -> str:
    """The abandonment panel's title: the share that hangs up at the staffed peak."""
    row = curve.loc[curve["agents"] == int(peak["agents"])]
    if "p_abandon" not in curve or row.empty:
        return "Abandonment needs a patience figure (Erlang A)"
    return (f"{present.percent(row['p_abandon'].iloc[0], locale)} hang up at "
            f"{present.number(int(peak['agents']), locale)} agents")


def asa_title(curve: pd.DataFrame, peak: pd.Series, locale: str = "en_GB") -> str:
    """The waiting panel's title: the ASA at the staffed peak."""
    col = "asa_erlang_a_s" if "asa_erlang_a_s" in curve else "asa_erlang_c_s"
    row = curve.loc[curve["agents"] == int(peak["agents"])]
    if row.empty:
        return "Waiting falls fast, then flattens"
    return (f"ASA {present.number(row[col].iloc[0], locale, 1)} s at "
            f"{present.number(int(peak['agents']), locale)} agents")


# ------------------------------------------------------------------------------ section 3


def model_gap_table(gap: pd.DataFrame, locale: str = "en_GB") -> present.Table:
    """``staffing.model_gap`` per queue, labelled."""
    labels = {"queue": "Queue", "agent_hours_erlang_a": "Agent-hours, Erlang A",
              "agent_hours_erlang_c": "Agent-hours, Erlang C",
              "gap_hours": "Erlang C asks for more (hours)", "gap_pct": "More, in %",
              "max_interval_gap_agents": "Largest gap in one interval (agents)",
              "mean_p_abandon": "Callers who hang up (Erlang A, mean)"}
    fmt = "number:0"  # agent-hours in whole hours, as the sentences write them
    units = {"queue": "text", "agent_hours_erlang_a": fmt, "agent_hours_erlang_c": fmt,
             "gap_hours": fmt, "gap_pct": "percent", "max_interval_gap_agents": "count",
             "mean_p_abandon": "percent"}
    order = [c for c in labels if c in gap]
    return present.table(gap[order], locale=locale, units={c: units[c] for c in order},
                         labels={c: labels[c] for c in order}, empty="No queue to compare.")


def model_gap_sentence(gap: pd.DataFrame, plan: pd.DataFrame, month, locale: str = "en_GB"
                       ) -> str:
    """Erlang C against Erlang A over the month and at the peak, from ``gap`` and ``plan``."""
    total_a, total_c = gap["agent_hours_erlang_a"].sum(), gap["agent_hours_erlang_c"].sum()
    diff = total_c - total_a
    n = lambda x: present.number(x, locale)  # noqa: E731
    h = lambda x: _hours(x, locale)  # noqa: E731
    more = present.compare(total_c, total_a, above="more", below="fewer", same="as many")
    head = (f"Over {present.month(month, locale)}, Erlang C asks for **{h(total_c)} "
            f"agent-hours** on the phone and Erlang A for **{h(total_a)}**: ")
    if more == "as many":
        head += "the same. "
    else:
        head += (f"{h(abs(diff))} hours {more} with Erlang C "
                 f"({present.percent(abs(diff) / total_a, locale)} {more}). ")
    peak = plan.loc[plan["agents"].idxmax()]
    binding = binding_word(peak["binding"])
    depends = ("which barely depends on the model" if peak["binding"] == "max_occupancy"
               else "where the model matters most")
    line = (f"At the peak interval ({peak['queue']}, {_when(peak['ds'], locale)}) Erlang C asks "
            f"for {n(peak['agents_erlang_c'])} agents and Erlang A for {n(peak['agents'])}: the "
            f"{binding} sets the staffing there, {depends}")
    if "p_abandon" in peak:
        line += (f"; Erlang A expects {present.percent(peak['p_abandon'], locale)} of those "
                 f"callers to hang up")
    return (head + line + ". The difference is the price of assuming nobody hangs up: check the "
            "patience figure against the observed abandonment before contracting on either.")


# ------------------------------------------------------------------------------ section 4


def month_rows(monthly: pd.DataFrame, month) -> pd.DataFrame:
    """The FTE table's rows of the staffing month."""
    m = pd.Period(str(month), "M")
    return monthly[monthly["period"].dt.to_period("M") == m]


def fte_month_table(monthly: pd.DataFrame, month, locale: str = "en_GB") -> present.Table:
    """Per queue for the month, with a total row (the sum of the unrounded figures). The
    columns are the steps of ``toolkit.staffing.fte_rollup``: agent-hours on the phone,
    grossed up for shrinkage and schedule efficiency to paid hours, divided by the hours one
    FTE works on the month's open days."""
    rows = month_rows(monthly, month)
    frame = rows[["queue", "open_days", "workload_hours", "paid_hours", "fte_hours",
                  "fte"]].copy()
    if not frame.empty:
        one = frame["fte_hours"].nunique() == 1  # same open days: one FTE works the same
        total = pd.DataFrame([{"queue": "All queues", "open_days": frame["open_days"].max(),
                               "workload_hours": frame["workload_hours"].sum(),
                               "paid_hours": frame["paid_hours"].sum(),
                               "fte_hours": frame["fte_hours"].iloc[0] if one else np.nan,
                               "fte": frame["fte"].sum()}])
        frame = pd.concat([frame, total], ignore_index=True)
    return present.table(
        frame, locale=locale,
        units={"open_days": "count", "workload_hours": "number", "paid_hours": "count",
               "fte_hours": "number:1", "fte": "number:1"},
        labels={"queue": "Queue", "open_days": "Open days covered",
                "workload_hours": "Hours on the phone (agent-hours, Erlang A)",
                "paid_hours": "Paid hours to staff (after shrinkage and shifts)",
                "fte_hours": "Hours one FTE works on those days",
                "fte": "FTE (paid hours ÷ one FTE's hours)"},
        empty="The forecast does not reach this month.",
        caption="Totals add the unrounded figures, then round once.")


def fte_month_sentence(month_total: dict, paid, location: str, year: int,
                       locale: str = "en_GB") -> str:
    """The month's FTE and what one FTE works (``planning.month_fte_total``, ``PaidTime``)."""
    cover = ("the whole month" if month_total["complete"] else
             f"prorated: the forecast covers {present.share_phrase(month_total['open_days'], month_total['open_days_in_period'], locale=locale)} open days")
    return (f"**{present.month(month_total['month'], locale)} needs "
            f"{_fte(month_total['fte'], locale)} FTE** across queues ({cover}). One FTE in "
            f"{md(location_words(location, locale))} works {present.number(paid.worked_hours(year), locale)} hours a "
            f"year: {present.number(paid.contract_hours_per_week, locale, 1 if paid.contract_hours_per_week % 1 else 0)} "
            f"hours a week less {present.number(paid.paid_leave_days, locale)} days of paid "
            f"leave, {present.number(paid.public_holidays(year), locale)} public holidays on "
            f"working days and {present.percent(paid.absence_rate, locale, 0)} absence.")


def weekly_table(weekly: pd.DataFrame) -> pd.DataFrame:
    """FTE per week (rows) and queue (columns), plus ``complete`` (the forecast covers every
    open day of the week): what the weekly chart draws."""
    table = weekly.pivot(index="period", columns="queue", values="fte")
    table["complete"] = weekly.groupby("period")["complete"].all()
    return table


def whole_weeks(table: pd.DataFrame) -> pd.DataFrame:
    """The weeks the forecast covers entirely (FTE per queue): what the weekly chart and table
    show. A partial week's FTE is the staff level of the days it has, which a reader takes
    for a week's (Monday 30 November alone, the busiest day, would read as the tallest week)."""
    return table[table["complete"].astype(bool)].drop(columns="complete")


def week_labels(table: pd.DataFrame, locale: str = "en_GB") -> list[str]:
    return [f"week to {_when(p, locale, 'd MMM')}" for p in table.index]


def partial_weeks_note(table: pd.DataFrame, plan: pd.DataFrame, locale: str = "en_GB"
                       ) -> str | None:
    """Which weeks the weekly figures leave out, and the days of them the plan has; None when
    every week is whole."""
    if "complete" not in table or table["complete"].astype(bool).all():
        return None
    days = pd.Series(pd.DatetimeIndex(_local_day(plan["ds"]).unique()).sort_values())
    parts = []
    for end in table.index[~table["complete"].astype(bool)]:
        end = pd.Timestamp(end)
        end = end.tz_localize(None) if end.tzinfo is not None else end
        inside = days[(days > end - pd.Timedelta(days=7)) & (days <= end)]
        if inside.empty:
            continue
        covered = (_day(inside.iloc[0], locale) if len(inside) == 1 else
                   f"{_day(inside.iloc[0], locale)} to {_day(inside.iloc[-1], locale)}")
        parts.append(f"the week to {_when(end, locale, 'd MMM')}, of which this report staffs "
                     f"only {covered}")
    if not parts:
        return None
    return ("Not in the weekly figures: " + "; ".join(parts) + " (a part-week's FTE is the "
            "staff level of those days, not a week's). The month's FTE above includes "
            + ("it." if len(parts) == 1 else "them."))


def fte_week_title(table: pd.DataFrame, month_total: dict, locale: str = "en_GB") -> str:
    """The weekly chart's title: average and lightest whole week, and how the month's figure
    (the one a contract prices) relates to them."""
    whole = whole_weeks(table).sum(axis=1)
    month_text = (f"{present.month(month_total['month'], locale)} as a whole: "
                  f"{_fte(month_total['fte'], locale)} FTE")
    if whole.empty:
        return f"No whole week in the forecast; {month_text}"
    return (f"{_fte(whole.mean(), locale)} FTE a week on average over "
            f"{present.count_phrase(len(whole), 'whole week', locale=locale)} (lightest: week to "
            f"{_when(whole.idxmin(), locale, 'd MMM')}, {_fte(whole.min(), locale)});\n"
            f"{month_text}")


def fte_week_table(table: pd.DataFrame, locale: str = "en_GB", note: str | None = None
                   ) -> present.Table:
    """The weekly chart's numbers: one row per whole week, one column per queue and the
    total; ``note`` (``partial_weeks_note``) says which part-weeks are left out."""
    weeks = whole_weeks(table)
    queues = list(weeks.columns)
    frame = weeks.copy()
    frame["All queues"] = frame.sum(axis=1)
    frame.insert(0, "Week", week_labels(weeks, locale))
    frame = frame.reset_index(drop=True)
    return present.table(frame, locale=locale,
                         units={c: "number:1" for c in [*queues, "All queues"]},
                         empty="The forecast covers no whole week of this month.",
                         caption=note)


def fte_source(basis, location: str, year: int, locale: str = "en_GB") -> str:
    """The FTE chart's source line: the shrinkage, schedule efficiency and worked hours the
    FTE are computed with (``planning.fte`` uses ``basis.efficiency(location)``)."""
    paid = basis.paid_time(location)
    country = paid.country
    how = (f"shifts under {country_name(country, locale)}'s labour rules"
           if country in basis.efficiency_by_country else "planning file")
    return (f"in-shift shrinkage {present.percent(basis.shrinkage, locale, 1)}, schedule "
            f"efficiency {present.percent(basis.efficiency(location), locale, 1)} ({how}), "
            f"{present.number(paid.worked_hours(year), locale)} worked hours per FTE a year "
            f"({location_words(location, locale)})")


# ------------------------------------------------------------------------------ section 5


def shift_title(own, country: str, assumed: float, locale: str = "en_GB") -> str:
    """The shift chart's title: paid hours and efficiency against the planning file's."""
    start = own.coverage["ds"].min()
    word = present.compare(own.efficiency, assumed, above="above", below="below",
                           same="in line with", tolerance=0.0005)
    return (f"{country_name(country, locale)}'s rules cover the week of {_when(start, locale, 'd MMM')} with "
            f"{present.number(own.paid_hours, locale)} paid hours: schedule efficiency "
            f"{present.percent(own.efficiency, locale)}, {word} the planning file's "
            f"{present.percent(assumed, locale, 0)}")


def shift_table(by_country: pd.DataFrame, locale: str = "en_GB") -> present.Table:
    labels = {"country": "Country", "weekly_hours": "Standard full-time week (h)",
              "paid_hours": "Paid hours", "efficiency": "Schedule efficiency",
              "peak_seats": "Peak seats",
              "fte": "Full-timers on shift this week (paid ÷ standard week)",
              "under_coverage_agent_hours": "Agent-hours uncovered"}
    units = {"country": "text", "weekly_hours": "count", "paid_hours": "count",
             "efficiency": "percent", "peak_seats": "count", "fte": "number:1",
             "under_coverage_agent_hours": "number"}
    frame = by_country[list(labels)].copy()
    frame["country"] = [country_name(c, locale) for c in frame["country"]]
    return present.table(frame, locale=locale, units=units, labels=labels,
                         empty="No country has labour rules to schedule with.")


def shift_sentence(by_country: pd.DataFrame, country: str, efficiency: float,
                   locale: str = "en_GB") -> str:
    best = by_country.loc[by_country["efficiency"].idxmax()]
    low = by_country.loc[by_country["efficiency"].idxmin()]
    n = lambda x: present.number(x, locale)  # noqa: E731
    pct = lambda x: present.percent(x, locale)  # noqa: E731
    text = (f"The same week needs **{n(by_country['paid_hours'].min())} to "
            f"{n(by_country['paid_hours'].max())} paid hours** depending on the country's rules: "
            f"{md(country_name(best['country'], locale))} fits the curve best ({pct(best['efficiency'])}), "
            f"{md(country_name(low['country'], locale))} least ({pct(low['efficiency'])}). Longer "
            f"standard weeks need fewer people on shift for the same hours "
            f"({n(by_country['fte'].min())} to {n(by_country['fte'].max())} full-time "
            f"equivalents this week, before leave, public holidays and absence, which the "
            f"monthly FTE above include). The monthly FTE use {md(country_name(country, locale))}'s "
            f"{pct(efficiency)}, as the sourcing report does for "
            f"locations in {md(country_name(country, locale))}.")
    return text + short_peaks_sentence(by_country, locale)


def short_peaks_sentence(by_country: pd.DataFrame, locale: str = "en_GB") -> str:
    """Which countries' cheapest schedule leaves peaks uncovered, and what full cover costs:
    their efficiency is not comparable with a schedule that covers every half hour."""
    if "paid_hours_full_cover" not in by_country:
        return ""
    short = by_country[by_country["under_coverage_agent_hours"] > 0]
    parts = []
    for _, row in short.iterrows():
        extra = row["paid_hours_full_cover"] - row["paid_hours"]
        hours = row["under_coverage_agent_hours"]
        parts.append(
            f" {md(country_name(row['country'], locale))}'s cheapest schedule leaves "
            f"{present.number(hours, locale, 0 if float(hours).is_integer() else 1)} "
            f"agent-hours of the "
            f"week's busiest half hours uncovered: under its rules the extra tours would cost "
            f"more than the schedule's price of a missed agent-hour. Covering every half "
            f"hour would take "
            f"{present.number(row['paid_hours_full_cover'], locale)} paid hours "
            f"({present.number(extra, locale)} more; efficiency "
            f"{present.percent(row['efficiency_full_cover'], locale)} instead of "
            f"{present.percent(row['efficiency'], locale)}); FTE sized on the cheaper schedule "
            f"assume those peaks are absorbed by overtime and moved breaks.")
    return "".join(parts)


# ------------------------------------------------------------------------------ section 6


def _by_queue(forecast: pd.DataFrame, plan: pd.DataFrame):
    """Row positions of each queue in the forecast and the plan drawn from it (row by row)."""
    same = (len(forecast) == len(plan)
            and (forecast["queue"].to_numpy() == plan["queue"].to_numpy()).all()
            and (forecast["ds"].to_numpy() == plan["ds"].to_numpy()).all())
    if not same:
        raise ValueError("staffing report: the plan's rows must be the forecast's (same queue "
                         "and interval, same order); rebuild the plan from this forecast")
    queues = plan["queue"].to_numpy()
    for queue in pd.unique(queues):
        yield queue, np.flatnonzero(queues == queue)


def risk_by_queue(forecast: pd.DataFrame, plan: pd.DataFrame, *, interval_s, target_s,
                  sl_target, correlation: Mapping | None = None,
                  **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``staffing.service_level_risk`` for the plan's staffing, each queue with its own
    patience (the one it was staffed with): ``(per_interval, per_day)``.

    ``correlation``: the forecast's own error correlations by queue (``{queue: {"intraday":
    r}}``, ``staffing.forecast_correlation``): a queue's half hours then move together as
    much as the forecast's backtest found, so the day's spread is the forecast's own; a queue
    without one keeps ``service_level_risk``'s default."""
    intervals, days = [], []
    for queue, pos in _by_queue(forecast, plan):
        rows = plan.iloc[pos]
        own = (correlation or {}).get(queue, {}).get("intraday")
        extra = {"within_day_correlation": float(own)} if own is not None else {}
        per_interval, per_day = staffing.service_level_risk(
            forecast.iloc[pos], rows["agents"].to_numpy(), aht_s=rows["aht_s"].to_numpy(),
            interval_s=interval_s, target_s=target_s, sl_target=sl_target,
            patience_s=float(rows["patience_s"].iloc[0]), **extra, **kwargs)
        intervals.append(per_interval)
        days.append(per_day)
    return pd.concat(intervals), pd.concat(days, ignore_index=True)


def quantile_by_queue(forecast: pd.DataFrame, plan: pd.DataFrame, *, quantile: float,
                      interval_s, **targets) -> pd.DataFrame:
    """``staffing.staff_to_quantile``, each queue with its own patience."""
    out = []
    for _, pos in _by_queue(forecast, plan):
        rows = plan.iloc[pos]
        out.append(staffing.staff_to_quantile(
            forecast.iloc[pos], quantile=quantile, aht_s=rows["aht_s"].to_numpy(),
            interval_s=interval_s, patience_s=float(rows["patience_s"].iloc[0]), **targets))
    return pd.concat(out)


def weak_days(per_day: pd.DataFrame, threshold: float = 0.5) -> pd.Series:
    """Queue-days whose chance of meeting the target is below ``threshold``."""
    return per_day["p_sl_ge_target"] < threshold


def risk_title(per_day: pd.DataFrame, locale: str = "en_GB") -> str:
    """The chart's title: the weakest queue-day and how many fall below an even chance."""
    worst = per_day.loc[per_day["p_sl_ge_target"].idxmin()]
    weak = weak_days(per_day)
    return (f"Staffed to the point forecast, {present.share_phrase(int(weak.sum()), len(weak), locale=locale)} "
            f"queue-days have less than an even chance;\nthe weakest ({worst['queue']}, "
            f"{_day(worst['day'], locale)}) meets the target with "
            f"{present.percent(worst['p_sl_ge_target'], locale, 0)} chance")


def hedge_figures(plan: pd.DataFrame, hedge: pd.DataFrame, month_total: dict, *,
                  interval_minutes: float, quantile: float) -> dict:
    """What staffing every half hour to a forecast quantile (``quantile_by_queue``'s
    ``hedge``) means for the number to contract, from the figures the report already has:
    agent-hours on the phone at the point forecast (``base_hours``), the extra the quantile
    takes (``extra_hours``, ``extra_share``), the month's FTE at the forecast (``fte``) and
    at the quantile (``fte_quantile`` = FTE x (1 + extra share): paid hours and FTE scale
    with the hours on the phone at the same shrinkage, schedule efficiency and hours per
    FTE, so this is the month's FTE for the quantile's hours, to about one FTE)."""
    per_interval = float(interval_minutes) / 60
    base = float(plan["agents"].sum()) * per_interval
    extra = float(hedge["agents"].sum() - plan["agents"].sum()) * per_interval
    share = extra / base if base else 0.0
    fte = float(month_total["fte"])
    return {"quantile": float(quantile), "base_hours": base, "extra_hours": extra,
            "extra_share": share, "fte": fte, "fte_quantile": fte * (1 + share)}


def hedge_fte(hedge: dict, locale: str = "en_GB", *, unit: bool = True) -> str:
    """"about 321 FTE (+56)": the month's FTE at the quantile and its difference from the FTE
    at the forecast, whole (an approximation: ``hedge_figures``); ``unit=False`` leaves out
    "FTE" where the sentence has just said it."""
    figure, diff = _hedge_parts(hedge, locale, unit=unit)
    return f"{figure} ({diff})"


def _hedge_parts(hedge: dict, locale: str, *, unit: bool = True) -> tuple[str, str]:
    """("about 321 FTE", "+56"): the quantile's FTE and its difference, as ``hedge_fte``."""
    diff = hedge["fte_quantile"] - hedge["fte"]
    sign = "+" if round(diff) > 0 else ""
    return (f"about {present.number(hedge['fte_quantile'], locale)}{' FTE' if unit else ''}",
            f"{sign}{present.number(diff, locale)}")


def hedge_phrase(hedge: dict, locale: str = "en_GB") -> str:
    """"about 321 FTE (+56) to staff every half hour for the volume not exceeded 80% of the
    time" (``hedge_figures``)."""
    return (f"{hedge_fte(hedge, locale)} to staff every half hour for the volume not exceeded "
            f"{present.percent(hedge['quantile'], locale, 0)} of the time")


def day_sl_at_forecast(plan: pd.DataFrame) -> pd.Series:
    """Each queue-day's service level at the point forecast (the plan's own ``service_level``
    per half hour, weighted by its calls), by queue and local day."""
    frame = plan.assign(day=_local_day(plan["ds"]).to_numpy(),
                        met=plan["calls"] * plan["service_level"])
    by = frame.groupby(["queue", "day"])
    return by["met"].sum() / by["calls"].sum()


def spread_reason(plan: pd.DataFrame, forecast: pd.DataFrame, per_interval: pd.DataFrame, *,
                  sl_target: float, locale: str = "en_GB") -> str:
    """Why days staffed to the forecast miss the target more often than not, in one sentence
    from the plan (service level at the forecast), the forecast's 80% band at its busiest
    half hour and the SL to expect over the band (``per_interval``): the calls spread widely
    around the forecast, and service falls faster above it than it rises below it."""
    pct = lambda x: present.percent(x, locale, 0)  # noqa: E731
    at = ""
    if {"service_level", "calls"} <= set(plan.columns) and len(plan):
        days = day_sl_at_forecast(plan)
        reach = ("every queue-day reaches the target" if days.min() >= sl_target
                 else "the queue-days reach")
        at = (f"At the forecast itself {reach} ({pct(days.min())} to {pct(days.max())} over "
              f"the day), but ")
    busiest = forecast.loc[forecast["yhat"].idxmax()]
    n = lambda x: present.number(x, locale)  # noqa: E731
    band = (f"the calls can come well above or below it ({busiest['queue']}, "
            f"{_when(busiest['ds'], locale)}: {n(busiest['yhat'])} calls forecast, "
            f"{pct(0.8)} range {n(busiest['yhat_lower_80'])} to "
            f"{n(busiest['yhat_upper_80'])})")
    expected = per_interval["expected_sl"].mean()
    word = present.compare(expected, sl_target, above="above", below="below",
                           same="in line with", tolerance=0.0005)
    lead = at + band if at else band[0].upper() + band[1:]
    return (lead + ", and a half hour loses more service with calls above the forecast than "
            "it gains with as many below, so the SL to expect in a half hour, averaged over "
            f"the month, is {present.percent(expected, locale)}, {word} the "
            f"{pct(sl_target)} target.")


def risk_sentence(per_day: pd.DataFrame, per_interval: pd.DataFrame, *, sl_target: float,
                  target_s: float, extra_hours: float, base_hours: float,
                  quantile: float = 0.8, locale: str = "en_GB", reason: str | None = None,
                  hedge: dict | None = None) -> str:
    """What the chart of days says, why (``spread_reason``), and what staffing to a higher
    forecast quantile costs in agent-hours and, with ``hedge`` (``hedge_figures``), in FTE."""
    weak = weak_days(per_day)
    target = (f"{present.percent(sl_target, locale, 0)} in "
              f"{present.seconds(target_s, locale)}")
    if weak.any():
        head = (f"Staffed to the point forecast, a queue-day meets {target} over the day with "
                f"less than an even chance on **{present.share_phrase(int(weak.sum()), len(weak), locale=locale)} "
                f"queue-days**")
    else:
        head = (f"Staffed to the point forecast, every queue-day has at least an even chance "
                f"of meeting {target} over the day")
    head += (f"; the median chance is "
             f"{present.percent(per_day['p_sl_ge_target'].median(), locale, 0)}. ")
    if reason is None:
        expected = per_interval["expected_sl"].mean()
        word = present.compare(expected, sl_target, above="above", below="below",
                               same="in line with", tolerance=0.0005)
        reason = (f"The SL to expect in a half hour, averaged over the month, is "
                  f"{present.percent(expected, locale)}, {word} the target: the point "
                  f"forecast is a middle, not a guarantee.")
    more = "more" if extra_hours >= 0 else "fewer"
    sign = "+" if extra_hours > 0 else ""
    cost = (f" Staffing every half hour for the call volume it stays under "
            f"{present.percent(quantile, locale, 0)} of the time instead costs "
            f"**{present.number(abs(extra_hours), locale)} {more} agent-hours** "
            f"({sign}{present.percent(extra_hours / base_hours, locale)})")
    if hedge is not None:
        figure, diff = _hedge_parts(hedge, locale)
        cost += (f": **{figure}** for the month instead of {_fte(hedge['fte'], locale)} at the "
                 f"forecast ({diff})")
    return head + reason + cost + "."


def day_axis(ax, locale: str = "en_GB", every: int = 7, *, within_day: bool = False) -> None:
    """Dates on the x axis as 'Mon 2 Nov': by default one tick a week (on Mondays), labels
    that never overlap, for a chart of one point a day (each label on its day's point).

    ``within_day``: a chart of half hours (x = local wall-clock times). The axis spans whole
    days, from the first plotted day's midnight to the last one's end; a grid line marks each
    midnight, and each day's label sits at its midday, under the day's own hours -- the first
    day included (a label at midnight would sit at the left edge of its day, under the end of
    the day before, and the first midnight falls outside the data)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter, NullFormatter

    label = FuncFormatter(lambda v, _: _when(mdates.num2date(v), locale, "EEE d MMM"))
    if within_day:
        lo, hi = ax.dataLim.intervalx
        if np.isfinite(lo) and np.isfinite(hi):
            ax.set_xlim(np.floor(lo), max(np.ceil(hi), np.floor(lo) + 1))
        ax.xaxis.set_major_locator(mdates.DayLocator())
        ax.xaxis.set_major_formatter(NullFormatter())
        ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=12))
        ax.xaxis.set_minor_formatter(label)
        ax.tick_params(axis="x", which="minor", length=0)
        return
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=every) if every != 7
                               else mdates.WeekdayLocator(byweekday=mdates.MO))
    ax.xaxis.set_major_formatter(label)


# ------------------------------------------------------------------------------ section 7


def simulation_by_queue(plan: pd.DataFrame, interval_s, target_s, **kwargs) -> pd.DataFrame:
    """``staffing.simulation_checks`` on each queue's busiest intervals, each queue with its
    own patience (the one it was staffed with); rows by distribution, then queue."""
    out = [staffing.simulation_checks(rows, interval_s, target_s,
                                      float(rows["patience_s"].iloc[0]), **kwargs)
           for _, rows in plan.groupby("queue", sort=True)]
    checks = pd.concat(out, ignore_index=True)
    order = {name: i for i, name in enumerate(pd.unique(checks["simulation"]))}
    return (checks.sort_values(["simulation", "queue", "ds"],
                               key=lambda c: c.map(order) if c.name == "simulation" else c,
                               kind="stable").reset_index(drop=True))


def simulation_summary(checks: pd.DataFrame, locale: str = "en_GB") -> present.Table:
    """Per distribution: intervals checked, flagged, and the largest gaps (simulation minus
    formula, in percentage points)."""
    by = checks.groupby("simulation", sort=False).agg(
        checked=("flag", "size"), flagged=("flag", "sum"), worst_sl=("sl_gap", "min"),
        worst_abandon=("abandon_gap", lambda s: s.loc[s.abs().idxmax()]))
    frame = by.reset_index()
    return present.table(
        frame, locale=locale,
        units={"simulation": "text", "checked": "count", "flagged": "count",
               "worst_sl": "pp", "worst_abandon": "pp"},
        labels={"simulation": "Handle and patience times", "checked": "Intervals checked",
                "flagged": "Flagged", "worst_sl": "Largest SL gap (simulated − formula)",
                "worst_abandon": "Largest abandonment gap"},
        empty="No interval was simulated.")


def flagged_table(checks: pd.DataFrame, locale: str = "en_GB") -> present.Table:
    """Only the flagged intervals: where formula and simulation disagree."""
    rows = checks.loc[checks["flag"].astype(bool),
                      ["simulation", "queue", "ds", "agents", "sl_formula", "sl_sim", "sl_gap",
                       "abandon_formula", "abandon_sim", "abandon_gap"]].copy()
    rows["ds"] = rows["ds"].map(lambda t: _when(t, locale))
    return present.table(
        rows, locale=locale,
        units={"agents": "count", "sl_formula": "percent", "sl_sim": "percent", "sl_gap": "pp",
               "abandon_formula": "percent", "abandon_sim": "percent", "abandon_gap": "pp"},
        labels={"simulation": "Handle and patience times", "queue": "Queue", "ds": "Interval",
                "agents": "Agents", "sl_formula": "SL, formula", "sl_sim": "SL, simulated",
                "sl_gap": "SL gap", "abandon_formula": "Abandoned, formula",
                "abandon_sim": "Abandoned, simulated", "abandon_gap": "Abandonment gap"},
        empty="No interval differs beyond the thresholds: the formulas hold under every "
              "distribution tried.")


def simulation_sentence(checks: pd.DataFrame, locale: str = "en_GB", *,
                        sl_target: float | None = None) -> str:
    """How many checks are flagged and, for each distribution with flags, which way and how
    far the formula is off, from the flagged rows themselves: the flagged half hour furthest
    off (its agents, simulated and formula SL, against ``sl_target`` when given) and the
    largest SL and abandonment gaps."""
    flags = checks["flag"].astype(bool)
    head = (f"**{present.share_phrase(int(flags.sum()), len(flags), locale=locale)}** interval checks "
            f"flagged (SL gap over 3 points or abandonment gap over 2 points, beyond two "
            f"simulation standard errors).")
    if not flags.any():
        return head + " The formulas' answer holds under every distribution tried."
    pts = lambda x: present.number(abs(x) * 100, locale, 1)  # noqa: E731
    pct = lambda x: present.percent(x, locale)  # noqa: E731
    parts = []
    for sim, rows in checks.loc[flags].groupby("simulation", sort=False):
        worst = rows.loc[rows["sl_gap"].abs().idxmax()]
        queues = ", ".join(md(q) for q in pd.unique(rows["queue"]))
        text = (f" With {md(sim)}, {md(worst['queue'])}'s "
                f"{present.number(worst['agents'], locale)} agents at "
                f"{_when(worst['ds'], locale)} give {pct(worst['sl_sim'])} in the simulation "
                f"against {pct(worst['sl_formula'])} by the formula")
        if sl_target is not None:
            side = present.compare(worst["sl_sim"], sl_target, above="above", below="below",
                                   same="at", tolerance=0.0005)
            text += f", {side} the {present.percent(sl_target, locale, 0)} target"
        sl_way = "overstates" if worst["sl_gap"] < 0 else "understates"
        text += (f": the formula {sl_way} SL by up to {pts(worst['sl_gap'])} points at "
                 f"{queues}'s flagged half hours")
        ab = rows.loc[rows["abandon_gap"].abs().idxmax(), "abandon_gap"]
        if abs(ab) >= 0.0005:
            ab_way = "overstates" if ab < 0 else "understates"
            text += f" and {ab_way} abandonment by up to {pts(ab)} points"
        if worst["sl_gap"] < 0 and sl_target is not None and worst["sl_sim"] < sl_target:
            text += (", so meeting the target there would take more agents than the formula "
                     "says")
        parts.append(text + ".")
    return (head + "".join(parts) + " The call history can check how handle and patience "
            "times are spread before contracting. Under the formula's own assumptions "
            "(exponential times) the simulation is a control: a flag there would mean an "
            "error.")


# ------------------------------------------------------------------------------ card, key figures


def peak_phrase(peak: pd.Series, plan: pd.DataFrame, locale: str = "en_GB", *,
                short: int = 0) -> str:
    """The busiest half hour of one queue and of all queues together, both labelled: the
    report's peak is one queue's (``peak``), the executive summary's is the sum over queues
    (``all_queue_peak``). Agents are people on the phone at the same time, not FTE.
    ``short``: the card's shorter wordings (1: ``peak: 145 care agents on the phone at once
    (Mon 30 Nov 10:00), 172 all queues``; 2: without the times; 3: one queue's only)."""
    total = all_queue_peak(plan)
    n = lambda x: present.number(int(x), locale)  # noqa: E731
    when = ("" if pd.Timestamp(total.ds) == pd.Timestamp(peak["ds"])
            else f" ({_when(total.ds, locale)})")
    if short == 3:
        return f"peak: {n(peak['agents'])} {peak['queue']} agents on the phone at once"
    if short:
        at = f" ({_when(peak['ds'], locale)})" if short == 1 else ""
        return (f"peak: {n(peak['agents'])} {peak['queue']} agents on the phone at once{at}, "
                f"{n(total.agents)} all queues{when if short == 1 else ''}")
    head = (f"{n(peak['agents'])} {peak['queue']} agents on the phone at once at the busiest "
            f"half hour ({_when(peak['ds'], locale)})")
    return f"{head}, {n(total.agents)} across all queues together{when}"


def fte_basis(basis, location: str, locale: str = "en_GB") -> str:
    """"France – regions, 35-hour week": where the FTE work and the standard week one FTE is
    counted on, read from the planning basis (``PlanningBasis.paid_time``)."""
    hours = float(basis.paid_time(location).contract_hours_per_week)
    return (f"{location_words(location, locale)}, "
            f"{present.number(hours, locale, 0 if hours.is_integer() else 1)}-hour week")


def card_headline(month_total: dict, peak: pd.Series, per_day: pd.DataFrame,
                  plan: pd.DataFrame, locale: str = "en_GB", *, basis_words: str | None = None,
                  hedge: dict | None = None) -> tuple[str, str]:
    """The report card's answer and status: the month's FTE at the forecast (with
    ``basis_words``, ``fte_basis``: where and on which standard week), whether that staffing
    gives most queue-days an even chance of the target ('attention' when it does not), the
    FTE to staff each half hour to the forecast's quantile (``hedge``, ``hedge_figures``) and
    the peak (one queue's and all queues', people on the phone at once). The card holds at
    most ``reportcard.MAX_CHARS``: the longest wording that fits is used (the peak's times,
    then the peak, give way first; section 6 says why and section 1 shows the peak)."""
    from toolkit.reportcard import MAX_CHARS

    weak = weak_days(per_day)
    cover = "" if month_total["complete"] else (
        f" ({present.number(month_total['open_days'], locale)} of "
        f"{present.number(month_total['open_days_in_period'], locale)} open days forecast)")
    where = f" ({basis_words})" if basis_words else ""
    fte = (f"{present.month(month_total['month'], locale)} needs "
           f"{_fte(month_total['fte'], locale)} FTE")
    if weak.mean() > 0.5:
        status = "attention"
        risk = (f"{present.share_phrase(int(weak.sum()), len(weak), locale=locale)} queue-days "
                f"are less likely than not to meet the target")
    else:
        status = "ok"
        risk = (f"most queue-days have at least an even chance of meeting the target "
                f"({present.share_phrase(int((~weak).sum()), len(weak), locale=locale)})")
    head = f"{fte}{where} at the forecast{cover}, where {risk}"
    if hedge is not None:
        head += (f"; {hedge_fte(hedge, locale, unit=False)} cover each half hour's calls "
                 f"{present.percent(hedge['quantile'], locale, 0)} of the time")
    head += "."
    cap = lambda t: t[0].upper() + t[1:]  # noqa: E731
    candidates = [f"{head} {cap(peak_phrase(peak, plan, locale, short=k))}." for k in (1, 2, 3)]
    return next((c for c in candidates if len(c) <= MAX_CHARS), head), status


def key_figures(peak: pd.Series, gap: pd.DataFrame, month_total: dict, location: str,
                plan: pd.DataFrame, locale: str = "en_GB", hedge: dict | None = None) -> str:
    """The lines the key-figures cell prints, with the rounding the report shows (with
    ``hedge``, ``hedge_figures``: the FTE to staff each half hour to the quantile)."""
    h = lambda x: _hours(x, locale)  # noqa: E731
    return "\n".join([
        f"peak: {peak_phrase(peak, plan, locale)}",
        f"agent-hours on the phone: Erlang A {h(gap['agent_hours_erlang_a'].sum())}, "
        f"Erlang C {h(gap['agent_hours_erlang_c'].sum())}",
        f"staffing month {present.month(month_total['month'], locale)}: "
        f"{_fte(month_total['fte'], locale)} FTE in {location_words(location, locale)} "
        f"({month_total['open_days']} of {month_total['open_days_in_period']} open days)",
        *([f"FTE for each half hour's volume not exceeded "
           f"{present.percent(hedge['quantile'], locale, 0)} of the time: "
           f"{hedge_fte(hedge, locale, unit=False)}"] if hedge is not None else [])])


def rests_on(sensitivity: pd.DataFrame, basis, *, top: int = 3, locale: str = "en_GB") -> str:
    """"The month's FTE depends most on the 85% occupancy cap (−9.8 to +31.2 FTE over its
    range, 75% to 90%) …": the planning-basis figures whose range moves the month's FTE
    most (``planning.fte_sensitivity``), each with its value and how far the FTE moves
    between the ends of its range; then the sources' short names (toolkit.sources), which
    the sources appendix lists in full."""
    from toolkit.planning import SENSITIVITY_FIELDS
    from toolkit.sources import resolve

    rows = sensitivity[sensitivity["swing_fte"] > 0].sort_values(
        "swing_fte", ascending=False, kind="stable").head(top)
    if rows.empty:
        return ""
    pct = lambda x: present.percent(x, locale, 0 if round(float(x) * 100, 6).is_integer()  # noqa: E731
                                    else 1)
    fte = lambda x: ("+" if round(x, 1) > 0 else "") + _fte(x, locale)  # noqa: E731
    items, names = [], []
    for r in rows.itertuples():
        fig = basis.figures[r.figure]
        value = getattr(basis, SENSITIVITY_FIELDS[r.figure][0], fig.get("value"))
        moves = sorted([r.low_fte - r.base_fte, r.high_fte - r.base_fte])
        items.append(f"the {pct(value)} {r.label} ({fte(moves[0])} to {fte(moves[1])} FTE "
                     f"over its range, {pct(fig['low'])} to {pct(fig['high'])})")
        names += [x.short for x in resolve(str(fig.get("source", "")), fig.get("flag"))
                  if not x.own]
    names = list(dict.fromkeys(names))
    cite = (" Sources: " + "; ".join(names) + ".") if names else ""
    return f"The month's FTE depends most on {present.and_list(items, locale)}.{cite}"
