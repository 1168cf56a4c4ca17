"""Sources a reader can open (toolkit.sources) and the "rests on" lines under the headlines."""

from __future__ import annotations

import dataclasses

import nbformat
import pandas as pd
import pytest

from toolkit import refdata, sources
from toolkit.config import REFERENCE
from toolkit.glossary import jargon_found


def _sources_in(node, path=""):
    if isinstance(node, dict):
        if isinstance(node.get("source"), str):
            yield path, node.get("flag"), node["source"]
        for key, child in node.items():
            yield from _sources_in(child, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _sources_in(child, f"{path}[{i}]")


def test_every_reference_source_resolves():
    """Each `source` of the reference files cites a sources.yml entry, or says it is one of
    our own figures (derived here, convention)."""
    files = sorted(p for p in REFERENCE.glob("*.y*ml") if p.name != "sources.yml")
    rows = [(f.name, *row) for f in files for row in _sources_in(refdata.read_yaml(f, "x"))]
    assert len(rows) > 400
    unresolved = [r for r in rows if not sources.resolve(r[3], r[2])]
    assert not unresolved, unresolved[:10]


def test_sources_file_is_complete_and_plain():
    entries = sources.load_sources()
    assert len({s.id for s in entries}) == len(entries)
    for s in entries:
        assert s.short and s.citation
        assert not jargon_found(f"{s.short} {s.citation}"), s.id
    assert {k.short for k in sources.own_kinds()} == {"derived here", "convention"}


def test_cited_matches_whole_spellings():
    found = [s.short for s in sources.cited("Price from Libération 2004; wage from INSEE 2019.")]
    assert found == ["Libération 2004", "INSEE 2019"]
    assert sources.cited("no source at all here") == []
    assert [s.short for s in sources.resolve("X: INSEE Premiere 1931 sector pay", "X")] == ["INSEE 2019"]
    assert [s.short for s in sources.resolve("a made-up band", "G")] == ["convention"]
    assert sources.resolve("a made-up band", None) == []


def _nb(*texts):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(t) for t in texts]
    return nb


def test_appendix_appears_exactly_when_the_text_cites_a_source():
    plain = sources.append_sources(_nb("# Report", "No figure here is cited."))
    assert len(plain.cells) == 2
    citing = sources.append_sources(_nb("# Report", "Rests on: Paris price (dated, 2004, Libération 2004)."))
    assert len(citing.cells) == 3
    section = citing.cells[-1].source
    assert section.startswith("## Sources")
    assert "Libération 2004" in section and "staging.libe.io" in section
    assert "INSEE" not in section                     # only the sources the text cites
    assert not jargon_found(section)
    again = sources.append_sources(citing)            # a report that has its section keeps one
    assert len(again.cells) == 3


def test_runner_renders_the_sources_before_the_glossary():
    from toolkit.runner import render_report_html

    nb = _nb("# Report", "Rests on: occupancy cap (sourced, 2025, WFM Labs (occupancy)); the NPV.")
    html = render_report_html(nb, {
        "name": "x", "notebook": "n.ipynb", "notebook_sha256": "0" * 64, "period": "2026-10",
        "window": None, "parameters": {}, "inputs": [], "kernel": "k", "status": "ok",
        "error": None, "duration_s": 1.0, "started_at": "t"})
    assert ">Sources<" in html and html.index(">Sources<") < html.index(">Glossary<")


def test_figure_basis_names_flag_year_and_source():
    fig = {"value": 1.0, "year": 2018, "flag": "E", "source": "~130 EUR/month agent (2018, E)"}
    assert (sources.figure_basis("Madagascar wage basis", fig)
            == "Madagascar wage basis (estimate, 2018, Marood 2018)")
    own = {"value": 1.0, "year": 2025, "flag": "G", "source": "order of magnitude"}
    assert sources.figure_basis("premises", own) == "premises (unverified assumption, 2025)"
    assert sources.rests_on_line(["a", "b", "c"]) == "Rests on: a, b and c."


# --- "rests on": the first driver follows the ranges -------------------------------------------

def test_sourcing_rests_on_follows_the_widest_range():
    from test_costs import OVERRIDES, model

    from toolkit import costs

    base = model(method="rate_card", billing_basis="per_productive_hour")
    tor = costs.tornado(base, "MA", "FULL", against=("FR-REG", "INHOUSE"))
    first = costs.rests_on(base, tor, "MA", top=1)
    assert "premises" not in first
    wide = model(method="rate_card", billing_basis="per_productive_hour", overrides={
        **OVERRIDES, "defaults": {**OVERRIDES["defaults"],
                                  "sensitivity": {"premises_factor": {"low": 0.0, "high": 20.0}}}})
    tor = costs.tornado(wide, "MA", "FULL", against=("FR-REG", "INHOUSE"))
    assert tor["driver"].iloc[0] == "premises"
    line = costs.rests_on(wide, tor, "MA", top=2)
    # the option's own premises figure, with its flag and year (the test's override)
    assert line.startswith("Rests on: Morocco premises cost (analyst's figure, 2025")
    assert not jargon_found(line)


def test_fte_rests_on_follows_the_widest_range():
    from toolkit import planning
    from toolkit.staffing import report

    basis = planning.load_basis()
    rng = pd.date_range("2026-11-02 08:00", periods=20 * 4, freq="30min", tz="Europe/Paris")
    rng = rng[(rng.hour >= 8) & (rng.hour < 18)]
    volumes = pd.DataFrame({"ds": rng, "queue": "care", "calls": 40.0, "aht_s": 300.0})

    def first(b):
        sens = planning.fte_sensitivity(volumes, b, "2026-11", location="FR-REG")
        return sens, report.rests_on(sens, b, top=1)

    sens, line = first(basis)
    assert sens["swing_fte"].is_monotonic_decreasing and sens["swing_fte"].iloc[0] > 0
    assert sens["figure"].iloc[0] != "shrinkage.unplanned_in_shift"
    figures = dict(basis.figures)
    figures["shrinkage.unplanned_in_shift"] = {**figures["shrinkage.unplanned_in_shift"],
                                               "low": 0.0, "high": 0.6}
    sens, line = first(dataclasses.replace(basis, figures=figures))
    assert sens["figure"].iloc[0] == "shrinkage.unplanned_in_shift"
    assert line.startswith("The month's FTE depends most on the 3% unplanned in-shift "
                           "shrinkage (") and "over its range, 0% to 60%)" in line
    assert line.endswith(". Sources: SWPP 2018.") and not jargon_found(line)


@pytest.mark.parametrize("flag,word", [("D", "dated"), (None, "sourced"), ("X", "derived here")])
def test_flag_words(flag, word):
    assert sources.FLAG_WORDS[flag] == word
