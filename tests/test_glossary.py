"""Tests for toolkit.glossary: terms found by whole word, abbreviations by case, the KPI
catalogue joined in, the section appended once to the rendered copy only."""

from __future__ import annotations

import nbformat
import pytest

from toolkit import glossary
from toolkit.glossary import Term

TERMS = [Term("NPV", "Net present value.", ("net present cost",)),
         Term("occupancy", "Share of time on calls.", ("OCC",)),
         Term("SL", "Service level.")]


def test_terms_found_by_whole_word_and_alias():
    used = glossary.terms_used("The net present cost is lower; OCC at 85 %.", TERMS)
    assert [t.term for t in used] == ["NPV", "occupancy"]


def test_abbreviations_are_case_sensitive_and_whole_words():
    assert glossary.terms_used("the npv, NPVs, SLA and sl", TERMS) == []
    assert [t.term for t in glossary.terms_used("SL met", TERMS)] == ["SL"]


def test_phrases_match_any_case():
    assert [t.term for t in glossary.terms_used("Occupancy capped", TERMS)] == ["occupancy"]


def test_reference_file_and_kpi_catalogue_load():
    terms = glossary.load_terms()
    names = {t.term for t in terms}
    assert {"NPV", "FTE", "MASE", "status quo"} <= names  # the glossary file
    assert {"ASA", "AHT"} <= names  # the KPI catalogue
    assert all(t.meaning and "\n" not in t.meaning for t in terms)


def test_bad_glossary_file_names_the_entry(tmp_path):
    bad = tmp_path / "glossary.yml"
    bad.write_text("terms:\n  - term: NPV\n")
    with pytest.raises(ValueError, match=r"terms\[0\].*'meaning'"):
        glossary.load_terms(bad, catalogue_path=None)


def _notebook(*markdown, output_html=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(m) for m in markdown]
    if output_html:
        code = nbformat.v4.new_code_cell("x")
        code.outputs = [nbformat.v4.new_output("display_data", {"text/html": output_html})]
        nb.cells.append(code)
    return nb


def test_visible_text_reads_outputs_without_tags_or_styles():
    nb = _notebook("# Title", output_html="<style>.NPV{}</style><td>SL</td>")
    text = glossary.visible_text(nb)
    assert "SL" in text and "NPV" not in text and "<td>" not in text


def test_glossary_appended_once_with_used_terms_only():
    nb = _notebook("The NPV of each option.")
    glossary.append_glossary(nb, TERMS)
    last = nb.cells[-1].source
    assert last.startswith("## Glossary") and "**NPV**" in last and "occupancy" not in last
    glossary.append_glossary(nb, TERMS)  # already has one: not a second
    assert sum(c.source.startswith("## Glossary") for c in nb.cells) == 1


def test_no_terms_no_section():
    nb = _notebook("Nothing technical here.")
    glossary.append_glossary(nb, TERMS)
    assert len(nb.cells) == 1


def test_meanings_are_escaped_as_text():
    nb = _notebook("SL")
    glossary.append_glossary(nb, [Term("SL", "<img src=x onerror=alert(1)> [x](y)")])
    assert "<img" not in nb.cells[-1].source and "](" not in nb.cells[-1].source


def test_jargon_found_lists_developer_words_identifiers_and_paths():
    text = ("Written atomically to /home/analyst/project/data/processed/x.parquet; rate_card True; "
            "the forecast table (data/processed relative) is fine.")
    found = glossary.jargon_found(text)
    assert "atomically" in found and "parquet" in found and "True" in found
    assert "rate_card" in found and "/home/" in found
    assert glossary.jargon_found("Net present value of each option: 17.5 M EUR.") == []


def test_jargon_true_is_case_sensitive_word():
    assert glossary.jargon_found("it is true that", ["True"]) == []
    assert glossary.jargon_found("flag: True", ["True"]) == ["True"]


def test_pattern_term_explains_a_family_of_codes():
    site = Term("site code", "One contract at one site.", pattern=r"(?<![\w-])[A-Z]{3,}-[A-Z]{3}(?![\w-])")
    assert glossary.terms_used("Scores of ATLAS-CAS in October", [site]) == [site]
    assert glossary.terms_used("FR-REG and L1224-1 are no site codes", [site]) == []


def test_reference_glossary_explains_the_reviewers_words():
    terms = glossary.load_terms()
    text = ("below the published range; near-shore and off-shore sites, on-shore providers; "
            "severance and social plan; Double running; lock-in: exit notice; France – regions; "
            "less pooling; damped trend; as control charts; the top-2 boxes; ATLAS-CAS")
    used = {t.term for t in glossary.terms_used(text, terms)}
    assert {"published range", "offshore", "on-shore", "social plan", "double running",
            "lock-in", "France – regions", "pooling", "damped trend", "control chart",
            "top-2 boxes", "site code"} <= used
    mstl = next(t for t in terms if t.term == "MSTL")
    assert "yearly" in mstl.meaning and "daily" not in mstl.meaning


def test_bad_pattern_names_the_entry(tmp_path):
    path = tmp_path / "g.yml"
    path.write_text("terms:\n  - {term: x, meaning: y, pattern: '(['}\n")
    with pytest.raises(ValueError, match=r"terms\[0\].*pattern"):
        glossary.load_terms(path, None)


def test_staffing_words_agree_with_the_staffing_report():
    import re

    terms = {t.term: t for t in glossary.load_terms()}
    # shrinkage: the in-shift kind the plans use; absence counts in an FTE's yearly hours
    shrinkage = terms["shrinkage"].meaning
    assert "in-shift" in shrinkage and "breaks, coaching, training" in shrinkage
    assert "absence are not shrinkage here" in shrinkage and "hours one FTE works" in shrinkage
    # an example no reader takes for the report's own queue-days (3 queues over 24 days)
    example = terms["queue-day"].meaning
    assert not re.search(r"\b(23|24|69|72)\b", example)
    # percentages written as the reports write them (present.percent, en_GB: 80%)
    assert not [t.term for t in terms.values() if re.search(r"\d %", t.meaning + t.term)]
    # the band is still found when a locale writes 80 % (fr_FR), without showing that spelling
    band = terms["80% band"]
    assert band.used_in("80 % range") and band.used_in("the 80% range")
    assert not any(re.search(r"\d %", a) for a in band.aliases)
