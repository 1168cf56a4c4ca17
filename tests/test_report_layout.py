"""Reviewer pages fit their screen and their paper: checked in headless Chromium.

Every report of a plan that mirrors plans/default.yml is rendered once on the small sample
(module fixture). Then each page is checked

(a) on screen at 1300 px: the page never scrolls sideways, and no table is wider than the box
    that holds it unless that box scrolls (a measuring script runs in a test copy of the page
    whose CSP meta is removed; its verdict is read from ``--dump-dom``);
(b) on A4 paper (``--print-to-pdf``, the reports' print stylesheet): every page is A4 and
    every table header cell of the HTML is in the PDF text (a clipped table loses its right
    columns, and with them their headers).

Control pages prove each check can fail: a 3000 px wide table that does not wrap fails (a);
the same table printed without the reports' stylesheet loses headers in (b).
"""

from __future__ import annotations

import html
import json
import re
import subprocess  # noqa: S404 - fixed argv, no shell
import time
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_report_browser import chromium  # tests/ is on sys.path under pytest

from toolkit import config, io, pages, pdfpack, runner, sample, yamlsafe
from toolkit.runner import run_plan

WIDTH = 1300
#: A4 in PostScript points (210 x 297 mm); Chromium rounds to 1/100 of a point or so.
A4_PT = (595.28, 841.89)
PERIOD = "2026-10"

#: Appended to a test copy of a page: measures the layout once the page has loaded, and
#: writes its verdict into the DOM, where --dump-dom shows it.
MEASURE = """<script>
window.addEventListener('load', function () {
  var root = document.documentElement, problems = [];
  var viewport = root.clientWidth;
  if (root.scrollWidth > viewport + 1)
    problems.push('the page scrolls sideways: ' + root.scrollWidth + ' px wide in a ' +
                  viewport + ' px window');
  var tables = document.querySelectorAll('table');
  tables.forEach(function (table, i) {
    var label = (table.tHead ? table.tHead.textContent : table.textContent)
      .replace(/\\s+/g, ' ').trim().slice(0, 50);
    var inner = table, width = table.getBoundingClientRect().width;
    for (var box = table.parentElement; box && box !== document.body; box = box.parentElement) {
      var overflow = getComputedStyle(box).overflowX;
      if (overflow === 'visible') continue;
      var scrolls = (overflow === 'auto' || overflow === 'scroll');
      if (width > box.clientWidth + 1 && !scrolls)
        problems.push('table ' + i + ' (' + label + ') is ' + Math.round(width) +
                      ' px wide in a ' + box.clientWidth + ' px box that does not scroll (' +
                      box.tagName.toLowerCase() + '.' + box.className + ', overflow-x ' +
                      overflow + ')');
      if (scrolls) { inner = box; width = box.getBoundingClientRect().width; }
    }
    if (width > viewport + 1)
      problems.push('table ' + i + ' (' + label + ') reaches ' + Math.round(width) +
                    ' px, past the ' + viewport + ' px window');
  });
  var verdict = document.createElement('pre');
  verdict.id = 'cc-layout-verdict';
  verdict.textContent = JSON.stringify({viewport: viewport, scrollWidth: root.scrollWidth,
                                        tables: tables.length, problems: problems});
  document.body.appendChild(verdict);
});
</script>"""
_CSP_META = re.compile(r"<meta[^>]*Content-Security-Policy[^>]*>", re.IGNORECASE)


def browser_args(profile: Path) -> list[str]:
    return pdfpack.chromium_args(chromium(), profile)


def measure(page: Path, work: Path) -> dict:
    """Layout verdict of ``page`` at WIDTH px (a script-enabled copy is measured)."""
    source = page.read_text(encoding="utf-8")
    assert _CSP_META.search(source) or "cc-control" in source, f"{page.name} carries no CSP"
    copy = work / f"measure-{page.name}"
    copy.write_text(_CSP_META.sub("", source).replace("</body>", MEASURE + "</body>"),
                    encoding="utf-8")
    dom = subprocess.run([*browser_args(work / "profile"), f"--window-size={WIDTH},1000",
                          "--virtual-time-budget=15000", "--dump-dom", copy.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    found = re.search(r'<pre id="cc-layout-verdict">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"the measuring script did not run on {page.name}"
    verdict = json.loads(html.unescape(found.group(1)))
    assert verdict["viewport"] >= WIDTH - 20, verdict  # the window is really 1300 px wide
    return verdict


def print_pdf(page: Path, work: Path) -> Path:
    target = work / f"{page.stem}.pdf"
    return pdfpack.print_to_pdf(page, target, chromium=chromium(), profile=work / "profile")


class _HeaderCells(HTMLParser):
    """Text of every <th> a printed page shows (the column and row labels a reader needs).

    Tables inside a closed <details> (the index's run details) are not printed, by design.
    """

    def __init__(self):
        super().__init__()
        self.cells, self._depth, self._text, self._closed = [], 0, [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "details":
            self._closed += self._closed > 0 or "open" not in dict(attrs)
        elif tag == "th" and not self._closed:
            self._depth += 1
            self._text = []

    def handle_endtag(self, tag):
        if tag == "details" and self._closed:
            self._closed -= 1
        elif tag == "th" and self._depth:
            self._depth -= 1
            self.cells.append(" ".join("".join(self._text).split()))

    def handle_data(self, data):
        if self._depth:
            self._text.append(data)


def header_cells(page: Path) -> list[str]:
    parser = _HeaderCells()
    parser.feed(page.read_text(encoding="utf-8"))
    return [c for c in dict.fromkeys(parser.cells) if c]


def _squash(text: str) -> str:
    """Text compared without spaces, hyphenation or ligatures (wrapped cells break words)."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\u00ad\u200b-]+", "", text)


def pdf_problems(page: Path, pdf: Path) -> list[str]:
    """Why ``pdf`` is not a faithful A4 print of ``page`` (empty list when it is)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    wrong = [(i, w, h) for i, (w, h) in enumerate(sizes, start=1)
             if abs(w - A4_PT[0]) > 2 or abs(h - A4_PT[1]) > 2]
    problems = [f"{len(wrong)} of {len(sizes)} pages are not A4 ({A4_PT[0]:.0f} x "
                f"{A4_PT[1]:.0f} pt): page {wrong[0][0]} is {wrong[0][1]:.0f} x "
                f"{wrong[0][2]:.0f} pt"] if wrong else []
    text = _squash("".join(p.extract_text() or "" for p in reader.pages))
    missing = [c for c in header_cells(page) if _squash(c) not in text]
    if missing:
        problems.append(f"{len(missing)} table header(s) missing from the PDF (clipped?): "
                        + ", ".join(repr(c) for c in missing[:8]))
    return problems


# ------------------------------------------------------------------------------ the reports


def mirror_plan(tmp: Path) -> Path:
    """plans/default.yml with its data folders pointed at a small sample under ``tmp``."""
    raw, processed = tmp / "raw", tmp / "processed"
    sample.generate(raw, seed=sample.DEFAULT_SEED, small=True)
    io.process_raw(raw, processed)
    plan = yamlsafe.load((config.PLANS / "default.yml").read_text(encoding="utf-8"))

    def moved(value):
        if isinstance(value, str):
            for folder, target in (("data/raw", raw), ("data/processed", processed)):
                if value == folder or value.startswith(folder + "/"):
                    return str(target) + value[len(folder):]
            return value
        if isinstance(value, list):
            return [moved(v) for v in value]
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        return value

    for entry in plan["runs"]:
        entry["parameters"] = moved(entry.get("parameters") or {})
    plan["description"] = "Small sample, as plans/default.yml"
    path = tmp / "plan.yml"
    path.write_text(json.dumps(plan), encoding="utf-8")  # JSON is YAML
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every report of the mirrored plan, rendered once (3 to 5 minutes on 2 shared cores)."""
    chromium()  # skip (or fail under CI) before spending minutes of kernels
    tmp = tmp_path_factory.mktemp("layout")
    plan = mirror_plan(tmp)
    started = time.perf_counter()
    # Serial: on 2 shared cores a process pool measured no faster (184 s against 185 s).
    summary = run_plan(plan, period=PERIOD, executor="serial", reports_dir=tmp / "reports",
                       progress=False)
    elapsed = time.perf_counter() - started
    print(f"\nmirrored default plan: {len(summary.results)} reports in {elapsed:.0f} s")
    assert summary.exit_code == 0, [(r["name"], r["error"]) for r in summary.results]
    pages = sorted(summary.reports_dir.glob("*.html")) + [summary.reports_dir.parent / "index.html"]
    return tmp, summary, pages


def test_the_mirrored_plan_rendered_every_report(rendered):
    _, summary, pages = rendered
    names = {r.name for r in runner.load_plan(config.PLANS / "default.yml")[0]}
    assert {p.stem for p in pages} >= names | {"index"}


def test_no_page_scrolls_sideways_at_1300_px(rendered):
    tmp, _, pages = rendered
    work = tmp / "screen"
    work.mkdir(exist_ok=True)
    problems = {}
    for page in pages:
        verdict = measure(page, work)
        if verdict["problems"]:
            problems[page.name] = verdict["problems"]
    assert not problems, json.dumps(problems, indent=1)


def test_every_page_prints_on_a4_with_no_table_clipped(rendered):
    tmp, _, pages = rendered
    work = tmp / "print"
    work.mkdir(exist_ok=True)
    problems = {}
    for page in pages:
        found = pdf_problems(page, print_pdf(page, work))
        if found:
            problems[page.name] = found
    assert not problems, json.dumps(problems, indent=1)


def test_the_pdf_pack_holds_every_report_in_index_order(rendered):
    from pypdf import PdfReader

    _, summary, _ = rendered
    pack = pdfpack.build_pack(PERIOD, summary.reports_dir.parent)
    reader = PdfReader(pack)
    titles = [item.title for item in reader.outline]
    pages = pdfpack.pack_pages(summary.reports_dir)
    assert titles == [title for title, _ in pages]
    assert pages[0][1].name == "executive-summary.html"  # the summary opens the pack
    assert len(titles) == len(summary.results)  # the summary instead of the index, then the rest
    assert all(abs(float(p.mediabox.width) - A4_PT[0]) <= 2 for p in reader.pages)


# ------------------------------------------------------------------------ the checks can fail


def _wide_table_page(tmp_path: Path, css: str = "") -> Path:
    headers = "".join(f"<th>Column{i:02d}_{'x' * 40}</th>" for i in range(30))
    cells = "".join(f"<td>{'value' * 12}{i}</td>" for i in range(30))
    page = tmp_path / "wide.html"
    page.write_text(f"<!DOCTYPE html><html class='cc-control'><head><meta charset='utf-8'>"
                    f"<style>th, td {{ white-space: nowrap; }} {css}</style></head><body>"
                    f"<table style='width:3000px'><thead><tr>{headers}</tr></thead>"
                    f"<tbody><tr>{cells}</tr></tbody></table></body></html>", encoding="utf-8")
    return page


def test_layout_check_fails_on_a_3000_px_table_that_does_not_wrap(tmp_path):
    verdict = measure(_wide_table_page(tmp_path), tmp_path)
    assert verdict["scrollWidth"] > 2900
    assert any("scrolls sideways" in p for p in verdict["problems"])
    assert any("past the" in p for p in verdict["problems"])


def test_print_check_fails_on_a_clipped_table(tmp_path):
    """Without the reports' print stylesheet, the 3000 px table is cut at the paper's edge."""
    page = _wide_table_page(tmp_path, "@page { size: A4; } table { table-layout: fixed; } "
                                      "body { overflow: hidden; }")
    problems = pdf_problems(page, print_pdf(page, tmp_path))
    assert any("table header(s) missing" in p for p in problems), problems
    letter = tmp_path / "letter.html"
    letter.write_text("<!DOCTYPE html><html><head><style>@page { size: letter; }</style>"
                      "</head><body><p>x</p></body></html>", encoding="utf-8")
    assert any("not A4" in p for p in pdf_problems(letter, print_pdf(letter, tmp_path)))


def test_reports_css_keeps_wide_tables_inside_the_page_and_the_paper(tmp_path):
    """The reports' stylesheet passes both checks with the same wide table."""
    css = (pages.TEMPLATES / "reports.css").read_text(encoding="utf-8")
    page = _wide_table_page(tmp_path, css)
    text = page.read_text(encoding="utf-8").replace("<table", "<div class='cc-table-wrap'><table")
    text = text.replace("</table>", "</table></div>").replace("style='width:3000px'", "")
    page.write_text(text, encoding="utf-8")
    assert measure(page, tmp_path)["problems"] == []
    assert pdf_problems(page, print_pdf(page, tmp_path)) == []


def test_plan_option_pdf_prints_the_pack_after_the_runs(tmp_path):
    from pypdf import PdfReader

    chromium()
    plan = tmp_path / "plan.yml"
    plan.write_text(json.dumps({"pdf": True, "runs": [
        {"name": "tiny", "notebook": "tests/notebooks/tiny.ipynb"}]}))
    summary = run_plan(plan, period=PERIOD, executor="serial", reports_dir=tmp_path / "reports",
                       progress=False)
    pack = summary.reports_dir / "pack.pdf"
    assert summary.exit_code == 0 and pack.is_file()
    assert [item.title for item in PdfReader(pack).outline] == ["Reports for October 2026", "Tiny"]
    assert 'href="2026-10/pack.pdf"' in (tmp_path / "reports" / "index.html").read_text()


def test_a_wide_dataframe_scrolls_on_screen_and_wraps_on_paper(tmp_path):
    """A 40-column DataFrame output, rendered like every report (nbconvert + reports.css)."""
    import nbformat
    import pandas as pd

    frame = pd.DataFrame({f"indicator_{i:02d}_{'long' * 4}": [1234567.891 * i, 2.5]
                          for i in range(40)})
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Wide\n## First section"),
                nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
                    "execute_result", data={"text/html": frame.to_html(), "text/plain": "df"},
                    execution_count=1)])]
    card = {"name": "wide", "notebook": "n.ipynb", "notebook_sha256": "0" * 64,
            "period": PERIOD, "window": None, "parameters": {}, "inputs": [], "kernel": "k",
            "status": "ok", "error": None, "duration_s": 1.0, "started_at": "t"}
    page = tmp_path / "wide.html"
    page.write_text(runner.render_report_html(runner.clean_notebook(nb), card), encoding="utf-8")
    verdict = measure(page, tmp_path)
    assert verdict["problems"] == [] and verdict["tables"] >= 1, verdict
    assert pdf_problems(page, print_pdf(page, tmp_path)) == []
    # Without the reports' stylesheet the same page fails both checks.
    bare = tmp_path / "bare.html"
    css = (pages.TEMPLATES / "reports.css").read_text(encoding="utf-8")
    bare.write_text(page.read_text(encoding="utf-8").replace(css, ""), encoding="utf-8")
    assert any("header(s) missing" in p for p in pdf_problems(bare, print_pdf(bare, tmp_path)))


def test_no_report_shows_developer_words_or_machine_paths(rendered):
    """Plain language (issue 14 item 5): what a reviewer reads in each report — its prose and
    outputs — holds none of the deny-listed developer words (toolkit/reference/glossary.yml),
    no code identifier and no machine path; the whole page, run card included, no machine path."""
    import nbformat

    from toolkit import glossary

    _, summary, pages = rendered
    problems = {}
    for page in pages:
        executed = page.with_suffix(".ipynb")
        found = []
        if executed.exists():
            found = glossary.jargon_found(glossary.visible_text(nbformat.read(executed, 4)))
        page_html = re.sub(r'<section[^>]*cc-run-card.*?</section>|<details.*?</details>', "",
                           page.read_text(), flags=re.DOTALL)
        text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]*"', "", page_html)))
        found += [m.group() for m in glossary.ABSOLUTE_PATH.finditer(text)]
        if found:
            problems[page.name] = found
    assert not problems, json.dumps(problems, indent=1)


def test_every_report_has_its_card_and_ends_with_a_glossary(rendered):
    """Each report states its question and headline (report card, read into the manifest for
    the index) and explains the terms it uses (glossary appended by the runner)."""
    _, summary, pages = rendered
    manifest = json.loads((summary.reports_dir / "manifest.json").read_text())
    runs = manifest["runs"] if isinstance(manifest["runs"], list) else list(manifest["runs"].values())
    without_card = [r["name"] for r in runs if not (r.get("card") or {}).get("headline")]
    assert not without_card, without_card
    for page in pages:
        if page.name == "index.html":
            continue
        assert ">Glossary<" in page.read_text(), f"{page.name} has no glossary"
