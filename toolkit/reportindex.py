"""The published reports index: the periods' index and each period's index page.

``reports/index.html`` lists every published period (newest first); ``reports/<period>/
index.html`` shows what needs attention first, then each plan's reports. Both are read from
the periods' ``manifest.json`` and grouped by ``index_groups``, the order the PDF pack
(``toolkit.pdfpack``) prints in. The runner (``toolkit.runner``) writes them when it
publishes a period; the pack rewrites the periods' index, which links it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from toolkit import config, reportcard
from toolkit.atomic import write_atomic
from toolkit.pages import CSP, css, jinja_env, local_time

#: A period as folders and plans name it: a month written YYYY-MM.
PERIOD_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def read_manifest(path: Path) -> dict:
    """A published ``manifest.json``; ``{}`` when missing or unreadable (with a warning: the
    runner then executes every run of the period again)."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"warning: ignoring unreadable {path} ({exc}); every run will execute",
              file=sys.stderr)
        return {}
    return data if isinstance(data, dict) else {}


def _report_view(run: dict, timezone: str) -> dict:
    """What the index shows of one run: its card (or a title from its name) and the links."""
    outputs = run.get("outputs") or {}
    attempt = run.get("attempt_outputs") or {}
    # A stale run links its last good report: that report's card is what the reader opens.
    card = (run.get("last_good") or {}).get("card") if run.get("stale") else run.get("card")
    card = reportcard.parse(card) if card else None
    shown = card or reportcard.fallback(str(run.get("name", "")))
    word = reportcard.STATUSES[card["status"]][0] if card else None
    return {"run": run, "card": card, "title": shown["question"], "headline": shown["headline"],
            "card_status": card["status"] if card else None, "card_word": word,
            "href": outputs.get("html") or attempt.get("html"),
            "failed_attempt": not outputs.get("html") and bool(attempt.get("html")),
            "ipynb": outputs.get("ipynb"),
            "started": local_time(run.get("started_at"), timezone),
            "finished": local_time(run.get("finished_at"), timezone), "timezone": timezone}


def index_groups(manifest: dict) -> list[dict]:
    """The period's runs grouped by plan, in the order the index lists them.

    Each group: ``plan`` (path), ``title`` (the plan's description, else its path),
    ``timezone`` and ``reports`` (views of its runs, by notebook then name). The PDF pack
    prints reports in this order.
    """
    plans_info = manifest.get("plans") or {}
    default_plan = str(manifest.get("plan") or "")
    by_plan: dict[str, list] = {}
    for run in manifest.get("runs", []):
        by_plan.setdefault(str(run.get("plan") or default_plan), []).append(run)
    groups = []
    for plan in sorted(by_plan):
        info = plans_info.get(plan) or {}
        timezone = info.get("timezone") or config.DEFAULT_TIMEZONE
        shown = config.shown_path(plan) if plan else "plan"
        groups.append({"plan": shown, "title": info.get("description") or shown,
                       "timezone": timezone,
                       "reports": [_report_view(r, timezone)
                                   for r in sorted(by_plan[plan], key=_summary_first)]})
    return groups


def _summary_first(run: dict) -> int:
    """The executive summary opens its plan's list (then the plan's order): it is the page a
    director reads first."""
    return 0 if str(run.get("name", "")).startswith("executive-summary") else 1


def _manifest_timezone(manifest: dict) -> str:
    info = (manifest.get("plans") or {}).get(str(manifest.get("plan"))) or {}
    return info.get("timezone") or config.DEFAULT_TIMEZONE


def period_name(period: str) -> str:
    """A period's month in words for titles and links (October 2026, not 2026-10); a name
    that is not a month as it is."""
    from toolkit import present

    if not re.fullmatch(r"\d{4}-\d{2}", str(period)):
        return str(period)
    return present.month(period)


def render_period_index(manifest: dict) -> str:
    """reports/<period>/index.html: what needs attention first, then each plan's reports."""
    runs = manifest["runs"]
    groups = index_groups(manifest)
    views = [v for g in groups for v in g["reports"]]
    failed = [v for v in views if v["run"].get("status") != "ok"]
    findings = [v for v in views if v["run"].get("status") == "ok"
                and v["card_status"] == "attention"]
    # A period's reports may come from several plans (default, monthly): name them all.
    plans = sorted({config.shown_path(str(r.get("plan") or manifest["plan"])) for r in runs}
                   or {config.shown_path(manifest["plan"])})
    timezone = _manifest_timezone(manifest)
    return jinja_env().get_template("period_index.html.j2").render(
        manifest=manifest, period_name=period_name(manifest["period"]), plans=plans, failed=failed, findings=findings, groups=groups,
        generated=local_time(manifest.get("generated_at"), timezone), timezone=timezone,
        csp=CSP, css=css())


def write_reports_index(root: Path) -> Path:
    """reports/index.html: one line per published period, newest first."""
    periods = []
    for path in sorted(root.glob("*/manifest.json"), reverse=True):
        if not PERIOD_RE.fullmatch(path.parent.name):
            continue
        manifest = read_manifest(path)
        runs = [r for r in manifest.get("runs", []) if isinstance(r, dict) and "name" in r]
        views = [v for g in index_groups({**manifest, "runs": runs}) for v in g["reports"]]
        periods.append({
            "period": path.parent.name, "period_name": period_name(path.parent.name),
            "runs": len(runs),
            "failed": sum(r.get("status") != "ok" for r in runs),
            "findings": sum(v["run"].get("status") == "ok" and v["card_status"] == "attention"
                            for v in views),
            "reports": views, "pack": (path.parent / "pack.pdf").is_file(),
            "generated_at": manifest.get("generated_at", ""),
            "generated": local_time(manifest.get("generated_at"), _manifest_timezone(manifest))})
    target = root / "index.html"
    write_atomic(target, jinja_env().get_template("reports_index.html.j2").render(
        periods=periods, csp=CSP, css=css()))
    return target


__all__ = ["PERIOD_RE", "index_groups", "period_name", "read_manifest", "render_period_index",
           "write_reports_index"]
