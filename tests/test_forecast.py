"""Tests for toolkit.forecast on tiny hand-made tables (open-interval index, methods, API)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit import config
from toolkit import forecast as fc
from toolkit.errors import DataError, ParameterError

SLOTS = ["09:00", "09:30", "10:00", "10:30"]
PATTERN = np.array([2.0, 4.0, 6.0, 4.0])          # per slot
WEEKDAY = np.array([1.5, 1.2, 1.0, 1.0, 0.8])     # Mon-Fri multipliers


def weekday_history(start="2024-04-01", weeks=4, noise=False, tz=None, seed=0):
    """Mon-Fri, four half-hours a day; French public holidays (1 Apr, 1 May 2024...) absent."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, periods=7 * weeks, freq="D")
    days = days[days.day_of_week < 5]
    days = days[~days.isin(pd.DatetimeIndex(["2024-04-01", "2024-05-01", "2024-05-08",
                                             "2024-05-09", "2024-05-20"]))]
    rows = []
    for d in days:
        for s, base in zip(SLOTS, PATTERN, strict=True):
            mean = 10 * base * WEEKDAY[d.day_of_week]
            rows.append((d + pd.Timedelta(s + ":00"), rng.poisson(mean) if noise else mean))
    frame = pd.DataFrame(rows, columns=["ds", "calls"])
    if tz:
        frame["ds"] = frame["ds"].dt.tz_localize(tz)
    return frame.assign(queue="care")[["ds", "queue", "calls"]]


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fc.ForecastWarning)
        return fn(*args, **kwargs)


# --- metrics ---------------------------------------------------------------------------------

def test_metrics_hand_computed():
    actual, pred = [10, 20, 30], [12, 18, 30]
    assert fc.mase(actual, pred, scale=2.0) == pytest.approx((2 + 2 + 0) / 3 / 2)
    assert fc.wape(actual, pred) == pytest.approx(4 / 60)
    assert fc.coverage(actual, [9, 21, 25], [11, 25, 30]) == pytest.approx(2 / 3)
    with pytest.raises(ParameterError, match="scale"):
        fc.mase(actual, pred, scale=0)


def test_naive_scale_uses_one_week_of_open_intervals():
    hist = weekday_history(start="2024-04-08", weeks=2)   # deterministic: week 2 repeats week 1 exactly
    assert fc.naive_scale(hist)["care"] == pytest.approx(0.0)
    hist.loc[hist.index[-1], "calls"] += 20    # one error of 20 over 20 weekly differences
    assert fc.naive_scale(hist)["care"] == pytest.approx(20 / 20)


# --- forecast shape, calendar, baselines ----------------------------------------------------

def test_forecast_columns_open_intervals_only_and_holiday_closed():
    hist = weekday_history(start="2024-04-01", weeks=4)   # ends Fri 2024-04-26
    out = quiet(fc.forecast, hist, 4 * 6, method="snaive")
    assert list(out.columns) == fc.OUTPUT_COLUMNS
    assert len(out) == 24 and not out.isna().any().any()
    days = out["ds"].dt.normalize().unique()
    # Mon 29 Apr, Tue 30 Apr, (1 May closed: French holiday), Thu 2, Fri 3, Mon 6, Tue 7 May
    # (history shows the site closed on Easter Monday, 1 Apr: holidays are closures)
    assert [d.strftime("%m-%d") for d in days] == ["04-29", "04-30", "05-02", "05-03",
                                                   "05-06", "05-07"]
    assert set(out["ds"].dt.strftime("%H:%M")) == set(SLOTS)
    assert (out["yhat_lower_95"] <= out["yhat_lower_80"]).all()
    assert (out["yhat_lower_80"] <= out["yhat"]).all() and (out["yhat"] <= out["yhat_upper_80"]).all()
    assert (out["yhat_upper_80"] <= out["yhat_upper_95"]).all()


def test_snaive_and_same_slot_average_values():
    hist = weekday_history(weeks=5)           # Mondays 8, 15, 22, 29 Apr (1 Apr: holiday)
    # make the last Monday different so the two baselines differ: 4-week mean vs last Monday
    last_monday = hist["ds"].dt.normalize() == pd.Timestamp("2024-04-29")
    hist.loc[last_monday, "calls"] = hist.loc[last_monday, "calls"] + 40
    sn = quiet(fc.forecast, hist, 4, method="snaive")
    av = quiet(fc.forecast, hist, 4, method="same_slot_avg")
    monday = 10 * PATTERN * 1.5
    np.testing.assert_allclose(sn["yhat"], monday + 40)
    np.testing.assert_allclose(av["yhat"], monday + 10)     # (3 x m + (m + 40)) / 4


def test_topdown_recovers_a_regular_pattern_and_profiles_sum_to_one():
    hist = weekday_history(weeks=6)
    out = quiet(fc.forecast, hist, 4 * 5, method="topdown")
    expected = np.concatenate([10 * PATTERN * WEEKDAY[w] for w in range(5)])
    # 2024-05-13 is a Monday; a flat level and exact profiles reproduce the week
    np.testing.assert_allclose(out["yhat"], expected, rtol=0.02)
    tidy, step, _ = fc._prepare(hist, None, "FR")
    panel = fc._check_panel(fc.build_panel(tidy, step), "care")
    np.testing.assert_allclose(fc._svd_profiles(panel)[:5].sum(axis=1), 1.0)


@pytest.mark.parametrize("method", ["dhr", "auto"])
def test_model_methods_are_close_on_noisy_data(method):
    hist = weekday_history(weeks=8, noise=True)
    res = quiet(fc.forecast_result, hist, 4 * 5, method=method)
    out = res.frame
    expected = np.concatenate([10 * PATTERN * WEEKDAY[w] for w in range(5)])
    assert fc.wape(expected, out["yhat"]) < 0.15
    assert "inner_mase" in res.models["care"]
    assert not out.attrs                     # provenance lives in the result, not the table


def test_single_series_and_timezone_are_kept():
    hist = weekday_history(weeks=3, tz="Europe/Paris").drop(columns="queue")
    out = quiet(fc.forecast, hist.rename(columns={"calls": "y"}), 8, method="same_slot_avg")
    assert (out["queue"] == fc.SINGLE_SERIES).all()
    assert str(out["ds"].dt.tz) == "Europe/Paris"
    assert out["ds"].iloc[0] == pd.Timestamp("2024-04-22 09:00", tz="Europe/Paris")


def test_calendar_span_horizon_and_coarser_freq():
    hist = weekday_history(weeks=3)              # ends Fri 2024-04-19
    out = quiet(fc.forecast, hist, "7D", method="snaive")
    assert len(out) == 5 * 4                     # one calendar week: 5 open days x 4 slots
    hourly = quiet(fc.forecast, hist, 4, freq="h", method="snaive")
    assert list(hourly["ds"].dt.strftime("%H:%M")[:2]) == ["09:00", "10:00"]
    assert hourly["yhat"].iloc[0] == pytest.approx(10 * 1.5 * (2 + 4))


def test_explicit_future_opening_plan():
    hist = weekday_history(weeks=3)
    plan = pd.date_range("2024-04-22 09:00", periods=6, freq="30min")  # 2 slots beyond hours
    out = quiet(fc.forecast, hist, 6, method="snaive", future_ds=plan)
    assert len(out) == 6
    np.testing.assert_allclose(out["yhat"].iloc[:4], 10 * PATTERN * 1.5)
    assert (out["yhat"].iloc[4:] == 0).all()     # outside learnt hours: no invented demand


# --- bad input ----------------------------------------------------------------------------

def test_bad_columns_negative_counts_duplicates_method():
    with pytest.raises(DataError, match="ds, queue, calls"):
        fc.forecast(pd.DataFrame({"when": [1], "n": [2]}), 3)
    hist = weekday_history(weeks=2)
    bad = hist.copy()
    bad.loc[5, "calls"] = -3
    with pytest.raises(DataError, match=r"row 7.*calls"):
        fc.forecast(bad, 3)
    with pytest.raises(DataError, match="duplicate"):
        fc.forecast(pd.concat([hist, hist.iloc[:1]]), 3)
    with pytest.raises(ParameterError, match="method"):
        fc.forecast(hist, 3, method="prophet")
    with pytest.raises(ParameterError, match="horizon"):
        fc.forecast(hist, 0)
    with pytest.raises(ParameterError, match="levels"):
        fc.forecast(hist, 3, levels=(80, 120))


def test_too_short_history_falls_back_with_warning():
    hist = weekday_history(weeks=1).iloc[: 3 * 4]            # three open days
    with pytest.warns(fc.ForecastWarning, match="weekly seasonality cannot be estimated"):
        out = fc.forecast(hist, 8)
    assert not out.isna().any().any() and len(out) == 8


def test_all_zero_history_gives_zero_forecast_with_warning():
    hist = weekday_history(weeks=3).assign(calls=0)
    with pytest.warns(fc.ForecastWarning, match="no calls at all"):
        out = fc.forecast(hist, 8)
    assert (out.drop(columns=["ds", "queue"]).to_numpy() == 0).all()


def test_gaps_are_missing_not_zero_and_announced():
    hist = weekday_history(weeks=4)
    hist.loc[hist.index[-3:], "calls"] = np.nan          # three empty counts on Friday
    with pytest.warns(fc.ForecastWarning, match="3 open interval"):
        out = fc.forecast(hist, 4 * 5, method="same_slot_avg")
    assert not out.isna().any().any()
    friday = out[out["ds"].dt.day_of_week == 4]["yhat"].to_numpy()
    np.testing.assert_allclose(friday, 10 * PATTERN * 0.8)   # not pulled towards zero


def test_long_horizon_is_announced():
    hist = weekday_history(weeks=4, noise=True)
    with pytest.warns(fc.ForecastWarning, match="longer than the history"):
        out = fc.forecast(hist, "120D", method="topdown")
    assert not out.isna().any().any()
    assert out["ds"].max() <= pd.Timestamp("2024-04-26") + pd.Timedelta(days=120)


def test_weekly_history_is_rejected_with_advice():
    weekly = pd.DataFrame({"ds": pd.date_range("2024-01-07", periods=20, freq="W"),
                           "y": 100.0})
    with pytest.raises(DataError, match="aggregate"):
        fc.forecast(weekly, 4)


# --- aggregate, reconcile, backtest, batch ------------------------------------------------

def test_aggregate_sums_and_combines_intervals():
    ds = pd.to_datetime(["2024-05-06 09:00", "2024-05-06 09:30", "2024-05-07 09:00"])
    f = pd.DataFrame({"ds": ds, "queue": "q", "yhat": [10.0, 20.0, 30.0],
                      "yhat_lower_80": [8.0, 17.0, 26.0], "yhat_upper_80": [12.0, 23.0, 34.0]})
    with pytest.warns(fc.ForecastWarning, match="no error correlation"):
        daily = fc.aggregate(f, "D")              # none given: fully dependent (rho = 1), said
    np.testing.assert_allclose(daily["yhat"], [30, 30])
    np.testing.assert_allclose(daily["yhat_lower_80"], [25, 26])   # half-widths add
    indep = fc.aggregate(f, "D", correlation={"intraday": 0.0, "days": 0.0})
    assert indep["yhat_upper_80"].iloc[0] == pytest.approx(30 + np.sqrt(2 ** 2 + 3 ** 2))
    monthly = fc.aggregate(f, "ME", correlation={"intraday": 1.0, "days": 0.0})
    assert monthly["yhat"].iloc[0] == 60
    # across days: root of summed squares, sqrt(5^2 + 4^2)
    assert monthly["yhat_upper_80"].iloc[0] == pytest.approx(60 + np.sqrt(41))
    with pytest.raises(ParameterError, match="correlation"):
        fc.aggregate(f, "D", correlation=0.5)


def test_forecast_stores_error_correlations_for_aggregation():
    hist = weekday_history(weeks=8, noise=True)
    res = quiet(fc.forecast_result, hist, 20, method="topdown")
    out = res.frame
    rho = res.correlation()["care"]
    assert 0 <= rho["intraday"] <= 1 and 0 <= rho["days"] <= 1
    daily = fc.aggregate(res, "D")               # the result brings its own correlations
    assert (daily["yhat_upper_95"] >= daily["yhat"]).all()
    np.testing.assert_allclose(daily["yhat"].sum(), out["yhat"].sum())
    explicit = fc.aggregate(out, "D", correlation=res.correlation())
    pd.testing.assert_frame_equal(daily, explicit)
    # a merge keeps nothing hidden: the same table merged still aggregates the same way
    merged = out.merge(out[["ds", "queue"]].assign(tag=1), on=["ds", "queue"]).drop(columns="tag")
    pd.testing.assert_frame_equal(fc.aggregate(merged, "D", correlation=res.correlation()),
                                  explicit)


def test_forecast_result_round_trips_through_parquet_and_sidecar(tmp_path):
    import json
    import stat

    hist = weekday_history(weeks=8, noise=True)
    res = quiet(fc.forecast_result, hist, 20, method="topdown")
    path = fc.write_forecast(res, tmp_path / "forecast.parquet")
    side = tmp_path / "forecast.meta.json"
    assert fc.sidecar_path(path) == side and side.exists()
    meta = json.loads(side.read_text(encoding="utf-8"))
    assert meta["models"]["care"]["method"] == res.models["care"]["method"]
    assert meta["info"]["kind"] == "forecast" and meta["info"]["levels"] == [80, 95]
    assert stat.S_IMODE(side.stat().st_mode) == 0o644
    back = fc.read_forecast(path)
    pd.testing.assert_frame_equal(back.frame, res.frame)
    assert back.correlation()["care"] == pytest.approx(res.correlation()["care"])
    assert back.models_table().equals(fc.models_table(res))
    # a bare table needs the result it came from; a file without sidecar has no models
    with pytest.raises(ParameterError, match="provenance"):
        fc.write_forecast(res.frame, tmp_path / "bare.parquet")
    from toolkit import io
    io.write_processed(res.frame, tmp_path / "old.parquet")
    old = fc.read_forecast(tmp_path / "old.parquet")
    assert old.models == {} and old.info["sidecar"] is None
    with pytest.raises(ParameterError, match="ForecastResult"):
        fc.models_table(res.frame)


def test_reconcile_moves_noisier_queue_more():
    ds = pd.to_datetime(["2024-05-06 09:00"] * 3)
    f = pd.DataFrame({"ds": ds, "queue": ["a", "b", "total"], "yhat": [10.0, 20.0, 36.0],
                      "yhat_lower_95": [9.0, 18.0, 35.0], "yhat_upper_95": [11.0, 22.0, 37.0]})
    out = fc.reconcile(f).set_index("queue")
    # variances 1, 4, 1: gap 6 shared 1/6 and 4/6
    assert out.loc["a", "yhat"] == pytest.approx(11.0)
    assert out.loc["b", "yhat"] == pytest.approx(24.0)
    assert out.loc["total", "yhat"] == pytest.approx(35.0)


def test_backtest_rows_and_summary():
    hist = weekday_history(weeks=6, noise=True)
    bt = quiet(fc.backtest, hist, 8, origins=2, step_days=2, method=["snaive", "topdown"])
    assert set(bt["method"]) == {"snaive", "topdown"}
    assert len(bt) == 2 * 2 * 8
    assert bt.groupby(["method", "origin"]).size().eq(8).all()
    summary = fc.backtest_summary(bt, horizons_days=[1, 2])
    assert set(summary.columns) >= {"method", "horizon_days", "mase", "wape", "cov80", "cov95"}
    assert (summary["mase"] > 0).all()
    with pytest.raises(ParameterError, match="origins"):
        fc.backtest(hist, 8, origins=40)


def test_forecast_many_matches_forecast():
    a = weekday_history(weeks=4)
    b = weekday_history(weeks=4).assign(queue="sales", calls=lambda d: d["calls"] * 2)
    both = pd.concat([a, b], ignore_index=True)
    many = quiet(fc.forecast_many, both, 8, method="snaive", executor="serial",
                 progress=False)
    one = quiet(fc.forecast, both, 8, method="snaive")
    pd.testing.assert_frame_equal(many.frame.reset_index(drop=True), one.reset_index(drop=True))
    assert set(many.models) == {"care", "sales"}


# --- real data (skipped when the shared folder is absent) -----------------------------------

_SHARED = [Path(config.ROOT).parent / "shared", Path(config.ROOT).parent.parent / "shared"]
BANK = next((p for p in _SHARED if p.is_dir()), _SHARED[0]) / "data" / "us_bank_5min" / "data.csv"


def test_topdown_beats_weekly_naive_on_bank_data():
    if not BANK.exists():
        pytest.skip("shared bank data not available")
    raw = pd.read_csv(BANK, parse_dates=["ds"])
    bt = quiet(fc.backtest, raw, 57, origins=2, step_days=3, method=["snaive", "topdown"],
               freq="15min", country="US", n_inner=4)
    summary = fc.backtest_summary(bt).set_index("method")
    assert summary.loc["topdown", "mase"] < summary.loc["snaive", "mase"]


def test_daily_weekly_monthly_outputs():
    hist = weekday_history(weeks=6, noise=True)           # ends Fri 2024-05-10
    days = quiet(fc.forecast, hist, 5, freq="D", method="topdown")
    assert len(days) == 5 and (days["ds"].dt.hour == 0).all()
    # 13 May (Mon) ... 17 May (Fri); 20 May is Whit Monday (closed) -> not in the first five
    assert days["ds"].iloc[0] == pd.Timestamp("2024-05-13")
    weeks = quiet(fc.forecast, hist, 2, freq="W", method="topdown")
    assert list(weeks["ds"].dt.strftime("%m-%d")) == ["05-13", "05-20"]   # week starts
    np.testing.assert_allclose(weeks["yhat"].iloc[0], days["yhat"].sum(), rtol=1e-6)
    months = quiet(fc.forecast, hist, 2, freq="ME", method="topdown")
    assert list(months["ds"].dt.strftime("%Y-%m")) == ["2024-05", "2024-06"]
    assert not months.isna().any().any()
    with pytest.raises(ParameterError, match="freq"):
        fc.forecast(hist, 3, freq="7min")


def test_round_the_clock_site_across_dst_changes():
    # 24/7 hourly site in Paris around the autumn (27 Oct 2024) DST change
    ds = pd.date_range("2024-09-30", "2024-10-31 23:00", freq="h", tz="Europe/Paris")
    hist = pd.DataFrame({"ds": ds, "queue": "night", "calls": 5.0})
    out = quiet(fc.forecast, hist, "7D", method="snaive", country=None)
    assert not out.isna().any().any()
    assert out["ds"].is_unique and str(out["ds"].dt.tz) == "Europe/Paris"
    assert len(out) == 7 * 24
    np.testing.assert_allclose(out["yhat"], 5.0)


def test_irregular_opening_hours_by_weekday():
    hist = weekday_history(weeks=4)
    saturdays = pd.date_range("2024-04-06", periods=3, freq="7D")   # Sat 09:00-10:00 only
    sat = pd.DataFrame({"ds": [d + pd.Timedelta(t) for d in saturdays
                               for t in ("09:00:00", "09:30:00")],
                        "queue": "care", "calls": 7.0})
    hist = pd.concat([hist, sat], ignore_index=True)
    out = quiet(fc.forecast, hist, "7D", method="snaive")   # Sat 27 Apr .. Fri 3 May
    sat_out = out[out["ds"].dt.day_of_week == 5]
    assert list(sat_out["ds"].dt.strftime("%H:%M")) == ["09:00", "09:30"]
    np.testing.assert_allclose(sat_out["yhat"], 7.0)
    assert (out["ds"].dt.day_of_week != 6).all()                # Sundays stay closed
    assert len(out) == 4 * 4 + 2                                 # Mon-Thu (1 May closed) + Sat


def test_long_horizon_follows_the_annual_cycle_after_400_days():
    days = pd.date_range("2023-01-02", "2024-04-30", freq="D")        # 485 days, Mon-Fri
    days = days[days.day_of_week < 5]
    level = 1000 * (1 + 0.3 * np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 15) / 365.25))
    hist = pd.DataFrame({"ds": days, "y": level})
    daily = quiet(fc.forecast, hist, 200, freq="D", method="topdown", country=None)
    per_day = daily.groupby(daily["ds"].dt.month)["yhat"].mean()
    # truth: ~880 in May, ~700 in July, ~1290 in January; a flat level would miss both turns
    assert per_day.loc[7] < 0.9 * per_day.loc[5]
    assert per_day.loc[1] > 1.3 * per_day.loc[7]
    assert per_day.loc[7] == pytest.approx(700, rel=0.08)


def test_dhr_mle_fits_by_statsmodels_and_stays_out_of_auto():
    hist = weekday_history(weeks=8, noise=True)
    mle_res = quiet(fc.forecast_result, hist, 4 * 5, method="dhr_mle", n_inner=3)
    mle = mle_res.frame
    two_step = quiet(fc.forecast, hist, 4 * 5, method="dhr", n_inner=3)
    expected = np.concatenate([10 * PATTERN * WEEKDAY[w] for w in range(5)])
    assert fc.wape(expected, mle["yhat"]) < 0.15
    # same regression, another estimator of it: the two point forecasts nearly agree
    assert fc.wape(two_step["yhat"], mle["yhat"]) < 0.05
    assert mle_res.models["care"]["method"] == "dhr_mle"
    auto = quiet(fc.forecast_result, hist, 4, method="auto", n_inner=3)
    assert set(auto.models["care"]["inner_mase"]) == set(fc.METHODS)
    # compared on the same origins as the others (the shared inner-backtest cache skips it)
    bt = fc.backtest(hist, 4, origins=1, method=["dhr", "dhr_mle"], n_inner=2)
    assert set(bt["method"]) == {"dhr", "dhr_mle"} and bt["yhat"].notna().all()


def test_daily_components_by_stl_on_open_weekdays():
    days = pd.date_range("2024-04-01", periods=42, freq="D")
    days = days[days.day_of_week < 5]                      # Mon-Fri, 6 weeks
    level = 100 + np.arange(len(days))                      # linear trend, +1 call a day
    calls = level + np.array([30.0, 10, 0, -10, -30])[days.day_of_week]
    keep = days != pd.Timestamp("2024-05-01")               # a holiday (Wednesday) closed
    parts = fc.daily_components(pd.DataFrame({"ds": days[keep], "calls": calls[keep]}))
    assert len(parts) == len(days)                          # the holiday is back on the grid
    hol = parts["ds"] == pd.Timestamp("2024-05-01")
    assert parts.loc[hol, "imputed"].all() and parts.loc[hol, "calls"].isna().all()
    assert parts["annual"].isna().all()                     # far less than two years
    obs = ~parts["imputed"]
    total = parts[["trend", "weekly", "remainder"]].sum(axis=1)
    np.testing.assert_allclose(total[obs], parts.loc[obs, "calls"])
    monday = parts["ds"].dt.day_of_week == 0
    friday = parts["ds"].dt.day_of_week == 4
    assert parts.loc[monday, "weekly"].mean() - parts.loc[friday, "weekly"].mean() \
        == pytest.approx(60, abs=6)
    with pytest.raises(DataError, match="open days"):
        fc.daily_components(pd.DataFrame({"ds": days[:8], "calls": calls[:8]}))


def test_interval_quantiles_pool_scaled_residuals_with_the_n_plus_1_rule():
    z = np.array([5.0, 1, 9, 3, 7, 2, 8, 4, 6])          # n = 9
    assert fc._conformal_pair(z, 0.10) == (1.0, 9.0)     # floor(10 x .1) = 1st, ceil(9) = 9th
    assert fc._conformal_pair(z, 0.25) == (2.0, 8.0)     # floor(2.5) = 2nd, ceil(7.5) = 8th
    rng = np.random.default_rng(1)
    yhat = np.full(400, 50.0)
    h = np.repeat([1, 2], 200)                            # two horizon buckets
    actual = yhat + rng.normal(0, np.where(h == 1, 5.0, 10.0))
    cal = fc._calibrate(yhat, actual, h, (80,))
    assert cal.q[(0, 80)] == cal.q[(1, 80)]                # one shared shape...
    sd1, sd2 = cal.sd(np.array([50.0, 50.0]), np.array([1, 2]))
    assert sd2 / sd1 == pytest.approx(2.0, rel=0.2)       # ...with a horizon-specific scale


def test_forecast_reconciled_single_queue_named_total_and_several_queues():
    one = weekday_history(weeks=4).assign(queue="total")
    base, rec, out = quiet(fc.forecast_reconciled, one, 8, method="snaive")
    assert set(out["queue"]) == {"total"} and len(out) == 8
    two = pd.concat([weekday_history(weeks=4), weekday_history(weeks=4).assign(queue="sales")])
    base, rec, out = quiet(fc.forecast_reconciled, two, 8, method="snaive")
    assert set(out["queue"]) == {"care", "sales"} and "total" in set(rec["queue"])
    assert set(fc.models_table(base)["queue"]) == {"care", "sales", "total"}
    both = quiet(fc.forecast_reconciled, two, 8, method="snaive")
    assert both.correlation() == base.correlation()
    assert both.result().frame is both.fc and both.result().info["reconciled"]
    with pytest.raises(ParameterError, match="total"):
        quiet(fc.forecast_reconciled, pd.concat([two, one]), 8, method="snaive")
    with pytest.raises(ParameterError, match="rename that queue") as err:
        quiet(fc.forecast_reconciled, pd.concat([two, one]), 8, method="snaive")
    assert "'care', 'sales'" in str(err.value) and "total='all_queues'" in str(err.value)
    base, rec, out = quiet(fc.forecast_reconciled, pd.concat([two, one]), 8, method="snaive",
                           total="all_queues")
    assert "all_queues" in set(rec["queue"]) and "total" in set(out["queue"])


def test_add_total_refuses_a_queue_with_the_reserved_name():
    one = weekday_history(weeks=2).assign(queue="total")
    with pytest.raises(ParameterError, match="only queue called 'total'") as err:
        fc.add_total(one)
    assert "name" in str(err.value) and "rename that queue" in str(err.value)
    both = fc.add_total(one, name="sum")
    assert set(both["queue"]) == {"total", "sum"}


# --- suite-driven methods (issue 12): day model, day types, choice per horizon -----------------

def daily_table(start, end, rate_fn, country="FR", weekdays=range(5)):
    """Deterministic daily totals on the open days of ``country``'s calendar."""
    from toolkit import calendars

    table = calendars.day_table(country, start, end, open_weekdays=weekdays, patterns=[])
    days = pd.DatetimeIndex(table.loc[table["open"], "date"])
    return pd.DataFrame({"ds": days, "queue": "q", "calls": rate_fn(days)})


def test_day_model_learns_the_annual_cycle_and_the_day_before_a_holiday():
    def rate(days):
        annual = 1 + 0.3 * np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 15) / 365.25)
        hol = pd.DatetimeIndex(sorted(fc._holidays("FR", 2021, 2025)))
        nxt = np.array([d + pd.Timedelta(days=3 if d.day_of_week == 4 else 1) for d in days])
        before = pd.DatetimeIndex(nxt).isin(hol)
        return 1000 * annual * np.where(before, 1.2, 1.0)

    hist = daily_table("2021-06-01", "2024-06-28", rate)
    out = quiet(fc.forecast, hist, 80, method="topdown")     # July .. mid-October 2024
    days = pd.DatetimeIndex(out["ds"])
    np.testing.assert_allclose(out["yhat"], rate(days), rtol=0.04)
    # Friday 2024-11-01 is a holiday: Thursday 31 October carries the +20 % pre-holiday effect
    out = quiet(fc.forecast, hist, 110, method="topdown").set_index("ds")["yhat"]
    assert out[pd.Timestamp("2024-10-31")] / out[pd.Timestamp("2024-10-30")] == \
        pytest.approx(1.2, rel=0.05)


def test_day_model_takes_ramadan_from_the_site_calendar():
    from toolkit import calendars

    win = calendars.ramadan_windows("MA", range(2022, 2026))

    def rate(days):
        inside = np.zeros(len(days), bool)
        for r in win.itertuples():
            inside |= (days >= r.start) & (days <= r.end)
        return np.where(inside, 750.0, 1000.0)

    # two years up to mid-February 2025; Ramadan 2025 starts around 1 March
    hist = daily_table("2023-02-01", "2025-02-14", rate, country="MA", weekdays=range(6))
    out = quiet(fc.forecast, hist, 30, method="topdown", country="MA")
    days = pd.DatetimeIndex(out["ds"])
    np.testing.assert_allclose(out["yhat"], rate(days), rtol=0.04)
    assert (rate(days) == 750).sum() >= 10     # the test does cover Ramadan days


def test_half_days_are_closed_at_their_edges_and_kept_out_of_the_weekday_shares():
    hist = weekday_history(weeks=8)                       # 09:00-10:30 every weekday
    fridays = hist["ds"].dt.day_of_week == 4
    early = hist["ds"].dt.strftime("%H:%M").isin(["10:00", "10:30"])
    half = fridays & (hist["ds"].dt.day.isin([3, 10]))    # two Friday half-days (May)
    hist = hist[~(half & early)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", fc.ForecastWarning)   # no "missing count" warning
        tidy, step, _ = fc._prepare(hist, None, "FR")
        panel = fc._check_panel(fc.build_panel(tidy, step), "care")
    half_rows = panel.dates.isin(pd.DatetimeIndex(["2024-05-03", "2024-05-10"]))
    assert np.isnan(panel.filled[half_rows][:, 2:]).all()    # closed, not imputed
    friday = fc._svd_profiles(panel)[4]
    np.testing.assert_allclose(friday, PATTERN / PATTERN.sum(), atol=1e-9)


def test_auto_chooses_per_horizon_bucket_and_averages_ties():
    h = np.repeat(np.arange(1, 11), 40)
    actual = np.full(len(h), 10.0)
    near = np.where(h == 1, 10.0, 14.0)        # right tomorrow, wrong later
    far = np.where(h == 1, 14.0, 10.5)         # the opposite
    chosen, pred = fc._choose_by_horizon({"near": near, "far": far}, actual,
                                         np.ones(len(h)), h)
    assert chosen[0] == {"near": 1.0} and chosen[1] == {"far": 1.0}
    np.testing.assert_allclose(pred[h == 1], 10.0)
    # two candidates with the same inner error: their plain mean, not one of them
    a, b = actual + np.tile([1.0, -1.0], len(h) // 2), actual - np.tile([1.0, -1.0], len(h) // 2)
    w, _ = fc._choose_combination({"a": a, "b": b}, actual, np.ones(len(h)),
                                  {"a": 1.0, "b": 1.0})
    assert w == {"a": 0.5, "b": 0.5}


def ramadan_site(start, end):
    """30-min, Mon-Sat 08:00-20:00, 10 calls per half-hour; Ramadan days (Moroccan calendar)
    09:00-16:00 with the day's calls compressed: 16 per half-hour, 24 at 12:00-13:00."""
    from toolkit import calendars

    table = calendars.day_table("MA", start, end, open_weekdays=range(6))
    rows = []
    for r in table[table["open"]].itertuples():
        ramadan = "Ramadan" in r.pattern
        slots = pd.date_range(r.date + pd.Timedelta(r.opens + ":00"),
                              r.date + pd.Timedelta(r.closes + ":00"), freq="30min")[:-1]
        for s in slots:
            calls = (24.0 if s.hour == 12 else 16.0) if ramadan else 10.0
            rows.append((s, calls))
    return pd.DataFrame(rows, columns=["ds", "calls"]).assign(queue="ma")


def test_ramadan_days_are_a_day_type_with_their_own_hours_and_shares():
    hist = ramadan_site("2023-01-02", "2025-02-20")       # Ramadan 2025 starts around 1 March
    out = quiet(fc.forecast, hist, "21D", method="topdown", country="MA")
    day = out["ds"].dt.normalize()
    ramadan = fc.Panel.day_type(fc.build_panel(fc._as_tidy(hist), pd.Timedelta("30min"),
                                               country="MA"), pd.DatetimeIndex(day)) == 1
    assert ramadan.any() and (~ramadan).any()
    hours = out["ds"].dt.hour
    assert hours[ramadan].min() == 9 and hours[ramadan].max() == 15     # 09:00-16:00
    assert hours[~ramadan].min() == 8 and hours[~ramadan].max() == 19   # usual hours
    r = out[ramadan]
    noon = r["ds"].dt.hour == 12
    np.testing.assert_allclose(r.loc[noon, "yhat"].mean() / r.loc[~noon, "yhat"].mean(),
                               24 / 16, rtol=0.03)
    np.testing.assert_allclose(out.loc[~ramadan, "yhat"], 10.0, rtol=0.05)
    # a history that ends inside Ramadan keeps the usual hours for the days after it
    inside = ramadan_site("2023-01-02", "2025-03-20")
    after = quiet(fc.forecast, inside, "21D", method="same_slot_avg", country="MA")
    late = after[after["ds"] >= pd.Timestamp("2025-04-07")]
    assert len(late) and late["ds"].dt.hour.min() == 8 and late["ds"].dt.hour.max() == 19
    np.testing.assert_allclose(late["yhat"], 10.0)


def test_auto_keeps_the_four_week_average_when_it_wins_the_inner_backtest():
    # The robust baseline is a candidate of ``auto`` in every horizon bucket: when it wins
    # the inner backtest clearly, it is chosen alone (no blend with worse candidates).
    h = np.repeat(np.arange(1, 29), 40)
    actual = np.full(len(h), 10.0)
    wiggle = np.tile([0.5, -0.5], len(h) // 2)
    preds = {"same_slot_avg": actual + 0.3,
             "snaive": actual + 1.0 + 2 * wiggle,      # noisier and biased
             "dhr": actual + 3.0,                       # biased the same way: blends add bias
             "topdown": actual + 2.5 + wiggle}
    chosen, pred = fc._choose_by_horizon(preds, actual, np.ones(len(h)), h)
    assert all(w == {"same_slot_avg": 1.0} for w in chosen.values())
    np.testing.assert_allclose(pred, preds["same_slot_avg"])


def test_auto_on_a_tiny_history_gives_valid_weights_and_intervals():
    hist = weekday_history(weeks=3, noise=True)                # 14 open days
    res = quiet(fc.forecast_result, hist, 3)
    info = res.models["care"]
    assert set(info["weights"]) <= set(fc.METHODS)
    assert sum(info["weights"].values()) == pytest.approx(1.0, abs=1e-3)
    out = res.frame
    assert np.isfinite(out["yhat"]).all() and (out["yhat"] >= 0).all()
    assert (out["yhat_lower_80"] <= out["yhat"]).all()
    assert (out["yhat"] <= out["yhat_upper_80"]).all()
    assert (out["yhat_upper_80"] <= out["yhat_upper_95"]).all()
