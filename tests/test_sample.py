"""The sample generator: reproducible to the byte, realistic, and valid under toolkit.io."""

from __future__ import annotations

import holidays
import numpy as np
import pandas as pd
import pytest

from toolkit import config, io, sample

FILES = ("interval_stats.csv", "sites.csv", "provider_reports.csv")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small sample, written once via the CLI with a stand-in contract file."""
    out = tmp_path_factory.mktemp("small")
    reference = tmp_path_factory.mktemp("reference")
    (reference / "contract_sample.yml").write_text("provider: test\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "REFERENCE", reference)
        assert sample.main(["--out", str(out), "--small"]) == 0
    return out


@pytest.fixture(scope="module")
def stats(small):
    return io.read_interval_stats(small / "interval_stats.csv")


def monthly(stats: pd.DataFrame, by: str) -> pd.DataFrame:
    month = stats["ds"].dt.tz_localize(None).dt.to_period("M")
    agg = stats.assign(month=month).groupby([by, "month"])[
        ["offered", "answered", "abandoned", "answered_in_sl", "handle_time_s"]].sum()
    return agg.assign(sl=agg["answered_in_sl"] / agg["offered"],
                      abandon=agg["abandoned"] / agg["offered"],
                      aht_min=agg["handle_time_s"] / agg["answered"] / 60)


def test_same_seed_byte_identical_and_contract_copied(small, tmp_path):
    paths = sample.generate(tmp_path, small=True)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (small / name).read_bytes(), name
    assert (small / "contract.yml").read_text(encoding="utf-8") == "provider: test\n"
    assert b"\r\n" not in (tmp_path / "interval_stats.csv").read_bytes()
    assert set(paths) >= {"interval_stats", "sites", "provider_reports"}


def test_different_seed_differs(small, tmp_path):
    sample.generate(tmp_path, small=True, seed=7)
    assert (tmp_path / "interval_stats.csv").read_bytes() != (
        small / "interval_stats.csv").read_bytes()
    assert (tmp_path / "sites.csv").read_bytes() == (small / "sites.csv").read_bytes()


def test_files_pass_the_readers(small, stats):
    assert stats["ds"].min() == pd.Timestamp("2025-05-02 08:00", tz="Europe/Paris")  # 1 May shut
    assert stats["ds"].max() == pd.Timestamp("2026-10-31 19:30", tz="Europe/Paris")
    sites = io.read_sites(small / "sites.csv")
    assert set(stats["site"]) == set(sites["site"])
    reports = io.read_provider_reports(small / "provider_reports.csv")
    assert len(reports) == 18 * 3
    assert str(reports["month"].min()) == "2025-05" and str(reports["month"].max()) == "2026-10"
    vol = io.read_volumes(small / "interval_stats.csv")
    assert vol["calls"].sum() == stats["offered"].sum()


def test_reports_consistent_with_interval_data(small, stats):
    reports = io.read_provider_reports(small / "provider_reports.csv")
    sites = io.read_sites(small / "sites.csv").set_index("site")
    handled = monthly(stats, "site")["answered"]
    for row in reports.itertuples():
        assert row.contacts_handled == handled.loc[(row.site, row.month)]
        serves = sites.loc[row.site, "queues"].split(";")
        assert pd.isna(row.conversion_rate) == ("sales" not in serves)
        assert pd.isna(row.retention_save_rate) == ("retention" not in serves)
    rate = (reports["invoice_eur"] / reports["billed_hours"]).groupby(reports["site"]).min()
    assert rate.round(2).to_dict() == {"ATLAS-CAS": 17.0, "ILECONTACT-EBN": 15.0,
                                       "NORDCALL-AMI": 27.0}
    # Productive hours billed = handle hours / occupancy, occupancy between 0.75 and 0.85.
    handle_h = monthly(stats, "site")["handle_time_s"] / 3600
    occupancy = [handle_h.loc[(r.site, r.month)] / r.billed_hours for r in reports.itertuples()]
    assert 0.75 <= min(occupancy) and max(occupancy) <= 0.85
    bad = pd.Series([str(r.month) in sample.PARAMETERS.bad_report_months[r.site]
                     for r in reports.itertuples()], index=reports.index)
    normal = reports[~bad]
    # FACTS.md section 4 benchmark ranges hold in normal months ...
    for col, (lo, hi) in {"fcr": (0.65, 0.75), "csat": (0.75, 0.85), "qa_score": (0.80, 0.92),
                          "nps": (10, 40), "attrition_rate": (0.2, 0.6),
                          "absenteeism_rate": (0.04, 0.10), "cross_sell_rate": (0.03, 0.08),
                          "conversion_rate": (0.08, 0.15),
                          "retention_save_rate": (0.25, 0.40)}.items():
        values = normal[col].dropna()
        assert lo <= values.min() and values.max() <= hi, col
    # ... and the documented bad months are visibly worse than the site's usual level.
    for col in ("fcr", "csat", "qa_score", "nps"):
        usual = normal.groupby("site")[col].median()
        dips = reports[bad].set_index("site")[col]
        assert (dips < usual.reindex(dips.index) - 0.02 * (100 if col == "nps" else 1)).all()


def test_service_level_and_abandonment_realistic(stats):
    by_site = monthly(stats, "site")
    assert 0.75 <= by_site["sl"].median() <= 0.85
    assert (by_site["sl"] < 0.7).sum() >= 3  # documented under-staffed months
    assert 0.03 <= by_site["abandon"].median() <= 0.06
    assert by_site["abandon"].min() >= 0.025 and by_site["abandon"].max() <= 0.10
    # Bad service months have high abandonment: the two move together.
    assert np.corrcoef(by_site["sl"], by_site["abandon"])[0, 1] < -0.8
    aht = monthly(stats, "queue")["aht_min"]
    assert aht.min() >= 4 and aht.max() <= 8
    assert (stats["short_abandoned"] <= stats["abandoned"]).all()
    asa = stats["wait_time_s"].sum() / stats["answered"].sum()
    assert 5 < asa < 40


def test_calendar_closed_sundays_and_holidays(stats):
    local = stats["ds"].dt.tz_localize(None)
    assert not (local.dt.day_of_week == 6).any()
    closed = pd.DatetimeIndex(list(holidays.France(years=[2025, 2026]).keys()))
    assert not local.dt.normalize().isin(closed).any()
    minutes = local.dt.hour * 60 + local.dt.minute
    assert minutes.min() == 8 * 60 and minutes.max() == 19 * 60 + 30
    assert set(local.dt.minute) == {0, 30}


def test_queues_have_distinct_intraday_and_weekly_shapes(stats):
    hour = stats["ds"].dt.hour + stats["ds"].dt.minute / 60
    profile = stats.groupby(["queue", hour])["offered"].sum().unstack(0)
    peak = profile.idxmax()
    assert peak["sales"] >= 17.5 and peak["care"] <= 10.5 and 10.5 <= peak["retention"] <= 12
    lunch, mid_morning = profile["sales"].loc[12.5], profile["sales"].loc[10.0]
    assert lunch > mid_morning  # sales lunchtime peak
    weekday = stats.groupby(["queue", stats["ds"].dt.day_of_week])["offered"].sum().unstack(0)
    assert weekday["care"].idxmax() == 0  # care is Monday-heavy
    day = stats["ds"].dt.day
    start = stats[day <= 3].groupby("queue")["offered"].mean()
    mid = stats[(day >= 8) & (day <= 12)].groupby("queue")["offered"].mean()
    assert (start / mid)["retention"] > 1.3 > (start / mid)["sales"]  # bill-date peaks


def test_providers_ramp_from_june_2024():
    stats = sample.generate_interval_stats("2024-05-20", "2024-06-29")
    before = stats[stats["ds"] < pd.Timestamp("2024-06-01", tz="Europe/Paris")]
    assert set(before["site"]) == {"INHOUSE-LIL"}
    after = stats[stats["ds"] >= pd.Timestamp("2024-06-03", tz="Europe/Paris")]
    assert "NORDCALL-AMI" in set(after["site"])
    weekly = (after.groupby([after["ds"].dt.isocalendar().week, "site"])["offered"].sum()
              .unstack())
    share = weekly["NORDCALL-AMI"] / weekly.sum(axis=1)
    assert share.is_monotonic_increasing and share.iloc[-1] < 0.2  # still ramping


def test_campaign_lifts_sales():
    stats = sample.generate_interval_stats("2025-11-10", "2025-11-29")
    sales = stats[stats["queue"] == "sales"]
    daily = sales.groupby(sales["ds"].dt.date)["offered"].sum()
    campaign_start = daily.loc[pd.Timestamp("2025-11-24").date()]
    week_before = daily.loc[pd.Timestamp("2025-11-17").date()]
    assert campaign_start > 1.5 * week_before  # Black Friday 2025, +90 % on day one


def test_parameters_are_immutable():
    """The module defaults cannot be changed in place, at any depth; a copy can differ."""
    import dataclasses

    p = sample.PARAMETERS
    with pytest.raises(TypeError):
        p.daily_calls["sales"] = 0
    with pytest.raises(TypeError):
        p.target_share["sales"]["ATLAS-CAS"] = 1.0
    with pytest.raises(TypeError):
        p.provider_kpis["ATLAS-CAS"]["fcr"] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.daily_calls = {}
    changed = dataclasses.replace(p, daily_calls={"sales": 1.0, "care": 2.0, "retention": 3.0})
    assert changed.daily_calls["sales"] == 1.0 and p.daily_calls["sales"] == 1400.0
    with pytest.raises(TypeError):
        changed.daily_calls["sales"] = 0          # the copy is frozen too
    assert sample.SampleParameters().daily_calls == p.daily_calls


def test_written_files_are_shared_read(small):
    """Sample files follow the toolkit's one permission policy (toolkit.atomic: 0644)."""
    import stat

    for name in (*FILES, "contract.yml"):
        assert stat.S_IMODE((small / name).stat().st_mode) == 0o644, name
    assert not list(small.glob(".*.tmp"))
