"""The data contracts, in one place: column names, units, allowed values and row rules.

``toolkit.io`` reads a file, turns its text into typed columns (reporting the first bad cell
by row), then validates the typed table against the pandera schemas below. Rules that span
several rows (duplicates, gaps in the interval calendar, timestamp offsets) are vectorised
checks in ``toolkit.io``; rules within one row live here as pandera checks, each with an
``error`` text that says what would be right (it becomes the ``expected`` part of the
``DataError`` message).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit import config

#: Queues of the sample company (a reader's ``queues=None`` accepts any name for own data).
QUEUES = ("sales", "care", "retention")
#: Service-level threshold: ``answered_in_sl`` counts calls answered within this many seconds.
SL_THRESHOLD_S = 20
#: Short abandons: calls abandoned within this many seconds (subset of ``abandoned``).
SHORT_ABANDON_S = 5
#: Interval length of the contract files, minutes.
INTERVAL_MINUTES = 30
#: Engagement forms (FACTS.md section 3).
ENGAGEMENT_FORMS = ("INHOUSE", "FULL", "HOSTED", "INSOURCE", "BOT", "CAPTIVE")
#: Time stamps are read as tz-aware at this resolution (pandas 3 default for parsed strings).
TIMESTAMP_UNIT = "us"


def timestamp_dtype(tz: str = config.DEFAULT_TIMEZONE) -> pd.DatetimeTZDtype:
    """The dtype of every parsed ``ds`` column: microseconds, tz-aware in the site clock."""
    return pd.DatetimeTZDtype(unit=TIMESTAMP_UNIT, tz=tz)


# --------------------------------------------------------------------------- columns
#: Column -> meaning and unit, for error messages and data/raw/README.md.
INTERVAL_STATS_COLUMNS: dict[str, str] = {
    "ds": "interval start, ISO 8601 with the site-clock UTC offset, e.g. 2026-10-30T08:00:00+01:00",
    "queue": "queue name (sales, care, retention)",
    "site": "site id, as in sites.csv",
    "offered": "calls offered in the interval (count)",
    "answered": "calls answered (count)",
    "abandoned": "calls abandoned before answer (count); answered + abandoned = offered",
    "short_abandoned": f"calls abandoned within {SHORT_ABANDON_S} s (count, part of abandoned)",
    "answered_in_sl": f"calls answered within {SL_THRESHOLD_S} s (count, part of answered)",
    "handle_time_s": "total handle time of the answered calls (seconds)",
    "wait_time_s": "total waiting time of the answered calls (seconds)",
    "abandon_wait_s": "total waiting time of the abandoned calls, until they hung up (seconds; "
                      "optional column, an empty cell = unknown; 0 when nothing was abandoned)",
}
INTERVAL_COUNT_COLUMNS = ("offered", "answered", "abandoned", "short_abandoned",
                          "answered_in_sl", "handle_time_s", "wait_time_s")
#: Columns a file may leave out (they are then absent from the table read). ``abandon_wait_s``
#: is what patience estimation needs (``toolkit.staffing.patience_estimates``).
INTERVAL_OPTIONAL_COLUMNS = ("abandon_wait_s",)

VOLUMES_COLUMNS: dict[str, str] = {
    "ds": INTERVAL_STATS_COLUMNS["ds"],
    "queue": "queue name",
    "calls": "calls offered in the interval, all sites (count)",
    "aht_s": "average handle time of the answered calls (seconds; empty when none answered)",
}

SITES_COLUMNS: dict[str, str] = {
    "site": "site id (unique)",
    "site_name": "readable site name",
    "provider": "operator of the site (the company itself for in-house)",
    "location": "location id, e.g. FR-REG, MA, MU (see toolkit/reference)",
    "engagement_form": "one of " + ", ".join(ENGAGEMENT_FORMS),
    "timezone": "IANA time zone of the site, e.g. Europe/Paris",
    "queues": "queues served, separated by ';'",
    "opened": "first day of traffic (YYYY-MM-DD)",
    "closed": "last day of traffic (YYYY-MM-DD), empty while open",
}

REPORT_FRACTION_COLUMNS = ("fcr", "csat", "qa_score", "conversion_rate", "retention_save_rate",
                           "cross_sell_rate", "attrition_rate", "absenteeism_rate")
#: Fractions that may be empty (the site does not serve the queue the KPI belongs to).
REPORT_OPTIONAL_FRACTIONS = ("conversion_rate", "retention_save_rate")
PROVIDER_REPORT_COLUMNS: dict[str, str] = {
    "month": "reporting month (YYYY-MM)",
    "site": "site id, as in sites.csv",
    "provider": "provider name",
    "fcr": "first-contact resolution (fraction 0-1)",
    "csat": "customer satisfaction, top-2 box (fraction 0-1)",
    "qa_score": "quality assurance score (fraction 0-1)",
    "conversion_rate": "sales / eligible contacts (fraction 0-1; empty if no sales queue)",
    "retention_save_rate": "saves / cancel requests (fraction 0-1; empty if no retention queue)",
    "cross_sell_rate": "extra products / handled contacts (fraction 0-1)",
    "attrition_rate": "agent leavers / average headcount, annualised (fraction 0-1)",
    "absenteeism_rate": "unplanned absence hours / scheduled hours (fraction 0-1)",
    "nps": "net promoter score (points, -100 to 100)",
    "billed_hours": "productive hours billed (hours)",
    "invoice_eur": "monthly invoice (EUR, excl. VAT)",
    "contacts_handled": "contacts handled in the month (count)",
    "headcount": "optional: average agent headcount of the month (weights attrition)",
    "scheduled_hours": "optional: agents' scheduled hours (hours; weights absenteeism)",
    "survey_responses": "optional: customer survey responses (count; weights CSAT and NPS)",
}
#: Optional denominators of reported ratios: months pool by them (empty cell = unknown).
REPORT_WEIGHT_COLUMNS = ("headcount", "scheduled_hours", "survey_responses")


# --------------------------------------------------------------------------- personal data
#: Column names refused outright: the toolkit works on aggregates and never needs personal data.
PERSONAL_DATA_NAMES = frozenset({
    "name", "first_name", "firstname", "last_name", "lastname", "surname", "full_name",
    "customer_id", "customer", "client_id", "customer_number", "account_number", "contract_id",
    "caller", "caller_id", "caller_number", "calling_number", "ani", "cli", "msisdn",
    "phone", "phone_number", "telephone", "mobile", "email", "e_mail", "mail",
    "iban", "bic", "address", "street", "postcode", "zip", "birth_date", "date_of_birth",
    "dob", "ssn", "nir", "passport", "ip_address",
})
#: Fragments that mark personal data anywhere in a column name (``customer_email``, ...).
PERSONAL_DATA_FRAGMENTS = ("phone", "msisdn", "email", "e_mail", "iban", "caller",
                           "customer_id", "client_id", "first_name", "last_name", "firstname",
                           "lastname", "surname", "birth", "passport", "address")


def personal_data_columns(columns) -> list[str]:
    """The column names that look like personal data (normalised: lower case, ``_`` separators)."""
    found = []
    for col in columns:
        norm = re.sub(r"[^a-z0-9]+", "_", str(col).strip().lower()).strip("_")
        if norm in PERSONAL_DATA_NAMES or any(f in norm for f in PERSONAL_DATA_FRAGMENTS):
            found.append(str(col))
    return found


#: Values that are personal data whatever their column: the reader refuses them (file, row,
#: column named, the value masked) and the runner refuses to publish a report showing one.
PERSONAL_DATA_PATTERNS: dict[str, re.Pattern] = {
    "IBAN": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
    "e-mail address": re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
    "phone number": re.compile(r"(?<![\w.,+])(?:(?:\+|00)[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,4}\)?){2,5}"
                               r"|0[1-9](?:[ .\-]?\d{2}){4})(?![\w,])"),
    "customer id": re.compile(r"\b(?:cust(?:omer)?|client|cid|acct|account)[\-_ #:]?(?:no\.?|id)?"
                              r"[\-_ #:]?\d{5,}\b", re.IGNORECASE),
}


def _iban_valid(text: str) -> bool:
    code = text.replace(" ", "")
    digits = "".join(str(int(ch, 36)) for ch in code[4:] + code[:4])
    return 15 <= len(code) <= 34 and int(digits) % 97 == 1


def find_personal_data(text: str) -> tuple[str, str] | None:
    """``(kind, masked match)`` for the first personal-data value in ``text``, or None."""
    for kind, pattern in PERSONAL_DATA_PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group()
            if kind == "phone number" and not 8 <= sum(ch.isdigit() for ch in value) <= 15:
                continue
            if kind == "IBAN" and not _iban_valid(value):
                continue
            return kind, value[:2] + "…" + ("*" * 3)
    return None


# --------------------------------------------------------------------------- pandera schemas
def _count(name: str) -> pa.Column:
    return pa.Column("int64", pa.Check.ge(0, error="a non-negative whole number"),
                     nullable=False, title=name)


def _fraction(name: str, nullable: bool) -> pa.Column:
    return pa.Column("float64", pa.Check.in_range(0.0, 1.0, error="a fraction between 0 and 1"),
                     nullable=nullable, title=name)


def _queue_column(queues) -> pa.Column:
    if queues is None:
        return pa.Column(str, pa.Check.str_length(min_value=1, error="a non-empty queue name"))
    allowed = tuple(queues)
    return pa.Column(str, pa.Check.isin(allowed, error="one of " + ", ".join(allowed)))


def _no_abandon_wait_without_abandons(d: pd.DataFrame) -> pd.Series:
    if "abandon_wait_s" not in d:
        return pd.Series(True, index=d.index)
    return (d["abandoned"] > 0) | (d["abandon_wait_s"] == 0) | d["abandon_wait_s"].isna()


def interval_stats_schema(queues=QUEUES, tz: str = config.DEFAULT_TIMEZONE) -> pa.DataFrameSchema:
    """Typed ``interval_stats`` rows: counts non-negative, known queues, consistent counts."""
    columns = {"ds": pa.Column(timestamp_dtype(tz), nullable=False),
               "queue": _queue_column(queues),
               "site": pa.Column(str, pa.Check.str_length(min_value=1,
                                                          error="a non-empty site id"))}
    columns |= {c: _count(c) for c in INTERVAL_COUNT_COLUMNS}
    columns["abandon_wait_s"] = pa.Column(
        "float64", [pa.Check.ge(0, error="a non-negative number of seconds (empty if unknown)"),
                    pa.Check(np.isfinite, element_wise=False, name="finite",
                             error="a finite number of seconds (empty if unknown)")],
        nullable=True, required=False)
    checks = [
        pa.Check(lambda d: d["answered"] + d["abandoned"] == d["offered"],
                 name="answered + abandoned == offered",
                 error="answered + abandoned equal to offered"),
        pa.Check(lambda d: d["answered"] <= d["offered"], name="answered <= offered",
                 error="answered not above offered"),
        pa.Check(lambda d: d["answered_in_sl"] <= d["answered"],
                 name="answered_in_sl <= answered",
                 error="answered_in_sl not above answered (it is a subset)"),
        pa.Check(lambda d: d["short_abandoned"] <= d["abandoned"],
                 name="short_abandoned <= abandoned",
                 error="short_abandoned not above abandoned (it is a subset)"),
        pa.Check(lambda d: (d["answered"] > 0) | (d["handle_time_s"] == 0),
                 name="handle_time_s == 0 when answered == 0",
                 error="handle_time_s = 0 when no call was answered"),
        pa.Check(lambda d: (d["answered"] > 0) | (d["wait_time_s"] == 0),
                 name="wait_time_s == 0 when answered == 0",
                 error="wait_time_s = 0 when no call was answered"),
        pa.Check(_no_abandon_wait_without_abandons,
                 name="abandon_wait_s == 0 when abandoned == 0",
                 error="abandon_wait_s = 0 (or empty if unknown) when no call was abandoned"),
    ]
    # The invariants are checked in this order, so the first message is the most basic one.
    checks.sort(key=lambda c: c.name != "answered <= offered")
    return pa.DataFrameSchema(columns, checks=checks, strict=True, ordered=False)


def volumes_schema(queues=None, tz: str = config.DEFAULT_TIMEZONE) -> pa.DataFrameSchema:
    """Typed tidy volumes ``ds, queue, calls, aht_s`` (``aht_s`` empty when nothing answered)."""
    return pa.DataFrameSchema({
        "ds": pa.Column(timestamp_dtype(tz), nullable=False),
        "queue": _queue_column(queues),
        "calls": _count("calls"),
        "aht_s": pa.Column("float64", pa.Check.gt(0, error="a positive number of seconds"),
                           nullable=True),
    }, strict=True)


def sites_schema() -> pa.DataFrameSchema:
    """Typed ``sites`` rows (unique ids are checked in ``toolkit.io``)."""
    text = {c: pa.Column(str, pa.Check.str_length(min_value=1, error="a non-empty text"))
            for c in ("site", "site_name", "provider", "location", "timezone", "queues")}
    return pa.DataFrameSchema(text | {
        "engagement_form": pa.Column(str, pa.Check.isin(
            ENGAGEMENT_FORMS, error="one of " + ", ".join(ENGAGEMENT_FORMS))),
        "opened": pa.Column("datetime64[us]", nullable=False),
        "closed": pa.Column("datetime64[us]", nullable=True),
    }, checks=[pa.Check(lambda d: d["closed"].isna() | (d["closed"] >= d["opened"]),
                        name="closed >= opened", error="closed on or after opened")],
        strict=True, ordered=False)


def provider_reports_schema() -> pa.DataFrameSchema:
    """Typed monthly provider reports: fractions in [0, 1], NPS in [-100, 100], amounts >= 0."""
    columns = {
        "month": pa.Column(pd.PeriodDtype("M"), nullable=False),
        "site": pa.Column(str, pa.Check.str_length(min_value=1, error="a non-empty site id")),
        "provider": pa.Column(str, pa.Check.str_length(min_value=1,
                                                       error="a non-empty provider name")),
    }
    columns |= {c: _fraction(c, c in REPORT_OPTIONAL_FRACTIONS) for c in REPORT_FRACTION_COLUMNS}
    columns |= {
        "nps": pa.Column("float64", pa.Check.in_range(-100, 100,
                                                      error="NPS points between -100 and 100")),
        "billed_hours": pa.Column("float64", pa.Check.ge(0, error="hours >= 0")),
        "invoice_eur": pa.Column("float64", pa.Check.ge(0, error="an amount in EUR >= 0")),
        "contacts_handled": _count("contacts_handled"),
    }
    columns |= {c: pa.Column("float64", pa.Check.ge(0, error="a count or hours >= 0"),
                             nullable=True, required=False) for c in REPORT_WEIGHT_COLUMNS}
    return pa.DataFrameSchema(columns, strict=True, ordered=False)
