"""Many queues: batch forecasts through the executors, the reserved total, reconciled forecasts."""

from __future__ import annotations

import warnings
from functools import partial
from typing import NamedTuple

import pandas as pd

from toolkit.errors import ParameterError
from toolkit.forecast.aggregation import reconcile
from toolkit.forecast.core import forecast_result
from toolkit.forecast.panel import ForecastWarning, _as_tidy
from toolkit.forecast.result import ForecastResult


class ReconciledForecast(NamedTuple):
    """What :func:`forecast_reconciled` returns; unpacks as ``base, reconciled, fc``."""

    base: ForecastResult        #: unreconciled queues (and total) with their models
    reconciled: pd.DataFrame    #: queues plus the total after :func:`reconcile`
    fc: pd.DataFrame            #: the reconciled queues only

    def correlation(self) -> dict:
        """The base models' error correlations, for :func:`aggregate` of ``reconciled``/``fc``."""
        return self.base.correlation()

    def result(self) -> ForecastResult:
        """``fc`` with the base's provenance (what :func:`write_forecast` writes)."""
        return self.base.with_frame(self.fc, reconciled=True)


def _forecast_task(item, **kwargs):
    """One queue through :func:`forecast_result` (module-level so process executors can
    pickle it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        res = forecast_result(item, **kwargs)
    return res.frame, dict(res.models), dict(res.info), [str(w.message) for w in caught]


def forecast_many(history: pd.DataFrame, horizon, *, executor: str = "serial",
                  scheduler: str | None = None, progress: bool = True,
                  workers: int | None = None, **kwargs) -> ForecastResult:
    """:func:`forecast_result` for many queues, one task per queue, through ``toolkit.executors``.

    ``history`` is tidy ``ds, queue, calls``; ``executor`` is ``"serial"``, ``"local"``
    (process pool) or ``"dask"`` (``scheduler`` address or a local cluster); a tqdm bar shows
    progress. Warnings raised in workers are re-issued here. Returns one
    :class:`ForecastResult` (the queues' tables concatenated, their models merged).
    """
    from toolkit.executors import map_tasks

    tidy = _as_tidy(history)
    items = [g for _, g in tidy.groupby("queue", sort=True)]
    task = partial(_forecast_task, horizon=horizon, **kwargs)
    results = map_tasks(task, items, executor=executor, scheduler=scheduler,
                        workers=workers, progress=progress, desc="forecast queues")
    models, info = {}, {}
    for _, queue_models, queue_info, messages in results:
        models.update(queue_models)
        info = info or queue_info
        for msg in messages:
            warnings.warn(msg, ForecastWarning, stacklevel=2)
    out = pd.concat([r[0] for r in results], ignore_index=True)
    return ForecastResult(out, models, {**info, "executor": executor})


def forecast_reconciled(history: pd.DataFrame, horizon, *, total: str = "total",
                        **kwargs) -> ReconciledForecast:
    """Forecast every queue and their ``total``, reconciled; returns ``(base, reconciled, fc)``.

    ``base`` is the unreconciled :class:`ForecastResult` (its ``models_table()`` and
    ``correlation()``), ``reconciled`` the queues plus the total after :func:`reconcile`,
    ``fc`` the queues only (:class:`ReconciledForecast`).
    A history with a single queue is forecast as it is (it is its own total, whatever its
    name: a file whose one queue is called "total" must not get a second one).
    """
    tidy = _as_tidy(history)
    if tidy["queue"].nunique() == 1:
        base = forecast_result(tidy, horizon, **kwargs)
        return ReconciledForecast(base, base.frame, base.frame)
    _refuse_total_name(tidy["queue"], total, "total")
    base = forecast_result(add_total(tidy, total), horizon, **kwargs)
    reconciled = reconcile(base.frame, total=total)
    fc = reconciled[reconciled["queue"] != total].reset_index(drop=True)
    return ReconciledForecast(base, reconciled, fc)


def _refuse_total_name(queues, name: str, parameter: str) -> None:
    """A user queue may not carry the name reserved for the sum of the queues."""
    if name in set(queues):
        others = sorted(q for q in set(queues) if q != name)
        where = (f"a queue called {name!r} besides {', '.join(map(repr, others))}" if others
                 else f"its only queue called {name!r} (one series is its own total: "
                      "forecast it without adding a total)")
        raise ParameterError(
            parameter, name,
            f"a name for the sum of the queues that no queue uses: the volumes file has "
            f"{where}; rename that queue in the file's queue column, leave it out of the "
            f"selected queues, or pass {parameter}='all_queues'")


def add_total(history: pd.DataFrame, name: str = "total") -> pd.DataFrame:
    """History plus a ``name`` queue summing all queues per interval (for reconciliation).

    ``name`` is reserved: a history that already has a queue called ``name`` is refused
    (:class:`ParameterError` naming the parameter and the fix) rather than given a second,
    colliding series under the same name."""
    tidy = _as_tidy(history)
    _refuse_total_name(tidy["queue"], name, "name")
    total = tidy.groupby("ds", sort=True)["calls"].sum(min_count=1).reset_index()
    return pd.concat([tidy, total.assign(queue=name)[["ds", "queue", "calls"]]],
                     ignore_index=True)
