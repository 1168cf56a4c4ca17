"""Seeded synthetic call-arrival series of different shapes: the forecast development suite.

Why: a change to ``forecast(method="auto")`` must be judged on many differently shaped
series, never on the one it was tuned on (DESIGN, issue 12). Each generator here makes one
shape contact centres really show, with Poisson arrivals on top of a gamma day-level shock
(negative binomial days: real days are over-dispersed), on the local wall clock, closed
intervals absent (the toolkit's open-interval convention):

- ``bank_24h_sun_thu``: 30-min, 24 h a day with near-empty nights, Sunday-Thursday week,
  Friday half-day (00:00-13:00), Saturday evening only (18:00-24:00), Israeli holidays
  (moving, lunar-solar) closed;
- ``daily_peaks``: daily totals only, 3 years, Monday-Saturday, summer and Christmas peaks,
  French public holidays closed (Easter Monday moves), catch-up after closures, growth;
- ``daily_ramadan``: daily totals only, 3 years, Morocco: Ramadan (moving ~11 days a year)
  lowers calls, the Eid holidays are closed, summer school break raises them;
- ``mon_sat_halfday``: 15-min, Monday-Friday 08:00-20:00 and Saturday half-day 09:00-13:00,
  French school breaks (moving with Easter) raise calls, a level shift (+30 %) at 60 % of the
  history;
- ``ramadan_hours``: 30-min, Monday-Saturday, Morocco, opening hours from the site calendar
  (:func:`toolkit.calendars.day_table`: 09:00-16:00 during Ramadan, 08:00-20:00 otherwise);
- ``ramadan_ahead``: the same site with a history that ends in Ramadan 2025, so that the
  forecasts run into Ramadan (its hours, its calls) and out of it;
- ``missing_days``: 30-min, Monday-Friday 08:00-18:00, one year with random missing days, a
  one-week outage and empty counts in a few intervals;
- ``short_history``: 30-min, Monday-Friday 08:00-18:00, sixteen weeks only.

``suite(seed)`` returns them all; every knob is a named argument with its default.
``suite(seed, held_out=True)`` returns four more shapes held out of development (low volume,
hourly 7-day growth, incident bursts, a daily decline): see the section "held out" below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit import calendars

DEFAULT_SEED = 20261212
#: Coefficient of variation of the day-level gamma shock (day-to-day over-dispersion).
DAY_CV = 0.06


@dataclass(frozen=True)
class SeriesInfo:
    """What a suite series is: its shape in words, its site calendar and its interval."""

    name: str
    shape: str
    country: str | None
    freq: str
    held_out: bool = False


def _bells(hours: np.ndarray, peaks) -> np.ndarray:
    """Sum of Gaussian bumps ``(centre_h, width_h, height)`` over time of day in hours."""
    return sum(h * np.exp(-0.5 * ((hours - c) / w) ** 2) for c, w, h in peaks)


def _annual(dates: pd.DatetimeIndex, amp: float = 0.1, peak_doy: int = 15) -> np.ndarray:
    return 1 + amp * np.cos(2 * np.pi * (dates.day_of_year.to_numpy() - peak_doy) / 365.25)


def _day_shock(rng: np.random.Generator, n: int, cv: float = DAY_CV) -> np.ndarray:
    k = 1 / cv ** 2
    return rng.gamma(k, 1 / k, n)


def _closed(country: str | None, days: pd.DatetimeIndex) -> np.ndarray:
    hol = calendars.holiday_dates(country, days[0].year, days[-1].year) if country else []
    return days.isin(pd.DatetimeIndex(hol))


def _intraday(days: pd.DatetimeIndex, day_rate: np.ndarray, freq: str,
              hours: Callable[[pd.Timestamp], tuple[float, float]],
              shape: Callable[[np.ndarray, pd.Timestamp], np.ndarray],
              rng: np.random.Generator, queue: str) -> pd.DataFrame:
    """Poisson counts per open interval: the day's expected calls spread by ``shape``.

    ``hours(day)`` gives (open, close) in hours since midnight; ``shape(tod_h, day)`` the
    relative rate at each interval start of that day (normalised to sum to one).
    """
    step = pd.Timedelta(freq)
    step_h = step / pd.Timedelta("1h")
    shock = _day_shock(rng, len(days))
    stamps, counts = [], []
    for d, rate, z in zip(days, day_rate, shock, strict=True):
        o, c = hours(d)
        tod = np.arange(o, c - 1e-9, step_h)
        w = shape(tod + step_h / 2, d)
        w = w / w.sum()
        stamps.append(d + pd.to_timedelta(tod, unit="h"))
        counts.append(rng.poisson(rate * z * w))
    ds = pd.DatetimeIndex(np.concatenate([s.to_numpy() for s in stamps]))
    return pd.DataFrame({"ds": ds, "queue": queue,
                         "calls": np.concatenate(counts).astype(float)})


def _daily(days: pd.DatetimeIndex, day_rate: np.ndarray, rng: np.random.Generator,
           queue: str) -> pd.DataFrame:
    calls = rng.poisson(day_rate * _day_shock(rng, len(days)))
    return pd.DataFrame({"ds": days, "queue": queue, "calls": calls.astype(float)})


def _after_closure(days: pd.DatetimeIndex, open_weekdays) -> np.ndarray:
    """1 on the first open day after a usual-open weekday that was closed (catch-up)."""
    out = np.zeros(len(days))
    known = set(days)
    for i, d in enumerate(days[1:], start=1):
        prev = d - pd.Timedelta(days=1)
        while prev.day_of_week not in open_weekdays:
            prev -= pd.Timedelta(days=1)
        out[i] = float(prev not in known and prev >= days[0])
    return out


def _office_week(rng: np.random.Generator, days: pd.DatetimeIndex, queue: str, *,
                 level: float, week: Sequence[float], annual: tuple[float, int] | None,
                 hours: tuple[float, float], floor: float, peaks) -> tuple:
    """30-min Monday-Friday office hours with French holidays closed, the shape three
    generators share: ``week`` weights Monday to Friday, ``annual`` (amplitude, peak day of
    year) or None, ``floor`` + ``peaks`` (:func:`_bells`) the intraday curve. Returns (open
    days, tidy frame)."""
    cal = days[(days.day_of_week < 5) & ~_closed("FR", days)]
    rate = level * np.asarray(week)[cal.day_of_week]
    if annual is not None:
        rate = rate * _annual(cal, *annual)

    def shape(h, d):
        return floor + _bells(h, peaks)

    return cal, _intraday(cal, rate, "30min", lambda d: hours, shape, rng, queue)


# ----------------------------------------------------------------------------- generators
def bank_24h_sun_thu(seed: int = DEFAULT_SEED, *, start="2024-01-07", days: int = 540,
                     level: float = 3000.0, night_share: float = 0.02,
                     queue: str = "bank") -> pd.DataFrame:
    """30-min, 24 h on Sunday-Thursday (nights near empty), Friday 00:00-13:00, Saturday
    18:00-24:00; Israeli public holidays closed. ``night_share``: the 02:00-05:00 rate as a
    share of the late-morning peak."""
    rng = np.random.default_rng(seed)
    cal = pd.date_range(start, periods=days, freq="D")
    cal = cal[~_closed("IL", cal)]
    week = np.array([1.05, 1.0, 0.98, 0.95, 0.36, 0.12, 1.15])   # Mon..Sun, Fri/Sat partial
    rate = level * week[cal.day_of_week] * _annual(cal, 0.08, 20)

    def hours(d):
        return {4: (0.0, 13.0), 5: (18.0, 24.0)}.get(d.day_of_week, (0.0, 24.0))

    def shape(h, d):
        day = _bells(h, [(10.5, 1.8, 1.0), (15.0, 2.0, 0.8), (20.5, 1.5, 0.35)])
        return night_share + day

    return _intraday(cal, rate, "30min", hours, shape, rng, queue)


def daily_peaks(seed: int = DEFAULT_SEED, *, start="2023-01-02", years: float = 3.0,
                level: float = 2500.0, growth: float = 0.05,
                queue: str = "retail") -> pd.DataFrame:
    """Daily totals, Monday-Saturday (Saturday 55 %), French holidays closed; summer peak
    (July-August +30 %), Christmas peak (December 1-23, +40 % rising), January dip, +25 %
    on the first open day after a closure, ``growth`` per year."""
    rng = np.random.default_rng(seed)
    cal = pd.date_range(start, periods=int(365.25 * years), freq="D")
    cal = cal[(cal.day_of_week < 6) & ~_closed("FR", cal)]
    week = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.55, 0.0])
    doy = cal.day_of_year.to_numpy()
    summer = 0.30 * np.exp(-0.5 * ((doy - 205) / 18) ** 2)
    xmas = np.where((cal.month == 12) & (cal.day <= 23), 0.15 + 0.25 * cal.day / 23, 0.0)
    jan = np.where(cal.month == 1, -0.12, 0.0)
    t = (cal - cal[0]).days.to_numpy() / 365.25
    rate = (level * week[cal.day_of_week] * (1 + summer + xmas + jan) * (1 + growth) ** t
            * (1 + 0.25 * _after_closure(cal, range(6))))
    return _daily(cal, rate, rng, queue)


def daily_ramadan(seed: int = DEFAULT_SEED, *, start="2023-01-02", years: float = 3.0,
                  level: float = 1800.0, ramadan_effect: float = -0.25,
                  queue: str = "telco") -> pd.DataFrame:
    """Daily totals, Monday-Saturday (Saturday 70 %), Moroccan holidays closed (Eids move
    ~11 days a year), Ramadan ``ramadan_effect`` (window from toolkit.calendars), summer
    school break (July 1 - September 5) +20 %."""
    rng = np.random.default_rng(seed)
    cal = pd.date_range(start, periods=int(365.25 * years), freq="D")
    cal = cal[(cal.day_of_week < 6) & ~_closed("MA", cal)]
    win = calendars.ramadan_windows("MA", range(cal[0].year, cal[-1].year + 1))
    ramadan = np.zeros(len(cal), bool)
    for row in win.itertuples():
        ramadan |= (cal >= row.start) & (cal <= row.end)
    summer = ((cal.month == 7) | (cal.month == 8) | ((cal.month == 9) & (cal.day <= 5)))
    week = np.array([1.1, 1.0, 1.0, 1.0, 0.9, 0.7, 0.0])
    rate = (level * week[cal.day_of_week] * (1 + ramadan_effect * ramadan)
            * (1 + 0.20 * summer) * (1 + 0.15 * _after_closure(cal, range(6))))
    return _daily(cal, rate, rng, queue)


def school_breaks(dates: pd.DatetimeIndex) -> np.ndarray:
    """True on French-style school breaks: two weeks from Easter Monday's week, July-August,
    the Christmas fortnight and the late-October week (approximate, one zone)."""
    from dateutil.easter import easter

    out = np.zeros(len(dates), bool)
    for y in range(dates[0].year, dates[-1].year + 1):
        e = pd.Timestamp(easter(y))
        spans = [(e - pd.Timedelta(days=6), e + pd.Timedelta(days=8)),
                 (pd.Timestamp(y, 7, 5), pd.Timestamp(y, 8, 31)),
                 (pd.Timestamp(y, 12, 20), pd.Timestamp(y, 12, 31)),
                 (pd.Timestamp(y, 1, 1), pd.Timestamp(y, 1, 3)),
                 (pd.Timestamp(y, 10, 19), pd.Timestamp(y, 11, 2))]
        for a, b in spans:
            out |= (dates >= a) & (dates <= b)
    return out


def mon_sat_halfday(seed: int = DEFAULT_SEED, *, start="2024-01-08", days: int = 550,
                    level: float = 1500.0, shift: float = 0.30, shift_at: float = 0.6,
                    queue: str = "insurer") -> pd.DataFrame:
    """15-min, Monday-Friday 08:00-20:00, Saturday 09:00-13:00, French holidays closed;
    school breaks +15 % (with more calls at midday), level ``shift`` from ``shift_at`` of the
    history on."""
    rng = np.random.default_rng(seed)
    cal = pd.date_range(start, periods=days, freq="D")
    cal = cal[(cal.day_of_week < 6) & ~_closed("FR", cal)]
    brk = school_breaks(cal)
    week = np.array([1.2, 1.05, 1.0, 1.0, 0.9, 0.3, 0.0])
    after = np.arange(len(cal)) >= int(shift_at * len(cal))
    rate = (level * week[cal.day_of_week] * (1 + 0.15 * brk) * (1 + shift * after)
            * _annual(cal, 0.06, 30))
    on_break = dict(zip(cal, brk, strict=True))

    def hours(d):
        return (9.0, 13.0) if d.day_of_week == 5 else (8.0, 20.0)

    def shape(h, d):
        mid = 0.5 if on_break[d] else 0.25
        return 0.15 + _bells(h, [(10.0, 1.3, 1.0), (14.5, 1.8, 0.75), (12.5, 0.8, mid)])

    return _intraday(cal, rate, "15min", hours, shape, rng, queue)


def ramadan_hours(seed: int = DEFAULT_SEED, *, start="2023-06-05", days: int = 730,
                  level: float = 2200.0, queue: str = "energy") -> pd.DataFrame:
    """30-min, Monday-Saturday, Morocco: open days and hours from the site calendar
    (``calendars.day_table``, Ramadan reduced hours 09:00-16:00), Ramadan days -10 %, calls
    compressed into the shorter day."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(start) + pd.Timedelta(days=days - 1)
    table = calendars.day_table("MA", start, end, open_weekdays=range(6))
    table = table[table["open"]].reset_index(drop=True)
    cal = pd.DatetimeIndex(table["date"])
    in_ramadan = table["pattern"].str.contains("Ramadan").to_numpy()
    week = np.array([1.15, 1.05, 1.0, 1.0, 0.9, 0.6, 0.0])
    rate = level * week[cal.day_of_week] * (1 - 0.10 * in_ramadan) * _annual(cal, 0.1, 0)
    span = {d: (pd.Timedelta(o + ":00") / pd.Timedelta("1h"),
                pd.Timedelta(c + ":00") / pd.Timedelta("1h"))
            for d, o, c in zip(cal, table["opens"], table["closes"], strict=True)}

    def shape(h, d):
        o, c = span[d]
        mid = (o + c) / 2
        return 0.2 + _bells(h, [(mid - 2, 1.5, 1.0), (mid + 2, 1.5, 0.7)])

    return _intraday(cal, rate, "30min", span.__getitem__, shape, rng, queue)


def ramadan_ahead(seed: int = DEFAULT_SEED, *, start="2023-04-03", days: int = 723,
                  level: float = 2200.0, queue: str = "energy") -> pd.DataFrame:
    """:func:`ramadan_hours` with a history ending on 2025-03-25, inside Ramadan 2025."""
    return ramadan_hours(seed, start=start, days=days, level=level, queue=queue)


def missing_days(seed: int = DEFAULT_SEED, *, start="2024-09-02", days: int = 400,
                 level: float = 900.0, missing_share: float = 0.04,
                 queue: str = "utility") -> pd.DataFrame:
    """30-min, Monday-Friday 08:00-18:00, French holidays closed; ``missing_share`` of open
    days absent from the file at random, one week-long outage, 0.5 % of counts empty."""
    rng = np.random.default_rng(seed)
    cal, frame = _office_week(rng, pd.date_range(start, periods=days, freq="D"), queue,
                              level=level, week=[1.25, 1.05, 1.0, 0.95, 0.85],
                              annual=(0.12, 10), hours=(8.0, 18.0), floor=0.1,
                              peaks=[(10.0, 1.2, 1.0), (14.5, 1.5, 0.8)])
    drop = set(cal[rng.random(len(cal)) < missing_share])
    k = int(0.55 * len(cal))
    drop |= set(cal[k:k + 5])
    day = frame["ds"].dt.normalize()
    frame = frame[~day.isin(pd.DatetimeIndex(sorted(drop)))].reset_index(drop=True)
    empty = rng.random(len(frame)) < 0.005
    frame.loc[empty, "calls"] = np.nan
    return frame


def short_history(seed: int = DEFAULT_SEED, *, start="2025-09-01", weeks: int = 16,
                  level: float = 600.0, queue: str = "startup") -> pd.DataFrame:
    """30-min, Monday-Friday 08:00-18:00, French holidays closed, ``weeks`` weeks only (the
    suite's origins then train on 7 to 12 weeks)."""
    return _office_week(np.random.default_rng(seed),
                        pd.date_range(start, periods=7 * weeks, freq="D"), queue, level=level,
                        week=[1.3, 1.1, 1.0, 0.95, 0.8], annual=None, hours=(8.0, 18.0),
                        floor=0.15, peaks=[(9.5, 1.0, 1.0), (14.0, 1.5, 0.7)])[1]


# ----------------------------------------------------------------------------- held out
# Shapes added after the selection rules were settled (issue 12), run to report and never to
# choose between changes to ``auto``: the nearest this project has to "series it was not
# tuned on". A change judged on them stops being judged honestly by them.

def low_volume(seed: int = DEFAULT_SEED, *, start="2024-09-02", days: int = 420,
               level: float = 60.0, queue: str = "claims") -> pd.DataFrame:
    """30-min, Monday-Friday 09:00-17:00, about 60 calls a day (0-6 an interval: counting
    noise dominates), French holidays closed."""
    return _office_week(np.random.default_rng(seed),
                        pd.date_range(start, periods=days, freq="D"), queue, level=level,
                        week=[1.3, 1.05, 1.0, 0.95, 0.8], annual=(0.1, 30), hours=(9.0, 17.0),
                        floor=0.2, peaks=[(10.0, 1.0, 1.0), (14.0, 1.2, 0.7)])[1]


def hourly_7d_growth(seed: int = DEFAULT_SEED, *, start="2023-11-01", days: int = 760,
                     level: float = 1400.0, growth: float = 0.25,
                     queue: str = "retail") -> pd.DataFrame:
    """Hourly, 7 days a week 08:00-22:00 (Saturday 75 %, Sunday 55 %), +25 % a year, US
    holidays closed, Black Friday to Cyber Monday +40 % and December +15 %."""
    rng = np.random.default_rng(seed)
    cal = pd.date_range(start, periods=days, freq="D")
    cal = cal[~_closed("US", cal)]
    week = np.array([1.1, 1.0, 0.98, 0.97, 1.02, 0.75, 0.55])
    years = (cal - cal[0]).days.to_numpy() / 365.25
    thanksgiving = calendars.holiday_dates("US", cal[0].year, cal[-1].year)
    thanksgiving = thanksgiving[(thanksgiving.month == 11) & (thanksgiving.day >= 22)]
    promo = np.zeros(len(cal), dtype=bool)
    for t in thanksgiving:
        promo |= (cal > t) & (cal <= t + pd.Timedelta(days=4))
    rate = (level * week[cal.day_of_week] * (1 + growth) ** years
            * np.where(promo, 1.4, 1.0) * np.where(cal.month == 12, 1.15, 1.0))

    def shape(h, d):
        return 0.15 + _bells(h, [(11.0, 2.0, 1.0), (19.5, 1.5, 0.8 if d.day_of_week < 5
                                                             else 0.4)])

    return _intraday(cal, rate, "1h", lambda d: (8.0, 22.0), shape, rng, queue)


def incident_bursts(seed: int = DEFAULT_SEED, *, start="2024-03-04", days: int = 540,
                    level: float = 1800.0, burst_share: float = 0.03,
                    interval_cv: float = 0.25, queue: str = "telecom") -> pd.DataFrame:
    """15-min, Monday-Friday 08:00-20:00, British holidays closed, an annual cycle; every
    interval over-dispersed (gamma noise, ``interval_cv``) and on ``burst_share`` of days an
    incident: two hours at three times the usual rate."""
    rng = np.random.default_rng(seed)
    cal = pd.date_range(start, periods=days, freq="D")
    cal = cal[(cal.day_of_week < 5) & ~_closed("GB", cal)]
    week = np.array([1.2, 1.05, 1.0, 0.97, 0.9, 0.0, 0.0])
    rate = level * week[cal.day_of_week] * _annual(cal, 0.1, 20)
    burst_at = {d: float(rng.uniform(9.0, 17.0)) for d in cal[rng.random(len(cal)) < burst_share]}
    k = 1 / interval_cv ** 2

    def shape(h, d):
        base = 0.1 + _bells(h, [(10.0, 1.3, 1.0), (15.0, 1.8, 0.75)])
        noise = rng.gamma(k, 1 / k, h.size)
        start_h = burst_at.get(d)
        burst = 1 + 2 * ((h >= start_h) & (h < start_h + 2)) if start_h is not None else 1
        return base * noise * burst

    return _intraday(cal, rate, "15min", lambda d: (8.0, 20.0), shape, rng, queue)


def daily_decline(seed: int = DEFAULT_SEED, *, start="2023-06-05", years: float = 2.5,
                  level: float = 5000.0, decline: float = -0.2,
                  queue: str = "insurer") -> pd.DataFrame:
    """Daily totals only, 7 days a week (Saturday 45 %, Sunday 25 %), calls falling 20 % a
    year (moving to digital channels), January peak, British holidays closed."""
    rng = np.random.default_rng(seed)
    cal = pd.date_range(start, periods=int(years * 365.25), freq="D")
    cal = cal[~_closed("GB", cal)]
    week = np.array([1.25, 1.1, 1.0, 1.0, 0.95, 0.45, 0.25])
    t = (cal - cal[0]).days.to_numpy() / 365.25
    rate = level * week[cal.day_of_week] * (1 + decline) ** t * _annual(cal, 0.12, 12)
    return _daily(cal, rate, rng, queue)


def _series(fn: Callable[..., pd.DataFrame], shape: str, country: str | None, freq: str, *,
            held_out: bool = False) -> tuple[str, tuple[Callable[..., pd.DataFrame], SeriesInfo]]:
    """A registry entry named after its generator."""
    return fn.__name__, (fn, SeriesInfo(fn.__name__, shape, country, freq, held_out))


#: Every generator with what it makes: the development suite, then the held-out shapes.
GENERATORS: dict[str, tuple[Callable[..., pd.DataFrame], SeriesInfo]] = dict([
    _series(bank_24h_sun_thu, "30-min, 24 h with near-empty nights, Sun-Thu week, Friday "
            "half-day, Saturday evening only, moving holidays", "IL", "30min"),
    _series(daily_peaks, "daily only, 3 years, Mon-Sat, summer and Christmas peaks, public "
            "holidays, growth", "FR", "1D"),
    _series(daily_ramadan, "daily only, 3 years, Mon-Sat, Ramadan and Eid (moving), summer "
            "school break", "MA", "1D"),
    _series(mon_sat_halfday, "15-min, Mon-Fri + Saturday half-day, school breaks, level shift "
            "+30 %", "FR", "15min"),
    _series(ramadan_hours, "30-min, Mon-Sat, Ramadan reduced hours from the site calendar",
            "MA", "30min"),
    _series(ramadan_ahead, "30-min, Mon-Sat, Ramadan hours; history ends in Ramadan "
            "(forecasts run into and out of it)", "MA", "30min"),
    _series(missing_days, "30-min, Mon-Fri, 1 year with missing days, an outage week, empty "
            "counts", "FR", "30min"),
    _series(short_history, "30-min, Mon-Fri, 16 weeks of history (origins see 7-12)", "FR",
            "30min"),
    _series(low_volume, "30-min, Mon-Fri 09-17, about 60 calls a day (0-6 an interval)",
            "FR", "30min", held_out=True),
    _series(hourly_7d_growth, "hourly, 7 days 08-22, +25 % a year, Black Friday and December "
            "peaks, US holidays", "US", "1h", held_out=True),
    _series(incident_bursts, "15-min, Mon-Fri 08-20, over-dispersed intervals, incident "
            "bursts (x3 for 2 h on 3 % of days)", "GB", "15min", held_out=True),
    _series(daily_decline, "daily only, 7 days a week, -20 % a year, January peak", "GB", "1D",
            held_out=True),
])


def suite(seed: int = DEFAULT_SEED, *, held_out: bool = False
          ) -> dict[str, tuple[pd.DataFrame, SeriesInfo]]:
    """The development suite's series, or with ``held_out`` the held-out ones (never used to
    choose a change): name -> (tidy frame, info)."""
    return {name: (fn(seed), info) for name, (fn, info) in GENERATORS.items()
            if info.held_out == held_out}
