"""The house chart style: every chart in the notebooks goes through here.

Rules (DESIGN): titles state the finding, axes carry units, intervals are light bands,
colour carries meaning (RAG status, actual vs forecast), never decoration.
Functions take an optional ``ax`` and return the ``Axes`` so notebooks can compose them.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

#: Status colours (colour-blind-safe shades of red / amber / green) and neutral greys.
RAG = {"green": "#1a9850", "amber": "#f0a30a", "red": "#d73027", "no data": "#9e9e9e"}
INK = "#222222"
MUTED = "#8c8c8c"
ACTUAL = "#222222"
FORECAST = "#1f5fa8"
#: Qualitative palette for categories that carry no status (queues, sites, methods).
CATEGORY = ["#1f5fa8", "#e07b39", "#4d9a6a", "#8e5aa8", "#b8860b", "#5f8fbf", "#c0504d", "#7f7f7f"]

_STYLE = {
    "figure.figsize": (10, 4),
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "figure.autolayout": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.8,
    "axes.prop_cycle": mpl.cycler(color=CATEGORY),
    "legend.frameon": False,
    "legend.fontsize": 9,
    "xtick.color": INK,
    "ytick.color": INK,
    "font.size": 10,
    # Text is text: a "$" in a site or queue name must not switch on mathtext (which can
    # fail on it and kill the report). Charts needing math set it per Text object.
    "text.parse_math": False,
}


def use_style() -> None:
    """Apply the house style to matplotlib (idempotent; called on import)."""
    mpl.rcParams.update(_STYLE)


def describe(fig) -> str:
    """A chart's text alternative, from what it shows in words: the figure title, each
    panel's title and axis labels. Reviewer pages give it to screen readers (``alt``)."""
    parts = []
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if suptitle:
        parts.append(suptitle)
    for ax in fig.axes:
        title = ax.get_title() or ax.get_title("left")
        axes = " by ".join(label for label in (ax.get_ylabel(), ax.get_xlabel()) if label)
        if title or axes:
            parts.append(f"{title} ({axes})" if title and axes else title or axes)
    text = "; ".join(" ".join(p.split()) for p in parts)
    return f"Chart: {text}" if text else "Chart without a title"


def _describe_figures_in_notebooks() -> None:
    """In a notebook kernel, a figure's plain-text form is its description, which the
    reviewer HTML uses as the image's alternative text (``toolkit/templates``)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook stack
        return
    shell = get_ipython()
    if shell is None:
        return

    def register(*_):
        shell.display_formatter.formatters["text/plain"].for_type(
            mpl.figure.Figure, lambda fig, printer, cycle: printer.text(describe(fig)))

    register()
    # The inline backend, set up on a cell's first figure, drops every formatter registered
    # for figures; register again after each cell, before it shows that cell's figures.
    shell.events.register("post_execute", register)


use_style()
_describe_figures_in_notebooks()


def new_axes(ax: plt.Axes | None = None, figsize: tuple[float, float] | None = None) -> plt.Axes:
    """Return ``ax`` or a fresh axes in the house style."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax


def finish(ax: plt.Axes, title: str, xlabel: str | None = None, ylabel: str | None = None,
           source: str | None = None) -> plt.Axes:
    """Title (the finding), axis labels with units, and an optional source line."""
    ax.set_title(title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if source:
        ax.annotate(f"Source: {source}", xy=(0, -0.18), xycoords="axes fraction",
                    fontsize=8, color=MUTED, ha="left", va="top")
    return ax


def band(ax: plt.Axes, x, lower, upper, color: str = FORECAST, alpha: float = 0.15,
         label: str | None = None) -> None:
    """Shade an interval as a light band (prediction or tolerance interval)."""
    ax.fill_between(x, lower, upper, color=color, alpha=alpha, linewidth=0, label=label)


def line_with_bands(x, y, *, bands: Sequence[tuple[object, object, str]] = (),
                    actual: tuple[object, object] | None = None, ax: plt.Axes | None = None,
                    title: str = "", xlabel: str | None = None, ylabel: str | None = None,
                    label: str = "forecast") -> plt.Axes:
    """A forecast line with its intervals as nested light bands, and the actuals in ink.

    ``bands`` is a sequence of ``(lower, upper, label)``, widest first.
    """
    ax = new_axes(ax)
    for i, (lo, hi, lab) in enumerate(bands):
        band(ax, x, lo, hi, alpha=0.12 + 0.08 * i, label=lab)
    if actual is not None:
        ax.plot(actual[0], actual[1], color=ACTUAL, linewidth=1.0, label="actual")
    ax.plot(x, y, color=FORECAST, linewidth=1.4, label=label)
    ax.legend(loc="upper left")
    return finish(ax, title, xlabel, ylabel)


def heatmap(table: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
            xlabel: str | None = None, ylabel: str | None = None, cmap: str = "Blues",
            colorbar_label: str = "", vmin: float | None = None, vmax: float | None = None,
            fmt: str | None = None) -> plt.Axes:
    """A labelled heatmap of a 2-D table (rows on y, columns on x), e.g. weekday x interval."""
    ax = new_axes(ax, figsize=(11, 3.6))
    values = table.to_numpy(dtype=float)
    im = ax.imshow(values, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
    step = max(1, len(table.columns) // 12)
    ax.set_xticks(range(0, len(table.columns), step),
                  [str(c) for c in table.columns[::step]], rotation=0)
    ax.grid(False)
    cbar = ax.figure.colorbar(im, ax=ax, fraction=0.025, pad=0.01)
    cbar.set_label(colorbar_label)
    if fmt:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=7, color=INK)
    return finish(ax, title, xlabel, ylabel)


def rag_color(status: str) -> str:
    """Colour for a RAG status (``green``, ``amber``, ``red``, ``no data``)."""
    return RAG.get(str(status).lower(), RAG["no data"])


def target_line(ax: plt.Axes, value: float, label: str = "target", color: str = INK) -> None:
    """A dashed horizontal reference line (target, threshold) with its label."""
    ax.axhline(value, color=color, linestyle="--", linewidth=1.0)
    ax.annotate(label, xy=(1.0, value), xycoords=("axes fraction", "data"), ha="right",
                va="bottom", fontsize=8, color=color)


def percent_axis(ax: plt.Axes, axis: str = "y", decimals: int | None = None) -> None:
    """Format an axis holding fractions (0-1) as percentages (decimals: None = as the ticks need)."""
    fmt = mpl.ticker.PercentFormatter(xmax=1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


# --------------------------------------------------------------------------- KPI report charts

def xmr_chart(chart: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
              ylabel: str | None = None, percent: bool = False, target: float | None = None,
              target_label: str = "target") -> plt.Axes:
    """An XmR (individuals) control chart from ``toolkit.kpi.xmr``: values in ink, centre line,
    the +-3 sigma natural process limits as a light band, special-cause points in red."""
    ax = new_axes(ax)
    x = np.arange(len(chart))
    band(ax, x, chart["lcl"], chart["ucl"], color=MUTED, alpha=0.15, label="±3σ limits")
    ax.plot(x, chart["centre"], color=MUTED, linewidth=1.0, label="centre (mean)")
    ax.plot(x, chart["value"], color=ACTUAL, linewidth=1.2, marker="o", markersize=3,
            label="monthly value")
    signal = chart["signal"].to_numpy(dtype=bool)
    if signal.any():
        ax.scatter(x[signal], chart["value"].to_numpy()[signal], color=RAG["red"], zorder=3,
                   s=30, label="special cause")
    if target is not None:
        target_line(ax, target, target_label)
    step = max(1, -(-len(chart) // 6))  # at most ~6 month labels: readable in a grid panel
    ax.set_xticks(x[::step], [str(i) for i in chart.index[::step]], rotation=0)
    if percent:
        percent_axis(ax, decimals=0)
    ax.legend(loc="best")
    return finish(ax, title, "month", ylabel)


def xmr_grid(charts: dict, *, ncols: int = 2, title: str = "") -> plt.Figure:
    """Several XmR charts side by side: ``charts`` maps a panel title to a dict with keys
    ``chart`` (``toolkit.kpi.xmr`` output), ``ylabel``, ``percent`` and optional ``target``."""
    fig, axes = panel_grid(len(charts), ncols, (6, 3.4), title)
    for ax, (panel, spec) in zip(axes, charts.items(), strict=False):
        xmr_chart(spec["chart"], ax=ax, title=panel, ylabel=spec.get("ylabel"),
                  percent=spec.get("percent", False), target=spec.get("target"))
    return fig


def panel_grid(n: int, ncols: int, panel_size: tuple[float, float], title: str = ""):
    """A figure of ``n`` panels in rows of ``ncols`` (spare panels hidden), with a title.

    Returns the figure and the list of the ``n`` axes to draw in.
    """
    nrows = -(-max(1, n) // ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(panel_size[0] * ncols, panel_size[1] * nrows))
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    return fig, flat[:n]


def status_bars(counts: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
                xlabel: str = "KPIs (count)") -> plt.Axes:
    """Horizontal stacked bars of KPI counts per status (columns green, amber, red, no data),
    one bar per row label (e.g. objective), coloured by RAG."""
    ax = new_axes(ax, figsize=(9, 0.5 + 0.45 * len(counts)))
    left = np.zeros(len(counts))
    labels = [str(i) for i in counts.index]
    for status in ("green", "amber", "red", "no data"):
        if status not in counts.columns:
            continue
        values = counts[status].to_numpy(dtype=float)
        ax.barh(labels, values, left=left, color=rag_color(status), label=status)
        left += values
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return finish(ax, title, xlabel, None)


def provider_comparison(card: pd.DataFrame, kpis: Sequence[str], *, ncols: int = 3,
                        title: str = "") -> plt.Figure:
    """One panel per KPI: each provider's actual as a bar coloured by its RAG status, and over
    each bar that provider's own target (a dashed tick, or a light band for a target range:
    contracts differ per provider). ``card`` is a ``toolkit.kpi.scorecard`` table."""
    kpis = [k for k in kpis if k in set(card["kpi"])]
    fig, axes = panel_grid(len(kpis), ncols, (4.2, 3.0), title)
    for ax, kpi_id in zip(axes, kpis, strict=True):
        rows = card[card["kpi"] == kpi_id]
        values = rows["actual"].fillna(0).to_numpy(dtype=float)
        ax.bar(rows["site"], values, color=[rag_color(s) for s in rows["status"]])
        for i, (v, s) in enumerate(zip(rows["actual"], rows["status"], strict=True)):
            if s == "no data" or not np.isfinite(v):
                ax.annotate("no data", (i, 0), ha="center", va="bottom", fontsize=8,
                            color=MUTED)
        for i, (lo, hi) in enumerate(zip(rows["target_low"], rows["target_high"],
                                         strict=True)):
            if np.isfinite(lo) and np.isfinite(hi):
                ax.fill_between([i - 0.45, i + 0.45], lo, hi, color=RAG["green"], alpha=0.18,
                                linewidth=0)
            else:
                ax.hlines(lo if np.isfinite(lo) else hi, i - 0.45, i + 0.45, color=INK,
                          linestyle="--", linewidth=1.2)
        first = rows.iloc[0]
        unit = first["unit"]
        if unit == "fraction":
            percent_axis(ax, decimals=0)
        ylabel = {"fraction": "%", "seconds": "seconds", "points": "points",
                  "eur_per_contact": "EUR per contact"}.get(unit, unit)
        ax.tick_params(axis="x", labelsize=8)
        finish(ax, f"{first['name']} ({kpi_id})", None, ylabel)
    return fig


def category_lines(table: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
                   xlabel: str | None = None, ylabel: str | None = None,
                   source: str | None = None) -> plt.Axes:
    """One line per column of ``table`` against its index (e.g. weekly calls by queue)."""
    ax = new_axes(ax)
    for i, col in enumerate(table.columns):
        ax.plot(table.index, table[col], color=CATEGORY[i % len(CATEGORY)], linewidth=1.3,
                label=str(col))
    ax.legend(loc="upper left", ncols=min(len(table.columns), 4))
    return finish(ax, title, xlabel, ylabel, source)


def monthly_lines(table: pd.DataFrame, value: str, by: str, *, month: str = "month",
                  target: float | None = None, target_label: str = "target",
                  percent: bool = False, ax: plt.Axes | None = None, title: str = "",
                  ylabel: str | None = None, source: str | None = None) -> plt.Axes:
    """A monthly indicator, one line per ``by`` group, with an optional dashed target line.

    ``table`` is tidy (one row per month and group); ``month`` holds Periods or dates.
    """
    ax = new_axes(ax)
    for i, (name, group) in enumerate(table.groupby(by, sort=True)):
        x = group[month]
        x = x.dt.to_timestamp() if isinstance(x.dtype, pd.PeriodDtype) else x
        ax.plot(x, group[value], marker="o", markersize=3, linewidth=1.2,
                color=CATEGORY[i % len(CATEGORY)], label=str(name))
    if target is not None:
        target_line(ax, target, target_label)
    if percent:
        percent_axis(ax)
    ax.legend(loc="lower left", ncols=4)
    return finish(ax, title, "month", ylabel, source)


# --- Sourcing scenarios (toolkit.costs) ------------------------------------------------------

def cost_bridge(start_value: float, steps: pd.Series, end_value: float, *,
                start_label: str = "baseline", end_label: str = "option",
                ax: plt.Axes | None = None, title: str = "", xlabel: str = "EUR",
                source: str | None = None) -> plt.Axes:
    """A horizontal waterfall (bridge) from a baseline total to an option's total.

    One bar per cost line, read top to bottom; savings are green, increases red.
    """
    labels = [start_label, *map(str, steps.index), end_label]
    ax = new_axes(ax, figsize=(10, 0.38 * len(labels) + 1.4))
    running = start_value
    ax.barh(0, start_value, color=MUTED, height=0.6)
    for i, delta in enumerate(steps.to_numpy(dtype=float), start=1):
        left = running + min(delta, 0.0)
        ax.barh(i, abs(delta), left=left, color=RAG["green"] if delta < 0 else RAG["red"],
                height=0.6)
        running += delta
    ax.barh(len(labels) - 1, end_value, color=FORECAST, height=0.6)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v / 1e6:,.1f} M"))
    return finish(ax, title, xlabel, None, source)


def stacked_cost_bars(table: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
                      xlabel: str = "EUR per year", source: str | None = None) -> plt.Axes:
    """Horizontal stacked bars: one bar per option (rows), one segment per cost line (columns).

    Negative segments (a provider margin below zero) are stacked leftwards from zero,
    hatched, so a loss is never drawn as a cost.
    """
    ax = new_axes(ax, figsize=(11, max(3.0, 0.32 * len(table) + 1.2)))
    left = np.zeros(len(table))
    below = np.zeros(len(table))
    # More lines than the category palette: take distinct shades from tab20.
    colors = (CATEGORY if len(table.columns) <= len(CATEGORY)
              else [mpl.colormaps["tab20"](i % 20) for i in range(len(table.columns))])
    for col, color in zip(table.columns, colors, strict=True):
        values = table[col].to_numpy(dtype=float)
        pos, neg = np.clip(values, 0, None), np.clip(values, None, 0)
        ax.barh(range(len(table)), pos, left=left, color=color, label=str(col), height=0.7)
        left += pos
        if (neg < 0).any():
            ax.barh(range(len(table)), neg, left=below, color=color, height=0.7, hatch="//",
                    edgecolor="black", linewidth=0.3, label=f"{col} (negative)")
            below += neg
    if (below < 0).any():
        ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(table)), [str(i) for i in table.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v / 1e6:,.1f} M"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return finish(ax, title, xlabel, None, source)


def fan_chart(fan: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
              ylabel: str = "cumulative cost, EUR", source: str | None = None) -> plt.Axes:
    """Cumulative cost by month per option: the median line and its P10-P90 band.

    ``fan`` has ``location, form, month, quantile, cumulative_cost_eur`` (``costs.cumulative_fan``).
    """
    ax = new_axes(ax)
    qs = sorted(fan["quantile"].unique())
    for i, ((loc, form), g) in enumerate(fan.groupby(["location", "form"], sort=False)):
        wide = g.pivot_table(index="month", columns="quantile", values="cumulative_cost_eur")
        color = CATEGORY[i % len(CATEGORY)]
        band(ax, wide.index, wide[qs[0]], wide[qs[-1]], color=color, alpha=0.18)
        mid = qs[len(qs) // 2]
        ax.plot(wide.index, wide[mid], color=color, linewidth=1.6, label=f"{loc} / {form}")
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v / 1e6:,.0f} M"))
    ax.legend(loc="upper left")
    return finish(ax, title, "month", ylabel, source)


def tornado_chart(tornado: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
                  xlabel: str = "EUR", top: int = 12, source: str | None = None) -> plt.Axes:
    """One-way sensitivity: bars from the base value to the low and high driver settings."""
    t = tornado.head(top).iloc[::-1]
    ax = new_axes(ax, figsize=(10, 0.35 * len(t) + 1.5))
    base = float(t["base_eur"].iloc[0])
    y = np.arange(len(t))
    ax.barh(y, t["low_eur"] - base, left=base, color=FORECAST, alpha=0.8, label="low setting")
    ax.barh(y, t["high_eur"] - base, left=base, color="#e07b39", alpha=0.8, label="high setting")
    ax.axvline(base, color=INK, linewidth=1.0)
    if base * min(t["low_eur"].min(), t["high_eur"].min()) <= 0 or (
            base * max(t["low_eur"].max(), t["high_eur"].max()) <= 0):
        ax.axvline(0, color=RAG["red"], linestyle="--", linewidth=1.0)
    ax.set_yticks(y, t["label"])
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v / 1e6:,.1f} M"))
    ax.legend(loc="lower right")
    return finish(ax, title, xlabel, None, source)


def risk_cost_matrix(table: pd.DataFrame, *, x: str = "npv_eur", y: str = "risk_score",
                     label_cols: Sequence[str] = ("location", "form"), highlight: int = 0,
                     ax: plt.Axes | None = None, title: str = "", xlabel: str = "EUR",
                     ylabel: str = "risk score (1 = no concern)",
                     source: str | None = None) -> plt.Axes:
    """Options on cost (x) against the weighted non-cost score (y); the chosen row in colour."""
    ax = new_axes(ax, figsize=(10, 5))
    for i, row in enumerate(table.itertuples(index=False)):
        r = row._asdict()
        color = RAG["green"] if i == highlight else MUTED
        ax.scatter(r[x], r[y], s=60 if i == highlight else 30, color=color, zorder=3)
        ax.annotate(" / ".join(str(r[c]) for c in label_cols), (r[x], r[y]), fontsize=7,
                    color=INK if i == highlight else MUTED, xytext=(4, 3),
                    textcoords="offset points")
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v / 1e6:,.0f} M"))
    return finish(ax, title, xlabel, ylabel, source)
