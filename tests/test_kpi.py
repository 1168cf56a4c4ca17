"""KPI tracking: formulas, statuses, scorecard, service credits, SPC rules, bad input.

Tiny hand-made tables; every expected value is computed by hand in the comments.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from toolkit import kpi
from toolkit.errors import DataError, ParameterError


@pytest.fixture(scope="module")
def catalogue():
    return kpi.load_catalogue()


def interval_rows(rows):
    cols = ["ds", "queue", "site", "offered", "answered", "abandoned", "short_abandoned",
            "answered_in_sl", "handle_time_s", "wait_time_s"]
    df = pd.DataFrame(rows, columns=cols)
    df["ds"] = pd.to_datetime(df["ds"], utc=True).dt.tz_convert("Europe/Paris")
    return df


@pytest.fixture()
def intervals():
    return interval_rows([
        # September 2026, site A: a busy interval and a quiet one
        ("2026-09-15T08:00:00+02:00", "care", "A", 100, 90, 10, 4, 72, 27000, 900),
        ("2026-09-15T08:30:00+02:00", "care", "A", 10, 10, 0, 0, 10, 3000, 0),
        # 22:30 UTC on 30 September is 00:30 on 1 October in Paris: an October interval
        ("2026-09-30T22:30:00+00:00", "care", "A", 20, 20, 0, 0, 20, 4000, 100),
        ("2026-09-15T08:00:00+02:00", "care", "B", 50, 50, 0, 0, 45, 15000, 250),
    ])


def report_rows(rows):
    cols = ["month", "site", "provider", "fcr", "csat", "qa_score", "conversion_rate",
            "retention_save_rate", "cross_sell_rate", "attrition_rate", "absenteeism_rate",
            "nps", "billed_hours", "invoice_eur", "contacts_handled"]
    return pd.DataFrame(rows, columns=cols)


def write_contract(tmp_path, body: str, name="contract.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


CONTRACT = """
contract: {name: test, client: Helio, currency: EUR}
providers:
  A:
    provider: Alpha & Co
    service_credits:
      at_risk_pct: 0.10
      pool_pct: 1.5
      trigger: below_floor
      monthly_cap_pct: 1.0
      earn_back: {rule: consecutive_target, months: 2}
    kpis:
      SL: {target: 0.80, amber_tolerance: 0.05, red_floor: 0.70, weight: 3, credit_allocation: 0.6}
      FCR: {target: 0.70, amber_tolerance: 0.05, red_floor: 0.65, weight: 1, credit_allocation: 0.5}
  B:
    provider: Beta
    kpis:
      SL: {target: 0.80, amber_tolerance: 0.05, weight: 1}
      FCR: {target: 0.70, amber_tolerance: 0.05, weight: 1}
"""


def long_rows(rows):
    """A long KPI table from (site, month, kpi, value) with weight 1 per month."""
    df = pd.DataFrame(rows, columns=["site", "month", "kpi", "value"])
    df["definition"] = np.where(df["kpi"] == "SL", "abandons_as_fail", kpi.STANDARD)
    df["numerator"], df["denominator"], df["source"] = df["value"], 1.0, "test"
    return df[kpi._LONG_COLUMNS]


# --------------------------------------------------------------------------- catalogue

def test_catalogue_has_every_kpi_of_the_issue_grouped_by_objective(catalogue):
    table = kpi.catalogue_table(catalogue)
    expected = {"SL", "ASA", "ABANDON", "AHT", "OCC", "FCR", "CSAT", "NPS", "QA", "ATTR",
                "ABSENT", "CPC", "CONV", "SAVE", "XSELL"}
    assert expected <= set(table["kpi"])
    assert set(catalogue["objectives"]) == {"acquire", "retain", "cross_sell",
                                            "service_quality", "efficiency", "people",
                                            "platform"}
    assert set(catalogue["kpis"]["SL"]["variants"]) == {
        "abandons_as_fail", "abandons_removed", "short_abandons_removed",
        "short_abandons_as_success"}
    assert catalogue["kpis"]["SL"]["default_variant"] == "abandons_as_fail"
    assert table.set_index("kpi").loc["CONV", "objective"] == "acquire"
    assert table.set_index("kpi").loc["OCC", "direction"] == "band"


def test_sample_contract_loads_against_the_catalogue(catalogue):
    contract = kpi.load_contract(kpi.REFERENCE / "contract_sample.yml", catalogue)
    assert set(contract["providers"]) == {"NORDCALL-AMI", "ATLAS-CAS", "ILECONTACT-EBN"}
    for terms in contract["providers"].values():
        scheme = terms["credits"]
        assert sum(scheme["allocations"].values()) <= scheme["pool_pct"]


# --------------------------------------------------------------------------- formulas

def test_interval_kpis_sum_numerators_and_denominators(intervals):
    long = kpi.interval_kpis(intervals)
    got = long[(long["site"] == "A") & (long["month"] == "2026-09")].set_index(
        ["kpi", "definition"])["value"]
    # sums: offered 110, answered 100, abandoned 10, short 4, in SL 82, handle 30000, wait 900
    assert got[("SL", "abandons_as_fail")] == pytest.approx(82 / 110)  # not (0.72 + 1) / 2
    assert got[("SL", "abandons_removed")] == pytest.approx(82 / 100)
    assert got[("SL", "short_abandons_as_success")] == pytest.approx(86 / 110)
    assert got[("SL", "short_abandons_removed")] == pytest.approx(82 / 106)  # the standard one
    assert got[("ASA", "standard")] == pytest.approx(9.0)
    assert got[("AHT", "standard")] == pytest.approx(300.0)
    assert got[("ABANDON", "abandons_all")] == pytest.approx(10 / 110)
    assert got[("ABANDON", "short_abandons_removed")] == pytest.approx(6 / 106)


def test_months_follow_the_site_clock(intervals):
    long = kpi.interval_kpis(intervals)
    october = long[(long["site"] == "A") & (long["month"] == "2026-10") & (long["kpi"] == "AHT")]
    assert october["value"].tolist() == [200.0]  # 4000 s / 20 answered


def test_report_kpis_and_cost_per_contact(catalogue):
    reports = report_rows([
        ("2026-09", "A", "Alpha", 0.7, 0.8, 0.9, None, 0.3, 0.05, 0.4, 0.06, 25, 1000.0,
         50000.0, 20000),
    ])
    long = kpi.report_kpis(reports, catalogue).set_index("kpi")
    assert long.loc["CPC", "value"] == pytest.approx(2.5)  # 50 000 EUR / 20 000 contacts
    assert long.loc["FCR", "value"] == pytest.approx(0.7)
    assert long.loc["FCR", "source"] == "provider_report"
    assert np.isnan(long.loc["CONV", "value"])  # the site does not serve sales: no data


def test_monthly_kpis_derives_occupancy_and_keeps_gaps_explicit(intervals, catalogue):
    reports = report_rows([
        ("2026-09", "A", "Alpha", 0.7, 0.8, 0.9, None, None, 0.05, 0.4, 0.06, 25, 10.0,
         5000.0, 100),
    ])
    long = kpi.monthly_kpis(intervals, reports, catalogue)
    occ = long[(long["kpi"] == "OCC")].set_index(["site", "month"])["value"]
    assert occ[("A", "2026-09")] == pytest.approx(30000 / 3600 / 10)  # handle h / billed h
    # B has intervals but no report in September; A has no report in October: NaN rows
    fcr = long[long["kpi"] == "FCR"].set_index(["site", "month"])["value"]
    assert np.isnan(fcr[("B", "2026-09")]) and np.isnan(fcr[("A", "2026-10")])


# --------------------------------------------------------------------------- status rules

def test_rag_status_rules_for_each_direction():
    inf = np.inf
    # higher: green >= 0.80, amber >= max(0.80 - 0.05, floor 0.70) = 0.75
    got = kpi.rag_status([0.80, 0.77, 0.75, 0.7499, np.nan], 0.80, inf, 0.75, inf)
    assert got.tolist() == ["green", "amber", "amber", "red", "no data"]
    # lower: green <= 0.05, amber <= 0.07
    assert kpi.rag_status([0.05, 0.06, 0.071], -inf, 0.05, -inf, 0.07).tolist() == [
        "green", "amber", "red"]
    # band [300, 420] with 20 s tolerance
    assert kpi.rag_status([300, 290, 440, 441, 279], 300, 420, 280, 440).tolist() == [
        "green", "amber", "amber", "red", "red"]


def test_floor_is_stricter_than_tolerance_when_higher(tmp_path, catalogue):
    path = write_contract(tmp_path, """
        providers:
          A:
            kpis:
              SL: {target: 0.80, amber_tolerance: 0.10, red_floor: 0.75}
    """)
    terms = kpi.contract_table(kpi.load_contract(path, catalogue), catalogue).iloc[0]
    assert terms["amber_low"] == pytest.approx(0.75)  # max(0.80 - 0.10, 0.75)


# --------------------------------------------------------------------------- scorecard

def test_scorecard_status_delta_average_and_rank(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    long = long_rows([
        ("A", "2026-08", "SL", 0.70), ("A", "2026-09", "SL", 0.82), ("A", "2026-10", "SL", 0.76),
        ("B", "2026-08", "SL", 0.90), ("B", "2026-09", "SL", 0.85), ("B", "2026-10", "SL", 0.81),
        ("A", "2026-10", "FCR", 0.60), ("B", "2026-10", "FCR", 0.72),
    ])
    card = kpi.scorecard(long, contract, catalogue, "2026-10").set_index(["site", "kpi"])
    a_sl = card.loc[("A", "SL")]
    assert a_sl["status"] == "amber"  # 0.76 in [0.75, 0.80)
    assert a_sl["mom_delta"] == pytest.approx(0.76 - 0.82)
    assert a_sl["avg_12m"] == pytest.approx((0.70 + 0.82 + 0.76) / 3)
    assert (a_sl["rank"], a_sl["n_ranked"]) == (2, 2)
    assert card.loc[("B", "SL"), "rank"] == 1
    assert card.loc[("A", "FCR"), "status"] == "red"  # 0.60 < 0.65
    assert card.loc[("B", "FCR"), "status"] == "green"
    assert card.loc[("A", "SL"), "source"] == "interval"


def test_scorecard_trend_is_direction_aware(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    months = kpi.month_range("2025-11", "2026-10")
    rising = [0.70 + 0.01 * i for i in range(12)]
    long = long_rows([("A", m, "SL", v) for m, v in zip(months, rising, strict=True)])
    card = kpi.scorecard(long, contract, catalogue, "2026-10").set_index(["site", "kpi"])
    assert card.loc[("A", "SL"), "slope_per_month"] == pytest.approx(0.01)
    assert card.loc[("A", "SL"), "trend"] == "improving"


def test_provider_without_data_scores_no_data_never_green(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    long = long_rows([("A", "2026-10", "SL", 0.9), ("A", "2026-10", "FCR", 0.9)])
    card = kpi.scorecard(long, contract, catalogue, "2026-10")
    b = card[card["site"] == "B"]
    assert len(b) == 2 and set(b["status"]) == {"no data"}
    summary = kpi.objective_summary(card).set_index(["site", "objective"])
    assert summary.loc[("B", "service_quality"), "score"] == 0.0


def test_missing_report_month_is_no_data_and_can_be_required(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    reports = report_rows([
        ("2026-08", "A", "Alpha", 0.75, 0.8, 0.9, None, None, 0.05, 0.4, 0.06, 25, 10.0,
         5000.0, 100),
        ("2026-10", "A", "Alpha", 0.75, 0.8, 0.9, None, None, 0.05, 0.4, 0.06, 25, 10.0,
         5000.0, 100),
    ])
    long = kpi.monthly_kpis(None, reports, catalogue)
    card = kpi.scorecard(long, contract, catalogue, "2026-09", sites=["A"])
    assert card.set_index("kpi").loc["FCR", "status"] == "no data"
    gaps = kpi.missing_report_months(reports, ["A"], "2026-08", "2026-10")
    assert gaps.to_dict("records") == [{"site": "A", "month": "2026-09"}]
    with pytest.raises(DataError, match=r"reports\.csv.*A: 2026-09"):
        kpi.require_report_months(reports, ["A"], "2026-08", "2026-10", file="reports.csv")


def test_scorecard_rejects_unknown_site_and_bad_period(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    long = long_rows([("A", "2026-10", "SL", 0.9)])
    with pytest.raises(ParameterError, match="provider_site.*'C'.*A, B"):
        kpi.scorecard(long, contract, catalogue, "2026-10", sites=["C"])
    with pytest.raises(ParameterError, match="period.*YYYY-MM"):
        kpi.scorecard(long, contract, catalogue, "Oct 2026")


# --------------------------------------------------------------------------- credits

def credits_for(tmp_path, catalogue, rows, period, body=CONTRACT, invoice=100000.0):
    contract = kpi.load_contract(write_contract(tmp_path, body), catalogue)
    long = long_rows(rows)
    months = sorted({r[1] for r in rows})
    inv = pd.DataFrame({"site": "A", "month": months, "invoice_eur": invoice})
    return kpi.service_credits(long, inv, contract, catalogue, period).set_index(
        ["month", "kpi"])


def test_credits_allocation_and_monthly_cap(tmp_path, catalogue):
    # at risk 10 % of 100 000 = 10 000; SL red -> 0.6 x 10 000 = 6 000; FCR red -> 5 000;
    # 11 000 > cap 10 000 -> scaled by 10/11
    c = credits_for(tmp_path, catalogue, [("A", "2026-10", "SL", 0.60),
                                          ("A", "2026-10", "FCR", 0.50)], "2026-10")
    assert c.loc[("2026-10", "SL"), "at_risk_eur"] == pytest.approx(10000)
    assert c.loc[("2026-10", "SL"), "gross_credit_eur"] == pytest.approx(6000)
    assert c.loc[("2026-10", "SL"), "capped_credit_eur"] == pytest.approx(6000 * 10 / 11)
    assert c.loc[("2026-10", "FCR"), "capped_credit_eur"] == pytest.approx(5000 * 10 / 11)
    assert c.loc[("2026-10", "SL"), "earn_back"] == "pending"  # next 2 months not known yet
    assert c["capped_credit_eur"].sum() == pytest.approx(10000)


def test_amber_does_not_trigger_a_red_credit(tmp_path, catalogue):
    c = credits_for(tmp_path, catalogue, [("A", "2026-10", "SL", 0.77),
                                          ("A", "2026-10", "FCR", 0.70)], "2026-10")
    assert c["credit_eur"].sum() == 0
    assert set(c["earn_back"]) == {"not failed"}


def test_earn_back_consecutive_target(tmp_path, catalogue):
    rows = [("A", "2026-06", "SL", 0.60), ("A", "2026-07", "SL", 0.81),
            ("A", "2026-08", "SL", 0.85),  # June credit: two green months -> waived
            ("A", "2026-09", "SL", 0.60), ("A", "2026-10", "SL", 0.78)]  # Sept: amber -> due
    rows += [("A", m, "FCR", 0.75) for m in kpi.month_range("2026-06", "2026-10")]
    c = credits_for(tmp_path, catalogue, rows, "2026-10")
    assert c.loc[("2026-06", "SL"), "earn_back"] == "waived"
    assert c.loc[("2026-06", "SL"), "credit_eur"] == 0
    assert c.loc[("2026-09", "SL"), "earn_back"] == "due"
    assert c.loc[("2026-09", "SL"), "credit_eur"] == pytest.approx(6000)
    # as known at the end of July, the June credit was still pending
    c_july = credits_for(tmp_path, catalogue, rows, "2026-07")
    assert c_july.loc[("2026-06", "SL"), "earn_back"] == "pending"
    summary = kpi.credits_by_month(c.reset_index()).set_index("month")
    assert summary.loc["2026-09", "credit_due_eur"] == pytest.approx(6000)
    assert summary.loc["2026-06", "waived_eur"] == pytest.approx(6000)


HIGHER = CONTRACT.replace("earn_back: {rule: consecutive_target, months: 2}",
                          "earn_back: {rule: higher_target, months: 2}\n"
                          "      annual_cap_eur: 8000").replace(
    "credit_allocation: 0.6}", "credit_allocation: 0.6, earn_back_target: 0.85}").replace(
    "credit_allocation: 0.5}", "credit_allocation: 0.5, earn_back_target: 0.75}")


def test_earn_back_higher_target_and_annual_cap(tmp_path, catalogue):
    rows = [("A", "2026-06", "SL", 0.60), ("A", "2026-07", "SL", 0.84),
            ("A", "2026-08", "SL", 0.88),  # pooled 0.86 >= 0.85 -> June SL waived
            ("A", "2026-09", "SL", 0.60), ("A", "2026-10", "SL", 0.90)]
    rows += [("A", "2026-06", "FCR", 0.50), ("A", "2026-07", "FCR", 0.74),
             ("A", "2026-08", "FCR", 0.74)]  # pooled 0.74 < 0.75 -> June FCR due (5 000)
    rows += [("A", m, "FCR", 0.80) for m in ("2026-09", "2026-10")]
    c = credits_for(tmp_path, catalogue, rows, "2026-10", body=HIGHER)
    assert c.loc[("2026-06", "SL"), "earn_back"] == "waived"
    assert c.loc[("2026-06", "FCR"), "earn_back"] == "due"
    # June: SL 6 000 + FCR 5 000 -> capped to 10 000, FCR 5 000 x 10/11 = 4 545.45 due
    assert c.loc[("2026-06", "FCR"), "credit_eur"] == pytest.approx(5000 * 10 / 11)
    # September SL (6 000, pending) fills the annual cap of 8 000: 8 000 - 4 545.45 left
    assert c.loc[("2026-09", "SL"), "earn_back"] == "pending"
    assert c.loc[("2026-09", "SL"), "credit_eur"] == pytest.approx(8000 - 5000 * 10 / 11)


def test_missing_month_counts_as_failed_for_credits(tmp_path, catalogue):
    # FCR not reported in October: no data -> fails (missing_data: fail is the default)
    c = credits_for(tmp_path, catalogue, [("A", "2026-10", "SL", 0.90)], "2026-10")
    assert c.loc[("2026-10", "FCR"), "status"] == "no data"
    assert c.loc[("2026-10", "FCR"), "gross_credit_eur"] == pytest.approx(5000)


# --------------------------------------------------------------------------- contract errors

@pytest.mark.parametrize(("edit", "message"), [
    (("FCR: {target: 0.70", "FXR: {target: 0.70"),
     r"contract\.yml.*provider 'A', KPI 'FXR' is not in the KPI catalogue.*one of SL, ASA"),
    (("SL: {target: 0.80, amber_tolerance: 0.05, red_floor",
      "SL: {definition: abandons_late, target: 0.80, amber_tolerance: 0.05, red_floor"),
     r"KPI 'SL': definition 'abandons_late' is unknown.*abandons_as_fail, abandons_removed"),
    (("pool_pct: 1.5", "pool_pct: 1.0"), r"allocations add up to 1\.1.*pool_pct 1"),
    (("at_risk_pct: 0.10", "at_risk_pct: 10"), r"at_risk_pct 10.*0\.10 for 10 %"),
    (("red_floor: 0.70", "red_floor: 0.85"), r"red_floor 0\.85 must be at or below the target"),
    (("target: 0.80, amber_tolerance: 0.05, red_floor", "target: '80 %', amber_tolerance: "
      "0.05, red_floor"), r"target '80 %' is not a number"),
    (("months: 2}", "months: 0}"), r"earn_back months 0 is not a positive integer"),
])
def test_contract_errors_name_file_provider_kpi_and_valid_values(tmp_path, catalogue, edit,
                                                                 message):
    body = CONTRACT.replace(*edit)
    assert body != CONTRACT
    with pytest.raises(DataError, match=message):
        kpi.load_contract(write_contract(tmp_path, body), catalogue)


def test_higher_target_earn_back_needs_the_higher_targets(tmp_path, catalogue):
    body = CONTRACT.replace("rule: consecutive_target", "rule: higher_target")
    with pytest.raises(DataError, match=r"earn_back_target on credited KPIs \['SL', 'FCR'\]"):
        kpi.load_contract(write_contract(tmp_path, body), catalogue)


# --------------------------------------------------------------------------- SPC

def test_xmr_limits_use_the_average_moving_range():
    x = [10, 12] * 5 + [40]
    chart = kpi.xmr(pd.Series(x), method="average_moving_range")
    # mean 150/11; moving ranges: nine of 2 and one of 28 -> mR-bar 46/10 = 4.6
    sigma = 4.6 / 1.128
    assert chart["centre"].iloc[0] == pytest.approx(150 / 11)
    assert chart["sigma"].iloc[0] == pytest.approx(sigma)
    assert chart["ucl"].iloc[0] == pytest.approx(150 / 11 + 3 * sigma)
    assert chart["beyond_3s"].tolist() == [False] * 10 + [True]
    with pytest.raises(ParameterError, match="at least 2 values"):
        kpi.xmr(pd.Series([1.0, np.nan]))


def test_rule_point_beyond_three_sigma():
    got = kpi.special_causes([0, 3.1, -3.2, 2.9, 3.0], 0.0, 1.0)["beyond_3s"]
    assert got.tolist() == [False, True, True, False, False]


def test_rule_run_of_eight_on_one_side():
    x = [1] * 7 + [-1] + [1] * 8 + [0] + [1] * 7
    got = kpi.special_causes(x, 0.0, 10.0)["run_8"]
    # 7 above (too short), 1 below, 8 above (a run), a point on the line, 7 above
    assert got.tolist() == [False] * 8 + [True] * 8 + [False] * 8


def test_rule_two_of_three_beyond_two_sigma_same_side():
    x = [0, 2.5, 0, 2.5, 0, 0, 2.5, -2.5, 0, -2.1, -2.2]
    got = kpi.special_causes(x, 0.0, 1.0)["two_of_three_2s"]
    assert got.tolist() == [False, True, False, True, False, False, False, True, False,
                            True, True]


# --------------------------------------------------------------------------- presentation

def test_locale_formatting():
    nbsp = "\u00a0"
    assert kpi.format_value(0.8234, "fraction", "fr_FR") == f"82,3{nbsp}%"
    assert kpi.format_value(0.8234, "fraction", "en_GB") == "82.3%"
    assert kpi.format_value(-0.012, "fraction", "fr_FR", delta=True) == "−1,2 pp"
    assert kpi.format_value(2.5, "eur_per_contact", "fr_FR") == f"2,50{nbsp}€"
    assert kpi.format_money(12345.6, "fr_FR") == f"12\u202f346{nbsp}€"  # whole euros, as the tables
    assert kpi.format_value(np.nan, "seconds") == "–"


def test_summary_and_styled_table_escape_html(tmp_path, catalogue):
    body = CONTRACT.replace("Alpha & Co", "<b>Alpha</b>")
    contract = kpi.load_contract(write_contract(tmp_path, body), catalogue)
    long = long_rows([("A", "2026-10", "SL", 0.60), ("A", "2026-10", "FCR", 0.75)])
    card = kpi.scorecard(long, contract, catalogue, "2026-10", sites=["A"])
    inv = pd.DataFrame({"site": ["A"], "month": ["2026-10"], "invoice_eur": [100000.0]})
    credits = kpi.service_credits(long, inv, contract, catalogue, "2026-10")
    text = kpi.summary_text(card, credits, "2026-10", "fr_FR")
    assert "✕ missed: Service level 60,0" in text and "October 2026" in text  # English words
    assert "no credit due for the month (+ 6\u202f000\u00a0€ pending" in text
    assert "&lt;b&gt;Alpha&lt;/b&gt;" in text and "<b>" not in text
    both = kpi.scorecard(pd.concat([long, long_rows([("B", "2026-10", "SL", 0.9)])]), contract,
                         catalogue, "2026-10", sites=["A", "B"])
    rendered = kpi.style_scorecard(both, "fr_FR").to_html()  # two providers: a Provider column
    assert "&lt;b&gt;Alpha&lt;/b&gt;" in rendered and "<b>Alpha" not in rendered
    assert "Provider" not in kpi.scorecard_display(card).columns  # one: the heading names it


def test_csv_writes_are_atomic(tmp_path):
    path = kpi.write_scorecard(pd.DataFrame({"a": [1, 2]}), tmp_path / "out" / "card.csv")
    assert pd.read_csv(path)["a"].tolist() == [1, 2]
    assert [p.name for p in path.parent.iterdir()] == ["card.csv"]  # no temp file left


def test_sl_heatmap_pools_the_month_by_weekday_and_time(intervals):
    table = kpi.sl_heatmap_table(intervals, "A", "2026-09")
    # 15 Sept 2026 is a Tuesday: 08:00 -> 72/100, 08:30 -> 10/10
    assert table.loc["Tue", "08:00"] == pytest.approx(0.72)
    assert table.loc["Tue", "08:30"] == pytest.approx(1.0)
    assert kpi.sl_heatmap_table(intervals, "Z", "2026-09").empty


# --------------------------------------------------------------------------- report helpers

def test_report_parameters_are_checked(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    assert kpi.select_sites(contract, None) == ["A", "B"]
    assert kpi.select_sites(contract, "B") == ["B"]
    with pytest.raises(ParameterError, match="provider_site.*'ATLAS'.*None.*A, B"):
        kpi.select_sites(contract, "ATLAS")
    with pytest.raises(ParameterError, match="locale.*'xx_YY'.*fr_FR"):
        kpi.check_locale("xx_YY")
    with pytest.raises(DataError, match=r"contract sites \['B'\].*site ids from sites.csv: A"):
        kpi.check_contract_sites(contract, pd.DataFrame({"site": ["A"]}))
    assert kpi.trailing_months("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_control_chart_specs_title_the_finding(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    months = kpi.month_range("2025-10", "2026-10")
    values = [0.75, 0.85] * 6 + [0.20]  # alternating (no run), then far below the limits
    long = long_rows([("A", m, "SL", v) for m, v in zip(months, values, strict=True)])
    history = kpi.contracted_kpis(long, contract, catalogue, through="2026-10")
    specs = kpi.control_chart_specs(history, ["A", "B"], ["SL", "FCR"], catalogue,
                                    period="2026-10", contract=contract)
    assert list(specs) == ["A · SL: beyond 3σ in 2026-10"]  # no series with < 2 values
    spec = specs["A · SL: beyond 3σ in 2026-10"]
    assert spec["target"] == 0.80 and spec["percent"] is True
    assert spec["label"] == "A · Service level"           # the name readers see


def test_two_collapses_do_not_turn_ordinary_months_into_signals(tmp_path, catalogue):
    # The old chart: two collapses pulled the mean under the ten ordinary months, which then
    # formed a "run" (12 special-cause months). Robust limits flag the two collapses only.
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    months = kpi.month_range("2025-10", "2026-10")
    values = [0.75, 0.85] * 5 + [0.20, 0.85, 0.20]
    long = long_rows([("A", m, "SL", v) for m, v in zip(months, values, strict=True)])
    history = kpi.contracted_kpis(long, contract, catalogue, through="2026-10")
    specs = kpi.control_chart_specs(history, ["A"], ["SL"], catalogue, period="2026-10")
    assert list(specs) == ["SL: beyond 3σ; 2 of 3 beyond 2σ in 2026-08, 2026-10"]


def test_interval_input_errors_name_the_problem(intervals):
    with pytest.raises(DataError, match=r"stats\.csv.*missing column\(s\) \['wait_time_s'\]"):
        kpi.interval_kpis(intervals.drop(columns="wait_time_s"), file="stats.csv")
    naive = intervals.assign(ds=intervals["ds"].dt.tz_localize(None))
    with pytest.raises(DataError, match="'ds' has no time zone"):
        kpi.interval_kpis(naive)


def test_month_without_traffic_is_no_data_not_zero():
    quiet = interval_rows([("2026-09-15T08:00:00+02:00", "care", "A", 0, 0, 0, 0, 0, 0, 0)])
    long = kpi.interval_kpis(quiet)
    assert long["value"].isna().all()  # 0 / 0 offered: no service level, not 0 % or 100 %
    assert kpi.rag_status(long["value"], 0.8, np.inf, 0.75, np.inf).tolist() == [
        "no data"] * len(long)


def test_period_without_any_data_is_refused_with_the_data_span():
    long = long_rows([("A", "2025-05", "SL", 0.8), ("A", "2026-10", "SL", 0.9),
                      ("B", "2019-03", "SL", 0.7)])
    assert kpi.check_period_has_data(long, "2026-10", ["A"]) == "2026-10"
    with pytest.raises(ParameterError, match=r"'period' = '2019-03'.*for A \(the data cover "
                                             r"2025-05 to 2026-10\)"):
        kpi.check_period_has_data(long, "2019-03", ["A"])  # B's row does not count for A


def test_xmr_ramp_phase_gets_no_limits_and_no_signals():
    # A go-live ramp (high handle time) then a stable phase: limits from all points would put
    # the whole stable phase below the centre line (a false run of 8); a ramp phase is
    # plotted, but neither sets limits nor signals.
    values = pd.Series([600.0, 520.0, 450.0] + [380.0, 384.0, 378.0, 382.0] * 3)
    whole = kpi.xmr(values, method="average_moving_range")
    assert whole["run_8"].iloc[3:].all()
    phases = ["ramp"] * 3 + ["steady"] * 12
    chart = kpi.xmr(values, phases=phases, ramp={"ramp"})
    assert chart["centre"].iloc[3] == pytest.approx(381.0)
    assert chart["centre"].iloc[:3].isna().all() and not chart["signal"].any()
    assert (chart["limits"].iloc[:3] == "none").all()


# --------------------------------------------------------------------------- contract file hardening

@pytest.mark.parametrize(("body", "message"), [
    # an alias bomb: refused before anything expands it
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n", r"contract\.yml: not usable YAML.*expands"),
    ("providers: {}\nproviders: {}\n", r"contract\.yml: not usable YAML: line 2.*'providers' appears twice"),
    ("contract: {name: x}\nprovider: {}\n",
     r"contract\.yml: the contract file's top level: unknown field\(s\) \['provider'\].*"
     r"Expected: contract, providers"),
    ("providers:\n  A:\n    kpi: {SL: {target: 0.8}}\n",
     r"provider 'A': unknown field\(s\) \['kpi'\].*effective_from, engagement_form, kpis, phases, provider"),
    ("providers:\n  A:\n    kpis: [SL, FCR]\n",
     r"contract\.yml, column 'kpis': provider 'A': 'kpis' must be a mapping, not list"),
    ("providers:\n  A:\n    kpis: {SL: {target: 0.8}}\n    service_credits: 0.1\n",
     r"column 'service_credits': provider 'A': 'service_credits' must be a mapping"),
    ("providers:\n  A:\n    effective_from: \"2024-06\\n\"\n    kpis: {SL: {target: 0.8}}\n",
     r"effective_from '2024-06\n' is not a month"),
])
def test_contract_file_is_read_safely_and_strictly(tmp_path, catalogue, body, message):
    path = tmp_path / "contract.yml"
    path.write_text(body)
    with pytest.raises(DataError, match=message):
        kpi.load_contract(path, catalogue)


def test_period_with_a_trailing_newline_is_refused():
    with pytest.raises(ParameterError, match="period"):
        kpi.parse_period("2026-10\n")
    reports = report_rows([("2026-10\n", "A", "Alpha", 0.7, 0.8, 0.9, None, 0.3, 0.05, 0.4,
                            0.06, 25, 1000.0, 50000.0, 20000)])
    with pytest.raises(DataError, match=r"row 2, column 'month'"):
        kpi.report_kpis(reports, kpi.load_catalogue())


def test_summary_shows_markdown_in_names_as_text(tmp_path, catalogue):
    body = CONTRACT.replace("Alpha & Co", "'[click](http://x.example) *Alpha*\u202e'")
    contract = kpi.load_contract(write_contract(tmp_path, body), catalogue)
    long = long_rows([("A", "2026-10", "SL", 0.60), ("A", "2026-10", "FCR", 0.75)])
    card = kpi.scorecard(long, contract, catalogue, "2026-10", sites=["A"])
    text = kpi.summary_text(card, kpi.service_credits(long, pd.DataFrame(
        {"site": ["A"], "month": ["2026-10"], "invoice_eur": [1.0]}), contract, catalogue,
        "2026-10"), "2026-10")
    assert r"\[click\]\(http\:" in text and r"\*Alpha\*" in text and "\u202e" not in text
    assert "](http" not in text
    html_table = kpi.style_scorecard(card).to_html()
    assert "\u202e" not in html_table


# --------------------------------------------------------------------------- control charts done right

#: Ordinary month-to-month noise, in units of 0.02: no run longer than 2, nothing beyond 2σ.
NOISE = np.array([0.5, -0.8, 0.3, 1.0, -0.6, -0.2, 0.9, -1.0, 0.4, -0.3, 0.7, -0.5]) * 0.02


def planted(judged_offsets, baseline_extra=None):
    """24 ordinary baseline months (2024-11 .. 2026-10 minus the judged 12) around 0.82,
    then 12 judged months (2025-11 .. 2026-10) = ordinary noise + the planted offsets."""
    months = kpi.month_range("2023-11", "2026-10")
    base = 0.82 + np.tile(NOISE, 2)
    if baseline_extra:
        for i, v in baseline_extra.items():
            base[i] = v
    judged = 0.82 + NOISE + np.asarray(judged_offsets, float)
    return pd.Series(np.r_[base, judged], index=months)


def chart_of(series, catalogue, contract_terms=None):
    history = pd.DataFrame({"site": "A", "kpi": "SL", "month": series.index,
                            "value": series.to_numpy()})
    contract = {"providers": {"A": contract_terms}} if contract_terms else None
    return kpi.control_chart(history, "A", "SL", period="2026-10", contract=contract,
                             settings=kpi.control_settings(catalogue))


def test_ordinary_months_are_left_alone(catalogue):
    chart = chart_of(planted(np.zeros(12)), catalogue)
    assert not chart["signal"].any()
    # the limits come from the 24 months before the judged window, not from the judged ones
    assert chart["baseline"].sum() == 24 and not chart.loc["2025-11":, "baseline"].any()
    assert (chart["limits"] == "baseline").all()


def test_planted_collapse_is_found_and_only_it(catalogue):
    offsets = np.zeros(12)
    offsets[[1, 2]] = -0.24  # 2025-12 and 2026-01 collapse to about 0.57
    chart = chart_of(planted(offsets), catalogue)
    assert list(chart.index[chart["signal"]]) == ["2025-12", "2026-01"]
    assert chart.loc["2025-12", "rule"].startswith("beyond 3σ")


def test_collapse_inside_the_baseline_neither_widens_nor_hides(catalogue):
    # Two collapses among the baseline months: the median moving range keeps the limits
    # tight, so those months are signals themselves and a later collapse is still found.
    offsets = np.zeros(12)
    offsets[6] = -0.15
    series = planted(offsets, baseline_extra={10: 0.60, 20: 0.58})
    chart = chart_of(series, catalogue)
    assert list(chart.index[chart["signal"]]) == [series.index[10], series.index[20], "2026-05"]
    classic = kpi.xmr(series, baseline=chart["baseline"].to_numpy(),
                      method="average_moving_range")
    assert classic["sigma"].iloc[0] > 2 * chart["sigma"].iloc[0]
    assert not classic.loc["2026-05", "beyond_3s"]  # the inflated limits missed it


def test_planted_ramp_is_found(catalogue):
    chart = chart_of(planted(-0.012 * np.arange(1, 13)), catalogue)  # 1.2 pp worse a month
    flagged = list(chart.index[chart["signal"]])
    assert flagged and not chart.loc[:"2025-09", "signal"].any()
    assert chart.loc["2026-03":, "beyond_3s"].sum() >= 6  # the ramp's worst months


def test_planted_shift_is_found_by_the_run_rule(catalogue):
    shift = np.r_[np.zeros(2), np.full(10, -0.035)]  # about 1.5 sigma down from 2026-01
    chart = chart_of(planted(shift), catalogue)
    # the run takes in 2025-12, below the centre by chance, and nothing before it
    assert chart.loc["2026-01":, "run_8"].all() and not chart.loc[:"2025-11", "signal"].any()
    assert "run of 8 on one side" in chart.loc["2026-06", "rule"]


def test_phase_break_from_the_contract_sets_new_limits(tmp_path, catalogue):
    # A contract change in 2026-05 moves the level up by 8 points: one phase would read the
    # new level as a run of signals; the break gives it its own (provisional) limits.
    offsets = np.r_[np.zeros(6), np.full(6, 0.08)]
    series = planted(offsets)
    assert chart_of(series, catalogue)["signal"].sum() >= 6
    body = CONTRACT.replace("    provider: Alpha & Co\n", "    provider: Alpha & Co\n"
                            "    phases:\n      - {from: '2023-11', name: first contract}\n"
                            "      - {from: '2026-05', name: amendment 1}\n")
    contract = kpi.load_contract(write_contract(tmp_path, body), catalogue)
    history = pd.DataFrame({"site": "A", "kpi": "SL", "month": series.index,
                            "value": series.to_numpy()})
    chart = kpi.control_chart(history, "A", "SL", period="2026-10", contract=contract)
    assert not chart["signal"].any()
    assert set(chart.loc["2026-05":, "phase"]) == {"amendment 1"}
    assert (chart.loc["2026-05":, "limits"] == "provisional").all()
    assert chart.loc["2026-06", "centre"] > chart.loc["2026-04", "centre"] + 0.07


def test_signals_table_and_titles_change_with_the_data(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    offsets = np.zeros(12)
    offsets[4] = -0.24  # 2026-03
    series = planted(offsets)
    for values, month in ((series.to_numpy(), "2026-03"), (series.to_numpy()[::-1], None)):
        long = long_rows([("A", m, "SL", v) for m, v in zip(series.index, values, strict=True)])
        history = kpi.contracted_kpis(long, contract, catalogue, through="2026-10")
        signals = kpi.control_signals(history, ["A"], ["SL"], catalogue, period="2026-10")
        titles = list(kpi.control_chart_specs(history, ["A"], ["SL"], catalogue,
                                              period="2026-10"))
        if month:
            assert signals[["site", "kpi", "month"]].values.tolist() == [["A", "SL", month]]
            assert signals["rule"].iloc[0] == "beyond 3σ" and titles == [
                "SL: beyond 3σ in 2026-03"]
        else:  # reversed: the collapse now sits in the baseline (2024-06 of the series)
            assert signals["month"].tolist() == ["2024-06"] and "2024-06" in titles[0]


def test_phases_in_the_contract_are_checked(tmp_path, catalogue):
    body = CONTRACT.replace("    provider: Beta\n", "    provider: Beta\n    phases:\n"
                            "      - {from: '2024-06', name: go-live, ramp: true}\n"
                            "      - {from: '2024-03', name: steady}\n")
    with pytest.raises(DataError, match=r"provider 'B', phases, break 2: 2024-03 is not after "
                                        r"2024-06.*month order"):
        kpi.load_contract(write_contract(tmp_path, body), catalogue)


def test_signals_display_formats_values_and_limits(catalogue):
    signals = pd.DataFrame({"site": ["<A>", "B"], "kpi": ["SL", "SL"],
                            "month": ["2026-03", "2026-03"], "value": [0.58, 0.6],
                            "rule": ["beyond 3σ"] * 2, "phase": ["steady"] * 2,
                            "centre": [0.82] * 2, "lcl": [0.75] * 2, "ucl": [0.89] * 2,
                            "limits": ["provisional"] * 2})
    html_table = kpi.signals_display(signals, catalogue, "en_GB").to_html()
    assert "58.0%" in html_table and "75.0% – 89.0% (provisional)" in html_table
    assert "&lt;A&gt;" in html_table


# --------------------------------------------------------------------------- credits: one test per clause

def test_trigger_below_floor_ignores_the_amber_band(tmp_path, catalogue):
    # SL 72.7 % is red on the scorecard (amber stops at 75 %) but above the 70 % contractual
    # minimum: no credit. FCR 64 % is below its 65 % floor: credited.
    c = credits_for(tmp_path, catalogue, [("A", "2026-10", "SL", 0.727),
                                          ("A", "2026-10", "FCR", 0.64)], "2026-10")
    assert c.loc[("2026-10", "SL"), "status"] == "red"
    assert c.loc[("2026-10", "SL"), "gross_credit_eur"] == 0
    assert c.loc[("2026-10", "SL"), "shortfall"] == pytest.approx(-0.027)
    assert c.loc[("2026-10", "FCR"), "gross_credit_eur"] == pytest.approx(5000)


def test_trigger_below_target_credits_an_amber_month(tmp_path, catalogue):
    body = CONTRACT.replace("trigger: below_floor", "trigger: below_target")
    c = credits_for(tmp_path, catalogue, [("A", "2026-10", "SL", 0.79),
                                          ("A", "2026-10", "FCR", 0.70)], "2026-10", body=body)
    assert c.loc[("2026-10", "SL"), "status"] == "amber"
    assert c.loc[("2026-10", "SL"), "gross_credit_eur"] == pytest.approx(6000)
    assert c.loc[("2026-10", "FCR"), "gross_credit_eur"] == 0  # the target itself is met


def test_tolerance_bands_grade_the_credit(tmp_path, catalogue):
    body = CONTRACT.replace("trigger: below_floor", "trigger: below_target").replace(
        "weight: 3, credit_allocation: 0.6}", "weight: 3, credit_allocation: 0.6, credit_bands: "
        "[{over: 0.01, share: 0.5}, {over: 0.05, share: 1.0}]}")
    rows = [("A", "2026-08", "SL", 0.795), ("A", "2026-09", "SL", 0.78),
            ("A", "2026-10", "SL", 0.70)]
    rows += [("A", m, "FCR", 0.75) for m in ("2026-08", "2026-09", "2026-10")]
    c = credits_for(tmp_path, catalogue, rows, "2026-10", body=body)
    # misses of 0.5 pp (tolerated), 2 pp (half of 6 000) and 10 pp (all of it)
    assert c.loc[("2026-08", "SL"), "gross_credit_eur"] == 0
    assert c.loc[("2026-09", "SL"), "gross_credit_eur"] == pytest.approx(3000)
    assert c.loc[("2026-10", "SL"), "gross_credit_eur"] == pytest.approx(6000)


def test_per_kpi_cap_limits_one_kpi_credit(tmp_path, catalogue):
    body = CONTRACT.replace("pool_pct: 1.5", "pool_pct: 2.0").replace(
        "weight: 3, credit_allocation: 0.6}", "weight: 3, credit_allocation: 1.5, "
        "credit_cap_pct: 0.8}")
    c = credits_for(tmp_path, catalogue, [("A", "2026-10", "SL", 0.60),
                                          ("A", "2026-10", "FCR", 0.90)], "2026-10", body=body)
    assert c.loc[("2026-10", "SL"), "gross_credit_eur"] == pytest.approx(8000)  # not 15 000


def test_monthly_cap_never_above_the_at_risk_amount(tmp_path, catalogue):
    with pytest.raises(DataError, match=r"monthly_cap_pct 1\.5 is above the at-risk amount"):
        kpi.load_contract(write_contract(tmp_path, CONTRACT.replace("monthly_cap_pct: 1.0",
                                                                    "monthly_cap_pct: 1.5")),
                          catalogue)
    body = CONTRACT.replace("monthly_cap_pct: 1.0", "monthly_cap_pct: 0.5")
    c = credits_for(tmp_path, catalogue, [("A", "2026-10", "SL", 0.60),
                                          ("A", "2026-10", "FCR", 0.50)], "2026-10", body=body)
    assert c["capped_credit_eur"].sum() == pytest.approx(5000)  # 11 000 scaled to 5 000


def test_annual_cap_never_above_the_year_at_risk(tmp_path, catalogue):
    body = CONTRACT.replace("earn_back: {rule: consecutive_target, months: 2}",
                            "annual_cap_eur: 1000000")
    rows = [("A", m, k, 0.1) for m in ("2026-09", "2026-10") for k in ("SL", "FCR")]
    c = credits_for(tmp_path, catalogue, rows, "2026-10", body=body)
    assert c["credit_eur"].sum() == pytest.approx(20000)  # two months of 10 000 at risk


def test_missing_data_ignore_credits_nothing(tmp_path, catalogue):
    body = CONTRACT.replace("monthly_cap_pct: 1.0", "monthly_cap_pct: 1.0\n"
                            "      missing_data: ignore")
    c = credits_for(tmp_path, catalogue, [("A", "2026-10", "SL", 0.90)], "2026-10", body=body)
    assert c.loc[("2026-10", "FCR"), "status"] == "no data"
    assert c.loc[("2026-10", "FCR"), "gross_credit_eur"] == 0


@pytest.mark.parametrize(("edit", "message"), [
    (("trigger: below_floor", "trigger: red"),
     r"trigger 'red' is unknown \('red' let the amber band override.*below_floor"),
    (("red_floor: 0.65, ", ""), r"trigger below_floor needs a red_floor on the credited KPIs "
                                r"\['FCR'\]"),
    (("credit_allocation: 0.6}", "credit_allocation: 0.6, credit_bands: [{over: 0.05, share: 1},"
      " {over: 0.01, share: 0.5}]}"), r"credit band 2 \{over: 0.01, share: 0.5\} is out of order"),
    (("credit_allocation: 0.6}", "credit_allocation: 0.6, credit_cap_pct: 1.2}"),
     r"credit_cap_pct 1\.2 is above the at-risk amount"),
])
def test_credit_clauses_are_checked(tmp_path, catalogue, edit, message):
    body = CONTRACT.replace(*edit)
    assert body != CONTRACT
    with pytest.raises(DataError, match=message):
        kpi.load_contract(write_contract(tmp_path, body), catalogue)


# --------------------------------------------------------------------------- engagement forms

HOSTED = """
providers:
  H:
    provider: Seats Ltd
    engagement_form: HOSTED
    service_credits: {at_risk_pct: 0.10, pool_pct: 1.0, trigger: below_floor}
    kpis:
      UPTIME: {target: 0.998, red_floor: 0.995, credit_allocation: 0.5}
      SL: {target: 0.80, red_floor: 0.70, credit_allocation: 0.5}
"""


def test_hosted_seats_carry_no_agent_performance_credits(tmp_path, catalogue):
    with pytest.raises(DataError, match=r"provider 'H' is hosted seats.*agent performance "
                                        r"\['SL'\].*SEAT_AVAIL, UPTIME, FIX_TIME, SEAT_READY"):
        kpi.load_contract(write_contract(tmp_path, HOSTED), catalogue)
    body = HOSTED.replace("trigger: below_floor}", "trigger: below_floor, "
                          "agent_performance_credits: true}")
    contract = kpi.load_contract(write_contract(tmp_path, body), catalogue)
    assert contract["providers"]["H"]["engagement_form"] == "HOSTED"
    with pytest.raises(DataError, match=r"engagement_form HOSTED in the contract, FULL in the "
                                        r"sites file.*engagement_form: FULL"):
        kpi.check_contract_sites(contract, pd.DataFrame({"site": ["H"],
                                                         "engagement_form": ["FULL"]}))


def test_platform_kpis_pool_their_own_denominators(tmp_path, catalogue):
    from toolkit.kpi import definitions

    path = tmp_path / "platform_reports.csv"
    path.write_text("month,site,seat_hours_contracted,seat_hours_available,"
                    "platform_minutes_scheduled,platform_minutes_down,incidents,"
                    "incident_fix_hours,seats_requested,seats_ready_on_time\n"
                    "2026-09,H,1000,990,10000,100,2,10,4,4\n"
                    "2026-10,H,3000,2970,10000,0,8,16,1,0\n")
    long = definitions.platform_kpis(definitions.read_platform_reports(path), catalogue)
    got = long.set_index(["month", "kpi"])["value"]
    assert got[("2026-09", "UPTIME")] == pytest.approx(0.99)
    assert got[("2026-10", "FIX_TIME")] == pytest.approx(2.0)  # 16 h / 8 incidents
    contract = kpi.load_contract(write_contract(tmp_path, HOSTED.replace(
        "      SL: {target: 0.80, red_floor: 0.70, credit_allocation: 0.5}\n",
        "      FIX_TIME: {target: 4.0}\n")), catalogue)
    card = kpi.scorecard(long, contract, catalogue, "2026-10").set_index("kpi")
    # pooled fix time: (10 + 16) h / (2 + 8) incidents, not the mean of 5 h and 2 h
    assert card.loc["FIX_TIME", "avg_12m"] == pytest.approx(2.6)
    path.write_text(path.read_text().replace("3000,2970", "3000,3070"))
    with pytest.raises(DataError, match=r"row 3, column 'seat_hours_available'.*exceeds "
                                        r"seat_hours_contracted"):
        definitions.read_platform_reports(path)


def test_hosted_cost_per_contact_adds_the_company_own_costs(catalogue):
    from toolkit.kpi import forms

    reports = report_rows([
        ("2026-10", "H", "Seats", 0.7, 0.8, 0.9, None, None, 0.05, 0.4, 0.06, 25, 100.0,
         1500.0, 500),
        ("2026-10", "F", "Full", 0.7, 0.8, 0.9, None, None, 0.05, 0.4, 0.06, 25, 100.0,
         1500.0, 500)])
    sites = pd.DataFrame({"site": ["H", "F"], "location": ["MU", "MU"],
                          "engagement_form": ["HOSTED", "FULL"]})
    rate, lines = forms.own_cost_per_hour("MU", "HOSTED", 2026)
    assert lines == ("agents", "supervision", "wfm_qa", "overheads", "recruitment",
                     "training_attrition")
    assert rate > 0
    long = kpi.monthly_kpis(None, reports, catalogue, site_table=sites)
    cpc = long[long["kpi"] == "CPC"].set_index("site")["value"]
    assert cpc["F"] == pytest.approx(3.0)  # the invoice is the whole cost
    assert cpc["H"] == pytest.approx((1500 + rate * 100) / 500)


# --------------------------------------------------------------------------- statistics that fit monthly KPIs

def test_mann_kendall_known_answer():
    got = kpi.mann_kendall([1, 2, 3, 4, 5, 6])
    # S = 15 pairs up; var = 6 x 5 x 17 / 18; z = (15 - 1) / sqrt(var) = 2.630
    assert got["s"] == 15 and got["var_s"] == pytest.approx(6 * 5 * 17 / 18)
    assert got["p_value"] == pytest.approx(0.0085349, abs=1e-6)
    assert got["slope"] == 1.0
    # Sen's slope ignores one wild month; least squares would not
    y = np.array([0.80, 0.40, 0.82, 0.83, 0.84, 0.85, 0.86])
    assert kpi.mann_kendall(y)["slope"] == pytest.approx(0.01)
    assert np.polyfit(np.arange(7), y, 1)[0] > 0.03


def test_seasonal_kendall_sees_a_trend_under_seasonality():
    m = np.arange(36)
    y = 0.80 - 0.05 * np.cos(2 * np.pi * m / 12) + 0.0005 * m  # winter dip, slow rise
    assert kpi.mann_kendall(y, m)["p_value"] > 0.05  # the season hides it
    got = kpi.seasonal_kendall(y, m, m % 12)
    assert got["s"] == 36 and got["p_value"] < 1e-6 and got["slope"] == pytest.approx(0.0005)
    # a purely seasonal KPI has no trend, whatever the window
    flat = kpi.seasonal_kendall(y - 0.0005 * m, m, m % 12)
    assert flat["s"] == 0 and flat["p_value"] == 1.0


def test_scorecard_uses_seasonal_kendall_for_seasonal_kpis(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    months = kpi.month_range("2023-11", "2026-10")
    m = np.arange(36)
    y = 0.80 - 0.05 * np.cos(2 * np.pi * m / 12) - 0.0005 * m
    long = long_rows([("A", mo, "SL", v) for mo, v in zip(months, y, strict=True)])
    card = kpi.scorecard(long, contract, catalogue, "2026-10").set_index(["site", "kpi"])
    row = card.loc[("A", "SL")]
    assert row["trend_test"] == "seasonal Kendall" and row["trend"] == "worsening"
    assert row["slope_per_month"] == pytest.approx(-0.0005)
    # reversed in time, the same months say the opposite
    long = long_rows([("A", mo, "SL", v) for mo, v in zip(months, y[::-1], strict=True)])
    card = kpi.scorecard(long, contract, catalogue, "2026-10").set_index(["site", "kpi"])
    assert card.loc[("A", "SL"), "trend"] == "improving"


def test_reported_ratios_pool_by_their_own_denominators(tmp_path, catalogue):
    # Attrition 60 % on 10 heads then 30 % on 90 heads: pooled 33 %, not the contacts-weighted
    # 57 % (the small team handled most contacts).
    rows = [("2026-09", "A", "Alpha", 0.7, 0.8, 0.9, None, None, 0.05, 0.6, 0.06, 25, 100.0,
             5000.0, 900),
            ("2026-10", "A", "Alpha", 0.7, 0.8, 0.9, None, None, 0.05, 0.3, 0.06, 25, 100.0,
             5000.0, 100)]
    reports = report_rows(rows).assign(headcount=[10.0, 90.0], scheduled_hours=[1.0, 1.0],
                                       survey_responses=[1.0, 1.0])
    body = CONTRACT.replace("FCR: {target: 0.70, amber_tolerance: 0.05, red_floor: 0.65, "
                            "weight: 1, credit_allocation: 0.5}", "ATTR: {target: 0.35}")
    body = body.replace("      FCR: {target: 0.70, amber_tolerance: 0.05, weight: 1}\n", "")
    contract = kpi.load_contract(write_contract(tmp_path, body), catalogue)
    assert kpi.pooling_weights(reports, catalogue)["ATTR"] == "headcount"
    long = kpi.monthly_kpis(None, reports, catalogue)
    card = kpi.scorecard(long, contract, catalogue, "2026-10", sites=["A"]).set_index("kpi")
    assert card.loc["ATTR", "avg_12m"] == pytest.approx((0.6 * 10 + 0.3 * 90) / 100)
    # without headcount, billed hours stand in (equal here: the plain mean)
    fallback = reports.drop(columns="headcount")
    assert kpi.pooling_weights(fallback, catalogue)["ATTR"] == "billed_hours"
    long = kpi.monthly_kpis(None, fallback, catalogue)
    card = kpi.scorecard(long, contract, catalogue, "2026-10", sites=["A"]).set_index("kpi")
    assert card.loc["ATTR", "avg_12m"] == pytest.approx(0.45)


# --------------------------------------------------------------------------- suspicious data

def test_data_quality_flags_constant_rounded_and_impossible(catalogue):
    months = kpi.month_range("2025-11", "2026-10")
    rng = np.random.default_rng(1)
    measured = 0.78 + rng.normal(0, 0.01, 12)
    rows = ([("A", m, "OCC", 0.82) for m in months]                       # constant
            + [("B", m, "OCC", v) for m, v in zip(months, measured, strict=True)]  # measured
            + [("B", m, "FCR", r) for m, r in zip(months, [0.70, 0.71, 0.69] * 4, strict=True)]
            + [("C", m, "OCC", 1.05 if m == "2026-10" else v)
               for m, v in zip(months, measured, strict=True)])
    long = long_rows(rows)
    long["source"] = np.where(long["kpi"] == "OCC", "derived", "provider_report")
    flags = kpi.data_quality_flags(long, catalogue, "2026-10")
    got = {(r.site, r.kpi, r.check) for r in flags.itertuples()}
    assert got == {("A", "OCC", "constant"), ("A", "OCC", "whole points"),
                   ("B", "FCR", "whole points"),
                   ("C", "OCC", "impossible")}
    assert flags[flags["check"] == "constant"]["detail"].iloc[0].startswith("82.0 % every month")
    assert flags.set_index("site").loc["C", "months"] == "2026-10"


def test_contacts_handled_against_answered_calls(catalogue):
    long = pd.DataFrame({"site": "A", "month": "2026-10", "kpi": ["AHT", "CPC"],
                         "definition": "standard", "value": [300.0, 2.0],
                         "numerator": [3e6, 2e4], "denominator": [10000.0, 11000.0],
                         "source": ["interval", "provider_report"]})
    flags = kpi.data_quality_flags(long, catalogue, "2026-10")
    assert flags[["kpi", "check"]].values.tolist() == [["CPC", "impossible"]]
    assert "by up to 10.0%" in flags["detail"].iloc[0]


def test_flags_are_shown_beside_the_kpi_and_in_the_summary(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    long = long_rows([("A", "2026-10", "SL", 0.90), ("A", "2026-10", "FCR", 0.72)])
    card = kpi.scorecard(long, contract, catalogue, "2026-10", sites=["A"])
    flags = pd.DataFrame([{"site": "A", "kpi": "FCR", "check": "constant",
                           "months": "2025-11..2026-10", "n_months": 12, "detail": "x"}])
    flagged = kpi.flag_scorecard(card, flags)
    assert flagged.set_index("kpi").loc["FCR", "data_check"] == "constant"
    assert flagged.set_index("kpi").loc["FCR", "status"] == "green"  # shown, not hidden
    assert "Data check" in kpi.scorecard_display(flagged).columns
    credits = kpi.service_credits(long, pd.DataFrame({"site": ["A"], "month": ["2026-10"],
                                                      "invoice_eur": [1.0]}),
                                  contract, catalogue, "2026-10")
    text = kpi.summary_text(flagged, credits, "2026-10", flags=flags)
    assert ("figures to verify with the provider before use: First\\-contact resolution (the "
            "same value every month, 12 months)") in text
    assert "verify" not in kpi.summary_text(flagged, credits, "2026-10", flags=flags.iloc[:0])
    shown = kpi.flags_table(flags, card, "en_GB").to_frame()
    assert shown["Months"].tolist() == ["November 2025 to October 2026"]   # not 2025-11


# --------------------------------------------------------------------------- right-sizing audit

def audit_inputs(calls=100, billed=(30.0, 60.0)):
    rows = []
    for site in ("A", "B"):
        for day in ("2026-10-05", "2026-10-06"):
            for hh in ("09:00", "09:30", "10:00", "10:30"):
                rows.append((f"{day}T{hh}:00+02:00", "care", site, calls, calls - 2, 2, 1,
                             int(calls * 0.8), (calls - 2) * 300, 1000))
    stats = interval_rows(rows)
    reports = report_rows([("2026-10", s, "P", 0.7, 0.8, 0.9, None, None, 0.05, 0.4, 0.06, 25,
                            b, 1000.0, 784) for s, b in zip(("A", "B"), billed, strict=True)])
    sites = pd.DataFrame({"site": ["A", "B"], "location": ["FR-REG", "FR-REG"]})
    return stats, reports, sites


def test_right_sizing_hours_and_ratios(tmp_path, catalogue):
    from toolkit import planning

    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    stats, reports, sites = audit_inputs()
    table = kpi.right_sizing(stats, reports, sites, contract, catalogue, "2026-10", months=1)
    a = table.set_index("site").loc["A"]
    handle_h = 8 * 98 * 300 / 3600
    occupancy_cap = planning.load_basis().max_occupancy
    assert a["handle_hours"] == pytest.approx(handle_h)
    assert a["delivered_hours"] == pytest.approx(handle_h / occupancy_cap)
    assert a["billed_vs_required"] == pytest.approx(30.0 / a["required_hours"])
    assert a["sl_target"] == 0.80 and a["sl_definition"] == "answered_of_offered"
    assert a["required_hours"] > handle_h  # agents wait between calls at an 80/20 target
    # the contract's target drives the requirement: 90 % needs more hours than 80 %
    stricter = kpi.load_contract(write_contract(tmp_path, CONTRACT.replace(
        "SL: {target: 0.80, amber_tolerance: 0.05, red_floor: 0.70",
        "SL: {target: 0.90, amber_tolerance: 0.05, red_floor: 0.70")), catalogue)
    t90 = kpi.right_sizing(stats, reports, sites, stricter, catalogue, "2026-10", months=1)
    assert t90.set_index("site").loc["A", "required_hours"] > a["required_hours"]


def test_right_sizing_title_follows_the_table(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    stats, reports, sites = audit_inputs(billed=(30.0, 60.0))
    table = kpi.right_sizing(stats, reports, sites, contract, catalogue, "2026-10", months=1)
    assert kpi.audit_title(table, "2026-10").startswith("October 2026: A billed")
    stats, reports, sites = audit_inputs(billed=(60.0, 30.0))  # the same data, reversed
    table = kpi.right_sizing(stats, reports, sites, contract, catalogue, "2026-10", months=1)
    assert kpi.audit_title(table, "2026-10").startswith("October 2026: B billed")
    findings = kpi.audit_findings(table, "2026-10", catalogue).set_index("site")
    assert findings.loc["B", "finding"].startswith("staffing demand")


# --------------------------------------------------------------------------- contract simulator

NO_EARN_BACK = CONTRACT.replace("      earn_back: {rule: consecutive_target, months: 2}\n", "")


def simulator_inputs():
    """One site, one queue, 12 months of two busy half-hours a day (5 weekdays a week)."""
    rows = []
    for day in pd.bdate_range("2025-11-03", "2026-10-30"):
        for hh in ("09:00", "09:30"):
            ds = pd.Timestamp(f"{day.date()} {hh}", tz="Europe/Paris").isoformat()
            rows.append((ds, "care", "A", 100, 98, 2, 1, 80, 98 * 300, 1000))
    return interval_rows(rows)


def test_simulator_without_uncertainty_is_the_engine(tmp_path, catalogue):
    contract = kpi.load_contract(write_contract(tmp_path, NO_EARN_BACK), catalogue)
    stats = simulator_inputs()
    res = kpi.simulate_contract(stats, "A", contract, catalogue, "2026-10", draws=50,
                                volume_cv=0.0, aht_cv=0.0, monthly_invoice_eur=100000.0)
    sl = res.values["SL"]
    assert sl.shape == (50, 12) and np.allclose(sl, sl[0])  # every draw the same year
    assert (sl[0] >= 0.80 - 1e-9).all()  # staffed to the requirement: the target is met
    assert res.credit_summary()["expected_eur"] == 0
    # at half the staffing the SL misses its 70 % floor every month: 6 000 EUR a month
    half = kpi.simulate_contract(stats, "A", contract, catalogue, "2026-10", draws=50,
                                 volume_cv=0.0, aht_cv=0.0, staffing_factor=0.5,
                                 monthly_invoice_eur=100000.0)
    assert (half.values["SL"] < 0.70).all()
    assert half.credits == pytest.approx(np.full(50, 12 * 6000.0))
    assert half.breach_table().set_index("kpi").loc["SL", "p_breach_in_year"] == 1.0


def test_simulator_breaches_fall_with_staffing_and_the_title_follows(tmp_path, catalogue):
    import time

    contract = kpi.load_contract(write_contract(tmp_path, NO_EARN_BACK), catalogue)
    stats = simulator_inputs()
    start = time.perf_counter()
    table, results = kpi.simulate_candidates(stats, ["A"], contract, catalogue, "2026-10",
                                             factors=(0.9, 1.0, 1.1),
                                             monthly_invoice_eur=100000.0)
    assert time.perf_counter() - start < 20  # 3 x 10,000 simulated years
    assert results[("A", 1.0)].values["SL"].shape == (10000, 12)
    breach = table["sl_months_breached"].to_numpy()
    assert breach[0] > breach[1] > breach[2] >= 0
    assert table["expected_credits_eur"].is_monotonic_decreasing
    low, high = results[("A", 0.9)].title(), results[("A", 1.1)].title()
    assert low != high and "staffed at 90%" in low
    again = kpi.simulate_contract(stats, "A", contract, catalogue, "2026-10",
                                  staffing_factor=0.9, monthly_invoice_eur=100000.0)
    assert np.array_equal(again.values["SL"], results[("A", 0.9)].values["SL"])  # seeded


def test_simulator_volume_spread_comes_from_the_forecast_outlook():
    months = pd.period_range("2026-01", periods=24, freq="M")
    rows = [{"month": m, "queue": "total", "scenario": "base", "yhat": 1000.0,
             "yhat_lower_80": 1000.0 / np.exp(0.1 * 1.2815515655),
             "yhat_upper_80": 1000.0 * np.exp(0.1 * 1.2815515655)} for m in months]
    outlook = pd.DataFrame(rows)
    assert kpi.volume_cv_from_outlook(outlook, "2026-10") == pytest.approx(0.1)
    with pytest.raises(ParameterError, match="outlook"):
        kpi.volume_cv_from_outlook(outlook, "2028-06")
    # a band widening with the horizon (growth uncertainty): next month's spread, not the year's
    sd = 0.1 + 0.01 * np.arange(len(months))
    widening = outlook.assign(yhat_lower_80=1000.0 / np.exp(sd * 1.2815515655),
                              yhat_upper_80=1000.0 * np.exp(sd * 1.2815515655))
    assert kpi.volume_cv_from_outlook(widening, "2026-10") == pytest.approx(0.1 + 0.01 * 10)


def test_volume_spread_falls_back_to_the_catalogue_and_says_why(tmp_path, catalogue):
    months = pd.period_range("2026-01", periods=24, freq="M")
    outlook = pd.DataFrame([{"month": str(m), "queue": "total", "scenario": "base", "yhat": 1e3,
                             "yhat_lower_80": 1e3 / np.exp(0.1 * 1.2815515655),
                             "yhat_upper_80": 1e3 * np.exp(0.1 * 1.2815515655)} for m in months])
    path = tmp_path / "outlook.parquet"
    outlook.to_parquet(path)
    cv, text = kpi.volume_spread(str(path), "2026-10", catalogue)
    assert cv == pytest.approx(0.1) and "calls vary by about 10.0% (one standard deviation)" in text
    assert "read off the volume outlook's range for next month" in text
    fallback = kpi.simulator_settings(catalogue)["volume_cv"]
    cv, text = kpi.volume_spread(str(tmp_path / "absent.parquet"), "2026-10", catalogue)
    assert cv == fallback and "has not written its outlook" in text
    cv, text = kpi.volume_spread(None, "2026-10", catalogue)
    assert cv == fallback and "no forecast outlook given" in text


# --------------------------------------------------------------------------- sentences from the figures (issue 14)

def _month_card(tmp_path, catalogue, sl, fcr, invoice=100000.0):
    contract = kpi.load_contract(write_contract(tmp_path, CONTRACT), catalogue)
    long = long_rows([("A", "2026-10", "SL", sl), ("A", "2026-10", "FCR", fcr)])
    card = kpi.scorecard(long, contract, catalogue, "2026-10", sites=["A"])
    inv = pd.DataFrame({"site": ["A"], "month": ["2026-10"], "invoice_eur": [invoice]})
    return card, kpi.service_credits(long, inv, contract, catalogue, "2026-10")


def test_report_headline_turns_with_the_scorecard_and_credits(tmp_path, catalogue):
    card, credits = _month_card(tmp_path, catalogue, 0.90, 0.75)  # both on target
    text, status = kpi.report_headline(card, credits, "2026-10", "en_GB", catalogue)
    assert status == "ok" and "no KPI missed" in text and "no service credit due" in text
    assert text.startswith("1 of 1 objectives fully met")  # both KPIs are service quality
    card, credits = _month_card(tmp_path, catalogue, 0.60, 0.75)  # SL below its floor
    text, status = kpi.report_headline(card, credits, "2026-10", "en_GB", catalogue)
    assert status == "attention" and "1 KPI missed (Service level)" in text
    assert text.startswith("0 of 1 objectives fully met")
    # a credit due (earn-back known and failed) turns the card too
    due = credits.assign(earn_back="due", credit_eur=credits["capped_credit_eur"])
    text, status = kpi.report_headline(card, due, "2026-10", "en_GB", catalogue)
    assert status == "attention" and "€6,000 credit due for October 2026" in text


def test_summary_names_missed_and_watch_kpis_from_the_card(tmp_path, catalogue):
    card, credits = _month_card(tmp_path, catalogue, 0.77, 0.75)  # SL on watch
    text = kpi.summary_text(card, credits, "2026-10", "en_GB")
    assert "1 of 2 KPIs on target" in text and "▲ watch: Service level 77.0%" in text
    assert "✕ missed" not in text and "no credit due for the month" in text
    card, credits = _month_card(tmp_path, catalogue, 0.90, 0.50)  # FCR below its floor
    text = kpi.summary_text(card, credits, "2026-10", "en_GB")
    assert "✕ missed: First\\-contact resolution 50.0%" in text and "watch" not in text


def test_hosted_seats_are_not_blamed_on_the_provider(tmp_path, catalogue):
    sites = pd.DataFrame({"site": ["A", "B"], "engagement_form": ["HOSTED", "FULL"]})
    assert "A is a hosted-seats site" in kpi.staffing_note(sites, ["A", "B"])
    assert kpi.staffing_note(sites, ["B"]) == ""
    card, credits = _month_card(tmp_path, catalogue, 0.60, 0.75)
    assert "company's own" in kpi.summary_text(card, credits, "2026-10", "en_GB", sites=sites)
    findings = pd.DataFrame({"site": ["A", "B"], "provider": ["a", "b"], "month": ["2026-10"] * 2,
                             "required_hours": [100.0, 100.0], "billed_hours": [80.0, 80.0],
                             "delivered_hours": [78.0, 78.0], "billed_vs_required": [0.8, 0.8],
                             "billed_vs_delivered": [1.03, 1.03], "required_fte": [1.0, 1.0],
                             "finding": ["staffing demand: fewer hours billed than the target "
                                         "needs"] * 2})
    rows = kpi.audit_table(findings, "en_GB", sites).to_frame()
    assert rows["What it calls for"].str.contains("we staff them").tolist() == [True, False]
    assert rows["Billed ÷ required"].tolist() == ["80%", "80%"]


def test_credit_sentences_and_tables_follow_the_credits(tmp_path, catalogue):
    rows = [("A", "2026-09", "SL", 0.60), ("A", "2026-10", "SL", 0.78)]
    rows += [("A", m, "FCR", 0.75) for m in ("2026-09", "2026-10")]
    c = credits_for(tmp_path, catalogue, rows, "2026-10").reset_index()
    by_month = kpi.credits_by_month(c)
    text = kpi.credits_sentence(by_month, "2026-10", "en_GB")
    assert text.startswith("No credit is due for October 2026.")
    assert "€6,000 was due, in September 2026" in text
    table = kpi.credits_table(by_month, "2026-10", "en_GB").to_frame()
    assert table["Month"].tolist() == ["September 2026", "October 2026"]
    assert table["Credit due"].tolist() == ["€6,000", "€0"]
    assert str(kpi.failed_credits_table(c, "2026-10", "en_GB", catalogue)).startswith(
        "No credited KPI failed in October 2026")
    failed = kpi.failed_credits_table(c, "2026-09", "en_GB", catalogue).to_frame()
    assert failed["KPI"].tolist() == ["Service level (SL)"]
    assert failed["Status"].tolist() == ["✕ missed"]
    assert "is pending" not in text
    # October's SL now below its floor: its credit waits for the earn-back months (pending)
    rows[1] = ("A", "2026-10", "SL", 0.60)
    c = credits_for(tmp_path, catalogue, rows, "2026-10").reset_index()
    text = kpi.credits_sentence(kpi.credits_by_month(c), "2026-10", "en_GB")
    assert "€6,000 is pending (the provider can still earn it back)" in text
    assert str(kpi.credits_table(kpi.credits_by_month(c.iloc[:0]), "2026-10", "en_GB")
               ).startswith("No service credit applies")


def test_credit_sentence_names_the_credited_kpis_and_the_months_shown(tmp_path, catalogue):
    rows = [("A", m, "SL", 0.85) for m in ("2026-07", "2026-08", "2026-09", "2026-10")]
    rows += [("A", m, "FCR", 0.75) for m in ("2026-07", "2026-08", "2026-09", "2026-10")]
    rows[3] = ("A", "2026-10", "SL", 0.60)  # October's SL below its floor: pending
    c = credits_for(tmp_path, catalogue, rows, "2026-10").reset_index()
    by_month = kpi.credits_by_month(c)
    text = kpi.credits_sentence(by_month, "2026-10", "en_GB", credits=c, catalogue=catalogue)
    assert "credits Service level and First-contact resolution." in text
    assert "carry no credit" not in text  # service level is credited here
    assert text.count("No credit is due yet for October 2026: €6,000 is pending on "
                      "Service level (✕ missed)") == 1
    assert "November 2025 to September 2026 carried no credit" in text
    table = kpi.credits_table(by_month, "2026-10", "en_GB").to_frame()
    assert table["Month"].tolist() == ["October 2026"]
    assert table["Pending"].tolist() == ["€6,000"]
    # the data reversed: July misses instead of October -> the sentence follows
    rows = [(s, {"2026-07": "2026-10", "2026-10": "2026-07"}.get(m, m), k, v)
            for s, m, k, v in rows]
    c = credits_for(tmp_path, catalogue, rows, "2026-10").reset_index()
    by_month = kpi.credits_by_month(c)
    text = kpi.credits_sentence(by_month, "2026-10", "en_GB", credits=c, catalogue=catalogue)
    assert text.startswith("At A the contract credits") and "No credit is due for October" in text
    assert "is pending" not in text and "€6,000 was earned back" in text
    assert "November 2025 to June 2026 and August 2026 to September 2026 carried" in text
    table = kpi.credits_table(by_month, "2026-10", "en_GB").to_frame()
    assert table["Month"].tolist() == ["July 2026", "October 2026"]
    # a contract crediting platform KPIs only: service level is named as not credited
    sites = pd.DataFrame({"site": ["A"], "engagement_form": ["HOSTED"]})
    text = kpi.credits_sentence(by_month, "2026-10", "en_GB",
                                credits=c[c["kpi"] != "SL"], catalogue=catalogue, sites=sites)
    assert "only; service level and the other agent KPIs are scored but carry no credit" in text
    assert "hosted seats" in text


def test_objectives_title_names_the_weakest_from_the_table(tmp_path, catalogue):
    obj = pd.DataFrame({"site": ["A", "A"], "objective": ["acquire", "people"],
                        "score": [1.0, 0.5], "n_kpis": [1, 2]})
    assert kpi.objectives_title(obj, catalogue, "2026-10", "en_GB") == (
        "October 2026: weakest objective is People (score 50%)")
    flipped = obj.assign(score=[0.5, 1.0])
    assert "weakest objective is Acquire customers" in kpi.objectives_title(
        flipped, catalogue, "2026-10", "en_GB")
    assert kpi.objectives_title(obj.assign(score=1.0), catalogue, "2026-10", "en_GB").endswith(
        "every objective fully met")
    table = kpi.objectives_table(obj, catalogue, "en_GB").to_frame()
    assert table.columns.tolist() == ["Objective", "KPIs", "Weighted score"]
    assert table["Weighted score"].tolist() == ["100%", "50%"]


def test_control_chart_words_follow_the_signals(catalogue):
    signals = pd.DataFrame({"site": ["A"], "kpi": ["SL"], "month": ["2026-10"], "value": [0.58],
                            "rule": ["run of 8 on one side; beyond 3σ"], "phase": ["steady"],
                            "centre": [0.82], "lcl": [0.75], "ucl": [0.89], "limits": ["final"]})
    text = kpi.signals_sentence(signals, catalogue, "2026-10", "en_GB")
    assert text.startswith("1 KPI has months") and "in October 2026: Service level" in text
    earlier = signals.assign(month="2026-03")
    assert "October 2026 itself is not one of them" in kpi.signals_sentence(
        earlier, catalogue, "2026-10", "en_GB")
    assert kpi.signals_sentence(signals.iloc[:0], catalogue, "2026-10") == (
        "No month stands out in any control chart.")
    shown = str(kpi.signals_display(signals, catalogue, "en_GB"))
    assert "σ" not in shown and "8 months in a row on one side of the centre" in shown
    chart = pd.DataFrame({"signal": [False, True, True]}, index=["2026-08", "2026-09", "2026-10"])
    spec = {"SL: beyond 3σ in 2026-09, 2026-10": {"chart": chart}}
    assert list(kpi.plain_specs(spec)) == ["SL\n2 unusual months, latest Oct 2026"]
    quiet = {"SL: no special cause": {"chart": chart.assign(signal=False),
                                      "label": "A · Service level"}}
    assert list(kpi.plain_specs(quiet)) == ["A · Service level\nno unusual month"]


def test_reviewer_tables_carry_labels_not_column_names(catalogue):
    from toolkit import glossary

    text = " ".join([str(kpi.definitions_table(catalogue, ["SL", "CPC"], "en_GB")),
                     str(kpi.gaps_table(pd.DataFrame(columns=["site", "month"]), "en_GB"))])
    assert glossary.jargon_found(text) == []
    assert "No provider-report month is missing" in text


def test_staffing_demand_only_when_the_service_target_is_missed(catalogue):
    table = pd.DataFrame({"site": ["A", "B"], "provider": ["a", "b"], "month": ["2026-10"] * 2,
                          "required_hours": [100.0, 100.0], "billed_hours": [80.0, 80.0],
                          "delivered_hours": [78.0, 78.0], "billed_vs_required": [0.8, 0.8],
                          "billed_vs_delivered": [1.03, 1.03], "required_fte": [1.0, 1.0],
                          "sl_target": [0.80, 0.80]})
    history = pd.DataFrame({"site": ["A", "B"], "month": ["2026-10"] * 2, "kpi": ["SL", "SL"],
                            "value": [0.856, 0.792]})
    found = kpi.audit_findings(table, "2026-10", catalogue, history=history)
    assert found["finding"].str.startswith("no staffing demand").tolist() == [True, False]
    assert found["finding"].iloc[1].endswith("and service level (79.2%) was below its 80% target")
    # the service levels swapped: the finding follows
    swapped = history.assign(value=history["value"].to_numpy()[::-1])
    found = kpi.audit_findings(table, "2026-10", catalogue, history=swapped)
    assert found["finding"].str.startswith("no staffing demand").tolist() == [False, True]
    shown = kpi.audit_table(found, "en_GB").to_frame()
    assert list(shown.columns[:2]) == ["Site", "Month"]
    assert shown["Month"].tolist() == ["October 2026"] * 2
    assert shown["Service level"].tolist() == ["79.2%", "85.6%"]


def test_control_limits_of_a_share_stay_within_0_and_100_percent(catalogue):
    months = [str(m) for m in pd.period_range("2024-01", "2026-10", freq="M")]
    values = np.where(np.arange(len(months)) % 2 == 0, 0.99, 0.80)  # wide swings near 100 %
    history = pd.DataFrame({"site": "A", "kpi": "SL", "month": months, "value": values,
                            "target_low": 0.8, "target_high": np.inf})
    raw = kpi.control_chart(history, "A", "SL", period="2026-10")
    assert raw["ucl"].max() > 1  # the arithmetic runs past 100 %
    signals = kpi.control_signals(history, ["A"], ["SL"], catalogue, period="2026-10")
    specs = kpi.control_chart_specs(history, ["A"], ["SL"], catalogue, period="2026-10")
    chart = next(iter(specs.values()))["chart"]
    assert chart["ucl"].max() == 1.0 and chart["lcl"].min() >= 0
    assert signals.empty or signals["ucl"].max() <= 1.0


def test_signal_sentence_splits_judged_and_baseline_months(catalogue):
    signals = pd.DataFrame({"site": "A", "kpi": "SL", "month": ["2025-03", "2026-09"],
                            "value": [0.58, 0.6], "rule": ["beyond 3σ"] * 2, "phase": "steady",
                            "centre": 0.82, "lcl": 0.75, "ucl": 0.89, "limits": "baseline"})
    text = kpi.signals_sentence(signals, catalogue, "2026-10", "en_GB")
    assert "2 months in all: 1 in the last 12 months, 1 earlier" in text
    later = signals.assign(month=["2026-03", "2026-09"])
    text = kpi.signals_sentence(later, catalogue, "2026-10", "en_GB")
    assert "2 in the last 12 months)" in text and "earlier" not in text


def test_simulator_names_its_threshold_and_whether_it_is_credited():
    cand = pd.DataFrame({"site": ["A", "A"], "staffing_factor": [0.95, 1.0],
                         "sl_median": [0.82, 0.85], "sl_p05": [0.75, 0.78],
                         "sl_threshold": [0.80, 0.80], "sl_target": [0.80, 0.80],
                         "sl_credited": [False, False], "sl_months_breached": [0.2, 0.1],
                         "sl_p_breach_in_year": [0.9, 0.7], "expected_credits_eur": [0.0, 0.0],
                         "p95_credits_eur": [0.0, 0.0]})
    text = kpi.simulation_sentence(cand, "en_GB")
    assert "below the 80% target" in text and "credits no service level at this site" in text
    assert "Months below the 80% target" in kpi.simulation_table(cand, "en_GB").to_frame().columns
    floor = cand.assign(sl_threshold=0.70, sl_credited=True)
    text = kpi.simulation_sentence(floor, "en_GB")
    assert "below the 70% contractual minimum" in text and "credits no" not in text
    assert ("Months below the 70% contractual minimum"
            in kpi.simulation_table(floor, "en_GB").to_frame().columns)


def _hosted_card(site="H", provider="Host Co", sl="red", fix="amber", credited_sl=0.0):
    """A tiny month scorecard: one agent KPI (SL) and one platform KPI (FIX_TIME)."""
    return pd.DataFrame({
        "site": site, "provider": provider, "month": "2026-10",
        "objective": ["service_quality", "platform"], "kpi": ["SL", "FIX_TIME"],
        "name": ["Service level", "Incident fix time"], "status": [sl, fix],
        "weight": 1.0, "credit_allocation": [credited_sl, 1.0]})


def _pending_credit(site="H", provider="Host Co", pending=2732.0):
    return pd.DataFrame([{"site": site, "provider": provider, "month": "2026-10",
                          "kpi": "FIX_TIME", "invoice_eur": 1e5, "at_risk_eur": 1e4,
                          "credit_eur": pending, "capped_credit_eur": pending,
                          "earn_back": "pending", "currency": "EUR"}])


SITES_FORMS = pd.DataFrame({"site": ["H", "F"], "engagement_form": ["HOSTED", "FULL"]})


def test_company_owned_follows_the_engagement_form_and_the_platform_objective():
    hosted = kpi.company_owned(_hosted_card(), SITES_FORMS)
    assert hosted.tolist() == [True, False]  # our agents' SL; the provider's platform KPI
    assert not kpi.company_owned(_hosted_card(site="F"), SITES_FORMS).any()  # full outsourcing
    assert not kpi.company_owned(_hosted_card(), None).any()  # no sites table: the provider's
    # a contract that credits an agent KPI at hosted seats makes the provider answer for it
    assert not kpi.company_owned(_hosted_card(credited_sl=0.5), SITES_FORMS).iloc[0]


def test_report_headline_names_the_company_for_its_own_agents_at_hosted_seats():
    text, status = kpi.report_headline(_hosted_card(), _pending_credit(), "2026-10", "en_GB",
                                       sites=SITES_FORMS)
    assert status == "attention"
    assert "our own agents at Host Co's hosted seats missed 1 KPI (Service level)" in text
    assert "Host Co's own KPIs (seats and platform): none missed, 1 on watch" in text
    assert "KPI missed (Service level)" not in text  # never "the provider missed" it
    assert "€2,732 triggered this month, pending earn-back" in text
    # the same misses at a fully outsourced site are the provider's
    text, _ = kpi.report_headline(_hosted_card(site="F"), _pending_credit(site="F"),
                                  "2026-10", "en_GB", sites=SITES_FORMS)
    assert "1 KPI missed (Service level)" in text and "our own agents" not in text
    # a platform miss at hosted seats is the provider's
    text, _ = kpi.report_headline(_hosted_card(sl="green", fix="red"), _pending_credit(),
                                  "2026-10", "en_GB", sites=SITES_FORMS)
    assert "our own agents at Host Co's hosted seats missed no KPI" in text
    assert "Host Co's own KPIs (seats and platform): 1 KPI (Incident fix time) missed" in text
