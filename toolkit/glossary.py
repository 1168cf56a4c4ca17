"""Plain-language glossary: every report ends with the terms it actually uses, explained.

Terms come from one file (``toolkit/reference/glossary.yml``) and the KPI catalogue (each KPI's
id, name and definition), so a word is explained the same way in every report. The runner
appends the glossary when it renders a report (``glossary_markdown`` on the executed
notebook's visible text), so no notebook has to keep a list by hand.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass

from toolkit.config import REFERENCE
from toolkit.markup import md
from toolkit.refdata import read_yaml

GLOSSARY_PATH = REFERENCE / "glossary.yml"
KPI_CATALOGUE_PATH = REFERENCE / "kpis.yaml"

#: Heading of the appended section; a report that already has it is not given a second one.
HEADING = "Glossary"


@dataclass(frozen=True)
class Term:
    term: str
    meaning: str
    aliases: tuple[str, ...] = ()
    #: A regular expression for a family of words rather than fixed spellings (site codes such
    #: as ``ATLAS-CAS``): the term is used when the text has a match.
    pattern: str | None = None

    def used_in(self, text: str) -> bool:
        """Whether ``text`` mentions the term: any spelling (whole word) or ``pattern``."""
        if any(_pattern(s).search(text) for s in self.spellings()):
            return True
        return self.pattern is not None and re.search(self.pattern, text) is not None

    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


def _pattern(spelling: str) -> re.Pattern:
    """Whole-word match; abbreviations (no lower-case letter) match case-sensitively."""
    flags = 0 if spelling == spelling.upper() else re.IGNORECASE
    return re.compile(r"(?<![\w-])" + re.escape(spelling) + r"(?![\w-])", flags)


def load_terms(path: str | os.PathLike = GLOSSARY_PATH,
               catalogue_path: str | os.PathLike | None = KPI_CATALOGUE_PATH) -> list[Term]:
    """The glossary file's terms, then one per KPI of the catalogue (id, name: definition)."""
    data = read_yaml(path, "glossary_path")
    terms = []
    for i, entry in enumerate(data.get("terms") or []):
        where = f"{path}: terms[{i}]"
        if not isinstance(entry, dict) or not entry.get("term") or not entry.get("meaning"):
            raise ValueError(f"{where}: each term needs 'term' and 'meaning' (got {entry!r})")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list):
            raise ValueError(f"{where}: 'aliases' must be a list of spellings, got {aliases!r}")
        pattern = entry.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                raise ValueError(f"{where}: 'pattern' is not a regular expression ({exc})") from exc
        terms.append(Term(str(entry["term"]), " ".join(str(entry["meaning"]).split()),
                          tuple(str(a) for a in aliases),
                          None if pattern is None else str(pattern)))
    if catalogue_path is not None:
        catalogue = read_yaml(catalogue_path, "catalogue_path")
        known = {s for t in terms for s in t.spellings()}
        for kpi_id, spec in (catalogue.get("kpis") or {}).items():
            if kpi_id in known:
                continue
            meaning = " ".join(str(spec.get("definition", "")).split())
            terms.append(Term(str(kpi_id), meaning,
                              (str(spec["name"]),) if spec.get("name") else ()))
    return terms


def terms_used(text: str, terms: list[Term]) -> list[Term]:
    """The terms ``text`` mentions under any of their spellings, in alphabetical order."""
    found = [t for t in terms if t.used_in(text)]
    return sorted(found, key=lambda t: t.term.casefold())


_TAG = re.compile(r"<[^>]+>")
_STYLE_OR_SCRIPT = re.compile(r"<(style|script)\b.*?</\1>", re.IGNORECASE | re.DOTALL)


def visible_text(nb) -> str:
    """What a reviewer reads in an executed notebook: markdown cells and cell outputs (HTML
    without its tags, plain text, printed streams). Code is not shown in reports."""
    parts = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            parts.append(_joined(cell.get("source", "")))
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(_joined(output.get("text", "")))
                continue
            data = output.get("data", {})
            if "text/html" in data:
                raw = _STYLE_OR_SCRIPT.sub(" ", _joined(data["text/html"]))
                parts.append(html.unescape(_TAG.sub(" ", raw)))
            elif "text/markdown" in data:
                parts.append(_joined(data["text/markdown"]))
            elif "text/plain" in data:
                parts.append(_joined(data["text/plain"]))
    return "\n".join(parts)


def _joined(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def glossary_markdown(text: str, terms: list[Term] | None = None) -> str | None:
    """A "Glossary" section (Markdown) for the terms ``text`` uses, or None when it uses none
    or already carries its own glossary."""
    if re.search(rf"^#+\s*{HEADING}\b", text, re.MULTILINE):
        return None
    used = terms_used(text, load_terms() if terms is None else terms)
    if not used:
        return None
    lines = [f"## {HEADING}", "", "The words and abbreviations this report uses, in plain language.", ""]
    for term in used:
        others = [a for a in term.aliases if a != term.term]
        also = f" (also: {', '.join(md(a) for a in others)})" if others else ""
        lines.append(f"- **{md(term.term)}**{also} — {md(term.meaning)}")
    return "\n".join(lines) + "\n"


def append_glossary(nb, terms: list[Term] | None = None):
    """Append the glossary as a last markdown cell of ``nb`` (an nbformat node) in place;
    returns ``nb``. Used on the copy the runner renders to HTML, never on the saved .ipynb."""
    return append_section(nb, glossary_markdown(visible_text(nb), terms), "cc-glossary")


def append_section(nb, markdown: str | None, cell_id: str):
    """Append ``markdown`` (when there is any) as a last cell with ``cell_id``; returns ``nb``.
    The one way generated appendices (glossary, sources) join a rendered report."""
    import nbformat

    if markdown is not None:
        cell = nbformat.v4.new_markdown_cell(markdown)
        cell["id"] = cell_id
        nb.cells.append(cell)
    return nb


#: A machine path in reviewer text: the report must show paths relative to the project, if any.
ABSOLUTE_PATH = re.compile(r"(?<![\w.~/])(?:/(?:work|home|tmp|root|usr|var|opt|mnt|Users|private)/"
                           r"|[A-Za-z]:\\\\)")
#: snake_case identifiers (``rate_card``, ``abandons_as_fail``): code names, not words.
IDENTIFIER = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.-])")


def developer_words(path: str | os.PathLike = GLOSSARY_PATH) -> list[str]:
    """The deny-list of words reviewers should never meet (``developer_words`` in the file)."""
    words = read_yaml(path, "glossary_path").get("developer_words") or []
    return [str(w) for w in words]


def jargon_found(text: str, words: list[str] | None = None) -> list[str]:
    """Each developer word, code identifier and machine path ``text`` shows, once, in order
    of appearance — what a reviewer would stumble on."""
    hits: dict[str, int] = {}
    for word in developer_words() if words is None else words:
        flags = 0 if word[:1].isupper() else re.IGNORECASE
        match = re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text, flags)
        if match:
            hits.setdefault(word, match.start())
    for pattern in (ABSOLUTE_PATH, IDENTIFIER):
        for match in pattern.finditer(text):
            hits.setdefault(match.group(), match.start())
    return sorted(hits, key=hits.get)


__all__ = ["ABSOLUTE_PATH", "IDENTIFIER", "developer_words", "jargon_found", "GLOSSARY_PATH", "HEADING", "Term", "append_glossary", "append_section", "glossary_markdown",
           "load_terms", "terms_used", "visible_text"]
