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
