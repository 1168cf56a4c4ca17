"""What every reviewer page shares: templates, stylesheet, CSP, Jinja environment, local time.

The report pages (``toolkit.runner``) and the index pages (``toolkit.reportindex``) are
rendered from ``toolkit/templates/`` with one autoescaping Jinja environment, carry the same
inline stylesheet and Content-Security-Policy, and show times on the reviewers' clock.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from toolkit import config

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: No script may run in a report: pandas/matplotlib output needs only inline styles and
#: data: images. Inline event handlers (onerror=...) are script, hence blocked too.
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
       "base-uri 'none'; form-action 'none'")


def local_time(moment: str | None, timezone: str = config.DEFAULT_TIMEZONE) -> str:
    """An ISO time stamp (UTC in the manifest) as the reviewers' clock shows it, in words
    with the zone ("3 Dec 2026, 00:10 CET"); what cannot be read is shown as it is."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from toolkit import present

    if not moment:
        return ""
    try:
        parsed = dt.datetime.fromisoformat(str(moment))
        zone = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return str(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return f"{present.local_time(parsed, tz=timezone)} {parsed.astimezone(zone):%Z}"


def month_name(period) -> str:
    """A "YYYY-MM" period in words (October 2026); anything else as it is."""
    from toolkit import present
    from toolkit.errors import ParameterError

    try:
        return present.month(period)
    except (ParameterError, ValueError, TypeError):  # a card shows what it was given
        return "" if period is None else str(period)


@lru_cache(maxsize=1)
def jinja_env():
    """The autoescaping environment of ``TEMPLATES`` (run card, index pages)."""
    import jinja2
    import markupsafe

    from toolkit.markup import neutralise_bidi

    # finalize: no bidi control from a parameter or run name reorders the card or the index.
    def finalize(value):
        if isinstance(value, markupsafe.Markup):  # a macro's output: already escaped markup,
            return markupsafe.Markup(neutralise_bidi(value))  # noqa: S704 - removing adds no tag
        return neutralise_bidi(value) if isinstance(value, str) else value

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             finalize=finalize)
    # Parameter values shown as JSON text (the autoescape still applies afterwards).
    env.filters["tojson_text"] = lambda v: json.dumps(v, ensure_ascii=False)
    env.filters["localtime"] = local_time
    env.filters["monthname"] = month_name
    return env


@lru_cache(maxsize=1)
def css() -> str:
    """The reviewer pages' stylesheet (screen and A4 print), inlined in every page."""
    return (TEMPLATES / "reports.css").read_text(encoding="utf-8")


__all__ = ["CSP", "TEMPLATES", "css", "jinja_env", "local_time"]
