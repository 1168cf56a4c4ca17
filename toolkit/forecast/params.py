"""Every tunable number of the forecast, named in one place: method lists, history and horizon
thresholds, smoothing grids, interval and selection buckets."""

from __future__ import annotations

import numpy as np

METHODS = ("snaive", "same_slot_avg", "dhr", "topdown")
#: Methods offered on request but not among ``auto``'s candidates (cost, see module doc).
SLOW_METHODS = ("dhr_mle",)
ALL_METHODS = (*METHODS, *SLOW_METHODS, "auto")
#: Queue label given to a single series passed as ``ds, y``.
SINGLE_SERIES = "series"
#: Output columns other parts rely on (DESIGN), for the default levels.
OUTPUT_COLUMNS = ["ds", "queue", "yhat", "yhat_lower_80", "yhat_upper_80",
                  "yhat_lower_95", "yhat_upper_95"]
#: Days of history below which weekly seasonality cannot be estimated.
MIN_DAYS_WEEKLY = 7
#: Calendar days of history from which the day model may estimate the annual cycle (for
#: horizons beyond LONG_HORIZON_DAYS open days; from 730 days it always does).
MIN_DAYS_ANNUAL = 400
LONG_HORIZON_DAYS = 60
#: Open days of history the exact-MLE DHR is fitted on (its cost grows with the length).
DHR_MLE_MAX_DAYS = 120
#: Open days of training an inner backtest origin needs (two weeks of every weekday).
MIN_INNER_TRAIN_DAYS = 10
#: Inner backtest origins used for model selection and interval calibration.
DEFAULT_INNER_ORIGINS = 20
#: Horizon buckets (open days ahead, bucket upper bounds) for interval calibration.
_BUCKET_EDGES = (1, 2, 3, 5, 8, 13, 21, 34, 55, 10**6)
#: Level (alpha) and weekday-state (gamma) smoothing weights the day model's grid search tries.
_ALPHAS = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6])
_GAMMAS = np.array([0.0, 0.03, 0.1, 0.2])
#: Annual Fourier orders the day model chooses from (by BIC) with two years of history.
_ANNUAL_ORDERS = (2, 4, 6, 8, 10)
#: Horizon buckets (open days ahead, upper bounds) in which ``auto`` chooses separately:
#: the next day, the first week, the first month, beyond.
_SELECT_EDGES = (1, 7, 28)
_SELECT_LABELS = {0: "1 d", 1: "2-7 d", 2: "8-28 d", 3: "> 28 d"}
#: Inner-backtest errors a bucket needs to choose on its own (else: the nearest bucket's).
_MIN_SELECT_ROWS = 30
#: Candidates whose inner MASE is within this share of the best one tie.
TIE_TOLERANCE = 0.03
