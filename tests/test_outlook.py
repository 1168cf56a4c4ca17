"""Tests for the long-horizon monthly outlook (toolkit.outlook, via toolkit.forecast)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from toolkit import calendars
from toolkit import forecast as fc
from toolkit.errors import DataError, ParameterError

SEASON = np.array([1.20, 1.15, 1.05, 0.95, 0.90, 0.85, 0.80, 0.75, 1.00, 1.05, 1.10, 1.20])


def daily_history(start="2023-11-01", end="2026-10-31", *, level=1000.0, growth=0.0,
                  season=None, noise=0.0, queue="care", seed=0, country="FR"):
    """Calls per open day (Mon-Sat, French holidays closed) = level x growth^t x season.

    ``growth`` is per year (0.10 = +10 %), applied monthly on the log scale; ``noise`` is the
    sd of a lognormal monthly shock (one per month, shared by its days).
    """
    rng = np.random.default_rng(seed)
    table = calendars.day_table(country, start, end, open_weekdays=range(6), patterns=[])
    days = table.loc[table["open"], "date"]
    month = days.dt.to_period("M")
    t = np.asarray([(m - month.iloc[0]).n for m in month], float)
    shock = {m: rng.normal(0, noise) for m in month.unique()}
    rate = level * np.exp(np.log1p(growth) * t / 12)
    if season is not None:
        rate = rate * season[days.dt.month.to_numpy() - 1]
    rate = rate * np.exp(np.asarray([shock[m] for m in month]))
    ds = days.dt.tz_localize("Europe/Paris")
    return pd.DataFrame({"ds": ds.to_numpy(), "queue": queue, "calls": rate})


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fc.ForecastWarning)
        return fn(*args, **kwargs)


def rows(out, scenario="base", queue="total"):
    return out[(out["scenario"] == scenario) & (out["queue"] == queue)].reset_index(drop=True)


def test_known_trend_and_month_pattern_are_recovered():
    hist = daily_history(growth=0.10, season=SEASON)
    res = quiet(fc.monthly_outlook_result, hist, 24, trend="linear")
    out, info = res.frame, res.models["total"]
    assert info["seasonal"] and info["growth_per_year"] == pytest.approx(0.10, abs=1e-6)
    base = rows(out)
    t = np.asarray([(m - pd.Period("2023-11", "M")).n for m in base["month"]], float)
    true_rate = 1000 * 1.10 ** (t / 12) * SEASON[base["month"].dt.month - 1]
    np.testing.assert_allclose(base["calls_per_open_day"], true_rate, rtol=1e-6)
    # the history rows give the actual totals back
    hist_rows = rows(out, "history")
    assert hist_rows["yhat"].sum() == pytest.approx(hist["calls"].sum())


def test_damped_trend_grows_less_than_linear_but_still_grows():
    hist = daily_history(growth=0.10, season=SEASON)
    lin = rows(quiet(fc.monthly_outlook, hist, 60, trend="linear"))
    damp = rows(quiet(fc.monthly_outlook, hist, 60))
    ratio = damp["yhat"] / lin["yhat"]
    assert ratio.iloc[0] == pytest.approx(1.0, abs=0.01)
    assert ratio.iloc[-1] < 0.9 and (np.diff(ratio) <= 1e-12).all()
    assert damp["calls_per_open_day"].iloc[-12:].mean() > damp["calls_per_open_day"].iloc[:12].mean()


def test_month_with_two_more_holidays_gets_proportionally_fewer_calls():
    hist = daily_history()          # flat: 1,000 calls per open day
    base = rows(quiet(fc.monthly_outlook, hist, 24))
    per_day = base["yhat"] / base["open_days"]
    np.testing.assert_allclose(per_day, per_day.iloc[0], rtol=1e-6)
    may = base[base["month"] == pd.Period("2027-05", "M")].iloc[0]    # 4 holidays on Mon-Sat
    june = base[base["month"] == pd.Period("2027-06", "M")].iloc[0]   # none
    assert may["open_days"] == june["open_days"] - 4
    assert may["yhat"] / june["yhat"] == pytest.approx(may["open_days"] / june["open_days"])
    # the same month in a country with other holidays: open days from that calendar
    assert calendars.open_days("FR", "2027-05-01", "2027-05-31") == may["open_days"]


def test_saturday_weight_keeps_five_saturday_months_from_looking_busier():
    hist = daily_history()
    hist.loc[pd.DatetimeIndex(hist["ds"]).day_of_week == 5, "calls"] *= 0.5
    base = rows(quiet(fc.monthly_outlook, hist, 24))
    # expected total: 1,000 x weekdays + 500 x Saturdays of each month
    table = calendars.day_table("FR", "2026-11-01", "2028-10-31", patterns=[])
    table = table[table["open"]]
    expected = table.groupby(table["date"].dt.to_period("M"))["weekday"].agg(
        lambda w: 1000 * (w < 5).sum() + 500 * (w == 5).sum())
    np.testing.assert_allclose(base["yhat"], expected.to_numpy(), rtol=1e-6)


def test_intervals_widen_with_horizon_and_contain_the_base():
    hist = daily_history(growth=0.05, season=SEASON, noise=0.04, seed=3)
    base = rows(quiet(fc.monthly_outlook, hist, 60))
    log_width = np.log(base["yhat_upper_80"]) - np.log(base["yhat_lower_80"])
    # with whole years of history the width steps up once a year (each month-of-year
    # effect sits at the same distance from its data within a future year): compare each
    # month with the same month a year earlier, and the yearly means
    assert (log_width.to_numpy()[12:] >= log_width.to_numpy()[:-12] - 1e-12).all()
    yearly = log_width.groupby(base["month"].dt.year).mean()
    assert (np.diff(yearly) > 0).all() and log_width.iloc[-1] > 1.3 * log_width.iloc[0]
    assert (base["yhat_lower_95"] < base["yhat_lower_80"]).all()
    assert ((base["yhat_lower_80"] < base["yhat"]) & (base["yhat"] < base["yhat_upper_80"])).all()
    low, high = rows(quiet(fc.monthly_outlook, hist, 60), "low"), rows(
        quiet(fc.monthly_outlook, hist, 60), "high")
    np.testing.assert_allclose(low["yhat"], base["yhat_lower_80"])
    np.testing.assert_allclose(high["yhat"], base["yhat_upper_80"])


def test_flat_and_declining_series():
    flat = rows(quiet(fc.monthly_outlook, daily_history(noise=0.03, seed=1), 60))
    per_day = flat["yhat"] / flat["open_days"]
    assert per_day.iloc[-1] == pytest.approx(1000, rel=0.15)
    assert (flat["yhat_lower_80"] / flat["open_days"] < 1000).all()
    assert (flat["yhat_upper_80"] / flat["open_days"] > 1000).all()
    hist = daily_history(growth=-0.15, season=SEASON, noise=0.03, seed=2)
    res = quiet(fc.monthly_outlook_result, hist, 60)
    down = rows(res.frame)
    assert res.models["total"]["growth_per_year"] == pytest.approx(-0.15, abs=0.05)
    yearly = down.groupby(down["month"].dt.year)["yhat"].sum()
    assert yearly.loc[2028] < yearly.loc[2027] and (down["yhat_lower_95"] > 0).all()
    # damped: the decline slows, it does not run to zero
    last_year = down["calls_per_open_day"].iloc[-12:].mean()
    assert 0.35 * 1000 < last_year < 0.85 ** 3 * 1000


def test_step_scenario_multiplies_from_its_month_and_ramps():
    hist = daily_history(growth=0.05, season=SEASON)
    out = quiet(fc.monthly_outlook, hist, 24, scenarios=[
        {"name": "digital deflection", "change": -0.10, "from": "2027-07"},
        {"name": "launch", "change": 0.2, "from": "2027-03", "ramp_months": 4}])
    base, step = rows(out), rows(out, "digital deflection")
    before = step["month"] < pd.Period("2027-07", "M")
    np.testing.assert_allclose(step.loc[before, "yhat"], base.loc[before, "yhat"])
    np.testing.assert_allclose(step.loc[~before, "yhat"], 0.9 * base.loc[~before, "yhat"])
    np.testing.assert_allclose(step.loc[~before, "yhat_upper_95"],
                               0.9 * base.loc[~before, "yhat_upper_95"])
    ramp = (rows(out, "launch")["yhat"] / base["yhat"]).to_numpy()
    months = base["month"].astype(str).tolist()
    i = months.index("2027-03")
    np.testing.assert_allclose(ramp[i - 1:i + 5], [1, 1.05, 1.10, 1.15, 1.20, 1.20])


@pytest.mark.parametrize("scenario, field", [
    ({"name": "digital deflection", "change": "-10%", "from": "2027-07"}, "change"),
    ({"name": "digital deflection", "change": -1.5, "from": "2027-07"}, "change"),
    ({"name": "digital deflection", "change": -0.1, "from": "2027-13"}, "from"),
    ({"name": "digital deflection", "change": -0.1, "from": "2040-01"}, "from"),
    ({"name": "digital deflection", "change": -0.1}, "from"),
    ({"name": "digital deflection", "change": -0.1, "from": "2027-07", "ramp": 3}, "ramp"),
    ({"name": "base", "change": -0.1, "from": "2027-07"}, "name"),
])
def test_bad_scenario_names_the_scenario_and_field(scenario, field):
    hist = daily_history(end="2025-10-31")
    with pytest.raises(ParameterError, match=field) as err:
        quiet(fc.monthly_outlook, hist, 24, scenarios=[scenario])
    assert repr(scenario["name"]) in str(err.value)


def test_short_history_warns_and_goes_without_seasonality():
    hist = daily_history(start="2025-09-01", season=SEASON)
    with pytest.warns(fc.ForecastWarning, match="no annual seasonality"):
        res = fc.monthly_outlook_result(hist, 12)
    assert res.models["total"]["seasonal"] is False
    with pytest.raises(DataError, match="at least 3 months"):
        quiet(fc.monthly_outlook, daily_history(start="2026-09-01"), 12)


def test_origin_defaults_to_last_complete_month_and_partial_months_are_flagged():
    hist = daily_history(start="2024-01-10", end="2026-10-20")
    res = quiet(fc.monthly_outlook_result, hist, 12)
    out, info = res.frame, res.info
    assert info["origin"] == "2026-09" and info["history_to"] == "2026-09-30"
    hist_rows = rows(out, "history")
    assert hist_rows["partial"].tolist() == [True] + [False] * (len(hist_rows) - 1)
    assert rows(out)["month"].iloc[0] == pd.Period("2026-10", "M")
    out = quiet(fc.monthly_outlook, hist, 12, origin="2026-10")
    assert rows(out, "history")["partial"].iloc[-1]
    out = quiet(fc.monthly_outlook, hist, 12, origin="2025-06")   # a report for June 2025
    assert rows(out, "history")["month"].iloc[-1] == pd.Period("2025-06", "M")
    with pytest.raises(ParameterError, match="2024-01-10 to 2026-10-20"):
        quiet(fc.monthly_outlook, hist, 12, origin="2026-12")


def test_queues_add_up_to_the_total():
    hist = pd.concat([daily_history(queue="care", season=SEASON, noise=0.05, seed=4),
                      daily_history(queue="sales", level=300, growth=0.2, noise=0.05, seed=5)])
    out = quiet(fc.monthly_outlook, hist, 36)
    base = out[out["scenario"] == "base"]
    wide = base.pivot_table(index="month", columns="queue", values="yhat")
    np.testing.assert_allclose(wide["care"] + wide["sales"], wide["total"], rtol=1e-9)
    assert set(out["scenario"]) == {"history", "base", "low", "high"}
    assert isinstance(out["month"].dtype, pd.PeriodDtype)


def test_volume_path_for_monte_carlo_reproduces_the_band():
    hist = daily_history(growth=0.05, season=SEASON, noise=0.04, seed=6)
    out = quiet(fc.monthly_outlook, hist, 60,
                scenarios=[{"name": "digital deflection", "change": -0.1, "from": "2027-07"}])
    path = fc.outlook_volume_path(out)
    base = rows(out)
    z = 1.2815515655446004
    np.testing.assert_allclose(path["median"] * np.exp(-z * path["log_sd"]),
                               base["yhat_lower_80"], rtol=1e-9)
    np.testing.assert_allclose(path["median"] * np.exp(z * path["log_sd"]),
                               base["yhat_upper_80"], rtol=1e-9)
    assert (path["log_sd"].to_numpy()[12:] >= path["log_sd"].to_numpy()[:-12] - 1e-12).all()
    assert path["log_sd"].iloc[-1] > path["log_sd"].iloc[0]
    assert len(fc.outlook_volume_path(out, "digital deflection")) == 60
    with pytest.raises(ParameterError, match="low and high are paths"):
        fc.outlook_volume_path(out, "low")


def half_widths(out, level, queue="total"):
    base = rows(out, queue=queue)
    return (np.log(base[f"yhat_upper_{level}"]) - np.log(base[f"yhat_lower_{level}"])) / 2


def test_growth_uncertainty_widens_the_band_by_its_formula():
    hist = pd.concat([daily_history(growth=0.05, season=SEASON, noise=0.04, seed=3),
                      daily_history(queue="sales", level=300, growth=0.2, noise=0.05, seed=5)])
    plain = quiet(fc.monthly_outlook, hist, 60, growth_sd_per_year=0)
    wide = quiet(fc.monthly_outlook, hist, 60, growth_sd_per_year=0.1)
    h = np.arange(1, 61)
    for level, z in ((80, 1.2815515655446004), (95, 1.959963984540054)):
        for queue in ("total", "care"):
            w0, w1 = half_widths(plain, level, queue), half_widths(wide, level, queue)
            # (half-width)^2 = statistical part^2 + (z x sd x h / 12)^2, h = 1 the first month
            np.testing.assert_allclose(w1 ** 2, w0 ** 2 + (z * 0.1 * h / 12) ** 2, rtol=1e-9)
    w0, w1 = half_widths(plain, 80), half_widths(wide, 80)
    # first month: nearly the statistical band; 5 years out: +-10 % growth for 5 years
    assert w1.iloc[0] < 1.03 * w0.iloc[0]
    assert w1.iloc[-1] == pytest.approx(np.hypot(w0.iloc[-1], 1.2815515655446004 * 0.5), rel=1e-9)
    assert w1.iloc[-1] > 5 * w1.iloc[0]
    np.testing.assert_allclose(rows(wide)["yhat"], rows(plain)["yhat"], rtol=1e-12)


def test_zero_growth_sd_reproduces_the_statistical_band():
    # the bands before the growth term existed, pinned from that version on this history
    hist = daily_history(growth=0.05, season=SEASON, noise=0.04, seed=3)
    base = rows(quiet(fc.monthly_outlook, hist, 60, growth_sd_per_year=0.0))
    pinned = {0: (29707.58897256699, 33910.40108949829, 28612.300295358, 35208.50288381537),
              11: (31084.015635036438, 35481.55451557134, 29937.979502697253, 36839.80060237702),
              59: (34330.23645698012, 41177.084900601374, 32602.768310381834, 43358.865964662466)}
    cols = ["yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95"]
    for i, expected in pinned.items():
        np.testing.assert_allclose(base.loc[i, cols].to_numpy(float), expected, rtol=1e-9)


@pytest.mark.parametrize("bad", [-0.01, 1.5, float("nan"), float("inf"), "0.07", True, [0.07]])
def test_bad_growth_sd_names_the_parameter(bad):
    hist = daily_history(end="2025-10-31")
    with pytest.raises(ParameterError, match="growth_sd_per_year") as err:
        quiet(fc.monthly_outlook, hist, 24, growth_sd_per_year=bad)
    assert "standard deviation of log volume growth" in str(err.value)


def test_default_growth_sd_is_the_tornado_range_read_as_an_80_percent_range():
    from toolkit.costs.reference import load_reference
    from toolkit.outlook import growth_uncertainty

    fig = load_reference()["defaults"]["volume_growth"]        # what the tornado moves
    expected = math.log1p(fig["high"]) / 1.2815515655446004
    assert expected == pytest.approx(0.0744, abs=1e-4)
    assert growth_uncertainty()["value"] == pytest.approx(expected, rel=1e-12)
    assert fig["flag"] == "G" and "0.074" in fig["source"]
    res = quiet(fc.monthly_outlook_result, daily_history(end="2025-10-31"), 24)
    assert res.info["growth_sd_per_year"] == pytest.approx(expected, rel=1e-12)
    assert "volume_growth" in res.info["growth_sd_source"]
    explicit = quiet(fc.monthly_outlook, daily_history(end="2025-10-31"), 24,
                     growth_sd_per_year=expected)
    pd.testing.assert_frame_equal(res.frame, explicit)


def test_history_window_truncates_to_the_period_and_names_the_span():
    hist = daily_history(start="2025-01-02", end="2026-10-20")
    kept, window = fc.history_window(hist, "2026-09")
    assert kept["ds"].max().date() == pd.Timestamp("2026-09-30").date()
    assert (window["period"], str(window["origin"]), window["partial"]) == (
        "2026-09", "2026-09-30", False)
    _, window = fc.history_window(hist)            # October is not complete: September
    assert window["period"] == "2026-09"
    _, window = fc.history_window(hist, "2026-10")
    assert window["partial"] and str(window["history_to"]) == "2026-10-20"
    with pytest.raises(ParameterError, match="2025-01-02 to 2026-10-20"):
        fc.history_window(hist, "2026-11")
    with pytest.raises(ParameterError, match="period"):
        fc.history_window(hist, "Sept 2026x")


def test_month_coverage_labels_partial_months():
    # a forecast for 2 to 28 November 2026 (Mon-Sat, 11 Nov closed): 23 of 24 open days
    days = calendars.day_table("FR", "2026-11-02", "2026-11-28", patterns=[])
    fcast = pd.DataFrame({"ds": days.loc[days["open"], "date"].dt.tz_localize("Europe/Paris"),
                          "queue": "care", "yhat": 1.0})
    cover = fc.month_coverage(fcast)
    assert cover.loc[0, "label"] == "2026-11 (partial: 23 of 24 open days)"
