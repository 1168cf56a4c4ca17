"""Caller patience for Erlang A, estimated from interval history."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from toolkit.errors import DataError, ParameterError

# --------------------------------------------------------------------------------------------
# Caller patience (Erlang A) from history
# --------------------------------------------------------------------------------------------

PATIENCE_BASES = ("exact", "lower bound", "fallback")


def patience_estimates(stats: pd.DataFrame, *, by=("queue", "site"), min_abandoned: int = 30,
                       fallback_s=None, level: float = 0.95) -> pd.DataFrame:
    """Mean caller patience per group from interval stats: abandons / total time in queue.

    For exponential patience (Erlang A's assumption) the maximum-likelihood abandonment rate is
    theta = abandoned / (total waiting time of ALL offered calls), mean patience = 1 / theta
    (Mandelbaum & Zeltyn; Brown et al. 2005). An answered caller's wait is censored: it only
    says their patience was at least that long. So both waits are needed:

    - ``basis = "exact"``: ``abandon_wait_s`` is given on every row of the group;
      ``queue_time_s = wait_time_s + abandon_wait_s``.
    - ``"lower bound"``: the abandoned calls' waits are missing (column absent, or empty on some
      rows): only the known waits are counted, so ``patience_s`` is a lower bound on the truth.
    - ``"fallback"``: fewer than ``min_abandoned`` abandons (too few to estimate), then
      ``patience_s = fallback_s`` (the planning figure; NaN when none is given).

    Parameters
    ----------
    stats : interval stats as read by ``toolkit.io.read_interval_stats`` (``offered``,
        ``abandoned``, ``wait_time_s``, optionally ``abandon_wait_s``).
    by : group keys (columns of ``stats``); ``()`` for one figure over everything.
    min_abandoned : abandons needed before the data speak (relative error ~ 1/sqrt(abandoned)).
    fallback_s : patience in seconds to use where the data cannot; announced in ``note``.
    level : confidence level of ``patience_low_s``/``patience_high_s`` (exact basis only): the
        Poisson interval for the abandon count given the queue time, which ignores any
        heterogeneity between intervals and is therefore a lower bound on the uncertainty.

    Returns one row per group: the keys, ``offered``, ``abandoned``, ``queue_time_s``,
    ``patience_s``, ``basis``, ``note``, ``patience_low_s``, ``patience_high_s``.
    """
    by = [by] if isinstance(by, str) else list(by)
    needed = {"offered", "abandoned", "wait_time_s", *by}
    if not needed <= set(stats.columns):
        missing = sorted(needed - set(stats.columns))
        raise DataError(f"interval stats lack column(s) {missing}", column=missing[0],
                        expected="offered, abandoned, wait_time_s, the group keys and "
                                 "ideally abandon_wait_s (toolkit.io.read_interval_stats)")
    if not (isinstance(min_abandoned, (int, np.integer)) and min_abandoned >= 1):
        raise ParameterError("min_abandoned", min_abandoned, "a whole number >= 1")
    if fallback_s is not None and not (np.isfinite(fallback_s) and fallback_s > 0):
        raise ParameterError("fallback_s", fallback_s, "a positive number of seconds, or None")
    if not 0 < level < 1:
        raise ParameterError("level", level, "a confidence level between 0 and 1, e.g. 0.95")
    has_column = "abandon_wait_s" in stats.columns
    abandon_wait = (stats["abandon_wait_s"].to_numpy(dtype=float) if has_column
                    else np.full(len(stats), np.nan))
    frame = pd.DataFrame({
        "offered": stats["offered"].to_numpy(dtype=np.int64),
        "abandoned": stats["abandoned"].to_numpy(dtype=np.int64),
        "wait_time_s": stats["wait_time_s"].to_numpy(dtype=float),
        "abandon_wait_s": np.nan_to_num(abandon_wait, nan=0.0),
        "rows": 1, "known": np.isfinite(abandon_wait).astype(np.int64)})
    for key in by:
        frame[key] = stats[key].to_numpy()
    sums = ["offered", "abandoned", "wait_time_s", "abandon_wait_s", "rows", "known"]
    if by:
        g = frame.groupby(by, sort=True, observed=True)[sums].sum().reset_index()
    else:
        g = frame[sums].sum().to_frame().T
    abandoned = g["abandoned"].to_numpy(dtype=float)
    queue_time = g["wait_time_s"].to_numpy(dtype=float) + g["abandon_wait_s"].to_numpy(float)
    exact = (g["known"] == g["rows"]).to_numpy()
    enough = abandoned >= min_abandoned
    basis = np.where(~enough, "fallback", np.where(exact, "exact", "lower bound"))
    estimate = np.divide(queue_time, abandoned, out=np.full(len(g), np.nan),
                         where=abandoned > 0)
    fallback = np.nan if fallback_s is None else float(fallback_s)
    patience = np.where(enough, estimate, fallback)
    # Poisson interval for theta = abandoned / queue_time (chi-square limits via gammaincinv).
    alpha = 1.0 - level
    ok = enough & exact & (queue_time > 0)
    a_safe = np.maximum(abandoned, 1.0)
    theta_low = special.gammaincinv(a_safe, alpha / 2) / np.where(ok, queue_time, 1.0)
    theta_high = special.gammaincinv(a_safe + 1.0, 1 - alpha / 2) / np.where(ok, queue_time, 1.0)
    notes = []
    for i in range(len(g)):
        a, hours = int(abandoned[i]), queue_time[i] / 3600.0
        if basis[i] == "exact":
            notes.append(f"{a:,} abandons over {hours:,.1f} h in queue (answered and "
                         "abandoned calls)")
        elif basis[i] == "lower bound":
            missing = int(g["rows"].iloc[i] - g["known"].iloc[i])
            why = ("no abandon_wait_s column" if not has_column
                   else f"abandon_wait_s empty on {missing:,} of {int(g['rows'].iloc[i]):,} "
                        "intervals")
            notes.append(f"lower bound: {why}, so only {hours:,.1f} h of known waits for "
                         f"{a:,} abandons; the true mean patience is longer")
        else:
            use = ("the planning figure " + f"{fallback:,.0f} s is used" if fallback_s is not None
                   else "no fallback_s given, so no figure")
            notes.append(f"only {a:,} abandons (fewer than {min_abandoned}): too few to "
                         f"estimate; {use}")
    out = g[by].copy() if by else pd.DataFrame(index=g.index)
    out["offered"] = g["offered"].astype(np.int64).to_numpy()
    out["abandoned"] = g["abandoned"].astype(np.int64).to_numpy()
    out["queue_time_s"] = queue_time
    out["patience_s"] = patience
    out["basis"] = basis
    out["note"] = notes
    out["patience_low_s"] = np.where(ok, 1.0 / theta_high, np.nan)
    out["patience_high_s"] = np.where(ok, 1.0 / np.where(ok, theta_low, 1.0), np.nan)
    return out.reset_index(drop=True)


def patience_by_queue(stats: pd.DataFrame, *, min_abandoned: int = 30, fallback_s=None,
                      details: bool = False):
    """One mean patience per queue for Erlang A: the sites' estimates weighted by offered calls.

    Weighting by offered calls gives the mean patience of an offered caller of the queue (the
    caller mix the queue's staffing must serve). Sites with too few abandons are left out of
    the mean; a queue with no usable site falls back to ``fallback_s``. The queue's basis is
    the weakest of its sites used ("lower bound" if any is). Returns a Series queue ->
    ``patience_s``; ``details=True`` returns the table instead (``queue, offered, abandoned,
    patience_s, basis, note``).
    """
    if "site" not in stats.columns:
        per_site = patience_estimates(stats, by=("queue",), min_abandoned=min_abandoned,
                                      fallback_s=fallback_s)
        table = per_site[["queue", "offered", "abandoned", "patience_s", "basis", "note"]]
        return table if details else table.set_index("queue")["patience_s"]
    per_site = patience_estimates(stats, by=("queue", "site"), min_abandoned=min_abandoned,
                                  fallback_s=fallback_s)
    rows = []
    for queue, sites in per_site.groupby("queue", sort=True):
        used = sites[sites["basis"] != "fallback"]
        offered, abandoned = int(sites["offered"].sum()), int(sites["abandoned"].sum())
        if used.empty:
            fallback = np.nan if fallback_s is None else float(fallback_s)
            use = (f"the planning figure {fallback:,.0f} s is used" if fallback_s is not None
                   else "no fallback_s given, so no figure")
            rows.append((queue, offered, abandoned, fallback, "fallback",
                         f"no site has {min_abandoned} abandons or more; {use}"))
            continue
        weights = used["offered"].to_numpy(dtype=float)
        value = float(np.average(used["patience_s"].to_numpy(), weights=weights))
        basis = "lower bound" if (used["basis"] == "lower bound").any() else "exact"
        left_out = sites.loc[sites["basis"] == "fallback", "site"].tolist()
        note = (f"mean of {len(used)} {'site' if len(used) == 1 else 'sites'} weighted by "
                "offered calls ("
                + ", ".join(f"{s} {p:,.0f} s" for s, p in
                            zip(used["site"], used["patience_s"], strict=True)) + ")")
        if basis == "lower bound":
            note += "; a lower bound: some sites lack the abandoned calls' waits"
        if left_out:
            note += "; left out for too few abandons: " + ", ".join(map(str, left_out))
        rows.append((queue, offered, abandoned, value, basis, note))
    table = pd.DataFrame(rows, columns=["queue", "offered", "abandoned", "patience_s", "basis",
                                        "note"])
    return table if details else table.set_index("queue")["patience_s"]
