"""Data summaries for the overview notebook, on tiny hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit import plots, summary
from toolkit.errors import ParameterError


def stamps(*local):
    return pd.Series(pd.DatetimeIndex(list(local)).tz_localize("Europe/Paris").as_unit("us"))


@pytest.fixture
def volumes():
    # Monday 2026-10-19 and Monday 2026-10-26 (08:00, 08:30), Saturday 2026-10-24 08:00.
    ds = stamps("2026-10-19 08:00", "2026-10-19 08:00", "2026-10-19 08:30",
                "2026-10-24 08:00", "2026-10-26 08:00", "2026-10-26 08:30")
    return pd.DataFrame({"ds": ds, "queue": ["care", "sales", "care", "care", "care", "care"],
                         "calls": [10, 4, 6, 3, 20, 8], "aht_s": 300.0})


@pytest.fixture
def stats():
    ds = stamps("2026-09-30 19:30", "2026-10-01 08:00", "2026-10-01 08:00")
    return pd.DataFrame({
        "ds": ds, "queue": ["care", "care", "care"], "site": ["A", "A", "B"],
        "offered": [10, 20, 0], "answered": [8, 19, 0], "abandoned": [2, 1, 0],
        "short_abandoned": [1, 0, 0], "answered_in_sl": [6, 17, 0],
        "handle_time_s": [2400, 5700, 0], "wait_time_s": [160, 95, 0]})


def test_weekday_interval_profile_averages_open_days(volumes):
    table = summary.weekday_interval_profile(volumes)
    assert list(table.index) == ["Mon", "Sat"]
    assert list(table.columns) == ["08:00", "08:30"]
    # Mondays at 08:00: (10 + 4) and 20 -> mean 17; at 08:30: 6 and 8 -> 7.
    assert table.loc["Mon", "08:00"] == 17 and table.loc["Mon", "08:30"] == 7
    assert table.loc["Sat", "08:00"] == 3 and np.isnan(table.loc["Sat", "08:30"])


def test_weekly_volumes_drop_partial_weeks(volumes):
    # Data runs Mon 19th to Mon 26th: the week of the 26th is partial.
    table = summary.weekly_volumes(volumes)
    assert list(table.index) == [pd.Timestamp("2026-10-19")]
    assert table.loc["2026-10-19", "care"] == 19 and table.loc["2026-10-19", "sales"] == 4


def test_monthly_service_by_site(stats):
    table = summary.monthly_service(stats)
    assert [str(m) for m in table["month"]] == ["2026-09", "2026-10", "2026-10"]
    sep = table.iloc[0]
    assert sep["service_level"] == pytest.approx(0.6)  # 6 / 10, abandons count as failures
    assert sep["abandon_rate"] == pytest.approx(0.2)
    assert sep["asa_s"] == pytest.approx(20.0) and sep["aht_s"] == pytest.approx(300.0)
    assert np.isnan(table.iloc[2]["service_level"])  # no traffic at B: no ratio, not zero
    by_queue = summary.monthly_service(stats, by="queue")
    assert by_queue["offered"].tolist() == [10, 20]
    with pytest.raises(ParameterError, match="parameter 'by'"):
        summary.monthly_service(stats, by="provider")


def test_filter_period_and_queues(volumes, stats):
    out = summary.filter_period(volumes, "2026-10-20", "2026-10-26")
    assert out["calls"].sum() == 3 + 20 + 8
    assert len(summary.filter_period(stats, None, "2026-09-30")) == 1
    with pytest.raises(ParameterError, match="period_end"):
        summary.filter_period(volumes, "2026-10-26", "2026-10-01")
    with pytest.raises(ParameterError, match="overlapping the data"):
        summary.filter_period(volumes, "2027-01-01", None)
    with pytest.raises(ParameterError, match="ISO date"):
        summary.filter_period(volumes, "last week", None)
    assert set(summary.select_queues(volumes, ["sales"])["queue"]) == {"sales"}
    with pytest.raises(ParameterError, match="among care, sales"):
        summary.select_queues(volumes, ["billing"])


def test_data_coverage(stats):
    table = summary.data_coverage(stats)
    assert table.loc["A", "open_days"] == 2 and table.loc["A", "offered"] == 30
    assert table.loc["A", "share_of_calls"] == 1.0 and table.loc["B", "queues"] == "care"


def test_plot_helpers_draw_one_line_per_group(volumes, stats):
    ax = plots.category_lines(summary.weekly_volumes(volumes), title="t", ylabel="calls")
    assert len(ax.lines) == 2
    ax = plots.monthly_lines(summary.monthly_service(stats), "service_level", "site",
                             target=0.8, percent=True, title="t")
    assert len(ax.lines) == 3  # two sites + target
    plots.plt.close("all")


def test_headlines(volumes, stats):
    weekly = pd.DataFrame({"care": [30, 10], "sales": [10, 10]},
                          index=pd.to_datetime(["2026-10-05", "2026-10-12"]))
    head = summary.describe_weekly(weekly)
    assert head["top_queue"] == "care" and head["top_share"] == pytest.approx(40 / 60)
    assert head["peak_week"] == pd.Timestamp("2026-10-05") and head["peak_to_low"] == 2.0
    prof = summary.describe_profile(summary.weekday_interval_profile(volumes))
    assert (prof["weekday"], prof["interval"], prof["calls"]) == ("Mon", "08:00", 17.0)
    assert prof["peak_to_mean"] == pytest.approx(17 / ((17 + 7 + 3) / 3))
    svc = summary.describe_service(summary.monthly_service(stats), target=0.8)
    # Sep at A: 6/10 = 0.6; Oct at A: 17/20 = 0.85; B has no traffic (not rated).
    assert (svc["months"], svc["below_target"]) == (2, 1)
    assert (svc["worst_group"], svc["worst_month"]) == ("A", "2026-09")
    assert svc["worst_abandon_rate"] == pytest.approx(0.2)


def test_intraday_profile_compares_shapes(volumes):
    table = summary.intraday_profile(volumes)
    # care: 08:00 mean of 10, 3, 20 = 11; 08:30 mean of 6, 8 = 7 -> average 9.
    assert table.loc["08:00", "care"] == pytest.approx(11 / 9)
    assert table.loc["08:30", "care"] == pytest.approx(7 / 9)
    assert table.loc["08:00", "sales"] == pytest.approx(1.0)


def test_through_period_keeps_data_up_to_the_end_of_the_month_and_refuses_a_month_without_data():
    ds = pd.Series(pd.to_datetime(["2026-08-31 19:30", "2026-09-01 08:00", "2026-09-30 19:30",
                                   "2026-10-01 08:00"]).tz_localize("Europe/Paris"))
    df = pd.DataFrame({"ds": ds, "calls": [1, 2, 3, 4]})
    kept = summary.through_period(df, "2026-09")
    assert kept["calls"].tolist() == [1, 2, 3]
    first, last = summary.data_window(kept)
    assert (f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}") == ("2026-08-31", "2026-09-30")
    for month in ("2026-11", "2026-07"):
        with pytest.raises(ParameterError, match=r"'period' = '" + month
                           + r"'.*covers 2026-08-31 to 2026-10-01 \(2026-08..2026-10\)"):
            summary.through_period(df, month)
    with pytest.raises(ParameterError, match="YYYY-MM"):
        summary.through_period(df, "2026-10\n")
