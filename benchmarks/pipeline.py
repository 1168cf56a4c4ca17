"""Report pipeline speed: a plan with each executor, a no-change re-run, against the floor.

The floor is what no runner can avoid: per run, start the kernel, import the notebook's
imports, shut down (measured here, summed over the plan's runs). Named peer: the naive
pipeline, one ``papermill`` CLI then one ``jupyter nbconvert --no-input`` CLI per run.
Targets: the full plan within 1.5x the floor sum; a no-change re-run under 5 s.

    .venv/bin/python benchmarks/pipeline.py [PLAN.yml] [--quick] [--repeats N]
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import resource
import shutil
import statistics
import subprocess  # noqa: S404 - fixed argv for the CLI peer, no shell
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import nbformat

from toolkit import config
from toolkit.runner import load_plan, resolve_kernel, run_plan

FLOOR_TARGET = 1.5
NO_CHANGE_TARGET_S = 5.0


def default_plan() -> Path:
    default = config.PLANS / "default.yml"
    return default if default.is_file() else config.PLANS / "example.yml"


def cpu_seconds() -> float:
    """CPU of this process plus its reaped children (kernels, pool and dask workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    fn()
    return time.perf_counter() - wall0, cpu_seconds() - cpu0


def notebook_imports(path: Path) -> str:
    """The import statements of every code cell, as one block of code."""
    nb = nbformat.read(path, as_version=4)
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        lines += [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n".join(dict.fromkeys(lines))


def kernel_floor(path: Path, kernel: str) -> float:
    """Wall seconds to start a kernel, run the notebook's imports and shut it down."""
    from jupyter_client.manager import start_new_kernel

    code = notebook_imports(path)
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name=kernel, cwd=str(config.ROOT))
    try:
        reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"imports of {path} failed: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return time.perf_counter() - t0


def cli_peer(runs, kernel: str, out_dir: Path) -> None:
    """The naive pipeline: papermill CLI then nbconvert CLI, one subprocess each per run."""
    bin_dir = Path(sys.executable).parent
    for run in runs:
        executed = out_dir / f"{run.slug}.ipynb"
        subprocess.run([str(bin_dir / "papermill"), str(config.project_path(run.notebook)),  # noqa: S603
                        str(executed), "-k", kernel, "-y", json.dumps(run.parameters),
                        "--cwd", str(config.ROOT), "--no-progress-bar",
                        "--execution-timeout", str(int(run.timeout_s))],
                       check=False, capture_output=True)
        subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input",  # noqa: S603
                        str(executed)], check=False, capture_output=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", nargs="?", default=str(default_plan()))
    parser.add_argument("--period", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat, no CLI peer")
    parser.add_argument("--executors", default="serial,local,dask")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    runs, period = load_plan(args.plan, args.period)
    kernel, warning = resolve_kernel()
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    per_notebook = Counter(r.notebook for r in runs)
    print(f"plan {args.plan}: {len(runs)} runs of {len(per_notebook)} notebooks, period {period}, "
          f"{repeats} repeat(s), medians", file=sys.stderr)

    floors = {nb: statistics.median(kernel_floor(config.project_path(nb), kernel)
                                    for _ in range(repeats)) for nb in per_notebook}
    floor_sum = sum(floors[nb] * n for nb, n in per_notebook.items())

    rows = []
    quiet = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        reports = Path(tmp) / "reports"
        for executor in args.executors.split(","):
            samples = [timed(lambda ex=executor: run_plan(
                args.plan, period=period, executor=ex, force=True, reports_dir=reports,
                progress=False, out=quiet)) for _ in range(repeats)]
            rows.append((f"runner, `{executor}`", samples))
        rows.append(("runner, no-change re-run (`serial`)",
                     [timed(lambda: run_plan(args.plan, period=period, executor="serial",
                                             reports_dir=reports, progress=False, out=quiet))
                      for _ in range(repeats)]))
        if not args.quick:
            peer_dir = Path(tmp) / "peer"
            peer_dir.mkdir()
            rows.append(("peer: papermill CLI + nbconvert CLI per run",
                         [timed(lambda: cli_peer(runs, kernel, peer_dir)) for _ in range(repeats)]))
        shutil.rmtree(reports, ignore_errors=True)

    print("\n| what | wall s | CPU s | wall / floor sum | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| floor: kernel start + imports, summed over {len(runs)} runs | {floor_sum:.2f} | | 1.00 | |")
    for label, samples in rows:
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        if "no-change" in label:
            target = f"< {NO_CHANGE_TARGET_S:.0f} s: {'met' if wall < NO_CHANGE_TARGET_S else 'MISSED'}"
        elif label.startswith("runner"):
            met = wall <= FLOOR_TARGET * floor_sum
            target = f"<= {FLOOR_TARGET}x floor: {'met' if met else 'MISSED'}"
        else:
            target = ""
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {wall / floor_sum:.2f} | {target} |")
    print("\nFloor per notebook (s): " + ", ".join(f"{nb} {t:.2f}" for nb, t in floors.items()))


if __name__ == "__main__":
    main()
