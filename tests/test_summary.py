"""Data summaries for the overview notebook, on tiny hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit import planning, plots, summary
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
    kept = planning.through_period(df, "2026-09")
    assert kept["calls"].tolist() == [1, 2, 3]
    first, last = summary.data_window(kept)
    assert (f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}") == ("2026-08-31", "2026-09-30")
    for month in ("2026-11", "2026-07"):
        with pytest.raises(ParameterError, match=r"'period' = '" + month
                           + r"'.*covers 2026-08-31 to 2026-10-01 \(2026-08..2026-10\)"):
            planning.through_period(df, month)
    with pytest.raises(ParameterError, match="YYYY-MM"):
        planning.through_period(df, "2026-10\n")


# --- Reviewer sentences: each is written from the table beside it and turns with its data ---

def monthly(rows):
    """A ``monthly_service`` table from (month, site, service level, abandon rate) rows, on
    100 calls offered and 90 answered a site-month."""
    frame = pd.DataFrame(rows, columns=["month", "site", "service_level", "abandon_rate"])
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    return frame.assign(offered=100, answered=90, abandoned=100 * frame["abandon_rate"],
                        answered_in_sl=100 * frame["service_level"], wait_time_s=900.0,
                        handle_time_s=27000.0)


SERVICE = [("2026-08", "A", 0.85, 0.03), ("2026-08", "B", 0.70, 0.09),
           ("2026-09", "A", 0.75, 0.06), ("2026-09", "B", 0.82, 0.04)]


def test_service_headline_names_the_worst_site_month_and_turns_with_the_data():
    text = summary.service_headline(monthly(SERVICE), target=0.8)
    assert text == ("2 of 4 site-months (50%) below the 80% target; worst: B in August 2026 "
                    "(70.0%)")
    swapped = [(m, s, 0.65 if (m, s) == ("2026-09", "A") else sl, ab)
               for m, s, sl, ab in SERVICE]
    assert "worst: A in September 2026 (65.0%)" in summary.service_headline(monthly(swapped))
    # ties at the shown precision are all named, in month order
    tied = [(m, s, 0.70 if sl < 0.8 else sl, ab) for m, s, sl, ab in SERVICE]
    assert "worst: B in August 2026 and A in September 2026 (70.0%)" in \
        summary.service_headline(monthly(tied))
    met = [(m, s, 0.9, ab) for m, s, _, ab in SERVICE]
    assert summary.service_headline(monthly(met)).startswith("All 4 site-months met the 80%")


def test_worst_month_says_when_it_is_a_site_s_first_month():
    rows = SERVICE + [("2026-07", "A", 0.9, 0.03)]      # A has an earlier month: B opened later
    assert "worst: B in August 2026, its first month (70.0%)" in \
        summary.service_headline(monthly(rows))
    # every site starting with the window: its first month is the data's, not an opening
    assert "worst: B in August 2026 (70.0%)" in summary.service_headline(monthly(SERVICE))


def test_site_sentence_names_sites_just_under_target_over_all_months():
    rows = [(m, s, 0.79, 0.03) for m in ("2026-08", "2026-09", "2026-10") for s in "AB"]
    rows[0] = ("2026-08", "A", 0.70, 0.03)
    text = summary.site_service_sentence(summary.site_service(monthly(rows)))
    assert "Over all their months, every site averages below the 80% target (76.0% to 79.0%)." \
        in text and "In the latest month, below target: A (79.0%, October 2026) and B" in text


def test_service_headline_never_rounds_a_miss_onto_the_target():
    rows = [("2026-09", "A", 0.7996, 0.03), ("2026-09", "B", 0.85, 0.03)]
    assert "(79.96%)" in summary.service_headline(monthly(rows), target=0.8)


def test_abandon_headline_names_the_highest_of_its_own_chart_not_the_worst_service_month():
    text = summary.abandon_headline(monthly(SERVICE), reference=0.05)
    # B in August has the highest abandonment; the worst service month is named only if it is
    assert text == ("Highest abandonment: 9.0% at B in August 2026; 2 of 4 site-months (50%) "
                    "above the 5% reference")
    moved = [(m, s, sl, 0.10 if (m, s) == ("2026-09", "A") else ab) for m, s, sl, ab in SERVICE]
    assert summary.abandon_headline(monthly(moved)).startswith(
        "Highest abandonment: 10.0% at A in September 2026;")
    tied = [(m, s, sl, 0.09 if ab > 0.05 else ab) for m, s, sl, ab in SERVICE]
    assert "at B in August 2026 and A in September 2026;" in summary.abandon_headline(monthly(tied))
    low = [(m, s, sl, 0.02) for m, s, sl, _ in SERVICE]
    assert summary.abandon_headline(monthly(low)).endswith("no site-month above the 5% reference")


def test_site_service_table_and_sentence_turn_with_the_data():
    table = summary.site_service(monthly(SERVICE), target=0.8)
    assert table["months_below"].tolist() == [1, 1]
    assert table.loc[0, "service_level"] == pytest.approx(0.80)  # (85 + 75) / 200, from sums
    assert table.loc[1, "worst_month"] == pd.Period("2026-08", "M")
    assert summary.site_service_sentence(table) == (
        "As a share of each site's own months, A (1 of 2 months, 50%) and B (1 of 2 months, "
        "50%) fell below the 80% target most often. No site was below target in most months."
        " Over all its months, B averages below the 80% target (76.0%). In the latest month, "
        "below target: A (75.0%, September 2026).")
    worse = [(m, s, 0.7 if s == "B" else sl, ab) for m, s, sl, ab in SERVICE]
    text = summary.site_service_sentence(summary.site_service(monthly(worse)))
    assert text.startswith("As a share of each site's own months, B (2 of 2 months, 100%) "
                           "fell below the 80% target most often; A (1 of 2 months, 50%) least")
    assert "Below target in most months: B." in text
    good = [(m, s, 0.9, ab) for m, s, _, ab in SERVICE]
    assert summary.site_service_sentence(summary.site_service(monthly(good))) == \
        "Every site met the 80% target in every month shown."
    shown = summary.site_service_table(summary.site_service(monthly(worse))).to_frame()
    assert "Service level, September 2026" in shown.columns  # one latest month: in its heading
    assert shown["Months below target"].tolist() == ["1 of 2", "2 of 2"]
    empty = summary.site_service_table(summary.site_service(monthly(SERVICE).iloc[:0]))
    assert empty.is_empty and "No month" in str(empty)


def test_site_service_sentence_compares_rates_and_quotes_each_sites_own_months():
    # the full-sample case: equal counts over different months, the lowest count not the
    # lowest rate
    table = pd.DataFrame({"site": ["ATLAS", "EBN", "LIL", "AMI"], "months": [28, 26, 46, 29],
                          "months_below": [13, 9, 11, 13]})
    text = summary.site_service_sentence(table)
    assert text.startswith("As a share of each site's own months, ATLAS (13 of 28 months, 46%) "
                           "fell below the 80% target most often; LIL (11 of 46 months, 24%) "
                           "least often.")
    reversed_ = table.assign(months_below=table["months"] - table["months_below"])
    text = summary.site_service_sentence(reversed_)
    assert "LIL (35 of 46 months, 76%) fell below" in text and "ATLAS (15 of 28 months, 54%) least" in text
    assert text.endswith("Below target in most months: ATLAS, EBN, LIL and AMI.")
    never = table.assign(months_below=[13, 0, 11, 13])
    assert "; EBN never." in summary.site_service_sentence(never)


def test_site_service_table_writes_asa_to_a_tenth_of_a_second():
    table = pd.DataFrame({"site": ["A", "B"], "months": [2, 2], "months_below": [0, 1],
                          "worst_month": pd.PeriodIndex(["2026-09", "2026-10"], freq="M"),
                          "worst_service_level": [0.81, 0.7],
                          "latest_month": pd.PeriodIndex(["2026-10", "2026-10"], freq="M"),
                          "latest_service_level": [0.82, 0.7], "service_level": [0.8, 0.75],
                          "abandon_rate": [0.04, 0.05], "asa_s": [19.8, 20.2],
                          "aht_s": [300.0, 310.0]})
    shown = summary.site_service_table(table).to_frame()
    assert shown["ASA"].tolist() == ["19.8\u00a0s", "20.2\u00a0s"]  # not "20 s" for both


def test_report_headline_status_turns_attention_when_a_site_misses_most_months(stats):
    text, status = summary.report_headline(stats, monthly(SERVICE))
    assert status == "info" and "2 of 4 site-months (50%) below the 80% target" in text
    assert text.startswith("30 calls offered from September 2026 to October 2026")
    worse = [(m, s, 0.7 if s == "B" else sl, ab) for m, s, sl, ab in SERVICE]
    text, status = summary.report_headline(stats, monthly(worse))
    assert status == "attention" and text.endswith("below target in most months: B.")


def test_weekly_profile_and_intraday_headlines_turn_with_the_data(volumes):
    weekly = pd.DataFrame({"care": [30, 10], "sales": [10, 10]},
                          index=pd.to_datetime(["2026-10-05", "2026-10-12"]))
    assert summary.weekly_headline(weekly) == (
        "Care carries 67% of the calls shown; the busiest week (from 5 Oct 2026, 40 calls) is "
        "2.0 times the quietest")
    flipped = weekly.rename(columns={"care": "sales", "sales": "care"}).iloc[::-1]
    flipped.index = weekly.index
    assert summary.weekly_headline(flipped).startswith(
        "Sales carries 67% of the calls shown; the busiest week (from 12 Oct 2026")
    assert "67\u00a0% of the calls shown" in summary.weekly_headline(weekly, "fr_FR")
    profile = summary.weekday_interval_profile(volumes)
    assert summary.profile_headline(profile).startswith("Busiest half-hour: Monday 08:00, 17 calls")
    profile.loc["Sat", "08:30"] = 40
    assert summary.profile_headline(profile).startswith("Busiest half-hour: Saturday 08:30, 40")
    shape = pd.DataFrame({"care": [2.0, 0.5, 0.5], "sales": [0.5, 0.5, 2.0],
                          "retention": [2.0, 0.5, 0.5]}, index=["08:00", "12:00", "18:00"])
    assert summary.intraday_headline(shape) == \
        "Queues peak at different hours: care and retention at 08:00, sales at 18:00"
    shape["sales"] = [2.0, 0.5, 0.5]
    assert summary.intraday_headline(shape) == "All queues peak at 08:00"


def test_site_overview_uses_the_12_months_of_the_sourcing_report():
    ds = stamps("2025-09-15 10:00", "2025-11-03 10:00", "2026-10-05 10:00", "2026-10-05 10:00")
    stats = pd.DataFrame({
        "ds": ds, "queue": "care", "site": ["A", "A", "A", "B"],
        "offered": [1000, 10, 20, 70], "answered": [900, 10, 20, 70], "abandoned": 0,
        "short_abandoned": 0, "answered_in_sl": [800, 8, 16, 60],
        "handle_time_s": [1000.0, 10.0, 20.0, 70.0], "wait_time_s": 0.0})
    sites = pd.DataFrame({"site": ["A", "B"], "site_name": ["Site A", "Site B"],
                          "provider": ["P", "Q"], "location": ["FR-REG", "MA"],
                          "engagement_form": ["INHOUSE", "FULL"],
                          "opened": pd.to_datetime(["2015-01-01", "2024-06-01"])})
    table = summary.site_overview(stats, sites, "2026-10")
    # September 2025 lies outside November 2025..October 2026: A has 30 of 100 calls, not 1,030
    assert table["site"].tolist() == ["B", "A"]
    assert table["location"].tolist() == ["Morocco (Casablanca / Rabat)", "France – regions"]  # named as every report names it (toolkit.names)
    assert table["engagement_form"].tolist() == ["full outsourcing", "in-house"]
    assert table["share_of_calls"].tolist() == pytest.approx([0.7, 0.3])
    assert table["share_of_workload"].tolist() == pytest.approx([0.7, 0.3])
    first, last = summary.share_window(stats, "2026-10")
    assert (str(first), str(last)) == ("2025-11", "2026-10")
    text = summary.site_overview_sentence(table, first, last)
    assert text.startswith("From November 2025 to October 2026 (the months the sourcing report "
                           "also counts), B took the most calls: 70.0% of calls offered")
    assert "A the fewest: 30.0%" in text
    older = summary.site_overview(stats, sites, "2025-09")  # A alone in its 12 months
    assert older["site"].tolist() == ["A"] and "fewest" not in summary.site_overview_sentence(
        older, *summary.share_window(stats, "2025-09"))


def test_window_sentence_and_percent_labels(stats):
    assert summary.window_sentence(stats, "2026-10") == (
        "Report for October 2026: data from 30 Sep 2026 to 1 Oct 2026 (2 open days).")
    label = summary.percent_label("en_GB", near=0.8)
    assert (label(0.7996), label(0.8), label(0.823)) == ("79.96%", "80.0%", "82.3%")
    assert summary.wrap("short") == "short"
    assert summary.wrap("a" * 60 + "; " + "b" * 60) == "a" * 60 + ";\n" + "b" * 60
