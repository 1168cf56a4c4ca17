"""Scheduling: labour rules as reference data, tours, the MILP and its errors, on tiny weeks."""

import numpy as np
import pandas as pd
import pytest
import yaml

from toolkit import scheduling as sch
from toolkit.errors import DataError, ParameterError

TZ = "Europe/Paris"
MONDAY = "2026-10-05"


def week(agents_by_day, *, start="09:00", end="17:00", interval_minutes=60, queue=None):
    """A tidy requirement: ``agents_by_day[d]`` agents from ``start`` to ``end`` on day d
    (Monday = 0), nothing elsewhere (closed)."""
    rows = []
    for d, n in enumerate(agents_by_day):
        if not n:
            continue
        slots = pd.date_range(pd.Timestamp(f"{MONDAY} {start}") + pd.Timedelta(days=d),
                              pd.Timestamp(f"{MONDAY} {end}") + pd.Timedelta(days=d),
                              freq=f"{interval_minutes}min", inclusive="left", tz=TZ)
        rows += [{"ds": ts, "agents": n} for ts in slots]
    frame = pd.DataFrame(rows)
    if queue is not None:
        frame["queue"] = queue
    return frame


# --------------------------------------------------------------------------------------------
# Rules as reference data
# --------------------------------------------------------------------------------------------

def test_rules_file_has_every_country_with_sourced_figures():
    rules = sch.load_labour_rules()
    assert {"FR", "IE", "PT", "MA", "TN", "SN", "MU", "MG", "IN", "PH"} <= set(rules)
    for r in rules.values():
        for name, fig in r.figures.items():
            assert set(sch.FIGURE_KEYS) <= set(fig), (r.country, name)
            assert fig["flag"] in sch.FLAGS and fig["source"], (r.country, name)
    assert (rules["FR"].weekly_hours, rules["MA"].weekly_hours, rules["MU"].weekly_hours,
            rules["TN"].weekly_hours) == (35, 44, 45, 48)
    fr = rules["FR"]
    assert fr.min_daily_rest_hours == 11 and fr.max_daily_hours == 10
    assert not fr.sunday_work_allowed and not fr.night_work_allowed
    assert fr.break_for(7.0) == sch.Break(6.0, 20, False) and fr.break_for(5.0) is None
    assert list(fr.table().columns) == ["field", *sch.FIGURE_KEYS]


def test_unknown_country_lists_the_valid_ones():
    with pytest.raises(ParameterError, match=r"'XX'.*one of \['FR', 'IE', 'IN'"):
        sch.country_rules("XX")
    with pytest.raises(ParameterError, match="countries.*'XX'.*one or more of"):
        sch.schedule_efficiency_by_country(week([1] * 6), ["FR", "XX"])


def test_override_replaces_value_and_marks_the_figure():
    rules = sch.country_rules("FR", {"countries": {"FR": {"sunday_work_allowed": True}}})
    assert rules.sunday_work_allowed
    fig = rules.figures["sunday_work_allowed"]
    assert fig["flag"] == "override" and "analyst override" in fig["source"]
    assert fig["unit"] == "boolean"


def test_override_with_unknown_field_lists_the_valid_ones():
    with pytest.raises(ParameterError, match="sunday_work.*sunday_work_allowed"):
        sch.load_labour_rules({"countries": {"FR": {"sunday_work": True}}})
    with pytest.raises(ParameterError, match="'XX'.*'FR'"):
        sch.load_labour_rules({"countries": {"XX": {"weekly_hours": 40}}})


def _rules_file(tmp_path, edit):
    data = yaml.safe_load(sch.RULES_FILE.read_text(encoding="utf-8"))
    edit(data["countries"])
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_rules_file_errors_name_file_country_and_field(tmp_path):
    path = _rules_file(tmp_path, lambda c: c["MA"]["max_daily_hours"].update(value=3.0))
    with pytest.raises(sch.LabourRulesError) as err:
        sch.load_labour_rules(path=path)
    msg = str(err.value)
    assert str(path) in msg and "country MA" in msg and "'max_daily_hours'" in msg
    assert "below the shortest shift" in msg and "min_shift_hours = 4" in msg
    assert (err.value.country, err.value.field) == ("MA", "max_daily_hours")

    # the same mistake made in an overrides mapping names the overrides
    with pytest.raises(sch.LabourRulesError, match="overrides mapping.*country FR.*max_daily"):
        sch.load_labour_rules({"countries": {"FR": {"max_daily_hours": 3.0}}})


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("earliest_start", 360, "HH:MM"),              # unquoted 06:00 reads as 360 in YAML 1.1
    ("part_time_max_share", 1.5, "between 0 and 1"),
    ("breaks", [{"after_hours": 6, "minutes": 20}], "after_hours, minutes, paid"),
    ("start_granularity_minutes", 7, "dividing a day"),
    ("weekly_hours", 70.0, "weekly_hours <="),       # 6 days x 10 h cannot hold 70 h
])
def test_bad_rule_values_are_refused_with_the_right_value(tmp_path, field, value, expected):
    path = _rules_file(tmp_path, lambda c: c["FR"][field].update(value=value))
    with pytest.raises(sch.LabourRulesError, match=f"country FR, field '{field}'") as err:
        sch.load_labour_rules(path=path)
    assert expected in str(err.value)


def test_missing_field_and_flag_are_refused(tmp_path):
    path = _rules_file(tmp_path, lambda c: c["TN"].pop("min_daily_rest_hours"))
    with pytest.raises(sch.LabourRulesError, match="country TN.*min_daily_rest_hours.*missing"):
        sch.load_labour_rules(path=path)
    path = _rules_file(tmp_path, lambda c: c["TN"]["night_start"].pop("source"))
    with pytest.raises(sch.LabourRulesError, match="night_start.*lacks \\['source'\\]"):
        sch.load_labour_rules(path=path)


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------

def test_french_templates_follow_the_rules():
    tpl = sch.shift_templates("FR")
    assert not tpl["days_on"].str[6].eq("S").any()                  # no Sunday
    end = tpl["start_minute"] + tpl["span_hours"] * 60
    assert (tpl["start_minute"] >= 6 * 60).all() and (end <= 21 * 60).all()   # no night
    assert (tpl["span_hours"] <= 13).all() and (tpl["paid_hours"] <= 10).all()
    full = tpl[tpl["contract"] == "full_time"]
    assert set(full["weekly_paid_hours"].round(2)) <= {35.0, 34.5}    # 7h x5, 8.75h x4, 5.75h x6
    assert (tpl.loc[tpl["contract"] == "part_time", "weekly_paid_hours"] >= 24).all()
    seven = tpl[(tpl["contract"] == "full_time") & (tpl["paid_hours"] == 7.0)]
    assert (seven["break_minutes"] == 20).all() and (seven["span_hours"] > 7.3).all()


def test_moroccan_templates_fill_the_44_hour_week():
    full = sch.shift_templates("MA").query("contract == 'full_time'")
    assert set(zip(full["paid_hours"], full["n_days"], strict=True)) == {(7.25, 6), (8.75, 5)}
    assert full["days_on"].str[6].eq("S").any()                      # Sunday allowed


# --------------------------------------------------------------------------------------------
# Known optima
# --------------------------------------------------------------------------------------------

def test_flat_requirement_with_an_eight_hour_shift_needs_n_shifts_a_day():
    n = 4
    req = pd.concat([week([n - 1] * 7, queue="care"), week([1] * 7, queue="sales")])
    tpl = sch.daily_templates({"day": ("09:00", 8.0), "late": ("10:00", 8.0)})
    res = sch.schedule(req, templates=tpl, weekly_hours=35.0)
    per_day = res.shift_counts.groupby("day")["shifts"].sum()
    assert per_day.tolist() == [n] * 7
    assert set(res.shift_counts["template"].str.split().str[0]) == {"day"}
    assert res.efficiency == pytest.approx(1.0)
    assert res.paid_hours == pytest.approx(7 * 8 * n)
    assert res.required_agent_hours == pytest.approx(7 * 8 * n)       # queues summed
    assert res.peak_seats == n and res.under_coverage_agent_hours == 0
    assert res.fte == pytest.approx(7 * 8 * n / 35)
    assert res.status == "optimal"
    cov = res.coverage
    assert len(cov) == 7 * 24 and cov["ds"].dt.tz is not None
    assert (cov["scheduled"] == cov["required"]).all()


def test_spike_lowers_efficiency_and_sets_peak_seats():
    req = week([5] * 7)
    wed_noon = req["ds"].dt.day_of_week.eq(2) & req["ds"].dt.hour.eq(12)
    req.loc[wed_noon, "agents"] = 8
    tpl = sch.daily_templates({"day": ("09:00", 8.0), "mid": ("11:00", 4.0)})
    res = sch.schedule(req, templates=tpl, under_coverage_penalty=None)
    required = 7 * 40 + 3
    scheduled = 6 * 40 + 5 * 8 + 3 * 4                # Wednesday: 5 day shifts + 3 mid shifts
    assert res.required_agent_hours == required and res.paid_hours == scheduled
    assert res.efficiency == pytest.approx(required / scheduled)
    assert res.efficiency < 1
    assert res.peak_seats == 8
    wed = res.shift_counts.query("weekday == 'Wed'").set_index("template")["shifts"]
    assert wed.to_dict() == {"day --W----": 5, "mid --W----": 3}
    daily = res.daily()
    assert daily.loc[daily["weekday"] == "Wed", "peak_seats"].item() == 8
    assert "Peak seats" in res.summary() and "8" in res.summary()


def test_half_hour_intervals_and_a_shift_starting_mid_interval():
    req = week([2] * 5 + [0, 0], interval_minutes=30, start="09:00", end="17:00")
    tpl = sch.daily_templates({"early": ("08:45", 8.25)}, days=range(5))
    res = sch.schedule(req, templates=tpl, under_coverage_penalty=None)
    assert res.paid_hours == pytest.approx(5 * 2 * 8.25)
    assert res.efficiency == pytest.approx(8 / 8.25)
    first = res.coverage.query("day == 0 and time == '08:30'")["scheduled"].item()
    assert first == pytest.approx(2 * 0.5)                     # half of 08:30-09:00


def random_daily_week(seed, *, penalty=None):
    """A seeded week of 30-minute requirements and 20 day shifts (the benchmark's shape)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(f"{MONDAY} 00:00", periods=7 * 48, freq="30min", tz=TZ)
    hour = ds.hour + ds.minute / 60
    agents = np.where((hour >= 7) & (hour < 23), rng.integers(1, 25, ds.size), 0)
    agents[ds.day_of_week == 6] = 0
    shifts = {f"S{i:02d}": (int(rng.integers(14, 30)) * 30, float(rng.integers(8, 17)) / 2)
              for i in range(18)}
    shifts |= {"open": ("07:00", 8.0), "close": ("15:00", 8.0)}
    return pd.DataFrame({"ds": ds, "agents": agents}), sch.daily_templates(shifts)


@pytest.mark.parametrize("penalty", [None, 50.0])
def test_direct_highs_lp_matches_milp(monkeypatch, penalty):
    req, tpl = random_daily_week(3)
    fast = sch.schedule(req, templates=tpl, under_coverage_penalty=penalty, mip_rel_gap=0)
    monkeypatch.setattr(sch, "_highs", None)                   # scipy's milp instead
    slow = sch.schedule(req, templates=tpl, under_coverage_penalty=penalty, mip_rel_gap=0)
    for res in (fast, slow):
        assert res.status == "optimal" and res.mip_gap == 0
    assert fast.objective == pytest.approx(slow.objective)
    assert fast.paid_hours == pytest.approx(slow.paid_hours)
    monkeypatch.undo()
    mip = sch.schedule(req, templates=tpl.assign(n_days=2), under_coverage_penalty=penalty,
                       mip_rel_gap=0)                            # forced through branch and bound
    assert mip.objective == pytest.approx(fast.objective)


# --------------------------------------------------------------------------------------------
# The array entry point
# --------------------------------------------------------------------------------------------

def test_schedule_days_known_optimum():
    # 6 four-hour intervals; A covers 0-2, B 3-5, C 2-3: 1-1-2-2-1-1 needs A + B + C
    required = np.array([[1, 1, 2, 2, 1, 1], [0, 0, 1, 1, 0, 0]])
    coverage = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 0, 0]])
    plan = sch.schedule_days(required, coverage, [12.0, 12.0, 8.0], mip_rel_gap=0)
    assert plan.shifts.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert plan.paid_hours == 12 + 12 + 8 + 8
    assert plan.required_agent_hours == 4 * (8 + 2)
    assert plan.efficiency == pytest.approx(1.0)
    assert (plan.scheduled == required).all() and plan.under_coverage_agent_hours == 0
    assert plan.status == "optimal" and plan.objective_bound == pytest.approx(40)


def brute_force_paid(required, coverage, paid, most=4):
    """The cheapest whole number of each shift covering one day, by enumeration."""
    from itertools import product
    best = np.inf
    for counts in product(range(most + 1), repeat=len(paid)):
        if (np.asarray(counts) @ coverage >= required).all():
            best = min(best, float(np.asarray(counts) @ paid))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_schedule_days_with_breaks_matches_enumeration(seed):
    # breaks make rows with two runs of ones: the LP is not integral, branch and bound runs
    rng = np.random.default_rng(seed)
    coverage = np.zeros((3, 8))
    for i in range(3):
        start, length = int(rng.integers(0, 3)), int(rng.integers(4, 7))
        coverage[i, start:start + length] = 1
        coverage[i, start + length // 2] = 0
    coverage[0, :] = np.maximum(coverage[0], [1, 1, 1, 1, 0, 0, 0, 0])
    coverage[1, 4:] = 1
    required = rng.integers(0, 4, 8)
    paid = coverage.sum(axis=1) + 1
    plan = sch.schedule_days(required[None, :], coverage, paid, mip_rel_gap=0)
    assert plan.paid_hours == pytest.approx(brute_force_paid(required, coverage, paid))
    assert (plan.scheduled[0] >= required).all()


def test_schedule_days_agrees_with_schedule_on_tables():
    req, tpl = random_daily_week(5)
    table = sch.schedule(req, templates=tpl, under_coverage_penalty=None, mip_rel_gap=0)
    shifts = tpl.drop_duplicates("start_minute paid_hours".split())
    coverage = np.zeros((len(shifts), 48))
    for i, (start, hours) in enumerate(zip(shifts["start_minute"], shifts["paid_hours"],
                                           strict=True)):
        coverage[i, start // 30:start // 30 + int(hours * 2)] = 1
    required = req["agents"].to_numpy().reshape(7, 48)
    plan = sch.schedule_days(required, coverage, shifts["paid_hours"], mip_rel_gap=0)
    assert plan.paid_hours == pytest.approx(table.paid_hours)
    assert plan.efficiency == pytest.approx(table.efficiency)


def test_schedule_days_names_the_uncoverable_interval_and_bad_parameters():
    coverage = np.array([[1, 1, 0, 0]])
    with pytest.raises(sch.InfeasibleScheduleError, match=r"required\[1, 2\] = 3") as err:
        sch.schedule_days([[1, 1, 0, 0], [0, 0, 3, 0]], coverage, [8])
    assert err.value.rule == "shift_coverage"
    plan = sch.schedule_days([[1, 1, 0, 0], [0, 0, 3, 0]], coverage, [8],
                             under_coverage_penalty=10)
    assert plan.under_coverage_agent_hours == 3 * 6 and plan.paid_hours == 8
    with pytest.raises(ParameterError, match=r"required\[0, 1\]"):
        sch.schedule_days([[1, -1, 0, 0]], coverage, [8])
    with pytest.raises(ParameterError, match="shift_coverage.*4 intervals a row"):
        sch.schedule_days([[1, 1, 0, 0]], [[1, 1, 0]], [8])
    with pytest.raises(ParameterError, match="shift_paid_hours.*one paid length per shift"):
        sch.schedule_days([[1, 1, 0, 0]], coverage, [8, 4])


def test_coverage_matrices_are_reused_and_results_keep_their_own_templates():
    req, tpl = random_daily_week(4)
    sch._COVERAGE_CACHE.clear()
    first = sch.schedule(req, templates=tpl, under_coverage_penalty=None)
    assert len(sch._COVERAGE_CACHE) == 1
    again = sch.schedule(req.assign(agents=req["agents"] * 2), templates=tpl.copy(),
                         under_coverage_penalty=None)
    assert len(sch._COVERAGE_CACHE) == 1                       # same tours, same grid
    assert again.paid_hours >= first.paid_hours
    tpl.loc[:, "template"] = "edited"                          # the caller's frame, later
    assert not first.templates["template"].eq("edited").any()
    assert len(first.templates) == first.params["n_templates"] == 120  # Sundays dropped
    assert first.templates["agents"].sum() == first.headcount


def test_french_rules_need_more_paid_hours_than_moroccan_where_hours_bind():
    # Mon-Sat 08:00-15:15: a Moroccan 44 h week is exactly six 7.25 h days; a French
    # 35 h week cannot hold six such days and its lengths (7 h x5, 8.75 h x4) overlap.
    req = week([10] * 6 + [0], start="08:00", end="15:15", interval_minutes=15)
    ma = sch.schedule(req, "MA", under_coverage_penalty=None)
    assert ma.paid_hours == pytest.approx(6 * 7.25 * 10) and ma.efficiency == pytest.approx(1)
    no_breaks = {"countries": {"FR": {"breaks": []}}}
    fr_hours_only = sch.schedule(req, "FR", overrides=no_breaks, under_coverage_penalty=None)
    fr = sch.schedule(req, "FR", under_coverage_penalty=None)
    # HiGHS's proven bound: no legal French schedule pays as few hours as the Moroccan one
    assert ma.paid_hours < fr_hours_only.objective_bound <= fr_hours_only.paid_hours
    assert ma.paid_hours < fr.objective_bound and fr.efficiency < 1 and fr.fte > ma.fte

    table = sch.schedule_efficiency_by_country(req, ["FR", "MA"], under_coverage_penalty=None)
    assert list(table.columns[:6]) == ["country", "weekly_hours", "paid_hours", "efficiency",
                                       "peak_seats", "fte"]
    assert table.set_index("country").loc["FR", "paid_hours"] == pytest.approx(fr.paid_hours)


def test_part_time_share_is_capped():
    req = week([6] * 6 + [0], start="09:00", end="13:00")      # four-hour days
    res = sch.schedule(req, "FR", under_coverage_penalty=None)
    assert res.part_time_share <= 0.30 + 1e-9
    uncapped = sch.schedule(req, "FR", under_coverage_penalty=None,
                            overrides={"countries": {"FR": {"part_time_max_share": 1.0}}})
    assert uncapped.paid_hours < res.paid_hours and uncapped.efficiency == pytest.approx(1)


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------

def test_night_requirement_under_french_rules_names_the_rule_and_interval():
    req = week([0, 3, 0, 0, 0, 0, 0], start="03:00", end="04:00")
    with pytest.raises(sch.InfeasibleScheduleError) as err:
        sch.schedule(req, "FR", interval_minutes=60)
    e = err.value
    assert (e.rule, e.day, e.interval) == ("night_work_allowed", "Tue 2026-10-06", "03:00")
    assert "3 agents" in str(e) and "night 21:00-06:00" in str(e)
    night_ok = sch.schedule(req, "MA", interval_minutes=60)     # night work allowed
    assert night_ok.under_coverage_agent_hours == 0


def test_sunday_requirement_under_french_rules():
    req = week([4] * 7)
    with pytest.raises(sch.InfeasibleScheduleError, match="Sun 2026-10-11 at 09:00.*"
                       "'sunday_work_allowed' is false") as err:
        sch.schedule(req, "FR")
    assert err.value.rule == "sunday_work_allowed"
    around = sch.schedule(req, "FR", uncoverable="penalise")
    assert around.under_coverage_agent_hours == pytest.approx(4 * 8)
    derogation = {"countries": {"FR": {"sunday_work_allowed": True}}}
    # flat weeks that no tour fits exactly have weak LP bounds: a short time limit returns
    # the best schedule found, with its gap
    opened = sch.schedule(req, "FR", overrides=derogation, time_limit_s=3)
    assert opened.under_coverage_agent_hours == 0
    assert opened.status in ("optimal", "time_limit") and opened.mip_gap < 0.1
    assert opened.objective_bound <= opened.objective


def test_custom_templates_that_miss_an_interval():
    req = week([2] * 7, start="06:00", end="18:00")
    tpl = sch.daily_templates({"day": ("09:00", 8.0)})
    with pytest.raises(sch.InfeasibleScheduleError, match="rule 'templates'.*06:00") as err:
        sch.schedule(req, templates=tpl)
    assert err.value.interval == "06:00"


def test_requirement_errors_name_column_row_and_parameter():
    req = week([2] * 7)
    with pytest.raises(DataError, match="column 'agents'"):
        sch.schedule(req.drop(columns="agents"), "MA")
    bad = req.copy()
    bad.loc[3, "agents"] = -1
    with pytest.raises(DataError, match="row 4.*column 'agents'"):
        sch.schedule(bad, "MA")
    two_weeks = pd.concat([req, req.assign(ds=req["ds"] + pd.Timedelta(days=7))])
    with pytest.raises(ParameterError, match="week_start.*spans 14 days"):
        sch.schedule(two_weeks, "MA")
    res = sch.schedule(two_weeks, "MA", week_start="2026-10-12")
    assert res.params["week_start"] == "2026-10-12"
    with pytest.raises(ParameterError, match="uncoverable"):
        sch.schedule(req, "MA", uncoverable="ignore")
    with pytest.raises(ParameterError, match="rules"):
        sch.schedule(req)


def test_scheduled_column_is_preferred_and_breaks_counted_in_it():
    req = week([3] * 6 + [0]).assign(scheduled=lambda f: f["agents"] + 1)
    res = sch.schedule(req, "PH", under_coverage_penalty=None)
    assert res.params["agents_column"] == "scheduled"
    assert res.params["breaks_in_requirement"] is True
    assert res.required_agent_hours == pytest.approx(6 * 8 * 4)
    assert np.isfinite(res.fte) and res.fte == pytest.approx(res.paid_hours / 48)


def test_country_table_shows_what_covering_an_isolated_peak_would_cost():
    req = week([4] * 6)
    spike = req["ds"] == pd.Timestamp(f"{MONDAY} 10:00", tz=TZ)
    req.loc[spike, "agents"] += 3          # one hour, three more agents than any other hour
    table = sch.schedule_efficiency_by_country(req, ["FR"], under_coverage_penalty=2.0)
    row = table.iloc[0]
    assert row["under_coverage_agent_hours"] > 0   # a low price: cheaper left uncovered
    hard = sch.schedule(req, "FR", under_coverage_penalty=None)
    assert row["paid_hours_full_cover"] == pytest.approx(hard.paid_hours, rel=3e-3)
    assert row["paid_hours_full_cover"] > row["paid_hours"]
    assert row["efficiency_full_cover"] < row["efficiency"]
    covered = sch.schedule_efficiency_by_country(req, ["FR"], under_coverage_penalty=None).iloc[0]
    assert covered["paid_hours_full_cover"] == covered["paid_hours"]
