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
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import yaml

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


def _safe_load(stream):
    if yaml.__with_libyaml__:
        return yaml.load(stream, Loader=yaml.CSafeLoader)
    return yaml.safe_load(stream)


def _read_yaml(path, parameter: str) -> dict:
    p = project_path(path)
    if not p.exists():
        raise ParameterError(parameter, str(path), "an existing YAML file")
    with open(p, encoding="utf-8") as fh:
        data = _safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ParameterError(parameter, str(path), "a YAML mapping at top level")
    return data


def _merge(base: dict, override: Mapping, path: str) -> dict:
    """Merge ``override`` into a copy of ``base`` like the other reference files: unknown keys
    are refused with the valid ones; a bare value replaces a figure's ``value`` and marks it
    as an analyst override, keeping its unit and year."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if key not in merged:
            raise ParameterError(f"overrides: {path or 'top level'}", key,
                                 f"one of {sorted(map(str, merged))}")
        current = merged[key]
        is_figure = isinstance(current, dict) and "value" in current
        if is_figure and not isinstance(value, Mapping):
            merged[key] = {**current, "value": value, "flag": "override",
                           "source": f"analyst override (reference: {current.get('value')!r}, "
                                     f"{current.get('source')})"}
        elif isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = _merge(current, value, f"{path}.{key}" if path else str(key))
            if is_figure and "value" in value and "source" not in value:
                merged[key]["flag"] = "override"
        else:
            merged[key] = copy.deepcopy(value)
    return merged


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


def _hhmm(minute: int) -> str:
    return f"{int(minute) // 60 % 24:02d}:{int(minute) % 60:02d}"
