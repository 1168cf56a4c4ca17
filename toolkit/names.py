"""Reference codes in words: one place where a location or an engagement form gets the name
every report prints ("MA" -> "Morocco", "HOSTED" -> "hosted seats").

Names come from the reference files (``locations.yaml``, ``engagement_forms.yaml``) or from a
model's own reference (``ref``, which may carry overrides); the forms the glossary explains
have fixed words, so the sourcing report, the data overview, the staffing report and the
executive summary name an option the same way.
"""

from __future__ import annotations

from toolkit import refdata
from toolkit.config import REFERENCE

#: Engagement forms in the words the glossary explains (other forms: their reference name).
FORM_WORDS = {"INHOUSE": "in-house", "FULL": "full outsourcing", "HOSTED": "hosted seats",
              "INSOURCE": "provider staff on our premises", "BOT": "build-operate-transfer",
              "CAPTIVE": "own centre abroad"}

_CACHE: dict[str, dict] = {}


def _reference(block: str, file: str) -> dict:
    if block not in _CACHE:
        _CACHE[block] = refdata.read_yaml(REFERENCE / file, "reference").get(block, {})
    return _CACHE[block]


def location_name(code: str, ref: dict | None = None, *, cities: bool = False) -> str:
    """A location code in words: ``Morocco`` (``cities``: ``Morocco (Casablanca / Rabat)``);
    an unknown code as it is."""
    known = (ref or {}).get("locations") or _reference("locations", "locations.yaml")
    name = str(known.get(code, {}).get("name", code)).replace(" - ", " – ")
    return name if cities else name.split(" (")[0]


def form_name(code: str, ref: dict | None = None) -> str:
    """An engagement form code in words (``HOSTED`` -> ``hosted seats``)."""
    if code in FORM_WORDS:
        return FORM_WORDS[code]
    known = (ref or {}).get("forms") or _reference("forms", "engagement_forms.yaml")
    return str(known.get(code, {}).get("name", code))


def option_name(location: str, form: str, ref: dict | None = None) -> str:
    """An option as every report names it: ``Madagascar, full outsourcing``."""
    return f"{location_name(location, ref)}, {form_name(form, ref)}"


__all__ = ["FORM_WORDS", "form_name", "location_name", "option_name"]
