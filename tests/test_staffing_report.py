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
    assert "20 hours more with Erlang C" in more and "151" in more
    fewer = words.model_gap_sentence(_gap([110.0, 60.0], [100.0, 50.5]), _plan(), "2026-11")
    assert "20 hours fewer with Erlang C" in fewer
    assert "occupancy cap sets the staffing there" in more
    sl = words.model_gap_sentence(_gap([100.0, 50.5], [110.0, 60.0]), _plan("service_level"),
                                  "2026-11")
    assert "service target sets the staffing there" in sl and "barely" not in sl
    table = words.model_gap_table(_gap([100.0, 50.5], [110.0, 60.0]))
    assert "Agent-hours, Erlang A" in table.columns and table.rows[1][1] == "51"
    # one format for agent-hours across the Erlang A, Erlang C and gap columns
    assert table.rows[0][1:4] == ("100", "110", "10")
    whole = words.model_gap_table(_gap([13014.0, 3598.0], [13196.0, 3814.0]))
    assert whole.rows[0][1:4] == ("13,014", "13,196", "182")


def test_agent_hours_are_whole_hours_in_one_format():
    whole = words.model_gap_sentence(_gap([13014.0, 3598.0], [13196.0, 3813.0]), _plan(),
                                     "2026-11")
    assert "**16,612**" in whole and "397 hours more" in whole and ".0" not in whole
    half = words.model_gap_sentence(_gap([13014.0, 3598.0], [13196.0, 3813.5]), _plan(),
                                    "2026-11")
    # half hours are noise at a month's scale: whole hours, never 16,612 beside 17,009.5
    assert "**17,010 agent-hours**" in half and "398 hours more" in half
    assert "**16,612**" in half and ".5" not in half
    table = words.model_gap_table(_gap([13014.0, 3598.0], [13196.0, 3813.5]))
    assert [r[1:4] for r in table.rows] == [("13,014", "13,196", "182"),
                                            ("3,598", "3,814", "216")]


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
    assert "Erlang A 150, Erlang C 171" in figures  # one format for the pair
    whole = words.key_figures(_peak(112), _gap([100.0, 50.0], [110.0, 60.0]), month_total,
                              "FR-REG", _plan())
    assert "Erlang A 150, Erlang C 170" in whole and "quantile" not in whole
    hedged = words.key_figures(_peak(112), _gap([100.0, 50.0], [110.0, 60.0]), month_total,
                               "FR-REG", _plan(), hedge=_hedge(199.9, 0.2))
    assert ("FTE for each half hour's volume not exceeded 80% of the time: about 240 (+40)"
            in hedged)
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


def _hedge(fte, share, quantile=0.8):
    return {"quantile": quantile, "base_hours": 1000.0, "extra_hours": 1000.0 * share,
            "extra_share": share, "fte": fte, "fte_quantile": fte * (1 + share)}


def test_hedge_figures_follow_the_plan_and_the_quantile_staffing():
    plan = pd.DataFrame({"agents": [10, 20, 30]})
    hedge = pd.DataFrame({"agents": [12, 25, 35]})
    month_total = {"fte": 100.0}
    fig = words.hedge_figures(plan, hedge, month_total, interval_minutes=30, quantile=0.8)
    assert fig["base_hours"] == 30.0 and fig["extra_hours"] == 6.0
    assert fig["extra_share"] == pytest.approx(0.2)
    assert fig["fte_quantile"] == pytest.approx(120.0)  # FTE x (1 + extra share)
    assert words.hedge_phrase(fig) == ("about 120 FTE (+20) to staff every half hour for the "
                                       "volume not exceeded 80% of the time")
    # the report's figures: 265.5 FTE and +21.0 % give about 321 (+56)
    assert words.hedge_phrase(_hedge(265.5, 0.21)).startswith("about 321 FTE (+56)")
    # a quantile below the forecast takes fewer: the sign follows
    fewer = words.hedge_figures(plan, plan.assign(agents=[9, 18, 27]), month_total,
                                interval_minutes=30, quantile=0.4)
    assert words.hedge_phrase(fewer).startswith("about 90 FTE (−10)")
    assert "not exceeded 40% of the time" in words.hedge_phrase(fewer)


def test_fte_basis_reads_the_location_and_its_week():
    import dataclasses

    from toolkit import planning

    basis = planning.load_basis(location="FR-REG")
    hours = basis.paid_time("FR-REG").contract_hours_per_week
    assert words.fte_basis(basis, "FR-REG") == f"France – regions, {hours:.0f}-hour week"
    # a different standard week in the planning basis: the words follow
    longer = dataclasses.replace(basis.paid_time("FR-REG"), contract_hours_per_week=39.5)
    other = SimpleNamespace(paid_time=lambda loc: longer)
    assert words.fte_basis(other, "MA") == "Morocco, 39.5-hour week"


def test_card_states_the_risk_and_the_fte_it_takes_within_the_card():
    from toolkit.reportcard import MAX_CHARS

    month_total = {"month": pd.Period("2026-11", "M"), "fte": 265.5, "complete": True,
                   "open_days": 24, "open_days_in_period": 24}
    weak = _per_day([0.3] * 72)
    text, status = words.card_headline(month_total, _peak(145), weak, _queues_plan(27, 10),
                                       basis_words="France – regions, 35-hour week",
                                       hedge=_hedge(265.5, 0.21))
    assert status == "attention" and len(text) <= MAX_CHARS
    assert text.startswith("November 2026 needs 265.5 FTE (France – regions, 35-hour week) "
                           "at the forecast, where 72 of 72 (100%) queue-days are less likely "
                           "than not to meet the target; about 321 (+56) cover each half "
                           "hour's calls 80% of the time.")
    assert "145 care agents on the phone at once (Mon 16 Nov 10:00), 139 all queues" in text
    # most days fine: the status and the words turn, the FTE figures stay
    ok, status = words.card_headline(month_total, _peak(145), _per_day([0.7] * 72),
                                     _queues_plan(27, 10), basis_words="France – regions, "
                                     "35-hour week", hedge=_hedge(265.5, 0.05))
    assert status == "ok" and "most queue-days have at least an even chance" in ok
    assert "about 279 (+13)" in ok and len(ok) <= MAX_CHARS
    # the longest case still fits: the peak's wording gives way, never the FTE
    short = {**month_total, "complete": False, "open_days": 23}
    for plan in (_queues_plan(27, 10), _queues_plan(20, 140)):
        text, _ = words.card_headline(short, _peak(145), weak, plan,
                                      basis_words="France – regions, 35-hour week",
                                      hedge=_hedge(265.5, 0.21))
        assert len(text) <= MAX_CHARS and "about 321 (+56)" in text
        assert "(23 of 24 open days forecast)" in text


def test_spread_reason_says_why_the_days_miss_from_the_figures():
    ds = [_ts("2026-11-02 10:00"), _ts("2026-11-02 10:30"), _ts("2026-11-03 10:00")]
    plan = pd.DataFrame({"ds": ds, "queue": "care", "calls": [500.0, 300.0, 400.0],
                         "service_level": [0.95, 0.85, 0.9]})
    forecast = pd.DataFrame({"ds": ds, "queue": "care", "yhat": [577.0, 300.0, 400.0],
                             "yhat_lower_80": [416.0, 250.0, 330.0],
                             "yhat_upper_80": [757.0, 360.0, 480.0]})
    below = pd.DataFrame({"expected_sl": [0.74, 0.76, 0.78]})
    text = words.spread_reason(plan, forecast, below, sl_target=0.8)
    # day SL at the forecast: (500 x 95% + 300 x 85%) / 800 = 91.25% on Mon, 90% on Tue
    assert text.startswith("At the forecast itself every queue-day reaches the target "
                           "(90% to 91% over the day), but the calls can come well above")
    assert "(care, Mon 2 Nov 10:00: 577 calls forecast, 80% range 416 to 757)" in text
    assert "is 76.0%, below the 80% target." in text
    above = words.spread_reason(plan, forecast, pd.DataFrame({"expected_sl": [0.85]}),
                                sl_target=0.8)
    assert "above the 80% target" in above
    # a day already short at the forecast is not said to reach the target
    short = words.spread_reason(plan.assign(service_level=0.7), forecast, below, sl_target=0.8)
    assert "the queue-days reach (70% to 70%" in short and "every" not in short
    # the §6 sentence carries the reason and the FTE
    sentence = words.risk_sentence(_per_day([0.3, 0.4]), below, sl_target=0.8, target_s=20,
                                   extra_hours=210, base_hours=1000, reason=text,
                                   hedge=_hedge(265.5, 0.21))
    assert text in sentence and "80 %" not in sentence
    assert ("**about 321 FTE** for the month instead of 265.5 at the forecast (+56)."
            in sentence)


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
    assert same == ("112 care agents on the phone at once at the busiest half hour "
                    "(Mon 16 Nov 10:00), 132 across all queues together")
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


def test_simulation_sentence_says_which_way_and_how_far():
    label = "lognormal handle (CV 0.8) and lognormal patience (CV 0.5)"
    checks = _checks([True, True, False]).assign(
        simulation=label, queue="retention",
        ds=[_ts("2026-11-23 11:00"), _ts("2026-11-30 11:00"), _ts("2026-11-02 11:00")],
        agents=23, sl_formula=[0.847, 0.833, 0.84], sl_sim=[0.802, 0.764, 0.83],
        sl_gap=[-0.045, -0.069, -0.01], abandon_formula=[0.023, 0.025, 0.02],
        abandon_sim=[0.002, 0.004, 0.02], abandon_gap=[-0.021, -0.022, 0.0])
    text = words.simulation_sentence(checks, sl_target=0.8).replace("\\", "")  # Markdown
    assert (f"With {label}, retention's 23 agents at Mon 30 Nov 11:00 give 76.4% in the "
            f"simulation against 83.3% by the formula, below the 80% target: the formula "
            f"overstates SL by up to 6.9 points at retention's flagged half hours and "
            f"overstates abandonment by up to 2.2 points, so meeting the target there would "
            f"take more agents than the formula says.") in text
    assert "depends on how handle" not in text
    # reversed: the simulation does better than the formula, above the target
    better = checks.assign(sl_sim=[0.9, 0.9, 0.84], sl_gap=[0.053, 0.067, 0.0],
                           abandon_gap=[0.03, 0.0, 0.0])
    text = words.simulation_sentence(better, sl_target=0.8).replace("\\", "")
    assert "give 90.0% in the simulation against 83.3% by the formula, above the 80% target" in text
    assert "understates SL by up to 6.7 points" in text and "understates abandonment" in text
    assert "more agents" not in text
    # the scenario names say each coefficient of variation
    from toolkit import staffing
    names = list(staffing.SIMULATION_SCENARIOS)
    assert all(n.count("CV") == n.count("lognormal") for n in names)


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


def test_day_labels_sit_under_their_own_day_on_half_hour_charts():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates

    from toolkit import plots

    x = pd.date_range("2026-11-02 08:00", "2026-11-04 19:30", freq="30min")
    x = x[(x.hour >= 8) & (x.hour < 20)]
    ax = plots.new_axes()
    ax.plot(x, np.arange(len(x)))
    words.day_axis(ax, within_day=True)
    ax.figure.canvas.draw()
    labels = [(t.get_text(), mdates.num2date(t.get_position()[0]).replace(tzinfo=None))
              for t in ax.get_xticklabels(minor=True)]
    # the first day labelled too, each label at its own midday
    assert labels == [("Mon 2 Nov", pd.Timestamp("2026-11-02 12:00")),
                      ("Tue 3 Nov", pd.Timestamp("2026-11-03 12:00")),
                      ("Wed 4 Nov", pd.Timestamp("2026-11-04 12:00"))]
    assert not any(t.get_text() for t in ax.get_xticklabels())  # midnights: lines only
    lo, hi = (mdates.num2date(v).replace(tzinfo=None) for v in ax.get_xlim())
    assert (lo, hi) == (pd.Timestamp("2026-11-02"), pd.Timestamp("2026-11-05"))
    # a chart of one point a day keeps its label on the day's point (Mondays)
    days = pd.date_range("2026-11-02", periods=14, freq="D")
    ax = plots.new_axes()
    ax.plot(days, np.arange(14))
    words.day_axis(ax)
    ax.figure.canvas.draw()
    shown = [(t.get_text(), mdates.num2date(t.get_position()[0]).replace(tzinfo=None))
             for t in ax.get_xticklabels() if t.get_text()]
    assert ("Mon 2 Nov", pd.Timestamp("2026-11-02")) in shown
    assert ("Mon 9 Nov", pd.Timestamp("2026-11-09")) in shown
    plots.plt.close("all")


def test_rests_on_says_how_far_each_figure_moves_the_fte():
    from toolkit import planning

    basis = planning.load_basis(location="FR-REG")
    sens = pd.DataFrame([
        {"figure": "service.max_occupancy", "label": "occupancy cap", "low_fte": 296.7,
         "high_fte": 255.7, "base_fte": 265.5, "swing_fte": 41.0},
        {"figure": "shrinkage.planned_in_shift", "label": "planned in-shift shrinkage",
         "low_fte": 256.4, "high_fte": 281.7, "base_fte": 265.5, "swing_fte": 25.3},
        {"figure": "service.sl_target", "label": "service target", "low_fte": 265.5,
         "high_fte": 265.5, "base_fte": 265.5, "swing_fte": 0.0}])
    line = words.rests_on(sens, basis)
    cap = basis.figures["service.max_occupancy"]
    assert line.startswith(
        f"The month's FTE depends most on the {basis.max_occupancy:.0%} occupancy cap "
        f"(−9.8 to +31.2 FTE over its range, {cap['low']:.0%} to {cap['high']:.0%}) and the "
        f"{basis.shrinkage_planned:.0%} planned in-shift shrinkage (−9.1 to +16.2 FTE")
    assert "service target" not in line  # moves nothing
    # no nested brackets, no flag words, the sources named once after the figures
    assert "((" not in line and "derived here" not in line and "sourced" not in line
    assert line.count("Sources:") <= 1
    # the order follows the swings
    flipped = sens.assign(swing_fte=[1.0, 25.3, 0.0])
    assert words.rests_on(flipped, basis).index("planned") < words.rests_on(
        flipped, basis).index("occupancy")
