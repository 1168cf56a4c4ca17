"""Call-volume forecasting on the *open-interval index*, with backtests and calibrated intervals.

Why the open-interval index: contact centres are closed on Sundays, public holidays and at
night, and their opening hours change by weekday. A calendar grid would need invented zeros
(or NaN) for every closed interval; instead each series is held as a matrix of open days x
time-of-day slots, and every model works on the days and slots that were actually open.
Closed days and hours are never forecast: they are simply absent from the output.

Methods (``method=``):

- ``"snaive"``: weekly seasonal naive, the same slot on the last open day of the same weekday.
- ``"same_slot_avg"``: mean of the same slot over the last four open days of the same weekday.
- ``"dhr"``: dynamic harmonic regression on log(1 + calls): Fourier terms for the daily and
  weekly cycles, AR(2) errors (two-step least squares in numpy: a state-space MLE fit would
  cost seconds per series and the 5 s budget covers the whole auto selection).
- ``"topdown"``: Weinberg-Brown-Stroud / Shen-Huang style. Log daily totals follow a
  weekday-indexed exponential-smoothing state-space model (local level + weekday effects +
  calendar effects from the site calendar: the days after and before closures, Ramadan, an
  annual cycle whose Fourier order is chosen by BIC; smoothing weights chosen by one-step
  likelihood on the training data), times weekday-specific intraday proportion profiles
  smoothed by a rank-reduced SVD of the days x slots proportion matrix, from days with the
  weekday's full hours (a half-day or a Ramadan day is closed at its edges, not imputed).
- ``"dhr_mle"``: the same regression (same Fourier terms, log scale, AR(2) errors) fitted
  jointly by exact Gaussian maximum likelihood with statsmodels' state-space ARIMA, on the
  last ``DHR_MLE_MAX_DAYS`` open days. Much slower: one to a few seconds per fit (numerical
  gradients over ~30 parameters), refitted at every inner origin, so about 80 s for one
  3-year half-hourly series 28 days ahead (benchmarks/forecast_speed.py) against ~2 s for
  ``auto``. ``auto`` therefore leaves it out: on the US bank benchmark the
  exact MLE gives the same accuracy as the two-step ``dhr`` (benchmarks/forecast_accuracy.py,
  statsmodels peer), so it would cost time without earning a place. It is there to check the
  shortcut on one's own data.
- ``"auto"``: an inner rolling-origin backtest on the history it is given selects, in each
  horizon bucket (next open day, first week, first month, beyond), the best method or an
  inverse-MSE weighted combination of the best two or three, or the plain mean of the
  candidates that tie (within ``TIE_TOLERANCE``).

Intervals: for every method, the residuals of the same inner backtest (training data only)
are scaled by a fitted variance law ``var = a*yhat + b*yhat**2`` (Poisson noise + level
error) per horizon bucket (open days ahead); the scaled residuals of all buckets are pooled
and their split-conformal quantiles (finite-sample (n+1) rule) give the bounds: the scale
depends on the horizon, the shape is shared, so the 1-day tails rest on every inner origin's
whole horizon rather than on one day per origin. Beyond the inner backtest horizon the level-error
term grows linearly with the horizon (random-walk level) and a warning says so.

Coherence: intraday values add up to the day's forecast by construction (``aggregate`` sums
``yhat``); queues add up to the total after ``reconcile`` (diagonal-WLS "MinT-lite").

Layout (one module per question; this package re-exports the public names):
``params`` (every tunable number), ``panel`` (tidy history -> open-interval panel, calendar,
gaps), ``methods`` (naive, same-slot, DHR), ``daily`` (top-down day model and intraday shares),
``intervals`` (calibration), ``selection`` (inner backtest, choice per horizon), ``core``
(:func:`forecast`, :func:`forecast_result`), ``evaluate`` (metrics, :func:`backtest`),
``aggregation`` (:func:`aggregate`, :func:`reconcile`), ``queues`` (:func:`forecast_many`, the
reserved total), ``describe`` (notebook tables), ``result`` (:class:`ForecastResult`: a forecast
with its provenance, written as Parquet plus a ``.meta.json`` sidecar by :func:`write_forecast`,
read back by :func:`read_forecast`); the monthly outlook lives in :mod:`toolkit.outlook`.
"""

from toolkit.forecast.aggregation import aggregate, reconcile

# Internals other toolkit modules, the tests and the benchmarks reach for by these names.
from toolkit.forecast.core import _check_levels, _prepare, forecast, forecast_result  # noqa: E402, F401, I001
from toolkit.forecast.daily import _svd_profiles  # noqa: F401
from toolkit.forecast.describe import daily_components, decompose, models_table, totals
from toolkit.forecast.evaluate import backtest, backtest_summary, coverage, mase, naive_scale, wape
from toolkit.forecast.intervals import _calibrate, _conformal_pair  # noqa: F401
from toolkit.forecast.panel import (  # noqa: F401
    ForecastWarning,
    Panel,
    _as_tidy,
    _check_panel,
    _holidays,
    _naive_scale,
    build_panel,
    future_open_days,
    infer_freq,
)
from toolkit.forecast.params import (
    ALL_METHODS,
    DEFAULT_INNER_ORIGINS,
    METHODS,
    OUTPUT_COLUMNS,
    SINGLE_SERIES,
    SLOW_METHODS,
    TIE_TOLERANCE,
)
from toolkit.forecast.queues import (
    ReconciledForecast,
    add_total,
    forecast_many,
    forecast_reconciled,
)
from toolkit.forecast.result import ForecastResult, read_forecast, sidecar_path, write_forecast
from toolkit.forecast.selection import (  # noqa: F401
    _POINT_METHODS,
    _choose_by_horizon,
    _choose_combination,
)

# The long-horizon monthly outlook lives in its own module (one concept per screen);
# re-exported here because the business case asks the forecast module for volumes.
from toolkit.outlook import (  # noqa: E402
    history_window,
    month_coverage,
    monthly_outlook,
    monthly_outlook_result,
    outlook_summary,
    outlook_volume_path,
)

__all__ = [
    "ALL_METHODS", "DEFAULT_INNER_ORIGINS", "METHODS", "OUTPUT_COLUMNS", "SINGLE_SERIES",
    "SLOW_METHODS", "TIE_TOLERANCE", "ForecastResult", "ForecastWarning", "Panel",
    "ReconciledForecast", "add_total", "aggregate",
    "backtest", "backtest_summary", "build_panel", "coverage", "daily_components", "decompose",
    "forecast", "forecast_many", "forecast_reconciled", "forecast_result", "future_open_days",
    "history_window", "monthly_outlook_result", "read_forecast", "sidecar_path", "write_forecast",
    "infer_freq", "mase", "models_table", "month_coverage", "monthly_outlook", "naive_scale",
    "outlook_summary", "outlook_volume_path", "reconcile", "totals", "wape",
]
