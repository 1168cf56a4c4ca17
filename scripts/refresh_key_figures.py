"""Store the outputs of the notebooks' key-figure cells, which nbval then checks.

Each notebook ends with a cell tagged ``key-figures`` (metadata ``keep_output: true``, first
line ``# NBVAL_CHECK_OUTPUT``) that prints the few figures a reviewer would quote. This script
runs every notebook on its defaults (the small sample) with papermill, in file order (later
notebooks read what earlier ones wrote), and copies those cells' outputs into the committed
notebooks; every other cell stays without output. Run it after a deliberate change to the
sample data or a model (``make key-figures``), and review the diff: it is the change in results.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parent.parent


def key_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.metadata.get("keep_output")]


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    cells = key_cells(nb)
    if not cells:
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        papermill.execute_notebook(str(path), str(out), kernel_name="cc-toolkit", cwd=str(ROOT),
                                   progress_bar=False)
        executed = nbformat.read(out, as_version=4)
    # papermill adds an injected-parameters cell only when given parameters: none here.
    for i in cells:
        if executed.cells[i].source != nb.cells[i].source:
            raise RuntimeError(f"{path}: cell {i} differs after execution; nothing stored")
        nb.cells[i].outputs = [o for o in executed.cells[i].outputs
                               if o.get("output_type") == "stream"]
        nb.cells[i].execution_count = 1  # nbval skips the comparison of "unrun" cells
    nbformat.write(nb, path)
    print(f"{path.relative_to(ROOT)}: key figures stored from {len(cells)} cell(s)")


def main(paths: list[str]) -> int:
    notebooks = [Path(p).resolve() for p in paths] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    for path in notebooks:
        refresh(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
