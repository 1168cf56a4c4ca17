"""How do the uncertain drivers move together?

The Monte Carlo draws one standard normal per variable and draw: each currency's EUR-value
move over the contract (``fx:MAD``), each location's wage-inflation shock (``wage:MA``) and
each site's quality-gap draws (``aht_uplift:MA``, ``fcr_gap:MA``). Their correlation matrix
is built from the reference (``correlations.yaml``): one labour market, a currency area, a
common component; pegs and baskets (from the anchor weights and volatilities); local wage
inflation against depreciation; quality gaps within a tier; and single ``pairs``.

``correlate_shocks`` gives the seeded independent draws that structure with a (semi-definite)
Cholesky factor: currencies first — every month's steps of their random walks are mixed by the
factor of their block, so each walk keeps its volatility and a basket currency follows its
anchors month by month — then wages conditioned on the walks' end points, then the quality
gaps through a Gaussian copula on their uniforms. Draws of uncorrelated variables are left as
drawn, and every option sees the same draws (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from toolkit.costs.reference import _value
from toolkit.errors import ParameterError

if TYPE_CHECKING:
    from toolkit.costs.model import SourcingModel

#: Drawn variables, in the order of the Cholesky factor (currencies first: see module doc).
KINDS = ("fx", "wage", "aht_uplift", "fcr_gap")
#: Smallest eigenvalue accepted as positive semi-definite (rounding of a singular matrix).
_PSD_TOL = 1e-9


class _Structure:
    """The matrix and where each entry comes from: ``R = base + sum(value x pattern)``.

    ``figures`` maps a reference path (``correlations.wage.common``, ``correlations.pairs[0]``)
    to ``[value, pattern]``; ``base`` holds the identity and the entries derived from the
    pegs (``origin`` names their path too).
    """

    def __init__(self, names: list[str]):
        self.names = names
        self.index = {n: i for i, n in enumerate(names)}
        k = len(names)
        self.base = np.eye(k)
        self.figures: dict[str, list] = {}
        self.origin: dict[tuple[int, int], str] = {}

    def set(self, path: str, a: str, b: str, value: float, coef: float = 1.0) -> None:
        i, j = self.index[a], self.index[b]
        fig = self.figures.setdefault(path, [float(value), np.zeros_like(self.base)])
        fig[1][i, j] = fig[1][j, i] = coef
        self.origin[(min(i, j), max(i, j))] = path

    def derive(self, path: str, a: str, b: str, rho: float) -> None:
        i, j = self.index[a], self.index[b]
        self.base[i, j] = self.base[j, i] = rho
        self.origin[(min(i, j), max(i, j))] = path

    def clear(self, i: int, j: int) -> None:
        self.base[i, j] = self.base[j, i] = 0.0
        for _, pattern in self.figures.values():
            pattern[i, j] = pattern[j, i] = 0.0

    def matrix(self) -> np.ndarray:
        out = self.base.copy()
        for value, pattern in self.figures.values():
            out += value * pattern
        return out


def _fig_value(ref: dict, path: str) -> float:
    node = ref.get("correlations") or {}
    for part in path.split(".")[1:]:
        if not isinstance(node, dict) or part not in node:
            raise ParameterError(path, None, "a correlation figure in correlations.yaml")
        node = node[part]
    return float(_value(node))


def _fx_vol(ref: dict, cur: str) -> float:
    return float(ref["fx_to_eur"][cur].get("volatility", 0.0))


def _structure(model: SourcingModel, currencies: list[str]) -> _Structure:
    """The correlation structure of a model's drawn variables (see ``correlations.yaml``)."""
    ref = model.ref
    corr = ref.get("correlations") or {}
    locs = list(model.locations)
    names = [*(f"fx:{c}" for c in currencies),
             *(f"{kind}:{loc}" for kind in KINDS[1:] for loc in locs)]
    st = _Structure(names)
    baskets = {c: dict(_value(f)) for c, f in (corr.get("fx_basket") or {}).items()}

    # Pegs and baskets: EUR value of c = sum_a w_a x anchor a + its own part.
    own_share = {}
    for c in currencies:
        sig = _fx_vol(ref, c)
        w = baskets.get(c, {})
        carried = float(np.sqrt(sum(x**2 * _fx_vol(ref, a) ** 2 for a, x in w.items())))
        if carried > sig + 1e-12:
            raise ParameterError(
                f"fx_to_eur.{c}.volatility", sig,
                f"a volatility >= {carried:.4g}, the part its basket carries "
                f"({' + '.join(f'{x:g} x {a} {_fx_vol(ref, a):g}' for a, x in w.items())}, "
                f"correlations.fx_basket.{c}), or other anchor weights")
        own_share[c] = float(np.sqrt(max(0.0, 1 - (carried / sig) ** 2))) if sig > 0 else 0.0
    for i, c in enumerate(currencies):
        for d in currencies[i + 1:]:
            sc, sd = _fx_vol(ref, c), _fx_vol(ref, d)
            if not (sc > 0 and sd > 0):
                continue
            wc, wd = baskets.get(c, {}), baskets.get(d, {})
            # anchors drawn independently; a drawn anchor is its own weight-1 basket
            wc = wc or {c: 1.0}
            wd = wd or {d: 1.0}
            cov = sum(x * wd.get(a, 0.0) * _fx_vol(ref, a) ** 2 for a, x in wc.items())
            if cov:
                path = f"correlations.fx_basket.{c if c in baskets else d}"
                st.derive(path, f"fx:{c}", f"fx:{d}", cov / (sc * sd))

    countries = {k: ref["locations"][k]["country"] for k in locs}
    money = {k: ref["locations"][k]["currency"] for k in locs}
    tiers = {k: ref["locations"][k]["tier"] for k in locs}
    for i, a in enumerate(locs):
        for b in locs[i + 1:]:
            rule = ("same_labour_market" if countries[a] == countries[b] else
                    "same_currency_area" if money[a] == money[b] else "common")
            path = f"correlations.wage.{rule}"
            st.set(path, f"wage:{a}", f"wage:{b}", _fig_value(ref, path))
            path = f"correlations.quality.{'same_tier' if tiers[a] == tiers[b] else 'other_tiers'}"
            for kind in ("aht_uplift", "fcr_gap"):
                st.set(path, f"{kind}:{a}", f"{kind}:{b}", _fig_value(ref, path))
    for loc in locs:
        c = money[loc]
        if own_share.get(c, 0.0) > 0:
            path = "correlations.wage_fx"
            st.set(path, f"wage:{loc}", f"fx:{c}", _fig_value(ref, path), own_share[c])

    valid = ([f"fx:{c}" for c in ref["fx_to_eur"]]
             + [f"{kind}:{k}" for kind in KINDS[1:] for k in ref["locations"]])
    for n, pair in enumerate(corr.get("pairs") or []):
        where = f"correlations.pairs[{n}]"
        between = pair.get("between") if isinstance(pair, dict) else None
        if (not isinstance(between, list | tuple) or len(between) != 2
                or any(v not in valid for v in between) or between[0] == between[1]):
            raise ParameterError(f"{where}.between", between,
                                 "two different drawn variables, kind:id with kind in "
                                 f"{list(KINDS)} (e.g. [wage:FR-PAR, wage:PT]); valid: {valid}")
        rho = pair.get("value")
        if isinstance(rho, bool) or not isinstance(rho, int | float) or not -1 <= rho <= 1:
            raise ParameterError(f"{where}.value", rho, "a correlation in [-1, 1]")
        if not all(v in st.index for v in between):
            continue                         # a variable this model does not draw
        i, j = st.index[between[0]], st.index[between[1]]
        st.clear(i, j)
        st.set(where, between[0], between[1], float(rho))
    return st


def _min_eig(r: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(r)[0])


def _admissible(r: np.ndarray, pattern: np.ndarray, value: float) -> tuple[float, float] | None:
    """Values x in [-1, 1] of a figure keeping ``r + (x - value) pattern`` positive
    semi-definite (an interval: the smallest eigenvalue is concave in x), or None."""
    def ok(x):
        return _min_eig(r + (x - value) * pattern) >= -_PSD_TOL

    grid = np.linspace(-1, 1, 81)
    good = [x for x in grid if ok(x)]
    if not good:
        return None

    def edge(inside, outside):
        for _ in range(40):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if ok(mid) else (inside, mid)
        return inside

    lo, hi = good[0], good[-1]
    step = grid[1] - grid[0]
    return (edge(lo, lo - step) if lo > -1 else -1.0, edge(hi, hi + step) if hi < 1 else 1.0)


def _check_psd(st: _Structure, r: np.ndarray) -> None:
    """Refuse a matrix that is not positive semi-definite, naming the entry to change."""
    lam = _min_eig(r)
    if lam >= -_PSD_TOL:
        return
    # Single pairs first (the analyst's entries), then the rules.
    paths = sorted(st.figures, key=lambda p: (not p.startswith("correlations.pairs"), p))
    for path in paths:
        value, pattern = st.figures[path]
        span = _admissible(r, pattern, value)
        if span is not None and not span[0] - 1e-9 <= value <= span[1] + 1e-9:
            entries = ", ".join(
                f"{st.names[i]} ~ {st.names[j]}"
                for i, j in zip(*np.nonzero(np.triu(pattern, 1)), strict=True))
            raise ParameterError(
                path, value,
                f"a correlation in [{span[0]:.3f}, {span[1]:.3f}] given the other entries: at "
                f"{value:g} ({entries}) the correlation matrix of the Monte Carlo draws is not "
                f"positive semi-definite (smallest eigenvalue {lam:.3g})")
    vec = np.linalg.eigh(r)[1][:, 0]
    worst = [st.names[i] for i in np.argsort(-np.abs(vec))[:3]]
    raise ParameterError("correlations", f"smallest eigenvalue {lam:.3g}",
                         "a positive semi-definite correlation matrix: the entries between "
                         f"{', '.join(worst)} contradict each other (correlations.yaml)")


def _cholesky_psd(r: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Lower-triangular ``F`` with ``F F' = r`` for a positive semi-definite ``r``; a zero pivot
    (a variable fully determined by earlier ones, e.g. a currency moving with its anchor
    only) leaves its column empty. The identity gives the identity."""
    k = len(r)
    f = np.zeros_like(r)
    for j in range(k):
        d = r[j, j] - f[j, :j] @ f[j, :j]
        if d <= tol:
            continue
        f[j, j] = np.sqrt(d)
        f[j + 1:, j] = (r[j + 1:, j] - f[j + 1:, :j] @ f[j, :j]) / f[j, j]
    return f


def _matrix(model: SourcingModel, currencies: list[str]) -> tuple[_Structure, np.ndarray]:
    st = _structure(model, currencies)
    r = st.matrix()
    _check_psd(st, r)
    return st, r


def _currencies(model: SourcingModel) -> list[str]:
    """The model's currencies in the engine's order (``model._location_arrays``)."""
    cur = [model.ref["locations"][k]["currency"] for k in model.locations]
    return list(dict.fromkeys(["EUR", *cur, "USD"]))


def correlation_matrix(model: SourcingModel) -> pd.DataFrame:
    """The correlation matrix of the model's drawn variables, labelled ``kind:id``."""
    st, r = _matrix(model, _currencies(model))
    return pd.DataFrame(r, index=st.names, columns=st.names)


def correlation_table(model: SourcingModel) -> pd.DataFrame:
    """Every correlated pair of drawn variables: ``variable_a, variable_b, rho, rule, source,
    flag`` (the rule is the reference entry the value comes from)."""
    st, r = _matrix(model, _currencies(model))
    corr = model.ref.get("correlations") or {}
    rows = []
    for (i, j), path in sorted(st.origin.items()):
        if not r[i, j]:
            continue
        node = corr
        if path.startswith("correlations.pairs["):
            node = corr["pairs"][int(path.split("[")[1].split("]")[0])]
        else:
            for part in path.split(".")[1:]:
                node = node[part]
        rows.append({"variable_a": st.names[i], "variable_b": st.names[j], "rho": r[i, j],
                     "rule": path.removeprefix("correlations."),
                     "source": node.get("source", "analyst override"),
                     "flag": node.get("flag", "override")})
    return pd.DataFrame(rows, columns=["variable_a", "variable_b", "rho", "rule", "source",
                                       "flag"])


def correlate_shocks(model: SourcingModel, currencies: list[str], shocks: dict) -> dict:
    """The independent draws of ``uncertainty._draw_shocks`` with the reference's correlations.

    ``shocks["fx"]`` (D, C, T) monthly steps, ``shocks["wage"]`` (D, L) and the quality
    uniforms (D, L) (None when not drawn). Currencies come first in the factor: each month's
    steps are mixed by their block's factor; a wage shock is the factor's combination of the
    walks' end points (sum of steps 1..T-1 / sqrt(T-1), month 0 being known) and its own
    draw; the quality uniforms go through normal scores and back (Gaussian copula).
    """
    _, r = _matrix(model, currencies)
    C, L = len(currencies), len(model.locations)
    quality = shocks.get("quality_aht") is not None
    k = C + L + (2 * L if quality else 0)
    f = _cholesky_psd(r[:k, :k])
    if np.array_equal(f, np.eye(k)):
        return shocks
    out = dict(shocks)
    fx = shocks["fx"]
    D, _, T = fx.shape
    n = T - 1
    z0 = np.empty((D, k))
    # the walks' end points, from the steps as drawn (month 0 is known: not a step)
    z0[:, :C] = fx[:, :, 1:].sum(axis=2) / np.sqrt(n) if n > 0 else 0.0
    z0[:, C:C + L] = shocks["wage"]
    if quality:
        tiny = np.finfo(float).tiny
        for m, key in enumerate(("quality_aht", "quality_fcr")):
            z0[:, C + L * (1 + m):C + L * (2 + m)] = ndtri(np.clip(shocks[key], tiny, 1 - 1e-16))
    eye = np.eye(k)
    moved = ~np.all(f == eye, axis=1)
    # currencies: every month's steps mixed by their block's factor (rows moved only)
    mixed = {c: sum(f[c, j] * fx[:, j] for j in np.flatnonzero(f[c, :C]))
             for c in np.flatnonzero(moved[:C])}
    if mixed:
        fx = fx.copy()
        for c, steps in mixed.items():
            fx[:, c] = steps
        out["fx"] = fx
    z = z0 @ f[C:].T                                  # (D, k - C): wages, quality scores
    out["wage"] = z[:, :L]
    if quality:
        for m, key in enumerate(("quality_aht", "quality_fcr")):
            sel = np.flatnonzero(moved[C + L * (1 + m):C + L * (2 + m)])
            if len(sel):
                u = shocks[key].copy()
                u[:, sel] = ndtr(z[:, L * (1 + m) + sel])
                out[key] = u
    return out


#: How a rule reads in a sentence (``correlation_summary``).
_RULE_WORDS = {"wage.same_labour_market": "wages in one labour market",
               "wage.same_currency_area": "wages of countries sharing a currency",
               "wage.common": "wages of other countries (a common component)",
               "wage_fx": "local wage inflation against the currency's EUR value",
               "quality.same_tier": "quality gaps of sites in one tier",
               "quality.other_tiers": "quality gaps of sites in different tiers"}


#: How a drawn variable reads in a sentence.
_KIND_WORDS = {"fx": "{} exchange rate", "wage": "{} wages", "aht_uplift": "{} AHT uplift",
               "fcr_gap": "{} FCR gap"}


def _label(name: str) -> str:
    kind, ident = name.split(":", 1)
    return _KIND_WORDS[kind].format(ident)


def correlation_summary(model: SourcingModel) -> tuple[str, pd.DataFrame]:
    """One row per rule of ``correlation_table`` (pairs, correlation range, an example, source)
    and a sentence generated from it (markdown)."""
    table = correlation_table(model)
    if table.empty:
        return "The uncertain drivers are drawn independently (no correlation in the " \
               "reference).", pd.DataFrame()
    rows = []
    for rule, grp in table.groupby("rule", sort=False):
        first = grp.iloc[0]
        words = _RULE_WORDS.get(rule) or (
            "a currency and its peg anchor" if rule.startswith("fx_basket.") else
            "a pair set by the analyst")
        rows.append({"rule": rule, "what": words, "pairs": len(grp),
                     "rho_min": grp["rho"].min(), "rho_max": grp["rho"].max(),
                     "example": f"{_label(first['variable_a'])} ~ {_label(first['variable_b'])}",
                     "source": first["source"], "flag": first["flag"]})
    out = pd.DataFrame(rows)

    def rho(r):
        return (f"{r.rho_min:+.2f}" if np.isclose(r.rho_min, r.rho_max)
                else f"{r.rho_min:+.2f} to {r.rho_max:+.2f}")

    text = (f"The simulations draw {len(table)} pairs of uncertain drivers together: "
            + "; ".join(f"{r.what} {rho(r)} ({r.pairs} pair{'s' if r.pairs > 1 else ''}, "
                        f"e.g. {r.example})" for r in out.itertuples()) + ".")
    return text, out
