"""A forecast with its provenance: the table plus the models that made it, explicitly.

Like statsmodels' results objects (``.model``, ``.params``, ``summary()``), a
:class:`ForecastResult` carries what produced the numbers — per queue the chosen method,
combination weights, inner-backtest MASE, the error correlations that aggregation needs,
notes — beside the table, never inside ``DataFrame.attrs`` (which a merge or a concat drops
without a word). On disk the table is Parquet and the provenance a JSON sidecar next to it:
``forecast.parquet`` -> ``forecast.meta.json``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import ParameterError

#: Format of the sidecar (bumped when its keys change meaning).
SIDECAR_VERSION = 1


@dataclasses.dataclass(frozen=True)
class ForecastResult:
    """A forecast table (``frame``) with its provenance.

    ``models``: per queue (or outlook series) what produced it (``method``, ``weights``,
    ``inner_mase``, ``correlation``, ``notes``...); ``info``: the run (``kind`` forecast or
    outlook, horizon, freq, levels, country, origin, ...).
    """

    frame: pd.DataFrame
    models: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    info: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def correlation(self) -> dict[str, dict[str, float]]:
        """Per queue the error correlations ``{"intraday": r1, "days": r2}`` for
        :func:`toolkit.forecast.aggregate` (queues without an estimate are left out)."""
        return {q: dict(m["correlation"]) for q, m in self.models.items()
                if isinstance(m, Mapping) and m.get("correlation")}

    def models_table(self) -> pd.DataFrame:
        """One row per queue: chosen method and inner-backtest MASE per method, notes."""
        rows = []
        for queue, info in self.models.items():
            row = {"queue": queue, "chosen": info.get("method")}
            row.update({f"inner MASE {m}": v for m, v in (info.get("inner_mase") or {}).items()})
            row["notes"] = "; ".join(info.get("notes", []))
            rows.append(row)
        return pd.DataFrame(rows)

    def with_frame(self, frame: pd.DataFrame, **info) -> ForecastResult:
        """The same provenance for a derived table (reconciled, filtered), ``info`` added."""
        return ForecastResult(frame, self.models, {**self.info, **info})

    def metadata(self) -> dict:
        """The provenance as plain JSON-ready data (what the sidecar holds)."""
        return {"version": SIDECAR_VERSION, "info": _plain(dict(self.info)),
                "models": _plain({str(k): v for k, v in self.models.items()})}

    def write(self, path: str | os.PathLike) -> Path:
        """Write the table (Parquet, ``toolkit.io.write_processed``) and the JSON sidecar."""
        return write_forecast(self, path)


def sidecar_path(path: str | os.PathLike) -> Path:
    """``forecast.parquet`` -> ``forecast.meta.json`` (same folder, same stem)."""
    p = Path(path)
    return p.with_name(p.stem + ".meta.json")


def write_forecast(result: ForecastResult | pd.DataFrame, path: str | os.PathLike, *,
                   provenance: ForecastResult | None = None) -> Path:
    """Write a forecast to Parquet with its provenance in a JSON sidecar; returns the path.

    ``result`` is a :class:`ForecastResult`, or a table whose provenance is ``provenance``'s
    (e.g. the reconciled queues of ``forecast_reconciled`` with its ``base``). The sidecar is
    written first, the table last: a reader that finds the table finds its provenance.
    """
    from toolkit import config, io
    from toolkit.atomic import write_atomic

    if isinstance(result, pd.DataFrame):
        if provenance is None:
            raise ParameterError("provenance", None, "the ForecastResult the table came from "
                                 "(its models and correlations go into the sidecar)")
        result = provenance.with_frame(result)
    elif not isinstance(result, ForecastResult):
        raise ParameterError("result", type(result).__name__, "a ForecastResult or a DataFrame")
    target = config.project_path(path)
    write_atomic(sidecar_path(target),
                 json.dumps(result.metadata(), indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return io.write_processed(result.frame, target)


def read_forecast(path: str | os.PathLike) -> ForecastResult:
    """Read a forecast written by :func:`write_forecast`: the table plus its provenance.

    A table without a sidecar (written by hand or by an older toolkit) comes back with empty
    ``models`` and ``info["sidecar"] = None``: nothing is guessed.
    """
    from toolkit import config

    p = config.project_path(path)
    if not p.exists():
        raise ParameterError("path", str(path), "an existing Parquet file written by "
                             "toolkit.forecast.write_forecast")
    frame = pd.read_parquet(p)
    meta_path = sidecar_path(p)
    if not meta_path.exists():
        return ForecastResult(frame, {}, {"sidecar": None})
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParameterError("path", str(meta_path), "a JSON sidecar written by "
                             "toolkit.forecast.write_forecast") from exc
    return ForecastResult(frame, meta.get("models", {}),
                          {**meta.get("info", {}), "sidecar": meta_path.name})


def _plain(value):
    """numpy / pandas scalars and containers as JSON types (NaN and inf as None)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray | pd.Index):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | pd.Period):
        return str(value)
    return value
