"""Data values shown as text: Markdown, HTML and styled tables never turn them into markup."""

from __future__ import annotations

import pandas as pd
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from toolkit import markup

HOSTILE = "[x](https://evil.example) ![i](https://evil.example/i.png) <b>b</b> | a | *em* $5 \u202eRTL"


def test_md_shows_links_images_tables_and_math_as_text():
    html = markdown2html_mistune(f"Site **{markup.md(HOSTILE)}** owes 7 540,15 €")
    assert "<a" not in html and "<img" not in html and "<b>" not in html and "<em>" not in html
    assert "<table" not in html and "\u202e" not in html
    assert "[x](https://evil.example)" in html and "owes 7 540,15 €" in html


def test_style_escapes_cells_and_both_labels():
    table = pd.DataFrame({"<i>q</i>": ["<b>x</b>\u202e"], "n": [1234.5]},
                         index=pd.Index(["<a href='https://e'>s</a>"], name="site"))
    html = markup.style(table, {"n": "{:,.1f}"}).to_html()
    assert "<b>x" not in html and "<i>q" not in html and "<a href" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "1,234.5" in html and "\u202e" not in html


def test_text_escapes_html():
    assert markup.text("<script>\u202e") == "&lt;script&gt;"


def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path):
    from toolkit import kpi

    table = pd.DataFrame({"provider": ['=HYPERLINK("https://e","x")', "+1", "-2", "@SUM(A1)",
                                      "Nordcall"],
                          "credit_eur": [-12.5, 1.0, 2.0, 3.0, 4.0]})
    for write in (kpi.write_scorecard, kpi.write_credits):
        text = write(table, tmp_path / "out.csv").read_text()
        assert text.splitlines()[1:] == ["\"'=HYPERLINK(\"\"https://e\"\",\"\"x\"\")\",-12.5",
                                         "'+1,1.0", "'-2,2.0", "'@SUM(A1),3.0", "Nordcall,4.0"]


def test_plain_undoes_what_md_escaped():
    for value in ("First-contact resolution", "a_b *c* [d](e) 50% & <f>", "x\\y"):
        assert markup.plain(markup.md(value)) == value
