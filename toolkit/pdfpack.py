"""The period's PDF pack: every published report printed on A4, in one file for the committee.

Reviewers who read on paper (or forward one attachment) get ``reports/<period>/pack.pdf``:
the executive summary first (the run named ``executive-summary``; the period's index page
when there is none), then every other report that ran ok, in the order of the index. Each
page is printed by headless Chromium with the reports' A4 print stylesheet (the same engine
the layout test checks), then merged with pypdf, one bookmark per report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess  # noqa: S404 - runs chromium with a fixed argv, no shell
import sys
import tempfile
from pathlib import Path

from toolkit import config
from toolkit.reportindex import PERIOD_RE, index_groups, period_name, write_reports_index

#: Run whose report opens the pack.
SUMMARY_RUN = "executive-summary"
#: Chromium binaries looked for on PATH (Debian: chromium; others: chromium-browser).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
#: Seconds one page may take to print before the pack gives up.
PRINT_TIMEOUT_S = 120


class PackError(RuntimeError):
    """The pack cannot be printed; the message says what is missing and how to get it."""


class ChromiumError(PackError):
    """Chromium is missing or could not print a page (infrastructure, exit 3)."""


def find_chromium() -> str:
    """The Chromium binary: ``CC_CHROMIUM`` if set, else the first of ``CHROMIUM_NAMES``."""
    named = os.environ.get("CC_CHROMIUM")
    if named:
        if shutil.which(named):
            return shutil.which(named)
        raise ChromiumError(f"CC_CHROMIUM={named!r} is not an executable; point it at a Chromium "
                        "binary or unset it to look for chromium on PATH")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumError("chromium not found on PATH (looked for "
                    f"{', '.join(CHROMIUM_NAMES)}); the PDF pack is printed by headless "
                    "Chromium: install it (Debian: apt-get install chromium, or `make browser` "
                    "as root) or set CC_CHROMIUM to its path")


def chromium_args(chromium: str, profile: Path) -> list[str]:
    """Headless Chromium that loads local files only and keeps nothing between runs."""
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}"]


def print_to_pdf(page: Path, target: Path, *, chromium: str | None = None,
                 profile: Path | None = None) -> Path:
    """Print one HTML page to ``target`` as Chromium does on paper (A4 from the print CSS).

    No header or footer (date, file path: the machine's paths stay off the pages).
    """
    chromium = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="cc-pdf-") as tmp:
        args = [*chromium_args(chromium, profile or Path(tmp) / "profile"),
                "--no-pdf-header-footer", f"--print-to-pdf={target}", page.resolve().as_uri()]
        try:
            done = subprocess.run(args, capture_output=True, text=True,  # noqa: S603
                                  timeout=PRINT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise ChromiumError(f"chromium took more than {PRINT_TIMEOUT_S} s to print "
                            f"{page.name}; the page may be too large to print") from None
    if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        last = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise ChromiumError(f"chromium could not print {page.name} (exit {done.returncode}: "
                        f"{last[0][:200]})")
    return target


def pack_pages(period_dir: Path) -> list[tuple[str, Path]]:
    """(bookmark title, page) in pack order: executive summary (else the index), then the
    other reports that ran ok, in the index's order. Raises ``PackError`` when none exists."""
    manifest_path = period_dir / "manifest.json"
    if not manifest_path.is_file():
        raise PackError(f"no report for period {period_dir.name}: {manifest_path} "
                        "does not exist; run the period first (python -m toolkit run "
                        f"plans/default.yml --period {period_dir.name})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"{manifest_path} cannot be read as JSON "
                        f"({type(exc).__name__}); re-run the period to rewrite it") from None
    summary, others = None, []
    for group in index_groups(manifest):
        for view in group["reports"]:
            run = view["run"]
            html = (run.get("outputs") or {}).get("html")
            if run.get("status") != "ok" or not html or not (period_dir / html).is_file():
                continue
            item = (view["title"], period_dir / html)
            if run.get("name") == SUMMARY_RUN and summary is None:
                summary = item
            else:
                others.append(item)
    if summary is None and not others:
        raise PackError(f"no report of period {period_dir.name} ran ok (see "
                        f"{period_dir / 'index.html'}); nothing to print")
    if summary is None:
        summary = (f"Reports for {period_name(period_dir.name)}", period_dir / "index.html")
    return [summary, *others]


def newest_period(reports_dir: str | os.PathLike | None = None) -> str:
    """The newest period published under ``reports_dir`` (a YYYY-MM folder with a manifest)."""
    root = config.project_path(reports_dir) if reports_dir else config.REPORTS
    periods = sorted(p.parent.name for p in root.glob("*/manifest.json")
                     if PERIOD_RE.fullmatch(p.parent.name))
    if not periods:
        raise PackError(f"no period published under {root}; run a plan first (python -m "
                        "toolkit run plans/default.yml) or pass --period YYYY-MM")
    return periods[-1]


def build_pack(period: str, reports_dir: str | os.PathLike | None = None, *,
               out=None) -> Path:
    """Print the period's reports and merge them into ``<reports_dir>/<period>/pack.pdf``.

    Written to a temporary file, then renamed: a reader sees the old pack or the new one.
    Raises ``PackError`` (no chromium, no report for the period, a page that fails to print).
    """
    from pypdf import PdfReader, PdfWriter

    if not PERIOD_RE.fullmatch(str(period)):
        raise PackError(f"--period {period!r} is not a month written YYYY-MM (e.g. 2026-10)")
    root = config.project_path(reports_dir) if reports_dir else config.REPORTS
    period_dir = root / period
    pages = pack_pages(period_dir)
    chromium = find_chromium()
    out = out or sys.stdout
    writer = PdfWriter()
    with tempfile.TemporaryDirectory(prefix="cc-pack-") as tmp:
        profile = Path(tmp) / "profile"
        for i, (title, page) in enumerate(pages, start=1):
            pdf = print_to_pdf(page, Path(tmp) / f"{i:03d}.pdf", chromium=chromium,
                               profile=profile)
            first = len(writer.pages)
            writer.append(PdfReader(pdf))
            writer.add_outline_item(title=title, page_number=first)
            print(f"[pdf {i}/{len(pages)}] {page.name}", file=out, flush=True)
        writer.add_metadata({"/Title": f"Reports for {period_name(period)}"})
        target = period_dir / "pack.pdf"
        fd, part = tempfile.mkstemp(dir=period_dir, prefix=".pack.pdf.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                writer.write(f)
            os.chmod(part, 0o644)
            os.replace(part, target)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    write_reports_index(root)  # the periods' index links the pack
    return target


__all__ = ["SUMMARY_RUN", "ChromiumError", "PackError", "build_pack", "find_chromium", "newest_period", "pack_pages",
           "print_to_pdf"]
