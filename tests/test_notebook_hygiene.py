"""Notebooks are committed clean: no stored outputs (but keep_output cells), one parameters cell."""

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_and_parametrised(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, f"{path.name}: {len(params)} cells tagged 'parameters', need 1"
    ast.parse("".join(params[0]["source"]))  # defaults are plain Python
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        if not cell.get("metadata", {}).get("keep_output"):
            assert not cell.get("outputs"), f"{path.name}: cell {i} has stored outputs"
            assert cell.get("execution_count") is None, f"{path.name}: cell {i} has a count"
    assert nb["metadata"]["kernelspec"]["name"] == "cc-toolkit"
    assert cells[0]["cell_type"] == "markdown", f"{path.name}: should open with its story"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_key_figures_are_stored_for_nbval(path):
    """Each notebook keeps one cell of key figures whose stored output nbval compares."""
    cells = [c for c in json.loads(path.read_text())["cells"]
             if c["cell_type"] == "code" and c.get("metadata", {}).get("keep_output")]
    assert len(cells) == 1, f"{path.name}: {len(cells)} keep_output cells, expected 1"
    source = "".join(cells[0]["source"])
    # nbval only honours the marker as a whole comment line.
    assert "# NBVAL_CHECK_OUTPUT" in source.splitlines(), f"{path.name}: marker line missing"
    text = "".join("".join(o.get("text", "")) for o in cells[0]["outputs"])
    assert text.strip(), f"{path.name}: key figures not stored (run make key-figures)"
    assert cells[0]["execution_count"] is not None, "nbval skips cells stored as never run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_reads_every_parameter(path):
    """papermill must see every name the parameters cell assigns: a comment it cannot parse
    (e.g. one holding '=') hides the parameter, and a plan's value is then only 'unknown'."""
    import papermill

    cell = next(c for c in json.loads(path.read_text())["cells"]
                if "parameters" in c.get("metadata", {}).get("tags", []))
    assigned = {t.id for node in ast.parse("".join(cell["source"])).body
                if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    seen = set(papermill.inspect_notebook(str(path)))
    assert assigned <= seen, f"{path.name}: papermill cannot parse {sorted(assigned - seen)}"


def _key_figures(name: str) -> str:
    path = next(p for p in NOTEBOOKS if p.name == name)
    cell = next(c for c in json.loads(path.read_text())["cells"]
                if c.get("metadata", {}).get("keep_output"))
    return "".join("".join(o.get("text", "")) for o in cell["outputs"])


def test_staffing_and_sourcing_key_figures_give_one_fte():
    """One planning basis: the staffing report and the business case size the same month with
    the same FTE (within 0.5 %) — nbval holds each figure, this holds them together."""
    import re

    from toolkit import present
    from toolkit.staffing import report as words
    # the staffing report says month and place in words ("November 2026", "France – regions");
    # the business case may still print codes ("2026-11", "FR-REG")
    staffing = re.search(r"staffing month (.+?): ([\d.]+) FTE (?:at|in) (.+?) \(",
                         _key_figures("20_staffing.ipynb"))
    sourcing = re.search(r"first contract month (.+?): ([\d.]+) FTE (?:at|in) (.+?) \(",
                         _key_figures("30_sourcing_scenarios.ipynb"))
    assert staffing and sourcing, "key figures lack the FTE lines"
    month, place = sourcing.group(1), sourcing.group(3)
    if re.fullmatch(r"\d{4}-\d{2}", month):
        month = present.month(month)
    assert staffing.group(1) == month
    assert staffing.group(3) in (place, words.location_words(place))
    assert float(sourcing.group(2)) == pytest.approx(float(staffing.group(2)), rel=0.005)


def test_figures_describe_themselves_for_the_reviewer_pages():
    import matplotlib

    matplotlib.use("Agg")
    from toolkit import config, plots

    fig, axes = plots.plt.subplots(1, 2)
    fig.suptitle("Two panels")
    plots.finish(axes[0], "Care peaks on Monday", "day", "calls")
    assert plots.describe(fig) == "Chart: Two panels; Care peaks on Monday (calls by day)"
    assert plots.describe(plots.plt.figure()) == "Chart without a title"
    assert config.shown_path(config.ROOT / "data" / "x.parquet") == "data/x.parquet"
    assert config.shown_path("/elsewhere/y.csv") == "y.csv"
