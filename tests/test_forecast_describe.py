"""Reviewer sentences of the forecast report (toolkit.forecast.describe): each is written
from the table beside it, and reversing the data changes it (DESIGN)."""

import pandas as pd
import pytest

from toolkit.forecast import describe as d


def _daily(care=100, sales=50):
    ds = pd.date_range("2025-05-05", periods=6, freq="D")
    return pd.concat([pd.DataFrame({"ds": ds, "queue": "care", "calls": float(care)}),
                      pd.DataFrame({"ds": ds, "queue": "sales", "calls": float(sales)})])


def test_history_headline_names_the_queue_with_most_calls():
    assert d.history_headline(_daily(100, 50)).startswith("Care carries the most calls: 67%")
    assert d.history_headline(_daily(50, 100)).startswith("Sales carries the most calls: 67%")


def test_weekly_and_annual_headlines_follow_the_table():
    weekly = pd.DataFrame({"weekday": ["Monday", "Tuesday"], "mean_calls_per_day": [10.0, 5.0]})
    assert d.weekly_headline(weekly).startswith("Monday is the busiest day (10 calls), Tuesday")
    flipped = weekly.assign(mean_calls_per_day=[5.0, 10.0])
    assert d.weekly_headline(flipped).startswith("Tuesday is the busiest day (10 calls), Monday")
    assert d.weekly_headline(weekly, "fr_FR").startswith("Monday")   # words stay English
    annual = pd.DataFrame({"month": [1, 8], "mean_calls_per_day": [2000.0, 1000.0]})
    assert d.annual_headline(annual) == ("January is the peak (2,000 calls a day), "
                                         "August the trough (1,000)")
    assert d.annual_headline(annual.assign(mean_calls_per_day=[1000.0, 2000.0])).startswith(
        "August is the peak")


def test_intraday_headline_follows_the_heatmap_table():
    table = pd.DataFrame({"09:00": [10.0, 20.0], "10:00": [30.0, 5.0]},
                         index=["Monday", "Tuesday"])
    assert d.intraday_headline(table) == ("Calls peak at 10:00 on average (17.5% of the day's "
                                          "calls in that half hour); Monday has the sharpest peak")
    assert d.intraday_headline(table[["09:00"]]).endswith("Tuesday has the sharpest peak")


def _summary(auto_full=0.7, dhr_full=0.8):
    rows = []
    for m, first, full in (("snaive", 1.0, 1.0), ("dhr", 0.8, dhr_full), ("auto", 0.6, auto_full)):
        rows += [{"method": m, "horizon_days": 1, "mase": first, "wape": 0.2, "cov80": 0.8,
                  "cov95": 0.95},
                 {"method": m, "horizon_days": 24, "mase": full, "wape": 0.25, "cov80": 0.7,
                  "cov95": 0.9}]
    return pd.DataFrame(rows)


def test_backtest_headline_names_the_best_method_and_whether_it_beats_last_week():
    assert d.backtest_headline(_summary(0.7, 0.8)) == (
        "Automatic choice has the lowest error 24 open days ahead (0.70): 30% less than "
        "repeating last week")
    assert d.backtest_headline(_summary(0.9, 0.6)).startswith("Harmonic regression has")
    worse = _summary(1.2, 1.1)
    worse.loc[worse["method"] == "snaive", "mase"] = 1.3
    assert d.backtest_headline(worse).endswith("but no method beats repeating last week")


def test_accuracy_table_has_one_row_per_method_in_words():
    table = d.accuracy_table(_summary(), ["snaive", "dhr", "auto"])
    assert table["method"].tolist() == ["Seasonal naive", "Harmonic regression",
                                        "Automatic choice"]
    assert table.loc[2, "mase_last"] == 0.7 and table.loc[2, "cov80"] == 0.7
    units, labels = d.accuracy_labels(_summary())
    assert set(labels) == set(table.columns)
    assert all("_" not in v for v in labels.values())


def test_chosen_method_in_words():
    assert d.chosen_in_words("auto: topdown 1.00") == "top-down"
    assert d.chosen_in_words("auto: topdown 0.50 + dhr 0.50") == (
        "top-down and harmonic regression, half each")
    assert d.chosen_in_words("auto: 1 d: topdown 1.00; 2-7 d: topdown 0.50 + dhr 0.50; "
                             "8-28 d: topdown 0.50 + dhr 0.50") == (
        "next day: top-down; days 2–28: top-down and harmonic regression, half each")
    assert d.chosen_in_words("same_slot_avg") == "4-week same-slot average"
    assert d.chosen_in_words("auto: topdown 0.75 + dhr 0.25") == (
        "75 % top-down + 25 % harmonic regression")


def _next_month(forecast_total=620.0, before_total=600.0, covered=23):
    month_table = pd.DataFrame({
        "ds": pd.to_datetime(["2026-11-01"] * 2).tz_localize("Europe/Paris"),
        "queue": ["care", "total"], "yhat": [forecast_total, forecast_total],
        "yhat_lower_80": [forecast_total - 50] * 2, "yhat_upper_80": [forecast_total + 50] * 2})
    coverage = pd.DataFrame({"month": ["2026-11"], "open_days_forecast": [covered],
                             "open_days": [24]})
    days = pd.date_range("2025-11-03", periods=24, freq="D")
    daily = pd.DataFrame({"ds": days, "queue": "care", "calls": before_total / 24})
    return d.next_month(month_table, coverage, daily)


def test_next_month_headline_compares_per_open_day_with_a_year_earlier():
    up = _next_month(forecast_total=690.0, before_total=600.0, covered=23)  # 30 vs 25 a day
    assert d.next_month_headline(up) == (
        "Plan for about 700 calls in November 2026 (80% range 600–700) over the 23 of its "
        "24 open days forecast: 20.0% more calls per open day than in November 2025.")
    down = _next_month(forecast_total=460.0, before_total=600.0, covered=23)
    assert "20.0% fewer calls per open day than in November 2025" in d.next_month_headline(down)
    full = _next_month(forecast_total=600.0, before_total=600.0, covered=24)
    assert "open days forecast" not in d.next_month_headline(full)
    assert "as many calls per open day" in d.next_month_headline(full)
    assert d.next_month_status(up) == "attention" and d.next_month_status(full) == "ok"


def test_next_month_without_a_year_earlier_says_so():
    table = _next_month()
    table["change"] = float("nan")
    assert d.next_month_headline(table).endswith("does not reach the same month a year earlier.")
    assert d.next_month_status(table) == "info"


def test_outlook_and_forecast_difference_is_explained_from_both_tables():
    table = _next_month(forecast_total=690.0, covered=23)   # 30 a day
    outlook = pd.DataFrame({"month": pd.PeriodIndex(["2026-11"], freq="M"), "queue": "total",
                            "scenario": "base", "yhat": [720.0], "open_days": [24]})
    text = d.outlook_vs_forecast(table, outlook)
    assert text.startswith("The long-horizon outlook below puts November 2026 at 720 calls, "
                           "4.3% more than this forecast's 690")
    assert "all 24 open days of the month where this forecast covers 23" in text
    assert "Per open day the outlook expects 30 calls, as many as this forecast's 30." in text
    lower = outlook.assign(yhat=[600.0])
    assert "13.0% fewer than this forecast's 690" in d.outlook_vs_forecast(table, lower)
    assert d.outlook_vs_forecast(table, outlook.assign(scenario="low")) is None


def test_outlook_headline_follows_the_summary():
    s = {"final_12": 2_212_612, "final_12_lower_80": 1_034_802, "final_12_upper_80": 4_605_681,
         "final_from": "2030-11", "final_to": "2031-10", "growth": 0.1}
    assert d.outlook_headline(s) == ("Base: 2,213,000 calls from November 2030 to October 2031, "
                                     "10% more than the last 12 months (80% range "
                                     "1,035,000–4,606,000)")
    assert "10% fewer than" in d.outlook_headline({**s, "growth": -0.1})


def test_outlook_band_sentence_names_the_growth_uncertainty():
    import math
    text = d.outlook_band_sentence({"growth_sd_per_year": math.log1p(0.10) / 1.2815515655446004})
    assert text.startswith("The 80% range is the statistical spread of the history plus growth "
                           "uncertainty of ±10% a year (an assumption")
    assert "±20% a year" in d.outlook_band_sentence(
        {"growth_sd_per_year": math.log1p(0.20) / 1.2815515655446004})
    for info in ({"growth_sd_per_year": 0.0}, {}):     # none used, or an older sidecar
        assert "statistical spread of the history only" in d.outlook_band_sentence(info)


@pytest.mark.parametrize("part,word", [("weekly", "Weekly cycle"), ("remainder", "What is left")])
def test_component_headline(part, word):
    comp = pd.DataFrame({part: [0.0] * 10 + [100.0] * 90})
    assert d.component_headline(comp, part) == f"{word}: 90% of days within a 100-call range"


def _daily_forecast(care=100.0, sales=50.0):
    """Daily forecast over the last days of November and 1 December (a partial month)."""
    ds = pd.date_range("2026-11-27", periods=5, freq="D", tz="Europe/Paris")
    return pd.concat([pd.DataFrame({"ds": ds, "queue": "care", "yhat": [care] * 4 + [9e3]}),
                      pd.DataFrame({"ds": ds, "queue": "sales", "yhat": [sales] * 4 + [9e3]})])


def test_daily_title_uses_the_month_planned_like_the_table_at_the_top():
    daily = d.in_month(_daily_forecast(), pd.Period("2026-11", "M"))
    assert daily["ds"].dt.month.eq(11).all() and len(daily) == 8   # 1 December left out
    assert d.daily_title(daily, "care") == "Care: 100 calls per open day expected in November 2026"
    flipped = d.in_month(_daily_forecast(care=50.0, sales=100.0), "2026-11")
    assert d.daily_title(flipped, "care").startswith("Care: 50 calls")
    assert d.daily_title(flipped, "sales").startswith("Sales: 100 calls")
    # two months in the frame: no month named (and the 1 December outlier counts)
    assert d.daily_title(_daily_forecast(), "care").endswith("calls per open day expected")


def test_forecast_months_drop_partial_months_after_the_month_planned():
    month_table = pd.DataFrame({
        "ds": pd.to_datetime(["2026-11-01", "2026-12-01", "2027-01-01"]).tz_localize("Europe/Paris"),
        "queue": "total", "yhat": [1000.0, 40.0, 1100.0]})
    coverage = pd.DataFrame({"month": ["2026-11", "2026-12", "2027-01"],
                             "open_days_forecast": [24, 1, 25], "open_days": [24, 25, 25]})
    kept = d.forecast_months(month_table, coverage)
    assert kept["yhat"].tolist() == [1000.0, 1100.0]      # December (one day) dropped
    coverage["open_days_forecast"] = [20, 25, 3]          # November partial, December full
    kept = d.forecast_months(month_table, coverage)
    assert kept["yhat"].tolist() == [1000.0, 40.0]        # the month planned always stays


def test_next_month_summary_is_written_with_its_documented_columns(tmp_path):
    table = _next_month(forecast_total=690.0, before_total=600.0, covered=23)
    path = d.write_next_month(table, tmp_path / "next_month.parquet")
    back = pd.read_parquet(path)
    assert back.columns.tolist() == d.NEXT_MONTH_COLUMNS
    assert all(f"``{c}``" in d.write_next_month.__doc__ for c in d.NEXT_MONTH_COLUMNS)
    total = back.set_index("queue").loc["total"]
    assert total["month"] == "2026-11" and total["calls"] == 690.0
    assert total["per_day"] == pytest.approx(30.0) and total["change"] == pytest.approx(0.2)
    down = d.write_next_month(_next_month(forecast_total=460.0), tmp_path / "down.parquet")
    assert pd.read_parquet(down).set_index("queue").loc["total", "change"] < 0


def test_history_source_names_no_file():
    assert d.history_source("data/processed/interval_stats.parquet") == (
        "interval statistics of the telephony platform")
    assert "/" not in d.history_source("data/other/volumes.csv")
