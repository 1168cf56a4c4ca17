"""Many queues: batch forecasts through the executors, the reserved total, reconciled forecasts."""

from __future__ import annotations

import warnings
from functools import partial

import pandas as pd

from toolkit.errors import ParameterError
from toolkit.forecast.aggregation import reconcile
from toolkit.forecast.core import forecast
from toolkit.forecast.panel import ForecastWarning, _as_tidy


def _forecast_task(item, **kwargs):
    """One queue through :func:`forecast` (module-level so process executors can pickle it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        fc = forecast(item, **kwargs)
    return fc, fc.attrs.get("models", {}), [str(w.message) for w in caught]


def forecast_many(history: pd.DataFrame, horizon, *, executor: str = "serial",
                  scheduler: str | None = None, progress: bool = True,
                  workers: int | None = None, **kwargs) -> pd.DataFrame:
    """:func:`forecast` for many queues, one task per queue, through ``toolkit.executors``.

    ``history`` is tidy ``ds, queue, calls``; ``executor`` is ``"serial"``, ``"local"``
    (process pool) or ``"dask"`` (``scheduler`` address or a local cluster); a tqdm bar shows
    progress. Warnings raised in workers are re-issued here; ``attrs["models"]`` is merged.
    """
    from toolkit.executors import map_tasks

    tidy = _as_tidy(history)
    items = [g for _, g in tidy.groupby("queue", sort=True)]
    task = partial(_forecast_task, horizon=horizon, **kwargs)
    results = map_tasks(task, items, executor=executor, scheduler=scheduler,
                        workers=workers, progress=progress, desc="forecast queues")
    models = {}
    for _, info, messages in results:
        models.update(info)
        for msg in messages:
            warnings.warn(msg, ForecastWarning, stacklevel=2)
    out = pd.concat([r[0] for r in results], ignore_index=True)
    out.attrs["models"] = models
    return out


def forecast_reconciled(history: pd.DataFrame, horizon, *, total: str = "total", **kwargs):
    """Forecast every queue and their ``total``, reconciled; returns ``(base, reconciled, fc)``.

    ``base`` holds the unreconciled forecasts (``attrs["models"]`` for the models table),
    ``reconciled`` queues plus the total after :func:`reconcile`, ``fc`` the queues only.
    A history with a single queue is forecast as it is (it is its own total, whatever its
    name: a file whose one queue is called "total" must not get a second one).
    """
    tidy = _as_tidy(history)
    if tidy["queue"].nunique() == 1:
        base = forecast(tidy, horizon, **kwargs)
        return base, base, base
    _refuse_total_name(tidy["queue"], total, "total")
    base = forecast(add_total(tidy, total), horizon, **kwargs)
    reconciled = reconcile(base, total=total)
    fc = reconciled[reconciled["queue"] != total].reset_index(drop=True)
    return base, reconciled, fc


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
