"""Caller patience from history: abandons / total time in queue, with its basis announced."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from toolkit import io, sample
from toolkit import staffing as st
from toolkit.errors import DataError, ParameterError


def stats(rows, *, abandon_wait=True):
    """Tiny interval stats: (queue, site, offered, abandoned, wait_time_s, abandon_wait_s)."""
    df = pd.DataFrame(rows, columns=["queue", "site", "offered", "abandoned", "wait_time_s",
                                     "abandon_wait_s"])
    return df if abandon_wait else df.drop(columns="abandon_wait_s")


# --------------------------------------------------------------------------- known answers
def test_exact_ten_abandons_over_5000_s_is_500_s():
    df = stats([("care", "S1", 100, 6, 2000, 1000), ("care", "S1", 80, 4, 1500, 500)])
    out = st.patience_estimates(df, min_abandoned=10)
    row = out.iloc[0]
    assert (row["queue"], row["site"]) == ("care", "S1")
    assert (row["offered"], row["abandoned"], row["queue_time_s"]) == (180, 10, 5000.0)
    assert row["patience_s"] == pytest.approx(500.0)
    assert row["basis"] == "exact"
    assert "10 abandons" in row["note"] and "1.4 h" in row["note"]
    # The Poisson interval brackets the estimate and is wide at 10 abandons.
    assert row["patience_low_s"] < 300 < 500 < 900 < row["patience_high_s"]


def test_groups_and_keys():
    df = stats([("care", "S1", 100, 40, 6000, 6000), ("care", "S2", 100, 40, 10000, 6000),
                ("sales", "S1", 50, 30, 3000, 3000)])
    out = st.patience_estimates(df)
    assert list(out.columns[:2]) == ["queue", "site"]
    assert out["patience_s"].tolist() == pytest.approx([300.0, 400.0, 200.0])
    by_site = st.patience_estimates(df, by="site").set_index("site")["patience_s"]
    assert by_site.to_dict() == pytest.approx({"S1": 18000 / 70, "S2": 400.0})
    overall = st.patience_estimates(df, by=())
    assert len(overall) == 1 and overall["patience_s"].iloc[0] == pytest.approx(34000 / 110)


def test_lower_bound_without_abandon_waits():
    df = stats([("care", "S1", 100, 40, 8000, 6000)], abandon_wait=False)
    row = st.patience_estimates(df).iloc[0]
    assert row["patience_s"] == pytest.approx(200.0)  # answered waits only: 8000 / 40
    assert row["basis"] == "lower bound" and row["queue_time_s"] == 8000
    assert "no abandon_wait_s column" in row["note"] and "longer" in row["note"]
    assert np.isnan(row["patience_low_s"])


def test_partly_known_abandon_waits_give_a_tighter_lower_bound():
    df = stats([("care", "S1", 100, 20, 4000, 3000), ("care", "S1", 100, 20, 4000, np.nan)])
    row = st.patience_estimates(df).iloc[0]
    assert row["basis"] == "lower bound"
    assert row["patience_s"] == pytest.approx(11000 / 40)  # known waits only
    assert "empty on 1 of 2 intervals" in row["note"]


def test_fallback_when_too_few_abandons():
    df = stats([("care", "S1", 500, 12, 9000, 2000), ("sales", "S1", 500, 40, 9000, 11000)])
    out = st.patience_estimates(df, fallback_s=120).set_index("queue")
    assert out.loc["care", "basis"] == "fallback" and out.loc["care", "patience_s"] == 120
    assert "only 12 abandons (fewer than 30)" in out.loc["care", "note"]
    assert "planning figure 120 s" in out.loc["care", "note"]
    assert out.loc["sales", "basis"] == "exact" and out.loc["sales", "patience_s"] == 500
    none = st.patience_estimates(df).set_index("queue")
    assert np.isnan(none.loc["care", "patience_s"]) and "no fallback_s" in none.loc["care", "note"]
    assert st.patience_estimates(df, min_abandoned=10)["basis"].tolist() == ["exact", "exact"]


def test_bad_arguments():
    df = stats([("care", "S1", 100, 40, 8000, 6000)])
    with pytest.raises(DataError, match=r"wait_time_s"):
        st.patience_estimates(df.drop(columns="wait_time_s"))
    with pytest.raises(ParameterError, match="fallback_s"):
        st.patience_estimates(df, fallback_s=-5)
    with pytest.raises(ParameterError, match="min_abandoned"):
        st.patience_estimates(df, min_abandoned=0)


def test_patience_by_queue_weights_sites_by_offered_calls():
    df = stats([("care", "S1", 100, 40, 8000, 8000),      # 400 s
                ("care", "S2", 300, 40, 12000, 12000),    # 600 s
                ("care", "S3", 900, 5, 500, 500),         # too few abandons: left out
                ("sales", "S1", 100, 5, 500, 500)])       # no usable site: fallback
    series = st.patience_by_queue(df, fallback_s=150)
    assert series.name == "patience_s" and series.index.name == "queue"
    assert series.to_dict() == pytest.approx({"care": 550.0, "sales": 150.0})
    table = st.patience_by_queue(df, fallback_s=150, details=True).set_index("queue")
    assert table.loc["care", "basis"] == "exact" and "left out" in table.loc["care", "note"]
    assert "S3" in table.loc["care", "note"]
    assert table.loc["sales", "basis"] == "fallback" and "150 s" in table.loc["sales", "note"]
    lower = st.patience_by_queue(df.drop(columns="abandon_wait_s"), details=True)
    assert lower.set_index("queue").loc["care", "basis"] == "lower bound"


# --------------------------------------------------------------------------- statistics
def test_recovers_patience_of_a_simulated_mmn_m_queue():
    # 46 agents for 2,880 calls/h of 60 s (48 Erlangs), exponential patience of 300 s:
    # overloaded enough for about 2,000 abandons out of 40,000 calls.
    true_patience = 300.0
    sim = st.simulate_intervals(2880, 60, 3600, 46, 20, true_patience, n_calls=40_000,
                                seed=3).iloc[0]
    abandons = sim["sim_abandon"] * 40_000
    estimate = sim["sim_queue_time_s"] / sim["sim_abandon"]  # queue time / abandons
    # Abandons minus theta x queue time is a martingale (Poisson intensity theta x queue
    # length), so the estimate's relative standard error is 1 / sqrt(abandons) even though
    # the waits of consecutive callers are correlated: allow 4 of them.
    assert abandons > 1_000
    assert abs(estimate / true_patience - 1) < 4 / math.sqrt(abandons)
    # Answered waits alone (the censored data) under-estimate it.
    answered_only = sim["sim_asa_s"] * (1 - sim["sim_abandon"]) / sim["sim_abandon"]
    assert answered_only < estimate


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    sample.generate(out, small=True)
    return io.read_interval_stats(out / "interval_stats.csv")


def test_generated_sample_recovers_the_true_patience_per_site(small_sample):
    truth = pd.Series(sample.PARAMETERS.patience_s)
    est = st.patience_estimates(small_sample, by="site").set_index("site")
    assert (est["basis"] == "exact").all()
    ratio = est["patience_s"] / truth.reindex(est.index)
    assert ratio.between(0.9, 1.1).all(), ratio
    per_queue_site = st.patience_estimates(small_sample)
    ratio = per_queue_site["patience_s"] / per_queue_site["site"].map(truth)
    assert ratio.between(0.9, 1.1).all(), ratio
    # Without the abandoned calls' waits the same data give only a lower bound, below truth.
    lower = st.patience_estimates(small_sample.drop(columns="abandon_wait_s"), by="site")
    assert (lower["basis"] == "lower bound").all()
    assert (lower.set_index("site")["patience_s"] < est["patience_s"]).all()


# --------------------------------------------------------------------------- the data contract
HEADER = ("ds,queue,site,offered,answered,abandoned,short_abandoned,answered_in_sl,"
          "handle_time_s,wait_time_s")
ROWS = ["2026-10-30T08:00:00+01:00,care,S1,10,9,1,0,8,2700,90",
        "2026-10-30T08:30:00+01:00,care,S1,12,10,2,1,7,3000,200",
        "2026-10-30T09:00:00+01:00,care,S1,8,8,0,0,8,2400,40"]


def write(tmp_path, abandon_waits=None, suffix=".csv"):
    header, rows = HEADER, list(ROWS)
    if abandon_waits is not None:
        header += ",abandon_wait_s"
        rows = [f"{r},{w}" for r, w in zip(rows, abandon_waits, strict=True)]
    path = tmp_path / "interval_stats.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_file_without_the_column_reads_as_before(tmp_path):
    df = io.read_interval_stats(write(tmp_path))
    assert "abandon_wait_s" not in df.columns
    assert list(df.columns) == ["ds", "queue", "site", "offered", "answered", "abandoned",
                                "short_abandoned", "answered_in_sl", "handle_time_s",
                                "wait_time_s"]


def test_column_read_empty_cells_unknown_and_carried_into_parquet(tmp_path):
    df = io.read_interval_stats(write(tmp_path, ["35", "", "0"]))
    assert df["abandon_wait_s"].dtype == "float64"
    assert df["abandon_wait_s"].iloc[0] == 35 and np.isnan(df["abandon_wait_s"].iloc[1])
    written = io.process_raw(tmp_path, tmp_path / "processed")
    back = io.read_interval_stats(written["interval_stats"])
    pd.testing.assert_frame_equal(back, df)


@pytest.mark.parametrize(("values", "row", "fragment"), [
    (["35", "-4", "0"], 3, "non-negative number of seconds"),
    (["35", "abc", "0"], 3, "'abc' is not a number"),
    (["35", "nan", "0"], 3, "'nan' is not a finite number"),  # unknown is an empty cell
    (["35", "inf", "0"], 3, "'inf' is not a finite number"),
    (["35", "60", "12"], 4, "abandon_wait_s = 0 (or empty if unknown) when no call was "
                            "abandoned"),
])
def test_bad_abandon_waits_name_row_and_column(tmp_path, values, row, fragment):
    with pytest.raises(DataError) as info:
        io.read_interval_stats(write(tmp_path, values))
    message = str(info.value)
    assert f"row {row}" in message and "column 'abandon_wait_s'" in message
    assert fragment in message and "interval_stats.csv" in message
