"""Write environment.yml from requirements.lock so conda users get the same exact pins."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = [
    "# Conda environment mirroring requirements.lock (same exact pins; a test checks they agree).",
    "# conda env create -f environment.yml && conda activate cc-toolkit && pip install --no-deps -e .",
    "name: cc-toolkit",
    "channels:",
    "  - conda-forge",
    "dependencies:",
    "  - python=3.11",
    "  - pip",
    "  - pip:",
]


def main() -> None:
    pins = [line.strip() for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    text = "\n".join(HEADER + [f"      - {pin}" for pin in pins]) + "\n"
    (ROOT / "environment.yml").write_text(text)


if __name__ == "__main__":
    main()
