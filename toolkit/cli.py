"""Command line: ``python -m toolkit run PLAN.yml [--period YYYY-MM] [--executor ...]``
and ``python -m toolkit pdf --period YYYY-MM [--reports-dir reports]``.

Exit codes of ``run``: 0 every run ok (or unchanged), 1 some run failed, timed out or was
killed, 2 plan rejected (nothing executed), 3 infrastructure failure (e.g. dask scheduler
unreachable). Of ``pdf``: 0 pack written, 2 nothing to print (no report for the period),
3 chromium missing or failing.
"""

from __future__ import annotations

import argparse
import sys

from toolkit.executors import EXECUTORS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m toolkit",
        description="Contact-centre sourcing toolkit: run report plans.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="execute a plan of parametrised notebooks and publish reports/<period>/",
        description="Execute a plan (plans/*.yml) with papermill and publish code-free HTML "
                    "reports, manifest.json and index.html under reports/<period>/. "
                    "Exit codes: 0 all ok, 1 some run failed, 2 plan rejected, "
                    "3 infrastructure failure.")
    run.add_argument("plan", help="plan YAML, e.g. plans/default.yml")
    run.add_argument("--period", help="month reported on, YYYY-MM (default: the plan's "
                                      "default_period, else the previous calendar month)")
    run.add_argument("--executor", choices=EXECUTORS, default="local",
                     help="where runs execute (default: local process pool)")
    run.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                     help="dask scheduler address (with --executor dask; default: a local cluster)")
    run.add_argument("--workers", type=int, help="parallel runs (default: usable CPUs)")
    run.add_argument("--only", metavar="NAME", help="run only this run (or matrix entry name)")
    run.add_argument("--force", action="store_true",
                     help="re-run even runs unchanged since their last success")
    run.add_argument("--reports-dir", help="publish under this folder instead of reports/")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--lock-timeout", type=float, metavar="SECONDS", default=None,
                     help="how long to wait for another run of the same period before giving "
                          "up with exit 3 (default: 900)")
    pdf = commands.add_parser(
        "pdf", help="print the period's reports into one A4 PDF: reports/<period>/pack.pdf",
        description="Print every report of the period that ran ok with headless Chromium "
                    "(A4, the reports' print stylesheet), the executive summary first (else "
                    "the index page), the others in index order, merged into "
                    "reports/<period>/pack.pdf. Exit codes: 0 written, 2 no report for the "
                    "period, 3 chromium missing or failing.")
    pdf.add_argument("--period", help="month reported on, YYYY-MM (default: the newest "
                                      "period published under the reports folder)")
    pdf.add_argument("--reports-dir", help="reports folder (default: reports/)")
    return parser


def pdf_main(args) -> int:
    """``python -m toolkit pdf``: the period's PDF pack."""
    from toolkit import pdfpack, runner

    try:
        period = args.period or pdfpack.newest_period(args.reports_dir)
        target = pdfpack.build_pack(period, args.reports_dir)
    except pdfpack.ChromiumError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return runner.EXIT_INFRASTRUCTURE
    except pdfpack.PackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return runner.EXIT_PLAN_REJECTED
    except OSError as exc:
        print(f"error: infrastructure failure: {exc}", file=sys.stderr)
        return runner.EXIT_INFRASTRUCTURE
    print(f"PDF pack -> {target}")
    return runner.EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "pdf":
        return pdf_main(args)
    from toolkit import runner
    from toolkit.errors import ParameterError
    from toolkit.executors import ExecutorError

    if args.scheduler and args.executor != "dask":
        print("error: --scheduler needs --executor dask", file=sys.stderr)
        return runner.EXIT_PLAN_REJECTED
    try:
        summary = runner.run_plan(args.plan, period=args.period, executor=args.executor,
                                  scheduler=args.scheduler, only=args.only, force=args.force,
                                  workers=args.workers, reports_dir=args.reports_dir,
                                  progress=not args.no_progress,
                                  lock_wait_s=args.lock_timeout)
    except (runner.PlanError, ParameterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return runner.EXIT_PLAN_REJECTED
    except ExecutorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return runner.EXIT_INFRASTRUCTURE
    except OSError as exc:  # disk full, permissions, broken process pool...
        print(f"error: infrastructure failure: {exc}", file=sys.stderr)
        return runner.EXIT_INFRASTRUCTURE
    return summary.exit_code
