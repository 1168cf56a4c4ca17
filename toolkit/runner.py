"""Plans -> papermill runs -> reviewer HTML -> manifest -> index, published atomically.

A plan (``plans/*.yml``) lists runs of parametrised notebooks. ``run_plan`` checks the whole
plan before anything executes, skips runs whose notebook, parameters and inputs are unchanged
since their last success, executes the rest through ``toolkit.executors.map_tasks`` (serial,
local processes or dask) and publishes ``reports/<period>/``: executed ``.ipynb``, a code-free
``.html`` per run, ``manifest.json`` and ``index.html`` (the index pages are
``toolkit.reportindex``'s; templates, CSS and CSP are ``toolkit.pages``'). A failed re-run
never replaces the last good report: that report stays, marked stale.

Exit codes (see docs/scheduling.md): 0 every run ok (or unchanged), 1 some run failed / timed
out / was killed, 2 plan rejected (nothing executed), 3 infrastructure failure.
"""

from __future__ import annotations

import ast
import calendar
import contextlib
import copy
import datetime as dt
import difflib
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import subprocess  # noqa: S404 - only to ask git for the revision, fixed argv
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from toolkit import config, pages, pdfpack, reportcard, yamlsafe
from toolkit.executors import EXECUTORS, ExecutorError, map_tasks
from toolkit.reportindex import PERIOD_RE, read_manifest, render_period_index, write_reports_index

EXIT_OK, EXIT_RUN_FAILED, EXIT_PLAN_REJECTED, EXIT_INFRASTRUCTURE = 0, 1, 2, 3

STATUSES = ("ok", "failed", "timeout", "killed")
KERNEL = "cc-toolkit"
FALLBACK_KERNEL = "python3"
DEFAULT_TIMEOUT_S = 600.0
#: A run whose kernel or worker process died is run again this many times before it is
#: reported ``killed`` (an OOM kill can be a neighbour's fault; a second death is its own).
KILLED_RETRIES = 1

PLAN_KEYS = ("runs", "default_period", "description", "locale")
RUN_KEYS = ("name", "notebook", "parameters", "matrix", "timeout_s", "needs")
#: Run file names the period folder uses itself (index.html, manifest.json).
RESERVED_SLUGS = frozenset({"index", "manifest"})
#: Cell tags that make a notebook report "ok" without running (or despite failing) a cell.
REFUSED_TAGS = ("skip-execution", "raises-exception")

#: Versions recorded in the manifest: enough to reproduce a report's numbers.
MANIFEST_PACKAGES = ("cc-sourcing-toolkit", "pandas", "numpy", "scipy", "statsmodels",
                     "matplotlib", "pyarrow", "papermill", "nbconvert", "nbclient", "ipykernel",
                     "dask", "distributed", "holidays", "babel", "pandera", "bleach", "jinja2")


class PlanError(ValueError):
    """The plan cannot run as written; ``problems`` lists every reason (not just the first)."""

    def __init__(self, plan, problems: list[str]):
        self.plan, self.problems = plan, problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"plan {plan} rejected, nothing was executed:\n{lines}")


@dataclass(frozen=True)
class RunSpec:
    """One notebook execution: a plan entry after matrix expansion and period substitution."""

    name: str
    notebook: str  # as written in the plan (relative to the project root)
    parameters: dict = field(default_factory=dict)
    timeout_s: float = DEFAULT_TIMEOUT_S
    plan_entry: str = ""  # the plan entry's name before matrix expansion (for --only)
    needs: tuple[str, ...] = ()  # runs (or plan entries) whose outputs this run reads

    @property
    def slug(self) -> str:
        """File-name-safe form of ``name`` (reports/<period>/<slug>.html)."""
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.name).strip("-.") or "run"


@dataclass
class RunSummary:
    period: str
    reports_dir: Path
    results: list[dict]
    exit_code: int
    manifest_path: Path
    index_path: Path


# ---------------------------------------------------------------------------------------------
# Plans


def default_period(today: dt.date | None = None) -> str:
    """The previous calendar month as YYYY-MM: a monthly run reports on the month just closed."""
    today = today or dt.date.today()
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def load_plan(path: str | os.PathLike, period: str | None = None) -> tuple[list[RunSpec], str]:
    """Read and check a plan: returns the expanded runs and the period they report on.

    Raises ``PlanError`` listing every problem (unknown keys, unknown parameters with the
    closest valid name, non-JSON values, missing notebooks, duplicate names).
    """
    plan_path = config.project_path(path)
    if not plan_path.is_file():
        raise PlanError(path, [f"plan file {plan_path} does not exist"])
    try:
        plan = yamlsafe.load(plan_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise PlanError(path, ["not a text file (UTF-8 YAML expected)"]) from None
    except yamlsafe.YamlError as exc:  # names line and column, never quotes the file
        raise PlanError(path, [f"not valid YAML: {exc}"]) from None
    if not isinstance(plan, dict) or not isinstance(plan.get("runs"), list) or not plan["runs"]:
        raise PlanError(path, ["expected a mapping with a non-empty list under 'runs:'"])
    problems = [f"unknown top-level key {k!r}{_did_you_mean(k, PLAN_KEYS)}"
                for k in plan if k not in PLAN_KEYS]
    if period is None:
        period = plan.get("default_period") or default_period()
    period = str(period)
    if not PERIOD_RE.fullmatch(period):  # fullmatch: no trailing newline in folder names
        problems.append(f"period {period!r} is not a month written YYYY-MM (e.g. 2026-10)")
        period = "0000-00"  # keeps the other checks going; nothing runs
    runs: list[RunSpec] = []
    for i, entry in enumerate(plan["runs"], start=1):
        runs.extend(_expand_entry(entry, i, period, problems))
    locale = _plan_locale(plan, problems)
    if locale is not None:
        runs = _with_locale(runs, locale)
    seen: dict[str, str] = {}
    for run in runs:
        if run.slug in RESERVED_SLUGS or run.slug.endswith(".failed"):
            problems.append(f"run name {run.name!r} is reserved (its file would replace the "
                            f"period's {run.slug}.html or a failed attempt); rename the run")
        if run.slug in seen:
            problems.append(f"run name {run.name!r} is used twice (or maps to the same file "
                            f"name as {seen[run.slug]!r}); names must be unique")
        seen[run.slug] = run.name
    problems.extend(validate_runs(runs))
    problems.extend(_dependency_problems(runs))
    problems.extend(_personal_parameters(runs))
    if problems:
        raise PlanError(path, problems)
    return runs, period


def _plan_locale(plan: dict, problems: list[str]) -> str | None:
    """The plan's top-level ``locale`` (checked with babel), or None when it sets none."""
    from toolkit.errors import ParameterError
    from toolkit.present import check_locale

    if "locale" not in plan or plan["locale"] is None:
        return None
    try:
        return check_locale(plan["locale"])
    except ParameterError:
        problems.append(f"top-level key 'locale' = {plan['locale']!r} is not a locale babel "
                        "knows; use a name such as 'en_GB' or 'fr_FR'")
        return None


def _with_locale(runs: list[RunSpec], locale: str) -> list[RunSpec]:
    """``locale`` given to every run whose notebook declares a ``locale`` parameter, unless
    the run sets its own; other notebooks get nothing (they would reject the name)."""
    declares: dict[str, bool] = {}
    out = []
    for run in runs:
        if run.notebook not in declares:
            path = config.project_path(run.notebook)
            try:  # an unreadable notebook is reported by validate_runs, not here
                declares[run.notebook] = (_notebook_problem(run.notebook, path) is None
                                          and "locale" in notebook_parameters(path))
            except (SyntaxError, ValueError, OSError):
                declares[run.notebook] = False
        if declares[run.notebook] and "locale" not in run.parameters:
            run = replace(run, parameters={**run.parameters, "locale": locale})
        out.append(run)
    return out


def _personal_parameters(runs: list[RunSpec]) -> list[str]:
    """Parameter values holding personal data (they would be shown on the run card)."""
    from toolkit.schemas import find_personal_data

    problems = []
    for run in runs:
        for key, value in run.parameters.items():
            found = find_personal_data(json.dumps(value, ensure_ascii=False))
            if found:
                problems.append(f"run {run.name!r}: parameter {key!r} holds a {found[0]} "
                                f"({found[1]}); personal data must not reach a report")
    return list(dict.fromkeys(problems))


def _needed_runs(run: RunSpec, runs: list[RunSpec]) -> list[RunSpec]:
    """The runs ``run`` needs: ``needs`` names a run, or a plan entry (all its matrix runs)."""
    return [r for r in runs if r is not run and (r.name in run.needs or r.plan_entry in run.needs)]


def _dependency_problems(runs: list[RunSpec]) -> list[str]:
    """Unknown names in ``needs`` and dependency cycles."""
    names = {r.name for r in runs} | {r.plan_entry for r in runs}
    problems = [f"run {run.name!r}: needs {need!r}, which is no run of this plan"
                f"{_did_you_mean(need, names)}"
                for run in runs for need in run.needs if need not in names]
    if not problems:
        try:
            dependency_waves(runs)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def dependency_waves(runs: list[RunSpec]) -> list[list[RunSpec]]:
    """Group runs into waves: each wave needs only runs of earlier waves (plan order kept)."""
    waves, done = [], set()
    pending = list(runs)
    while pending:
        wave = [r for r in pending if all(id(d) in done for d in _needed_runs(r, runs))]
        if not wave:
            cycle = ", ".join(r.name for r in pending)
            raise ValueError(f"runs {cycle} need each other in a cycle; "
                             "'needs' must only point to runs that can finish first")
        waves.append(wave)
        done.update(id(r) for r in wave)
        pending = [r for r in pending if id(r) not in done]
    return waves


def _expand_entry(entry, position: int, period: str, problems: list[str]) -> list[RunSpec]:
    where = f"runs[{position}]"
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping with name, notebook, parameters")
        return []
    name = entry.get("name")
    where = f"run {name!r}" if isinstance(name, str) and name else where
    bad = [k for k in entry if k not in RUN_KEYS]
    problems.extend(f"{where}: unknown key {k!r}{_did_you_mean(k, RUN_KEYS)}" for k in bad)
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: 'name' is required (a non-empty string)")
        return []
    notebook = entry.get("notebook")
    if not isinstance(notebook, str) or not notebook:
        problems.append(f"{where}: 'notebook' is required (a path relative to the project root)")
        return []
    parameters = entry.get("parameters") or {}
    matrix = entry.get("matrix") or {}
    if not isinstance(parameters, dict) or not isinstance(matrix, dict):
        problems.append(f"{where}: 'parameters' and 'matrix' must be mappings")
        return []
    timeout_s = entry.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or timeout_s <= 0:
        problems.append(f"{where}: timeout_s = {timeout_s!r}; expected a positive number of s")
        return []
    for key, value in list(parameters.items()) + list(matrix.items()):
        problem = _json_problem(value)
        if problem:
            problems.append(f"{where}: parameter {key!r} = {value!r} {problem}")
    for key, values in matrix.items():
        if not isinstance(values, list) or not values:
            problems.append(f"{where}: matrix {key!r} must be a non-empty list of values")
        if key in parameters:
            problems.append(f"{where}: {key!r} is given both in parameters and matrix")
    if any(p.startswith(where) for p in problems):
        return []
    needs = entry.get("needs") or []
    needs = [needs] if isinstance(needs, str) else needs
    if not isinstance(needs, list) or not all(isinstance(n, str) and n for n in needs):
        problems.append(f"{where}: 'needs' must be a list of run names, got {needs!r}")
        return []
    needs = tuple(needs)
    parameters = _substitute(parameters, period)
    notebook = _substitute(notebook, period)
    if not matrix:
        return [RunSpec(name, notebook, parameters, float(timeout_s), name, needs)]
    keys = list(matrix)
    runs = []
    for combo in itertools.product(*(_substitute(matrix[k], period) for k in keys)):
        suffix = "-".join(str(v) for v in combo)
        runs.append(RunSpec(f"{name}-{suffix}", notebook, {**parameters, **dict(zip(keys, combo, strict=True))},
                            float(timeout_s), name, needs))
    return runs


def _substitute(value, period: str):
    """Replace ``{period}`` in every string (str.replace: other braces stay as written)."""
    if isinstance(value, str):
        return value.replace("{period}", period)
    if isinstance(value, list):
        return [_substitute(v, period) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, period) for k, v in value.items()}
    return value


def _json_problem(value) -> str | None:
    """Why ``value`` is not plain JSON data (papermill injects it as a Python literal)."""
    if value is None or isinstance(value, bool | int | str):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "is not finite; use a number"
    if isinstance(value, list):
        return next((p for p in map(_json_problem, value) if p), None)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "has a non-string key; mapping keys must be strings"
        return next((p for p in map(_json_problem, value.values()) if p), None)
    if isinstance(value, dt.date | dt.datetime):
        return "was read by YAML as a date; quote it ('2026-10-01') to pass a string"
    return f"has type {type(value).__name__}; only JSON types (string, number, bool, null, list, mapping)"


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f" (valid: {', '.join(sorted(choices))})"


def notebook_parameters(path: str | os.PathLike) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters`` (parsed, never executed)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    cells = [c for c in nb.cells
             if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return []
    names: list[str] = []
    for cell in cells:
        tree = ast.parse(cell.source, filename=f"{path} [parameters cell]")
        for node in tree.body:
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AnnAssign) else [])
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name) and sub.id not in names:
                        names.append(sub.id)
    return names


def _notebook_problem(name: str, path: Path) -> str | None:
    """Why ``path`` is not a notebook a plan may run (None when it is)."""
    root = config.ROOT.resolve()
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        return (f"notebook {name} is outside the project ({root}); a plan runs only the "
                "project's notebooks")
    if resolved.suffix != ".ipynb":
        return f"notebook {name} is not an .ipynb file"
    if not resolved.is_file():
        return f"notebook {name} not found ({path})"
    try:
        import nbformat

        nb = nbformat.read(str(resolved), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any reader error; its text may quote the file
        return f"notebook {name} cannot be read as a notebook ({type(exc).__name__})"
    tagged = [i for i, c in enumerate(nb.cells, start=1)
              if set(c.get("metadata", {}).get("tags", [])) & set(REFUSED_TAGS)]
    if tagged:
        return (f"notebook {name}: cell(s) {', '.join(map(str, tagged))} tagged "
                f"{' or '.join(REFUSED_TAGS)} would be skipped or fail silently while the "
                "report says ok; remove the tag")
    return None


def validate_runs(runs: list[RunSpec]) -> list[str]:
    """Problems with the runs' notebooks and parameter names (empty list when all is well)."""
    problems: list[str] = []
    declared_cache: dict[str, list[str] | str] = {}
    for run in runs:
        nb_path = config.project_path(run.notebook)
        if run.notebook not in declared_cache:
            declared_cache[run.notebook] = _notebook_problem(run.notebook, nb_path) or []
            if not declared_cache[run.notebook]:
                try:
                    declared_cache[run.notebook] = notebook_parameters(nb_path)
                except SyntaxError as exc:
                    declared_cache[run.notebook] = (
                        f"notebook {run.notebook}: its parameters cell is not valid Python "
                        f"(line {exc.lineno}: {exc.msg})")
                except (ValueError, OSError) as exc:  # the message could quote the file
                    declared_cache[run.notebook] = (
                        f"notebook {run.notebook} cannot be read as a notebook "
                        f"({type(exc).__name__})")
        declared = declared_cache[run.notebook]
        if isinstance(declared, str):
            problems.append(f"run {run.name!r}: {declared}")
            continue
        for key in run.parameters:
            if key not in declared:
                hint = (_did_you_mean(key, declared) if declared
                        else " (the notebook has no cell tagged 'parameters')")
                problems.append(f"run {run.name!r}: parameter {key!r} is not declared in the "
                                f"parameters cell of {run.notebook}{hint}")
    return list(dict.fromkeys(problems))  # a notebook problem repeats for each matrix run


# ---------------------------------------------------------------------------------------------
# Fingerprints (what makes a run "unchanged")


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def find_inputs(parameters: dict, hasher) -> list[dict]:
    """Parameter values (or list items) naming an existing file, with their sha256.

    A folder (e.g. ``data_dir``) stands for the files directly inside it. Parameters named
    ``output*`` are where a notebook writes, not what it reads, and are left out.
    """
    inputs = []
    for key, value in sorted(parameters.items()):
        if key.startswith("output"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item and "\n" not in item:
                path = config.project_path(item)
                with contextlib.suppress(OSError):
                    if path.is_file():
                        inputs.append({"parameter": key, "path": item, "sha256": hasher(path)})
                    elif path.is_dir():
                        inputs.extend({"parameter": key, "path": f"{item.rstrip('/')}/{f.name}",
                                       "sha256": hasher(f)}
                                      for f in sorted(path.iterdir()) if f.is_file())
    return inputs


def fingerprint(notebook_sha256: str, parameters: dict, inputs: list[dict],
                code_sha256: str = "") -> str:
    """What makes a run "unchanged": notebook, parameters, input files and toolkit code."""
    blob = json.dumps({"notebook": notebook_sha256, "parameters": parameters,
                       "inputs": [[i["parameter"], i["path"], i["sha256"]] for i in inputs],
                       "code": code_sha256}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def code_fingerprint(package: Path | None = None) -> str:
    """sha256 over the toolkit's code and reference data: a model change re-runs reports."""
    package = package or Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".j2", ".css"):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_sha256() -> str:
    return code_fingerprint()


# ---------------------------------------------------------------------------------------------
# Execution (runs in a worker: serial, process pool or dask; returns texts, writes nothing shared)


def resolve_kernel(preferred: str = KERNEL) -> tuple[str, str | None]:
    """The kernel to use and a warning when falling back from ``preferred`` to python3."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if preferred in specs:
        return preferred, None
    return FALLBACK_KERNEL, (f"kernel {preferred!r} is not registered (run `make setup`); "
                             f"falling back to {FALLBACK_KERNEL!r}, which may lack the toolkit")


def classify(exc: BaseException | None) -> str:
    """ok / failed / timeout / killed from the exception papermill let through.

    papermill raises PapermillExecutionError for a cell that raised; nbclient's
    CellTimeoutError (a TimeoutError, so tested first) and DeadKernelError pass through
    papermill unwrapped. Anything else (kernel failed to start, ...) counts as failed.
    """
    if exc is None:
        return "ok"
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(exc, CellTimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, DeadKernelError):
        return "killed"
    return "failed"


def _error_text(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}".rstrip(": ")


def execute_run(job: dict) -> dict:
    """Execute one notebook with papermill and render its reviewer HTML; never raises.

    ``job`` holds plain data (picklable for process pools and dask). Returns the status,
    timings and the executed notebook and HTML as text: the parent process publishes them,
    so workers need the project and data but no shared reports folder.
    """
    import nbformat
    import papermill

    from toolkit.markup import neutralise_bidi

    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    deadline = t0 + job["timeout_s"]

    def remaining_budget(cell) -> float:
        # nbclient's timeout is per cell; asking it for "what is left of the run's budget"
        # before each cell turns timeout_s into a limit on the whole run.
        return max(deadline - time.perf_counter(), 0.05)

    error: BaseException | None = None
    # The runner's pid in the name: a later run removes the folder if the runner was killed.
    owner = job.get("owner_pid", os.getpid())
    with tempfile.TemporaryDirectory(prefix=f"cc-run-{owner}-") as tmp:
        out_path = Path(tmp) / "executed.ipynb"
        try:
            papermill.execute_notebook(
                job["notebook_path"], str(out_path), parameters=job["parameters"],
                kernel_name=job["kernel"], execution_timeout=math.ceil(job["timeout_s"]),
                timeout_func=remaining_budget, cwd=job["cwd"], progress_bar=False,
                log_output=False,
                # The kernel's start-up notices ("running over TCP without encryption", on
                # loopback) are noise in a scheduled run's log; errors still show.
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                request_save_on_cell_execute=True)  # also saves timed-out / killed runs
        except Exception as exc:  # classified below; one failure never stops other runs
            error = exc
        duration = time.perf_counter() - t0
        status = classify(error)
        message = _error_text(error) if error else None
        if status == "timeout":
            message = f"run exceeded timeout_s = {job['timeout_s']:g} s ({message})"
        result = {"name": job["name"], "status": status, "error": message,
                  "duration_s": round(duration, 3),
                  "started_at": started.isoformat(timespec="seconds"),
                  "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "ipynb": None, "html": None}
        if not out_path.exists():  # kernel never started: nothing to publish
            return result
        try:
            # Published notebook and HTML come from the same cleaned outputs.
            nb = clean_notebook(nbformat.read(str(out_path), as_version=4))
            # Bidi controls cannot be JSON structure: none survives anywhere in the file.
            result["ipynb"] = neutralise_bidi(nbformat.writes(nb))
            result["card"] = reportcard.read(nb)
            card = {**job["card"], "status": status, "error": result["error"],
                    "duration_s": duration, "started_at": result["started_at"]}
            result["html"] = render_report_html(nb, card)
        except Exception as exc:  # a report we cannot render is a failed run
            result["status"] = "failed"
            result["error"] = f"HTML export failed: {_error_text(exc)}"
    return _publish_gate(result)


#: Tags allowed in HTML / markdown outputs: prose, tables (pandas, markdown), images. No
#: script, style, iframe, object, form, and no event-handler attributes (bleach drops them).
SAFE_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"})
#: A link to another report of the same period (the executive summary links its sources).
SIBLING_REPORT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html(#[A-Za-z0-9._-]*)?")


def _safe_attribute(tag: str, name: str, value: str) -> bool:
    """bleach attribute filter: links only within the period's folder, images only embedded.

    A reviewer page links nowhere outside its period (the CSP cannot stop a click on a link
    that came from data) and loads nothing: ``<a href>`` keeps ``#anchors`` and sibling
    reports (``kpi-ATLAS-CAS.html``: no scheme, no folder), ``<img src>`` keeps
    ``data:image/png|jpeg|gif`` only (charts are embedded as such).
    """
    if tag == "a" and name == "href":
        return value.startswith("#") or SIBLING_REPORT.fullmatch(value) is not None
    if tag == "img" and name == "src":
        return re.match(r"data:image/(png|jpeg|gif);base64,", value) is not None
    allowed = SAFE_ATTRIBUTES.get(tag, []) + SAFE_ATTRIBUTES["*"]
    return name in allowed


SAFE_ATTRIBUTES = {"*": ["class", "id", "title", "style", "align"],
                   "a": ["href", "title", "class", "id"],
                   "img": ["src", "alt", "width", "height", "class", "style"],
                   "td": ["colspan", "rowspan", "class", "style"],
                   "th": ["colspan", "rowspan", "class", "style", "scope"],
                   "table": ["border", "class", "style"], "ol": ["start"]}
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.IGNORECASE | re.DOTALL)


def clean_html(element) -> str:
    """Sanitize HTML / markdown-rendered output (replaces nbconvert's narrower clean_html).

    nbconvert's own filter escapes <p>, <thead>, <th>, so DataFrames and prose render as tag
    soup. Scoped <style> blocks (pandas) are dropped first; bleach then escapes anything
    not allowed, so a hostile name shows as text. The CSP is the second line of defence.
    """
    import bleach

    from toolkit.markup import neutralise_bidi

    text = element.decode() if isinstance(element, bytes) else str(element)
    kwargs = {}
    with contextlib.suppress(ImportError):  # bleach[css]: keep harmless inline styles
        from bleach.css_sanitizer import CSSSanitizer
        kwargs["css_sanitizer"] = CSSSanitizer()
    # bleach passes a link without a scheme only when "https" is an allowed protocol; every
    # href has already been through _safe_attribute, which refuses any scheme (https included)
    return bleach.clean(neutralise_bidi(_STYLE_BLOCK.sub("", text)), tags=SAFE_TAGS,
                        attributes=_safe_attribute, protocols=["data", "https"], **kwargs)


#: Output types a published notebook keeps (no script, no SVG that could carry one).
#: The report card's JSON (``toolkit.reportcard``) is data, checked field by field.
SAFE_MIMETYPES = ("text/plain", "text/html", "text/markdown", "image/png", "image/jpeg",
                  reportcard.MIME)


def clean_notebook(nb):
    """Clean an executed notebook's outputs like the reviewer HTML (in place; returns it).

    HTML outputs go through ``clean_html``; Markdown outputs are rendered and cleaned the same
    way (published as the HTML they show); every text loses its bidi controls; output types
    outside ``SAFE_MIMETYPES`` (JavaScript, widgets, SVG) are dropped.
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from toolkit.markup import neutralise_bidi

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = neutralise_bidi(_joined(output["text"]))
            data = output.get("data")
            if not data:
                continue
            if reportcard.MIME in data:  # kept as checked data, or dropped when malformed
                card = reportcard.parse(data[reportcard.MIME])
                data[reportcard.MIME] = card
            for mime in [m for m in data if m not in SAFE_MIMETYPES or data[m] is None]:
                del data[mime]
            if "text/markdown" in data:
                rendered = clean_html(markdown2html_mistune(_joined(data.pop("text/markdown"))))
                data.setdefault("text/html", rendered)
            if "text/html" in data:
                data["text/html"] = clean_html(_joined(data["text/html"]))
            if "text/plain" in data:
                data["text/plain"] = neutralise_bidi(_joined(data["text/plain"]))
    return nb


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


@lru_cache(maxsize=1)
def _html_exporter():
    from nbconvert import HTMLExporter

    # sanitize_html: markdown / HTML outputs built from data (display(Markdown(f"{name}")))
    # are cleaned with bleach; pandas escapes DataFrame cells itself (escape=True default,
    # never pass escape=False). The CSP then blocks any script that slipped through.
    return HTMLExporter(template_name="lab", template_file="cc_report.html.j2",
                        extra_template_basedirs=[str(pages.TEMPLATES)],
                        extra_template_paths=[str(pages.TEMPLATES)],
                        exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, sanitize_html=True,
                        filters={"clean_html": clean_html})


def data_window(parameters: dict) -> str:
    """What data a run uses, for its run card: a report for period P reads data up to the end
    of P (its notebook states the exact window in its first lines)."""
    from toolkit import present

    value = parameters.get("period")
    if not isinstance(value, str) or not PERIOD_RE.fullmatch(value):
        return "all rows of its inputs (the run has no period parameter)"
    year, month = (int(x) for x in value.split("-"))
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return (f"data up to {present.date(last)}, the end of the month reported; what it "
            f"forecasts or staffs comes after")


def render_report_html(nb, card: dict) -> str:
    """Code-free reviewer HTML: run card first, then the notebook's prose and outputs, then the
    sources the report cites (toolkit.sources) and a glossary of the terms it uses
    (toolkit.glossary); the saved .ipynb is unchanged."""
    from toolkit.glossary import append_glossary
    from toolkit.sources import append_sources

    nb = append_glossary(append_sources(copy.deepcopy(nb)))
    card_html = pages.jinja_env().get_template("run_card.html.j2").render(run=card)
    body, _ = _html_exporter().from_notebook_node(
        nb, resources={"run_card_html": card_html, "csp": pages.CSP, "report_css": pages.css(),
                       "metadata": {"name": card["name"]}})
    return body


# ---------------------------------------------------------------------------------------------
# Publication


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _atomic_write(path: Path, text: str) -> None:
    from toolkit.atomic import write_atomic

    write_atomic(path, text)  # toolkit.atomic: mode 0644, reports are meant to be read


def git_state() -> dict:
    """Revision and dirty flag of the project checkout (None when git is unavailable)."""
    git = shutil.which("git")
    if not git:
        return {"revision": None, "dirty": None}
    try:
        rev = subprocess.run([git, "rev-parse", "HEAD"], cwd=config.ROOT, capture_output=True,  # noqa: S603
                             text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run([git, "status", "--porcelain", "--untracked-files=no"],  # noqa: S603
                                cwd=config.ROOT, capture_output=True, text=True, timeout=10,
                                check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {"revision": None, "dirty": None}
    return {"revision": rev, "dirty": bool(status.strip())}


def package_versions() -> dict:
    versions = {"python": sys.version.split()[0]}
    for name in MANIFEST_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


#: How long a run waits for another run of the same period before giving up (exit 3).
LOCK_WAIT_S = 900.0
_LOCK_POLL_S = 0.2
_THREAD_LOCKS: dict[str, threading.Lock] = {}


class LockBusyError(ExecutorError):
    """Another run of the same period still holds its lock after ``LOCK_WAIT_S`` (exit 3)."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


@contextlib.contextmanager
def _period_lock(reports_dir: Path, period: str, wait_s: float | None = None, out=None):
    """One run per period at a time: a second invocation waits (saying so), then gives up.

    A POSIX record lock (``lockf``), not ``flock``: it belongs to this process alone, so the
    pool workers and kernels forked from it never hold it, and the kernel drops it the moment
    this process dies, SIGKILL included. The file names the holder for the waiting message.
    """
    import fcntl

    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f".{period}.lock"
    # Record locks do not exclude threads of one process: a process-local lock does that.
    local = _THREAD_LOCKS.setdefault(str(path.resolve()), threading.Lock())
    deadline = time.monotonic() + wait_s
    if not local.acquire(timeout=max(wait_s, 0.0)):
        raise LockBusyError(f"period {period} is being reported by another run of this process; "
                            f"gave up after {wait_s:g} s")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666 & ~_UMASK)
        with os.fdopen(fd, "r+", encoding="utf-8") as lock:
            announced = False
            while True:
                try:
                    fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    holder = path.read_text(encoding="utf-8", errors="replace").strip()[:200]
                    holder = holder or "another run"
                    if time.monotonic() >= deadline:
                        raise LockBusyError(
                            f"period {period} is locked by {holder} ({path}); gave up after "
                            f"waiting {wait_s:g} s. If no run of this period is active, the "
                            "holder is gone and the next run proceeds") from None
                    if not announced:
                        print(f"waiting: period {period} is locked by {holder}; giving up "
                              f"after {wait_s:g} s", file=out or sys.stderr, flush=True)
                        announced = True
                    time.sleep(min(_LOCK_POLL_S, max(deadline - time.monotonic(), 0.01)))
            lock.seek(0)
            lock.truncate()
            lock.write(f"pid {os.getpid()} since "
                       f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n")
            lock.flush()
            try:
                yield
            finally:
                with contextlib.suppress(OSError):
                    lock.seek(0)
                    lock.truncate()
                    lock.flush()
                fcntl.lockf(lock, fcntl.LOCK_UN)
    finally:
        local.release()


def _remove_leftovers(root: Path, period: str) -> None:
    """Work folders and temporary notebooks of runs of ``period`` killed before cleaning up.

    Called under the period lock, so any ``.work/<period>-*`` folder is a dead run's; a
    ``cc-run-<pid>-*`` temporary folder is removed once process ``pid`` is gone.
    """
    for stale in (root / ".work").glob(f"{period}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.gettempdir())
    for stale in tmp.glob("cc-run-*"):
        found = re.match(r"cc-run-(\d+)-", stale.name)
        with contextlib.suppress(OSError):
            if found and stale.is_dir() and stale.stat().st_uid == os.getuid() \
                    and not _pid_alive(int(found.group(1))):
                shutil.rmtree(stale, ignore_errors=True)


def run_plan(plan: str | os.PathLike, *, period: str | None = None, executor: str = "local",
             scheduler: str | None = None, only: str | None = None, force: bool = False,
             workers: int | None = None, reports_dir: str | os.PathLike | None = None,
             progress: bool = True, out=None, lock_wait_s: float | None = None) -> RunSummary:
    """Check, execute and publish a plan. Raises PlanError (exit 2) or ExecutorError (exit 3).

    Parameters
    ----------
    plan : path of the plan YAML (relative to the project root or absolute).
    period : YYYY-MM; default: the plan's ``default_period``, else the previous month.
    executor, scheduler, workers : where runs execute (see ``toolkit.executors.map_tasks``).
    only : run only the runs with this name (or this plan entry name, for a matrix).
    force : re-run even runs unchanged since their last success.
    reports_dir : root of the published reports (default ``reports/``).
    out : text stream for the per-run progress lines (default stdout).
    lock_wait_s : how long to wait for another run of the same period (default
        ``LOCK_WAIT_S``); then ``LockBusyError`` (exit 3).
    """
    out = out or sys.stdout
    if executor not in EXECUTORS:
        raise PlanError(plan, [f"executor {executor!r} unknown; use one of {', '.join(EXECUTORS)}"])
    from toolkit.errors import ParameterError
    from toolkit.executors import check_scheduler

    try:
        check_scheduler(scheduler)
    except ParameterError as exc:
        raise PlanError(plan, [str(exc)]) from None
    runs, period = load_plan(plan, period)
    settings = plan_settings(plan)
    if only is not None:
        selected = [r for r in runs if only in (r.name, r.plan_entry)]
        if not selected:
            names = sorted({r.name for r in runs} | {r.plan_entry for r in runs})
            raise PlanError(plan, [f"--only {only!r} matches no run{_did_you_mean(only, names)}"])
        # --only runs the named runs on the outputs their dependencies left last time.
        runs = [replace(r, needs=()) for r in selected]
    kernel, warning = resolve_kernel()
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    root = Path(reports_dir) if reports_dir else config.REPORTS
    period_dir = root / period
    with _period_lock(root, period, lock_wait_s):
        _remove_leftovers(root, period)
        summary = _run_locked(plan, runs, period, period_dir, root, kernel, executor,
                              scheduler, workers, force, progress, out, settings)
        if settings["pdf"]:
            _print_pack(summary, out)
        return summary


def _print_pack(summary: RunSummary, out) -> None:
    """The plan asked for the period's PDF pack (``pdf: true``): print it after the runs.

    A pack that cannot be printed (no chromium, no report) is a warning: the HTML reports
    are published all the same and the exit code stays that of the runs.
    """
    try:
        pack = pdfpack.build_pack(summary.period, summary.reports_dir.parent, out=out)
    except pdfpack.PackError as exc:
        print(f"warning: PDF pack not printed: {exc}", file=sys.stderr, flush=True)
        return
    print(f"PDF pack -> {pack}", file=out, flush=True)


def _run_locked(plan, runs, period, period_dir, root, kernel, executor, scheduler, workers,
                force, progress, out, settings: dict | None = None) -> RunSummary:
    manifest_path = period_dir / "manifest.json"
    previous_manifest = read_manifest(manifest_path)
    previous = {r["name"]: r for r in previous_manifest.get("runs", [])
                if isinstance(r, dict) and "name" in r}
    hashes: dict[Path, str] = {}

    def hasher(path: Path) -> str:  # each file hashed once per invocation
        if path not in hashes:
            hashes[path] = sha256_file(path)
        return hashes[path]

    entries: dict[str, dict] = {}
    executed: list[dict] = []
    work_dir = root / ".work" / f"{period}-{os.getpid()}-{time.time_ns()}"

    def report(i: int, result: dict) -> None:
        executed.append(result)
        print(f"[{len(executed):>3}] {result['status']:<9} {result['name']}  "
              f"({result['duration_s']:.1f} s)"
              + (f"  {result['error']}" if result["error"] else ""), file=out, flush=True)

    try:
        # Runs execute in waves: a run starts once the runs it ``needs`` are done, so it reads
        # their fresh outputs (inputs are hashed when its wave starts, not before).
        for wave in dependency_waves(runs):
            hashes.clear()
            jobs = []
            for run in wave:
                job = _prepare(run, runs, entries, previous, period, period_dir, kernel, hasher,
                               force, out)
                if isinstance(job, str):  # a run it needs did not succeed: not executed
                    blocked = {"name": run.name, "status": "failed", "error": job,
                               "duration_s": 0.0, "started_at": None, "finished_at": None}
                    report(0, blocked)
                    _stage(blocked, entries[run.name], period_dir, work_dir)
                elif job is not None:
                    jobs.append(job)
            results = _execute_jobs(jobs, executor, scheduler, workers, progress,
                                    f"reports {period}", report, out)
            for result in results:
                _stage(result, entries[result["name"]], period_dir, work_dir)
        manifest = _merge_manifest(plan, period, executor, entries, previous, settings,
                                   previous_manifest.get("plans"))
        _atomic_write(work_dir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        _atomic_write(work_dir / "index.html", render_period_index(manifest))
        _publish(work_dir, period_dir, entries)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            (root / ".work").rmdir()
    write_reports_index(root)
    statuses = [e["status"] for e in entries.values()]
    exit_code = EXIT_OK if all(s == "ok" for s in statuses) else EXIT_RUN_FAILED
    n_executed = len({r["name"] for r in executed})  # a retried run counts once
    print(f"{statuses.count('ok')}/{len(statuses)} ok ({n_executed} executed, "
          f"{len(statuses) - n_executed} unchanged) -> {period_dir / 'index.html'}",
          file=out, flush=True)
    return RunSummary(period, period_dir, [entries[r.name] for r in runs], exit_code,
                      period_dir / "manifest.json", period_dir / "index.html")


def _lost_run(job: dict, message: str) -> dict:
    """The result of a run whose worker process died and kept dying when retried alone."""
    return {"name": job["name"], "status": "killed", "error": message, "duration_s": 0.0,
            "started_at": None, "finished_at": None, "ipynb": None, "html": None,
            "worker_lost": True}


def _execute_jobs(jobs: list[dict], executor, scheduler, workers, progress, desc, report,
                  out) -> list[dict]:
    """Execute ``jobs``; a run whose kernel died is retried ``KILLED_RETRIES`` times.

    Runs that finished before a worker died keep their results (they are published); the
    executor re-runs the runs a dying worker took down, alone, before calling them killed.
    """
    if not jobs:
        return []
    by_name = {j["name"]: j for j in jobs}
    results = {r["name"]: r for r in map_tasks(
        execute_run, jobs, executor=executor, scheduler=scheduler, workers=workers,
        progress=progress, desc=desc, on_result=report, retries=KILLED_RETRIES,
        on_lost=_lost_run)}
    attempts = dict.fromkeys(results, 1)
    for name, result in results.items():
        if result.get("worker_lost"):
            attempts[name] = 1 + KILLED_RETRIES
    for _ in range(KILLED_RETRIES):
        again = [by_name[n] for n, r in results.items()
                 if r["status"] == "killed" and not r.get("worker_lost")]
        if not again:
            break
        for job in again:
            attempts[job["name"]] += 1
            print(f"[retry] {job['name']}: its kernel died; attempt {attempts[job['name']]} "
                  f"of {1 + KILLED_RETRIES}", file=out, flush=True)
        for result in map_tasks(execute_run, again, executor=executor, scheduler=scheduler,
                                workers=workers, progress=progress, desc=desc,
                                on_result=report, retries=KILLED_RETRIES, on_lost=_lost_run):
            results[result["name"]] = result
    for name, result in results.items():
        result["attempts"] = attempts[name]
        result.pop("worker_lost", None)
    return [results[j["name"]] for j in jobs]


def _prepare(run: RunSpec, runs: list[RunSpec], entries: dict, previous: dict, period: str,
             period_dir: Path, kernel: str, hasher, force: bool, out) -> dict | str | None:
    """The job for ``run``; None when it is unchanged since its last success (skipped), or a
    reason (str) when a run it needs did not succeed. Fills ``entries[run.name]``."""
    nb_sha = hasher(config.project_path(run.notebook))
    inputs = find_inputs(run.parameters, hasher)
    fp = fingerprint(nb_sha, run.parameters, inputs, _code_sha256())
    base = {"name": run.name, "notebook": run.notebook, "notebook_sha256": nb_sha,
            "parameters": run.parameters, "inputs": inputs, "fingerprint": fp,
            "timeout_s": run.timeout_s, "slug": run.slug, "needs": list(run.needs),
            "toolkit_sha256": _code_sha256()}
    prev = previous.get(run.name) or {}
    last_good = prev.get("last_good")
    needed = [entries[d.name] for d in _needed_runs(run, runs)]
    failed = [d["name"] for d in needed if d["status"] != "ok"]
    entries[run.name] = {**base, "last_good": last_good}
    if failed:
        return f"not run: it needs {', '.join(failed)}, which did not succeed"
    fresh_inputs = any(not d.get("skipped") for d in needed)
    if (not force and not fresh_inputs and last_good and last_good.get("fingerprint") == fp
            and all((period_dir / p).is_file() for p in last_good.get("outputs", {}).values())):
        entries[run.name] = {**base, **{k: last_good.get(k) for k in
                                        ("duration_s", "started_at", "finished_at", "card")},
                             "status": "ok", "error": None, "skipped": True, "stale": False,
                             "outputs": last_good["outputs"], "attempt_outputs": None,
                             "last_good": last_good}
        print(f"[skip] {'unchanged':<9} {run.name}", file=out, flush=True)
        return None
    card = {"name": run.name, "notebook": run.notebook, "notebook_sha256": nb_sha,
            "period": period, "window": data_window(run.parameters),
            "parameters": run.parameters, "inputs": inputs, "kernel": kernel}
    return {"name": run.name, "notebook_path": str(config.project_path(run.notebook)),
            "parameters": run.parameters, "kernel": kernel, "timeout_s": run.timeout_s,
            "cwd": str(config.ROOT), "card": card, "owner_pid": os.getpid()}


_EMBEDDED_IMAGE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s\\n]+"
                             r"|\"image/(?:png|jpeg)\": \"[A-Za-z0-9+/=\\n]+\"")


def personal_data_in(text: str) -> tuple[str, str] | None:
    """The first personal-data value (kind, masked) in a report's text, images left out."""
    from toolkit.schemas import find_personal_data

    return find_personal_data(_EMBEDDED_IMAGE.sub("", text))


def _publish_gate(result: dict) -> dict:
    """A report showing personal data is not published: the run counts as failed."""
    for kind in ("html", "ipynb"):
        found = result.get(kind) and personal_data_in(result[kind])
        if found:
            return {**result, "status": "failed", "ipynb": None, "html": None,
                    "error": f"not published: the report shows a {found[0]} ({found[1]}); "
                             "personal data must not reach a report — remove it from the "
                             "input data or the notebook's parameters"}
    return result


def _stage(result: dict, entry: dict, period_dir: Path, work_dir: Path) -> None:
    """Write a run's files to the work dir and complete its manifest entry."""
    ok = result["status"] == "ok"
    stem = entry["slug"] if ok else f"{entry['slug']}.failed"
    outputs = {}
    for kind in ("ipynb", "html"):
        if result.get(kind) is not None:
            _atomic_write(work_dir / f"{stem}.{kind}", result[kind])
            outputs[kind] = f"{stem}.{kind}"
    entry.update({k: result[k] for k in ("status", "error", "duration_s", "started_at",
                                         "finished_at")}, skipped=False,
                 attempts=result.get("attempts", 1), card=result.get("card"))
    if ok:
        entry["outputs"], entry["attempt_outputs"], entry["stale"] = outputs, None, False
        entry["last_good"] = {k: entry[k] for k in ("fingerprint", "notebook_sha256", "parameters",
                                                    "inputs", "duration_s", "started_at",
                                                    "finished_at", "card")} | {"outputs": outputs}
    else:
        last_good = entry.get("last_good")
        # The last good report stays published, and is marked stale; the failed attempt's
        # notebook sits next to it for diagnosis.
        good_present = bool(last_good) and all((period_dir / p).is_file()
                                               for p in last_good.get("outputs", {}).values())
        entry["stale"] = good_present
        entry["outputs"] = last_good["outputs"] if good_present else {}
        entry["attempt_outputs"] = outputs
        if good_present and "html" in last_good["outputs"]:
            # The page itself says it is stale (a reader may never open the index).
            page = period_dir / last_good["outputs"]["html"]
            _atomic_write(work_dir / page.name,
                          mark_stale(page.read_text(encoding="utf-8"), entry, last_good))


_STALE_BANNER = re.compile(r"<!-- cc-stale -->.*?<!-- /cc-stale -->", re.DOTALL)


def mark_stale(page: str, entry: dict, last_good: dict) -> str:
    """``page`` (a published report) with a banner saying it is stale, and why."""
    import html as html_lib

    error = (entry.get("error") or "").strip().splitlines()[:1]
    banner = (
        '<!-- cc-stale --><div class="cc-stale" role="alert" style="background:#ef8f00;'
        'color:#fff;padding:0.6em 1em;font-weight:bold">Stale report: the latest run '
        f"({html_lib.escape(str(entry.get('finished_at') or entry.get('started_at') or 'now'))})"
        f" ended <em>{html_lib.escape(str(entry.get('status')))}</em>"
        + (f" — {html_lib.escape(error[0])}" if error else "")
        + f". This is the last good report, from "
        f"{html_lib.escape(str(last_good.get('finished_at') or 'an earlier run'))}."
        "</div><!-- /cc-stale -->")
    page = _STALE_BANNER.sub("", page)
    found = re.search(r"<body[^>]*>", page)
    at = found.end() if found else 0
    return page[:at] + banner + page[at:]


def _plan_rel(plan) -> str:
    """The plan's path as the manifest records it (relative to the project when inside it)."""
    plan_rel = str(plan)
    with contextlib.suppress(ValueError):
        plan_rel = str(config.project_path(plan).relative_to(config.ROOT))
    return plan_rel


def _merge_manifest(plan, period, executor, entries: dict, previous: dict,
                    settings: dict | None = None, previous_plans: dict | None = None) -> dict:
    plan_rel = _plan_rel(plan)
    runs = dict(previous)  # runs not in this invocation (--only, other plans) keep their entry
    for name, entry in entries.items():
        runs[name] = {k: v for k, v in entry.items() if k not in ("slug",)} | {"plan": plan_rel}
    settings = settings or {}
    # Each plan whose runs the period lists keeps its description and time zone for the index.
    plans = {k: v for k, v in (previous_plans or {}).items() if isinstance(v, dict)}
    plans[plan_rel] = {"description": settings.get("description"),
                       "timezone": settings.get("timezone", config.DEFAULT_TIMEZONE)}
    return {"period": period, "plan": plan_rel,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "executor": executor, "git": git_state(), "packages": package_versions(),
            "plans": plans,
            "runs": sorted(runs.values(), key=lambda r: (str(r.get("notebook")), r["name"]))}


def _publish(work_dir: Path, period_dir: Path, entries: dict) -> None:
    """Move staged files into place, each with one os.replace (a reader sees old or new).

    Reports first, then manifest.json, then index.html, so the index never links a report
    that is not there yet. Attempt files of runs that now succeeded are removed last.
    """
    period_dir.mkdir(parents=True, exist_ok=True)
    staged = sorted(p for p in work_dir.iterdir() if p.is_file())
    last = ("manifest.json", "index.html")
    for path in [p for p in staged if p.name not in last] + [work_dir / n for n in last]:
        os.replace(path, period_dir / path.name)
    for entry in entries.values():
        if entry["status"] == "ok":
            for kind in ("ipynb", "html"):
                with contextlib.suppress(FileNotFoundError):
                    (period_dir / f"{entry['slug']}.failed.{kind}").unlink()


# ---------------------------------------------------------------------------------------------
# Reviewer-side plan settings

#: Plan keys for the reviewers' side, read by ``plan_settings`` (the run checks ignore them):
#: ``timezone`` of the times on the index (IANA name) and ``pdf`` (true: ``run_plan`` prints
#: the period's PDF pack at the end).
PRESENTATION_KEYS = ("timezone", "pdf")
PLAN_KEYS = (*PLAN_KEYS, *PRESENTATION_KEYS)  # accepted by load_plan


def plan_settings(plan) -> dict:
    """The plan's reviewer-side settings: description, timezone (default Europe/Paris), pdf.

    Raises ``PlanError`` for a time zone that is not an IANA name or a ``pdf`` that is not
    true / false. Called after ``load_plan`` accepted the file.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    raw = yamlsafe.load(config.project_path(plan).read_text(encoding="utf-8"))
    raw = raw if isinstance(raw, dict) else {}
    problems = []
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(f"description = {description!r}; expected one line of text")
    timezone = raw.get("timezone", config.DEFAULT_TIMEZONE)
    try:
        if not isinstance(timezone, str) or not timezone:
            raise ValueError
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        problems.append(f"timezone = {timezone!r} is not a time zone name; expected an IANA "
                        f"name such as 'Europe/Paris' or 'Africa/Casablanca'")
    pdf = raw.get("pdf", False)
    if not isinstance(pdf, bool):
        problems.append(f"pdf = {pdf!r}; expected true (print the period's PDF pack after the "
                        "runs) or false")
    if problems:
        raise PlanError(plan, problems)
    return {"description": description.strip() if description else None,
            "timezone": timezone, "pdf": pdf}



__all__ = ["EXIT_INFRASTRUCTURE", "EXIT_OK", "EXIT_PLAN_REJECTED", "EXIT_RUN_FAILED",
           "ExecutorError", "PlanError", "RunSpec", "RunSummary", "classify", "default_period",
           "execute_run", "load_plan", "notebook_parameters", "plan_settings", "run_plan",
           "validate_runs"]
