"""Values from data files are text, never markup: one place to make them safe to show.

A site id, queue or provider name may carry HTML (``<a href=...>``), Markdown (``[x](url)``,
``![](img)``, ``|`` breaking a table row), a ``$`` that matplotlib reads as math, or an
invisible bidirectional control character (U+202E) that reverses the text around it
("7 540,15 €" shown as "51,045 7 €"). Notebooks pass every data value through these helpers
where it enters HTML, Markdown or a styled table; the report sanitiser
(``toolkit.runner.clean_html``) is the second line of defence, not the first.
"""

from __future__ import annotations

import html
import re
import unicodedata

import pandas as pd

#: Bidirectional controls (embeddings, overrides, isolates, marks): invisible, and able to
#: reorder what a reader sees. They have no place in ids, names or numbers.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: ASCII punctuation Markdown gives a meaning to (CommonMark: each may be backslash-escaped).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:@])")


def bidi_name(text: str) -> str | None:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)`` for the first bidi control in ``text``, or None."""
    found = BIDI_CONTROLS.search(text)
    if found is None:
        return None
    char = found.group()
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'bidirectional control')})"


def neutralise_bidi(text: str) -> str:
    """``text`` without bidirectional control characters."""
    return BIDI_CONTROLS.sub("", text)


def text(value) -> str:
    """A data value as HTML text: escaped, bidi controls removed."""
    return html.escape(neutralise_bidi(str(value)), quote=True)


def md(value) -> str:
    """A data value as Markdown text: shown literally (no link, image, emphasis or math)."""
    escaped = html.escape(neutralise_bidi(str(value)), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped).replace("\n", " ")


def plain(markdown: str) -> str:
    """What ``md`` escaped, as the reader sees it: backslash escapes and HTML entities undone
    (``First\\-contact`` -> ``First-contact``), for text that is not rendered as Markdown —
    a chart's alternative text, for one."""
    return html.unescape(re.sub(r"\\([\\`*_{}\[\]()#+\-.!|~$:@])", r"\1", str(markdown)))


def style(table: pd.DataFrame, formats=None, **kwargs):
    """``table.style`` with every cell, row label and column label shown as text.

    ``formats`` and ``kwargs`` are passed to ``Styler.format`` (e.g. ``{"share": "{:.0%}"}``,
    ``na_rep="–"``); text cells are HTML-escaped before formatting and bidi controls removed.
    """
    clean = table.copy()
    for col in clean.columns:
        if clean[col].dtype == object or pd.api.types.is_string_dtype(clean[col].dtype):
            clean[col] = clean[col].map(lambda v: neutralise_bidi(v) if isinstance(v, str) else v)
    clean = clean.rename(index=_label, columns=_label)
    return (clean.style.format(formats, escape="html", **kwargs)
            .format_index(escape="html", axis=0)
            .format_index(escape="html", axis=1))


#: A spreadsheet reads a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``), which spreadsheets show as text.
    Numbers stay numbers (``-12.5`` in a numeric column is untouched).
    """
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def _label(value):
    return neutralise_bidi(value) if isinstance(value, str) else value


__all__ = ["BIDI_CONTROLS", "FORMULA_START", "bidi_name", "csv_safe", "md", "neutralise_bidi",
           "style", "text"]
