"""Project paths, defined once (cookiecutter-data-science style).

Notebooks and plans give paths relative to the project root; ``project_path`` resolves them,
so a notebook runs the same from JupyterLab, papermill or nbval whatever the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The project root: the folder holding ``toolkit/``. ``CC_TOOLKIT_ROOT`` overrides it for
#: installs outside a checkout.
ROOT = Path(os.environ.get("CC_TOOLKIT_ROOT", Path(__file__).resolve().parent.parent))
DATA_RAW = ROOT / "data" / "raw"
#: The small variant of the sample data: notebook defaults and tests run on it in seconds.
DATA_SAMPLE_SMALL = DATA_RAW / "small"
DATA_PROCESSED = ROOT / "data" / "processed"
REPORTS = ROOT / "reports"
PLANS = ROOT / "plans"
NOTEBOOKS = ROOT / "notebooks"
#: Default reference data shipped with the package (locations, engagement forms, KPIs).
REFERENCE = Path(__file__).resolve().parent / "reference"

#: Site clock for the sample company and default for timestamps without an offset.
DEFAULT_TIMEZONE = "Europe/Paris"


def project_path(path: str | os.PathLike) -> Path:
    """Return ``path`` as an absolute path, relative paths being taken from the project root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else ROOT / p


def shown_path(path: str | os.PathLike) -> str:
    """A path as a reviewer page may show it: relative to the project root, or only the file
    name for a file outside it (pages carry no paths of the machine)."""
    p = project_path(path).resolve()
    return p.relative_to(ROOT.resolve()).as_posix() if p.is_relative_to(ROOT.resolve()) else p.name
