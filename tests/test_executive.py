"""Executive summary: tiny tables in, figures and sentences out; reversed data, reversed words."""

import numpy as np
import pandas as pd
import pytest

from toolkit import executive as ex

REF = {"forms": {"FULL": {"name": "full outsourcing"}, "INHOUSE": {"name": "in-house"}},
       "locations": {"MA": {"name": "Morocco"}, "FR-REG": {"name": "France - regions"}}}


def scenarios(option_npv=20e6, sq_npv=40e6, *, top="option", prob=0.9,
              option_cost=(6e6, 5e6), sq_cost=(8e6, 8.2e6), option_fte=(150, 160),
              sq_fte=(200, 205), baseline="status quo / PORTFOLIO"):
    """Two options over two contract years, in the scenarios table's columns."""
    rows = []
    ranks = {"option": (1, 2), "sq": (2, 1)}[top]
    for (loc, form), npv, cost, fte, rank in (
            (("MA", "FULL"), option_npv, option_cost, option_fte, ranks[0]),
            (("status quo", "PORTFOLIO"), sq_npv, sq_cost, sq_fte, ranks[1])):
        for year in (1, 2):
            rows.append({"location": loc, "form": form, "contract_year": year,
                         "calendar_start": ["2026-11", "2027-11"][year - 1],
                         "total_eur": cost[year - 1], "fte": fte[year - 1], "npv_eur": npv,
                         "baseline": baseline, "baseline_npv_eur": sq_npv,
                         "prob_beats_baseline": prob if loc == "MA" else 0.0,
                         "months": 60, "rank": float(rank)})
    return pd.DataFrame(rows)


def test_decision_saving_flips_to_costs_more():
    saves = ex.decision(scenarios(20e6, 40e6), ref=REF)
    assert saves.saving_pct == pytest.approx(0.5) and saves.saving_eur == pytest.approx(20e6)
    assert "saves 50%" in saves.sentence and "today's mix" in saves.sentence
    assert "€20.0m against €40.0m" in saves.sentence and "(NPV)" in saves.sentence
    assert "move to Morocco, full outsourcing" in saves.sentence
    dearer = ex.decision(scenarios(50e6, 40e6, prob=0.1), ref=REF)
    assert "costs 25% more than today's mix" in dearer.sentence
    assert "saves" not in dearer.sentence and "scores best once risks" in dearer.sentence
    assert "10%" in dearer.sentence


def test_decision_keep_today_when_status_quo_ranks_first():
    keep = ex.decision(scenarios(20e6, 40e6, top="sq"), ref=REF)
    assert keep.keep and keep.sentence.startswith("Keep today's mix")
    assert "€40.0m" in keep.sentence


def test_decision_against_in_house_when_no_status_quo():
    table = scenarios(baseline="FR-REG / INHOUSE")
    table.loc[table["location"] == "status quo", ["location", "form"]] = ["FR-REG", "INHOUSE"]
    d = ex.decision(table, ref=REF)
    assert d.comparison == "running everything in-house" and "in-house" in d.sentence


def test_coming_months_cheaper_then_dearer():
    cheap = ex.coming_months(scenarios(), ref=REF)
    assert list(cheap.table["role"].unique()) == ["comparison", "recommended"]
    s = cheap.sentence
    assert "costs less than today's mix" in s and "€6,000,000" not in s
    assert "fewer FTE" in s and "150 against 200" in s and "November 2026 to October 2027" in s
    dear = ex.coming_months(scenarios(option_cost=(9e6, 9e6), option_fte=(250, 250)), ref=REF)
    assert "costs more than today's mix" in dear.sentence and "more FTE" in dear.sentence
    assert "redundant" not in s  # an older scenarios file without the leaving table


def test_coming_months_say_whose_jobs_the_move_touches():
    table = scenarios().assign(people_redundant=[130.0, 130.0, 0.0, 0.0],
                               people_transferred=[0.0, 0.0, 0.0, 0.0])
    s = ex.coming_months(table, ref=REF).sentence
    assert ("In contract year 1 the move makes 130 of our own staff redundant, with no "
            "one moving to the provider") in s
    moved = table.assign(people_redundant=[0.0, 0.0, 0.0, 0.0],
                         people_transferred=[40.0, 40.0, 0.0, 0.0])
    s = ex.coming_months(moved, ref=REF).sentence
    assert "makes no one redundant and 40 people move to the provider with their work" in s
    none = table.assign(people_redundant=0.0)
    assert "redundant" not in ex.coming_months(none, ref=REF).sentence


def card(statuses, site="A", month="2026-10"):
    return pd.DataFrame({"site": site, "provider": f"Provider {site}", "month": month,
                         "kpi": [f"K{i}" for i in range(len(statuses))], "status": statuses})


def credits(due=0.0, pending=0.0, site="A", month="2026-10"):
    rows = [{"site": site, "provider": f"Provider {site}", "month": month, "kpi": "SL",
             "invoice_eur": 1e5, "at_risk_eur": 1e4, "credit_eur": due, "capped_credit_eur": due,
             "earn_back": "due", "currency": "EUR"},
            {"site": site, "provider": f"Provider {site}", "month": month, "kpi": "FCR",
             "invoice_eur": 1e5, "at_risk_eur": 1e4, "credit_eur": pending,
             "capped_credit_eur": pending, "earn_back": "pending", "currency": "EUR"}]
    return pd.DataFrame(rows)


def test_providers_all_green_no_credit_then_red_with_credit():
    good = ex.providers(pd.concat([card(["green", "amber"]), card(["green"], site="B")]),
                        pd.concat([credits(), credits(site="B")]), "2026-10")
    assert good.table[["green", "amber", "red", "no data"]].sum().tolist() == [2, 1, 0, 0]
    assert "no provider missed" in good.sentence and "no service credit is due" in good.sentence
    bad = ex.providers(pd.concat([card(["red", "no data"]), card(["green"], site="B")]),
                       pd.concat([credits(1500.0, 300.0), credits(site="B")]), "2026-10")
    assert "1 of 2 providers" in bad.sentence and "A (1 missed, 1 without data)" in bad.sentence
    assert "€1,500 are due" in bad.sentence and "€300 of credits triggered in October 2026 await earn-back" in bad.sentence
    assert bad.table.set_index("site").loc["A", "credit_due_eur"] == 1500.0


def test_providers_other_months_are_ignored():
    other = ex.providers(pd.concat([card(["green"]), card(["red"], month="2026-09")]),
                         credits(900.0, month="2026-09"), "2026-10")
    assert other.table["red"].sum() == 0 and "no service credit" in other.sentence


def next_month(calls=1100.0, change=0.1, open_days=24, month_open_days=24):
    return pd.DataFrame({
        "month": ["2026-11", "2026-11"], "queue": ["care", "total"],
        "calls": [600.0, calls], "lower_80": [500.0, calls * 0.8], "upper_80": [700.0, calls * 1.2],
        "open_days": [open_days] * 2, "month_open_days": [month_open_days] * 2,
        "change": [0.0, change]})


def test_forecast_headline_more_then_fewer_per_open_day():
    up = ex.forecast_headline(next_month(1100.0, 0.1), "2026-10")
    assert up.calls == 1100.0 and up.lower_80 == pytest.approx(880.0)
    assert up.sentence.startswith("November 2026: 1,100 calls expected (80% range 900 to 1,300)")
    assert "10.0% more calls per open day than in November 2025" in up.sentence
    down = ex.forecast_headline(next_month(900.0, -0.1), "2026-10")
    assert "10.0% fewer calls per open day than in November 2025" in down.sentence
    flat = ex.forecast_headline(next_month(1000.0, 0.0), "2026-10")
    assert "as many per open day as" in flat.sentence
    unknown = ex.forecast_headline(next_month(1000.0, np.nan), "2026-10")
    assert "November 2025" not in unknown.sentence


def test_forecast_headline_says_when_the_forecast_covers_part_of_the_month():
    part = ex.forecast_headline(next_month(open_days=23), "2026-10")
    assert "over the 23 of its 24 open days the forecast covers" in part.sentence
    assert "open days the forecast" not in ex.forecast_headline(next_month(), "2026-10").sentence


def test_forecast_headline_without_the_month_says_so():
    with pytest.raises(ValueError, match="2027-01"):
        ex.forecast_headline(next_month(), "2026-12")


def test_staffing_peak_sums_queues_per_interval():
    ds = pd.to_datetime(["2026-11-02 09:00", "2026-11-02 09:00", "2026-11-02 09:30"]).tz_localize(
        "Europe/Paris")
    peak = ex.staffing_peak(pd.DataFrame({"ds": ds, "queue": ["a", "b", "a"],
                                          "agents": [10, 5, 12]}))
    assert peak.agents == 15 and "15 agents" in peak.sentence and "Mon 2 Nov 09:00" in peak.sentence


def test_missing_tables_are_named_not_fatal(tmp_path):
    scen = tmp_path / "sourcing_scenarios.parquet"
    scenarios().to_parquet(scen)
    kpi = tmp_path / "kpi"
    kpi.mkdir()
    card(["green"], site="A").to_csv(kpi / "scorecard_A_2026-10.csv", index=False)
    tables = ex.load_tables(next_month_path=tmp_path / "next_month.parquet",
                            staffing_path=tmp_path / "staffing.parquet", scenarios_path=scen,
                            kpi_dir=kpi, period="2026-10")
    assert tables.scenarios is not None and tables.scorecards is not None
    assert set(tables.missing) == {"next_month", "staffing", "credits"}
    assert tables.missing["next_month"].startswith("not available: ")
    assert "next_month.parquet was not written" in tables.missing["next_month"]
    assert "credits_<provider>_2026-10.csv" in tables.missing["credits"]
    with pytest.raises(ex.NotAvailable, match="scorecard_B_2026-10.csv was not written"):
        ex.read_kpi(kpi, "2026-10", "scorecard", sites=["A", "B"])


def test_kpi_files_prefer_the_all_providers_file(tmp_path):
    for label in ("A", "B", "all"):
        card(["green"], site=label).to_csv(tmp_path / f"scorecard_{label}_2026-10.csv",
                                           index=False)
    assert [p.name for p in ex.kpi_files(tmp_path, "2026-10", "scorecard")] == [
        "scorecard_all_2026-10.csv"]
    (tmp_path / "scorecard_all_2026-10.csv").unlink()
    both = ex.read_kpi(tmp_path, "2026-10", "scorecard")
    assert sorted(both["site"].unique()) == ["A", "B"]


def test_report_links_are_sibling_files_named_like_the_runner():
    links = ex.report_links({"Forecast": "volume-forecast", "KPI": "kpi-{site}"},
                            ["ATLAS-CAS", "X Y"])
    assert links == {"Forecast": "volume-forecast.html", "KPI ATLAS-CAS": "kpi-ATLAS-CAS.html",
                     "KPI X Y": "kpi-X-Y.html"}


def test_money_and_numbers_follow_the_locale():
    assert ex.fmt_money(16.86e6, "en_GB") == "€16.9m"
    assert ex.fmt_money(1500, "en_GB") == "€1,500"
    assert ex.fmt_number(1234.5, "fr_FR", 1).replace("\u202f", " ") == "1 234,5"
    assert ex.fmt_percent(np.nan, "en_GB") == "–"


def test_coming_months_by_year_puts_each_contract_year_side_by_side():
    months = ex.coming_months(scenarios(), locale="en_GB")
    shown = months.by_year()
    assert shown.columns[0] == "Option" and len(shown.rows) == months.table["option"].nunique()
    assert any(c.startswith("Cost, 12 months from") for c in shown.columns)
    assert any(c.startswith("FTE (average), 12 months from") for c in shown.columns)


def test_decision_carries_the_sourcing_caution_from_the_saved_table():
    plain = ex.decision(scenarios(), ref=REF)
    assert plain.caution == ""
    below = ex.decision(scenarios().assign(published_range=lambda t: np.where(
        t["location"] == "MA", "below", "")), ref=REF)
    assert below.caution.startswith("Caution: its modelled cost is below the published range")
    assert "local quote" in below.caution
    kept = ex.decision(scenarios(top="sq").assign(published_range="below"), ref=REF)
    assert kept.caution == ""  # keeping today's mix rests on no modelled price


def test_headline_says_why_it_needs_attention():
    good = ex.providers(card(["green"]), credits(), "2026-10")
    bad = ex.providers(pd.concat([card(["red", "red", "no data"]), card(["green"], site="B")]),
                       pd.concat([credits(), credits(site="B")]), "2026-10")
    choice = ex.decision(scenarios(), ref=REF)
    text, status = ex.headline(choice, good)
    assert status == "ok" and text == choice.sentence
    text, status = ex.headline(choice, bad)
    assert status == "attention"
    assert text.endswith("In October 2026 Provider A missed 2 KPIs and sent no data for 1 KPI.")
    cautious = ex.decision(scenarios().assign(published_range="below"), ref=REF)
    text, status = ex.headline(cautious, good)
    assert status == "attention" and "below the published range" in text
    # both reasons: the decision in fewer words, the same figures, within the card's limit
    text, status = ex.headline(cautious, bad)
    assert status == "attention" and len(text) <= 300
    assert text.startswith("Moving to Morocco, full outsourcing saves 50% against today's mix "
                           "(€20.0m against €40.0m NPV over 5 years), cheaper in 90%")
    assert "below the published range" in text and "Provider A missed 2 KPIs" in text
    text, status = ex.headline(None, None)
    assert status == "ok" and "not available" in text


def test_a_french_locale_keeps_english_words_beside_french_figures():
    peak = ex.StaffingPeak(pd.Timestamp("2026-11-30 10:00", tz="Europe/Paris"), 1172, "fr_FR")
    assert "1\u202f172 agents" in peak.sentence and "(Mon 30 Nov 10:00;" in peak.sentence
    sites = ex.providers(card(["red"]), credits(pending=2732.0), "2026-10", "fr_FR")
    assert sites.sentence.startswith("In October 2026 1 of 1 provider")
    assert "2\u202f732\u00a0€ of credits triggered in October 2026" in sites.sentence


def test_short_decision_keeps_the_direction():
    dearer = ex.decision(scenarios(50e6, 40e6, prob=0.1), ref=REF)
    assert dearer.short.startswith("Moving to Morocco, full outsourcing costs 25% more than")
    keep = ex.decision(scenarios(top="sq"), ref=REF)
    assert keep.short == keep.sentence


def hosted_card(site="H", provider="Host Co", sl="red", fix="amber"):
    """The month's scorecard rows as the KPI report writes them: an agent KPI and a platform
    KPI (the provider of hosted seats answers for the platform only)."""
    return pd.DataFrame({"site": site, "provider": provider, "month": "2026-10",
                         "objective": ["service_quality", "platform"], "kpi": ["SL", "FIX_TIME"],
                         "name": ["Service level", "Incident fix time"], "status": [sl, fix],
                         "credit_allocation": [0.0, 1.0]})


FORMS = pd.DataFrame({"site": ["H", "F"], "engagement_form": ["HOSTED", "FULL"]})


def test_hosted_seats_misses_are_the_company_s_not_the_provider_s():
    sites = ex.providers(hosted_card(), credits(pending=2732.0, site="H"), "2026-10",
                         sites=FORMS)
    s = sites.sentence
    assert "no provider missed a KPI it answers for" in s
    assert ("our own agents at Host Co's hosted seats (H) missed 1 KPI (Service level)" in s)
    assert "1 of 1 provider" not in s and "H (1 missed" not in s
    t = sites.table.set_index("answers")
    assert t.loc["company", "red"] == 1 and t.loc["provider", "red"] == 0
    assert t.loc["provider", "amber"] == 1 and t.loc["company", "answered_by"] == ex.OURS
    assert t.loc["provider", "credit_pending_eur"] == 2732.0  # credits stay the provider's
    assert sites.attention == "In October 2026 our own agents at Host Co missed 1 KPI."
    cautious = ex.decision(scenarios().assign(published_range="below"), ref=REF)
    text, status = ex.headline(cautious, sites)
    assert status == "attention" and text.endswith("our own agents at Host Co missed 1 KPI.")
    assert sites.attention_short == "In October 2026 1 KPI missed or without data at 1 site (see below)."
    # a platform miss at hosted seats names the provider
    platform = ex.providers(hosted_card(sl="green", fix="red"), credits(site="H"), "2026-10",
                            sites=FORMS)
    assert "1 of 1 provider had a KPI missed or without data: H (1 missed)" in platform.sentence
    assert "our own agents" not in platform.sentence and platform.attention.endswith(
        "Host Co missed 1 KPI.")
    # the same miss at a fully outsourced site is the provider's
    full = ex.providers(hosted_card(site="F"), credits(site="F"), "2026-10", sites=FORMS)
    assert "F (1 missed)" in full.sentence and "our own agents" not in full.sentence


def test_a_credit_triggered_this_month_is_said_so_and_an_earlier_one_apart():
    month = ex.providers(card(["green"]), credits(pending=2732.0), "2026-10")
    assert ("€2,732 of credits triggered in October 2026 await earn-back (Provider A can "
            "still win them back") in month.sentence
    assert "earlier" not in month.sentence
    both = ex.providers(card(["green"]), pd.concat([credits(pending=2732.0),
                                                    credits(pending=500.0, month="2026-09")]),
                        "2026-10")
    assert "€2,732 of credits triggered in October 2026" in both.sentence
    assert "€500 triggered before October 2026 still awaits earn-back" in both.sentence


def test_volume_at_the_end_of_the_contract_reads_the_outlook_and_its_growth_range():
    from toolkit.forecast import ForecastResult
    months = pd.period_range("2025-11", periods=36, freq="M")
    rows = [{"month": str(m), "queue": "total", "scenario": "history", "yhat": 1000.0}
            for m in months[:12]]
    rows += [{"month": str(m), "queue": "total", "scenario": "base", "yhat": 1100.0,
              "yhat_lower_80": 900.0, "yhat_upper_80": 1300.0} for m in months[12:]]
    result = ForecastResult(pd.DataFrame(rows), {}, {"growth_sd_per_year": 0.0744})
    s = ex.volume_ahead(result).sentence
    assert s.startswith("The volume outlook expects 13,000 calls from November 2027 to "
                        "October 2028, 10% more than the last 12 months (80% range "
                        "11,000–16,000)")
    assert "uncertain by ±10% a year" in s
    flat = ForecastResult(pd.DataFrame(rows), {}, {})
    assert "uncertain" not in ex.volume_ahead(flat).sentence
