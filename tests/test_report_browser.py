"""Hostile names through a real report, checked in headless Chromium.

A provider name carrying script payloads goes through plan -> papermill -> HTML (markdown,
print and DataFrame outputs, run card, index). Chromium loads the page: had any payload
run, the page title would be "PWNED" or a <pwned-marker> element would exist. A control page
with the same payload unescaped proves the check can fail. Screenshots are kept under
reports/test-artifacts/ for a human look.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess  # noqa: S404 - fixed argv, no shell
from pathlib import Path

import pytest

from toolkit.config import REPORTS
from toolkit.pages import CSP
from toolkit.runner import run_plan

PAYLOADS = [
    "<script>document.title='PWNED'</script>",
    "<img src=x onerror=\"document.body.appendChild(document.createElement('pwned-marker'))\">",
    "</td><script>document.title='PWNED'</script>",
]
HOSTILE = "Nordcall " + " ".join(PAYLOADS)
ARTIFACTS = REPORTS / "test-artifacts"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("chromium is required under CI (apt-get install -y chromium)")
    pytest.skip("chromium not installed (apt-get install -y chromium; `make test` does it)")


def browse(page: Path, profile: Path, screenshot: Path | None = None) -> str:
    """The DOM of ``page`` after Chromium has loaded it (and run whatever scripts it could)."""
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}"]
    uri = page.resolve().as_uri()
    dom = subprocess.run([*args, "--dump-dom", uri], capture_output=True, text=True,  # noqa: S603
                         timeout=60, check=True).stdout
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*args, "--window-size=1200,1400", f"--screenshot={screenshot}", uri],  # noqa: S603
                       capture_output=True, timeout=60, check=True)
        assert screenshot.stat().st_size > 1000
    return dom


def title_of(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    return match.group(1) if match else ""


def assert_no_payload_ran(dom: str) -> None:
    assert title_of(dom) != "PWNED"
    assert "<pwned-marker" not in dom
    # No live handler attribute on any element (escaped text "&lt;img ... onerror=" is fine).
    assert not re.search(r"<[a-zA-Z][^<>]*\son[a-z]+\s*=", dom)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    chromium()  # skip (or fail under CI) before spending a kernel start
    tmp = tmp_path_factory.mktemp("hostile")
    plan = tmp / "plan.yml"
    # JSON is valid YAML: the payload's quotes need no YAML escaping.
    plan.write_text(json.dumps({"runs": [{"name": "hostile",
                                          "notebook": "tests/notebooks/hostile.ipynb",
                                          "parameters": {"provider": HOSTILE}}]}))
    summary = run_plan(plan, period="2026-10", executor="serial", reports_dir=tmp / "reports",
                       progress=False)
    assert summary.exit_code == 0
    return tmp, summary.reports_dir


def test_hostile_names_render_as_text_and_never_execute(hostile_report):
    tmp, period_dir = hostile_report
    page = period_dir / "hostile.html"
    source = page.read_text()
    assert f'content="{CSP}"' in source.replace("&#x27;", "'")
    assert "<script" not in source.lower()
    dom = browse(page, tmp / "profile", ARTIFACTS / "hostile_report.png")
    assert_no_payload_ran(dom)
    assert title_of(dom) == "hostile"
    # The name is shown as text: in the run card, the print() output and the DataFrame cell.
    escaped = html.escape("<script>document.title='PWNED'</script>", quote=False)
    assert dom.count(escaped) >= 3
    assert html.escape("</td><script>", quote=False) in dom


def test_index_escapes_names(hostile_report):
    tmp, period_dir = hostile_report
    dom = browse(period_dir / "index.html", tmp / "profile-index", ARTIFACTS / "hostile_index.png")
    assert_no_payload_ran(dom)
    assert html.escape("<script>document.title='PWNED'</script>", quote=False) in dom


def test_check_detects_an_unsafe_page(tmp_path):
    """Control: the same payload, unescaped and without CSP, does run; the check notices."""
    page = tmp_path / "unsafe.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>ok</title></head><body><table><tr>"
                    f"<td>{HOSTILE}</td></tr></table></body></html>")
    dom = browse(page, tmp_path / "profile")
    with pytest.raises(AssertionError):
        assert_no_payload_ran(dom)
    assert title_of(dom) == "PWNED" and "<pwned-marker" in dom
