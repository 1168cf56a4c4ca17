"""Report cards: checked, escaped, shown once to reviewers and read by the runner into the
manifest and the period's index (question, headline, status in words and colour)."""

from __future__ import annotations

import json
import re
import subprocess  # noqa: S404 - runs `python -m toolkit`, no shell
import sys

import nbformat
import pytest

from toolkit import pages, pdfpack, reportcard, runner
from toolkit.config import ROOT
from toolkit.runner import PlanError, run_plan

NB = "tests/notebooks"
HOSTILE = "FCR <b>4 points</b> below target & \u202eupside down"


def test_card_is_checked_and_the_error_names_the_argument():
    assert reportcard.make(" Is it  ok? ", "Yes", "info") == {
        "question": "Is it ok?", "headline": "Yes", "status": "info"}
    with pytest.raises(ValueError, match=r"status = 'red'; expected one of 'ok', 'attention'"):
        reportcard.make("Q?", "A", "red")
    with pytest.raises(ValueError, match="headline = ''; expected a non-empty sentence"):
        reportcard.make("Q?", "", "ok")
    with pytest.raises(ValueError, match="question has 301 characters; at most 300"):
        reportcard.make("x" * 301, "A")


def test_card_html_escapes_data_and_states_status_in_words_and_colour():
    html = reportcard.to_html(reportcard.make("Is <i>it</i> ok?", HOSTILE, "attention"))
    assert "&lt;b&gt;4 points&lt;/b&gt; below target &amp; upside down" in html
    assert "<b>" not in html and "<i>" not in html and "\u202e" not in html
    assert "Needs attention" in html and "#c62828" in html and "cc-card-attention" in html


def test_runner_reads_the_card_and_the_html_never_prints_its_json():
    nb = nbformat.v4.new_notebook()
    card = reportcard.make("Is the provider delivering?", HOSTILE, "attention")
    nb.cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data=reportcard.bundle(card))])]
    cleaned = runner.clean_notebook(nb)
    assert reportcard.read(cleaned) == card
    page = runner.render_report_html(cleaned, {
        "name": "x", "notebook": "n.ipynb", "notebook_sha256": "0" * 64, "period": "2026-10",
        "window": None, "parameters": {}, "inputs": [], "kernel": "k", "status": "ok",
        "error": None, "duration_s": 1.0, "started_at": "t"})
    assert page.count("Is the provider delivering?") == 1
    assert reportcard.MIME not in page and '"headline"' not in page
    assert "&lt;b&gt;4 points&lt;/b&gt;" in page


def test_a_malformed_card_is_dropped_not_published():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={reportcard.MIME: {"question": "Q?", "status": "green"},
                              "text/plain": "card"})])]
    cleaned = runner.clean_notebook(nb)
    assert reportcard.read(cleaned) is None
    assert reportcard.MIME not in cleaned.cells[0].outputs[0]["data"]


def test_a_report_without_card_gets_a_title_from_its_run_name():
    assert reportcard.fallback("kpi-NORDCALL-AMI")["question"] == "Kpi NORDCALL AMI"
    assert reportcard.fallback("volume_forecast")["question"] == "Volume forecast"


@pytest.fixture(scope="module")
def carded(tmp_path_factory):
    """A plan with a carded report (hostile headline) and one without, run once."""
    tmp = tmp_path_factory.mktemp("card")
    plan = tmp / "plan.yml"
    plan.write_text(json.dumps({
        "description": "Monthly provider review", "timezone": "America/Montreal",
        "runs": [{"name": "provider-review", "notebook": f"{NB}/card.ipynb",
                  "parameters": {"headline": HOSTILE}},
                 {"name": "tiny", "notebook": f"{NB}/tiny.ipynb"}]}))
    summary = run_plan(plan, period="2026-10", executor="serial", reports_dir=tmp / "reports",
                       progress=False)
    assert summary.exit_code == 0
    return plan, summary


def test_the_manifest_and_the_index_carry_the_card(carded):
    plan, summary = carded
    manifest = json.loads(summary.manifest_path.read_text())
    entry = next(r for r in manifest["runs"] if r["name"] == "provider-review")
    assert entry["card"] == {"question": "Is the provider delivering?",
                             "headline": "FCR <b>4 points</b> below target & upside down",
                             "status": "attention"}
    assert next(r for r in manifest["runs"] if r["name"] == "tiny")["card"] is None
    assert manifest["plans"][str(plan)]["timezone"] == "America/Montreal"
    index = summary.index_path.read_text()
    findings = index.index("Needs attention (1)")
    group = index.index("<h2>Monthly provider review</h2>")
    assert findings < group  # what needs attention comes first
    assert index.count('<a href="provider-review.html">Is the provider delivering?</a>') == 2
    assert "FCR &lt;b&gt;4 points&lt;/b&gt; below target &amp; upside down" in index
    assert '<span class="cc-card-status cc-card-attention">Needs attention</span>' in index
    assert ">Tiny<" in index and "states no headline yet" in index
    assert "times in America/Montreal" in index
    assert re.search(r"\d\d:\d\d E[SD]T</time>", index)  # Montreal's clock, not UTC
    top = (summary.reports_dir.parent / "index.html").read_text()
    assert "1 report needs attention" in top and "Is the provider delivering?" in top


def test_an_unchanged_rerun_keeps_the_card(carded):
    plan, summary = carded
    again = run_plan(plan, period="2026-10", executor="serial",
                     reports_dir=summary.reports_dir.parent, progress=False)
    review = next(r for r in again.results if r["name"] == "provider-review")
    assert review["skipped"] and review["card"]["status"] == "attention"
    assert "Needs attention (1)" in again.index_path.read_text()


def test_plan_timezone_and_pdf_keys_are_checked(tmp_path):
    plan = tmp_path / "plan.yml"
    plan.write_text(json.dumps({"timezone": "Paris", "pdf": "yes",
                                "runs": [{"name": "tiny", "notebook": f"{NB}/tiny.ipynb"}]}))
    runner.load_plan(plan)  # accepted as plan keys ...
    with pytest.raises(PlanError) as caught:  # ... and their values checked before any run
        run_plan(plan, period="2026-10", executor="serial", reports_dir=tmp_path / "r",
                 progress=False)
    text = str(caught.value)
    assert "timezone = 'Paris' is not a time zone name" in text and "pdf = 'yes'" in text
    assert not (tmp_path / "r" / "2026-10").exists()


def test_times_are_shown_in_the_plans_local_time():
    # in words, as the reports write dates, with the zone the clock shows
    assert pages.local_time("2026-10-31T23:30:00+00:00") == "1 Nov 2026, 00:30 CET"
    assert pages.local_time("2026-07-01T10:00:00+00:00") == "1 Jul 2026, 12:00 CEST"
    assert pages.local_time("2026-07-01T10:00:00+00:00", "Africa/Casablanca").startswith(
        "1 Jul 2026, 11:00")
    assert pages.local_time(None) == "" and pages.local_time("soon") == "soon"
    assert pages.month_name("2026-10") == "October 2026" and pages.month_name("soon") == "soon"


def _manifest(period_dir, names):
    period_dir.mkdir(parents=True)
    runs = []
    for name in names:
        (period_dir / f"{name}.html").write_text("<html></html>")
        runs.append({"name": name, "notebook": f"notebooks/{name}.ipynb", "status": "ok",
                     "plan": "plans/default.yml", "outputs": {"html": f"{name}.html"},
                     "card": None})
    runs.append({"name": "broken", "notebook": "notebooks/b.ipynb", "status": "failed",
                 "plan": "plans/default.yml", "outputs": {}})
    (period_dir / "manifest.json").write_text(json.dumps(
        {"period": period_dir.name, "plan": "plans/default.yml", "runs": runs}))


def test_the_pack_opens_with_the_executive_summary_else_the_index(tmp_path):
    _manifest(tmp_path / "2026-10", ["staffing", "executive-summary", "kpi"])
    pages = pdfpack.pack_pages(tmp_path / "2026-10")
    # then the index's order (the manifest's: by notebook, then name)
    assert [p.name for _, p in pages] == ["executive-summary.html", "staffing.html", "kpi.html"]
    _manifest(tmp_path / "2026-09", ["staffing", "kpi"])
    pages = pdfpack.pack_pages(tmp_path / "2026-09")
    assert [p.name for _, p in pages] == ["index.html", "staffing.html", "kpi.html"]
    assert pages[0][0] == "Reports for September 2026"
    assert pdfpack.newest_period(tmp_path) == "2026-10"


def _pdf_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "toolkit", "pdf", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def test_pdf_command_says_what_is_missing(tmp_path):
    import os

    done = _pdf_cli("--period", "2026-10", "--reports-dir", str(tmp_path))
    assert done.returncode == runner.EXIT_PLAN_REJECTED
    assert "no report for period 2026-10" in done.stderr and "manifest.json" in done.stderr
    _manifest(tmp_path / "2026-10", ["kpi"])
    env = {**os.environ, "CC_CHROMIUM": "no-such-chromium"}
    done = _pdf_cli("--period", "2026-10", "--reports-dir", str(tmp_path), env=env)
    assert done.returncode == runner.EXIT_INFRASTRUCTURE
    assert "CC_CHROMIUM='no-such-chromium' is not an executable" in done.stderr
    assert not (tmp_path / "2026-10" / "pack.pdf").exists()
