"""The planning basis: one set of assumptions from calls to agents, FTE and seats.

Forecast, staffing, sourcing and KPI notebooks read their service target, occupancy cap,
shrinkage, schedule efficiency, paid time per FTE, seat ratios and fallback patience from
``toolkit/reference/planning.yml`` through :func:`load_basis` — no notebook keeps its own copy.
The same workload therefore gives the same FTE in every report.

:func:`requirements` turns volumes (a forecast or the call history) into agents per interval
with the staffing engine; :func:`fte` rolls agent-hours up to FTE with the basis's paid time;
:func:`seats` sizes seats on the peak of concurrent scheduled agents.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit import refdata, staffing
from toolkit.clock import local_clock
from toolkit.config import REFERENCE
from toolkit.errors import ParameterError

PLANNING_FILE = REFERENCE / "planning.yml"
#: Average weeks in a calendar year (365.2425 / 7), for contract hours a year.
WEEKS_PER_YEAR = 365.2425 / 7
#: Fields of a paid-time block (per country, location or site).
PAID_TIME_FIELDS = ("contract_hours_per_week", "working_days_per_week", "paid_leave_days",
                    "absence_rate")
OPTIONAL_PAID_TIME_FIELDS = ("ramadan_hours_off_per_day",)
_SECTIONS = ("service", "shrinkage", "seats")


@dataclass(frozen=True)
class PaidTime:
    """What one FTE works in a year in one country: contract hours less leave, public holidays
    on working days and absence."""

    country: str
    holiday_calendar: str | None
    contract_hours_per_week: float
    working_days_per_week: float
    paid_leave_days: float
    absence_rate: float
    ramadan_hours_off_per_day: float = 0.0

    @property
    def hours_per_day(self) -> float:
        return self.contract_hours_per_week / self.working_days_per_week

    def public_holidays(self, year: int) -> float:
        """Public holidays falling on working days (Monday first; a half day counts half)."""
        days = _holiday_weekdays(self.holiday_calendar, year)
        full = int(self.working_days_per_week)
        half = self.working_days_per_week - full
        return float(sum(1.0 if wd < full else half if wd == full else 0.0 for wd in days))

    def ramadan_working_days(self, year: int) -> float:
        """Working days inside Ramadan in ``year`` (the calendar's window, to a day)."""
        if not self.ramadan_hours_off_per_day or not self.holiday_calendar:
            return 0.0
        from toolkit import calendars
        windows = calendars.ramadan_windows(self.holiday_calendar, [year])
        full = int(self.working_days_per_week)
        half = self.working_days_per_week - full
        days = 0.0
        for w in windows.itertuples():
            for d in pd.date_range(w.start, w.end, freq="D"):
                wd = d.day_of_week
                days += 1.0 if wd < full else half if wd == full else 0.0
        return days

    def breakdown(self, year: int) -> dict:
        """The worked-hours arithmetic of ``year``, line by line (hours per FTE)."""
        contract = self.contract_hours_per_week * WEEKS_PER_YEAR
        leave = self.paid_leave_days * self.hours_per_day
        holidays = self.public_holidays(year) * self.hours_per_day
        ramadan = self.ramadan_working_days(year) * self.ramadan_hours_off_per_day
        absence = (contract - leave - holidays - ramadan) * self.absence_rate
        return {"country": self.country, "year": year, "contract_hours": contract,
                "paid_leave_hours": leave, "public_holiday_hours": holidays,
                "public_holidays": self.public_holidays(year), "ramadan_hours": ramadan,
                "absence_hours": absence,
                "worked_hours": contract - leave - holidays - ramadan - absence}

    def worked_hours(self, year: int) -> float:
        """Hours one FTE works in ``year``: contract hours x weeks, less paid leave and public
        holidays on working days, less shorter Ramadan days where they apply, less absence."""
        return self.breakdown(year)["worked_hours"]


def _holiday_weekdays(calendar: str | None, year: int) -> list[int]:
    if not calendar:
        return []
    from toolkit import calendars
    return [d.weekday() for d in calendars.public_holidays(calendar, [year])["date"]]


@dataclass(frozen=True)
class PlanningBasis:
    """The assumptions, resolved for one scope (default, a location or a site).

    ``figures`` keeps every figure with its unit, year, source and flag, for the report's
    assumptions table (:meth:`table`).
    """

    sl_target: float
    target_s: float
    sl_definition: str
    max_occupancy: float
    patience_s: float
    shrinkage_planned: float
    shrinkage_unplanned: float
    schedule_efficiency: float
    seats_per_scheduled_agent: float
    support_positions_per_agent: float
    peak_quantile: float
    paid_time_by_country: Mapping[str, dict] = field(repr=False)
    figures: Mapping[str, dict] = field(repr=False)
    scope: str = "default"
    #: location id -> its own paid-time block (``locations: {MA: {paid_time: ...}}``)
    paid_time_by_location: Mapping[str, dict] = field(default_factory=dict, repr=False)
    #: country -> schedule efficiency and seat factor computed by the shift scheduler
    #: (:func:`with_schedules`); countries not in it use ``schedule_efficiency`` and 1.0
    efficiency_by_country: Mapping[str, float] = field(default_factory=dict, repr=False)
    seat_factor_by_country: Mapping[str, float] = field(default_factory=dict, repr=False)

    @property
    def shrinkage(self) -> float:
        """In-shift shrinkage: planned, then unplanned loss of the time left."""
        return staffing.combine_shrinkage(self.shrinkage_planned, self.shrinkage_unplanned)

    def targets(self) -> dict:
        """Keyword arguments for :func:`toolkit.staffing.required_agents`."""
        return {"sl_target": self.sl_target, "target_s": self.target_s,
                "max_occupancy": self.max_occupancy, "sl_definition": self.sl_definition}

    def paid_time(self, location: str) -> PaidTime:
        """Paid time of one FTE at ``location`` (a location id of locations.yaml, or a
        country code for a country listed under ``paid_time``)."""
        country, calendar = _location_country(location)
        block = self.paid_time_by_country.get(country)
        if block is None:
            raise ParameterError("location", location,
                                 f"a location whose country has paid time in planning.yml: "
                                 f"{sorted(self.paid_time_by_country)}")
        if location in self.paid_time_by_location:
            block = refdata.deep_merge(block, self.paid_time_by_location[location],
                                       f"locations.{location}.paid_time",
                                       what="planning overrides")
        extra = {k: float(refdata.value(block[k])) for k in OPTIONAL_PAID_TIME_FIELDS
                 if k in block}
        return PaidTime(country=country, holiday_calendar=calendar, **extra,
                        **{k: float(refdata.value(block[k])) for k in PAID_TIME_FIELDS})

    def efficiency(self, location: str) -> float:
        """Schedule efficiency at ``location``: the scheduler's for its country's labour rules
        when computed (:func:`with_schedules`), else the file's ``schedule_efficiency``."""
        return float(self.efficiency_by_country.get(_location_country(location)[0],
                                                    self.schedule_efficiency))

    def seat_factor(self, location: str) -> float:
        """Seats per agent on shift at the peak under the location's country rules (breaks
        and shift overlap keep more people present than the requirement), 1.0 by default."""
        return float(self.seat_factor_by_country.get(_location_country(location)[0], 1.0))

    def worked_hours(self, location: str, year: int) -> float:
        return self.paid_time(location).worked_hours(year)

    def table(self) -> pd.DataFrame:
        """Every planning figure with its unit, year, source and flag."""
        rows = [{"item": path, "value": fig.get("value"), "unit": fig.get("unit"),
                 "year": fig.get("year"), "flag": fig.get("flag"), "source": fig.get("source")}
                for path, fig in self.figures.items()]
        out = pd.DataFrame(rows)
        out["value"] = out["value"].astype(str)
        return out


def _location_country(location: str) -> tuple[str, str | None]:
    """(country, holiday calendar) of a location id; a bare country code maps to itself."""
    locations = _locations()
    if location in locations:
        loc = locations[location]
        return str(loc["country"]), loc.get("holiday_calendar")
    if isinstance(location, str) and len(location) == 2 and location.isupper():
        return location, location
    raise ParameterError("location", location,
                         f"a location id of toolkit/reference/locations.yaml: {sorted(locations)}"
                         " (or a two-letter country code)")


_LOCATIONS_CACHE: dict = {}


def _locations() -> dict:
    path = REFERENCE / "locations.yaml"
    key = path.stat().st_mtime_ns
    if _LOCATIONS_CACHE.get("key") != key:
        _LOCATIONS_CACHE.update(key=key, value=refdata.read_yaml(path, "reference")["locations"])
    return _LOCATIONS_CACHE["value"]


def _number(v) -> float:
    """A figure's value as a float; NaN for anything that is not a number (then refused)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _fraction(path: str, v, *, low_open=False, high_open=True) -> float:
    f = _number(v)
    ok = (f > 0 if low_open else f >= 0) and (f < 1 if high_open else f <= 1)
    if not ok:
        bounds = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
        raise ParameterError(f"planning: {path}", v, f"a share in {bounds}")
    return f


def _positive(path: str, v) -> float:
    f = _number(v)
    if not f > 0 or not np.isfinite(f):
        raise ParameterError(f"planning: {path}", v, "a positive number")
    return f


def _non_negative(path: str, v) -> float:
    f = _number(v)
    if not f >= 0 or not np.isfinite(f):
        raise ParameterError(f"planning: {path}", v, "a number >= 0")
    return f


def _validate(raw: dict, scope: str) -> PlanningBasis:
    s, k, seats = raw["service"], raw["shrinkage"], raw["seats"]
    v = refdata.value
    definition = v(s["sl_definition"])
    if definition not in staffing.SL_DEFINITIONS:
        raise ParameterError("planning: service.sl_definition", definition,
                             f"one of {list(staffing.SL_DEFINITIONS)}")
    for country, block in raw["paid_time"].items():
        missing = [f for f in PAID_TIME_FIELDS if f not in block]
        if missing:
            raise ParameterError(f"planning: paid_time.{country}", sorted(block),
                                 f"the fields {list(PAID_TIME_FIELDS)}")
        where = f"paid_time.{country}"
        hours = _positive(f"{where}.contract_hours_per_week", v(block["contract_hours_per_week"]))
        days = _positive(f"{where}.working_days_per_week", v(block["working_days_per_week"]))
        if days > 7 or hours / days > 12:
            raise ParameterError(f"planning: {where}", f"{hours} h over {days} days",
                                 "at most 7 working days and 12 hours a day")
        leave = float(v(block["paid_leave_days"]))
        if not 0 <= leave < 200:
            raise ParameterError(f"planning: {where}.paid_leave_days", leave,
                                 "working days of paid leave a year, 0 to 200")
        _fraction(f"{where}.absence_rate", v(block["absence_rate"]))
        unknown = sorted(set(block) - set(PAID_TIME_FIELDS) - set(OPTIONAL_PAID_TIME_FIELDS))
        if unknown:
            raise ParameterError(f"planning: {where}", unknown[0],
                                 f"one of {[*PAID_TIME_FIELDS, *OPTIONAL_PAID_TIME_FIELDS]}")
        if "ramadan_hours_off_per_day" in block:
            off = float(v(block["ramadan_hours_off_per_day"]))
            if not 0 <= off < hours / days:
                raise ParameterError(f"planning: {where}.ramadan_hours_off_per_day", off,
                                     f"hours in [0, {hours / days:g}) (a working day's hours)")
    figures = dict(refdata.walk_figures({sec: raw[sec] for sec in (*_SECTIONS, "paid_time")}))
    return PlanningBasis(
        sl_target=_fraction("service.sl_target", v(s["sl_target"]), low_open=True,
                            high_open=False),
        target_s=_non_negative("service.target_s", v(s["target_s"])),
        sl_definition=definition,
        max_occupancy=_fraction("service.max_occupancy", v(s["max_occupancy"]), low_open=True,
                                high_open=False),
        patience_s=_positive("service.patience_s", v(s["patience_s"])),
        shrinkage_planned=_fraction("shrinkage.planned_in_shift", v(k["planned_in_shift"])),
        shrinkage_unplanned=_fraction("shrinkage.unplanned_in_shift",
                                      v(k["unplanned_in_shift"])),
        schedule_efficiency=_fraction("shrinkage.schedule_efficiency",
                                      v(k["schedule_efficiency"]), low_open=True,
                                      high_open=False),
        seats_per_scheduled_agent=_positive("seats.seats_per_scheduled_agent",
                                            v(seats["seats_per_scheduled_agent"])),
        support_positions_per_agent=_fraction("seats.support_positions_per_agent",
                                              v(seats["support_positions_per_agent"])),
        peak_quantile=_fraction("seats.peak_quantile", v(seats["peak_quantile"]),
                                low_open=True, high_open=False),
        paid_time_by_country=raw["paid_time"], figures=figures, scope=scope,
        paid_time_by_location={loc: block["paid_time"]
                               for loc, block in (raw.get("locations") or {}).items()
                               if isinstance(block, Mapping) and "paid_time" in block})


def load_basis(overrides: str | os.PathLike | Mapping | None = None, *,
               location: str | None = None, site: str | None = None) -> PlanningBasis:
    """The planning basis, with an analyst's overrides, for a location and/or a site.

    Parameters
    ----------
    overrides : a YAML path or mapping with the structure of ``planning.yml``; unknown keys
        are refused with the valid ones.
    location : a location id (``FR-REG``, ``MA`` ...): its ``locations:`` block applies.
    site : a site id (as in sites.csv): its ``sites:`` block applies last.
    """
    raw = refdata.read_yaml(PLANNING_FILE, "planning reference")
    if overrides is not None:
        data = (refdata.read_yaml(overrides, "planning_overrides")
                if not isinstance(overrides, Mapping) else overrides)
        extra = {key: data[key] for key in ("locations", "sites") if key in data}
        raw = refdata.deep_merge(raw, {k: v for k, v in data.items() if k not in extra}, "",
                                 what="planning overrides")
        for key, blocks in extra.items():
            if not isinstance(blocks, Mapping):
                raise ParameterError(f"planning overrides: {key}", blocks,
                                     "a mapping of id -> overrides")
            raw[key] = {**(raw.get(key) or {}), **blocks}
    scope = "default"
    for key, ident in (("locations", location), ("sites", site)):
        block = (raw.get(key) or {}).get(ident) if ident else None
        if block:
            body = {k: val for k, val in block.items() if k != "paid_time"}
            raw = refdata.deep_merge(raw, body, "", what=f"planning {key}.{ident}")
            if "paid_time" in block and key == "sites":
                if location is None:
                    raise ParameterError(f"planning sites.{ident}.paid_time", block["paid_time"],
                                         "a location given with the site, to apply it to")
                raw.setdefault("locations", {})
                own = dict(raw["locations"].get(location) or {})
                own["paid_time"] = {**(own.get("paid_time") or {}), **block["paid_time"]}
                raw["locations"] = {**raw["locations"], location: own}
            scope = f"{key[:-1]} {ident}"
    return _validate(raw, scope)


# --------------------------------------------------------------------------------------------
# Volumes -> agents -> FTE -> seats
# --------------------------------------------------------------------------------------------

def requirements(volumes: pd.DataFrame, basis: PlanningBasis, *, history: pd.DataFrame | None = None,
                 patience_s=None, interval_minutes: float | None = None,
                 recent_weeks: int = 13) -> pd.DataFrame:
    """Agents per interval for ``volumes`` under the basis (Erlang A with patience).

    ``volumes`` is a forecast (``ds, queue, yhat``) or the call history (``ds, queue, calls,
    aht_s``). A forecast takes its handle time from ``history``'s profile (queue x weekday x
    slot); the history uses its own AHT (a queue's mean where an interval has none).
    ``patience_s`` is a number or a mapping queue -> seconds (estimated from data); missing
    queues take the basis's fallback. Returns the columns of
    :func:`toolkit.staffing.plan_requirements` (``ds, queue, calls, aht_s, agents, scheduled,
    binding, ...``) plus ``patience_s``.
    """
    frame = _volume_frame(volumes, history, recent_weeks)
    if interval_minutes is None:
        interval_minutes = staffing._interval_hours(
            local_clock(frame["ds"]), None) * 60.0
    patience = _patience_column(frame["queue"], patience_s, basis)
    return staffing.plan_requirements(
        frame.rename(columns={"calls": "yhat"}), None, interval_minutes=interval_minutes,
        patience_s=patience, shrinkage_planned=basis.shrinkage_planned,
        shrinkage_unplanned=basis.shrinkage_unplanned, **basis.targets()
    ).assign(patience_s=patience)


def _volume_frame(volumes: pd.DataFrame, history, recent_weeks: int) -> pd.DataFrame:
    cols = set(volumes.columns)
    if {"ds", "queue", "yhat"} <= cols:
        if history is None and "aht_s" not in cols:
            raise ParameterError("history", None,
                                 "the call history (ds, queue, calls, aht_s) for the AHT profile "
                                 "of a forecast")
        frame = volumes[["ds", "queue", "yhat"]].rename(columns={"yhat": "calls"})
        if "aht_s" in cols:
            frame = frame.assign(aht_s=volumes["aht_s"].to_numpy())
        else:
            profile = staffing.aht_profile(history, recent_weeks=recent_weeks)
            frame = staffing.apply_aht_profile(volumes, profile)
            frame = frame[["ds", "queue", "yhat", "aht_s"]].rename(columns={"yhat": "calls"})
    elif {"ds", "queue", "calls", "aht_s"} <= cols:
        frame = volumes[["ds", "queue", "calls", "aht_s"]].copy()
        fill = frame.groupby("queue")["aht_s"].transform("mean")
        frame["aht_s"] = frame["aht_s"].fillna(fill).fillna(0.0)
    else:
        raise ParameterError("volumes", sorted(cols),
                             "a forecast (ds, queue, yhat) or call history (ds, queue, calls, aht_s)")
    frame["calls"] = frame["calls"].astype(float).clip(lower=0)
    return frame.reset_index(drop=True)


def _patience_column(queues: pd.Series, patience_s, basis: PlanningBasis) -> np.ndarray:
    if patience_s is None:
        return np.full(len(queues), basis.patience_s)
    if isinstance(patience_s, Mapping | pd.Series):
        mapped = queues.map(dict(patience_s)).astype(float)
        return mapped.fillna(basis.patience_s).to_numpy()
    return np.full(len(queues), _positive("patience_s", patience_s))


def open_days(start, end, *, open_weekdays: Iterable[int], closed: Iterable = (),
              seen: Iterable = ()) -> pd.DatetimeIndex:
    """Days from ``start`` to ``end`` (inclusive) on which the site opens: an open weekday not
    in ``closed`` (public holidays), or any day in ``seen`` (the data show it open)."""
    days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    weekdays = set(int(w) for w in open_weekdays)
    closed_days = pd.DatetimeIndex(pd.to_datetime(list(closed))).normalize()
    seen_days = pd.DatetimeIndex(pd.to_datetime(list(seen))).normalize()
    keep = (days.day_of_week.isin(list(weekdays)) & ~days.isin(closed_days)) | days.isin(seen_days)
    return days[keep]


def fte(plan: pd.DataFrame, basis: PlanningBasis, *, location: str, freq: str = "ME",
        by: Iterable[str] = ("queue",), holiday_country: str | None = "FR",
        agents_column: str = "agents") -> pd.DataFrame:
    """FTE per period from interval requirements, with the basis's paid time at ``location``.

    One FTE's worked hours of a year (:meth:`PaidTime.worked_hours`) are spread over the site's
    open days of that year, so a period's FTE is the staff level its workload needs: a week
    with a public holiday needs the same staff, and a partial period (the data start or end
    inside it) is prorated by the open days it covers and flagged ``complete`` False. Open
    days: the weekdays the requirement shows, less ``holiday_country``'s public holidays
    (the customers' calendar the site opens on), plus any day the data show open.
    """
    paid = basis.paid_time(location)
    return staffing.fte_rollup(
        plan, freq=freq, shrinkage=basis.shrinkage,
        schedule_efficiency=basis.efficiency(location), agents_column=agents_column, by=by,
        worked_hours_per_year=paid.worked_hours, holiday_country=holiday_country)


def seats(plan: pd.DataFrame, basis: PlanningBasis, *, scheduled_column: str = "scheduled"
          ) -> dict:
    """Seats for the requirement: the peak of concurrent scheduled agents (all queues at the
    same interval; the basis's ``peak_quantile`` of the intervals, 1.0 = the busiest) x seats
    per scheduled agent, plus support positions (team leaders, WFM, QA).

    Seats are fixed capacity: sized on the peak, not on FTE, so they do not rise and fall with
    each month's hours. Returns ``peak_scheduled``, ``agent_seats``, ``support_seats``,
    ``seats`` and the busiest interval ``peak_ds``.
    """
    concurrent = plan.groupby("ds")[scheduled_column].sum()
    if concurrent.empty:
        return {"peak_scheduled": 0.0, "agent_seats": 0, "support_seats": 0, "seats": 0,
                "peak_ds": None}
    peak = peak_concurrent(concurrent, basis)
    agent_seats = int(np.ceil(round(peak * basis.seats_per_scheduled_agent, 9)))
    support = int(np.ceil(round(agent_seats * basis.support_positions_per_agent, 9)))
    return {"peak_scheduled": peak, "agent_seats": agent_seats, "support_seats": support,
            "seats": agent_seats + support, "peak_ds": concurrent.idxmax()}


def peak_concurrent(concurrent: pd.Series, basis: PlanningBasis) -> float:
    """The seat-sizing peak of a series of concurrent scheduled agents per interval."""
    return float(np.quantile(concurrent.to_numpy(dtype=float), basis.peak_quantile,
                             method="higher"))


def paid_time_table(basis: PlanningBasis, locations: Iterable[str], year: int) -> pd.DataFrame:
    """Worked hours of one FTE per location: contract hours less leave, holidays, absence."""
    rows = []
    for loc in locations:
        row = basis.paid_time(loc).breakdown(year)
        rows.append({"location": loc, **row})
    return pd.DataFrame(rows)



# --------------------------------------------------------------------------------------------
# Report period: which data a report for period P uses
# --------------------------------------------------------------------------------------------

def report_period(period) -> pd.Period:
    """``"YYYY-MM"`` as a monthly Period (error names the parameter)."""
    if isinstance(period, pd.Period):
        return period.asfreq("M")
    text = str(period)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise ParameterError("period", period, 'a month "YYYY-MM", e.g. "2026-10"')
    return pd.Period(text, freq="M")


def staffing_month(period) -> pd.Period:
    """The month a report for ``period`` staffs: the month after it (the forecast's first)."""
    return report_period(period) + 1


def workload_months(period, months: int = 12) -> pd.PeriodIndex:
    """The months whose history sizes the business case: the ``months`` ending with ``period``."""
    end = report_period(period)
    return pd.period_range(end - (months - 1), end, freq="M")


def _local_day(ds: pd.Series) -> pd.Series:
    return local_clock(ds).dt.normalize()


def through_period(df: pd.DataFrame, period: str, *, column: str = "ds") -> pd.DataFrame:
    """Rows up to the end of month ``period`` (``YYYY-MM``, local dates).

    A report for period P uses data up to the end of P; a month without any data is refused
    (ParameterError naming the data's span) rather than shown as another month's report.
    """
    if not isinstance(period, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise ParameterError("period", period, "a month as 'YYYY-MM', e.g. '2026-10'")
    month = pd.Period(period, "M")
    day = local_clock(df[column]).dt.normalize()
    in_month = (day.dt.to_period("M") == month).to_numpy()
    if not in_month.any():
        raise ParameterError("period", period, "a month with data: the file covers "
                             f"{day.min():%Y-%m-%d} to {day.max():%Y-%m-%d} "
                             f"({day.min():%Y-%m}..{day.max():%Y-%m})")
    return df[(day <= month.end_time.normalize()).to_numpy()].reset_index(drop=True)


def until_period(frame: pd.DataFrame, period, *, column: str = "ds") -> pd.DataFrame:
    """Rows up to the end of ``period`` (site clock). A month without data stops with the
    data's span — never a silent copy of another month (:func:`through_period`)."""
    return through_period(frame, str(report_period(period)), column=column)


def in_month(frame: pd.DataFrame, month, *, column: str = "ds",
             what: str = "forecast") -> pd.DataFrame:
    """Rows of one month (site clock); a month the table does not cover stops with its span."""
    m = report_period(month)
    day = _local_day(frame[column])
    keep = ((day >= m.start_time) & (day <= m.end_time)).to_numpy()
    if not keep.any():
        raise ParameterError("period", str(m - 1),
                             f"a period whose next month the {what} covers (it covers "
                             f"{day.min():%Y-%m-%d} to {day.max():%Y-%m-%d})")
    return frame[keep].reset_index(drop=True)


def window_text(frame: pd.DataFrame, *, column: str = "ds", label: str = "data") -> str:
    """``"<label> from 2025-11-01 to 2026-10-31"`` for a report's first lines."""
    day = _local_day(frame[column])
    return f"{label} from {day.min():%Y-%m-%d} to {day.max():%Y-%m-%d}"


def interval_minutes(frame: pd.DataFrame, column: str = "ds") -> float:
    """The interval length in minutes of a table of interval starts (the smallest step)."""
    minutes = staffing._interval_hours(local_clock(frame[column]), None) * 60.0
    return int(minutes) if float(minutes).is_integer() else minutes


def month_fte_total(monthly: pd.DataFrame, month) -> dict:
    """Total FTE across queues for one month of an :func:`fte` table, with its coverage."""
    m = report_period(month)
    rows = monthly[monthly["period"].dt.to_period("M") == m]
    if rows.empty:
        raise ParameterError("month", str(m), "a month of the FTE table "
                             f"({', '.join(sorted({str(p) for p in monthly['period'].dt.to_period('M')}))})")
    return {"month": m, "fte": float(rows["fte"].sum()),
            "open_days": int(rows["open_days"].max()),
            "open_days_in_period": int(rows["open_days_in_period"].max()),
            "complete": bool(rows["complete"].all())}


def patience(stats: pd.DataFrame, basis: PlanningBasis, *, period=None,
             months: int = 12) -> tuple[dict, pd.DataFrame]:
    """Mean caller patience per queue for Erlang A, estimated from the interval statistics of
    the ``months`` ending with ``period`` (abandons / total time in queue of all offered
    calls); a queue with too few abandons takes the basis's figure, announced in its note.

    Returns ``(queue -> patience_s, table)``; the table (``queue, offered, abandoned,
    patience_s, basis, note``) is what a report shows.
    """
    if period is not None:
        stats = until_period(stats, period)
        month = local_clock(stats["ds"]).dt.to_period("M")
        stats = stats[month.isin(workload_months(period, months)).to_numpy()]
    table = staffing.patience_by_queue(stats, fallback_s=basis.patience_s, details=True)
    return table.set_index("queue")["patience_s"].to_dict(), table.reset_index(drop=True)


def load_history(path, period) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Call history up to the end of ``period``: tidy volumes (``ds, queue, calls, aht_s``)
    and, when the file is interval statistics, the statistics themselves (for patience);
    a volumes-only file gives ``None`` for them."""
    from toolkit import config, io
    path = config.project_path(path)
    header = io._peek_header(path) if path.suffix == ".csv" else None
    if header is not None and "calls" in header:
        return until_period(io.read_volumes(path), period), None
    stats = until_period(io.read_interval_stats(path, queues=None), period)
    return io.volumes_from_stats(stats), stats


def schedule_week(plan: pd.DataFrame) -> pd.DataFrame:
    """The first whole Monday-to-Sunday week of a requirement plan (scheduled agents per
    interval, all queues), the week a shift schedule is drawn for; the plan's first seven days
    when it holds no whole week."""
    day = _local_day(plan["ds"])
    monday = day[day.dt.day_of_week == 0]
    start = monday.min() if not monday.empty and (day.max() - monday.min()).days >= 6 else day.min()
    keep = ((day >= start) & (day < start + pd.Timedelta(days=7))).to_numpy()
    return plan.loc[keep, ["ds", "queue", "scheduled"]].reset_index(drop=True)


def schedule_countries(location: str, compare: Iterable[str] = ()) -> list[str]:
    """The location's country first, then the countries to compare its rules with (each once:
    the staffing notebook passes the sourcing report's locations' countries)."""
    own = _location_country(location)[0]
    return list(dict.fromkeys([own, *compare]))


def with_schedules(basis: PlanningBasis, plan: pd.DataFrame, countries: Iterable[str], *,
                   overrides=None) -> tuple[PlanningBasis, pd.DataFrame]:
    """The basis with each country's schedule efficiency and seat factor computed by the shift
    scheduler (``toolkit.scheduling``) on the plan's first whole week of scheduled agents, and
    the scheduler's table (one row per country). A country without labour rules keeps the
    file's efficiency, said in the table's ``note``.

    The seat factor is the scheduler's peak seats over the week's peak requirement: breaks and
    the overlap of shift patterns keep more people present than the requirement at the peak.
    """
    from toolkit import scheduling

    week = schedule_week(plan)
    known = scheduling.load_labour_rules(overrides)
    wanted = list(dict.fromkeys(countries))
    ruled = [c for c in wanted if c in known]
    table = (scheduling.schedule_efficiency_by_country(week, ruled, overrides=overrides)
             if ruled else pd.DataFrame(columns=["country", "efficiency", "peak_seats"]))
    peak_required = float(week.groupby("ds")["scheduled"].sum().max())
    table = table.assign(seat_factor=table["peak_seats"] / peak_required,
                         note="computed: shifts under the country's labour rules")
    missing = pd.DataFrame({"country": [c for c in wanted if c not in known],
                            "note": f"no labour rules: the planning file's "
                                    f"{basis.schedule_efficiency:.0%} is used"})
    table = pd.concat([table, missing], ignore_index=True) if len(missing) else table
    done = table.dropna(subset=["efficiency"])
    first = _local_day(week["ds"]).min()
    figures = dict(basis.figures)
    for row in done.itertuples():
        figures[f"shrinkage.schedule_efficiency.{row.country}"] = {
            "value": round(float(row.efficiency), 4), "unit": "required / scheduled agent-hours",
            "year": int(first.year), "flag": "X",
            "source": f"toolkit.scheduling: the week of {first:%Y-%m-%d} under {row.country} "
                      "labour rules (toolkit/reference/labour_rules.yaml)"}
    return (dataclasses.replace(
        basis, figures=figures,
        efficiency_by_country={**basis.efficiency_by_country,
                               **dict(zip(done["country"], done["efficiency"].astype(float),
                                          strict=True))},
        seat_factor_by_country={**basis.seat_factor_by_country,
                                **dict(zip(done["country"], done["seat_factor"].astype(float),
                                           strict=True))}),
            table.reset_index(drop=True))


def location_countries(locations: Iterable[str]) -> list[str]:
    """The countries of location ids, each once, in order."""
    return list(dict.fromkeys(_location_country(loc)[0] for loc in locations))


#: Planning-basis figures a one-at-a-time FTE sensitivity moves, and the basis field each sets.
SENSITIVITY_FIELDS = {"shrinkage.planned_in_shift": ("shrinkage_planned", "planned in-shift shrinkage"),
                      "shrinkage.unplanned_in_shift": ("shrinkage_unplanned", "unplanned in-shift shrinkage"),
                      "service.max_occupancy": ("max_occupancy", "occupancy cap"),
                      "service.sl_target": ("sl_target", "service target"),
                      "shrinkage.schedule_efficiency": ("schedule_efficiency", "schedule efficiency")}


def fte_sensitivity(volumes: pd.DataFrame, basis: PlanningBasis, month, *, location: str,
                    holiday_country: str | None = "FR", **requirements_kwargs) -> pd.DataFrame:
    """One-at-a-time sensitivity of a month's total FTE to the planning basis: each figure of
    ``SENSITIVITY_FIELDS`` with a low/high in the basis moves alone to its ends, the month is
    re-planned and re-counted. Rows ``figure, label, low_fte, high_fte, base_fte, swing_fte``,
    largest swing first; ``figure`` names the basis figure (value, year, source, flag)."""
    import dataclasses

    def total(b: PlanningBasis) -> float:
        plan = requirements(volumes, b, **requirements_kwargs)
        monthly = fte(plan, b, location=location, freq="ME", holiday_country=holiday_country)
        return float(month_fte_total(monthly, month)["fte"])

    base = total(basis)
    rows = []
    for path, (field_name, label) in SENSITIVITY_FIELDS.items():
        fig = basis.figures.get(path)
        if not (isinstance(fig, dict) and "low" in fig and "high" in fig):
            continue
        ends = [total(dataclasses.replace(basis, **{field_name: float(fig[end])}))
                for end in ("low", "high")]
        rows.append({"figure": path, "label": label, "low_fte": ends[0], "high_fte": ends[1],
                     "base_fte": base, "swing_fte": abs(ends[1] - ends[0])})
    return (pd.DataFrame(rows, columns=["figure", "label", "low_fte", "high_fte", "base_fte",
                                        "swing_fte"])
            .sort_values("swing_fte", ascending=False, kind="stable", ignore_index=True))
