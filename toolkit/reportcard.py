"""Report cards: the question a report answers and its one-line answer, stated once at its top.

A notebook calls ``card(question, headline, status)`` near its top. The reviewer sees the
question, the headline and the status in words and colour; the runner reads the same card
from the executed notebook (a display output of mime ``MIME``) into the manifest, so the
period's index lists every report by its question and answer instead of by its file name.
The card's words are data (a headline may quote a provider name): escaped, never markup.
"""

from __future__ import annotations

import json

from toolkit.markup import neutralise_bidi, text

#: Mime type of the machine-readable card. nbconvert shows ``text/html`` (earlier in its
#: display priority) and never prints this JSON; the runner reads it.
MIME = "application/vnd.cc-report-card+json"
#: Status -> (word shown to reviewers, colour). Colour repeats the word, never replaces it.
STATUSES = {
    "ok": ("On track", "#2e7d32"),
    "attention": ("Needs attention", "#c62828"),
    "info": ("For information", "#1565c0"),
}
#: Longest question / headline kept (a card is one glance, not a paragraph).
MAX_CHARS = 300


def make(question, headline, status: str = "ok") -> dict:
    """The card as plain data, checked: raises ``ValueError`` naming the wrong argument."""
    card = {}
    for name, value in (("question", question), ("headline", headline)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"reportcard.card: {name} = {value!r}; expected a non-empty "
                             f"sentence (str), e.g. {_EXAMPLES[name]!r}")
        value = " ".join(neutralise_bidi(value).split())
        if len(value) > MAX_CHARS:
            raise ValueError(f"reportcard.card: {name} has {len(value)} characters; at most "
                             f"{MAX_CHARS} (one sentence: put the detail in the report)")
        card[name] = value
    if status not in STATUSES:
        raise ValueError(f"reportcard.card: status = {status!r}; expected one of "
                         f"{', '.join(repr(s) for s in STATUSES)}")
    card["status"] = status
    return card


_EXAMPLES = {"question": "Is NORDCALL-AMI delivering its objectives?",
             "headline": "3 of 4 objectives met; first-call resolution 4 points below target"}


def to_html(card: dict) -> str:
    """The card as reviewers see it: question, headline, status word on its colour."""
    word, colour = STATUSES[card["status"]]
    return (f'<div class="cc-card cc-card-{card["status"]}" style="border-left-color:{colour}">'
            f'<p class="cc-card-question">{text(card["question"])}</p>'
            f'<p class="cc-card-headline"><span class="cc-card-status" '
            f'style="background-color:{colour};color:#fff">{word}</span> '
            f'<strong>{text(card["headline"])}</strong></p></div>')


def bundle(card: dict) -> dict:
    """The display bundle: HTML for people, JSON for the runner, plain text for consoles."""
    word = STATUSES[card["status"]][0]
    return {"text/html": to_html(card), MIME: card,
            "text/plain": f"{card['question']}\n{word}: {card['headline']}"}


def card(question: str, headline: str, status: str = "ok") -> None:
    """Show the report card (call once, near the top of a notebook). Returns nothing, so a
    card on a cell's last line does not print its data again; ``make`` gives the data.

    ``status``: ``"ok"`` (on track), ``"attention"`` (a finding a reviewer must act on) or
    ``"info"`` (descriptive report, no verdict).
    """
    from IPython.display import display

    checked = make(question, headline, status)
    display(bundle(checked), raw=True)


def parse(payload) -> dict | None:
    """A card read back from a notebook output (dict or JSON text); None when malformed."""
    if isinstance(payload, str | list):
        try:
            payload = json.loads("".join(payload) if isinstance(payload, list) else payload)
        except ValueError:
            return None
    if not isinstance(payload, dict):
        return None
    try:
        return make(payload.get("question"), payload.get("headline"), payload.get("status"))
    except ValueError:
        return None


def read(nb) -> dict | None:
    """The first report card of an executed notebook (nbformat node), or None."""
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if MIME in data:
                found = parse(data[MIME])
                if found is not None:
                    return found
    return None


def fallback(run_name: str) -> dict:
    """What the index shows for a report without a card: a title made from its run name."""
    words = run_name.replace("_", " ").replace("-", " ").split()
    title = " ".join(words) or run_name
    return {"question": title[:1].upper() + title[1:], "headline": None, "status": None}


__all__ = ["MIME", "STATUSES", "bundle", "card", "fallback", "make", "parse", "read", "to_html"]
