"""The staffing report's sentences follow the figures: reversed data, changed words."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from toolkit.staffing import report as words

TZ = "Europe/Paris"


def _ts(s):
    return pd.Timestamp(s, tz=TZ)


def _curve(sl):
    agents = np.arange(10, 10 + len(sl))
    return pd.DataFrame({"agents": agents, "sl_erlang_a": sl, "sl_erlang_c": np.array(sl) - 0.1,
                         "asa_erlang_a_s": np.linspace(20, 1, len(sl)),
                         "asa_erlang_c_s": np.linspace(40, 2, len(sl)),
                         "p_abandon": np.linspace(0.1, 0.01, len(sl)),
                         "occupancy": np.linspace(0.95, 0.8, len(sl))})


def _peak(agents, binding="max_occupancy"):
    return pd.Series({"agents": agents, "queue": "care", "binding": binding,
                      "ds": _ts("2026-11-16 10:00"), "agents_erlang_c": agents + 1,
                      "p_abandon": 0.01})


def test_peak_title_names_the_crossing_not_the_cap():
    curve = _curve([0.5, 0.7, 0.81, 0.9, 0.95, 0.97])
    title = words.peak_title(curve, _peak(15), sl_target=0.8, target_s=20)
    assert title.startswith("12 agents reach 80% in 20")
    assert "occupancy cap raises the staffing to 15" in title
    # the curve crosses later: the number follows it
    later = words.peak_title(_curve([0.5, 0.6, 0.7, 0.79, 0.85, 0.97]), _peak(15),
                             sl_target=0.8, target_s=20)
    assert later.startswith("14 agents reach")
    # the service target alone sets the peak: one number, said so
    same = words.peak_title(curve, _peak(12, "service_level"), sl_target=0.8, target_s=20)
    assert "the service target sets the staffing" in same and "cap" not in same
    never = words.peak_title(_curve([0.1, 0.2]), _peak(15), sl_target=0.8, target_s=20)
    assert never.startswith("No staffing up to 11 agents")


def test_curve_rows_keep_the_crossing_and_the_staffed_peak():
    curve = _curve(list(np.linspace(0.3, 0.99, 30)))
    rows = words.curve_rows(curve, _peak(36), 0.8, around=1)
    crossing = words.agents_for_target(curve, 0.8)
    assert set(rows["agents"]) == {crossing - 1, crossing, crossing + 1, 35, 36, 37}
    table = words.curve_table(rows)
    assert "SL, Erlang A" in table.columns and "sl_erlang_a" not in table.columns
    assert all("%" in r[1] for r in table.rows)


def _gap(a, c):
    return pd.DataFrame({"queue": ["care", "sales"], "agent_hours_erlang_a": a,
                         "agent_hours_erlang_c": c, "max_interval_gap_agents": [1, 2],
                         "mean_p_abandon": [0.02, 0.03],
                         "gap_hours": np.subtract(c, a), "gap_pct": np.subtract(c, a) / a})


def _plan(binding="max_occupancy"):
    return pd.DataFrame({"ds": [_ts("2026-11-16 10:00")], "queue": ["care"], "agents": [112],
                         "agents_erlang_c": [112], "binding": [binding], "p_abandon": [0.001]})


def test_model_gap_sentence_reverses_with_the_models():
    more = words.model_gap_sentence(_gap([100.0, 50.5], [110.0, 60.0]), _plan(), "2026-11")
    assert "19.5 hours more with Erlang C" in more and "150.5" in more
    fewer = words.model_gap_sentence(_gap([110.0, 60.0], [100.0, 50.5]), _plan(), "2026-11")
    assert "19.5 hours fewer with Erlang C" in fewer
    assert "occupancy cap sets the staffing there" in more
    sl = words.model_gap_sentence(_gap([100.0, 50.5], [110.0, 60.0]), _plan("service_level"),
                                  "2026-11")
    assert "service target sets the staffing there" in sl and "barely" not in sl
    table = words.model_gap_table(_gap([100.0, 50.5], [110.0, 60.0]))
    assert "Agent-hours, Erlang A" in table.columns and table.rows[1][1] == "50.5"


def _weekly(fte_by_week, complete=None):
    periods = pd.to_datetime(["2026-11-08", "2026-11-15", "2026-11-22"])
    rows = []
    for i, p in enumerate(periods):
        for q, share in (("care", 0.6), ("sales", 0.4)):
            rows.append({"period": p, "queue": q, "fte": fte_by_week[i] * share,
                         "complete": True if complete is None else complete[i]})
    return pd.DataFrame(rows)


def test_week_title_follows_the_chart_and_says_which_figure_is_the_month():
    month_total = {"month": pd.Period("2026-11", "M"), "fte": 236.2, "complete": False,
                   "open_days": 23, "open_days_in_period": 24}
    table = words.weekly_table(_weekly([230.0, 220.0, 234.0]))
    title = words.fte_week_title(table, month_total)
    assert title.startswith("228.0 FTE a week on average over 3 whole weeks")
    assert "lightest: week to 15 Nov, 220.0" in title
    assert "November 2026 as a whole: 236.2 FTE" in title
    other = words.fte_week_title(words.weekly_table(_weekly([210.0, 220.0, 234.0])), month_total)
    assert "lightest: week to 8 Nov, 210.0" in other
    # a partial week stays out of the average and is marked on its label
    partial = words.weekly_table(_weekly([230.0, 220.0, 100.0], [True, True, False]))
    assert "225.0 FTE a week on average over 2 whole weeks" in words.fte_week_title(
        partial, month_total)
    assert words.week_labels(partial)[-1] == "week to 22 Nov (partial)"
    assert words.fte_week_table(partial).rows[0][-1] == "230.0"


def test_month_table_total_is_the_key_figure():
    monthly = pd.DataFrame({"queue": ["care", "sales"], "period": pd.to_datetime(["2026-11-30"] * 2),
                            "open_days": [23, 23], "open_days_in_period": [24, 24],
                            "complete": [False, False], "workload_hours": [1000.0, 500.0],
                            "paid_hours": [7.5, 7.5], "fte": [133.45, 66.45]})
    table = words.fte_month_table(monthly, "2026-11")
    assert table.rows[-1][0] == "All queues" and table.rows[-1][-1] == "199.9"
    month_total = {"month": pd.Period("2026-11", "M"), "fte": 199.9, "open_days": 23,
                   "open_days_in_period": 24, "complete": False}
    peak = _peak(112)
    figures = words.key_figures(peak, _gap([100.0, 50.5], [110.0, 60.0]), month_total, "FR-REG")
    assert "staffing month 2026-11: 199.9 FTE at FR-REG (23 of 24 open days)" in figures
    assert "Erlang A 150.5, Erlang C 170.0" in figures


def _per_day(p):
    days = pd.date_range("2026-11-02", periods=len(p), freq="D")
    return pd.DataFrame({"queue": ["care"] * len(p), "day": days, "p_sl_ge_target": p})


def test_risk_words_follow_the_chart_of_days():
    per_interval = pd.DataFrame({"expected_sl": [0.7, 0.75]})
    low = _per_day([0.3, 0.4, 0.45, 0.6])
    text = words.risk_sentence(low, per_interval, sl_target=0.8, target_s=20, extra_hours=100,
                               base_hours=1000)
    assert "3 of 4 (75%) queue-days" in text and "below the target" in text
    assert "100 more agent-hours** (+10.0%)" in text
    assert "weakest (care, Mon 2 Nov) meets the target with 30% chance" in words.risk_title(low)
    high = _per_day([0.9, 0.8, 0.7, 0.95])
    text = words.risk_sentence(high, pd.DataFrame({"expected_sl": [0.85]}), sl_target=0.8,
                               target_s=20, extra_hours=-50, base_hours=1000)
    assert "every queue-day has at least an even chance" in text and "above the target" in text
    assert "50 fewer agent-hours** (−5.0%)" in text
    assert "Thu 5 Nov" not in words.risk_title(high) and "Wed 4 Nov" in words.risk_title(high)


def test_card_status_follows_the_days():
    month_total = {"month": pd.Period("2026-11", "M"), "fte": 245.5, "complete": True,
                   "open_days": 24, "open_days_in_period": 24}
    text, status = words.card_headline(month_total, _peak(112), _per_day([0.3, 0.4, 0.6]))
    assert status == "attention" and text.startswith("November 2026 needs 245.5 FTE")
    assert "112 care agents" in text and "2 of 3 (67%)" in text
    text, status = words.card_headline(month_total, _peak(112), _per_day([0.7, 0.4, 0.6]))
    assert status == "ok" and "2 of 3 (67%)" in text


def _checks(flags):
    n = len(flags)
    return pd.DataFrame({"simulation": ["exponential"] * n, "queue": ["care"] * n,
                         "ds": [_ts("2026-11-02 11:00")] * n, "agents": [21] * n,
                         "sl_formula": [0.84] * n, "sl_sim": [0.79] * n, "sl_gap": [-0.05] * n,
                         "abandon_formula": [0.02] * n, "abandon_sim": [0.01] * n,
                         "abandon_gap": [-0.01] * n, "flag": flags})


def test_simulation_words_and_tables_follow_the_flags():
    none = _checks([False, False])
    assert "holds under every distribution" in words.simulation_sentence(none)
    assert words.flagged_table(none).is_empty
    some = _checks([True, False])
    assert "1 of 2 (50%)" in words.simulation_sentence(some)
    flagged = words.flagged_table(some)
    assert len(flagged.rows) == 1 and "True" not in str(flagged) and "−5.0 pp" in str(flagged)
    summary = words.simulation_summary(some)
    assert summary.rows[0][2] == "1"


def test_shift_words_follow_the_countries():
    by_country = pd.DataFrame({"country": ["FR", "MA"], "weekly_hours": [35, 44],
                               "paid_hours": [7551.0, 7488.0], "efficiency": [0.843, 0.85],
                               "peak_seats": [159, 164], "fte": [215.7, 170.2],
                               "under_coverage_agent_hours": [3.5, 0.0]})
    text = words.shift_sentence(by_country, "FR", 0.843)
    assert "MA fits the curve best (85.0%), FR least (84.3%)" in text
    swapped = by_country.assign(efficiency=[0.86, 0.85])
    assert "FR fits the curve best (86.0%), MA least" in words.shift_sentence(swapped, "FR", 0.86)
    own = SimpleNamespace(coverage=pd.DataFrame({"ds": [_ts("2026-11-02")]}), paid_hours=7551.0,
                          efficiency=0.843)
    assert "below the planning file's 90%" in words.shift_title(own, "FR", 0.9)
    assert "above the planning file's 80%" in words.shift_title(own, "FR", 0.8)


def test_binding_table_names_targets_in_words():
    plan = pd.DataFrame({"queue": ["care", "care", "sales"],
                         "binding": ["max_occupancy", "service_level", "service_level"]})
    table = words.binding_table(plan)
    assert "Intervals set by the occupancy cap" in table.columns
    assert table.rows[1] == ("sales", "0", "1")


def test_plan_must_match_forecast_row_by_row():
    f = pd.DataFrame({"ds": [_ts("2026-11-02 09:00")], "queue": ["care"]})
    p = pd.DataFrame({"ds": [_ts("2026-11-02 09:30")], "queue": ["care"]})
    with pytest.raises(ValueError, match="plan's rows must be the forecast's"):
        list(words._by_queue(f, p))
