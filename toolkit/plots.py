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
}


def use_style() -> None:
    """Apply the house style to matplotlib (idempotent; called on import)."""
    mpl.rcParams.update(_STYLE)


use_style()


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


def percent_axis(ax: plt.Axes, axis: str = "y", decimals: int = 0) -> None:
    """Format an axis holding fractions (0-1) as percentages."""
    fmt = mpl.ticker.PercentFormatter(xmax=1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
