"""Sources a reader can open: the citations behind the reference figures, and the "Sources"
appendix of a report.

One file (``toolkit/reference/sources.yml``) lists every source the reference files cite,
with the short name reports print ("Libération 2004"), a full citation and its address, and
the spellings by which a reference ``source`` or a report's text cites it. ``cited`` resolves
a reference figure's ``source`` to those entries; ``figure_basis`` words a figure for a
"rests on" line ("Madagascar wage basis (derived here, 2018, Marood 2018)"); the runner appends
``sources_markdown`` of a report's visible text to the rendered copy, beside the glossary.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from toolkit.config import REFERENCE
from toolkit.markup import md
from toolkit.refdata import read_yaml

SOURCES_PATH = REFERENCE / "sources.yml"

#: Heading of the appended section; a report that already has it is not given a second one.
HEADING = "Sources"

#: Reference flags in words, as a reviewer reads them (None = sourced and current).
FLAG_WORDS = {"D": "dated", "E": "estimate", "G": "unverified assumption", "X": "derived here",
              "override": "analyst's figure", None: "sourced"}


@dataclass(frozen=True)
class Source:
    id: str
    short: str
    citation: str
    url: str | None = None
    match: tuple[str, ...] = ()
    own: bool = False

    def spellings(self) -> tuple[str, ...]:
        return (self.short, *self.match)


def _pattern(spelling: str) -> re.Pattern:
    """Whole-word, case-insensitive; a spelling ending in punctuation needs no word end."""
    start = r"(?<![\w-])" if spelling[:1].isalnum() else ""
    end = r"(?![\w])" if spelling[-1:].isalnum() else ""
    return re.compile(start + re.escape(spelling) + end, re.IGNORECASE)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> tuple[tuple[Source, ...], tuple[Source, ...]]:
    data = read_yaml(path, "sources_path")
    out = []
    for i, entry in enumerate(data.get("sources") or []):
        missing = [k for k in ("id", "short", "citation") if not entry.get(k)]
        if missing:
            raise ValueError(f"{path}: sources[{i}] needs {', '.join(missing)} (got {entry!r})")
        out.append(Source(str(entry["id"]), str(entry["short"]),
                          " ".join(str(entry["citation"]).split()), entry.get("url"),
                          tuple(str(m) for m in entry.get("match") or ())))
    short = [(s.id, m) for s in out for m in s.match if len(m.strip()) < 3]
    if short:
        raise ValueError(f"{path}: spellings too short to cite anything: {short} (a comma "
                         "inside [...] splits a spelling: quote it)")
    own = tuple(Source(str(key), str(spec["short"]), str(spec.get("meaning", "")), None,
                       tuple(str(m) for m in spec.get("match") or ()), own=True)
                for key, spec in (data.get("own") or {}).items())
    ids = [s.id for s in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{path}: duplicate source ids {dupes}")
    return tuple(out), own


def load_sources(path: str | os.PathLike = SOURCES_PATH) -> list[Source]:
    """The sources a reader can open, in the file's order."""
    return list(_load(str(path))[0])


def own_kinds(path: str | os.PathLike = SOURCES_PATH) -> list[Source]:
    """Our own figures' kinds ("derived here", "convention"): nothing to open."""
    return list(_load(str(path))[1])


def cited(text: str, sources: Iterable[Source] | None = None) -> list[Source]:
    """The sources ``text`` cites under any of their spellings, in the file's order."""
    pool = load_sources() if sources is None else sources
    text = str(text or "")
    return [s for s in pool if any(_pattern(sp).search(text) for sp in s.spellings())]


def resolve(source: str, flag=None) -> list[Source]:
    """What a reference figure's ``source`` rests on: the sources it cites, else the kind of
    our own figure it is (derived here for flag X, convention for flag G, or the kind whose
    spelling it uses); an empty list when it is none of these (the tests refuse that)."""
    found = cited(source)
    if found:
        return found
    kinds = {k.id: k for k in own_kinds()}
    if flag == "X" and "derived-here" in kinds:
        return [kinds["derived-here"]]
    if flag == "G" and "convention" in kinds:
        return [kinds["convention"]]
    return cited(source, kinds.values())


def short_names(source: str, flag=None) -> str:
    """The short names a report prints for a figure's source: "Libération 2004, APIX 2005"."""
    return ", ".join(dict.fromkeys(s.short for s in resolve(source, flag))) or "no source named"


def figure_basis(label: str, fig: Mapping) -> str:
    """"Madagascar wage basis (derived here, 2018, Marood 2018)": a figure named with its flag
    in words, its year and the short names of its sources."""
    flag = fig.get("flag")
    parts = [FLAG_WORDS.get(flag, str(flag))]
    if fig.get("year"):
        parts.append(str(fig["year"]))
    names = [s.short for s in resolve(str(fig.get("source", "")), flag) if not s.own]
    parts.extend(dict.fromkeys(names))
    return f"{label} ({', '.join(parts)})"


def rests_on_line(items: Iterable[str]) -> str:
    """"Rests on: a (…), b (…) and c (…).": the one line under a headline."""
    from toolkit import present

    items = list(dict.fromkeys(items))
    return f"Rests on: {present.and_list(items)}." if items else ""


def sources_markdown(text: str, sources: list[Source] | None = None) -> str | None:
    """A "Sources" section (Markdown) listing the sources ``text`` cites, or None when it
    cites none or already carries its own section."""
    if re.search(rf"^#+\s*{HEADING}\b", text, re.MULTILINE):
        return None
    used = cited(text, sources)
    if not used:
        return None
    lines = [f"## {HEADING}", "", "The published sources this report cites, by the name it "
             "uses for them.", ""]
    for s in sorted(used, key=lambda s: s.short.casefold()):
        where = f" <{s.url}>" if s.url else ""
        lines.append(f"- **{md(s.short)}** — {md(s.citation)}{where}")
    return "\n".join(lines) + "\n"


def append_sources(nb, sources: list[Source] | None = None):
    """Append the sources as a markdown cell of ``nb`` (an nbformat node) in place; returns
    ``nb``. Used on the copy the runner renders to HTML, never on the saved .ipynb."""
    from toolkit.glossary import append_section, visible_text

    return append_section(nb, sources_markdown(visible_text(nb), sources), "cc-sources")


__all__ = ["FLAG_WORDS", "HEADING", "SOURCES_PATH", "Source", "append_sources", "cited",
           "figure_basis", "load_sources", "own_kinds", "resolve", "rests_on_line",
           "short_names", "sources_markdown"]
