"""Report runner: plan checks, run classification, incremental re-runs, atomic publication.

Fixture notebooks live in tests/notebooks (each papermill run costs ~1 s of kernel start,
so the executed plans are few and tiny).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import subprocess  # noqa: S404 - runs `python -m toolkit`, no shell
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from toolkit import cli, executors, reportindex, runner
from toolkit.config import ROOT
from toolkit.runner import PlanError, default_period, load_plan, run_plan

NB = "tests/notebooks"
DATA = f"{NB}/data.csv"  # calls 3 + 4 = 7


def write_plan(tmp_path: Path, text: str, name: str = "plan.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def stdout_of(ipynb: Path) -> str:
    nb = nbformat.read(ipynb, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")


# ---------------------------------------------------------------------------------- plans


def test_default_period_is_previous_calendar_month():
    assert default_period(dt.date(2026, 1, 15)) == "2025-12"
    assert default_period(dt.date(2026, 11, 1)) == "2026-10"


def test_matrix_expands_with_suffixed_names_and_period_substitution(tmp_path):
    plan = write_plan(tmp_path, f"""
default_period: "2026-09"
runs:
  - name: tiny
    notebook: {NB}/tiny.ipynb
    parameters: {{label: "007", data_path: "{DATA}"}}
    matrix: {{factor: [1, 3]}}
    timeout_s: 30
  - name: behave
    notebook: {NB}/behave.ipynb
    parameters: {{mode: "ok-{{period}}"}}
""")
    runs, period = load_plan(plan)
    assert period == "2026-09"
    assert [r.name for r in runs] == ["tiny-1", "tiny-3", "behave"]
    assert runs[0].parameters == {"label": "007", "data_path": DATA, "factor": 1}
    assert isinstance(runs[0].parameters["label"], str)  # '007' stays a string
    assert runs[1].timeout_s == 30.0
    assert runs[2].parameters == {"mode": "ok-2026-09"}
    runs, period = load_plan(plan, "2026-10")
    assert runs[2].parameters == {"mode": "ok-2026-10"}


def test_typo_in_parameter_rejected_with_closest_name_and_nothing_runs(tmp_path, capsys):
    plan = write_plan(tmp_path, f"""
runs:
  - name: tiny
    notebook: {NB}/tiny.ipynb
    parameters: {{lable: "x", data_path: "{DATA}"}}
  - name: gone
    notebook: {NB}/missing.ipynb
  - name: when
    notebook: {NB}/behave.ipynb
    parameters: {{mode: 2026-10-01}}
""")
    reports = tmp_path / "reports"
    code = cli.main(["run", str(plan), "--period", "2026-10", "--reports-dir", str(reports)])
    err = capsys.readouterr().err
    assert code == runner.EXIT_PLAN_REJECTED == 2
    assert "parameter 'lable' is not declared in the parameters cell of " \
           f"{NB}/tiny.ipynb (did you mean 'label'?)" in err
    assert f"notebook {NB}/missing.ipynb not found" in err
    assert "'mode' = datetime.date(2026, 10, 1) was read by YAML as a date; quote it" in err
    assert not reports.exists()  # nothing executed, nothing published


def test_unknown_keys_and_bad_period_rejected(tmp_path):
    plan = write_plan(tmp_path, f"""
runs:
  - name: tiny
    notebook: {NB}/tiny.ipynb
    paramters: {{label: x}}
""")
    with pytest.raises(PlanError) as info:
        load_plan(plan, "2026-13")
    text = str(info.value)
    assert "unknown key 'paramters' (did you mean 'parameters'?)" in text
    assert "period '2026-13' is not a month written YYYY-MM" in text


def test_notebook_parameters_are_parsed_not_executed():
    assert runner.notebook_parameters(ROOT / NB / "tiny.ipynb") == ["label", "factor",
                                                                    "data_path", "show_rows"]


def test_missing_project_kernel_falls_back_to_python3_with_a_warning(monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.setattr(KernelSpecManager, "find_kernel_specs",
                        lambda self: {"python3": "/somewhere/python3"})
    kernel, warning = runner.resolve_kernel()
    assert kernel == "python3"
    assert "kernel 'cc-toolkit' is not registered (run `make setup`)" in warning
    monkeypatch.setattr(KernelSpecManager, "find_kernel_specs",
                        lambda self: {"cc-toolkit": "/x", "python3": "/y"})
    assert runner.resolve_kernel() == ("cc-toolkit", None)


def test_classify_exceptions():
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    assert runner.classify(None) == "ok"
    assert runner.classify(PapermillExecutionError(1, 1, "x", "ValueError", "v", [])) == "failed"
    assert runner.classify(CellTimeoutError("slow")) == "timeout"
    assert runner.classify(DeadKernelError("Kernel died")) == "killed"
    assert runner.classify(RuntimeError("kernel did not start")) == "failed"


# ----------------------------------------------------------------------- one executed plan


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    """One plan with every outcome, executed once on the local process pool."""
    tmp = tmp_path_factory.mktemp("mixed")
    plan = write_plan(tmp, f"""
runs:
  - name: tiny
    notebook: {NB}/tiny.ipynb
    parameters: {{label: "007", data_path: "{DATA}"}}
    matrix: {{factor: [1, 3]}}
  - name: broken
    notebook: {NB}/behave.ipynb
    parameters: {{mode: fail}}
  - name: slow
    notebook: {NB}/behave.ipynb
    parameters: {{mode: sleep, seconds: 0.8}}
    timeout_s: 1.2
  - name: crash
    notebook: {NB}/behave.ipynb
    parameters: {{mode: kill}}
""")
    reports = tmp / "reports"
    summary = run_plan(plan, period="2026-10", executor="local", workers=2,
                       reports_dir=reports, progress=False)
    return plan, reports, summary


def test_each_run_is_classified_and_one_failure_does_not_stop_others(mixed_run):
    _, _, summary = mixed_run
    assert {r["name"]: r["status"] for r in summary.results} == {
        "tiny-1": "ok", "tiny-3": "ok", "broken": "failed", "slow": "timeout", "crash": "killed"}
    assert summary.exit_code == runner.EXIT_RUN_FAILED == 1
    broken = next(r for r in summary.results if r["name"] == "broken")
    assert broken["error"] == "cell 3: ValueError: fixture failure requested"
    # Two cells of 0.8 s each: within a per-cell limit, beyond the run's 1.2 s budget.
    slow = next(r for r in summary.results if r["name"] == "slow")
    assert slow["error"].startswith("run exceeded timeout_s = 1.2 s")


def test_outputs_manifest_and_html(mixed_run):
    _, reports, summary = mixed_run
    period_dir = reports / "2026-10"
    assert stdout_of(period_dir / "tiny-3.ipynb") == "007: 21\n"  # (3 + 4) * 3
    manifest = json.loads((period_dir / "manifest.json").read_text())
    assert re.fullmatch(r"[0-9a-f]{40}", manifest["git"]["revision"])
    assert manifest["packages"]["holidays"]  # calendars change the forecasts
    assert isinstance(manifest["git"]["dirty"], bool)
    assert manifest["packages"]["papermill"] and manifest["packages"]["nbconvert"]
    tiny = next(r for r in manifest["runs"] if r["name"] == "tiny-1")
    sha = hashlib.sha256((ROOT / DATA).read_bytes()).hexdigest()
    assert tiny["inputs"] == [{"parameter": "data_path", "path": DATA, "sha256": sha}]
    assert tiny["parameters"] == {"label": "007", "data_path": DATA, "factor": 1}
    assert tiny["outputs"] == {"ipynb": "tiny-1.ipynb", "html": "tiny-1.html"}
    assert tiny["status"] == "ok" and tiny["duration_s"] > 0
    html = (period_dir / "tiny-1.html").read_text()
    assert html.index("Run card") < html.index("007: 7")  # the card opens the report
    assert sha in html and "data_path" in html
    assert "DictReader" not in html  # no code in the reviewer report
    assert 'http-equiv="Content-Security-Policy"' in html and "<script" not in html
    crash = next(r for r in manifest["runs"] if r["name"] == "crash")
    assert crash["attempts"] == 1 + runner.KILLED_RETRIES  # a dead kernel is retried first
    assert crash["stale"] is False and crash["outputs"] == {}
    assert crash["attempt_outputs"]["html"] == "crash.failed.html"


def test_index_lists_failures_first_then_groups_by_plan(mixed_run):
    plan, reports, _ = mixed_run
    index = (reports / "2026-10" / "index.html").read_text()
    attention = index.index("Needs attention (3)")
    group = index.index('<section class="cc-group">')
    assert attention < group
    assert f"<h2>{plan.name}</h2>" in index  # no description: the plan file, not its machine path
    assert str(plan.parent) not in index
    # Without a report card a report is listed under a title made from its run name; its run
    # name, notebook and hashes are one click away.
    assert index.index(">Broken<", group) < index.index(">Tiny 1<", group)
    assert "<summary>Run details: <code>tiny-1</code></summary>" in index
    assert f"<code>{NB}/tiny.ipynb</code>" in index
    assert re.search(r"finished <time datetime=\"[^\"]+\+00:00\">2026-\d\d-\d\d \d\d:\d\d CES?T</time>",
                     index) or re.search(r"\d\d:\d\d CES?T</time>", index)
    assert 'href="broken.failed.html"' in index
    assert '2026-10/index.html' in (reports / "index.html").read_text()


def test_unchanged_runs_are_skipped_and_force_reruns(mixed_run, capsys):
    plan, reports, _ = mixed_run
    html = reports / "2026-10" / "tiny-1.html"
    before = html.stat().st_mtime_ns
    summary = run_plan(plan, period="2026-10", executor="serial", only="tiny",
                       reports_dir=reports, progress=False)
    assert [r["skipped"] for r in summary.results] == [True, True]
    assert summary.exit_code == 0 and html.stat().st_mtime_ns == before
    assert "[skip] unchanged tiny-1" in capsys.readouterr().out
    summary = run_plan(plan, period="2026-10", executor="serial", only="tiny-1", force=True,
                       reports_dir=reports, progress=False)
    assert [r["skipped"] for r in summary.results] == [False]
    assert html.stat().st_mtime_ns != before


def test_failed_rerun_keeps_last_good_report_marked_stale(tmp_path):
    data = tmp_path / "calls.csv"
    data.write_text("queue,calls\nsales,5\n")
    plan = write_plan(tmp_path, f"""
runs:
  - name: tiny
    notebook: {NB}/tiny.ipynb
    parameters: {{label: "x", data_path: "{data}"}}
""")
    reports = tmp_path / "reports"
    period_dir = reports / "2026-10"
    assert run_plan(plan, period="2026-10", executor="serial", reports_dir=reports,
                    progress=False).exit_code == 0
    good_html = (period_dir / "tiny.html").read_text()
    assert "x: 10" in good_html

    data.write_text("queue,calls\nsales,five\n")  # input changed, and now breaks the notebook
    summary = run_plan(plan, period="2026-10", executor="serial", reports_dir=reports,
                       progress=False)
    assert summary.exit_code == 1
    assert "x: 10" in (period_dir / "tiny.html").read_text()  # last good report in place
    entry = json.loads((period_dir / "manifest.json").read_text())["runs"][0]
    assert entry["status"] == "failed" and entry["stale"] is True
    assert entry["outputs"]["html"] == "tiny.html"
    assert "invalid literal for int()" in entry["error"]
    assert (period_dir / "tiny.failed.html").is_file()
    stale_page = (period_dir / "tiny.html").read_text()  # the page itself says it is stale
    assert "Stale report: the latest run" in stale_page and "failed" in stale_page
    assert stale_page.replace(re.search(r"<!-- cc-stale -->.*?<!-- /cc-stale -->", stale_page,
                                        re.DOTALL).group(), "") == good_html
    index = (period_dir / "index.html").read_text()
    assert "stale" in index and 'href="tiny.failed.html"' in index
    assert not list(reports.glob(".work*/*"))  # work directory cleaned up

    data.write_text("queue,calls\nsales,6\n")  # fixed: fresh report, stale mark and attempt gone
    assert run_plan(plan, period="2026-10", executor="serial", reports_dir=reports,
                    progress=False).exit_code == 0
    entry = json.loads((period_dir / "manifest.json").read_text())["runs"][0]
    assert entry["stale"] is False and "x: 12" in (period_dir / "tiny.html").read_text()
    assert not (period_dir / "tiny.failed.html").exists()


def test_executors_give_the_same_results(tmp_path):
    plan = write_plan(tmp_path, f"""
runs:
  - name: tiny
    notebook: {NB}/tiny.ipynb
    parameters: {{label: "t", factor: 5, data_path: "{DATA}"}}
  - name: behave
    notebook: {NB}/behave.ipynb
""")
    outcomes = {}
    for executor in ("serial", "dask"):
        reports = tmp_path / executor
        summary = run_plan(plan, period="2026-10", executor=executor, workers=2,
                           reports_dir=reports, progress=False)
        outcomes[executor] = ([(r["name"], r["status"]) for r in summary.results],
                              stdout_of(reports / "2026-10" / "tiny.ipynb"),
                              stdout_of(reports / "2026-10" / "behave.ipynb"))
    assert outcomes["serial"] == outcomes["dask"] == (
        [("tiny", "ok"), ("behave", "ok")], "t: 35\n", "mode ok\n")


def test_unreachable_scheduler_is_an_infrastructure_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(executors, "DASK_CONNECT_TIMEOUT_S", 1)
    plan = write_plan(tmp_path, f"""
runs:
  - name: behave
    notebook: {NB}/behave.ipynb
""")
    code = cli.main(["run", str(plan), "--period", "2026-10", "--executor", "dask",
                     "--scheduler", "tcp://127.0.0.1:9", "--reports-dir", str(tmp_path / "r"),
                     "--no-progress"])
    assert code == runner.EXIT_INFRASTRUCTURE == 3
    assert "dask scheduler tcp://127.0.0.1:9 is unreachable" in capsys.readouterr().err
    assert not (tmp_path / "r" / "2026-10" / "manifest.json").exists()


def test_python_dash_m_entry_point_returns_the_exit_code(tmp_path):
    plan = write_plan(tmp_path, "runs: []\n")
    proc = subprocess.run([sys.executable, "-m", "toolkit", "run", str(plan)],  # noqa: S603
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "expected a mapping with a non-empty list under 'runs:'" in proc.stderr


# ------------------------------------------------------------------------- dependencies


def test_needs_orders_runs_in_waves_and_rejects_unknown_names_and_cycles(tmp_path):
    plan = write_plan(tmp_path, f"""
runs:
  - name: report
    notebook: {NB}/tiny.ipynb
    parameters: {{data_path: "{DATA}"}}
    needs: [forecast]
  - name: forecast
    notebook: {NB}/behave.ipynb
    matrix: {{mode: [ok, also]}}
  - name: free
    notebook: {NB}/behave.ipynb
""")
    runs, _ = load_plan(plan)
    waves = runner.dependency_waves(runs)
    assert [[r.name for r in wave] for wave in waves] == [
        ["forecast-ok", "forecast-also", "free"], ["report"]]

    unknown = write_plan(tmp_path, f"""
runs:
  - name: c
    notebook: {NB}/behave.ipynb
    needs: [forcast]
""", name="unknown.yml")
    with pytest.raises(PlanError, match="needs 'forcast', which is no run of this plan"):
        load_plan(unknown)
    cycle = write_plan(tmp_path, f"""
runs:
  - name: a
    notebook: {NB}/behave.ipynb
    needs: [b]
  - name: b
    notebook: {NB}/behave.ipynb
    needs: a
""", name="cycle.yml")
    with pytest.raises(PlanError, match="need each other in a cycle"):
        load_plan(cycle)


def test_a_run_whose_dependency_failed_is_not_executed(tmp_path):
    plan = write_plan(tmp_path, f"""
runs:
  - name: upstream
    notebook: {NB}/behave.ipynb
    parameters: {{mode: fail}}
  - name: downstream
    notebook: {NB}/tiny.ipynb
    parameters: {{data_path: "{DATA}"}}
    needs: [upstream]
""")
    summary = run_plan(plan, period="2026-10", executor="serial", reports_dir=tmp_path / "r",
                       progress=False)
    assert summary.exit_code == 1
    by_name = {r["name"]: r for r in summary.results}
    assert by_name["upstream"]["status"] == "failed"
    assert by_name["downstream"]["status"] == "failed"
    assert "not run: it needs upstream" in by_name["downstream"]["error"]
    assert by_name["downstream"]["duration_s"] == 0.0


def test_inputs_are_files_read_not_written_and_folders_stand_for_their_files(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.csv").write_text("x\n1\n")
    (tmp_path / "raw" / "sub").mkdir()
    (tmp_path / "out.parquet").write_text("old output")
    inputs = runner.find_inputs({"data_dir": str(tmp_path / "raw"),
                                 "output_path": str(tmp_path / "out.parquet"),
                                 "label": "not a file"}, runner.sha256_file)
    assert [(i["parameter"], Path(i["path"]).name) for i in inputs] == [("data_dir", "a.csv")]
    assert inputs[0]["sha256"] == hashlib.sha256(b"x\n1\n").hexdigest()


@pytest.mark.parametrize("plan", sorted((ROOT / "plans").glob("*.yml")), ids=lambda p: p.name)
def test_shipped_plans_pass_their_checks(plan):
    """Every plan in plans/ names real notebooks and only parameters they declare."""
    runs, period = load_plan(plan)
    assert runs and re.fullmatch(r"\d{4}-\d{2}", period)
    assert runner.dependency_waves(runs)


def test_index_names_every_plan_whose_runs_it_lists():
    manifest = {"period": "2026-10", "plan": "plans/monthly.yml", "generated_at": "now",
                "git": {"revision": "abc", "dirty": False},
                "runs": [{"name": "a", "notebook": "n.ipynb", "status": "ok", "parameters": {},
                          "plan": "plans/default.yml", "duration_s": 1.0, "stale": False, "finished_at": "t",
                          "outputs": {"html": "a.html", "ipynb": "a.ipynb"}},
                         {"name": "b", "notebook": "n.ipynb", "status": "ok", "parameters": {},
                          "plan": "plans/monthly.yml", "duration_s": 1.0, "stale": False, "finished_at": "t",
                          "outputs": {"html": "b.html", "ipynb": "b.ipynb"}}]}
    html = reportindex.render_period_index(manifest)
    assert "from plans <code>plans/default.yml</code>, <code>plans/monthly.yml</code>" in html


def test_a_toolkit_code_change_reruns_reports(tmp_path, monkeypatch):
    plan = write_plan(tmp_path, f"""
runs:
  - name: tiny
    notebook: {NB}/tiny.ipynb
    parameters: {{data_path: "{DATA}"}}
""")
    reports = tmp_path / "reports"

    def run():
        return run_plan(plan, period="2026-10", executor="serial", reports_dir=reports,
                        progress=False).results[0]

    first = run()
    assert first["skipped"] is False and first["toolkit_sha256"] == runner._code_sha256()
    assert run()["skipped"] is True
    monkeypatch.setattr(runner, "_code_sha256", lambda: "0" * 64)  # the models changed
    assert run()["skipped"] is False


def test_code_fingerprint_follows_code_and_reference_files(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "model.py").write_text("RATE = 1\n")
    (tmp_path / "reference" / "figures.yaml").write_text("wage: 10\n")
    (tmp_path / "notes.txt").write_text("not code")
    before = runner.code_fingerprint(tmp_path)
    (tmp_path / "notes.txt").write_text("still not code")
    assert runner.code_fingerprint(tmp_path) == before
    (tmp_path / "reference" / "figures.yaml").write_text("wage: 11\n")
    assert runner.code_fingerprint(tmp_path) != before


# ------------------------------------------------------------------ faults: kills and locks


def _descendants(pid: int) -> set[int]:
    """Processes below ``pid`` (from /proc: Linux only)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pids) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists()
            and "Z" not in (Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[:1] or [""])}


def _cli(plan: Path, reports: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "toolkit", "run", str(plan), "--period", "2026-10",
            "--reports-dir", str(reports), "--no-progress", *extra]


def test_killed_runner_leaves_no_worker_and_no_lock_and_the_next_run_completes(tmp_path):
    import os
    import signal
    import time

    slow = write_plan(tmp_path, f"""
runs:
  - name: behave
    notebook: {NB}/behave.ipynb
    parameters: {{mode: sleep, seconds: 60}}
    timeout_s: 120
""", name="slow.yml")
    quick = write_plan(tmp_path, f"""
runs:
  - name: behave
    notebook: {NB}/behave.ipynb
""", name="quick.yml")
    reports = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(_cli(slow, reports, "--executor", "local"), env=env,  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    below: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the worker runs a kernel
            below = _descendants(proc.pid)
            if any(b"ipykernel" in Path(f"/proc/{p}/cmdline").read_bytes()
                   for p in _alive(below)):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the runner never started a kernel")
        # The killed run's temporary notebook folder stays behind; so would its staged files.
        assert list(Path(tempfile.gettempdir()).glob(f"cc-run-{proc.pid}-*"))
        (reports / ".work" / f"2026-10-{proc.pid}-1").mkdir(parents=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while _alive(below) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(below), "worker or kernel outlived the killed runner"
        t0 = time.monotonic()
        done = subprocess.run(_cli(quick, reports, "--executor", "local", "--lock-timeout", "30"),  # noqa: S603
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - t0 < 60 and "waiting" not in done.stderr
        assert "without encryption" not in done.stderr  # no kernel start-up noise
        assert not list((reports / ".work").glob("2026-10-*"))  # leftovers cleaned
        assert not list(Path(tempfile.gettempdir()).glob(f"cc-run-{proc.pid}-*"))
    finally:
        for pid in _alive(below | {proc.pid}):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def test_a_run_waiting_for_the_lock_says_so_and_gives_up_with_exit_3(tmp_path):
    import os

    plan = write_plan(tmp_path, f"""
runs:
  - name: behave
    notebook: {NB}/behave.ipynb
""")
    reports = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with runner._period_lock(reports, "2026-10"):
        done = subprocess.run(_cli(plan, reports, "--lock-timeout", "1"), env=env,  # noqa: S603
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == runner.EXIT_INFRASTRUCTURE == 3
    assert f"waiting: period 2026-10 is locked by pid {os.getpid()}" in done.stderr
    assert "gave up after waiting 1 s" in done.stderr
    assert not (reports / "2026-10").exists()


def test_one_dead_worker_loses_only_its_own_run_which_is_retried_then_killed(tmp_path):
    plan = write_plan(tmp_path, f"""
runs:
  - name: tiny
    notebook: {NB}/tiny.ipynb
    parameters: {{label: "w", data_path: "{DATA}"}}
  - name: killer
    notebook: {NB}/behave.ipynb
    parameters: {{mode: kill-worker}}
""")
    reports = tmp_path / "reports"
    summary = run_plan(plan, period="2026-10", executor="local", workers=2,
                       reports_dir=reports, progress=False)
    by_name = {r["name"]: r for r in summary.results}
    assert by_name["tiny"]["status"] == "ok"
    assert stdout_of(reports / "2026-10" / "tiny.ipynb") == "w: 14\n"  # published (factor 2)
    assert by_name["killer"]["status"] == "killed"
    assert by_name["killer"]["attempts"] == 1 + runner.KILLED_RETRIES
    assert "worker process died" in by_name["killer"]["error"]
    assert summary.exit_code == runner.EXIT_RUN_FAILED
    # The killed workers could not remove their temporary folders; the next run of a later
    # runner would (its owner gone): here the owner is this test process, so clean up now.
    import os
    import shutil

    for leftover in Path(tempfile.gettempdir()).glob(f"cc-run-{os.getpid()}-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def test_scheduler_address_errors_give_the_documented_exit_codes(tmp_path, capsys):
    import socket

    plan = write_plan(tmp_path, f"""
runs:
  - name: behave
    notebook: {NB}/behave.ipynb
""")
    args = ["run", str(plan), "--period", "2026-10", "--executor", "dask",
            "--reports-dir", str(tmp_path / "r"), "--no-progress", "--scheduler"]
    assert cli.main([*args, "http://127.0.0.1:8786"]) == runner.EXIT_PLAN_REJECTED
    assert "tcp://HOST:PORT" in capsys.readouterr().err
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        executors_timeout = executors.DASK_CONNECT_TIMEOUT_S
        executors.DASK_CONNECT_TIMEOUT_S = 1
        try:
            code = cli.main([*args, f"tcp://127.0.0.1:{silent.getsockname()[1]}"])
        finally:
            executors.DASK_CONNECT_TIMEOUT_S = executors_timeout
    assert code == runner.EXIT_INFRASTRUCTURE
    assert "no answer within 1 s" in capsys.readouterr().err


# ------------------------------------------------------------------ data shown as text only

HOSTILE_SITE = ("[win](https://evil.example/x) ![t](https://evil.example/t.png) "
                "<a href='https://evil.example/a'>a</a> | cell | $x^2$ \u202eRTL\u202c "
                "<img src=https://evil.example/i.png> costs US$5")


@pytest.fixture(scope="module")
def hostile_data_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-data")
    plan = tmp / "plan.yml"
    plan.write_text(json.dumps({"runs": [{"name": "hostile", "parameters": {"site": HOSTILE_SITE},
                                          "notebook": f"{NB}/hostile_data.ipynb"}]}))
    summary = run_plan(plan, period="2026-10", executor="serial", reports_dir=tmp / "r",
                       progress=False)
    return summary


def test_markup_in_data_reaches_reviewers_as_text_only(hostile_data_report):
    summary = hostile_data_report
    # A "$" in a site id no longer kills the report in matplotlib's mathtext.
    assert summary.results[0]["status"] == "ok", summary.results[0]["error"]
    nb = nbformat.read(summary.reports_dir / "hostile.ipynb", as_version=4)
    shown = [o["data"].get("text/html", "") for c in nb.cells for o in c.get("outputs", [])
             if "data" in o]  # what Jupyter renders as markup (streams show as plain text)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if "text/markdown" in
                o.get("data", {})]  # Markdown outputs are published as their cleaned HTML
    assert "\u202e" not in (summary.reports_dir / "hostile.ipynb").read_text()
    for name, published in (("hostile.html", (summary.reports_dir / "hostile.html").read_text()),
                            ("hostile.ipynb outputs", "".join(shown))):
        # No live link or remote image anywhere, whatever path the value took.
        assert not re.search(r"""<a\b[^>]*href=\\?["']?https?:""", published), name
        assert not re.search(r"""<img\b[^>]*src=\\?["']?https?:""", published), name
        assert "\u202e" not in published and "\u202c" not in published, name
    html = (summary.reports_dir / "hostile.html").read_text()
    assert "[win](https://evil.example/x)" in html  # escaped Markdown shows the text itself
    assert "owes 7 540,15 €" in html


def test_a_report_showing_personal_data_is_not_published(tmp_path):
    data = tmp_path / "calls.csv"
    data.write_text("queue,calls\njean.dupont@example.fr,5\n")  # a value the notebook shows
    plan = write_plan(tmp_path, f"""
runs:
  - name: leak
    notebook: {NB}/tiny.ipynb
    parameters: {{data_path: "{data}", show_rows: true}}
""")
    summary = run_plan(plan, period="2026-10", executor="serial", reports_dir=tmp_path / "r",
                       progress=False)
    result = summary.results[0]
    assert result["status"] == "failed" and summary.exit_code == 1
    assert "not published: the report shows a e-mail address (je…***)" in result["error"]
    published = "".join(p.read_text() for p in (tmp_path / "r").rglob("*") if p.is_file())
    assert "jean.dupont" not in published


def test_personal_data_in_plan_parameters_rejects_the_plan(tmp_path):
    plan = write_plan(tmp_path, f"""
runs:
  - name: leak
    notebook: {NB}/hostile.ipynb
    parameters: {{provider: "call +33 6 12 34 56 78"}}
""")
    with pytest.raises(PlanError, match=r"parameter 'provider' holds a phone number \(\+3…\*\*\*\)"):
        load_plan(plan)


# ------------------------------------------------------------------------- plans and paths


def test_plan_yaml_alias_bomb_self_reference_and_duplicate_keys_are_refused_quickly(tmp_path):
    import time

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + "runs: *i\n"
    cases = {"bomb.yml": (bomb, "expands to more than 100,000 values"),
             "self.yml": ("runs: &r [*r]\n", "alias *r is used inside its own anchor"),
             "dup.yml": (f"runs:\n  - name: a\n    notebook: {NB}/behave.ipynb\n"
                         f"    notebook: {NB}/tiny.ipynb\n", "key 'notebook' appears twice")}
    for name, (text, fragment) in cases.items():
        t0 = time.perf_counter()
        with pytest.raises(PlanError, match=re.escape(fragment)):
            load_plan(write_plan(tmp_path, text, name=name))
        assert time.perf_counter() - t0 < 2, name


def test_a_refused_file_is_never_quoted_in_the_error(tmp_path):
    secret = tmp_path / "secret.yml"
    secret.write_text("root:x:0:0:TOPSECRET: [unclosed\n")
    with pytest.raises(PlanError) as info:
        load_plan(secret)
    assert "TOPSECRET" not in str(info.value) and "line 2, column 1" in str(info.value)
    fake = ROOT / NB / "not_a_notebook.ipynb"  # inside the project, but not JSON
    fake.write_text("TOPSECRET first line\n")
    try:
        plan = write_plan(tmp_path, f"runs:\n  - name: a\n    notebook: {NB}/not_a_notebook.ipynb\n")
        with pytest.raises(PlanError) as info:
            load_plan(plan)
        assert "TOPSECRET" not in str(info.value) and "cannot be read as a notebook" in str(info.value)
    finally:
        fake.unlink()


def test_notebook_outside_the_project_reserved_names_bad_period_and_skip_tags_are_refused(tmp_path):
    outside = tmp_path / "evil.ipynb"
    outside.write_text((ROOT / NB / "behave.ipynb").read_text())
    skipping = ROOT / NB / "skipping.ipynb"
    nb = nbformat.read(ROOT / NB / "behave.ipynb", as_version=4)
    nb.cells[-1].metadata["tags"] = ["skip-execution"]
    nbformat.write(nb, skipping)
    try:
        plan = write_plan(tmp_path, f"""
runs:
  - name: evil
    notebook: {outside}
  - name: index
    notebook: {NB}/behave.ipynb
  - name: skipper
    notebook: {NB}/skipping.ipynb
""")
        with pytest.raises(PlanError) as info:
            load_plan(plan, "2026-10\n")
    finally:
        skipping.unlink()
    message = str(info.value)
    assert "notebook " + str(outside) + " is outside the project" in message
    assert "run name 'index' is reserved" in message
    assert "period '2026-10\\n' is not a month" in message
    assert "tagged skip-execution or raises-exception" in message


def test_run_card_states_the_data_window():
    from toolkit import runner
    assert runner.data_window({"period": "2026-10"}) == (
        "data up to 31 Oct 2026, the end of the month reported; what it forecasts or staffs "
        "comes after")
    assert runner.data_window({"period": "2024-02"}).startswith("data up to 29 Feb 2024")
    assert "no period parameter" in runner.data_window({"history_path": "x.csv"})


# ------------------------------------------------------------------------- plan-level locale


def _locale_plan(tmp_path: Path, plan_locale: str, run_locale: str = "") -> Path:
    own = f"\n    parameters: {{locale: {run_locale}}}" if run_locale else ""
    return write_plan(tmp_path, f"""
locale: {plan_locale}
runs:
  - name: localised
    notebook: {NB}/localised.ipynb
  - name: own-locale
    notebook: {NB}/localised.ipynb{own}
  - name: tiny
    notebook: {NB}/tiny.ipynb
    parameters: {{data_path: "{DATA}"}}
""")


def test_plan_locale_reaches_notebooks_declaring_it_and_a_run_of_its_own_wins(tmp_path):
    runs, _ = load_plan(_locale_plan(tmp_path, "fr_FR", run_locale="de_DE"), "2026-10")
    by_name = {r.name: r.parameters for r in runs}
    assert by_name["localised"] == {"locale": "fr_FR"}
    assert by_name["own-locale"] == {"locale": "de_DE"}  # the run's own value wins
    assert by_name["tiny"] == {"data_path": DATA}  # tiny declares no locale: untouched


def test_without_a_plan_locale_nothing_is_injected(tmp_path):
    plan = write_plan(tmp_path, f"""
runs:
  - name: localised
    notebook: {NB}/localised.ipynb
""")
    runs, _ = load_plan(plan, "2026-10")
    assert runs[0].parameters == {}


@pytest.mark.parametrize(("bad", "shown"), [("xx_YY", "'xx_YY'"), ("42", "42")])
def test_a_plan_locale_babel_does_not_know_rejects_the_plan_naming_the_key(tmp_path, bad, shown):
    with pytest.raises(PlanError) as info:
        load_plan(_locale_plan(tmp_path, bad), "2026-10")
    assert f"top-level key 'locale' = {shown} is not a locale babel knows" in str(info.value)
    assert "'en_GB'" in str(info.value)


def test_monthly_plan_sets_french_once_for_every_kpi_run():
    runs, _ = load_plan(ROOT / "plans" / "monthly.yml")
    assert {r.parameters["locale"] for r in runs} == {"fr_FR"}


def test_reviewer_pages_link_only_to_sibling_reports():
    """The executive summary links the period's other reports; nothing else gets a link."""
    html = runner.clean_html(
        '<a href="kpi-ATLAS-CAS.html">k</a><a href="staffing.html#fte">s</a><a href="#top">t</a>'
        '<a href="../2026-09/staffing.html">u</a><a href="https://evil.example/a.html">e</a>'
        '<a href="//evil.example/a.html">p</a><a href="javascript:a.html">j</a>'
        '<img src="https://evil.example/x.png">')
    assert re.findall(r'href="([^"]*)"', html) == ["kpi-ATLAS-CAS.html", "staffing.html#fte",
                                                     "#top"]
    assert "evil" not in html and "2026-09" not in html


def test_index_titles_name_the_month_in_words(tmp_path):
    manifest = {"period": "2026-10", "plan": "plans/default.yml", "generated_at": "now",
                "git": {"revision": "abc", "dirty": False}, "runs": []}
    html = reportindex.render_period_index(manifest)
    assert "<h1>Reports for October 2026</h1>" in html
    assert "<title>Reports for October 2026</title>" in html
    (tmp_path / "2026-10").mkdir()
    (tmp_path / "2026-10" / "manifest.json").write_text(json.dumps(manifest))
    top = reportindex.write_reports_index(tmp_path).read_text()
    assert '<a href="2026-10/index.html">October 2026</a>' in top
    assert reportindex.period_name("draft") == "draft"
