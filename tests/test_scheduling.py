"""Scheduling: labour rules as reference data, tours, the MILP, errors (tiny weeks, known optima)."""

import pandas as pd
import pytest
import yaml

from toolkit import scheduling as sch
from toolkit.errors import ParameterError

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
