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
    assert table.rows[0][1] == "100.0" and table.rows[0][2] == "110"  # per column


def test_agent_hours_are_whole_when_whole():
    whole = words.model_gap_sentence(_gap([13014.0, 3598.0], [13196.0, 3813.0]), _plan(),
                                     "2026-11")
    assert "**16,612**" in whole and "397 hours more" in whole and ".0" not in whole
    half = words.model_gap_sentence(_gap([13014.0, 3598.0], [13196.0, 3813.5]), _plan(),
                                    "2026-11")
    assert "**17,009.5 agent-hours**" in half and "397.5 hours more" in half
    assert "**16,612**" in half


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
    # a partial week stays out of the average, the chart and the table
    partial = words.weekly_table(_weekly([230.0, 220.0, 100.0], [True, True, False]))
    assert "225.0 FTE a week on average over 2 whole weeks" in words.fte_week_title(
        partial, month_total)
    assert list(words.whole_weeks(partial).index) == list(partial.index[:2])
    table = words.fte_week_table(partial)
    assert [r[0] for r in table.rows] == ["week to 8 Nov", "week to 15 Nov"]
    assert table.rows[0][-1] == "230.0" and "100.0" not in str(table)


def _days_plan(days):
    return pd.DataFrame({"ds": [_ts(f"{d} 10:00") for d in days], "queue": "care"})


def test_part_weeks_are_named_under_the_table_not_drawn():
    # the month ends on a Monday: that Monday alone is the part-week
    table = words.weekly_table(_weekly([230.0, 220.0, 400.0], [True, True, False]))
    plan = _days_plan(["2026-11-02", "2026-11-09", "2026-11-16"])
    note = words.partial_weeks_note(table, plan)
    assert "the week to 22 Nov, of which this report staffs only Mon 16 Nov" in note
    assert note.endswith("includes it.")
    assert words.fte_week_table(table, note=note).caption == note
    # reversed: the part-week is the first, with three days
    first = words.weekly_table(_weekly([100.0, 220.0, 230.0], [False, True, True]))
    plan = _days_plan(["2026-11-04", "2026-11-05", "2026-11-06", "2026-11-09"])
    note = words.partial_weeks_note(first, plan)
    assert "the week to 8 Nov, of which this report staffs only Wed 4 Nov to Fri 6 Nov" in note
    assert "22 Nov" not in note
    # every week whole: nothing to say
    assert words.partial_weeks_note(words.weekly_table(_weekly([1.0, 2.0, 3.0])), plan) is None


def _monthly(phone, paid, one_fte=115.0):
    return pd.DataFrame({"queue": ["care", "sales"], "period": pd.to_datetime(["2026-11-30"] * 2),
                         "open_days": [23, 23], "open_days_in_period": [24, 24],
                         "complete": [False, False], "workload_hours": phone,
                         "paid_hours": paid, "fte_hours": [one_fte, one_fte],
                         "fte": np.divide(paid, one_fte)})


def test_month_table_columns_are_the_steps_of_the_computation():
    table = words.fte_month_table(_monthly([1000.0, 500.0], [15346.75, 7641.75]), "2026-11")
    assert table.columns == ("Queue", "Open days covered",
                             "Hours on the phone (agent-hours, Erlang A)",
                             "Paid hours to staff (after shrinkage and shifts)",
                             "Hours one FTE works on those days",
                             "FTE (paid hours ÷ one FTE's hours)")
    # phone hours whole when whole, paid hours summed in the total, FTE = paid ÷ one FTE's hours
    assert table.rows[0][2:] == ("1,000", "15,347", "115.0", "133.5")
    assert table.rows[-1] == ("All queues", "23", "1,500", "22,989", "115.0", "199.9")
    # reversed queues: the rows follow
    swapped = words.fte_month_table(_monthly([500.5, 1000.0], [7641.75, 15346.75]), "2026-11")
    assert swapped.rows[0][2:] == ("500.5", "7,642", "115.0", "66.5")
    assert swapped.rows[1][2] == "1,000.0"  # one column, one number of decimals


def test_key_figures_say_the_month_and_place_in_words():
    month_total = {"month": pd.Period("2026-11", "M"), "fte": 199.9, "open_days": 23,
                   "open_days_in_period": 24, "complete": False}
    figures = words.key_figures(_peak(112), _gap([100.0, 50.0], [110.0, 60.5]), month_total,
                                "FR-REG", _plan())
    assert ("staffing month November 2026: 199.9 FTE in France – regions (23 of 24 open days)"
            in figures)
    assert "Erlang A 150, Erlang C 170.5" in figures and "150.0" not in figures
    assert "FR-REG" not in figures and "2026-11" not in figures


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


def _queues_plan(sales_at_peak, sales_later):
    """care peaks at 112 on Mon 16 Nov 10:00; sales adds ``sales_at_peak`` then and
    ``sales_later`` at 10:30 (when care has 100)."""
    return pd.DataFrame({"ds": [_ts("2026-11-16 10:00"), _ts("2026-11-16 10:30")] * 2,
                         "queue": ["care", "care", "sales", "sales"],
                         "agents": [112, 100, sales_at_peak, sales_later]})


def test_card_status_follows_the_days():
    month_total = {"month": pd.Period("2026-11", "M"), "fte": 245.5, "complete": True,
                   "open_days": 24, "open_days_in_period": 24}
    plan = _queues_plan(20, 10)
    text, status = words.card_headline(month_total, _peak(112), _per_day([0.3, 0.4, 0.6]), plan)
    assert status == "attention" and text.startswith("November 2026 needs 245.5 FTE")
    assert "112 care agents" in text and "2 of 3 (67%)" in text
    text, status = words.card_headline(month_total, _peak(112), _per_day([0.7, 0.4, 0.6]), plan)
    assert status == "ok" and "2 of 3 (67%)" in text
    # the longest case (forecast short of the month, many queue-days) still fits the card
    short = {**month_total, "complete": False, "open_days": 23}
    text, _ = words.card_headline(short, _peak(112), _per_day([0.3] * 40 + [0.6] * 32),
                                  _queues_plan(20, 40))
    assert "(23 of 24 open days forecast)" in text and len(text) <= 300


def test_peak_says_one_queue_and_all_queues_both_labelled():
    from toolkit import executive

    same = words.peak_phrase(_peak(112), _queues_plan(20, 10))
    assert same == ("112 care agents at the busiest half hour (Mon 16 Nov 10:00), "
                    "132 across all queues together")
    # sales busier half an hour later: the all-queue peak moves, and says when
    later = _queues_plan(20, 40)
    moved = words.peak_phrase(_peak(112), later)
    assert moved.endswith("140 across all queues together (Mon 16 Nov 10:30)")
    # the executive summary's figure, from the same plan
    assert executive.staffing_peak(later).agents == 140


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
    assert "Morocco fits the curve best (85.0%), France least (84.3%)" in text
    swapped = by_country.assign(efficiency=[0.86, 0.85])
    assert "France fits the curve best (86.0%), Morocco least" in words.shift_sentence(
        swapped, "FR", 0.86)
    own = SimpleNamespace(coverage=pd.DataFrame({"ds": [_ts("2026-11-02")]}), paid_hours=7551.0,
                          efficiency=0.843)
    assert "below the planning file's 90%" in words.shift_title(own, "FR", 0.9)
    assert "above the planning file's 80%" in words.shift_title(own, "FR", 0.8)
    assert words.shift_title(own, "MA", 0.8).startswith("Morocco's rules")
    table = words.shift_table(by_country)
    assert [r[0] for r in table.rows] == ["France", "Morocco"]
    assert table.rows[1][-1] == "0.0" and table.rows[0][-1] == "3.5"  # one column, one format
    assert words.shift_table(by_country.assign(under_coverage_agent_hours=[14.0, 0.0])).rows[0][-1] == "14"
    # a country whose cheapest schedule leaves peaks uncovered says what full cover costs
    assert "uncovered" not in words.shift_sentence(by_country, "FR", 0.843)
    short = by_country.assign(paid_hours_full_cover=[8395.0, 7488.0],
                              efficiency_full_cover=[0.758, 0.85])
    text = words.shift_sentence(short, "FR", 0.843)
    assert ("France's cheapest schedule leaves 3.5 agent-hours" in text
            and "8,395 paid hours (844 more; efficiency 75.8% instead of 84.3%)" in text)
    assert "Morocco's cheapest" not in text


def test_codes_read_as_names():
    assert words.country_name("MU") == "Mauritius" and words.country_name("TN") == "Tunisia"
    assert words.country_name("MA", "fr_FR") == "Morocco"  # English sentences in every locale
    assert words._when(pd.Timestamp("2026-11-30 10:00"), "fr_FR") == "Mon 30 Nov 10:00"
    assert words.location_words("FR-REG") == "France – regions"
    assert words.location_words("MA") == "Morocco"


def test_fte_source_line_uses_the_efficiency_the_fte_use():
    import dataclasses

    from toolkit import planning

    basis = planning.load_basis(location="FR-REG")
    filed = words.fte_source(basis, "FR-REG", 2026)
    assert (f"schedule efficiency {basis.schedule_efficiency:.1%} (planning file)" in filed
            and "France – regions" in filed)
    computed = dataclasses.replace(basis, efficiency_by_country={"FR": 0.86})
    line = words.fte_source(computed, "FR-REG", 2026)
    assert "schedule efficiency 86.0% (shifts under France's labour rules)" in line
    assert f"{computed.efficiency('FR-REG'):.1%}" in line


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


def test_patience_table_says_how_sure_each_estimate_is_in_words():
    table = pd.DataFrame({"queue": ["care", "sales", "vip"], "offered": [900, 400, 20],
                          "abandoned": [60, 30, 1], "patience_s": [180.0, 150.0, 120.0],
                          "basis": ["exact", "lower bound", "fallback"],
                          "note": ["", "", "too few abandons"]})
    shown = words.patience_table(table).to_frame()
    assert shown["How sure"].tolist() == [words.PATIENCE_BASIS_WORDS[b] for b in table["basis"]]
    assert not shown["How sure"].isin(["exact", "lower bound", "fallback"]).any()


def test_day_risk_uses_the_forecasts_own_within_day_correlation():
    ds = pd.date_range("2026-11-02 09:00", periods=16, freq="30min", tz=TZ)
    forecast = pd.DataFrame({"ds": ds, "queue": "care", "yhat": 60.0,
                             "yhat_lower_80": 48.0, "yhat_upper_80": 75.0,
                             "yhat_lower_95": 42.0, "yhat_upper_95": 85.0})
    plan = forecast[["ds", "queue"]].assign(agents=12, aht_s=240.0, patience_s=180.0)
    args = dict(interval_s=1800, target_s=20, sl_target=0.8, n_draws=400, seed=1)

    def chance(**kw):
        return words.risk_by_queue(forecast, plan, **args, **kw)[1]["p_sl_ge_target"].iloc[0]
    default = chance()                                           # 0.5, stated in the notebook
    own = chance(correlation={"care": {"intraday": 0.1, "days": 0.0}})
    assert own == pytest.approx(chance(within_day_correlation=0.1))
    assert own != pytest.approx(default)
    assert chance(correlation={"sales": {"intraday": 0.1}}) == pytest.approx(default)


def test_forecast_correlation_is_read_from_the_sidecar(tmp_path):
    from toolkit import forecast, io, staffing
    ds = pd.date_range("2026-11-02 09:00", periods=4, freq="30min", tz=TZ)
    frame = pd.DataFrame({"ds": ds, "queue": "care", "yhat": 60.0,
                          "yhat_lower_80": 48.0, "yhat_upper_80": 75.0,
                          "yhat_lower_95": 42.0, "yhat_upper_95": 85.0})
    result = forecast.ForecastResult(frame, {"care": {"correlation": {"intraday": 0.2,
                                                                      "days": 0.05}}},
                                     {"kind": "forecast", "levels": [80, 95]})
    path = forecast.write_forecast(result, tmp_path / "forecast.parquet")
    assert staffing.forecast_correlation(path) == {"care": {"intraday": 0.2, "days": 0.05}}
    io.write_processed(frame, tmp_path / "bare.parquet")      # no sidecar: nothing guessed
    assert staffing.forecast_correlation(tmp_path / "bare.parquet") == {}
