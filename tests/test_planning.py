"""The planning basis: one assumption set, overridable per location and site; FTE and seats."""

import dataclasses

import holidays
import numpy as np
import pandas as pd
import pytest

from toolkit import planning, staffing
from toolkit.errors import ParameterError


def test_defaults_and_in_shift_shrinkage():
    basis = planning.load_basis()
    assert basis.scope == "default"
    assert basis.sl_definition in staffing.SL_DEFINITIONS
    assert basis.shrinkage == pytest.approx(1 - (1 - 0.13) * (1 - 0.03))
    assert set(basis.targets()) == {"sl_target", "target_s", "max_occupancy", "sl_definition"}
    table = basis.table()
    assert {"item", "value", "unit", "year", "flag", "source"} <= set(table.columns)
    assert table["source"].notna().all() and "paid_time.FR.paid_leave_days" in set(table["item"])


def test_french_worked_hours_by_hand():
    # 35 h x 52.18 weeks, less 25 days leave and the public holidays on Mon-Fri, at 7 h a
    # day, less 4 % absence.
    basis = planning.load_basis()
    weekday_holidays = sum(1 for d in holidays.France(years=2026) if d.weekday() < 5)
    expected = (35 * 365.2425 / 7 - (25 + weekday_holidays) * 7) * (1 - 0.04)
    assert basis.worked_hours("FR-REG", 2026) == pytest.approx(expected)
    assert basis.worked_hours("FR-PAR", 2026) == pytest.approx(expected)
    # about 1,590 h before absence: the ~1,607 h legal year, not 35 x 52 = 1,820
    assert 1550 < expected / 0.96 < 1620
    row = planning.paid_time_table(basis, ["FR-REG", "MA"], 2026).set_index("location")
    assert row.loc["MA", "country"] == "MA" and row.loc["MA", "worked_hours"] > expected


def test_six_day_and_half_day_weeks_count_saturday_holidays():
    basis = planning.load_basis()
    ma, mu = basis.paid_time("MA"), basis.paid_time("MU")
    ma_days = [d.weekday() for d in holidays.Morocco(years=2026)]
    assert ma.public_holidays(2026) == sum(1 for w in ma_days if w < 6)
    mu_days = [d.weekday() for d in holidays.Mauritius(years=2026)]
    assert mu.public_holidays(2026) == sum(1.0 if w < 5 else 0.5 if w == 5 else 0
                                           for w in mu_days)


def test_overrides_location_and_site():
    over = {"shrinkage": {"planned_in_shift": 0.2},
            "locations": {"MA": {"paid_time": {"paid_leave_days": 26}}},
            "sites": {"ATLAS-CAS": {"service": {"patience_s": 300}}}}
    default = planning.load_basis(over)
    assert default.shrinkage_planned == 0.2
    assert default.figures["shrinkage.planned_in_shift"]["flag"] == "override"
    # a location's paid time applies to that location wherever the basis is used (sourcing)
    assert default.paid_time("MA").paid_leave_days == 26
    assert default.paid_time("TN").paid_leave_days == 12
    at_ma = planning.load_basis(over, location="MA", site="ATLAS-CAS")
    assert at_ma.paid_time("MA").paid_leave_days == 26
    assert at_ma.patience_s == 300 and at_ma.scope == "site ATLAS-CAS"
    assert at_ma.paid_time("FR-REG").paid_leave_days == 25  # other countries untouched


@pytest.mark.parametrize(("over", "match"), [
    ({"shrinkage": {"planed_in_shift": 0.1}}, "planed_in_shift"),
    ({"shrinkage": {"planned_in_shift": 1.2}}, r"shrinkage.planned_in_shift.*\[0, 1\)"),
    ({"service": {"sl_definition": "answered"}}, "answered_of_offered"),
    ({"paid_time": {"FR": {"contract_hours_per_week": 0}}}, "contract_hours_per_week"),
    ({"paid_time": {"FR": {"working_days_per_week": 2}}}, "12 hours a day"),
    ({"shrinkage": {"schedule_efficiency": 0}}, "schedule_efficiency"),
])
def test_bad_planning_values_name_the_figure(over, match):
    with pytest.raises(ParameterError, match=match):
        planning.load_basis(over)


def test_unknown_location_lists_the_valid_ones():
    with pytest.raises(ParameterError, match="FR-REG"):
        planning.load_basis().paid_time("ATLANTIS")


def _history(days=14, calls=20.0):
    start = pd.Timestamp("2026-10-05")
    stamps = [start + pd.Timedelta(days=d, hours=8, minutes=30 * k)
              for d in range(days) if (start + pd.Timedelta(days=d)).day_of_week < 6
              for k in range(24)]
    ds = pd.DatetimeIndex(stamps).tz_localize("Europe/Paris")
    return pd.DataFrame({"ds": ds, "queue": "care", "calls": calls, "aht_s": 300.0})


def test_requirements_use_the_basis_and_patience_per_queue():
    basis = planning.load_basis()
    hist = _history()
    plan = planning.requirements(hist, basis, patience_s={"care": 400.0})
    assert len(plan) == len(hist) and (plan["patience_s"] == 400).all()
    direct = staffing.required_agents(hist["calls"], hist["aht_s"], 1800, patience_s=400.0,
                                      shrinkage=basis.shrinkage, **basis.targets())
    np.testing.assert_array_equal(plan["agents"].to_numpy(), direct["agents"].to_numpy())
    np.testing.assert_array_equal(plan["scheduled"].to_numpy(), direct["scheduled"].to_numpy())
    fallback = planning.requirements(hist, basis, patience_s={"sales": 400.0})
    assert (fallback["patience_s"] == basis.patience_s).all()
    # a forecast takes its AHT from the history's profile: same calls, same agents
    fc = hist[["ds", "queue"]].assign(yhat=hist["calls"])
    from_fc = planning.requirements(fc, basis, history=hist, patience_s={"care": 400.0})
    np.testing.assert_array_equal(from_fc["agents"].to_numpy(), plan["agents"].to_numpy())
    with pytest.raises(ParameterError, match="history"):
        planning.requirements(fc, basis)


def test_fte_and_seats_from_the_same_plan():
    basis = planning.load_basis()
    plan = planning.requirements(_history(), basis)
    monthly = planning.fte(plan, basis, location="FR-REG", freq="ME")
    worked = basis.worked_hours("FR-REG", 2026)
    expected_hours = (plan["agents"].sum() * 0.5 / (1 - basis.shrinkage)
                      / basis.schedule_efficiency)
    assert monthly["paid_hours"].sum() == pytest.approx(expected_hours)
    # FTE hours: the year's worked hours over its open days (Mon-Sat less French holidays)
    closed = {pd.Timestamp(d) for d in holidays.France(years=2026)}
    open_2026 = sum(1 for d in pd.date_range("2026-01-01", "2026-12-31")
                    if d.day_of_week < 6 and d not in closed)
    assert monthly["fte_hours"].iloc[0] == pytest.approx(worked / open_2026 * 12)
    moroccan = planning.fte(plan, basis, location="MA", freq="ME")
    assert moroccan["fte"].iloc[0] < monthly["fte"].iloc[0]  # 44 h weeks: fewer FTE
    s = planning.seats(plan, basis)
    concurrent = plan.groupby("ds")["scheduled"].sum()
    assert s["peak_scheduled"] == np.quantile(concurrent, basis.peak_quantile, method="higher")
    busiest = planning.seats(plan, dataclasses.replace(basis, peak_quantile=1.0))
    assert busiest["peak_scheduled"] == concurrent.max() >= s["peak_scheduled"]
    assert s["seats"] == s["agent_seats"] + s["support_seats"]
    assert s["support_seats"] == int(np.ceil(s["agent_seats"] * basis.support_positions_per_agent))


def test_patience_from_data_with_announced_fallback():
    basis = planning.load_basis()
    ds = pd.date_range("2026-10-05 08:00", periods=4, freq="30min", tz="Europe/Paris")
    stats = pd.DataFrame({"ds": ds.repeat(2), "queue": ["care", "sales"] * 4, "site": "S1",
                          "offered": 100, "answered": [90, 99] * 4, "abandoned": [10, 1] * 4,
                          "wait_time_s": [9_000.0, 500.0] * 4,
                          "abandon_wait_s": [1_000.0, 10.0] * 4})
    values, table = planning.patience(stats, basis, period="2026-10")
    # care: 40 abandons over 4 x (9,000 + 1,000) s of queue time -> 1,000 s
    assert values["care"] == pytest.approx(1000.0)
    sales = table.set_index("queue").loc["sales"]
    assert sales["basis"] == "fallback" and values["sales"] == basis.patience_s
    assert "planning figure" in sales["note"]
    with pytest.raises(ParameterError, match="period"):
        planning.patience(stats, basis, period="2027-01")


def test_shorter_ramadan_days_reduce_worked_hours_where_the_country_has_them():
    from toolkit import calendars
    basis = planning.load_basis()
    ma = basis.paid_time("MA")
    window = calendars.ramadan_windows("MA", [2026]).iloc[0]
    days = sum(1 for d in pd.date_range(window["start"], window["end"]) if d.day_of_week < 6)
    assert ma.ramadan_working_days(2026) == days and 24 <= days <= 27
    row = ma.breakdown(2026)
    assert row["ramadan_hours"] == pytest.approx(days * 1.0)
    without = dataclasses.replace(ma, ramadan_hours_off_per_day=0.0)
    expected = (without.worked_hours(2026) / 0.96 - days * 1.0) * 0.96
    assert ma.worked_hours(2026) == pytest.approx(expected)
    assert basis.paid_time("FR-REG").breakdown(2026)["ramadan_hours"] == 0
    with pytest.raises(ParameterError, match="ramadan_hours_off_per_day"):
        planning.load_basis({"paid_time": {"MA": {"ramadan_hours_off_per_day": 9}}})


def test_report_period_semantics():
    # A report for period P uses data up to the end of P, staffs P + 1, costs the 12 months to P.
    assert str(planning.staffing_month("2026-10")) == "2026-11"
    assert str(planning.staffing_month("2026-12")) == "2027-01"
    months = planning.workload_months("2026-10")
    assert (str(months[0]), str(months[-1]), len(months)) == ("2025-11", "2026-10", 12)
    hist = _history(days=40)  # 2026-10-05 .. 2026-11-13
    upto = planning.until_period(hist, "2026-10")
    assert upto["ds"].max() < pd.Timestamp("2026-11-01", tz="Europe/Paris")
    assert len(planning.until_period(hist, "2026-11")) == len(hist)
    # a period the data do not reach stops with the data's span, never a silent copy
    with pytest.raises(ParameterError, match="2026-10-05 to 2026-11-13"):
        planning.until_period(hist, "2026-12")
    with pytest.raises(ParameterError, match="2026-10-05 to 2026-11-13"):
        planning.until_period(hist, "2026-09")
    nov = planning.in_month(hist, "2026-11")
    assert nov["ds"].min() >= pd.Timestamp("2026-11-01", tz="Europe/Paris")
    with pytest.raises(ParameterError, match="period"):
        planning.in_month(hist, "2027-01")
    with pytest.raises(ParameterError, match="YYYY-MM"):
        planning.report_period("October")


def test_schedule_week_is_the_first_whole_week():
    basis = planning.load_basis()
    plan = planning.requirements(_history(days=16), basis)  # Mon 2026-10-05 .. Tue 2026-10-20
    week = planning.schedule_week(plan)
    days = week["ds"].dt.tz_localize(None).dt.normalize()
    assert days.min() == pd.Timestamp("2026-10-05") and days.max() == pd.Timestamp("2026-10-10")
    assert set(week.columns) == {"ds", "queue", "scheduled"}
    assert planning.schedule_countries("MA", ("FR", "MA", "MU", "TN")) == ["MA", "FR", "MU", "TN"]
    assert planning.schedule_countries("FR-REG") == ["FR"]
    assert planning.schedule_countries(
        "FR-REG", planning.location_countries(["FR-PAR", "MG", "SN"])) == ["FR", "MG", "SN"]


def test_schedules_set_efficiency_and_seats_per_country():
    basis = planning.load_basis()
    plan = planning.requirements(_history(days=16, calls=60.0), basis)
    scheduled, table = planning.with_schedules(basis, plan, ["FR", "MA", "EG"])
    fr = table.set_index("country").loc["FR"]
    assert scheduled.efficiency("FR-REG") == pytest.approx(fr["efficiency"])
    assert 0 < fr["efficiency"] <= 1 and fr["seat_factor"] >= 1.0
    # a country without labour rules keeps the file's figure, and the table says so
    assert scheduled.efficiency("EG") == basis.schedule_efficiency
    assert "no labour rules" in table.set_index("country").loc["EG", "note"]
    assert "shrinkage.schedule_efficiency.FR" in scheduled.figures
    # FTE follow the computed efficiency: paid hours scale by 0.90 / efficiency
    before = planning.fte(plan, basis, location="FR-REG")["fte"].sum()
    after = planning.fte(plan, scheduled, location="FR-REG")["fte"].sum()
    assert after == pytest.approx(before * basis.schedule_efficiency / fr["efficiency"])
