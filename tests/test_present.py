"""toolkit.present: one locale per page, no raw floats, no index, no header-only table."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from toolkit import present
from toolkit.errors import ParameterError

NBSP, NNBSP, MINUS = "\u00a0", "\u202f", "\u2212"


# ------------------------------------------------------------------------------ values


def test_check_locale_names_the_parameter_and_the_remedy():
    assert present.check_locale("fr_FR") == "fr_FR"
    for bad in ("xx_YY", 42, None):
        with pytest.raises(ParameterError, match="'locale'.*'fr_FR', 'en_GB'"):
            present.check_locale(bad)


@pytest.mark.parametrize(("locale", "expected"), [
    ("en_GB", ["1,541", "642,000", "1,234.6", f"{MINUS}1,234.6"]),
    ("fr_FR", [f"1{NNBSP}541", f"642{NNBSP}000", f"1{NNBSP}234,6", f"{MINUS}1{NNBSP}234,6"]),
])
def test_number(locale, expected):
    assert [present.number(1541.0, locale), present.number(642000.0, locale),
            present.number(1234.56, locale, 1), present.number(-1234.56, locale, 1)] == expected


def test_rounding_is_half_up_on_the_number_a_reader_sees():
    assert present.number(2.675, "en_GB", 2) == "2.68"  # binary floats would give 2.67
    assert present.number(0.5, "en_GB") == "1"


@pytest.mark.parametrize(("locale", "expected"), [
    ("en_GB", ["82.3%", "70%", f"{MINUS}5.0%"]),
    ("fr_FR", [f"82,3{NBSP}%", f"70{NBSP}%", f"{MINUS}5,0{NBSP}%"]),
])
def test_percent(locale, expected):
    assert [present.percent(0.8234, locale), present.percent(0.7, locale, 0),
            present.percent(-0.05, locale)] == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("en_GB", ["+1.2 pp", f"{MINUS}0.4 pp", "0.0 pp"]),
    ("fr_FR", ["+1,2 pp", f"{MINUS}0,4 pp", "0,0 pp"]),
])
def test_points_are_signed(locale, expected):
    assert [present.points(0.012, locale), present.points(-0.004, locale),
            present.points(-0.0001, locale)] == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("en_GB", ["€12,345.60", f"{MINUS}€12,345.60", "€1,235", "€17.5m", "€642k"]),
    ("fr_FR", [f"12{NNBSP}345,60{NBSP}€", f"{MINUS}12{NNBSP}345,60{NBSP}€",
               f"1{NNBSP}235{NBSP}€", f"17,5{NBSP}M{NBSP}€", f"642{NBSP}k{NBSP}€"]),
])
def test_money_standard_and_compact(locale, expected):
    assert [present.money(12345.6, locale), present.money(-12345.6, locale),
            present.money(1234.5, locale, decimals=0),
            present.money(17_500_000, locale, compact=True),
            present.money(642_000, locale, compact=True)] == expected


def test_money_refuses_a_currency_that_is_not_a_code():
    with pytest.raises(ParameterError, match="'currency'.*ISO 4217"):
        present.money(1, "en_GB", currency="euros")


@pytest.mark.parametrize(("locale", "day", "month_name", "when"), [
    ("en_GB", "3 Nov 2026", "November 2026", "3 Nov 2026, 09:05"),
    # the reports are English in every locale: the locale writes the figures, not the words
    ("fr_FR", "3 Nov 2026", "November 2026", "3 Nov 2026, 09:05"),
])
def test_dates_months_and_local_time(locale, day, month_name, when):
    assert present.date(dt.date(2026, 11, 3), locale) == day
    assert present.date("2026-11-03", locale) == day
    assert present.month("2026-11", locale) == month_name
    assert present.month(pd.Period("2026-11", "M"), locale) == month_name
    assert present.month(dt.date(2026, 11, 20), locale) == month_name
    # 08:05 UTC is 09:05 in Paris in November (CET)
    assert present.local_time(pd.Timestamp("2026-11-03T08:05Z"), locale) == when


def test_local_time_refuses_a_naive_timestamp_and_converts_to_the_given_zone():
    with pytest.raises(ParameterError, match="'ts'.*timezone-aware"):
        present.local_time(pd.Timestamp("2026-11-03 08:05"), "en_GB")
    stamp = pd.Timestamp("2026-11-03T08:05Z")
    assert present.local_time(stamp, "en_GB", tz="Africa/Casablanca").endswith("09:05")
    assert present.local_time(stamp, "en_GB", tz="Indian/Mauritius").endswith("12:05")


def test_bad_month_names_the_parameter():
    with pytest.raises(ParameterError, match="'period'"):
        present.month("Novembre", "fr_FR")


@pytest.mark.parametrize("locale", ["en_GB", "fr_FR"])
def test_duration(locale):
    assert present.duration(45, locale) == f"45{NBSP}s"
    assert present.duration(125, locale) == f"2{NBSP}min 05{NBSP}s"
    assert present.duration(3725, locale) == f"1{NBSP}h 02{NBSP}min"
    assert present.duration(-125, locale) == f"{MINUS}2{NBSP}min 05{NBSP}s"
    assert present.duration(-0.2, locale) == f"0{NBSP}s"


@pytest.mark.parametrize(("locale", "yes", "no"), [("en_GB", "Yes", "No"),
                                                   ("fr_FR", "Yes", "No")])
def test_yes_no(locale, yes, no):
    assert [present.yes_no(True, locale), present.yes_no(np.False_, locale),
            present.yes_no(1, locale)] == [yes, no, yes]
    with pytest.raises(ParameterError, match="'flag'"):
        present.yes_no("maybe", locale)


@pytest.mark.parametrize("missing", [None, np.nan, float("inf"), pd.NA, pd.NaT])
def test_missing_values_are_an_en_dash_everywhere(missing):
    for helper in (present.number, present.percent, present.points, present.money,
                   present.duration, present.date, present.month, present.local_time,
                   present.yes_no):
        assert helper(missing, "fr_FR") == "–", helper.__name__


def test_no_negative_zero_anywhere():
    for locale in ("en_GB", "fr_FR"):
        texts = [present.number(-0.4, locale), present.number(-0.0, locale),
                 present.number(-0.04, locale, 1), present.percent(-0.0004, locale),
                 present.percent(-0.004, locale, 0), present.money(-0.001, locale),
                 present.money(-0.4, locale, compact=True), present.points(-0.00001, locale)]
        assert not any(t.startswith(("-", MINUS)) for t in texts), texts


def test_booleans_are_not_numbers():
    with pytest.raises(ParameterError, match="yes_no"):
        present.number(True, "en_GB")


# ------------------------------------------------------------------------------ sentences


def test_compare_reverses_when_the_data_reverse():
    assert present.compare(0.82, 0.80) == "above"
    assert present.compare(0.80, 0.82) == "below"
    assert present.compare(0.801, 0.80, tolerance=0.005) == "in line with"
    assert present.compare(5, 3, above="more", below="less") == "more"
    with pytest.raises(ParameterError, match="'reference'.*both figures"):
        present.compare(1.0, np.nan)
    with pytest.raises(ParameterError, match="'tolerance'"):
        present.compare(1.0, 2.0, tolerance=-1)


def test_count_phrase():
    assert [present.count_phrase(n, "site") for n in (0, 1, 3)] == ["no site", "1 site",
                                                                    "3 sites"]
    assert present.count_phrase(2, "agency", "agencies") == "2 agencies"
    assert present.count_phrase(1200, "call", locale="fr_FR") == f"1{NNBSP}200 calls"
    assert present.count_phrase(0, "site", zero="aucun site") == "aucun site"
    with pytest.raises(ParameterError, match="'n'"):
        present.count_phrase(1.5, "site")


def test_share_phrase():
    assert present.share_phrase(3, 12) == "3 of 12 (25%)"
    assert present.share_phrase(3, 12, locale="fr_FR") == f"3 of 12 (25{NBSP}%)"
    assert present.share_phrase(0, 0) == "0 of 0"
    with pytest.raises(ParameterError, match="'part'"):
        present.share_phrase(13, 12)


# ------------------------------------------------------------------------------ tables


def _frame():
    return pd.DataFrame({"site": ["Lille", "Rabat"], "calls": [1541.0, 642000.0],
                         "sl": [0.7, 0.81234], "aht": [125.0, 0.5], "ok": [True, False]})


def test_table_applies_units_and_labels():
    t = present.table(_frame(), units={"sl": "percent:0", "aht": "duration"},
                      labels={"sl": "Service level"}, locale="fr_FR")
    assert t.columns == ("site", "calls", "Service level", "aht", "ok")
    assert t.rows == (("Lille", f"1{NNBSP}541", f"70{NBSP}%", f"2{NBSP}min 05{NBSP}s", "Yes"),
                      ("Rabat", f"642{NNBSP}000", f"81{NBSP}%", f"1{NBSP}s", "No"))


@pytest.mark.parametrize(("unit", "values", "expected"), [
    ("count", [3, 1200], ["3", "1,200"]),
    ("number:1", [1.25, 2.0], ["1.3", "2.0"]),
    ("percent", [0.8234, -0.05], ["82.3%", f"{MINUS}5.0%"]),
    ("pp", [0.012, -0.004], ["+1.2 pp", f"{MINUS}0.4 pp"]),
    ("money", [12345.6, 0.5], ["€12,345.60", "€0.50"]),
    ("money:0", [12345.6, 0.5], ["€12,346", "€1"]),
    ("money:compact", [17_500_000, 642_000], ["€17.5m", "€642k"]),
    ("seconds", [125.4, 7], [f"125{NBSP}s", f"7{NBSP}s"]),
    ("hours", [1541, 2.25], [f"1,541.0{NBSP}h", f"2.3{NBSP}h"]),
    ("date", ["2026-11-03", "2026-12-25"], ["3 Nov 2026", "25 Dec 2026"]),
    ("month", ["2026-11", "2026-12"], ["November 2026", "December 2026"]),
    ("bool", [1, 0], ["Yes", "No"]),
    ("text", ["007", "=1+1"], ["007", "=1+1"]),
])
def test_each_unit(unit, values, expected):
    t = present.table(pd.DataFrame({"v": values}), units={"v": unit})
    assert [row[0] for row in t.rows] == expected


def test_undeclared_floats_show_only_the_decimals_they_need():
    t = present.table(pd.DataFrame({"whole": [125.0, 1541.0], "tenths": [0.7, 2.5],
                                    "long": [125.000001, 1 / 3], "int": [3, 4]}))
    assert t.rows == (("125", "0.7", "125.00", "3"), ("1,541", "2.5", "0.33", "4"))
    assert "000000" not in str(t) and not re.search(r"\d\.0(?!\d)", str(t))


def test_booleans_are_words_without_a_unit_even_in_object_columns():
    df = pd.DataFrame({"flag": pd.Series([True, None, False], dtype=object),
                       "b": [False, True, True]})
    t = present.table(df, locale="fr_FR")
    assert [r[0] for r in t.rows] == ["Yes", "–", "No"]
    assert [r[1] for r in t.rows] == ["No", "Yes", "Yes"]
    assert "True" not in t.to_html() and "False" not in str(t)


def test_missing_cells_are_an_en_dash():
    t = present.table(pd.DataFrame({"x": [1.5, np.nan], "s": ["a", None]}),
                      units={"x": "percent"})
    assert t.rows == (("150.0%", "a"), ("–", "–"))


def test_an_empty_table_is_a_sentence_not_headers():
    df = _frame().iloc[:0]
    t = present.table(df)
    assert str(t) == present.DEFAULT_EMPTY and "<table" not in t.to_html()
    t = present.table(df, empty="No provider missed a KPI in <October>.")
    assert t.to_html() == ('<p class="cc-table-empty">No provider missed a KPI in '
                           "&lt;October&gt;.</p>")
    with pytest.raises(ParameterError, match="'empty'"):
        present.table(df, empty="  ")


def test_row_numbers_are_dropped_and_a_meaningful_index_becomes_a_column():
    df = _frame()
    assert present.table(df.iloc[[1]]).columns[0] == "site"  # index [1]: row numbers
    assert "0" not in present.table(df[["site"]]).to_frame().to_numpy()
    named = present.table(df.set_index("site")[["calls"]])
    assert named.columns == ("site", "calls") and named.rows[0] == ("Lille", "1,541")
    weekdays = pd.DataFrame({"08:00": [0.72, 0.8]}, index=["Mon", "Tue"])
    t = present.table(weekdays, units={"08:00": "percent"})
    assert t.columns == ("", "08:00") and t.rows[0] == ("Mon", "72.0%")
    shown = present.table(df[["site"]], index=True)
    assert shown.rows[1] == ("1", "Rabat")


def test_multiindex_rows_and_columns_are_flattened():
    df = pd.DataFrame({("cost", "eur"): [1.0], ("cost", "fte"): [2.5]},
                      index=pd.MultiIndex.from_tuples([("Lille", "sales")],
                                                      names=["site", "queue"]))
    t = present.table(df)
    assert t.columns == ("site", "queue", "cost eur", "cost fte")
    assert t.rows == (("Lille", "sales", "1", "2.5"),)


def test_hostile_strings_are_escaped_in_cells_labels_and_captions():
    df = pd.DataFrame({"<script>x</script>": ['<img src=x onerror="alert(1)">'],
                       "n": [1]})
    t = present.table(df, labels={"n": "<b>n</b>"}, caption="A & B <i>")
    html = t.to_html()
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<caption>A &amp; B &lt;i&gt;</caption>" in html
    bidi = present.table(pd.DataFrame({"s": ["7 540,15 \u202e€"]}))
    assert "\u202e" not in bidi.to_html() and "\u202e" not in str(bidi)


def test_html_is_wrapped_and_numeric_cells_are_classed():
    html = present.table(_frame())._repr_html_()
    assert html.startswith('<div class="cc-table-wrap"><table class="cc-table">')
    assert html.endswith("</table></div>")
    assert '<th scope="col" class="cc-num">calls</th>' in html
    assert '<td class="cc-num">1,541</td>' in html
    assert "<td>Lille</td>" in html and "<td>Yes</td>" in html


def test_text_form_is_deterministic_and_aligned():
    t = present.table(_frame()[["site", "calls"]])
    assert repr(t) == str(t) == ("site     calls\n"
                                 "Lille    1,541\n"
                                 "Rabat  642,000")
    assert repr(present.table(_frame()[["site", "calls"]])) == repr(t)


def test_table_names_a_wrong_unit_label_or_column():
    with pytest.raises(ParameterError, match=r"'units\['sl'\]'.*percent:0"):
        present.table(_frame(), units={"sl": "percentage"})
    with pytest.raises(ParameterError, match="'units'.*site, calls"):
        present.table(_frame(), units={"slx": "percent"})
    with pytest.raises(ParameterError, match="'labels'"):
        present.table(_frame(), labels={"nope": "Nope"})
    with pytest.raises(ParameterError, match="'locale'"):
        present.table(_frame(), locale="xx")
    with pytest.raises(ParameterError, match="'df'"):
        present.table([1, 2])


def test_datetime_columns_without_a_unit():
    df = pd.DataFrame({"day": pd.to_datetime(["2026-11-03"]),
                       "at": pd.to_datetime(["2026-11-03T08:05Z"]),
                       "month": pd.PeriodIndex(["2026-11"], freq="M"),
                       "wait": pd.to_timedelta([125], unit="s")})
    assert present.table(df, locale="fr_FR").rows == (
        ("3 Nov 2026", "3 Nov 2026, 09:05", "November 2026", f"2{NBSP}min 05{NBSP}s"),)


def test_compact_money_keeps_one_decimal_below_three_figures():
    assert present.money(3e6, "en_GB", compact=True) == "€3.0m"  # beside €7.2m, not €3m
    assert present.money(642e3, "en_GB", compact=True) == "€642k"
    assert present.money(-3e6, "fr_FR", compact=True).startswith("\u22123,0")


def test_english_dates_write_every_month_in_three_letters():
    assert present.date("2024-09-02") == "2 Sep 2024"       # not babel's "Sept"
    assert present.date("2024-06-03") == "3 Jun 2024"
    assert present.date("2024-09-02", "fr_FR") == "2 Sep 2024"  # English words in every locale
    assert present.month("2024-09", short=True) == "Sep 2024"
    assert present.seconds(19.79, decimals=1) == "19.8\u00a0s" and present.seconds(19.79) == "20\u00a0s"


def test_a_french_locale_writes_french_figures_in_english_words():
    """One language per sentence: the locale sets the figures (1 541 / 82,3 % / 17,5 M €),
    the words stay English (October, Mon, Yes, of)."""
    assert present.names_locale("fr_FR") == "en_GB" and present.names_locale("en_US") == "en_US"
    sentence = (f"In {present.month('2026-10', 'fr_FR')} "
                f"{present.share_phrase(1, 3, locale='fr_FR')} providers missed a KPI; "
                f"{present.money(2732, 'fr_FR', decimals=0)} await earn-back.")
    assert sentence == f"In October 2026 1 of 3 (33{NBSP}%) providers missed a KPI; " \
                       f"2{NNBSP}732{NBSP}€ await earn-back."
    assert present.month("2026-10", "fr_FR", short=True) == "Oct 2026"


def test_short_dates_and_month_spans_in_words():
    assert present.date("2026-11-01", short=True) == "1 Nov"
    assert present.date("2024-09-02", "fr_FR", short=True) == "2 Sep"
    assert present.month_span("2025-11..2026-10") == "November 2025 to October 2026"
    assert present.month_span("2026-01, 2026-03") == "January 2026, March 2026"
    assert present.month_span(["2026-02"]) == "February 2026"
