"""The house chart style: every chart in the notebooks goes through here.

Rules (DESIGN): titles state the finding, axes carry units, intervals are light bands,
colour carries meaning (status, actual vs forecast), never decoration — and never alone:
a status also has a word and a shape, so it survives colour blindness and greyscale print.
One y-axis per panel, legends outside the data, values written where a threshold matters.
Functions take an optional ``ax`` and return the ``Axes`` so notebooks can compose them.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

#: Paul Tol's "bright" qualitative scheme: distinct for the common colour-vision
#: deficiencies (https://personal.sron.nl/~pault/). Its grey is kept apart for "no data".
TOL_BRIGHT = {"blue": "#4477AA", "cyan": "#66CCEE", "green": "#228833", "yellow": "#CCBB44",
              "red": "#EE6677", "purple": "#AA3377", "grey": "#BBBBBB"}
#: Paul Tol's "high-contrast" scheme: three colours that stay apart for every colour-vision
#: deficiency and in greyscale (dark blue, light yellow, mid red) — the status colours.
TOL_HIGH_CONTRAST = {"blue": "#004488", "yellow": "#DDAA33", "red": "#BB5566"}

#: Status colours, keyed by the KPI statuses (``toolkit.kpi.STATUSES``): on target is dark
#: blue, not green, because red/green is the pair colour-blind readers cannot tell apart.
RAG = {"green": TOL_HIGH_CONTRAST["blue"], "amber": TOL_HIGH_CONTRAST["yellow"],
       "red": TOL_HIGH_CONTRAST["red"], "no data": TOL_BRIGHT["grey"]}
INK = "#222222"
MUTED = "#8c8c8c"
ACTUAL = "#222222"
FORECAST = TOL_BRIGHT["blue"]
#: Qualitative palette for categories that carry no status (queues, sites, methods).
CATEGORY = [TOL_BRIGHT[c] for c in ("blue", "red", "green", "yellow", "cyan", "purple")]
#: Colour map for a score or service level where high is good: cividis reads the same for
#: colour-blind readers and in greyscale (unlike red-yellow-green).
SCORE_CMAP = "cividis"

#: How each status is shown besides its colour: a word, a symbol for text and a marker and
#: hatch for the chart, so status never rests on colour alone. ``text`` is the colour that
#: stays legible written on the status colour (tables with coloured cells).
STATUS_STYLE = {
    "green": {"word": "on target", "symbol": "✓", "marker": "o", "hatch": "",
              "color": RAG["green"], "filled": True, "text": "white"},
    "amber": {"word": "watch", "symbol": "▲", "marker": "^", "hatch": "//",
              "color": RAG["amber"], "filled": True, "text": INK},
    "red": {"word": "missed", "symbol": "✕", "marker": "X", "hatch": "xx",
            "color": RAG["red"], "filled": True, "text": "white"},
    "no data": {"word": "no data", "symbol": "–", "marker": "o", "hatch": "..",
                "color": RAG["no data"], "filled": False, "text": INK},
}


def _status_key(status) -> str:
    key = str(status).lower()
    return key if key in STATUS_STYLE else "no data"


def status_label(status) -> str:
    """The status in words with its symbol (``"✓ on target"``): what a legend, a label or a
    table shows so that a reader never needs the colour."""
    style = STATUS_STYLE[_status_key(status)]
    return f"{style['symbol']} {style['word']}"


def status_handles(statuses: Sequence[str] = tuple(STATUS_STYLE), kind: str = "patch") -> list:
    """Legend handles for ``statuses`` (``kind`` ``"patch"`` for bars, ``"marker"`` for
    points), each labelled with ``status_label``."""
    handles = []
    for status in statuses:
        st = STATUS_STYLE[_status_key(status)]
        if kind == "marker":
            handles.append(Line2D([], [], linestyle="none", marker=st["marker"], markersize=8,
                                  color=st["color"], markeredgecolor=st["color"],
                                  markerfacecolor=st["color"] if st["filled"] else "white",
                                  label=status_label(status)))
        else:
            handles.append(Patch(facecolor=st["color"] if st["filled"] else "white",
                                 edgecolor=INK if st["hatch"] else st["color"],
                                 hatch=st["hatch"], linewidth=0.6, label=status_label(status)))
    return handles


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
    "axes.axisbelow": True,  # grid lines behind bars, not across them
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


#: One-sentence headlines by figure (``headline``); weak, so a closed figure is forgotten.
_HEADLINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def headline(fig, text: str):
    """Store a chart's one-sentence headline (the finding in words), which ``describe`` puts
    first in the alternative text. ``fig`` may be a Figure or an Axes; returns the figure."""
    from toolkit import markup

    fig = fig.figure if isinstance(fig, plt.Axes) else fig
    # a sentence written for Markdown reads without its escapes ("First\-contact")
    _HEADLINES[fig] = " ".join(markup.plain(str(text)).split())
    return fig


def _legend_labels(legend) -> list[str]:
    if legend is None or not legend.get_visible():
        return []
    return [t.get_text() for t in legend.get_texts() if t.get_text()]


def describe(fig) -> str:
    """A chart's text alternative, from what it shows in words: the headline (``headline``),
    the figure title, each panel's title, axis labels (a second axis included) and legend
    entries. Reviewer pages give it to screen readers (``alt``)."""
    parts = [_HEADLINES[fig]] if fig in _HEADLINES else []
    said = {" ".join(p.split()) for p in parts}  # a title that is the headline is not repeated
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if suptitle and " ".join(suptitle.split()) not in said:
        parts.append(suptitle)
    for ax in fig.axes:
        if getattr(ax, "_toolkit_second_of", None) is not None or not ax.get_visible():
            continue  # a second axis is told with the panel it belongs to
        title = ax.get_title() or ax.get_title("left")
        if " ".join(title.split()) in said:
            title = ""
        axes = " by ".join(label for label in (ax.get_ylabel(), ax.get_xlabel()) if label)
        extras = [f"right axis: {twin.get_ylabel()}" for twin in fig.axes
                  if getattr(twin, "_toolkit_second_of", None) is ax and twin.get_ylabel()]
        legend = _legend_labels(ax.get_legend())
        if legend:
            extras.append("legend: " + ", ".join(legend))
        inner = "; ".join([axes, *extras]) if axes else "; ".join(extras)
        if title or inner:
            parts.append(f"{title} ({inner})" if title and inner else title or inner)
    figure_legend = [label for leg in getattr(fig, "legends", []) for label in _legend_labels(leg)]
    if figure_legend:
        parts.append("legend: " + ", ".join(figure_legend))
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
                    fontsize=8, color=MUTED, ha="left", va="top", gid="source")
    return ax


def month_label(value) -> str:
    """A month as a tick or panel title reads it: ``Nov 2025`` (from ``2025-11``, a Period or
    any date in the month, never ``2025-11-01 00:00``); a value that is not a month as it is."""
    from toolkit import present
    from toolkit.errors import ParameterError

    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}(-\d{2}.*)?", value.strip()):
        return value
    try:
        return present.month(value, short=True)
    except (ParameterError, ValueError, TypeError):
        return str(value)


def month_axis(ax: plt.Axes, max_ticks: int = 8) -> plt.Axes:
    """Ticks of a date x-axis on whole months, labelled ``Jan 2025`` (every 1, 2, 3, 4 or 6
    months so that at most ``max_ticks`` show), or on Januaries labelled by year when the axis
    spans more; instead of matplotlib's ISO dates (``2025-01``, ``2025-01-01 00:00``)."""
    import matplotlib.dates as mdates

    lo, hi = (mdates.num2date(v) for v in ax.get_xlim())
    months = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    step = next((s for s in (1, 2, 3, 4, 6, 12, 24, 60) if months / s <= max_ticks), 120)
    if step < 12:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
            lambda v, _: month_label(mdates.num2date(v).strftime("%Y-%m"))))
    else:
        ax.xaxis.set_major_locator(mdates.YearLocator(step // 12))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
            lambda v, _: str(mdates.num2date(v).year)))
    return ax


def day_axis(ax: plt.Axes, start, end, locale: str = "en_GB", max_ticks: int = 6) -> plt.Axes:
    """A daily x-axis that spans exactly ``start`` to ``end`` (the days plotted, with half a
    day either side: no tick for a day outside them, such as the 1st of the next month) and
    names its ticks in words (``1 Nov``; ``present.date``), never ISO dates (``2026-11-01``).
    Ticks fall on the 1st and 15th of each month, or every few days on a short span."""
    from toolkit import present

    start, end = pd.Timestamp(start), pd.Timestamp(end)
    days = pd.date_range(start.normalize(), end.normalize(), freq="D")
    ticks = [d for d in days if d.day in (1, 15)]
    if len(ticks) < 2 or len(ticks) > max_ticks:
        step = max(1, -(-len(days) // max_ticks))
        ticks = list(days[::step])
    half = pd.Timedelta(hours=12)
    ax.set_xlim(start - half, end + half)
    ax.set_xticks(ticks, [present.date(d, locale, short=True) for d in ticks], rotation=0)
    return ax


def _is_dates(index) -> bool:
    return isinstance(index, pd.DatetimeIndex | pd.PeriodIndex)


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
    legend_outside(ax, "right")
    return finish(ax, title, xlabel, ylabel)


def heatmap(table: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
            xlabel: str | None = None, ylabel: str | None = None, cmap: str = "Blues",
            colorbar_label: str = "", vmin: float | None = None, vmax: float | None = None,
            fmt: str | None = None) -> plt.Axes:
    """A labelled heatmap of a 2-D table (rows on y, columns on x), e.g. weekday x interval.

    With ``fmt`` every cell shows its value, in white on dark cells and ink on light ones.
    For a score where high is good use ``cmap=SCORE_CMAP`` (red-yellow-green is not
    colour-blind safe).
    """
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
                r, g, b, _ = im.cmap(im.norm(v))
                dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45
                ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=7,
                        color="white" if dark else INK)
    return finish(ax, title, xlabel, ylabel)


def rag_color(status: str) -> str:
    """Colour for a RAG status (``green``, ``amber``, ``red``, ``no data``); pair it with
    ``status_label`` or ``STATUS_STYLE`` markers, never use it alone."""
    return RAG.get(str(status).lower(), RAG["no data"])

def target_line(ax: plt.Axes, value: float, label: str = "target", color: str = INK) -> None:
    """A dashed horizontal reference line (target, threshold) with its label."""
    ax.axhline(value, color=color, linestyle="--", linewidth=1.0)
    ax.annotate(label, xy=(1.0, value), xycoords=("axes fraction", "data"), ha="right",
                va="bottom", fontsize=8, color=color)


class PercentTicks(mpl.ticker.Formatter):
    """Tick labels for fractions (0-1) as percentages, with as many decimals as the tick step
    needs and the same number on every tick: ticks 0.725, 0.75, 0.775 read 72.5%, 75.0%,
    77.5% — never 73%, 75%, 78%, where two ticks 2.5 points apart would seem 3 points apart.
    ``decimals`` is the fewest shown (whole percents by default), ``max_decimals`` the most."""

    def __init__(self, decimals: int = 0, max_decimals: int = 3):
        self.decimals = decimals
        self.max_decimals = max_decimals
        self._ticks: list[float] = []

    def set_locs(self, locs) -> None:
        self._ticks = list(locs)

    def needed_decimals(self, values) -> int:
        """The fewest decimals (at least ``decimals``) that write every value exactly."""
        pct = np.asarray([v for v in values if np.isfinite(v)], dtype=float) * 100
        for d in range(self.decimals, self.max_decimals + 1):
            if np.allclose(pct, np.round(pct, d), rtol=0, atol=1e-6):
                return d
        return self.max_decimals

    def __call__(self, x, pos=None) -> str:
        d = self.needed_decimals(self._ticks or [x])
        return f"{x * 100:.{d}f}%"


def percent_axis(ax: plt.Axes, axis: str = "y", decimals: int | None = None) -> None:
    """Format an axis holding fractions (0-1) as percentages, with the decimals the tick step
    needs (``PercentTicks``; ``decimals``: the fewest shown, whole percents by default)."""
    fmt = PercentTicks(decimals=decimals or 0)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _below_xaxis(ax: plt.Axes) -> mpl.transforms.Bbox:
    """The line under an axes' tick labels, x label and source note (display pixels), found
    when the legend is placed, so a legend hung from it stays clear of them whatever ticks
    or labels are set after it."""
    renderer = ax.figure._get_renderer()
    bottom = ax.bbox.y0
    boxes = [ax.xaxis.get_tightbbox(renderer)]
    boxes += [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "source"]
    for box in boxes:
        if box is not None and np.isfinite(box.y0):
            bottom = min(bottom, box.y0)
    bottom -= renderer.points_to_pixels(2)
    return mpl.transforms.Bbox([[ax.bbox.x0, bottom], [ax.bbox.x1, bottom]])


def legend_outside(ax: plt.Axes, where: str = "right", **kwargs):
    """A legend beside (``"right"``) or under (``"below"``) the axes, never over the data —
    where it used to hide the worst points. Extra keyword arguments go to ``ax.legend``
    (``handles``, ``labels``, ``ncols``, ...). Returns the legend, or None when nothing is
    labelled."""
    if "handles" not in kwargs:
        handles, labels = ax.get_legend_handles_labels()
        if not handles:
            return None
    if where == "right":
        kwargs.setdefault("loc", "upper left")
        kwargs.setdefault("bbox_to_anchor", (1.01, 1.0))
        kwargs.setdefault("borderaxespad", 0.0)
    elif where == "below":
        n = len(kwargs["handles"]) if "handles" in kwargs else len(handles)
        kwargs.setdefault("loc", "upper center")
        kwargs.setdefault("ncols", min(max(n, 1), 4))
        kwargs.setdefault("borderaxespad", 0.2)
    else:
        raise ValueError(f"legend_outside: where={where!r}; use 'right' or 'below'")
    legend = ax.legend(**kwargs)
    if where == "below" and "bbox_to_anchor" not in kwargs:
        # matplotlib reads the anchor when it places the legend, at every draw: asked then,
        # it is under whatever ticks and labels the axes carry by that time.
        legend.get_bbox_to_anchor = lambda: _below_xaxis(ax)
    return legend


def near_tolerance(values, near: float, ax: plt.Axes | None = None) -> float:
    """How close to a threshold a value must be to get its label: 5 % of the span from the
    lowest to the highest of the values, the threshold and what ``ax`` already shows (bands,
    limits) — about where the eye can no longer tell on which side of the line a point lies."""
    finite = pd.to_numeric(pd.Series(list(values)), errors="coerce").dropna().to_numpy(float)
    points = np.append(finite, near)
    if ax is not None and np.all(np.isfinite(ax.dataLim.intervaly)):
        points = np.append(points, ax.dataLim.intervaly)
    span = np.ptp(points)
    return 0.05 * span if span > 0 else 0.05 * max(abs(near), 1e-9)


def _formatter(fmt: str | Callable[[float], str]) -> Callable[[float], str]:
    if callable(fmt):
        return fmt
    return fmt.format if "{" in fmt else (lambda v: format(v, fmt))


def _apart_from(fmt, value: float, near: float) -> str:
    """``value`` written with ``fmt``, with more decimals if it would otherwise read as the
    threshold itself (79.96 % is not "80.0 %": it misses an 80 % target)."""
    text = _formatter(fmt)
    shown = text(value)
    if value == near or shown != text(near) or not isinstance(fmt, str):
        return shown
    spec = re.search(r"\.(\d+)([f%])", fmt)
    for extra in range(1, 4) if spec else ():
        finer = fmt.replace(spec.group(0), f".{int(spec.group(1)) + extra}{spec.group(2)}", 1)
        if _formatter(finer)(value) != _formatter(finer)(near):
            return _formatter(finer)(value)
    return shown


def label_values(ax: plt.Axes, x, y, fmt: str | Callable[[float], str] = ",.1f", *,
                 near: float | None = None, tolerance: float | None = None,
                 color: str = INK, offset: tuple[float, float] = (0, 5)) -> list:
    """Write each value next to its point (``fmt``: a format spec such as ``".1%"``, a
    ``"{:.1f} s"`` string or a function), so a reader can tell 79.6 % from 80 %.

    With ``near`` (a target or threshold), only the points within ``tolerance`` of it are
    labelled: those are the ones where the gap matters and the eye cannot judge it.
    ``tolerance`` defaults to ``near_tolerance``. Values below the threshold are written
    under their point, the others above.
    Returns the labels (Text objects, gid ``"value-label"``).
    """
    xs = list(x)
    values = np.asarray(pd.to_numeric(pd.Series(list(y)), errors="coerce"), dtype=float)
    show = np.isfinite(values)
    if near is not None:
        if tolerance is None:
            tolerance = near_tolerance(values, near, ax)
        show &= np.abs(values - near) <= tolerance
    text = _formatter(fmt)
    labels = []
    spacer = _label_spacer(ax)
    for xi, v, keep in zip(xs, values, show, strict=True):
        if keep:
            # a value below the threshold is written under its point: on its side of the line
            dy = -offset[1] if near is not None and v < near else offset[1]
            labels.append(ax.annotate(
                text(v) if near is None else _apart_from(fmt, v, near), (xi, v),
                xytext=(offset[0], dy), textcoords="offset points",
                ha="center", va="bottom" if dy >= 0 else "top", fontsize=8, color=color,
                gid="value-label", annotation_clip=True,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.8}))
            # the nearest to the threshold first (the gap matters most), else left to right
            spacer.add(labels[-1], abs(v - near) if near is not None else len(spacer.labels))
    return labels


class _LabelSpacer(mpl.artist.Artist):
    """Drawn just before the value labels of its axes: hides each label that would overlap
    one already kept (taken in order of rank), so neighbouring values never run together
    ("79.779.8%"). It works at draw time, on the final layout and size of the figure."""

    PAD_PX = 2.0

    def __init__(self):
        super().__init__()
        self.labels: list = []
        self.ranks: list[float] = []
        self.set_zorder(2.99)  # before the labels (Text, zorder 3), after the data

    def add(self, label, rank: float) -> None:
        self.labels.append(label)
        self.ranks.append(float(rank))
        label.set_zorder(max(label.get_zorder(), 3.0))

    def draw(self, renderer) -> None:
        kept = []
        for _, label in sorted(zip(self.ranks, self.labels, strict=True), key=lambda p: p[0]):
            label.set_visible(True)
            box = label.get_window_extent(renderer)
            if box.width <= 0 or box.height <= 0 or not np.all(np.isfinite(box.extents)):
                continue
            box = box.padded(self.PAD_PX)
            if any(box.overlaps(other) for other in kept):
                label.set_visible(False)
            else:
                kept.append(box)
        self.stale = False


def _label_spacer(ax: plt.Axes) -> _LabelSpacer:
    """The axes' one ``_LabelSpacer`` (added with its first value label)."""
    spacer = getattr(ax, "_toolkit_label_spacer", None)
    if spacer is None:
        spacer = _LabelSpacer()
        ax.add_artist(spacer)
        ax._toolkit_label_spacer = spacer
    return spacer


def visible_value_labels(ax: plt.Axes) -> list[str]:
    """The value labels a reader sees once the figure is drawn (after ``_LabelSpacer``)."""
    ax.figure.canvas.draw()
    return [t.get_text() for t in ax.texts
            if t.get_gid() == "value-label" and t.get_visible()]


def second_axis(ax: plt.Axes, x, y, *, label: str, ylabel: str, color: str | None = None,
                percent: bool = False, where: str = "right", **plot_kwargs) -> plt.Axes:
    """A series on its own right-hand scale — only when one scale truly cannot hold both
    (prefer two panels). The right axis is drawn in the series' colour and named, every
    series says which axis it reads on, and all of them share one legend outside the data.
    Returns the second axes."""
    color = color or CATEGORY[1]
    twin = ax.twinx()
    twin._toolkit_second_of = ax  # describe() tells it with its panel
    twin.plot(x, y, color=color, label=f"{label} (right axis)", **plot_kwargs)
    twin.set_ylabel(ylabel, color=color)
    twin.spines["right"].set_visible(True)
    twin.spines["right"].set_color(color)
    twin.tick_params(axis="y", colors=color)
    twin.grid(False)
    if percent:
        percent_axis(twin)
    for line in ax.get_lines():
        name = line.get_label()
        if not name.startswith("_") and "axis)" not in name:
            line.set_label(f"{name} (left axis)")
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    legend_outside(ax, where, handles=handles)
    return twin


# --------------------------------------------------------------------------- KPI report charts

def _value_format(percent: bool, value_format: str | None) -> str:
    return value_format or (".1%" if percent else ",.1f")


def xmr_chart(chart: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
              ylabel: str | None = None, percent: bool = False, target: float | None = None,
              target_label: str = "target", value_format: str | None = None) -> plt.Axes:
    """An XmR (individuals) control chart from ``toolkit.kpi.xmr``: values in ink, centre line,
    the +-3 sigma natural process limits as a light band, special-cause points as large
    crosses. With a target, the months close to it carry their value (one decimal percent)."""
    ax = new_axes(ax)
    x = np.arange(len(chart))
    band(ax, x, chart["lcl"], chart["ucl"], color=MUTED, alpha=0.15, label="usual range (limits)")
    ax.plot(x, chart["centre"], color=MUTED, linewidth=1.0, label="centre (mean)")
    ax.plot(x, chart["value"], color=ACTUAL, linewidth=1.2, marker="o", markersize=3,
            label="monthly value")
    signal = chart["signal"].to_numpy(dtype=bool)
    if signal.any():
        ax.scatter(x[signal], chart["value"].to_numpy()[signal], color=RAG["red"], zorder=3,
                   s=55, marker=STATUS_STYLE["red"]["marker"], edgecolors="white",
                   linewidths=0.5, label="✕ unusual month")
    if target is not None:
        target_line(ax, target, target_label)
        label_values(ax, x, chart["value"], _value_format(percent, value_format), near=target)
    step = max(1, -(-len(chart) // 4))  # at most ~4 month labels: readable in a grid panel
    ax.set_xticks(x[::step], [month_label(i) for i in chart.index[::step]], rotation=0)
    if percent:
        percent_axis(ax)
    finish(ax, title, "month", ylabel)
    legend_outside(ax, "below", ncols=2)
    return ax

def xmr_grid(charts: dict, *, ncols: int = 2, title: str = "") -> plt.Figure:
    """Several XmR charts side by side: ``charts`` maps a panel title to a dict with keys
    ``chart`` (``toolkit.kpi.xmr`` output), ``ylabel``, ``percent`` and optional ``target``."""
    fig, axes = panel_grid(len(charts), ncols, (6, 3.4), title)
    for ax, (panel, spec) in zip(axes, charts.items(), strict=False):
        xmr_chart(spec["chart"], ax=ax, title=panel, ylabel=spec.get("ylabel"),
                  percent=spec.get("percent", False), target=spec.get("target"),
                  value_format=spec.get("value_format"))
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
    one bar per row label (e.g. objective): each status has its colour, its hatch and its
    words in the legend, and every segment is labelled with its count."""
    ax = new_axes(ax, figsize=(9, 0.5 + 0.45 * len(counts)))
    left = np.zeros(len(counts))
    labels = [str(i) for i in counts.index]
    for status in ("green", "amber", "red", "no data"):
        if status not in counts.columns:
            continue
        st = STATUS_STYLE[status]
        values = counts[status].to_numpy(dtype=float)
        bars = ax.barh(labels, values, left=left, label=status_label(status),
                       color=st["color"] if st["filled"] else "white", hatch=st["hatch"],
                       edgecolor=INK if st["hatch"] else st["color"], linewidth=0.6)
        shown = [f"{v:.0f}" if v > 0 else "" for v in values]
        ax.bar_label(bars, shown, label_type="center", fontsize=8, color=st["text"],
                     bbox={"boxstyle": "round,pad=0.1", "facecolor": st["color"],
                           "edgecolor": "none"} if st["hatch"] else None)
        left += values
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    legend_outside(ax, "right")
    return finish(ax, title, xlabel, None)


#: How a KPI unit is written on an axis and on a value label.
UNIT_AXIS = {"fraction": "%", "seconds": "seconds", "points": "points",
             "eur_per_contact": "EUR per contact"}
UNIT_FORMAT = {"fraction": ".1%", "seconds": "{:,.0f} s", "points": "{:,.1f}",
               "eur_per_contact": "{:,.2f} EUR"}


def provider_comparison(card: pd.DataFrame, kpis: Sequence[str], *, ncols: int = 3,
                        title: str = "") -> plt.Figure:
    """One panel per KPI: each provider's actual as a bar in its status colour and hatch,
    written above the bar with the status symbol (``✓ 81.2 %``), and over each bar that
    provider's own target (a dashed tick, or a light band for a target range: contracts
    differ per provider). ``card`` is a ``toolkit.kpi.scorecard`` table."""
    kpis = [k for k in kpis if k in set(card["kpi"])]
    fig, axes = panel_grid(len(kpis), ncols, (4.2, 3.0), title)
    seen: list[str] = []
    for ax, kpi_id in zip(axes, kpis, strict=True):
        rows = card[card["kpi"] == kpi_id]
        first = rows.iloc[0]
        unit = first["unit"]
        fmt = UNIT_FORMAT.get(unit, ",.1f")
        values = rows["actual"].fillna(0).to_numpy(dtype=float)
        statuses = [_status_key(s) for s in rows["status"]]
        seen += [s for s in statuses if s not in seen]
        styles = [STATUS_STYLE[s] for s in statuses]
        ax.bar(rows["site"], values, color=[st["color"] if st["filled"] else "white"
                                            for st in styles],
               edgecolor=[INK if st["hatch"] else st["color"] for st in styles],
               linewidth=0.6)
        for patch, st in zip(ax.patches, styles, strict=True):
            patch.set_hatch(st["hatch"])
        # written above the bar and its target, so the dashed target never crosses the text
        # (an open-ended target is stored as ±inf: only finite values set the label height)
        bounds = rows[["actual", "target_low", "target_high"]].to_numpy(float)
        tops = np.nanmax(np.where(np.isfinite(bounds), bounds, np.nan), axis=1, initial=0.0)
        for i, (v, s) in enumerate(zip(rows["actual"], statuses, strict=True)):
            finite = v is not None and np.isfinite(v)
            # one decimal, more only where it would round onto the provider's own target
            edges = [b for b in bounds[i, 1:] if np.isfinite(b)]
            near = min(edges, key=lambda b: abs(b - v)) if edges and finite else None
            value = (_apart_from(fmt, v, near) if near is not None
                     else _formatter(fmt)(v) if finite else "")
            words = (f"{STATUS_STYLE[s]['symbol']} {value}" if finite and s != "no data"
                     else status_label("no data"))
            ax.annotate(words, (i, tops[i]), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8, color=INK, gid="value-label")
        for i, (lo, hi) in enumerate(zip(rows["target_low"], rows["target_high"],
                                         strict=True)):
            if np.isfinite(lo) and np.isfinite(hi):
                ax.fill_between([i - 0.45, i + 0.45], lo, hi, color=MUTED, alpha=0.25,
                                linewidth=0)
            else:
                ax.hlines(lo if np.isfinite(lo) else hi, i - 0.45, i + 0.45, color=INK,
                          linestyle="--", linewidth=1.2)
        ax.margins(y=0.15)  # room for the value written above the tallest bar
        if unit == "fraction":
            percent_axis(ax, decimals=0)
        ax.tick_params(axis="x", labelsize=8)
        # site ids are long: slanted, so neighbouring names never run together
        plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
        finish(ax, f"{first['name']} ({kpi_id})", None, UNIT_AXIS.get(unit, unit))
    if axes:
        order = [s for s in STATUS_STYLE if s in seen]
        legend_outside(axes[-1], "right", handles=[*status_handles(order),
                       Line2D([], [], color=INK, linestyle="--", label="target")])
    return fig


def category_lines(table: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
                   xlabel: str | None = None, ylabel: str | None = None,
                   source: str | None = None) -> plt.Axes:
    """One line per column of ``table`` against its index (e.g. weekly calls by queue),
    the legend beside the chart."""
    ax = new_axes(ax)
    index = table.index.to_timestamp() if isinstance(table.index, pd.PeriodIndex) else table.index
    for i, col in enumerate(table.columns):
        ax.plot(index, table[col], color=CATEGORY[i % len(CATEGORY)], linewidth=1.3,
                label=str(col))
    if _is_dates(index) and len(index) and (index.max() - index.min()).days >= 60:
        month_axis(ax)  # months in words, not ISO dates
    legend_outside(ax, "right")
    return finish(ax, title, xlabel, ylabel, source)


def _nearest_points(table: pd.DataFrame, value: str, month: str, target: float,
                    tolerance: float, most: int, apart: int = 3) -> pd.Index:
    """The rows of ``table`` to label on a monthly chart with a target: within ``tolerance``
    of it, nearest first, at most ``most`` of them and at least ``apart`` months from each
    other, so no two labels share a month or sit side by side."""
    values = pd.to_numeric(table[value], errors="coerce")
    gap = (values - target).abs()
    candidates = gap[gap <= tolerance].sort_values(kind="stable")
    months = pd.PeriodIndex(table[month], freq="M") if not isinstance(
        table[month].dtype, pd.PeriodDtype) else pd.PeriodIndex(table[month])
    ordinal = pd.Series(months.year * 12 + months.month, index=table.index)
    chosen: list = []
    for row in candidates.index:
        if len(chosen) >= most:
            break
        if all(abs(ordinal[row] - ordinal[c]) >= apart for c in chosen):
            chosen.append(row)
    return pd.Index(chosen)


def monthly_lines(table: pd.DataFrame, value: str, by: str, *, month: str = "month",
                  target: float | None = None, target_label: str = "target",
                  percent: bool = False, ax: plt.Axes | None = None, title: str = "",
                  ylabel: str | None = None, source: str | None = None,
                  value_format: str | None = None, max_labels: int = 5) -> plt.Axes:
    """A monthly indicator, one line per ``by`` group, with an optional dashed target line
    named in the legend (outside the data); the months closest to the target carry their
    value (``value_format``, default one decimal percent with ``percent``), so 79.6 % reads
    apart from 80 % — at most ``max_labels`` of them, three months apart or more, so the
    labels do not stack.

    ``table`` is tidy (one row per month and group); ``month`` holds Periods or dates.
    """
    ax = new_axes(ax)
    fmt = _value_format(percent, value_format)
    labelled = (pd.Index([]) if target is None else _nearest_points(
        table, value, month, target, near_tolerance(table[value], target), max_labels))
    for i, (name, group) in enumerate(table.groupby(by, sort=True)):
        x = group[month]
        x = x.dt.to_timestamp() if isinstance(x.dtype, pd.PeriodDtype) else x
        color = CATEGORY[i % len(CATEGORY)]
        ax.plot(x, group[value], marker="o", markersize=3, linewidth=1.2, color=color,
                label=str(name))
        keep = group.index.isin(labelled)
        if keep.any():
            label_values(ax, x[keep], group[value][keep], fmt, near=target, color=color,
                         tolerance=np.inf)
    if target is not None:
        ax.axhline(target, color=INK, linestyle="--", linewidth=1.0, label=target_label)
    if percent:
        percent_axis(ax)
    if len(table):
        month_axis(ax)  # Jan 2025, not 2025-01
    legend_outside(ax, "right")
    return finish(ax, title, "month", ylabel, source)


# --- Sourcing scenarios (toolkit.costs) ------------------------------------------------------

def _millions(v: float, decimals: int = 1, *, signed: bool = True) -> str:
    """Euros in millions as the sentences write them, with a true minus sign (``+€0.2m``,
    ``−€1.0m``, ``€24.0m``); a change too small to show reads "under €0.1m", not "+€0.0m"."""
    step = 10.0 ** -decimals
    if signed and 0 < abs(v) / 1e6 < step / 2:
        return f"under €{step:.{decimals}f}m"
    sign = "\u2212" if v < 0 and round(abs(v) / 1e6, decimals) else ("+" if signed and v > 0
                                                                     else "")
    return f"{sign}€{abs(v) / 1e6:,.{decimals}f}m"


def cost_bridge(start_value: float, steps: pd.Series, end_value: float, *,
                start_label: str = "baseline", end_label: str = "option",
                ax: plt.Axes | None = None, title: str = "", xlabel: str = "EUR",
                source: str | None = None) -> plt.Axes:
    """A horizontal waterfall (bridge) from a baseline total to an option's total.

    One bar per cost line, read top to bottom, each written with its change in millions;
    savings are solid blue, increases hatched red, named in the legend.
    """
    labels = [start_label, *map(str, steps.index), end_label]
    ax = new_axes(ax, figsize=(10, 0.38 * len(labels) + 1.4))
    running = start_value
    ax.barh(0, start_value, color=MUTED, height=0.6)
    saving, extra = STATUS_STYLE["green"], STATUS_STYLE["red"]
    for i, delta in enumerate(steps.to_numpy(dtype=float), start=1):
        left = running + min(delta, 0.0)
        st = saving if delta < 0 else extra
        ax.barh(i, abs(delta), left=left, color=st["color"], height=0.6, hatch=st["hatch"],
                edgecolor=INK if st["hatch"] else st["color"], linewidth=0.5)
        ax.annotate(_millions(delta), (max(running, running + delta), i), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8, color=INK,
                    gid="value-label")
        running += delta
    ax.barh(len(labels) - 1, end_value, color=FORECAST, height=0.6)
    for i, total in ((0, start_value), (len(labels) - 1, end_value)):
        ax.annotate(_millions(total, signed=False), (total, i), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8, color=INK,
                    gid="value-label")
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
        lambda v, _: _millions(v, signed=False)))
    legend_outside(ax, "right", handles=[
        Patch(facecolor=saving["color"], label="saving"),
        Patch(facecolor=extra["color"], hatch=extra["hatch"], edgecolor=INK,
              label="extra cost")])
    return finish(ax, title, xlabel, None, source)


def stacked_cost_bars(table: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
                      xlabel: str = "EUR per year", source: str | None = None) -> plt.Axes:
    """Horizontal stacked bars: one bar per option (rows), one segment per cost line (columns).

    More lines than the category palette repeat its colours with a hatch, so every line
    stays distinct without colours colour-blind readers cannot tell apart.
    Negative segments (a provider margin below zero) are stacked leftwards from zero,
    cross-hatched, so a loss is never drawn as a cost.
    """
    ax = new_axes(ax, figsize=(11, max(3.0, 0.32 * len(table) + 1.2)))
    left = np.zeros(len(table))
    below = np.zeros(len(table))
    hatches = ["", "..", "\\\\", "oo"]
    for i, col in enumerate(table.columns):
        color = CATEGORY[i % len(CATEGORY)]
        hatch = hatches[(i // len(CATEGORY)) % len(hatches)]
        values = table[col].to_numpy(dtype=float)
        pos, neg = np.clip(values, 0, None), np.clip(values, None, 0)
        ax.barh(range(len(table)), pos, left=left, color=color, label=str(col), height=0.7,
                hatch=hatch, edgecolor="white" if hatch else color, linewidth=0.3)
        left += pos
        if (neg < 0).any():
            ax.barh(range(len(table)), neg, left=below, color=color, height=0.7, hatch="//",
                    edgecolor="black", linewidth=0.3, label=f"{col} (negative)")
            below += neg
    if (below < 0).any():
        ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(table)), [str(i) for i in table.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
        lambda v, _: _millions(v, signed=False)))
    legend_outside(ax, "right", fontsize=8)
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
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(
        lambda v, _: _millions(v, 0, signed=False)))
    legend_outside(ax, "right")
    return finish(ax, title, "month", ylabel, source)


def tornado_chart(tornado: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = "",
                  xlabel: str = "EUR", top: int = 12, source: str | None = None) -> plt.Axes:
    """One-way sensitivity: bars from the base value to the low and high driver settings
    (the high setting hatched, so the pair reads without colour)."""
    t = tornado.head(top).iloc[::-1]
    ax = new_axes(ax, figsize=(10, 0.35 * len(t) + 1.5))
    base = float(t["base_eur"].iloc[0])
    y = np.arange(len(t))
    ax.barh(y, t["low_eur"] - base, left=base, color=CATEGORY[0], alpha=0.85,
            label="low setting")
    ax.barh(y, t["high_eur"] - base, left=base, color=CATEGORY[1], alpha=0.85, hatch="//",
            edgecolor="white", linewidth=0.3, label="high setting")
    ax.axvline(base, color=INK, linewidth=1.0)
    if base * min(t["low_eur"].min(), t["high_eur"].min()) <= 0 or (
            base * max(t["low_eur"].max(), t["high_eur"].max()) <= 0):
        ax.axvline(0, color=RAG["red"], linestyle="--", linewidth=1.0, label="break-even (0)")
    ax.set_yticks(y, t["label"])
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
        lambda v, _: _millions(v, signed=False)))
    legend_outside(ax, "right")
    return finish(ax, title, xlabel, None, source)


def risk_cost_matrix(table: pd.DataFrame, *, x: str = "npv_eur", y: str = "risk_score",
                     label_cols: Sequence[str] = ("location", "form"), highlight: int = 0,
                     ax: plt.Axes | None = None, title: str = "", xlabel: str = "EUR",
                     ylabel: str = "risk score (1 = no concern)",
                     source: str | None = None) -> plt.Axes:
    """Options on cost (x) against the weighted non-cost score (y); the chosen row a large
    star with a bold label, the others grey dots."""
    ax = new_axes(ax, figsize=(10, 5))
    for i, row in enumerate(table.itertuples(index=False)):
        r = row._asdict()
        chosen = i == highlight
        ax.scatter(r[x], r[y], s=140 if chosen else 30, marker="*" if chosen else "o",
                   color=RAG["green"] if chosen else MUTED, zorder=3)
        ax.annotate(" / ".join(str(r[c]) for c in label_cols) + (" (chosen)" if chosen else ""),
                    (r[x], r[y]), fontsize=8 if chosen else 7,
                    fontweight="bold" if chosen else "normal",
                    color=INK if chosen else MUTED, xytext=(5, 3), textcoords="offset points")
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v / 1e6:,.0f} M"))
    return finish(ax, title, xlabel, ylabel, source)
