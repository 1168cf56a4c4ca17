"""How sure are the costs?

Monte Carlo NPV percentiles and the probability of beating the baseline, the cumulative-cost
fan chart, and the one-way tornado. The draws and tweaks run through the same engine as the
deterministic views (``model``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from toolkit.costs.correlation import correlate_shocks
from toolkit.costs.model import (
    SourcingModel,
    _base_quantities,
    _discount,
    _drivers,
    _location_arrays,
    _monthly_array,
    _rate_card_price_eur,
    _shock_factors,
    _terms,
    _Tweaks,
    option_slice,
    price_index,
)
from toolkit.costs.portfolio import PORTFOLIO
from toolkit.costs.reference import _check_choice, _value, _walk_figures
from toolkit.errors import ParameterError

# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------

def _draw_shocks(model: SourcingModel, n_draws: int, seed: int, currencies: Sequence[str],
                 quality: bool = True, correlated: bool = True) -> dict:
    """Seeded standard-normal shocks, plus uniforms for the quality gaps (None = not drawn).

    Drawn independent, then given the reference's correlations (``correlation``: same labour
    market, pegs and baskets, wages against depreciation, quality tiers) unless
    ``correlated`` is False. ``currencies`` are the engine's (``la["currencies"]``).
    """
    rng = np.random.default_rng(seed)
    L, T, n_currencies = len(model.locations), model.months, len(currencies)
    out = {"wage": rng.standard_normal((n_draws, L)),
           "fx": rng.standard_normal((n_draws, n_currencies, T)),
           "aht": rng.standard_normal(n_draws), "aht_loc": rng.standard_normal((n_draws, L)),
           "attrition": rng.standard_normal((n_draws, L)),
           "volume": rng.standard_normal(n_draws)}
    # Drawn last so that switching quality draws off leaves the other shocks unchanged.
    u = rng.random((2, n_draws, L))
    out["quality_aht"], out["quality_fcr"] = (u[0], u[1]) if quality else (None, None)
    return correlate_shocks(model, list(currencies), out) if correlated else out


def _price_factor(la: dict, g_cost: np.ndarray, log_fx: np.ndarray, det_w: np.ndarray,
                  det_fx: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Drawn / expected EUR price path under each location's indexation clause (D, L, T).

    ``g_cost`` is the drawn / expected provider cost path (local wages x FX); the clause
    ``local_wages_fx`` reuses it as is, ``capped`` caps it, ``fixed`` and ``cpi`` follow the
    price currency alone. Same paths as ``model.price_index``, without its exponentials.
    """
    clause = la["clause"]
    if (clause == 2).all():
        return g_cost
    cur, pcur = la["cur_idx"], la["price_cur_idx"]
    det_cost = np.exp(det_w + det_fx[cur])                                     # (L, T)
    det_idx = price_index(la, det_w[None], det_fx[None], years)[0]
    cap = np.exp(np.log1p(la["cap"])[:, None] * years)
    if (clause == 3).all():                    # the default: one pass, in place
        out = g_cost * (det_cost / det_idx)[None]
        np.minimum(out, (cap / det_idx)[None], out=out)
        return out
    out = np.empty_like(g_cost)
    for code in np.unique(clause):
        sel = np.flatnonzero(clause == code)
        if code == 2:
            out[:, sel] = g_cost[:, sel]
        elif code == 3:
            out[:, sel] = np.minimum(g_cost[:, sel] * (det_cost[sel] / det_idx[sel]),
                                     cap[sel] / det_idx[sel])
        else:
            out[:, sel] = np.exp(log_fx[:, pcur[sel]] - det_fx[pcur[sel]][None])
    return out


def _cost_path(la: dict, f: dict, years: np.ndarray, det_fx: np.ndarray) -> np.ndarray:
    """Drawn / expected provider cost path (local wages x FX), location-major (L, D, T).

    ``exp((log(1 + drawn rate) - log(1 + rate)) t + log FX path - expected log FX path)``,
    built in place: one (L, D, T) array, a currency's path added to its locations only when
    it moves (EUR and a fixed peg do not).
    """
    rel = (f["log_rate"] - np.log1p(la["infl"])[None, :]).T                    # (L, D)
    out = rel[:, :, None] * years
    moving = la["fx_vol"] > 0
    for c in np.flatnonzero(moving | (la["fx_drift"] != 0)):
        locs = np.flatnonzero(la["cur_idx"] == c)
        if len(locs):
            out[locs] += (f["log_fx"][:, c] - det_fx[c][None])[None]
    return np.exp(out, out=out)


def _mc_npv(model: SourcingModel, n_draws: int, seed: int, tw: _Tweaks | None = None,
            quality: bool = True, correlated: bool = True):
    """NPV draws ``(D, L, F)`` from the same cost terms as the deterministic views.

    Every driver is (deterministic base[l, t]) x (draw multiplier); the multiplier is volume
    (D, T) x AHT (D, L) x wage-and-FX path (D, L, T) (x attrition (D, L) for hires); the
    present values of all time weights of a driver come from one batched matrix product.
    """
    tw = tw or _Tweaks()
    la = _location_arrays(model, tw)
    q = _base_quantities(model, la, tw)
    price = _rate_card_price_eur(model, la, q, tw)
    base = {k: v[0] for k, v in _drivers(model, la, q, tw, None, price).items()}
    # The deterministic path already holds (1 + inflation)^t and (1 + drift)^t; divide them
    # out so the draws' own paths replace them.
    years = np.arange(model.months) / 12.0
    det_w = np.log1p(la["infl"])[:, None] * years
    det_fx = np.log1p(la["fx_drift"])[:, None] * years
    shocks = _draw_shocks(model, n_draws, seed, la["currencies"], quality, correlated)
    f = _shock_factors(model, la, shocks, wage_paths=False)
    terms = _terms(model, la, q, tw)
    disc = _discount(model, tw)
    # Workload factors per driver (volume is in the paths): AHT x quality (AHT uplift and
    # repeat contacts); an invoice per call follows the repeat contacts only.
    workload = f["af"] * f["qf"]
    factor = {"P": workload, "A": workload, "S": workload,
              "R": f["rf"] if model.billing_basis == "per_call" else workload}
    # Sum the coefficients of terms sharing a (driver, weight): a handful of keys remain.
    coefs: dict = {}
    for _line_i, k, wname, coef in terms.items:
        coefs[(k, wname)] = coefs.get((k, wname), 0.0) + coef
    keys = list(coefs)
    # Wage x FX path relative to the deterministic one, (D, L, T), times the volume factor;
    # held location-major in memory, as the batched product below reads it.
    g_p = _cost_path(la, f, years, det_fx).transpose(1, 0, 2)
    g_r = _price_factor(la, g_p, f["log_fx"], det_w, det_fx, years)
    g_p *= f["vf"][:, None, :]
    if g_r is not g_p:
        g_r *= f["vf"][:, None, :]
    g = {"P": g_p, "R": g_r}
    pv = {}
    for src in ("P", "S", "R"):
        names = sorted({w for k, w in keys if (k if k != "A" else "P") == src})
        if not names:
            continue
        stack = np.stack([base[src] * terms.weights[w] * disc[None, :] for w in names])  # (W,L,T)
        if src == "S":
            res = np.einsum("dt,wlt->dlw", f["vf"], stack, optimize=True)
        else:
            # Batched over locations: (L, D, T) @ (L, T, W) -> (L, D, W).
            res = np.matmul(g[src].transpose(1, 0, 2), stack.transpose(1, 2, 0)).transpose(1, 0, 2)
        for i, w in enumerate(names):
            pv[(src, w)] = res[:, :, i]
    rows = []
    for k, w in keys:
        if k == "one":
            v = np.broadcast_to((terms.weights[w] * disc[None, :]).sum(axis=1),
                                (n_draws, len(model.locations)))
        elif k == "N":  # seats: fixed capacity, the same in every draw
            v = np.broadcast_to((base["N"] * terms.weights[w] * disc[None, :]).sum(axis=1),
                                (n_draws, len(model.locations)))
        else:
            v = pv[("P" if k == "A" else k, w)] * factor[k]
            if k == "A":
                # base["A"] = base["P"] x attrition / 12: swap in the drawn attrition.
                v = v * f["attr"] / 12.0
        rows.append(v)
    draws = np.einsum("kdl,klf->dlf", np.stack(rows), np.stack([coefs[k] for k in keys]),
                      optimize=True)
    if model.service is None:
        return draws, None
    # value of service: lost contacts follow the drawn volume and each site's drawn FCR gap
    from toolkit.costs.service import _service_npv
    return draws, _service_npv(model, la, q, disc, f["vf"], f["rf"] * la["repeat"][None, :])


def monte_carlo(model: SourcingModel, *, n_draws: int = 10_000, seed: int = 42,
                volume_cv: float | None = None, draw_quality: bool = True,
                correlated: bool = True, return_draws: bool = False):
    """P10/P50/P90 of contract NPV per location x form and the probability of beating the baseline.

    Draws (seeded, common to all options): annual wage inflation per location, monthly FX
    random walks per currency, AHT (business-wide and per location), attrition per location,
    volume level (CV from the forecast interval if given, else ``volume_cv``: this argument,
    or the ``volume_cv`` default), and — with ``draw_quality`` — each location's AHT uplift
    and FCR gap (triangular over their reference ranges, mode = default). The draws carry
    the correlations of the reference (``correlations.yaml``; ``correlation_table``) unless
    ``correlated`` is False (independent draws, for comparison).
    ``return_draws`` also returns the (D, L, columns) NPV draws (forms, then portfolios).
    With the value of service on (``model.service``), also the lost contacts' value per draw
    (drawn volume and FCR gaps): ``service_p50_eur``, ``npv_with_service_p10/p50/p90_eur``
    and ``prob_beats_baseline_with_service``.
    Savings and ``prob_beats_baseline`` compare with ``model.comparison`` (the status quo
    when known); ``prob_beats_inhouse`` with the in-house baseline.
    """
    if not isinstance(n_draws, int | np.integer) or n_draws < 100:
        raise ParameterError("n_draws", n_draws, "an integer >= 100 (10,000 recommended)")
    if volume_cv is not None:
        if not 0 <= volume_cv < 1:
            raise ParameterError("volume_cv", volume_cv, "a coefficient of variation in [0, 1)")
        model = copy.copy(model)
        model.volume_cv = np.full(model.months, float(volume_cv))
    draws, lost = _mc_npv(model, int(n_draws), int(seed), quality=draw_quality,
                          correlated=correlated)
    keys = model.option_keys()
    # (D, options): location x form pairs, then each portfolio summed over its locations.
    per_option = np.stack([option_slice(model, draws.transpose(1, 2, 0), k) for k in keys],
                          axis=1)
    bl = per_option[:, keys.index(tuple(model.comparison))]
    inhouse = per_option[:, keys.index(tuple(model.baseline))]
    p10, p50, p90 = np.percentile(per_option, [10, 50, 90], axis=0)
    beats = (per_option < bl[:, None]).mean(axis=0)
    beats_inhouse = (per_option < inhouse[:, None]).mean(axis=0)
    rows = []
    for i, (loc, form) in enumerate(keys):
        rows.append({"location": loc, "form": form,
                     "feasible": True if form == PORTFOLIO else model.feasible(loc, form),
                     "npv_p10_eur": p10[i], "npv_p50_eur": p50[i],
                     "npv_p90_eur": p90[i], "npv_mean_eur": per_option[:, i].mean(),
                     "prob_beats_baseline": beats[i], "prob_beats_inhouse": beats_inhouse[i],
                     "baseline": " / ".join(model.comparison), "n_draws": int(n_draws),
                     "correlated": bool(correlated),
                     "seed": int(seed), "currency": "EUR", "price_year": model.start_year})
    table = pd.DataFrame(rows)
    if lost is not None:
        # value of service on: cost + lost value per draw, compared on the same draws
        with_svc = per_option + lost
        bl_svc = with_svc[:, keys.index(tuple(model.comparison))]
        q10, q50, q90 = np.percentile(with_svc, [10, 50, 90], axis=0)
        table["service_p50_eur"] = np.percentile(lost, 50, axis=0)
        table["npv_with_service_p10_eur"] = q10
        table["npv_with_service_p50_eur"] = q50
        table["npv_with_service_p90_eur"] = q90
        table["prob_beats_baseline_with_service"] = (with_svc < bl_svc[:, None]).mean(axis=0)
    return (table, draws) if return_draws else table


def cumulative_fan(model: SourcingModel, options: Sequence[tuple[str, str]], *,
                   n_draws: int = 2000, seed: int = 42,
                   quantiles: Sequence[float] = (0.1, 0.5, 0.9),
                   draw_quality: bool = True, correlated: bool = True) -> pd.DataFrame:
    """Quantiles of cumulative nominal cost by month for a few options (the TCO fan chart)."""
    tw = _Tweaks()
    la = _location_arrays(model, tw)
    q = _base_quantities(model, la, tw)
    price = _rate_card_price_eur(model, la, q, tw)
    shocks = _draw_shocks(model, n_draws, seed, la["currencies"], draw_quality, correlated)
    X = _drivers(model, la, q, tw, shocks, price)
    terms = _terms(model, la, q, tw)
    months = pd.period_range(model.start, periods=model.months, freq="M").to_timestamp()
    rows = []
    for loc, form in options:
        cols = ([(model.locations.index(loc), model.forms.index(form))] if form != PORTFOLIO
                else [(li_, model.columns.index(loc)) for li_ in range(len(model.locations))])
        flows = np.zeros((n_draws, model.months))
        for _line_i, k, wname, coef in terms.items:
            for li_, fi in cols:
                if coef[li_, fi]:
                    w = terms.weights[wname][li_]
                    flows += coef[li_, fi] * w * (1.0 if k == "one" else X[k][:, li_, :])
        cum = np.cumsum(flows, axis=1)
        qs = np.quantile(cum, quantiles, axis=0)
        for qi, qq in enumerate(quantiles):
            rows.append(pd.DataFrame({"location": loc, "form": form, "month": months,
                                      "quantile": qq, "cumulative_cost_eur": qs[qi]}))
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------------------------
# One-way sensitivity
# --------------------------------------------------------------------------------------------

class _Move(NamedTuple):
    """One end of a driver: engine tweaks plus reference figures set to their low or high."""

    tweaks: _Tweaks = _Tweaks()
    figures: tuple[tuple[str, str], ...] = ()    # (path under ``defaults``, "low" / "high")


class _Driver(NamedTuple):
    label: str
    low: _Move
    high: _Move
    inputs: tuple[str, ...]                       # the reference figures whose range it moves


#: Level factors of the engine and the ``defaults.sensitivity`` figure giving their range.
_FACTORS = {"volume": ("volume_level", "volume", "volume level"),
            "aht": ("aht_level", "aht", "AHT"),
            "wage": ("wage_level", "wage", "wage level"),
            "wage_inflation": ("wage_inflation_shift", "wage_inflation", "wage inflation"),
            "fx": ("fx_level", "fx", "non-EUR currencies vs EUR"),
            "attrition": ("attrition_factor", "attrition", "attrition"),
            "charges": ("employer_charges_factor", "charges", "employer charges"),
            "price": ("rate_card_price_factor", "price", "rate-card price"),
            "premises": ("premises_factor", "premises", "premises per seat"),
            "discount_rate": ("discount_rate", "discount_rate", "discount rate")}

#: Figures moved together as one driver (name -> label, paths under ``defaults``).
_GROUPS = {"transition": ("transition one-offs (set-up per seat, project, entity) {}",
                          ("setup_per_seat", "transition_project_cost", "entity_setup_cost"))}


def _figure(defaults: dict, path: str) -> dict:
    node = defaults
    for part in path.split("."):
        node = node[part]
    return node


def _ranged(defaults: dict) -> dict[str, dict]:
    """Every figure of ``defaults`` with a low/high pair, by dotted path."""
    return {path: fig for path, fig in _walk_figures(defaults, "")
            if "low" in fig and "high" in fig}


def _span(fig: dict) -> str:
    """"110 to 240 EUR per seat per month (X, 2025)": a figure's range, unit, flag and year."""
    lo, hi, unit = float(fig["low"]), float(fig["high"]), str(fig.get("unit") or "")
    if max(abs(lo), abs(hi)) >= 10:
        text = f"{lo:,.0f} to {hi:,.0f}"
    elif unit.startswith("share") or unit.startswith("per year"):
        text = f"{lo:.0%} to {hi:.0%}"
    else:
        text = f"{lo:g} to {hi:g}"
    money = fig.get("currency")
    tail = ", ".join(str(x) for x in (fig.get("flag"), fig.get("year")) if x)
    return (f"{text} {money + ' ' if money else ''}{unit}" + (f" ({tail})" if tail else ""))


def _tornado_ranges(model: SourcingModel) -> dict[str, _Driver]:
    """Driver -> label, low and high moves, and the reference figures whose range it uses.

    Every range is a reference figure's low/high: the level factors' in
    ``defaults.sensitivity``, the others their own (margins, quality gaps, governance,
    overheads, exit, one-offs, seat costs, leaving costs, ...): each ranged figure of
    ``defaults`` moves exactly one driver. In-shift shrinkage comes from the planning basis.
    """
    d = model.ref["defaults"]
    ranged = _ranged(d)
    out: dict[str, _Driver] = {}
    for name, (key, field, text) in _FACTORS.items():
        path = f"sensitivity.{key}"
        if path not in ranged:
            continue
        lo, hi = float(ranged[path]["low"]), float(ranged[path]["high"])
        if name == "discount_rate":
            label = f"{text} {lo:.0%}-{hi:.0%}"
        elif name == "wage_inflation":
            label = f"{text} {lo * 100:+g}/{hi * 100:+g} pts/yr"
        else:
            label = f"{text} x{lo:g} / x{hi:g}"
        out[name] = _Driver(label, _Move(_Tweaks(**{field: lo})), _Move(_Tweaks(**{field: hi})),
                            (path,))
    # In-shift shrinkage from the planning basis: planned and unplanned at their range ends.
    fig = model.basis.figures
    ends = [[float(fig[f"shrinkage.{part}_in_shift"].get(end, _value(fig[f"shrinkage.{part}_in_shift"])))
             for part in ("planned", "unplanned")] for end in ("low", "high")]
    shrink = tuple(1 - (1 - p) * (1 - u) for p, u in ends)
    out["shrinkage"] = _Driver("in-shift shrinkage {:.0%}-{:.0%}".format(*shrink),
                               _Move(_Tweaks(shrinkage=shrink[0])),
                               _Move(_Tweaks(shrinkage=shrink[1])), ())
    margins = tuple(p for p in ranged if p.startswith("provider_margin"))
    if margins:
        out["margin"] = _Driver(
            "provider margins " + ", ".join(f"{p.split('.')[-1].replace('_', '-').upper()} "
                                            f"{ranged[p]['low']:.0%}-{ranged[p]['high']:.0%}"
                                            for p in margins),
            _Move(_Tweaks(margin="low")), _Move(_Tweaks(margin="high")), margins)
    quality = tuple(p for p in ranged if p.startswith(("aht_uplift.", "fcr_gap.")))
    if quality:
        out["quality"] = _Driver("quality gap: AHT uplift and FCR gap at the ends of their ranges",
                                 _Move(_Tweaks(quality="low")), _Move(_Tweaks(quality="high")),
                                 quality)
    for name, key, field in (("governance", "governance_rate", "governance"),
                             ("overheads", "overhead_rate", "overhead"),
                             ("exit", "exit_months", "exit_months")):
        if key in ranged:
            lo, hi = float(ranged[key]["low"]), float(ranged[key]["high"])
            label = (f"exit {lo:.0f}-{hi:.0f} months" if name == "exit"
                     else f"{name} {lo:.0%}-{hi:.0%}")
            out[name] = _Driver(label, _Move(_Tweaks(**{field: lo})),
                                _Move(_Tweaks(**{field: hi})), (key,))
    for name, (text, paths) in _GROUPS.items():
        paths = tuple(p for p in paths if p in ranged)
        if paths:
            out[name] = _Driver(text.format("at the low / high of their ranges"),
                                _Move(figures=tuple((p, "low") for p in paths)),
                                _Move(figures=tuple((p, "high") for p in paths)), paths)
    if "volume_growth" in ranged:
        # the move tilts the volume path the model runs on: the reference's flat growth, or
        # the forecast's own trend — say which, so "-10% to +10%" is not read as absolute
        g = ranged["volume_growth"]
        lo, hi, base = float(g["low"]), float(g["high"]), float(_value(g))
        step = f"{(lo - base) * 100:+g}% / {(hi - base) * 100:+g}% a year".replace("-", "−")
        label = (f"volume growth: the forecast's trend {step}"
                 if model.volume_source == "forecast" else
                 f"volume growth {lo * 100:+g}% / {hi * 100:+g}% a year".replace("-", "−"))
        out["volume_growth"] = _Driver(label, _Move(figures=(("volume_growth", "low"),)),
                                       _Move(figures=(("volume_growth", "high"),)),
                                       ("volume_growth",))
    # Every other ranged figure is a driver of its own, named by its path.
    claimed = {p for drv in out.values() for p in drv.inputs}
    for path, fig in ranged.items():
        if path not in claimed:
            out[path] = _Driver(f"{path.replace('.', ': ').replace('_', ' ')}: {_span(fig)}",
                                _Move(figures=((path, "low"),)),
                                _Move(figures=((path, "high"),)), (path,))
    return out


def tornado_inputs(model: SourcingModel) -> pd.DataFrame:
    """Which reference figure's range moves which tornado driver: one row per figure, with
    its value, low, high, unit, year, currency, source and flag (``where does this come from``)."""
    d = model.ref["defaults"]
    rows = []
    for name, drv in _tornado_ranges(model).items():
        for path in drv.inputs:
            fig = _figure(d, path)
            rows.append({"driver": name, "label": drv.label, "figure": path,
                         **{k: fig.get(k) for k in ("value", "low", "high", "unit", "year",
                                                    "currency", "flag", "source")}})
    return pd.DataFrame(rows)


def _with_figures(model: SourcingModel, figures: tuple[tuple[str, str], ...]) -> SourcingModel:
    """The model with some ``defaults`` figures at their low or high (a shallow copy)."""
    if not figures:
        return model
    m = copy.copy(model)
    m.ref = {**model.ref, "defaults": copy.deepcopy(model.ref["defaults"])}
    for path, end in figures:
        fig = _figure(m.ref["defaults"], path)
        old = float(_value(fig))
        fig["value"] = new = float(fig.get(end, old))
        if path == "volume_growth":
            # Read when the model was built (the volume path): tilt that path instead.
            m.volume_index = model.volume_index * ((1 + new) / (1 + old)) ** (
                np.arange(model.months) / 12.0)
    return m


def tornado(model: SourcingModel, location: str, form: str, *,
            against: tuple[str, str] | None = None, _flows: dict | None = None) -> pd.DataFrame:
    """One-way sensitivity of an option's NPV (or its NPV minus ``against``'s) to every driver.

    Each driver moves alone to its low and high value: every range is a reference figure's
    low/high (``tornado_inputs`` lists them; ``inputs`` names them per row); rows are sorted
    by swing. With ``against``, ``flips`` says whether the move reverses which of the two is
    cheaper.
    """
    valid = [" / ".join(k) for k in model.option_keys()]
    _check_choice("option", f"{location} / {form}", valid)
    if against is not None:
        _check_choice("against", " / ".join(against), valid)

    # ``_flows`` (tweak -> monthly flows, discount) lets several tornados of one model share
    # the cost runs: what_would_change tests the same tweaks against two rivals.
    cache = {} if _flows is None else _flows

    def metric(move: _Move) -> float:
        key = repr(move)
        if key not in cache:
            m = _with_figures(model, move.figures)
            cost, *_ = _monthly_array(m, move.tweaks)
            cache[key] = (cost.sum(axis=2), _discount(m, move.tweaks))
        flows, disc = cache[key]
        v = float((option_slice(model, flows, (location, form)) * disc).sum())
        if against is not None:
            v -= float((option_slice(model, flows, tuple(against)) * disc).sum())
        return v

    base = metric(_Move())
    rows = []
    for name, drv in _tornado_ranges(model).items():
        v_lo, v_hi = metric(drv.low), metric(drv.high)
        rows.append({"driver": name, "label": drv.label, "inputs": ", ".join(drv.inputs),
                     "low_eur": v_lo, "high_eur": v_hi,
                     "base_eur": base, "swing_eur": abs(v_hi - v_lo),
                     "flips": bool(against is not None and (np.sign(v_lo) != np.sign(base)
                                                             or np.sign(v_hi) != np.sign(base)))})
    out = pd.DataFrame(rows).sort_values("swing_eur", ascending=False, ignore_index=True)
    out.attrs.update(location=location, form=form, against=against,
                     metric="NPV difference (EUR)" if against else "NPV (EUR)")
    return out
