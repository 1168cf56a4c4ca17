"""Scheduling: a week's interval requirement -> legal shifts, paid hours, seats and efficiency.

Why: staffing gives agents per interval; what a location costs is the *paid hours* of the
shifts that cover them, and those depend on the country's working-time rules (a 35 h French
week with 11 h rest, no Sunday and no night work covers the same curve with different shifts
than a 44 h Moroccan or 45 h Mauritian week). This module turns the requirement into shifts
under one country's rules and reports schedule efficiency and peak seats, the two figures the
sourcing model otherwise assumes.

Model (weekly *tours*, the textbook tour-scheduling set-covering model):

- a template is a tour: a start on the site clock, a paid length, a break and the days on
  (e.g. 07:00, 7 h paid + 20 min unpaid break, Mon-Fri). Full-time tours add up to the
  country's ``weekly_hours`` (rounded down to the start step); part-time tours use the
  ``part_time_shift_hours`` lengths within the statutory part-time floor/ceiling, and their
  paid hours are capped at ``part_time_max_share`` of the total.
- an agent on a tour works the same start every day on and takes the days off in one block
  (cyclic, so Sun-Mon is a block). The daily rest is then 24 h minus the shift span and the
  weekly rest the days off plus that gap; templates breaking either rule are not generated.
  Start times that rotate from day to day, split shifts and overtime are not modelled: they
  could only lower paid hours, so the figures are a cautious (upper) bound of a good roster.
- the week is cyclic: a shift running past midnight on the last day covers the first morning.
- breaks sit mid-shift. Unpaid breaks always leave a gap in coverage; paid breaks leave one
  only when the requirement counts agents on the phone (``agents``), not when it already
  includes shrinkage (``scheduled``), whose loss of paid time covers them.

The mixed-integer programme (``scipy.optimize.milp``, HiGHS) chooses how many agents work
each tour: minimise paid hours + ``under_coverage_penalty`` x uncovered agent-hours, subject
to coverage >= requirement - uncovered in every interval and the part-time share. Queues are
pooled (multi-skilled agents): the requirement is summed over queues before scheduling.
Single-day shifts without a part-time row are first solved as an LP (HiGHS simplex, called
directly): an integral LP optimum is the MIP optimum, else branch and bound runs as above.
The coverage matrices are cached by tour set and grid (``_COVERAGE_CACHE``).
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

from toolkit import refdata
from toolkit.clock import local_clock

try:    # HiGHS as scipy ships it, called without milp's per-call option checks (see _lp_direct)
    from scipy.optimize._highspy import _core as _highs
except ImportError:  # pragma: no cover - another scipy layout: milp is used instead
    _highs = None
from toolkit.config import REFERENCE, project_path
from toolkit.errors import DataError, ParameterError

RULES_FILE = REFERENCE / "labour_rules.yaml"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FLAGS = (None, "D", "E", "G", "X", "override")
FIGURE_KEYS = ("value", "unit", "year", "source", "flag")
UNCOVERABLE = ("raise", "penalise")

#: Rule fields and their kind: how each value is checked and read.
RULE_FIELDS = {
    "weekly_hours": "hours", "max_daily_hours": "hours", "min_daily_rest_hours": "hours0",
    "min_weekly_rest_hours": "hours0", "breaks": "breaks", "earliest_start": "time",
    "latest_start": "time", "start_granularity_minutes": "granularity",
    "min_shift_hours": "hours", "part_time_min_weekly_hours": "hours0",
    "part_time_max_weekly_hours": "hours_or_null", "part_time_max_share": "share",
    "sunday_work_allowed": "bool", "night_work_allowed": "bool", "night_start": "time",
    "night_end": "time", "night_max_daily_hours": "hours_or_null",
}
_EXPECTED = {
    "hours": "a number of hours > 0 and <= 168", "hours0": "a number of hours >= 0",
    "hours_or_null": "a number of hours > 0, or null for no limit",
    "breaks": "a list of {after_hours, minutes, paid} mappings (may be empty)",
    "time": 'a quoted local time "HH:MM" between "00:00" and "24:00"',
    "granularity": "whole minutes dividing a day (5, 10, 15, 20, 30 or 60)",
    "share": "a fraction between 0 and 1", "bool": "true or false",
}


class LabourRulesError(DataError):
    """A labour-rules file (or its overrides) holds a value the scheduler cannot use.

    The message names the file, the country, the field, the value and what would be right.
    """

    def __init__(self, message: str, *, file, country: str, field: str, expected: str):
        self.country, self.field = country, field
        super().__init__(f"country {country}, field '{field}': {message}", file=file,
                         expected=expected)


class InfeasibleScheduleError(ValueError):
    """The requirement cannot be covered under the rules: names the rule, day and interval."""

    def __init__(self, message: str, *, rule: str, day: str | None = None,
                 interval: str | None = None):
        self.rule, self.day, self.interval = rule, day, interval
        super().__init__(message)


# --------------------------------------------------------------------------------------------
# Labour rules: load, override, validate
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Break:
    """A break tier: a shift of at least ``after_hours`` paid work gets ``minutes`` off."""
    after_hours: float
    minutes: int
    paid: bool


@dataclass(frozen=True)
class CountryRules:
    """One country's working-time rules as plain values; ``figures`` keeps the sourced
    figures (value, unit, year, source, flag) for provenance tables."""
    country: str
    name: str
    weekly_hours: float
    max_daily_hours: float
    min_daily_rest_hours: float
    min_weekly_rest_hours: float
    breaks: tuple[Break, ...]
    earliest_start_minute: int
    latest_start_minute: int
    start_granularity_minutes: int
    min_shift_hours: float
    part_time_min_weekly_hours: float
    part_time_max_weekly_hours: float | None
    part_time_max_share: float
    sunday_work_allowed: bool
    night_work_allowed: bool
    night_start_minute: int
    night_end_minute: int
    night_max_daily_hours: float | None
    figures: dict = field(default_factory=dict, compare=False, repr=False)

    def break_for(self, paid_hours: float) -> Break | None:
        """The break tier a shift of ``paid_hours`` gets (the highest it reaches)."""
        tiers = [b for b in self.breaks if paid_hours >= b.after_hours - 1e-9]
        return max(tiers, key=lambda b: b.after_hours) if tiers else None

    def table(self) -> pd.DataFrame:
        """The figures as a table: field, value, unit, year, flag, source."""
        rows = [{"field": k, **{c: f.get(c) for c in FIGURE_KEYS}}
                for k, f in self.figures.items()]
        return pd.DataFrame(rows, columns=["field", *FIGURE_KEYS])


# The reference files' one reader and override merge (toolkit.refdata).
_read_yaml = refdata.read_yaml
_merge = refdata.deep_merge


def _minute_of_day(text) -> int | None:
    if not isinstance(text, str) or len(text.split(":")) != 2:
        return None
    hh, mm = text.split(":")
    if not (hh.isdigit() and mm.isdigit()):
        return None
    minute = int(hh) * 60 + int(mm)
    return minute if int(mm) < 60 and minute <= 1440 else None


def _check_value(kind: str, value):
    """The value read for ``kind``, or raise ValueError (the caller names file and field)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind in ("hours", "hours0", "hours_or_null"):
        if value is None and kind == "hours_or_null":
            return None
        if not number or math.isnan(value) or value < 0 or value > 168 \
                or (value == 0 and kind != "hours0"):
            raise ValueError
        return float(value)
    if kind == "share":
        if not number or not 0 <= value <= 1:
            raise ValueError
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind == "time":
        minute = _minute_of_day(value)
        if minute is None:
            raise ValueError
        return minute
    if kind == "granularity":
        if not number or value != int(value) or value <= 0 or 1440 % int(value):
            raise ValueError
        return int(value)
    if kind == "breaks":
        if not isinstance(value, list):
            raise ValueError
        tiers = []
        for tier in value:
            if not isinstance(tier, Mapping) or set(tier) != {"after_hours", "minutes", "paid"}:
                raise ValueError
            after, minutes, paid = tier["after_hours"], tier["minutes"], tier["paid"]
            if (not isinstance(after, int | float) or isinstance(after, bool) or after < 0
                    or not isinstance(minutes, int) or isinstance(minutes, bool)
                    or not 0 <= minutes <= 240 or not isinstance(paid, bool)):
                raise ValueError
            tiers.append(Break(float(after), int(minutes), paid))
        return tuple(tiers)
    raise AssertionError(kind)  # pragma: no cover


def _validate_country(code: str, entry, file_of) -> CountryRules:
    """Check one country's entry: every field present, a full figure, a usable value, and
    rules that leave at least one legal shift."""
    if not isinstance(entry, Mapping):
        raise LabourRulesError("is not a mapping of fields", file=file_of(None), country=code,
                               field="(country)", expected=f"fields {sorted(RULE_FIELDS)}")
    unknown = sorted(set(entry) - set(RULE_FIELDS) - {"name"})
    if unknown:
        raise LabourRulesError(f"unknown field {unknown[0]!r}", file=file_of(unknown[0]),
                               country=code, field=unknown[0],
                               expected=f"one of {['name', *sorted(RULE_FIELDS)]}")
    values = {}
    for name, kind in RULE_FIELDS.items():
        fig = entry.get(name)
        if fig is None:
            raise LabourRulesError("is missing", file=file_of(None), country=code, field=name,
                                   expected=f"a figure {{value, unit, year, source, flag}}: "
                                            f"{_EXPECTED[kind]}")
        missing = [k for k in FIGURE_KEYS if not isinstance(fig, Mapping) or k not in fig]
        if missing:
            raise LabourRulesError(f"figure lacks {missing}", file=file_of(name), country=code,
                                   field=name, expected="value, unit, year, source and flag")
        if fig["flag"] not in FLAGS:
            raise LabourRulesError(f"flag {fig['flag']!r} is not a known flag",
                                   file=file_of(name), country=code, field=name,
                                   expected="null, D, E, G, X or override")
        try:
            values[name] = _check_value(kind, fig["value"])
        except ValueError:
            raise LabourRulesError(f"value {fig['value']!r} is not valid", file=file_of(name),
                                   country=code, field=name, expected=_EXPECTED[kind]) from None
    rules = CountryRules(
        country=code, name=str(entry.get("name", code)), weekly_hours=values["weekly_hours"],
        max_daily_hours=values["max_daily_hours"],
        min_daily_rest_hours=values["min_daily_rest_hours"],
        min_weekly_rest_hours=values["min_weekly_rest_hours"], breaks=values["breaks"],
        earliest_start_minute=values["earliest_start"],
        latest_start_minute=values["latest_start"],
        start_granularity_minutes=values["start_granularity_minutes"],
        min_shift_hours=values["min_shift_hours"],
        part_time_min_weekly_hours=values["part_time_min_weekly_hours"],
        part_time_max_weekly_hours=values["part_time_max_weekly_hours"],
        part_time_max_share=values["part_time_max_share"],
        sunday_work_allowed=values["sunday_work_allowed"],
        night_work_allowed=values["night_work_allowed"],
        night_start_minute=values["night_start"], night_end_minute=values["night_end"],
        night_max_daily_hours=values["night_max_daily_hours"],
        figures={k: dict(entry[k]) for k in RULE_FIELDS})
    _check_consistency(rules, file_of)
    return rules


def _check_consistency(r: CountryRules, file_of) -> None:
    """Rules that contradict each other: no shift could ever be legal."""
    def fail(name, message, expected):
        raise LabourRulesError(message, file=file_of(name), country=r.country, field=name,
                               expected=expected)

    if r.max_daily_hours < r.min_shift_hours:
        fail("max_daily_hours", f"{r.max_daily_hours:g} h is below the shortest shift "
             f"(min_shift_hours = {r.min_shift_hours:g} h)",
             f"max_daily_hours >= {r.min_shift_hours:g}, or a lower min_shift_hours")
    if r.latest_start_minute < r.earliest_start_minute:
        fail("latest_start", f"{_hhmm(r.latest_start_minute)} is before earliest_start "
             f"{_hhmm(r.earliest_start_minute)}", "a time at or after earliest_start")
    if r.min_shift_hours + r.min_daily_rest_hours > 24:
        fail("min_daily_rest_hours", f"{r.min_daily_rest_hours:g} h of rest leaves less than "
             f"the shortest shift ({r.min_shift_hours:g} h) in a day",
             f"at most {24 - r.min_shift_hours:g} h")
    max_days = 7 - max(1, math.ceil((r.min_weekly_rest_hours - 24 + r.min_daily_rest_hours)
                                    / 24 - 1e-9))
    if max_days < 1 or r.max_daily_hours * max_days < r.weekly_hours - 1e-9:
        fail("weekly_hours", f"{r.weekly_hours:g} h cannot be worked in {max(max_days, 0)} days "
             f"of at most {r.max_daily_hours:g} h (max_daily_hours, min_weekly_rest_hours)",
             f"weekly_hours <= {r.max_daily_hours * max(max_days, 0):g}")


#: Parsed rules file keyed by modification time (callers get deep copies).
_RULES_CACHE: dict = {}


def load_labour_rules(overrides: str | os.PathLike | Mapping | None = None, *,
                      path: str | os.PathLike | None = None) -> dict[str, CountryRules]:
    """Every country's rules from ``toolkit/reference/labour_rules.yaml`` (or ``path``), with
    the analyst's ``overrides`` (a YAML path or a mapping of the same structure, top-level
    key ``countries``) merged in, unknown keys refused. Validated: an error names the file,
    the country and the field."""
    src = project_path(path) if path is not None else RULES_FILE
    key = (str(src), src.stat().st_mtime_ns if src.exists() else None)
    if key not in _RULES_CACHE:
        _RULES_CACHE.clear()
        _RULES_CACHE[key] = _read_yaml(src, "path")
    data = copy.deepcopy(_RULES_CACHE[key])
    if not isinstance(data.get("countries"), dict) or not data["countries"]:
        raise DataError("no 'countries' mapping", file=src,
                        expected="top-level key 'countries' with one entry per ISO country code")
    over_file = None
    if overrides is not None:
        over_file = "overrides mapping" if isinstance(overrides, Mapping) else str(overrides)
        extra = overrides if isinstance(overrides, Mapping) else _read_yaml(overrides,
                                                                            "overrides_path")
        data = _merge(data, extra, "")

    out = {}
    for code, entry in data["countries"].items():
        def file_of(name, entry=entry):
            fig = entry.get(name) if isinstance(entry, Mapping) and name else None
            overridden = isinstance(fig, Mapping) and fig.get("flag") == "override"
            return over_file if overridden and over_file else src
        out[str(code)] = _validate_country(str(code), entry, file_of)
    return out


def country_rules(country: str | CountryRules, overrides=None) -> CountryRules:
    """One country's rules; an unknown code is refused with the valid ones."""
    if isinstance(country, CountryRules):
        return country
    rules = load_labour_rules(overrides)
    if country not in rules:
        raise ParameterError("country", country, f"one of {sorted(rules)}")
    return rules[country]


# --------------------------------------------------------------------------------------------
# Shift templates (tours)
# --------------------------------------------------------------------------------------------

def _hhmm(minute: int) -> str:
    return f"{int(minute) // 60 % 24:02d}:{int(minute) % 60:02d}"


def _days_label(mask: Sequence[bool]) -> str:
    return "".join(d[0] if on else "-" for d, on in zip(WEEKDAYS, mask, strict=True))


def _block_patterns(days_on: int) -> list[tuple[bool, ...]]:
    """Every week of ``days_on`` working days with the days off in one (cyclic) block."""
    if days_on >= 7:
        return [(True,) * 7]
    pats = {tuple(not ((d - first) % 7 < 7 - days_on) for d in range(7)) for first in range(7)}
    return sorted(pats, reverse=True)


def _touches_night(start: int, span: int, r: CountryRules) -> bool:
    """Whether [start, start + span) minutes (may pass midnight) meets the night window."""
    ns, ne = r.night_start_minute, r.night_end_minute
    windows = [(ns, ne)] if ns < ne else [(ns, 1440), (0, ne)]
    for day in (-1440, 0, 1440):
        for a, b in windows:
            if max(start, a + day) < min(start + span, b + day):
                return True
    return False


def shift_templates(rules: str | CountryRules, *, overrides=None,
                    start_step_minutes: int | None = None,
                    part_time_shift_hours: Iterable[float] = (4.0, 5.0, 6.0),
                    part_time_min_days: int = 2) -> pd.DataFrame:
    """The legal weekly tours of a country: one row per start x length x days-on pattern.

    Full-time tours work ``weekly_hours`` over as many days as the daily maximum and weekly
    rest allow (daily length rounded down to the rules' ``start_granularity_minutes``);
    part-time tours use ``part_time_shift_hours`` lengths on at least ``part_time_min_days``
    days (planning policy: one-day contracts are rare), within the statutory part-time floor
    and ceiling. Starts move by ``start_step_minutes`` (default: the rules' granularity).
    Rules that forbid a tour (daily maximum, daily and weekly rest, Sunday, night window and
    its daily cap, start window) remove it here.

    Returns columns ``template, contract, start, start_minute, paid_hours, break_minutes,
    break_paid, span_hours, days_on, n_days, weekly_paid_hours`` (``days_on`` reads
    ``MTWTF--`` for Monday-Friday).
    """
    r = country_rules(rules, overrides)
    step = int(start_step_minutes or r.start_granularity_minutes)
    if step <= 0 or 1440 % step:
        raise ParameterError("start_step_minutes", start_step_minutes,
                             "whole minutes dividing a day (5, 10, 15, 30, 60)")
    step_h = r.start_granularity_minutes / 60.0          # lengths move by the rules' step
    lengths: list[tuple[str, float, int]] = []           # (contract, paid hours, days on)
    for n in range(1, 8):
        length = math.floor(r.weekly_hours / n / step_h + 1e-9) * step_h
        if r.min_shift_hours - 1e-9 <= length <= r.max_daily_hours + 1e-9:
            lengths.append(("full_time", length, n))
    if r.part_time_max_share > 0:
        cap = r.part_time_max_weekly_hours or r.weekly_hours
        for length in sorted(set(float(h) for h in part_time_shift_hours)):
            if not r.min_shift_hours - 1e-9 <= length <= r.max_daily_hours + 1e-9:
                continue
            for n in range(max(1, int(part_time_min_days)), 8):
                weekly = length * n
                if (r.part_time_min_weekly_hours - 1e-9 <= weekly <= cap + 1e-9
                        and weekly < r.weekly_hours - step_h * n + 1e-9):
                    lengths.append(("part_time", length, n))
    starts = range(r.earliest_start_minute, r.latest_start_minute + 1, step)
    rows = []
    for contract, length, n in lengths:
        brk = r.break_for(length)
        brk_min = brk.minutes if brk else 0
        span_min = int(round(length * 60)) + (0 if (brk is None or brk.paid) else brk_min)
        if span_min > (24 - r.min_daily_rest_hours) * 60 + 1e-9:
            continue                                       # daily rest with a fixed start
        if 24 * (7 - n) + 24 - span_min / 60 < r.min_weekly_rest_hours - 1e-9:
            continue                                       # weekly rest: days off + gap
        for s in starts:
            night = _touches_night(s, span_min, r)
            if night and (not r.night_work_allowed or (
                    r.night_max_daily_hours is not None
                    and length > r.night_max_daily_hours + 1e-9)):
                continue
            for mask in _block_patterns(n):
                spill = s + span_min > 1440
                if not r.sunday_work_allowed and (mask[6] or (spill and mask[5])):
                    continue
                rows.append((contract, s, length, brk_min, bool(brk and brk.paid),
                             span_min / 60, mask, n))
    if not rows:
        raise LabourRulesError(
            "no legal shift remains after the start window, rest, night and Sunday rules",
            file=RULES_FILE, country=r.country, field="earliest_start",
            expected="a start window and rules that leave at least one shift")
    frame = pd.DataFrame(rows, columns=["contract", "start_minute", "paid_hours",
                                        "break_minutes", "break_paid", "span_hours", "mask",
                                        "n_days"])
    return _finish_templates(frame)


_TEMPLATE_COLUMNS = ["template", "contract", "start", "start_minute", "paid_hours",
                     "break_minutes", "break_paid", "span_hours", "days_on", "n_days",
                     "weekly_paid_hours"]


def _finish_templates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["start"] = frame["start_minute"].map(_hhmm)
    frame["days_on"] = frame["mask"].map(_days_label)
    frame["weekly_paid_hours"] = frame["paid_hours"] * frame["n_days"]
    frame["template"] = [f"{c[0].upper()}T {s} {h:g}h {d}" for c, s, h, d in zip(
        frame["contract"], frame["start"], frame["paid_hours"], frame["days_on"], strict=True)]
    frame = frame.drop(columns="mask").drop_duplicates("template").reset_index(drop=True)
    return frame[_TEMPLATE_COLUMNS]


def daily_templates(shifts: Mapping[str, tuple], *, days: Iterable[int] = range(7),
                    break_minutes: int = 0, break_paid: bool = False) -> pd.DataFrame:
    """Single-day templates: each named shift ``(start "HH:MM" or minute, paid_hours)`` on
    each of ``days`` (Monday = 0) as its own tour, the day-by-day model of pyworkforce and
    of a planner who fills days independently (no weekly-hours link)."""
    names, minutes, hours = [], [], []
    for name, (start, paid) in shifts.items():
        minute = start if isinstance(start, int) else _minute_of_day(start)
        if minute is None or not 0 <= minute < 1440:
            raise ParameterError(f"shifts[{name!r}] start", start, 'a time "HH:MM"')
        if not 0 < float(paid) <= 24:
            raise ParameterError(f"shifts[{name!r}] paid_hours", paid, "hours in (0, 24]")
        names.append(str(name))
        minutes.append(int(minute))
        hours.append(float(paid))
    days = list(days)
    labels = [_days_label([i == d for i in range(7)]) for d in days]
    n_s, n_d = len(names), len(days)
    n = n_s * n_d
    paid = np.repeat(hours, n_d)
    # whole columns, not scalars: pandas broadcasts a scalar string slowly
    return pd.DataFrame({
        "template": [f"{n} {lab}" for n in names for lab in labels],
        "contract": ["full_time"] * n, "start": [hhmm for m in minutes for hhmm in [_hhmm(m)] * n_d],
        "start_minute": np.repeat(np.asarray(minutes, dtype=np.int64), n_d),
        "paid_hours": paid, "break_minutes": np.full(n, break_minutes),
        "break_paid": np.full(n, break_paid),
        "span_hours": paid + (0 if break_paid else break_minutes / 60),
        "days_on": labels * n_s, "n_days": np.ones(n, dtype=np.int64),
        "weekly_paid_hours": paid})


# --------------------------------------------------------------------------------------------
# Requirement grid
# --------------------------------------------------------------------------------------------

@dataclass
class _Grid:
    required: np.ndarray            # (7, slots) agents per interval, summed over queues
    interval_minutes: int
    week_start: pd.Timestamp        # local date of day 0
    tz: object
    column: str

    @property
    def slots(self) -> int:
        return self.required.shape[1]

    def label(self, day: int, slot: int) -> tuple[str, str]:
        date = self.week_start + pd.Timedelta(days=day)
        return f"{WEEKDAYS[date.day_of_week]} {date.date()}", _hhmm(slot * self.interval_minutes)


def _requirement_grid(requirement: pd.DataFrame, agents_column, interval_minutes,
                      week_start) -> _Grid:
    if not isinstance(requirement, pd.DataFrame):
        raise ParameterError("requirement", type(requirement).__name__,
                             "a DataFrame with columns ds and agents (or scheduled)")
    if agents_column is None:
        agents_column = "scheduled" if "scheduled" in requirement.columns else "agents"
    missing = [c for c in ("ds", agents_column) if c not in requirement.columns]
    if missing:
        raise DataError(f"requirement lacks column {missing[0]!r}", column=missing[0],
                        expected=f"columns ds and {agents_column} (optionally queue)")
    col = requirement[agents_column]
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iuf":
        values = col.to_numpy(dtype=float)
    else:
        values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise DataError(f"{agents_column} = {requirement[agents_column].iloc[bad[0]]!r} is not "
                        "a count of agents", row=int(bad[0]) + 1, column=agents_column,
                        expected="a number >= 0 on every row")
    ds = requirement["ds"]
    if not pd.api.types.is_datetime64_any_dtype(ds.dtype):
        ds = pd.to_datetime(ds)
    tz = getattr(ds.dtype, "tz", None)
    # wall-clock minutes since the epoch on the site clock: numpy from here on
    wall = local_clock(ds).to_numpy(dtype="datetime64[m]").astype(np.int64)
    if interval_minutes is None:
        steps = np.diff(np.unique(wall))
        if steps.size == 0:
            raise ParameterError("interval_minutes", None,
                                 "the interval length in minutes (one time stamp only)")
        interval_minutes = int(steps.min())
    if interval_minutes <= 0 or interval_minutes != int(interval_minutes) \
            or 1440 % int(interval_minutes):
        raise ParameterError("interval_minutes", interval_minutes,
                             "whole minutes dividing a day (15, 30, 60, ...)")
    step = int(interval_minutes)
    date, minute = np.divmod(wall, 1440)                  # days since 1970-01-01, minute
    off = np.flatnonzero(minute % step)
    if off.size:
        raise DataError(f"ds {requirement['ds'].iloc[off[0]]} is not on a {step}-minute "
                        "interval boundary", row=int(off[0]) + 1, column="ds",
                        expected=f"interval starts every {step} minutes from midnight")
    if week_start is not None:
        first = pd.Timestamp(week_start)
        first = local_clock(first).normalize()
    else:
        first = pd.Timestamp(int(date.min()), unit="D")
    day = date - (first - pd.Timestamp(0)).days

    def span():
        return [pd.Timestamp(int(d), unit="D").date() for d in (date.min(), date.max())]
    if week_start is None and day.max() > 6:
        first_day, last_day = span()
        raise ParameterError("week_start", None,
                             f"a date: the requirement spans {day.max() + 1} days ({first_day} "
                             f"to {last_day}); one week is scheduled")
    keep = (day >= 0) & (day <= 6)
    if not keep.any():
        first_day, last_day = span()
        raise ParameterError("week_start", week_start,
                             f"a date within {first_day} to {last_day}")
    slots = 1440 // step
    cell = (day * slots + minute // step)[keep]
    queue = (pd.factorize(requirement["queue"])[0][keep] if "queue" in requirement
             else np.zeros(cell.size, dtype=np.int64))
    # a repeated wall-clock interval (autumn DST change) counts once per queue, at its max
    per_queue = np.zeros((int(queue.max(initial=0)) + 1, 7 * slots))
    np.maximum.at(per_queue, (queue, cell), values[keep])
    return _Grid(per_queue.sum(axis=0).reshape(7, slots), step, first, tz, agents_column)


# --------------------------------------------------------------------------------------------
# Coverage matrices
# --------------------------------------------------------------------------------------------

def _days_matrix(days_on) -> np.ndarray:
    """(templates x 7) bool: which weekdays each ``days_on`` label works."""
    codes = np.frombuffer("".join(days_on).encode("ascii"), dtype=np.uint8)
    return (codes != ord("-")).reshape(-1, 7)


@dataclass(frozen=True)
class _Tours:
    """The template columns the model reads, as numpy arrays (read once per call)."""
    start: np.ndarray               # start minute
    span: np.ndarray                # span in minutes (paid + unpaid break)
    brk: np.ndarray                 # break minutes
    brk_paid: np.ndarray            # bool
    days: np.ndarray                # (templates x 7) bool, Monday first
    paid_w: np.ndarray              # weekly paid hours
    part_time: np.ndarray           # bool
    single_day: bool                # every tour works one day

    @classmethod
    def of(cls, templates: pd.DataFrame) -> _Tours:
        def col(name, dtype=None):
            return templates[name].array.to_numpy(dtype=dtype)     # no pandas Series step
        days = _days_matrix(col("days_on", object).tolist())
        return cls(start=col("start_minute").astype(np.int64),
                   span=np.round(col("span_hours").astype(float) * 60).astype(np.int64),
                   brk=col("break_minutes").astype(np.int64),
                   brk_paid=col("break_paid").astype(bool), days=days,
                   paid_w=col("weekly_paid_hours").astype(float),
                   part_time=np.asarray(col("contract", object) == "part_time", dtype=bool),
                   single_day=bool((col("n_days") == 1).all()))


@dataclass(frozen=True)
class _Coverage:
    """Coverage of a tour set on a week grid: sparse (cells x templates) ``cover`` (counted
    coverage) and ``present`` (seat presence), and the (tour-day, interval) entries of
    ``cover``, to find working days that meet no requirement."""
    cover: sparse.csc_array
    present: sparse.csc_array
    cells: np.ndarray               # each (tour-day, interval) entry of cover: its cell
    entry_pair: np.ndarray          # ... and its tour-day
    pair_template: np.ndarray       # tour-day -> template

    def idle_days(self, positive: np.ndarray) -> np.ndarray:
        """Per template, its working days whose intervals need no agent at all."""
        hits = np.bincount(self.entry_pair, weights=positive[self.cells],
                           minlength=self.pair_template.size)
        return np.bincount(self.pair_template, weights=hits == 0,
                           minlength=self.cover.shape[1]).astype(np.int64)


#: Coverage matrices by tour set and grid (start, span, break, days, interval, slots): a
#: schedule repeated for another week or requirement with the same templates reuses them.
_COVERAGE_CACHE: dict = {}
_COVERAGE_CACHE_SIZE = 8


def _coverage(tours: _Tours, step: int, slots: int, first_weekday: int,
              breaks_in_requirement: bool) -> _Coverage:
    """Coverage matrices of ``tours`` on a week of ``slots`` intervals of ``step`` minutes
    starting on ``first_weekday`` (cached by content: see ``_COVERAGE_CACHE``).

    Tours sharing a daily shape (start, span, break) share one interval profile over two
    days; every (tour, working day) pair then takes its shape's nonzeros shifted to its
    day, all in one numpy step."""
    gap = tours.brk * (~tours.brk_paid | (not breaks_in_requirement))  # breaks off the phone
    on = np.roll(tours.days, -first_weekday, axis=1)
    key = (step, slots, tours.start.tobytes(), tours.span.tobytes(), gap.tobytes(),
           np.packbits(on).tobytes(), on.shape)
    hit = _COVERAGE_CACHE.get(key)
    if hit is not None:
        return hit
    n_cells, n_t = 7 * slots, tours.start.size
    parts = np.column_stack([tours.start, tours.span, gap])
    if parts.size and 0 <= parts.min() and parts.max() < 2 ** 20:
        # one int64 per daily shape: a 1-d unique, several times faster than by rows
        keys, shape_id = np.unique((parts[:, 0] << 40) | (parts[:, 1] << 20) | parts[:, 2],
                                   return_inverse=True)
        shapes = np.column_stack([keys >> 40, (keys >> 20) & 0xFFFFF, keys & 0xFFFFF])
    else:
        shapes, shape_id = np.unique(parts, axis=0, return_inverse=True)
    shape_id = shape_id.ravel()
    s, span, brk = shapes.T
    mid = s + (span - brk) // 2
    b0 = np.where(brk > 0, mid - mid % 5, s + span)          # breaks start on a 5-minute mark
    edges = np.arange(2 * slots + 1) * step

    def share(a, b):                # (shapes x 2 days of intervals): share covered by [a, b)
        return np.clip(np.minimum(edges[None, 1:], b[:, None])
                       - np.maximum(edges[None, :-1], a[:, None]), 0, None) / step

    pair_template, day = np.nonzero(on)                      # tour-days, template order
    pair_shape = shape_id[pair_template]
    out = []
    for prof in (share(s, b0) + share(np.minimum(b0 + brk, s + span), s + span),
                 share(s, s + span)):
        k, slot = np.nonzero(prof > 1e-12)                   # by shape, then slot
        vals = prof[k, slot]
        count = np.bincount(k, minlength=len(shapes))
        first = np.cumsum(count) - count
        n = count[pair_shape]
        entry_pair = np.repeat(np.arange(pair_template.size), n)
        pos = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + first[pair_shape][entry_pair]
        cells = (day[entry_pair] * slots + slot[pos]) % n_cells
        mat = sparse.csc_array((vals[pos], (cells, pair_template[entry_pair])),
                               shape=(n_cells, n_t))
        out.append((mat, cells, entry_pair))
    (cover, cells, entry_pair), (present, _, _) = out
    result = _Coverage(cover, present, cells, entry_pair, pair_template)
    if len(_COVERAGE_CACHE) >= _COVERAGE_CACHE_SIZE:
        _COVERAGE_CACHE.pop(next(iter(_COVERAGE_CACHE)))
    _COVERAGE_CACHE[key] = result
    return result


def _uncoverable_error(cells: np.ndarray, grid: _Grid, rules: CountryRules | None,
                       n_templates: int) -> InfeasibleScheduleError:
    """Name the rule that keeps the first uncovered interval from any shift."""
    d, slot = divmod(int(cells[0]), grid.slots)
    day, at = grid.label(d, slot)
    need = grid.required[d, slot]
    weekday = (grid.week_start + pd.Timedelta(days=d)).day_of_week
    minute = slot * grid.interval_minutes
    others = f" ({len(cells) - 1} more intervals likewise)" if len(cells) > 1 else ""
    where = f"a requirement of {need:g} agents on {day} at {at}{others}"
    fix = "or pass uncoverable='penalise' to schedule around it"
    if rules is not None:
        c = rules.country
        if weekday == 6 and not rules.sunday_work_allowed:
            return InfeasibleScheduleError(
                f"{where} cannot be covered: country {c}, rule 'sunday_work_allowed' is false. "
                f"Remove Sunday from the requirement, override countries.{c}."
                f"sunday_work_allowed to true for a site with a derogation, {fix}.",
                rule="sunday_work_allowed", day=day, interval=at)
        if not rules.night_work_allowed and _touches_night(minute, grid.interval_minutes,
                                                           rules):
            return InfeasibleScheduleError(
                f"{where} cannot be covered: country {c}, rule 'night_work_allowed' is false "
                f"(night {_hhmm(rules.night_start_minute)}-{_hhmm(rules.night_end_minute)}). "
                f"Remove night intervals from the requirement, override countries.{c}."
                f"night_work_allowed, {fix}.", rule="night_work_allowed", day=day, interval=at)
        latest_end = rules.latest_start_minute + rules.max_daily_hours * 60 + 60
        if minute < rules.earliest_start_minute and minute + 1440 >= latest_end:
            return InfeasibleScheduleError(
                f"{where} cannot be covered: country {c}, rule 'earliest_start' = "
                f"{_hhmm(rules.earliest_start_minute)} starts no shift early enough. "
                f"Override countries.{c}.earliest_start, {fix}.", rule="earliest_start",
                day=day, interval=at)
    return InfeasibleScheduleError(
        f"{where} cannot be covered: none of the {n_templates} shift templates works then "
        f"(rule 'templates'). Add a template covering {at}, {fix}.", rule="templates",
        day=day, interval=at)


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------

@dataclass
class ScheduleResult:
    """A week's schedule under one country's rules (statsmodels-style results object).

    Attributes: ``country``, ``rules`` (``CountryRules`` or None), ``templates`` (candidate
    tours with ``agents`` = how many work each), ``shift_counts`` (day, weekday, template,
    start, end, paid_hours, contract, shifts), ``coverage`` (ds, day, weekday, time, required,
    scheduled, seats, under, over), totals ``required_agent_hours``,
    ``scheduled_agent_hours``, ``paid_hours``, ``under_coverage_agent_hours``,
    ``efficiency`` (useful ÷ scheduled agent-hours), ``peak_seats``, ``headcount``,
    ``part_time_share``, ``fte`` (paid hours ÷ weekly_hours), and solver provenance
    ``status``, ``mip_gap``, ``solve_time_s``, ``objective`` (paid hours + penalty x
    uncovered agent-hours), ``objective_bound`` (HiGHS's proven lower bound on it: with hard
    coverage, no legal schedule pays fewer hours), ``params``.
    """
    country: str | None
    rules: CountryRules | None
    required_agent_hours: float
    scheduled_agent_hours: float
    paid_hours: float
    under_coverage_agent_hours: float
    efficiency: float
    peak_seats: int
    headcount: int
    part_time_share: float
    weekly_hours: float | None
    fte: float
    status: str
    mip_gap: float
    solve_time_s: float
    objective: float
    objective_bound: float
    params: dict
    _grid: _Grid = field(repr=False)
    _per_cell: dict = field(repr=False)
    _candidates: tuple = field(repr=False)      # (templates given, kept rows or None, agents)

    # The tables are built on first use (statsmodels' cache_readonly idea): a comparison
    # that reads only the totals does not pay for them.
    @cached_property
    def templates(self) -> pd.DataFrame:
        """The candidate tours the model chose from (those with a working day that meets no
        requirement dropped) and ``agents``, how many work each."""
        frame, keep, agents = self._candidates
        if keep is not None:
            frame = frame.iloc[keep].reset_index(drop=True)
        return frame.assign(agents=agents)

    @cached_property
    def coverage(self) -> pd.DataFrame:
        """Per interval of the week: ds, day, weekday, time, required, scheduled, seats,
        under, over (agents; ``scheduled`` counts coverage, ``seats`` presence)."""
        grid, c = self._grid, self._per_cell
        slots = grid.slots
        day = np.repeat(np.arange(7), slots)
        slot = np.tile(np.arange(slots), 7)
        local = pd.DatetimeIndex(grid.week_start + pd.to_timedelta(day, unit="D")
                                 + pd.to_timedelta(slot * grid.interval_minutes, unit="min"))
        ds = (local.tz_localize(grid.tz, ambiguous="NaT", nonexistent="NaT")
              if grid.tz is not None else local)
        times = np.array([_hhmm(m) for m in range(0, 1440, grid.interval_minutes)])
        return pd.DataFrame({
            "ds": ds, "day": day, "weekday": np.asarray(WEEKDAYS)[local.day_of_week],
            "time": times[slot], "required": c["required"], "scheduled": c["scheduled"],
            "seats": c["seats"], "under": np.clip(c["required"] - c["scheduled"], 0, None),
            "over": np.clip(c["scheduled"] - c["required"], 0, None)})

    @cached_property
    def shift_counts(self) -> pd.DataFrame:
        """Shifts per day and template: day, weekday, template, start, end, paid_hours,
        contract, shifts."""
        used = self.templates[self.templates["agents"] > 0]
        t_idx, weekday = np.nonzero(_days_matrix(used["days_on"]))
        pick = used.iloc[t_idx]
        end = (pick["start_minute"] + (pick["span_hours"] * 60).round()).map(_hhmm)
        out = pd.DataFrame({
            "day": (weekday - self._grid.week_start.day_of_week) % 7,
            "weekday": np.asarray(WEEKDAYS)[weekday], "template": pick["template"].to_numpy(),
            "start": pick["start"].to_numpy(), "end": end.to_numpy(),
            "paid_hours": pick["paid_hours"].to_numpy(),
            "contract": pick["contract"].to_numpy(), "shifts": pick["agents"].to_numpy()})
        return out.sort_values(["day", "start", "template"]).reset_index(drop=True)

    def daily(self) -> pd.DataFrame:
        """Per day: required and scheduled agent-hours, shifts, paid hours, peak seats."""
        cov = self.coverage.assign(
            required_h=self.coverage["required"] * self.params["interval_minutes"] / 60,
            scheduled_h=self.coverage["scheduled"] * self.params["interval_minutes"] / 60)
        out = cov.groupby(["day", "weekday"], sort=True).agg(
            required_agent_hours=("required_h", "sum"),
            scheduled_agent_hours=("scheduled_h", "sum"), peak_seats=("seats", "max"))
        sc = self.shift_counts.assign(paid=self.shift_counts["shifts"]
                                      * self.shift_counts["paid_hours"])
        by_day = sc.groupby("day").agg(shifts=("shifts", "sum"), paid_hours=("paid", "sum"))
        out = out.reset_index().merge(by_day, on="day", how="left").fillna(
            {"shifts": 0, "paid_hours": 0.0})
        out["shifts"] = out["shifts"].astype(int)
        out["peak_seats"] = np.ceil(out["peak_seats"] - 1e-9).astype(int)
        return out

    def summary(self) -> str:
        """A plain-text report: rules, totals, solver status and the week day by day."""
        who = (f"{self.rules.name} ({self.country})" if self.rules is not None
               else "custom templates")
        p = self.params
        lines = [
            "Schedule results".center(78), "=" * 78,
            f"Rules:            {who:<30} Week from:        {p['week_start']}",
            f"Requirement:      {p['agents_column']:<30} Interval:         "
            f"{p['interval_minutes']} min",
            f"Templates:        {p['n_templates']:<30} Penalty:          "
            f"{p['under_coverage_penalty']} h / uncovered agent-h",
            f"Status:           {self.status:<30} MIP gap:          {self.mip_gap:.2%}",
            f"Solve time:       {self.solve_time_s:<30.2f} Objective bound:  "
            f"{self.objective_bound:,.1f} (objective {self.objective:,.1f})",
            f"Breaks in req.:   {p['breaks_in_requirement']!s:<30} Agents pooled:    "
            "queues summed",
            "-" * 78,
            f"Paid hours:       {self.paid_hours:<30,.1f} FTE:              "
            f"{self.fte:,.2f} (at {self.weekly_hours or float('nan'):g} h)",
            f"Required agent-h: {self.required_agent_hours:<30,.1f} Scheduled agent-h:"
            f" {self.scheduled_agent_hours:,.1f}",
            f"Efficiency:       {self.efficiency:<30.3f} Under-coverage:   "
            f"{self.under_coverage_agent_hours:,.1f} agent-h",
            f"Peak seats:       {self.peak_seats:<30} Headcount:        {self.headcount}"
            f" ({self.part_time_share:.0%} of paid hours part-time)",
            "=" * 78,
            self.daily().to_string(index=False, float_format=lambda x: f"{x:,.1f}"),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<ScheduleResult {self.country or 'custom'}: paid_hours={self.paid_hours:,.1f}"
                f", efficiency={self.efficiency:.3f}, peak_seats={self.peak_seats}, "
                f"status={self.status}>")


# --------------------------------------------------------------------------------------------
# Scheduler
# --------------------------------------------------------------------------------------------

def schedule(requirement: pd.DataFrame, rules: str | CountryRules | None = None, *,
             templates: pd.DataFrame | None = None, overrides=None,
             agents_column: str | None = None, interval_minutes: int | None = None,
             week_start=None, under_coverage_penalty: float | None = 50.0,
             breaks_in_requirement: bool | None = None, uncoverable: str = "raise",
             start_step_minutes: int | None = None,
             part_time_shift_hours: Iterable[float] = (4.0, 5.0, 6.0),
             part_time_min_days: int = 2, weekly_hours: float | None = None,
             time_limit_s: float = 30.0, mip_rel_gap: float = 2e-3) -> ScheduleResult:
    """Cover a week's interval requirement with legal tours at minimum paid hours.

    Parameters
    ----------
    requirement : DataFrame
        Tidy ``ds`` (interval starts, tz-aware on the site clock, or naive local time), the
        agents column and optionally ``queue`` (summed: agents are pooled). At most 7 days,
        or pass ``week_start``; intervals missing from the table need no agent (closed).
    rules : country code or CountryRules
        The working-time rules (``load_labour_rules``); needed unless ``templates`` is given.
    templates : DataFrame, optional
        Own tours (``shift_templates`` / ``daily_templates`` columns) instead of the rules'.
    agents_column : str, optional
        ``scheduled`` (paid presence, shrinkage included) when present, else ``agents``.
    under_coverage_penalty : float or None
        Paid hours the planner would spend to cover one more required agent-hour. The
        default 50 covers all but the dearest isolated intervals (a part-time tour costs at
        least 8 paid hours); lower it to trade peak coverage for paid hours and seats.
        ``None`` makes coverage a hard constraint (as pyworkforce's ``MinRequiredResources``).
    breaks_in_requirement : bool, optional
        Whether paid breaks are already in the requirement (default: True for ``scheduled``).
    uncoverable : "raise" or "penalise"
        What to do with a required interval no legal shift can work (Sunday, night...).
    start_step_minutes : int, optional
        Step of shift starts; default the coarser of the rules' granularity and the interval
        (the requirement cannot tell finer starts apart).
    time_limit_s, mip_rel_gap : float
        HiGHS limits; on the time limit the best schedule found is returned with its gap
        (``status="time_limit"``). A 0.2 % gap is well inside the requirement's own error.
    """
    if uncoverable not in UNCOVERABLE:
        raise ParameterError("uncoverable", uncoverable, f"one of {list(UNCOVERABLE)}")
    if under_coverage_penalty is not None and not under_coverage_penalty > 0:
        raise ParameterError("under_coverage_penalty", under_coverage_penalty,
                             "paid hours > 0 per uncovered agent-hour, or None (hard)")
    grid = _requirement_grid(requirement, agents_column, interval_minutes, week_start)
    r = country_rules(rules, overrides) if rules is not None else None
    if templates is None:
        if r is None:
            raise ParameterError("rules", None, "a country code (e.g. 'FR') or templates=")
        step = start_step_minutes or max(r.start_granularity_minutes, grid.interval_minutes)
        templates = shift_templates(r, start_step_minutes=step,
                                    part_time_shift_hours=part_time_shift_hours,
                                    part_time_min_days=part_time_min_days)
    if breaks_in_requirement is None:
        breaks_in_requirement = grid.column == "scheduled"
    step_h = grid.interval_minutes / 60.0

    tours = _Tours.of(templates)
    cov = _coverage(tours, grid.interval_minutes, grid.slots, grid.week_start.day_of_week,
                    breaks_in_requirement)
    req = grid.required.ravel()
    need = np.flatnonzero(req > 0)
    # A tour with a working day that meets no requirement at all is never worth its pay.
    keep = np.flatnonzero(cov.idle_days(req > 0) == 0)
    if not 0 < keep.size < tours.start.size:
        keep = None
    paid_w = tours.paid_w if keep is None else tours.paid_w[keep]
    is_pt = tours.part_time if keep is None else tours.part_time[keep]
    n_t = paid_w.size
    a_cov = _submatrix(cov.cover, need, keep)
    reachable = np.bincount(a_cov.indices, minlength=need.size) > 0
    if not reachable.all() and (uncoverable == "raise" or under_coverage_penalty is None):
        raise _uncoverable_error(need[~reachable], grid, r, n_t)

    n_u = need.size if under_coverage_penalty is not None else 0
    cost = np.concatenate([paid_w, np.full(n_u, (under_coverage_penalty or 0) * step_h)])
    if n_u:
        a_cov = sparse.hstack([a_cov, sparse.eye_array(n_u, format="csc")], format="csc")
    share = r.part_time_max_share if r is not None else 1.0
    share_row = is_pt.any() and share < 1

    extra = []
    if share_row:
        row = np.concatenate([paid_w * (is_pt - share), np.zeros(n_u)])
        extra.append(LinearConstraint(row[None, :], -np.inf, 0.0))
    # Single-day shifts without breaks make an interval (consecutive-ones) matrix: try the LP.
    solved = _solve_cover(cost, a_cov, req[need], n_t, extra=extra,
                          lp_first=not share_row and tours.single_day,
                          time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    res, solve_s, status, gap, bound = solved
    agents = np.round(res.x[:n_t]).astype(np.int64)
    # a shallow copy: under pandas' copy-on-write, later edits of the caller's frame leave it
    return _result(grid, r, (templates.copy(deep=False), keep), agents, paid_w, is_pt, cov, req,
                   status, gap, solve_s, (float(res.fun), bound), weekly_hours, {
                       "under_coverage_penalty": under_coverage_penalty,
                       "breaks_in_requirement": breaks_in_requirement,
                       "uncoverable": uncoverable, "time_limit_s": time_limit_s,
                       "mip_rel_gap": mip_rel_gap})


@dataclass
class DailyShiftPlan:
    """Result of :func:`schedule_days`: arrays only, for many what-if runs.

    ``shifts`` (days x shifts) agents starting each shift each day, ``scheduled`` (days x
    intervals) agents on the phone, ``paid_hours``, ``required_agent_hours``,
    ``under_coverage_agent_hours``, ``efficiency`` (useful / scheduled agent-hours), and the
    solver's ``status``, ``mip_gap``, ``objective``, ``objective_bound``, ``solve_time_s``."""
    shifts: np.ndarray
    scheduled: np.ndarray
    paid_hours: float
    required_agent_hours: float
    under_coverage_agent_hours: float
    efficiency: float
    status: str
    mip_gap: float
    objective: float
    objective_bound: float
    solve_time_s: float


def schedule_days(required, shift_coverage, shift_paid_hours, *,
                  under_coverage_penalty: float | None = None, time_limit_s: float = 30.0,
                  mip_rel_gap: float = 2e-3) -> DailyShiftPlan:
    """Cover each day's interval requirement with day shifts at minimum paid hours: the
    array entry point, for a planner who fills days independently (pyworkforce's
    ``MinRequiredResources`` model) and for loops over many requirements.

    Why beside :func:`schedule`: no tables in or out, no tours, no country rules, so a
    what-if loop pays only for the solve (about a millisecond a week at 48 intervals).

    Parameters
    ----------
    required : array (days x intervals)
        Agents needed per interval (>= 0); the interval length is 24 h / intervals.
    shift_coverage : array (shifts x intervals)
        How much of each interval a shift works (1 on the phone, 0 off or on break,
        fractions for partial intervals); the same shifts are offered every day.
    shift_paid_hours : array (shifts,)
        Paid hours of one agent on each shift (the cost minimised).
    under_coverage_penalty : float or None
        Paid hours the planner would spend to cover one more required agent-hour; ``None``
        (default, as ``MinRequiredResources``) makes coverage a hard constraint.
    """
    req = _array_parameter("required", required, 2)
    cov = _array_parameter("shift_coverage", shift_coverage, 2)
    paid = _array_parameter("shift_paid_hours", shift_paid_hours, 1)
    n_days, periods = req.shape
    n_s = cov.shape[0]
    if cov.shape[1] != periods:
        raise ParameterError("shift_coverage", f"{cov.shape[1]} intervals a row",
                             f"{periods} intervals a row, as required has")
    if paid.size != n_s:
        raise ParameterError("shift_paid_hours", f"{paid.size} values",
                             f"one paid length per shift ({n_s})")
    if under_coverage_penalty is not None and not under_coverage_penalty > 0:
        raise ParameterError("under_coverage_penalty", under_coverage_penalty,
                             "paid hours > 0 per uncovered agent-hour, or None (hard)")
    step_h = 24.0 / periods
    # one column per (day, shift), day-major: a shift's nonzeros shifted to its day
    shift_of, slot = np.nonzero(cov)
    per_shift = np.bincount(shift_of, minlength=n_s)
    indices = (np.arange(n_days)[:, None] * periods + slot[None, :]).ravel()
    indptr = np.zeros(n_days * n_s + 1, dtype=np.int64)
    np.cumsum(np.tile(per_shift, n_days), out=indptr[1:])
    full = sparse.csc_array((np.tile(cov[shift_of, slot], n_days), indices, indptr),
                            shape=(n_days * periods, n_days * n_s))
    flat = req.ravel()
    need = np.flatnonzero(flat > 0)
    a = _submatrix(full, need, None)
    reachable = np.bincount(a.indices, minlength=need.size) > 0
    if not reachable.all() and under_coverage_penalty is None:
        d, at = divmod(int(need[~reachable][0]), periods)
        raise InfeasibleScheduleError(
            f"required[{d}, {at}] = {req[d, at]:g} agents (day {d}, interval {at}, "
            f"{_hhmm(round(at * step_h * 60))}) cannot be covered: no shift in shift_coverage "
            "works that interval. Add a shift covering it, or pass under_coverage_penalty "
            "to schedule around it.", rule="shift_coverage", day=str(d), interval=str(at))
    n_t = n_days * n_s
    cost = np.tile(paid, n_days)
    n_u = need.size if under_coverage_penalty is not None else 0
    if n_u:
        cost = np.concatenate([cost, np.full(n_u, under_coverage_penalty * step_h)])
        a = sparse.hstack([a, sparse.eye_array(n_u, format="csc")], format="csc")
    # 0/1 rows with one run of ones each: an interval matrix, whose LP optimum is integral
    ones = np.all((cov == 0) | (cov == 1))
    runs = np.count_nonzero(np.diff(cov != 0, axis=1, prepend=0, append=0), axis=1) <= 2
    res, solve_s, status, gap, bound = _solve_cover(
        cost, a, flat[need], n_t, lp_first=bool(ones and runs.all()),
        time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    shifts = np.round(res.x[:n_t]).astype(np.int64)
    scheduled = full @ shifts.astype(float)
    useful = np.minimum(flat, scheduled).sum() * step_h
    scheduled_h = float(scheduled.sum() * step_h)
    return DailyShiftPlan(
        shifts=shifts.reshape(n_days, n_s), scheduled=scheduled.reshape(n_days, periods),
        paid_hours=float(cost[:n_t] @ shifts), required_agent_hours=float(flat.sum() * step_h),
        under_coverage_agent_hours=float(np.clip(flat - scheduled, 0, None).sum() * step_h),
        efficiency=float(useful / scheduled_h) if scheduled_h else float("nan"),
        status=status, mip_gap=gap, objective=float(res.fun), objective_bound=bound,
        solve_time_s=solve_s)


def _array_parameter(name: str, value, ndim: int) -> np.ndarray:
    """``value`` as a float array of ``ndim`` dimensions, finite and >= 0, or a
    ParameterError naming the parameter and the first bad cell."""
    try:
        out = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, type(value).__name__,
                             f"a {ndim}-d array of numbers") from None
    if out.ndim != ndim or 0 in out.shape:
        raise ParameterError(name, f"shape {out.shape}", f"a non-empty {ndim}-d array")
    bad = np.argwhere(~np.isfinite(out) | (out < 0))
    if bad.size:
        where = ", ".join(str(int(i)) for i in bad[0])
        raise ParameterError(f"{name}[{where}]", out[tuple(bad[0])], "a number >= 0")
    return out


def _solve_cover(cost: np.ndarray, a: sparse.csc_array, lower: np.ndarray, n_int: int, *,
                 extra: Sequence[LinearConstraint] = (), lp_first: bool,
                 time_limit_s: float, mip_rel_gap: float):
    """min cost @ x subject to a @ x >= lower (and ``extra``), x >= 0, the first ``n_int``
    variables whole: the covering model both entry points solve.

    With ``lp_first`` (an interval matrix: single-day shifts without breaks, no side row)
    the LP relaxation is solved first: such a matrix is totally unimodular, so the simplex
    optimum is already integral, and an integral LP optimum is the MIP optimum; otherwise,
    or if it is not integral, HiGHS's branch and bound runs. Presolve is off for the LP: on
    these small covering LPs it costs several times the simplex itself.
    Returns (result, solve seconds, status, relative gap, proven lower bound)."""
    n = cost.size
    options = {"time_limit": float(time_limit_s), "mip_rel_gap": float(mip_rel_gap),
               "disp": False}
    t0 = time.perf_counter()
    res = None
    if lp_first:
        lp = _lp_direct(cost, a, lower, time_limit_s) if not extra else None
        if lp is None:
            lp = milp(cost, constraints=[LinearConstraint(a, lower, np.inf), *extra],
                      bounds=Bounds(0, np.inf), options={**options, "presolve": False})
        if lp.status == 0 and np.allclose(lp.x[:n_int], np.round(lp.x[:n_int]), atol=1e-7):
            res = lp
            res.mip_gap, res.mip_dual_bound = 0.0, lp.fun
    if res is None:
        integrality = np.concatenate([np.ones(n_int), np.zeros(n - n_int)])
        res = milp(cost, constraints=[LinearConstraint(a, lower, np.inf), *extra],
                   integrality=integrality, bounds=Bounds(0, np.inf), options=options)
    solve_s = time.perf_counter() - t0
    if res.x is None:
        if res.status == 1:
            raise InfeasibleScheduleError(
                f"no schedule found within time_limit_s={time_limit_s:g} "
                f"({n_int} shifts or templates); raise time_limit_s or coarsen "
                "start_step_minutes", rule="time_limit_s")
        raise InfeasibleScheduleError(
            f"the schedule model is infeasible ({res.message}); with "
            "under_coverage_penalty=None every required interval must be coverable",
            rule="under_coverage_penalty")
    status = {0: "optimal", 1: "time_limit"}.get(res.status, f"status {res.status}")
    gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(res.fun) if bound is None or not np.isfinite(bound) else float(bound)
    return res, solve_s, status, gap, bound


def _submatrix(a: sparse.csc_array, rows: np.ndarray, cols: np.ndarray | None
               ) -> sparse.csc_array:
    """``a[rows][:, cols]`` of a CSC matrix with sorted indices, ``rows`` and ``cols``
    sorted and unique (``cols=None``: every column), in a few numpy steps."""
    n_rows, n_cols = a.shape
    row_map = np.full(n_rows, -1, dtype=np.int64)
    row_map[rows] = np.arange(rows.size)
    new_row = row_map[a.indices]
    col = np.repeat(np.arange(n_cols), np.diff(a.indptr))
    if cols is not None:
        col_map = np.full(n_cols, -1, dtype=np.int64)
        col_map[cols] = np.arange(cols.size)
        col = col_map[col]
        n_cols = cols.size
    ok = (new_row >= 0) & (col >= 0)
    indptr = np.zeros(n_cols + 1, dtype=np.int64)
    np.cumsum(np.bincount(col[ok], minlength=n_cols), out=indptr[1:])
    return sparse.csc_array((a.data[ok], new_row[ok], indptr), shape=(rows.size, n_cols))


def _lp_direct(cost: np.ndarray, a: sparse.csc_array, lower: np.ndarray,
               time_limit_s: float) -> OptimizeResult | None:
    """min cost @ x subject to a @ x >= lower, x >= 0: the LP relaxation solved by the HiGHS
    that scipy ships, presolve off, through its binding directly.

    ``scipy.optimize.milp`` solves the same model with the same HiGHS, but checks each
    option by building HiGHS's option table anew and copies the matrix into HiGHS element
    by element (together about 2 ms a call, twice the simplex on a week of 48 intervals).
    Returns None, and the caller uses ``milp``, if scipy's private binding is missing or
    has changed, or if HiGHS reports no optimum (the MIP then says why)."""
    if _highs is None:
        return None
    try:
        n, m = cost.size, lower.size
        solver = _highs._Highs()
        for name, value in (("output_flag", False), ("presolve", "off"),
                            ("time_limit", float(time_limit_s))):
            if solver.setOptionValue(name, value) == _highs.HighsStatus.kError:
                return None
        # the arrays go in as buffers (HighsLp's fields would copy them element by element)
        if (solver.passModel(n, m, a.nnz, int(_highs.MatrixFormat.kColwise),
                             int(_highs.ObjSense.kMinimize), 0.0,
                             np.ascontiguousarray(cost, dtype=np.float64), np.zeros(n),
                             np.full(n, np.inf), np.asarray(lower, dtype=np.float64),
                             np.full(m, np.inf), a.indptr.astype(np.int32),
                             a.indices.astype(np.int32), a.data.astype(np.float64),
                             np.zeros(n, dtype=np.int32)) == _highs.HighsStatus.kError
                or solver.run() == _highs.HighsStatus.kError
                or solver.getModelStatus() != _highs.HighsModelStatus.kOptimal):
            return None
        x = np.array(solver.getSolution().col_value)
        fun = float(solver.getInfo().objective_function_value)
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - binding changed
        return None
    return OptimizeResult(x=x, fun=fun, status=0, message="Optimization terminated "
                          "successfully. (HiGHS Status 7: Optimal)", success=True)


def _result(grid: _Grid, r, candidates, agents, paid_w, is_pt, cov: _Coverage, req, status,
            gap, solve_s, objectives, weekly_hours, params) -> ScheduleResult:
    step_h = grid.interval_minutes / 60.0
    every = agents.astype(float)                # agents on every candidate, dropped ones 0
    if candidates[1] is not None:
        every = np.zeros(cov.cover.shape[1])
        every[candidates[1]] = agents
    scheduled = cov.cover @ every
    seats = cov.present @ every
    useful = np.minimum(req, scheduled)
    under = np.clip(req - scheduled, 0, None)
    paid = float(paid_w @ agents)
    pt = float(paid_w[is_pt] @ agents[is_pt])
    scheduled_h = float(scheduled.sum() * step_h)
    weekly = weekly_hours if weekly_hours is not None else (r.weekly_hours if r else None)

    return ScheduleResult(
        country=r.country if r else None, rules=r,
        required_agent_hours=float(req.sum() * step_h),
        scheduled_agent_hours=scheduled_h, paid_hours=paid,
        under_coverage_agent_hours=float(under.sum() * step_h),
        efficiency=float(useful.sum() * step_h / scheduled_h) if scheduled_h else float("nan"),
        peak_seats=int(math.ceil(seats.max() - 1e-9)) if seats.size else 0,
        headcount=int(agents.sum()), part_time_share=pt / paid if paid else 0.0,
        weekly_hours=weekly, fte=paid / weekly if weekly else float("nan"), status=status,
        mip_gap=gap, solve_time_s=solve_s, objective=objectives[0],
        objective_bound=objectives[1],
        params={**params, "agents_column": grid.column,
                "interval_minutes": grid.interval_minutes,
                "week_start": str(grid.week_start.date()), "n_templates": int(agents.size)},
        _grid=grid, _per_cell={"required": req, "scheduled": scheduled, "seats": seats},
        _candidates=(*candidates, agents))


#: Paid hours per uncovered agent-hour that make covering every coverable interval the
#: cheaper choice (a whole week's tour costs at most about 60 paid hours).
FULL_COVER_PENALTY = 10_000.0


def schedule_efficiency_by_country(requirement: pd.DataFrame, countries: Iterable[str], *,
                                   overrides=None, **kwargs) -> pd.DataFrame:
    """The same week scheduled under each country's rules, one row per country.

    Columns ``country, weekly_hours, paid_hours, efficiency, peak_seats, fte, headcount,
    required_agent_hours, scheduled_agent_hours, under_coverage_agent_hours,
    paid_hours_full_cover, efficiency_full_cover, status, mip_gap``; the ``_full_cover``
    pair is the same week with every coverable interval covered (equal to the others when
    the penalised schedule already covers them all). ``efficiency`` and ``peak_seats`` are
    what the sourcing model needs instead of an assumed schedule efficiency and
    seats-per-FTE; other keyword arguments go to
    ``schedule`` (e.g. ``uncoverable="penalise"`` to compare a country that cannot legally
    open on Sunday by its uncovered hours rather than stop).
    """
    countries = [countries] if isinstance(countries, str) else list(countries)
    known = load_labour_rules(overrides)
    bad = [c for c in countries if c not in known]
    if bad or not countries:
        raise ParameterError("countries", bad[0] if bad else countries,
                             f"one or more of {sorted(known)}")
    rows = []
    for c in countries:
        res = schedule(requirement, known[c], **kwargs)
        # what covering every coverable interval would cost under the same rules: rule sets
        # differ in what an isolated peak costs, so the comparison shows both
        full = res if res.under_coverage_agent_hours == 0 else schedule(
            requirement, known[c], **{**kwargs, "under_coverage_penalty": FULL_COVER_PENALTY})
        rows.append({"country": c, "weekly_hours": res.weekly_hours,
                     "paid_hours": res.paid_hours, "efficiency": res.efficiency,
                     "peak_seats": res.peak_seats, "fte": res.fte, "headcount": res.headcount,
                     "required_agent_hours": res.required_agent_hours,
                     "scheduled_agent_hours": res.scheduled_agent_hours,
                     "under_coverage_agent_hours": res.under_coverage_agent_hours,
                     "paid_hours_full_cover": full.paid_hours,
                     "efficiency_full_cover": full.efficiency,
                     "status": res.status, "mip_gap": res.mip_gap})
    return pd.DataFrame(rows)


__all__ = ["Break", "CountryRules", "InfeasibleScheduleError", "LabourRulesError",
           "ScheduleResult", "country_rules", "daily_templates", "load_labour_rules",
           "schedule", "schedule_efficiency_by_country", "shift_templates", "RULES_FILE"
           ]
