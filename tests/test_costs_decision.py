"""Reviewer sentences of the sourcing report (toolkit.costs.decision): each is written from
the table or chart object beside it, so reversing the data must reverse the sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_costs import model

from toolkit import costs
from toolkit.glossary import jargon_found


@pytest.fixture(scope="module")
def m():
    return model()  # FR-REG and MA, no status quo: the comparison is FR-REG / INHOUSE


def test_option_names_are_words(m):
    assert costs.option_name(m, "MA", "FULL") == "Morocco, full outsourcing"
    assert costs.option_name(m, "MA", "FULL", code=True) == "Morocco, full outsourcing (MA / FULL)"
    assert costs.option_name(m, "FR-REG", "INHOUSE") == "France – regions, in-house"
    assert costs.option_name(m, "status quo", "PORTFOLIO") == "the status quo (today's mix)"
    assert (costs.option_name(m, "40 % of care to MA / FULL", "PORTFOLIO")
            == "partial move: 40 % of care to Morocco, full outsourcing")
    names = costs.option_names(m, pd.DataFrame({"location": ["MA"], "form": ["HOSTED"]}))
    assert names.tolist() == ["Morocco, hosted seats"]


def _ranking(saving_first: float, saving_second: float) -> pd.DataFrame:
    return pd.DataFrame({
        "rank": [1, 2, 3], "option": ["a", "b", "c"],
        "npv_eur": [10e6 - saving_first, 10e6 - saving_second, 10e6],
        "saving_eur": [saving_first, saving_second, 0.0],
        "location": ["MA", "MA", "FR-REG"], "form": ["FULL", "HOSTED", "INHOUSE"]})


def test_ranking_sentence_follows_its_table(m):
    saves = costs.ranking_sentence(m, _ranking(2e6, 1e6), 5)
    assert "2 of 2 (100%)" in saves and "Morocco, full outsourcing, saves €2.0m" in saves
    costs_more = costs.ranking_sentence(m, _ranking(-2e6, 1e6), 5)
    assert "1 of 2 (50%)" in costs_more and "costs €2.0m more" in costs_more
    assert "5 options were ranked" in saves and "shows the top 3." in saves


def test_ranking_sentence_says_which_ranks_the_table_skips(m):
    table = _ranking(2e6, 1e6).assign(rank=[1, 2, 9])
    text = costs.ranking_sentence(m, table, 22)
    assert "shows the top 2 and, ranked 9th, France – regions, in-house." in text
    text = costs.ranking_sentence(m, table.assign(rank=[1, 2, 3]), 22)
    assert "shows the top 3." in text and "ranked 9th" not in text
    text = costs.ranking_sentence(m, table.assign(rank=[1, 5, 22]), 22)
    assert "top 1 and, ranked 5th, Morocco, hosted seats and, ranked 22nd," in text


def test_cheapest_sentence_names_the_cheapest_bar():
    bars = pd.DataFrame({"agents' pay": [1e6, 2e6], "premises": [0.5e6, 0.1e6]},
                        index=["Morocco, full outsourcing", "France – regions, in-house"])
    assert costs.cheapest_sentence(bars).startswith("Morocco, full outsourcing is the cheapest")
    assert "€1.5m" in costs.cheapest_sentence(bars)
    bars.iloc[0, 0] = 5e6
    assert costs.cheapest_sentence(bars).startswith("France – regions, in-house is the cheapest")


def test_bridge_sentence_turns_with_the_bridge():
    assert "cuts the yearly bill by €2.0m" in costs.bridge_sentence(5e6, 3e6, "option", "today")
    assert "raises the yearly bill by €2.0m" in costs.bridge_sentence(3e6, 5e6, "option", "today")
    assert "costs the same" in costs.bridge_sentence(3e6, 3e6, "option", "today")


def _fan(a: float, b: float) -> pd.DataFrame:
    rows = []
    for key, end in ((("MA", "FULL"), a), (("FR-REG", "INHOUSE"), b)):
        for month in (1, 12):
            for q, f in ((0.1, 0.8), (0.5, 1.0), (0.9, 1.2)):
                rows.append({"location": key[0], "form": key[1], "month": month, "quantile": q,
                             "cumulative_cost_eur": end * f * month / 12})
    return pd.DataFrame(rows)


def test_fan_sentence_reads_the_fan_end(m):
    less = costs.fan_sentence(_fan(5e6, 8e6), m, ("MA", "FULL"), ("FR-REG", "INHOUSE"))
    assert "€5.0m, less than France – regions, in-house (€8.0m" in less
    more = costs.fan_sentence(_fan(9e6, 8e6), m, ("MA", "FULL"), ("FR-REG", "INHOUSE"))
    assert "€9.0m, more than" in more


def _decision_tables(npv_option: float, npv_comparison: float, prob: float):
    keys = [("MA", "FULL"), ("FR-REG", "INHOUSE")]
    decision = pd.DataFrame({"location": [k[0] for k in keys], "form": [k[1] for k in keys],
                             "score": [0.8, 0.6], "risk_score": [0.6, 0.9], "rank": [1, 2],
                             **{c: [0.9, 0.5] for c in costs.CRITERIA}})
    tco = pd.DataFrame({"location": [k[0] for k in keys], "form": [k[1] for k in keys],
                        "npv_eur": [npv_option, npv_comparison],
                        "baseline_npv_eur": [npv_comparison] * 2, "feasible": True})
    mc = pd.DataFrame({"location": [k[0] for k in keys], "form": [k[1] for k in keys],
                       "npv_p10_eur": [npv_option * 0.8, npv_comparison * 0.8],
                       "npv_p50_eur": [npv_option * 1.02, npv_comparison],
                       "npv_p90_eur": [npv_option * 1.3, npv_comparison * 1.2],
                       "prob_beats_baseline": [prob, 0.0]})
    return decision, tco, mc


def test_report_headline_and_status_follow_the_figures(m):
    robust = {"keeps_top": 0.9}
    decision, tco, mc = _decision_tables(3e6, 5e6, 0.95)
    text, status = costs.report_headline(m, tco, mc, decision, robust)
    assert text.startswith("Morocco, full outsourcing, saving €2.0m NPV") and status == "ok"
    assert "cheaper in 95% of the simulations" in text
    decision, tco, mc = _decision_tables(6e6, 5e6, 0.30)
    text, status = costs.report_headline(m, tco, mc, decision, robust)
    assert "costing €1.0m more NPV" in text and status == "attention"
    decision, tco, mc = _decision_tables(3e6, 5e6, 0.95)
    assert costs.report_headline(m, tco, mc, decision, {"keeps_top": 0.2})[1] == "attention"
    keep = decision.iloc[::-1].reset_index(drop=True)  # the comparison comes first
    text, status = costs.report_headline(m, tco, mc, keep, robust)
    assert text.startswith("Keep running everything in-house")


def test_report_headline_warns_when_its_own_cost_check_fails(m):
    robust = {"keeps_top": 0.9}
    decision, tco, mc = _decision_tables(3e6, 5e6, 0.95)
    checks = pd.DataFrame({"check": ["offshore_index"], "location": ["MA"], "in_band": [False],
                           "model_value": [0.22], "band_low": [0.35], "band_high": [0.55]})
    text, status = costs.report_headline(m, tco, mc, decision, robust, checks)
    assert status == "attention" and "below the published range" in text
    text, status = costs.report_headline(m, tco, mc, decision, robust,
                                         checks.assign(model_value=0.8))
    assert status == "attention" and "above the published range" in text
    text, status = costs.report_headline(m, tco, mc, decision, robust,
                                         checks.assign(in_band=True))
    assert status == "ok" and "published range" not in text
    text, status = costs.report_headline(m, tco, mc, decision, robust,
                                         checks.assign(location="FR-REG"))
    assert status == "ok"  # another location's miss is not the recommendation's


def test_bases_sentence_ties_the_three_bases_together(m):
    _, tco, mc = _decision_tables(3e6, 5e6, 0.95)
    text = costs.bases_sentence(m, tco, mc, _fan(3.4e6, 8e6), ("MA", "FULL"))
    assert "net present cost (NPV) at the reference figures: €3.0m" in text
    assert "€3.1m as the median NPV" in text and "€3.4m in the chart" in text
    assert "80% of them between €2.4m and €3.9m" in text


def test_ranking_table_keeps_the_top_and_the_comparison(m):
    decision, tco, mc = _decision_tables(3e6, 5e6, 0.95)
    t = costs.ranking_table(m, tco, mc, decision, top=1)
    assert t.option.tolist() == ["Morocco, full outsourcing", "France – regions, in-house"]
    assert t.saving_eur.tolist() == [2e6, 0.0]
    assert np.isnan(t.prob_beats_baseline.iloc[1])  # the comparison against itself: no figure


def test_margin_sentence_names_the_options_below_cost(m):
    margins = pd.DataFrame({"location": ["MA", "FR-REG"], "form": ["FULL", "FULL"],
                            "band_low": 0.05, "band_high": 0.45, "margin_pct": [0.2, 0.1],
                            "flag": ["", ""]})
    assert costs.margin_sentence(m, margins).startswith("Every price")
    margins.loc[1, ["margin_pct", "flag"]] = [-0.2, "negative"]
    text = costs.margin_sentence(m, margins)
    assert text.startswith("1 of the 2 options a provider prices (50%)")
    assert "France – regions, full outsourcing" in text and "Morocco" not in text


def test_margin_sentence_lists_every_flagged_option(m):
    margins = pd.DataFrame({"location": ["MA", "FR-REG", "MA"], "form": ["FULL", "FULL", "HOSTED"],
                            "band_low": 0.05, "band_high": 0.45, "margin_pct": [0.02, -0.1, 0.2],
                            "flag": ["below band", "negative", ""]})
    text = costs.margin_sentence(m, margins)
    assert text.startswith("2 of the 3 options a provider prices (67%)")
    assert "below the provider's cost, so cheaper than they can last: France – regions" in text
    assert "below the plausible margin but above cost: Morocco, full outsourcing." in text
    margins["flag"] = ["", "negative", "above band"]  # the other way round
    text = costs.margin_sentence(m, margins)
    assert "Priced above the plausible margin: Morocco, hosted seats." in text
    assert "Morocco, full outsourcing" not in text


def test_hardest_move_sentence_counts_ties(m):
    leaving = pd.DataFrame({"location": ["MA", "FR-REG"], "form": ["FULL", "FULL"],
                            "people_redundant": [40.0, 10.0], "leaving_eur": [2e6, 1e6]})
    assert "Morocco, full outsourcing, 40 people" in costs.hardest_move_sentence(m, leaving)
    leaving["people_redundant"] = 40.0
    assert "2 of the 2 single-site options (100%)" in costs.hardest_move_sentence(m, leaving)
    leaving["people_redundant"] = 0.0
    assert costs.hardest_move_sentence(m, leaving) == "No option makes anyone redundant."


def _people(lille_fate: str) -> pd.DataFrame:
    rows = [("MA", "FULL", "LIL", "FR-REG", "INHOUSE", 88.0, "redundant"),
            ("MA", "FULL", "EBN", "MA", "HOSTED", 42.0, "redundant"),
            ("FR-REG", "FULL", "LIL", "FR-REG", "INHOUSE", 88.0, lille_fate),
            ("FR-REG", "FULL", "EBN", "MA", "HOSTED", 42.0, "redundant")]
    return pd.DataFrame(rows, columns=["location", "form", "site", "site_location", "site_form",
                                       "people", "fate"])


def test_redundancies_are_tied_to_todays_sites(m):
    names = {"LIL": "Lille (in-house)", "EBN": "Ebene hub"}
    leaving = pd.DataFrame({"location": ["MA", "FR-REG"], "form": ["FULL", "FULL"],
                            "people_redundant": [130.0, 42.0], "leaving_eur": [3e6, 1e6]})
    text = costs.hardest_move_sentence(m, leaving, people=_people("transferred"),
                                       site_names=names)
    assert ("130 people (the 88 in-house staff at Lille and the 42 company agents in hosted "
            "seats at Ebene hub in Morocco) made redundant") in text
    why = costs.redundancy_sentences(m, leaving, _people("transferred"), site_names=names)
    assert why.startswith("France – regions, full outsourcing makes 42 people redundant: the 42 "
                          "company agents in hosted seats at Ebene hub in Morocco")
    assert "the 88 in-house staff at Lille move to the provider with their work" in why
    why = costs.redundancy_sentences(m, leaving, _people("stays"), site_names=names)
    assert "the 88 in-house staff at Lille keep their jobs" in why and "move to" not in why
    # the hardest move is the other one: it is the one explained
    swapped = leaving.assign(people_redundant=[42.0, 130.0])
    why = costs.redundancy_sentences(
        m, swapped, _people("redundant").assign(
            fate=["stays", "redundant", "redundant", "redundant"]), site_names=names)
    assert why.startswith("Morocco, full outsourcing makes 42 people redundant")
    assert "the 88 in-house staff at Lille keep their jobs" in why


def test_leaving_people_adds_up_to_the_leaving_costs():
    from test_costs import tiny_status_quo
    sq_model = model(status_quo=tiny_status_quo())
    people = costs.leaving_people(sq_model)
    lv = costs.leaving_costs(sq_model).set_index(["location", "form"])
    redundant = people[people.fate == "redundant"].groupby(["location", "form"]).people.sum()
    for key, n in redundant.items():
        assert lv.loc[key, "people_redundant"] == pytest.approx(n)
    fate = {(r.location, r.form): r.fate for r in people.itertuples()}
    assert fate[("MA", "FULL")] == "redundant"  # the in-house site's work goes abroad
    assert fate[("FR-REG", "HOSTED")] == "stays"  # hosted at home: the staff stay


def test_one_off_costs_split_into_leaving_and_the_provider(m):
    from toolkit.costs.decision import _one_off_text
    row = pd.Series({"transition_eur": 0.6e6, "exit_eur": 0.6e6, "leaving_eur": 3.7e6})
    text = _one_off_text(m, row)
    assert "€4.9m of one-off costs (€3.7m to leave today's mix" in text
    assert "€1.2m to move the work to the provider" in text
    text = _one_off_text(m, pd.Series({"transition_eur": 0.6e6, "exit_eur": 0.6e6,
                                       "leaving_eur": 0.0}))
    assert text == ", including €1.2m of transition and exit costs"


def test_reference_flags_become_words():
    from toolkit.costs.decision import _flags_in_words
    assert _flags_in_words("lock-in: exit notice of 6-18 months (E)") == (
        "lock-in: exit notice of 6-18 months (estimate)")
    assert _flags_in_words("no flag here") == "no flag here"


def test_invoice_gap_sentence_names_the_widest_gap():
    rec = pd.DataFrame({"provider": ["Atlas", "Ile"], "invoice_eur": [1.5e6, 0.77e6],
                        "model_invoice_eur": [1.8e6, 0.42e6], "gap_pct": [-1 / 6, 0.85]})
    text = costs.invoice_gap_sentence(rec)
    assert "Ile invoiced €770k" in text and "(+85%)" in text and "of the 2 providers" in text
    rec["gap_pct"] = [-0.5, 0.1]
    assert "Atlas invoiced €1.5m" in costs.invoice_gap_sentence(rec)


def test_weakest_sentence_names_the_lowest_risk_criteria(m):
    decision, _, _ = _decision_tables(3e6, 5e6, 0.95)
    decision.loc[0, "language_fit"] = 0.1
    assert "lowest on language fit (0.10" in costs.weakest_sentence(m, decision, ("MA", "FULL"))
    decision.loc[0, "attrition"] = 0.1
    assert "language fit and staff turnover" in costs.weakest_sentence(m, decision,
                                                                      ("MA", "FULL"))
    decision.loc[0, "cost"] = 0.0  # cost is not a risk
    assert "cost" not in costs.weakest_sentence(m, decision, ("MA", "FULL"))


def test_reconciliation_sentence_signs_the_effects():
    rec = pd.DataFrame({"provider": ["Atlas"], "invoice_eur": [1.5e6],
                        "model_invoice_eur": [1.8e6], "gap_pct": [-1 / 6],
                        "price_effect_eur": [-250e3], "hours_effect_eur": [-50e3]})
    text = costs.reconciliation_sentence(rec)
    assert "(−17%: price per hour −€250k, hours billed −€50.0k)" in text
    rec[["invoice_eur", "gap_pct", "price_effect_eur"]] = [2.1e6, 1 / 6, 350e3]
    assert "(+17%: price per hour +€350k" in costs.reconciliation_sentence(rec)


def test_small_steps_grouped_keeps_the_total():
    steps = pd.Series({"agents' pay": -4e6, "IT": -10e3, "telephony licences": 20e3,
                       "provider's margin": 1e6})
    grouped = costs.small_steps_grouped(steps)
    assert list(grouped.index) == ["agents' pay", "provider's margin", "other lines"]
    assert grouped.sum() == pytest.approx(steps.sum())


def test_recommendation_speaks_without_codes_or_developer_words(m):
    t = costs.tco(m)
    mc = costs.monte_carlo(m, n_draws=100)
    table, rob = costs.decision_matrix(m, t, n_perturbations=50)
    text = costs.recommendation(m, t, mc, table, rob)
    assert jargon_found(text) == []
    assert not costs.decision._CODE.search(text)  # "Morocco, full outsourcing", not "(MA / FULL)"
    assert "`" not in text and "rate_card" not in text and "True" not in text
    changes, _ = costs.what_would_change(m, table, rob)
    assert jargon_found(changes) == []


def test_missed_checks_are_listed_in_words(m):
    checks = pd.DataFrame([
        {"check": "offshore_index", "option": "MA / FULL vs FR-REG / INHOUSE",
         "method": "rate_card", "model_value": 0.2, "band_low": 0.35, "band_high": 0.55,
         "passed": False},
        {"check": "nearshore_index", "option": "MA / FULL vs FR-REG / INHOUSE",
         "method": "bottom_up", "model_value": 0.6, "band_low": 0.55, "band_high": 0.75,
         "passed": True}])
    t = costs.missed_checks(m, checks)
    assert t.to_dict("records") == [{
        "check": "off-shore cost as a share of in-house",
        "option": "Morocco, full outsourcing vs France – regions, in-house",
        "method": "market price lists", "model_value": 0.2, "band_low": 0.35,
        "band_high": 0.55}]
    assert costs.missed_checks(m, checks.assign(passed=True)).empty


def test_driver_label_reads_as_words():
    assert costs.driver_label("volume growth: -10% to 10% per year (G, 2026)") == (
        "volume growth: -10% to 10% per year")
    assert costs.driver_label("inhouse wage premium: 0% to 15% (G, 2025)").startswith(
        "in-house wage premium")
    assert costs.driver_label("it per seat month: 110 to 240 EUR (X, 2025)").startswith("IT ")
    long = costs.driver_label("leaving: dual running months: 1 to 4 months the outgoing sites "
                              "keep running beside the new one (E, 2025)")
    assert long == "double running: 1 to 4 months"
    assert costs.driver_label("provider margins EU 2%-12%, NON-EU 25%-50%") == (
        "margins: 2%-12% in the EU, 25%-50% outside")
    assert costs.driver_label("inhouse wage premium: 0% to 15% share above provider-sector pay"
                              " (G, 2025)") == "in-house wage premium: 0% to 15%"
    gap = costs.driver_label("quality gap: AHT uplift and FCR gap at the ends of their ranges")
    assert "…" not in gap and "AHT" not in gap
    cut = costs.driver_label("an unknown driver with a very long description that goes on " * 2)
    assert len(cut) <= 51 and cut.endswith("…")


def test_published_range_is_the_word_the_caution_and_the_saved_table_share(m):
    checks = pd.DataFrame({"check": ["offshore_index", "nearshore_index"],
                           "location": ["MA", "MA"], "in_band": [False, True],
                           "model_value": [0.22, 0.6], "band_low": [0.35, 0.55],
                           "band_high": [0.55, 0.75]})
    assert costs.published_range(checks, "MA") == "below"
    assert costs.published_range(checks.assign(model_value=0.9), "MA") == "above"
    assert costs.published_range(checks, "FR-REG") == ""
    assert costs.published_range(None, "MA") == ""
    decision, tco, mc = _decision_tables(3e6, 5e6, 0.95)
    scen = tco[["location", "form"]].assign(contract_year=1, total_eur=[1e6, 2e6])
    table = costs.scenarios_table(scen, tco.drop(columns="feasible").assign(
        feasible=True, currency="EUR", price_year=2026), mc, decision, checks)
    words = dict(zip(table["location"], table["published_range"], strict=True))
    assert words == {"MA": "below", "FR-REG": ""}
    text, _ = costs.report_headline(m, tco, mc, decision, {"keeps_top": 0.9}, checks)
    assert f"Caution: its modelled cost is {words['MA']} the published range" in text
