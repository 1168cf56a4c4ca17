"""The forecast suite's generators hold their shapes (toolkit.sample_series)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit import calendars
from toolkit import sample_series as ss


def by_day(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby(frame["ds"].dt.normalize())["calls"].sum()


def test_suite_is_seeded_and_tidy():
    a, b = ss.bank_24h_sun_thu(seed=1, days=60), ss.bank_24h_sun_thu(seed=1, days=60)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(ss.bank_24h_sun_thu(seed=2, days=60))
    for name, (frame, info) in ss.suite(seed=3).items():
        assert list(frame.columns) == ["ds", "queue", "calls"], name
        assert frame["ds"].is_unique and (frame["calls"].dropna() >= 0).all(), name
        assert info.name == name


def test_bank_week_nights_friday_half_day_saturday_evening():
    frame = ss.bank_24h_sun_thu(days=140)
    wd, hour = frame["ds"].dt.day_of_week, frame["ds"].dt.hour
    assert set(hour[wd == 5]) == set(range(18, 24))            # Saturday evening only
    assert hour[wd == 4].max() == 12                           # Friday until 13:00
    assert set(hour[wd.isin([6, 0, 1, 2, 3])]) == set(range(24))
    per = frame.groupby(hour[wd == 1])["calls"].mean()
    assert per.loc[2:4].mean() / per.max() < 0.05              # near-empty nights
    daily = by_day(frame)
    mean_wd = daily.groupby(daily.index.day_of_week).mean()
    assert mean_wd[6] > mean_wd[2] > mean_wd[4] > mean_wd[5]   # Sun busiest, Sat least
    hol = calendars.holiday_dates("IL", 2024, 2024)
    assert not daily.index.isin(hol).any()


def test_daily_peaks_annual_cycle_and_holidays():
    daily = by_day(ss.daily_peaks()).astype(float)
    month = daily.groupby(daily.index.month).mean()
    assert month[7] / month[4] > 1.15 and month[12] / month[4] > 1.15   # summer, Christmas
    assert month[1] < month[4]
    assert not daily.index.isin(calendars.holiday_dates("FR", 2023, 2025)).any()
    assert (daily.index.day_of_week < 6).all() and len(daily) > 850


def test_ramadan_lowers_daily_calls_and_shortens_hours():
    daily = by_day(ss.daily_ramadan()).astype(float)
    win = calendars.ramadan_windows("MA", [2024])
    inside = (daily.index >= win["start"][0]) & (daily.index <= win["end"][0])
    outside = (daily.index.month.isin([4, 5])) & (daily.index.year == 2024) & ~inside
    assert daily[inside].mean() / daily[outside].mean() == pytest.approx(0.75, abs=0.06)
    frame = ss.ramadan_hours(days=400)
    day = frame["ds"].dt.normalize()
    slots = frame.groupby(day).size()
    w24 = calendars.ramadan_windows("MA", [2024])
    ram = (slots.index >= w24["start"][0]) & (slots.index <= w24["end"][0])
    assert slots[ram].max() == 14 and slots[~ram].median() == 24   # 09-16 vs 08-20


def test_half_day_level_shift_missing_days_short_history():
    frame = ss.mon_sat_halfday(days=280)
    wd = frame["ds"].dt.day_of_week
    assert frame.groupby(frame["ds"].dt.normalize()).size()[lambda s: s.index.day_of_week
                                                            == 5].max() == 16
    assert frame.loc[wd == 5, "ds"].dt.hour.max() == 12
    daily = by_day(frame)
    k = int(0.6 * len(daily))
    assert daily.iloc[k + 20:].mean() / daily.iloc[k - 60:k - 20].mean() > 1.15   # +30 % shift
    gaps = ss.missing_days()
    days = gaps["ds"].dt.normalize().unique()
    expected = pd.bdate_range(days.min(), days.max())
    assert len(days) < 0.95 * len(expected) and gaps["calls"].isna().any()
    short = ss.short_history()
    span = (short["ds"].max() - short["ds"].min()).days
    assert 100 <= span <= 112
    assert np.isfinite(short["calls"]).all()


def test_ramadan_ahead_ends_inside_ramadan():
    frame = ss.ramadan_ahead()
    last = frame["ds"].max().normalize()
    win = calendars.ramadan_windows("MA", [2025])
    assert win["start"][0] <= last <= win["end"][0]
    assert frame.loc[frame["ds"].dt.normalize() == last, "ds"].dt.hour.max() == 15   # 09-16


def test_held_out_series_are_seeded_tidy_and_apart_from_the_suite():
    held = ss.suite(seed=3, held_out=True)
    assert len(held) == 4 and set(held).isdisjoint(ss.suite(seed=3))
    for name, (frame, info) in held.items():
        assert list(frame.columns) == ["ds", "queue", "calls"], name
        assert frame["ds"].is_unique and (frame["calls"] >= 0).all(), name
        assert info.name == name
    pd.testing.assert_frame_equal(ss.low_volume(seed=1, days=30), ss.low_volume(seed=1, days=30))


def test_low_volume_counts_are_small_with_a_monday_peak():
    frame = ss.low_volume()
    assert frame["calls"].mean() < 6 and frame["calls"].max() <= 25
    assert set(frame["ds"].dt.hour) == set(range(9, 17))
    daily = by_day(frame)
    mean_wd = daily.groupby(daily.index.day_of_week).mean()
    assert mean_wd[0] > 1.15 * mean_wd[2] and set(mean_wd.index) == set(range(5))


def test_hourly_week_growth_and_black_friday():
    frame = ss.hourly_7d_growth()
    assert set(frame["ds"].dt.hour) == set(range(8, 22))
    daily = by_day(frame)
    mean_wd = daily.groupby(daily.index.day_of_week).mean()
    assert mean_wd.idxmin() == 6 and mean_wd[5] < mean_wd[2]         # Sunday, then Saturday
    may = daily[daily.index.month == 5]
    assert may[may.index.year == 2025].mean() / may[may.index.year == 2024].mean() \
        == pytest.approx(1.25, abs=0.06)
    bf = daily.loc["2024-11-29":"2024-12-02"].mean()               # Black Friday weekend
    week_before = daily.loc["2024-11-15":"2024-11-18"].mean()
    assert bf / week_before > 1.25
    assert not daily.index.isin(calendars.holiday_dates("US", 2024, 2024)).any()


def test_incident_bursts_are_over_dispersed_with_bursts():
    frame = ss.incident_bursts()
    slot = frame["ds"].dt.strftime("%a %H:%M")
    late = frame["ds"] >= frame["ds"].min() + pd.Timedelta(days=120)
    stats = frame[late].groupby(slot[late])["calls"].agg(["mean", "var"])
    assert (stats["var"] / stats["mean"]).median() > 3        # Poisson would give about 1

    def standing_out(f):         # days whose busiest interval is 2.5x the day's median one
        day = f["ds"].dt.normalize()
        return int((f.groupby(day)["calls"].max() / f.groupby(day)["calls"].median()
                    > 2.5).sum())
    quiet = ss.incident_bursts(interval_cv=0.01, burst_share=0.0)
    bursts = ss.incident_bursts(interval_cv=0.01)
    assert standing_out(quiet) == 0 and 5 <= standing_out(bursts) <= 25


def test_daily_decline_falls_a_fifth_a_year_seven_days_a_week():
    daily = by_day(ss.daily_decline()).astype(float)
    assert set(daily.index.day_of_week) == set(range(7))
    sep = daily[daily.index.month == 9]
    assert sep[sep.index.year == 2024].mean() / sep[sep.index.year == 2023].mean() \
        == pytest.approx(0.8, abs=0.04)
    mean_wd = daily.groupby(daily.index.day_of_week).mean()
    assert mean_wd[6] < 0.35 * mean_wd[0]
