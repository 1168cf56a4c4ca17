"""Today's mix and partial moves: options made of several sites over time.

The status quo is what the company runs today — each in-house site and each provider site
with its share of every queue's calls (interval statistics) and, for providers, its actual
invoices (provider reports) — read over the 12 months ending with the report period. A
portfolio is a set of legs (location x form, a share of the workload month by month); the
status quo is one, and so is "40 % of care to MA / FULL from 2027-03, the rest unchanged".

The engine (``model._terms``) costs each leg with the same cost terms as the location x form
options, weighted by its share month by month, so portfolios go through the deterministic
views, the Monte Carlo and the tornado alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit import planning
from toolkit.clock import local_clock
from toolkit.errors import ParameterError

#: The status quo's name in every table (``location`` column; ``form`` is ``PORTFOLIO``).
STATUS_QUO = "status quo"
PORTFOLIO = "PORTFOLIO"


@dataclass
class StatusQuo:
    """Today's sites, their share of the workload and their actual invoices (12 months).

    ``sites``: ``site, provider, location, form, share, invoice_eur, billed_hours, contacts``
    (share = the site's part of the company's handle time over the window); ``queue_shares``:
    site x queue share of each queue's offered calls; ``queue_weights``: each queue's part of
    the handle time (calls x AHT).
    """

    sites: pd.DataFrame
    queue_shares: pd.DataFrame
    queue_weights: pd.Series
    months: pd.PeriodIndex
    period: str


@dataclass
class Leg:
    """One site of a portfolio: a location x form carrying ``share[t]`` of the workload."""

    name: str
    location: str
    form: str
    share: np.ndarray
    existing: bool = False           # runs today: no transition, actual invoice
    site: str | None = None
    #: (queues, T): the leg's share of each queue's calls (``queues`` of its portfolio)
    queue_share: np.ndarray | None = None


@dataclass
class Portfolio:
    name: str
    legs: list[Leg] = field(default_factory=list)
    description: str = ""
    #: the queues of the legs' ``queue_share`` rows
    queues: list[str] = field(default_factory=list)


def status_quo(stats: pd.DataFrame, reports: pd.DataFrame | None, sites: pd.DataFrame,
               period: str, *, months: int = 12) -> StatusQuo:
    """Today's mix from the interval statistics (share of calls per queue and site), the
    site list and the provider reports (invoices) of the ``months`` ending with ``period``.

    ``stats``: ``toolkit.io.read_interval_stats`` (``ds, queue, site, offered, ...,
    handle_time_s``); ``reports``: ``read_provider_reports``; ``sites``: ``read_sites``.
    """
    need = {"ds", "queue", "site", "offered", "answered", "handle_time_s"}
    if need - set(stats.columns):
        raise ParameterError("stats", sorted(need - set(stats.columns)),
                             "interval statistics read by toolkit.io.read_interval_stats")
    window = planning.workload_months(period, months)
    month = local_clock(stats["ds"]).dt.to_period("M")
    s = stats[month.isin(window).to_numpy()]
    if s.empty:
        raise ParameterError("period", period, "a period whose 12 months the interval "
                             "statistics cover")
    unknown = sorted(set(s["site"]) - set(sites["site"]))
    if unknown:
        raise ParameterError("sites_path", unknown[0],
                             f"a sites file listing every site of the interval statistics "
                             f"(missing: {unknown})")
    offered = s.pivot_table(index="site", columns="queue", values="offered", aggfunc="sum",
                            fill_value=0).astype(float)
    queue_shares = offered / offered.sum(axis=0)
    # A queue's weight: its handle time (answered calls x their AHT) over the window.
    handle = s.groupby("queue")["handle_time_s"].sum()
    queue_weights = (handle / handle.sum()).reindex(queue_shares.columns).fillna(0.0)
    share = queue_shares.mul(queue_weights, axis=1).sum(axis=1)
    info = sites.set_index("site")
    rows = []
    for site, sh in share.items():
        row = {"site": site, "provider": info.loc[site, "provider"],
               "location": info.loc[site, "location"], "form": info.loc[site, "engagement_form"],
               "share": float(sh), "invoice_eur": np.nan, "billed_hours": np.nan,
               "contacts": float(s.loc[s["site"] == site, "answered"].sum()),
               "report_months": 0}
        if reports is not None and row["form"] != "INHOUSE":
            r = reports[(reports["site"] == site)
                        & pd.PeriodIndex(reports["month"], freq="M").isin(window)]
            if r.empty:
                raise ParameterError("provider_reports_path", site,
                                     f"monthly reports of provider site {site} over "
                                     f"{window[0]} to {window[-1]}")
            row.update(invoice_eur=float(r["invoice_eur"].sum()),
                       billed_hours=float(r["billed_hours"].sum()),
                       contacts=float(r["contacts_handled"].sum()), report_months=len(r))
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("share", ascending=False, ignore_index=True)
    return StatusQuo(sites=table, queue_shares=queue_shares, queue_weights=queue_weights,
                     months=window, period=str(period))


def _site_shares(sq: StatusQuo, T: int) -> dict[str, np.ndarray]:
    """Queue x month share of each status-quo site (constant over the contract)."""
    q = list(sq.queue_shares.columns)
    return {site: np.repeat(sq.queue_shares.loc[site, q].to_numpy(float)[:, None], T, axis=1)
            for site in sq.sites["site"]}


def _legs_from_queue_shares(sq: StatusQuo, shares: dict, new: dict) -> list[Leg]:
    """Legs whose share of the total workload is the queue-weighted share of each queue."""
    w = sq.queue_weights.reindex(sq.queue_shares.columns).to_numpy(float)[:, None]
    info = sq.sites.set_index("site")
    legs = [Leg(name=site, location=info.loc[site, "location"], form=info.loc[site, "form"],
                share=(w * s).sum(axis=0), existing=True, site=site, queue_share=s.copy())
            for site, s in shares.items()]
    legs += [Leg(name=f"{loc} / {form}", location=loc, form=form, share=(w * s).sum(axis=0),
                 queue_share=s.copy())
             for (loc, form), s in new.items()]
    return legs


def build_portfolios(sq: StatusQuo | None, specs: Sequence[Mapping] | None, *,
                     start: pd.Period, months: int, locations: Sequence[str],
                     forms: Sequence[str]) -> list[Portfolio]:
    """The status quo and the partial moves named in ``specs``.

    A spec: ``{"name": "care 40 % to MA", "moves": [{"queue": "care", "share": 0.4,
    "to": "MA / FULL", "from": "2027-03"}]}``; ``queue`` may be ``"all"``; the share moved
    leaves every site serving the queue in proportion (or only ``from_sites``).
    """
    if sq is None:
        if specs:
            raise ParameterError("portfolios", [s.get("name") for s in specs],
                                 "a status quo (provider_reports_path and sites_path) to move from")
        return []
    T = months
    queues = list(sq.queue_shares.columns)
    out = [Portfolio(STATUS_QUO, _legs_from_queue_shares(sq, _site_shares(sq, T), {}),
                     "today's sites at today's shares and invoices", queues)]
    names = {STATUS_QUO}
    for i, spec in enumerate(specs or []):
        where = f"portfolios[{i}]"
        if not isinstance(spec, Mapping) or "name" not in spec or not spec.get("moves"):
            raise ParameterError(where, spec, 'a mapping with "name" and a list of "moves"')
        name = str(spec["name"])
        if name in names:
            raise ParameterError(f"{where}.name", name, "a name no other portfolio uses")
        names.add(name)
        shares = _site_shares(sq, T)
        new: dict = {}
        for j, mv in enumerate(spec["moves"]):
            w = f"{where}.moves[{j}]"
            queue = mv.get("queue", "all")
            qs = queues if queue == "all" else [queue]
            if any(q not in queues for q in qs):
                raise ParameterError(f"{w}.queue", queue, f"one of {queues} or 'all'")
            frac = mv.get("share")
            if not isinstance(frac, int | float) or not 0 < frac <= 1:
                raise ParameterError(f"{w}.share", frac, "a share of the queue in (0, 1], e.g. 0.4")
            to = mv.get("to", "")
            parts = [p.strip() for p in str(to).split("/")]
            if len(parts) != 2 or parts[0] not in locations or parts[1] not in forms:
                raise ParameterError(f"{w}.to", to, f'"LOCATION / FORM" with a location of '
                                     f"{list(locations)} and a form of {list(forms)}")
            try:
                first = pd.Period(str(mv.get("from", start)), freq="M")
            except (ValueError, TypeError) as exc:
                raise ParameterError(f"{w}.from", mv.get("from"), 'a month "YYYY-MM"') from exc
            t0 = int((first - start).n)
            if not 0 <= t0 < T:
                raise ParameterError(f"{w}.from", str(first), f"a month of the contract "
                                     f"({start} to {start + T - 1})")
            src = list(mv.get("from_sites") or shares)
            bad = [s for s in src if s not in shares]
            if bad:
                raise ParameterError(f"{w}.from_sites", bad[0], f"sites of the status quo {list(shares)}")
            dest = new.setdefault((parts[0], parts[1]), np.zeros((len(queues), T)))
            for q in qs:
                qi = queues.index(q)
                held = sum(shares[s][qi, t0] for s in src)
                if held <= 0:
                    raise ParameterError(f"{w}.from_sites", src, f"sites that serve queue {q}")
                moved = min(frac, held)
                for s in src:
                    shares[s][qi, t0:] -= moved * shares[s][qi, t0] / held
                dest[qi, t0:] += moved
        out.append(Portfolio(name, _legs_from_queue_shares(sq, shares, new),
                             spec.get("description", ""), queues))
    return out
