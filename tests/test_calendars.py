"""Tests for toolkit.calendars: holidays, open days, special patterns, location calendars."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit import calendars
from toolkit.errors import ParameterError


def test_public_holidays_france_2027():
    table = calendars.public_holidays("FR", 2027)
    assert len(table) == 11 and list(table.columns) == ["date", "name"]
    assert table.loc[table["date"] == "2027-07-14", "name"].item() == "National Day"


def test_unknown_country_raises_or_warns_explicitly():
    with pytest.raises(ParameterError, match="'XX'"):
        calendars.public_holidays("XX", 2027)
    with pytest.warns(calendars.CalendarWarning, match="no public-holiday calendar"):
        table = calendars.public_holidays("XX", 2027, missing="warn")
    assert table.empty
    assert calendars.public_holidays(None, 2027).empty


def test_open_days_known_months():
    # May 2027: 26 days Mon-Sat minus 1, 6, 8 and 17 May; Mon-Fri: 21 minus 6 and 17 May
    assert calendars.open_days("FR", "2027-05-01", "2027-05-31") == 22
    assert calendars.open_days("FR", "2027-05-01", "2027-05-31",
                               open_weekdays=range(5)) == 19
    assert calendars.open_days("FR", "2027-05-01", "2027-05-31",
                               closed_on_holidays=False) == 26
    by_month = calendars.open_days_by_month("FR", "2027-05", "2027-06")
    assert by_month.tolist() == [22, 26]


def test_ramadan_window_from_eid_and_reduced_hours():
    win = calendars.ramadan_windows("MA", 2026)
    assert win.loc[0, "eid"] == pd.Timestamp("2026-03-20")
    assert win.loc[0, "start"] == pd.Timestamp("2026-02-18")     # 30 days before Eid
    assert win.loc[0, "end"] == pd.Timestamp("2026-03-19")
    table = calendars.day_table("MA", "2026-02-16", "2026-02-22").set_index("date")
    assert table.loc["2026-02-17", "hours"] == 12.0 and table.loc["2026-02-17", "pattern"] == ""
    assert table.loc["2026-02-18", "pattern"] == "Ramadan reduced hours"
    assert (table.loc["2026-02-18", "opens"], table.loc["2026-02-18", "closes"]) == (
        "09:00", "16:00")
    assert not table.loc["2026-02-22", "open"]           # Sunday
    assert calendars.ramadan_windows("FR", 2026).empty


def test_friday_half_day_only_when_switched_on_and_ramadan_wins():
    default = calendars.day_table("TN", "2026-01-09", "2026-01-09")
    assert default["hours"].item() == 12.0                # applies: false by default
    fri = calendars.day_table("TN", "2026-01-09", "2026-01-09",
                              patterns=["Friday half-day"])
    assert fri["hours"].item() == pytest.approx(5.5) and fri["pattern"].item() == "Friday half-day"
    both = calendars.day_table("TN", "2026-02-27", "2026-02-27",      # a Friday in Ramadan
                               patterns=["Ramadan reduced hours", "Friday half-day"])
    assert both["opens"].item() == "08:00" and both["closes"].item() == "15:00"
    with pytest.raises(ParameterError, match="patterns"):
        calendars.day_table("FR", "2026-01-01", "2026-01-31", patterns=["Ramadan"])


def test_holiday_row_is_named_and_closed():
    table = calendars.day_table("FR", "2026-07-13", "2026-07-14")
    assert table["holiday"].tolist() == ["", "National Day"]
    assert table["open"].tolist() == [True, False]


def test_calendar_for_location_reads_holiday_calendar(tmp_path):
    assert calendars.calendar_for_location("MA") == {
        "location": "MA", "country": "MA", "timezone": "Africa/Casablanca",
        "patterns": ["Ramadan reduced hours"]}
    assert calendars.calendar_for_location("FR-REG")["country"] == "FR"
    # the holiday_calendar key selects the calendar, not the location's country
    custom = tmp_path / "locations.yaml"
    custom.write_text("locations:\n  XY:\n    country: FR\n    timezone: Europe/Paris\n"
                      "    holiday_calendar: PT\n")
    assert calendars.calendar_for_location("XY", locations_path=custom)["country"] == "PT"
    with pytest.raises(ParameterError, match="FR-PAR"):
        calendars.calendar_for_location("Mars")


def test_forecast_reads_holidays_through_calendars(monkeypatch):
    from toolkit import forecast

    calls = []
    real = calendars.holiday_dates

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(calendars, "holiday_dates", spy)
    assert pd.Timestamp("2026-07-14") in forecast._holidays("FR", 2026, 2026)
    assert calls == [("FR", 2026, 2026)]
