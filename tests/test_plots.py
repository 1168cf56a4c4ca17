"""Charts people can read (issue 14, item 4): colour-blind-safe status with words and shapes,
legends outside the data, values written near thresholds, one y-axis, real alt text."""

import ast
import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from toolkit import plots  # noqa: E402

TOOLKIT = Path(plots.__file__).parent


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plots.plt.close("all")


# --- palette and status ----------------------------------------------------------------------

# Machado et al. (2009) full-severity simulation matrices, on linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def _lab(hex_color, matrix):
    rgb = np.array(matplotlib.colors.to_rgb(hex_color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(np.asarray(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_palettes_are_paul_tols_colour_blind_safe_sets():
    assert set(plots.CATEGORY) <= set(plots.TOL_BRIGHT.values())
    assert len(set(plots.CATEGORY)) == len(plots.CATEGORY) >= 6
    assert plots.TOL_BRIGHT["grey"] not in plots.CATEGORY  # grey means "no data"
    assert set(plots.RAG) == {"green", "amber", "red", "no data"}  # other code reads these keys
    assert [plots.RAG[s] for s in ("green", "amber", "red")] == list(
        plots.TOL_HIGH_CONTRAST.values())
    assert plots.rag_color("RED") == plots.RAG["red"]
    assert plots.rag_color("unknown") == plots.RAG["no data"]


@pytest.mark.parametrize("vision", ["normal", *CVD])
def test_status_colours_stay_apart_under_colour_blindness(vision):
    matrix = np.eye(3) if vision == "normal" else CVD[vision]
    labs = {s: _lab(plots.RAG[s], matrix) for s in ("green", "amber", "red")}
    closest = min(np.linalg.norm(labs[a] - labs[b]) for a, b in itertools.combinations(labs, 2))
    assert closest > 25  # CIELAB distance; the old red/amber pair fell to ~20 for protanopes


def test_every_status_has_its_own_word_symbol_marker_and_hatch():
    styles = plots.STATUS_STYLE
    assert set(styles) == set(plots.RAG)
    for key in ("word", "symbol", "marker", "hatch", "color"):
        values = [styles[s][key] for s in styles]
        if key == "marker":  # "no data" shares the circle but is hollow
            values = [(styles[s]["marker"], styles[s]["filled"]) for s in styles]
        assert len(set(values)) == len(styles), key
    assert plots.status_label("green") == "✓ on target"
    assert plots.status_label("Amber") == "▲ watch"
    assert plots.status_label("red") == "✕ missed"
    assert plots.status_label(None) == "– no data"
    assert [h.get_label() for h in plots.status_handles(("red", "green"), kind="marker")] == [
        "✕ missed", "✓ on target"]


# --- legends outside the data ------------------------------------------------------------------

def _extent(artist):
    return artist.get_window_extent(artist.figure.canvas.get_renderer())


def _assert_outside(ax, legend=None):
    fig = ax.figure
    fig.canvas.draw()
    legend = legend or ax.get_legend()
    assert legend is not None
    box, data = _extent(legend), ax.get_window_extent()
    assert not box.overlaps(data), f"legend {box} over the data area {data}"
    return box


@pytest.mark.parametrize("where", ["right", "below"])
def test_legend_outside_leaves_the_data_area_and_the_axis_labels_clear(where):
    ax = plots.new_axes()
    ax.plot(range(10), np.arange(10) ** 2, label="care")
    ax.plot(range(10), np.arange(10) * 9, label="sales")
    legend = plots.legend_outside(ax, where)
    plots.finish(ax, "Care overtakes sales", "week", "calls", source="sample data")
    ax.set_xticks(range(10), [f"week {i}" for i in range(10)], rotation=45)  # set after
    box = _assert_outside(ax, legend)
    renderer = ax.figure.canvas.get_renderer()
    if where == "below":
        assert box.y1 <= ax.xaxis.get_tightbbox(renderer).y0 + 1
        source = next(t for t in ax.texts if t.get_gid() == "source")
        assert box.y1 <= _extent(source).y0 + 1
    else:
        assert box.x0 >= ax.get_window_extent().x1


def test_legend_outside_rejects_an_unknown_place_and_skips_an_empty_legend():
    ax = plots.new_axes()
    assert plots.legend_outside(ax) is None
    ax.plot([0, 1], label="x")
    with pytest.raises(ValueError, match="right"):
        plots.legend_outside(ax, "inside")


def _xmr(values, target_signal=()):
    v = pd.Series(values, index=[f"2026-{m:02d}" for m in range(1, len(values) + 1)])
    return pd.DataFrame({"value": v, "centre": v.mean(), "lcl": v.mean() - 0.05,
                         "ucl": v.mean() + 0.05, "signal": [i in target_signal for i in
                                                             range(len(v))]})


def _card():
    return pd.DataFrame({
        "kpi": ["SL", "SL", "SL", "AHT", "AHT", "AHT"],
        "name": ["Service level"] * 3 + ["Handling time"] * 3,
        "site": ["FR", "MA", "MU"] * 2, "provider": ["a", "b", "c"] * 2,
        "unit": ["fraction"] * 3 + ["seconds"] * 3,
        "actual": [0.812, 0.796, np.nan, 300.0, 320.0, 290.0],
        "status": ["green", "amber", "no data", "green", "red", "green"],
        "target_low": [0.80, 0.80, 0.80, np.nan, np.nan, np.nan],
        "target_high": [np.nan, np.nan, np.nan, 310.0, 310.0, 310.0]})


def _charts():
    idx = pd.date_range("2026-01-05", periods=8, freq="W-MON")
    x = np.arange(8.0)
    monthly = pd.DataFrame({"month": pd.period_range("2026-01", periods=4, freq="M").repeat(2),
                            "site": ["A", "B"] * 4,
                            "service_level": [0.70, 0.83, 0.796, 0.90, 0.75, 0.804, 0.95, 0.6]})
    fan = pd.DataFrame([{"location": loc, "form": "FULL", "month": m, "quantile": q,
                         "cumulative_cost_eur": (m + 1) * 1e6 * (1 + q) * (2 if loc == "MA" else 1)}
                        for loc in ("FR", "MA") for m in range(6) for q in (0.1, 0.5, 0.9)])
    tornado = pd.DataFrame({"label": ["wage", "AHT"], "base_eur": [1e6, 1e6],
                            "low_eur": [0.6e6, 0.9e6], "high_eur": [1.5e6, 1.1e6]})
    return {
        "line_with_bands": lambda: plots.line_with_bands(
            x, x, bands=[(x - 1, x + 1, "80 %")], actual=(x, x + 0.5)),
        "category_lines": lambda: plots.category_lines(
            pd.DataFrame({"care": x, "sales": x[::-1]}, index=idx), source="s"),
        "monthly_lines": lambda: plots.monthly_lines(
            monthly, "service_level", "site", target=0.8, percent=True, source="s"),
        "xmr_chart": lambda: plots.xmr_chart(_xmr([0.81, 0.796, 0.83, 0.70, 0.80, 0.82],
                                                  (3,)), percent=True, target=0.8),
        "status_bars": lambda: plots.status_bars(pd.DataFrame(
            {"green": [3, 1], "amber": [1, 0], "red": [0, 2], "no data": [1, 1]},
            index=["FR · quality", "MA · sales"])),
        "stacked_cost_bars": lambda: plots.stacked_cost_bars(pd.DataFrame(
            np.ones((3, 10)) * 1e5, index=["a", "b", "c"],
            columns=[f"line {i}" for i in range(10)])),
        "cost_bridge": lambda: plots.cost_bridge(
            5e6, pd.Series({"agents": -1e6, "telephony": 2e5}), 4.2e6),
        "fan_chart": lambda: plots.fan_chart(fan),
        "tornado_chart": lambda: plots.tornado_chart(tornado),
        "provider_comparison": lambda: plots.provider_comparison(_card(), ["SL", "AHT"]),
    }


@pytest.mark.parametrize("name", list(_charts()))
def test_every_chart_with_a_legend_puts_it_outside_the_data(name):
    drawn = _charts()[name]()
    fig = drawn if isinstance(drawn, matplotlib.figure.Figure) else drawn.figure
    fig.canvas.draw()
    legends = [(ax, ax.get_legend()) for ax in fig.axes if ax.get_legend() is not None]
    assert legends, f"{name} draws no legend"
    for owner, legend in legends:
        box = _extent(legend)
        for ax in fig.axes:
            if ax.get_visible():
                assert not box.overlaps(ax.get_window_extent()), (name, owner.get_title())


# --- status never by colour alone --------------------------------------------------------------

def test_status_bars_hatch_and_name_each_status_and_write_the_counts():
    ax = _charts()["status_bars"]()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["✓ on target", "▲ watch", "✕ missed", "– no data"]
    hatches = {p.get_hatch() or "" for p in ax.patches}
    assert len(hatches) == 4
    written = [t.get_text() for t in ax.texts if t.get_text()]
    assert sorted(written) == sorted(["3", "1", "1", "2", "1", "1"])


def test_provider_comparison_writes_value_and_status_symbol_over_each_bar():
    fig = _charts()["provider_comparison"]()
    sl = fig.axes[0]
    written = [t.get_text() for t in sl.texts if t.get_gid() == "value-label"]
    assert written == ["✓ 81.2%", "▲ 79.6%", "– no data"]
    # site names slanted so neighbours never run together
    assert all(t.get_rotation() == 30 for t in sl.get_xticklabels())
    assert [p.get_hatch() or "" for p in sl.patches[:3]] == ["", "//", ".."]
    aht = [t.get_text() for t in fig.axes[1].texts if t.get_gid() == "value-label"]
    assert aht == ["✓ 300 s", "✕ 320 s", "✓ 290 s"]
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert legend == ["✓ on target", "▲ watch", "✕ missed", "– no data", "target"]


# --- values written where a threshold matters --------------------------------------------------

def _value_labels(ax):
    return [t.get_text() for t in ax.texts if t.get_gid() == "value-label"]


def test_label_values_writes_only_the_points_near_the_threshold():
    ax = plots.new_axes()
    y = [0.70, 0.796, 0.80, 0.812, 0.95]
    labels = plots.label_values(ax, range(5), y, ".1%", near=0.8, tolerance=0.015)
    assert [t.get_text() for t in labels] == ["79.6%", "80.0%", "81.2%"]
    assert _value_labels(ax) == ["79.6%", "80.0%", "81.2%"]
    plots.label_values(ax, range(3), [1.0, np.nan, 2.5], "{:.1f} s")
    assert _value_labels(ax)[-2:] == ["1.0 s", "2.5 s"]  # no label for a missing value


def test_label_values_default_tolerance_follows_the_spread_of_the_values():
    ax = plots.new_axes()
    labels = plots.label_values(ax, range(4), [0.6, 0.79, 0.805, 1.0], ".1%", near=0.8)
    assert [t.get_text() for t in labels] == ["79.0%", "80.5%"]  # 5 % of a 0.4 span


def test_a_value_just_below_the_threshold_never_reads_as_the_threshold():
    ax = plots.new_axes()
    labels = plots.label_values(ax, range(3), [0.7996, 0.8, 0.8004], ".1%", near=0.8,
                                 tolerance=0.01)
    assert [t.get_text() for t in labels] == ["79.96%", "80.0%", "80.04%"]
    assert labels[0].get_va() == "top" and labels[2].get_va() == "bottom"  # its side of the line


def test_default_tolerance_widens_with_what_the_axes_already_show():
    ax = plots.new_axes()
    ax.fill_between([0, 1], 0.5, 0.95)  # a wide band: 0.793 is now close to 80 %
    labels = plots.label_values(ax, [0, 1], [0.793, 0.85], ".1%", near=0.8)
    assert [t.get_text() for t in labels] == ["79.3%"]


def test_monthly_lines_and_xmr_label_the_months_close_to_the_target():
    ax = _charts()["monthly_lines"]()
    # 79.6 % (February) and 80.4 % (March) are both close, but in neighbouring months: only
    # the nearer is labelled, so the labels never stack; not 83 %: 3 points off
    assert _value_labels(ax) == ["79.6%"]
    assert len(ax.lines) == 3  # two sites + the target line: labels add no lines
    ax = _charts()["xmr_chart"]()
    assert _value_labels(ax) == ["79.6%", "80.0%"]  # 81 % is clear of the line
    ax = plots.xmr_chart(_xmr([0.81, 0.79, 0.83]), percent=True)  # no target: no labels
    assert _value_labels(ax) == []


def test_monthly_lines_label_a_handful_of_months_and_name_the_target_in_the_legend():
    months = pd.period_range("2025-01", periods=25, freq="M")
    values = [0.80 + (0.001 * (i + 1) if i % 2 else -0.001 * (i + 1)) for i in range(24)]
    values.append(0.4)  # one bad month: every other month is now close to the line
    table = pd.DataFrame({"month": months, "site": "A", "service_level": values})
    ax = plots.monthly_lines(table, "service_level", "site", target=0.8, percent=True,
                             target_label="target 80%", max_labels=4)
    labels = [t for t in ax.texts if t.get_gid() == "value-label"]
    assert [t.get_text() for t in labels] == ["79.9%", "80.4%", "79.3%", "81.0%"]  # nearest, 3 months apart
    assert "target 80%" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert not [t for t in ax.texts if t.get_text() == "target 80%"]  # not written on the data
    flipped = table.assign(service_level=table["service_level"].iloc[::-1].to_numpy())
    ax = plots.monthly_lines(flipped, "service_level", "site", target=0.8, percent=True,
                             max_labels=1)
    assert _value_labels(ax) == ["79.9%"]  # the nearest month, now the last one
    plots.plt.close("all")


# --- one y-axis --------------------------------------------------------------------------------

def _twin_calls():
    """(module, enclosing function) for every ``.twinx``/``.twiny`` in toolkit/."""
    found = set()

    class Finder(ast.NodeVisitor):
        def __init__(self, module):
            self.module, self.where = module, ["<module>"]

        def visit_FunctionDef(self, node):
            self.where.append(node.name)
            self.generic_visit(node)
            self.where.pop()

        def visit_Attribute(self, node):
            if node.attr in ("twinx", "twiny"):
                found.add((self.module, self.where[-1]))
            self.generic_visit(node)

    for path in TOOLKIT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        Finder(path.relative_to(TOOLKIT).as_posix()).visit(tree)
    return found


def test_no_second_y_axis_in_toolkit_except_the_labelled_helper():
    assert _twin_calls() == {("plots.py", "second_axis")}


def test_second_axis_is_named_coloured_and_shares_one_legend_outside():
    ax = plots.new_axes()
    ax.plot([1, 2, 3], [30, 12, 5], label="ASA")
    ax.set_ylabel("ASA (s)")
    twin = plots.second_axis(ax, [1, 2, 3], [0.2, 0.1, 0.05], label="abandoned",
                             ylabel="abandoned calls", percent=True)
    assert twin.get_ylabel() == "abandoned calls"
    assert twin.spines["right"].get_visible()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["ASA (left axis)", "abandoned (right axis)"]
    assert twin.get_legend() is None
    _assert_outside(ax)
    plots.finish(ax, "Waiting falls fast", "agents")
    text = plots.describe(ax.figure)
    assert text == ("Chart: Waiting falls fast (ASA (s) by agents; right axis: abandoned calls; "
                    "legend: ASA (left axis), abandoned (right axis))")


# --- alternative text --------------------------------------------------------------------------

def test_describe_puts_the_headline_first_and_names_the_legend_entries():
    ax = _charts()["category_lines"]()
    plots.finish(ax, "Care peaks in week 8", "week", "calls")
    assert plots.headline(ax, "Care  calls triple\nover eight weeks.") is ax.figure
    text = plots.describe(ax.figure)
    assert text.startswith("Chart: Care calls triple over eight weeks.; Care peaks in week 8")
    assert "(calls by week; legend: care, sales)" in text
    other = plots.plt.figure()
    assert "Care calls triple" not in plots.describe(other)  # stored per figure


def test_describe_reads_a_figure_legend_and_skips_hidden_panels():
    fig, axes = plots.panel_grid(3, 2, (3, 2), "Hours per site")
    for ax in axes:
        ax.plot([1, 2], label="billed")
    fig.legend(*axes[0].get_legend_handles_labels())
    assert plots.describe(fig) == "Chart: Hours per site; legend: billed"
    assert plots.describe(plots.plt.figure()) == "Chart without a title"


def test_describe_does_not_repeat_a_title_that_is_the_headline():
    fig, ax = matplotlib.pyplot.subplots()
    ax.set_title("Care peaks on Monday")
    plots.headline(fig, "Care peaks on Monday")
    assert plots.describe(fig).count("Care peaks on Monday") == 1
    matplotlib.pyplot.close(fig)


# --- months in words ---------------------------------------------------------------------------

def _tick_texts(ax):
    ax.figure.canvas.draw()
    return [t.get_text() for t in ax.get_xticklabels() if t.get_text()]


def test_month_label_reads_any_month_as_words():
    assert plots.month_label("2025-11") == "Nov 2025"
    assert plots.month_label(pd.Period("2026-09", "M")) == "Sep 2026"
    assert plots.month_label(pd.Timestamp("2026-10-01 00:00")) == "Oct 2026"
    assert plots.month_label("2026-10-01 00:00:00") == "Oct 2026"
    assert plots.month_label("care") == "care"  # not a month: as it is


def test_month_axes_show_month_names_not_iso_dates():
    iso = r"\d{4}-\d{2}"
    for name in ("monthly_lines", "xmr_chart"):
        texts = _tick_texts(_charts()[name]())
        assert texts and not any(pd.Series(texts).str.contains(iso)), (name, texts)
        assert all(t.split()[0] in {"Jan", "Feb", "Mar", "Apr", "May", "Jun"} for t in texts)
    weekly = pd.DataFrame({"care": np.arange(60.0)},
                          index=pd.date_range("2025-01-06", periods=60, freq="W-MON"))
    texts = _tick_texts(plots.category_lines(weekly))
    assert texts[:2] == ["Jan 2025", "Mar 2025"] and not any("-" in t for t in texts)
    years = pd.DataFrame({"month": pd.period_range("2020-01", periods=60, freq="M"), "site": "A",
                          "v": 1.0})
    texts = _tick_texts(plots.monthly_lines(years, "v", "site"))
    assert "2020" in texts and all(t.isdigit() and len(t) == 4 for t in texts)  # five years


def test_a_markdown_headline_reads_without_its_escapes_in_the_alt_text():
    from toolkit import markup

    ax = plots.new_axes()
    plots.headline(ax, f"in October 2026: {markup.md('First-contact resolution')}.")
    assert "First-contact resolution" in plots.describe(ax.figure)
    assert "\\" not in plots.describe(ax.figure)


# --- percent ticks and value labels that never run together ----------------------------------

def test_percent_ticks_show_the_decimals_their_step_needs():
    ticks = plots.PercentTicks()
    assert ticks.format_ticks([0.725, 0.75, 0.775, 0.80, 0.825]) == [
        "72.5%", "75.0%", "77.5%", "80.0%", "82.5%"]  # not 72%, 75%, 78%, 80%, 82%
    assert ticks.format_ticks([0.7, 0.75, 0.8]) == ["70%", "75%", "80%"]
    assert ticks.format_ticks([0.046, 0.048, 0.05]) == ["4.6%", "4.8%", "5.0%"]
    ax = plots.xmr_chart(_xmr([0.81, 0.79, 0.83]), percent=True)
    assert isinstance(ax.yaxis.get_major_formatter(), plots.PercentTicks)
    plots.plt.close("all")


def test_value_labels_that_would_overlap_a_neighbour_are_skipped():
    fig, ax = plots.plt.subplots(figsize=(2.5, 2))
    x = np.arange(12)
    y = [0.797, 0.798, 0.799, 0.801, 0.802, 0.7995, 0.8005, 0.803, 0.797, 0.798, 0.8, 0.7985]
    ax.plot(x, y)
    labels = plots.label_values(ax, x, y, ".1%", near=0.8, tolerance=0.01)
    assert len(labels) == 12
    shown = plots.visible_value_labels(ax)
    assert 1 <= len(shown) < 12
    assert "80.0%" in shown  # the month on the threshold is kept first
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels if t.get_visible()]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    fig.set_size_inches(30, 4)  # room enough: every label shows again
    assert len(plots.visible_value_labels(ax)) == 12
    plots.plt.close("all")


def test_day_axis_spans_the_days_plotted_and_names_them_in_words():
    fig, ax = plots.plt.subplots()
    days = pd.date_range("2026-09-20", "2026-11-30", freq="D", tz="Europe/Paris")
    ax.plot(days, np.arange(len(days)))
    plots.day_axis(ax, days.min(), days.max())
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["1 Oct", "15 Oct", "1 Nov", "15 Nov"]  # no 1 Dec, no 2026-10-01
    import matplotlib.dates as mdates
    hi = mdates.num2date(ax.get_xlim()[1])
    assert hi < pd.Timestamp("2026-12-01", tz="Europe/Paris")
    plots.plt.close("all")
