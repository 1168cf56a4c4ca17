"""Reading and validating raw files: every rule fails with a message naming where and why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit import config, io
from toolkit.errors import ParameterError
from toolkit.io import DataError

HEADER = ("ds,queue,site,offered,answered,abandoned,short_abandoned,answered_in_sl,"
          "handle_time_s,wait_time_s")
# Friday 2026-10-30 (winter time, +01:00), site S1 serving care and sales, 08:00-09:00.
ROWS = [
    "2026-10-30T08:00:00+01:00,care,S1,10,9,1,0,8,2700,90",
    "2026-10-30T08:00:00+01:00,sales,S1,4,4,0,0,4,1600,20",
    "2026-10-30T08:30:00+01:00,care,S1,12,10,2,1,7,3000,200",
    "2026-10-30T08:30:00+01:00,sales,S1,6,5,1,1,5,2000,30",
    "2026-10-30T09:00:00+01:00,care,S1,8,8,0,0,8,2400,40",
    "2026-10-30T09:00:00+01:00,sales,S1,0,0,0,0,0,0,0",
]


def write(tmp_path, rows=ROWS, header=HEADER, name="interval_stats.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def with_row(index, row):
    rows = list(ROWS)
    rows[index] = row
    return rows


def error_of(path, reader=io.read_interval_stats, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        reader(path, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------- happy path
def test_read_interval_stats_types_and_values(tmp_path):
    df = io.read_interval_stats(write(tmp_path))
    assert str(df["ds"].dtype) == "datetime64[us, Europe/Paris]"
    assert df["ds"].iloc[0] == pd.Timestamp("2026-10-30 07:00", tz="UTC")
    assert df["offered"].dtype == "int64"
    assert df["offered"].sum() == 40
    assert list(df["queue"].iloc[:2]) == ["care", "sales"]


def test_dst_both_sides_accepted(tmp_path):
    # Saturday 2026-03-28 is +01:00, Monday 2026-03-30 is +02:00 (switch on Sunday 29th).
    rows = ["2026-03-28T08:00:00+01:00,care,S1,1,1,0,0,1,300,5",
            "2026-03-30T08:00:00+02:00,care,S1,2,2,0,0,2,600,5"]
    df = io.read_interval_stats(write(tmp_path, rows))
    assert list(df["ds"].dt.hour) == [8, 8]
    assert list(df["ds"].dt.tz_convert("UTC").dt.hour) == [7, 6]


def test_other_iso_forms_and_utc_clock(tmp_path):
    rows = ["2026-10-30 08:00+01:00,care,S1,1,1,0,0,1,300,5",
            "2026-10-30T07:30:00Z,care,S1,1,1,0,0,1,300,5"]
    df = io.read_interval_stats(write(tmp_path, rows[:1]))
    assert df["ds"].iloc[0] == pd.Timestamp("2026-10-30 08:00", tz="Europe/Paris")
    # Z (UTC) is not the Paris offset: refused unless the file is read in the UTC clock.
    message = error_of(write(tmp_path, rows))
    assert "row 3" in message and "offset +00:00" in message and "(+01:00)" in message
    utc = io.read_interval_stats(write(tmp_path, rows[1:]), tz="UTC")
    assert str(utc["ds"].dtype) == "datetime64[us, UTC]"


def test_closed_days_and_hours_are_not_gaps(tmp_path):
    # Saturday until 09:00, Sunday closed, Monday from 10:00: no gap.
    rows = ["2026-10-31T08:00:00+01:00,care,S1,1,1,0,0,1,300,5",
            "2026-10-31T08:30:00+01:00,care,S1,1,1,0,0,1,300,5",
            "2026-11-02T10:00:00+01:00,care,S1,1,1,0,0,1,300,5"]
    assert len(io.read_interval_stats(write(tmp_path, rows))) == 3


# --------------------------------------------------------------------------- row rules
def test_duplicate_interval(tmp_path):
    message = error_of(write(tmp_path, [*ROWS, ROWS[2]]))
    assert "row 8" in message and "duplicate interval" in message
    assert "same as row 4" in message and "queue=care" in message


def test_gap_inside_opening_hours(tmp_path):
    rows = [r for r in ROWS if not r.startswith("2026-10-30T08:30:00+01:00,care")]
    message = error_of(write(tmp_path, rows))
    assert "gap" in message and "2026-10-30 08:30" in message
    assert "queue=care, site=S1" in message and "08:00 to 09:00" in message
    assert "row 5" in message  # the 09:00 care row, next of the series


def test_gap_at_start_of_day_seen_from_other_queue(tmp_path):
    rows = [r for r in ROWS if not r.startswith("2026-10-30T08:00:00+01:00,sales")]
    message = error_of(write(tmp_path, rows))
    assert "2026-10-30 08:00" in message and "queue=sales" in message


@pytest.mark.parametrize(("value", "fragment"), [
    ("-1", "non-negative whole number"),
    ("2.5", "'2.5' is not a whole number"),
    ("abc", "'abc' is not a number"),
    ("", "empty cell"),
])
def test_bad_counts(tmp_path, value, fragment):
    rows = with_row(2, f"2026-10-30T08:30:00+01:00,care,S1,12,10,2,1,7,3000,{value}")
    message = error_of(write(tmp_path, rows))
    assert "row 4" in message and "column 'wait_time_s'" in message and fragment in message


@pytest.mark.parametrize(("row", "check"), [
    ("2026-10-30T08:30:00+01:00,care,S1,12,13,0,0,7,3000,200", "answered <= offered"),
    ("2026-10-30T08:30:00+01:00,care,S1,12,10,1,1,7,3000,200", "answered + abandoned == offered"),
    ("2026-10-30T08:30:00+01:00,care,S1,12,10,2,1,11,3000,200", "answered_in_sl <= answered"),
    ("2026-10-30T08:30:00+01:00,care,S1,12,10,2,3,7,3000,200", "short_abandoned <= abandoned"),
    ("2026-10-30T08:30:00+01:00,care,S1,2,0,2,0,0,300,0", "handle_time_s == 0 when answered"),
])
def test_count_invariants(tmp_path, row, check):
    message = error_of(write(tmp_path, with_row(2, row)))
    assert "row 4" in message and f"(check: {check}" in message and "Expected:" in message


def test_unknown_queue(tmp_path):
    rows = with_row(3, "2026-10-30T08:30:00+01:00,billing,S1,6,5,1,1,5,2000,30")
    message = error_of(write(tmp_path, rows))
    assert "row 5" in message and "column 'queue'" in message and "'billing'" in message
    assert "one of sales, care, retention" in message
    # Own data with other queue names: accepted when asked.
    rows = [r.replace(",sales,", ",billing,") for r in ROWS]
    assert set(io.read_interval_stats(write(tmp_path, rows), queues=None)["queue"]) == {
        "care", "billing"}


@pytest.mark.parametrize(("stamp", "fragment"), [
    ("yesterday 8am", "cannot read 'yesterday 8am' as a time stamp"),
    ("2026-13-30T08:30:00+01:00", "is not a valid date and time"),
    ("2026-10-30T08:30:00", "has no UTC offset; add the offset"),
    ("2026-10-30T08:30:00+02:00", "not the Europe/Paris offset at that instant (+01:00)"),
    ("2026-10-30T08:10:00+01:00", "is not an interval start"),
])
def test_bad_timestamps(tmp_path, stamp, fragment):
    rows = with_row(2, f"{stamp},care,S1,12,10,2,1,7,3000,200")
    message = error_of(write(tmp_path, rows))
    assert "row 4" in message and "column 'ds'" in message and fragment in message


# --------------------------------------------------------------------------- file and header
def test_ragged_and_blank_rows(tmp_path):
    message = error_of(write(tmp_path, [*ROWS[:2], ROWS[2] + ",1", *ROWS[3:]]))
    assert "row 4" in message and "11 values but the header has 10 columns" in message
    message = error_of(write(tmp_path, [*ROWS[:2], "", *ROWS[2:]]))
    assert "row 4" in message and "column 'ds'" in message and "empty cell" in message


def test_zero_byte_file(tmp_path):
    path = tmp_path / "interval_stats.csv"
    path.write_bytes(b"")
    assert "empty (0 bytes)" in error_of(path)


def test_header_only(tmp_path):
    message = error_of(write(tmp_path, rows=[]))
    assert "header but no data rows" in message


def test_missing_file(tmp_path):
    assert "file not found" in error_of(tmp_path / "nope.csv")


def test_missing_column(tmp_path):
    header = HEADER.replace(",wait_time_s", "")
    rows = [r.rsplit(",", 1)[0] for r in ROWS]
    message = error_of(write(tmp_path, rows, header))
    assert "missing column(s) 'wait_time_s'" in message and "column 'wait_time_s'" in message


def test_missing_column_names_the_close_typo(tmp_path):
    message = error_of(write(tmp_path, header=HEADER.replace("answered_in_sl", "answerd_in_sl")))
    assert "missing column(s) 'answered_in_sl'" in message
    assert "found 'answerd_in_sl' instead of 'answered_in_sl' (a typo?)" in message
    # short names with two letters swapped are typos too
    header = HEADER.replace("queue", "qeuue")
    message = error_of(write(tmp_path, header=header, name="swapped.csv"))
    assert "found 'qeuue' instead of 'queue'" in message


def test_semicolon_separated_file_is_named_as_such(tmp_path):
    path = write(tmp_path, [r.replace(",", ";") for r in ROWS], HEADER.replace(",", ";"))
    message = error_of(path)
    assert "separated by semicolons" in message and "save the file as comma-separated" in message


def test_unexpected_column(tmp_path):
    rows = [r + ",x" for r in ROWS]
    message = error_of(write(tmp_path, rows, HEADER + ",notes"))
    assert "unexpected column(s) 'notes'" in message


@pytest.mark.parametrize("column", ["phone", "msisdn", "customer_id", "email", "name",
                                    "first_name", "last_name", "iban", "caller_number",
                                    "Customer Email"])
def test_personal_data_refused_and_nothing_written(tmp_path, column):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    write(raw, [r + ",x" for r in ROWS], HEADER + f",{column}")
    with pytest.raises(DataError) as info:
        io.process_raw(raw, processed)
    assert "personal data is not accepted" in str(info.value)
    assert f"'{column}'" in str(info.value)
    assert not processed.exists() or not any(processed.iterdir())


def test_site_name_is_not_personal_data():
    assert io.schemas.personal_data_columns(["site_name", "queue", "name"]) == ["name"]


# --------------------------------------------------------------------------- volumes
def test_read_volumes_from_interval_stats(tmp_path):
    rows = [*ROWS, "2026-10-30T08:00:00+01:00,care,S2,5,3,2,0,3,600,10",
            "2026-10-30T08:30:00+01:00,care,S2,0,0,0,0,0,0,0",
            "2026-10-30T09:00:00+01:00,care,S2,0,0,0,0,0,0,0"]
    vol = io.read_volumes(write(tmp_path, rows))
    assert list(vol.columns) == ["ds", "queue", "calls", "aht_s"]
    first = vol.iloc[0]
    assert first["queue"] == "care" and first["calls"] == 15
    assert first["aht_s"] == pytest.approx((2700 + 600) / 12)
    assert pd.isna(vol.loc[(vol["queue"] == "sales")].iloc[-1]["aht_s"])  # nothing answered
    assert len(vol) == 6


def test_read_volumes_own_file_and_errors(tmp_path):
    path = tmp_path / "volumes.csv"
    path.write_text("ds,queue,calls\n2026-10-30T08:00:00+01:00,a,3\n"
                    "2026-10-30T08:30:00+01:00,a,4\n", encoding="utf-8")
    vol = io.read_volumes(path)
    assert vol["calls"].tolist() == [3, 4] and vol["aht_s"].isna().all()
    path.write_text("ds,queue,calls\n2026-10-30T08:00:00+01:00,a,3\n"
                    "2026-10-30T08:00:00+01:00,a,4\n", encoding="utf-8")
    message = error_of(path, io.read_volumes)
    assert "row 3" in message and "duplicate interval" in message


# --------------------------------------------------------------------------- sites, reports
SITES = ("site,site_name,provider,location,engagement_form,timezone,queues,opened,closed\n"
         "A,Site A,Us,FR-REG,INHOUSE,Europe/Paris,sales;care,2015-03-02,\n"
         "B,Site B,Them,MA,FULL,Africa/Casablanca,care,2024-07-01,2026-06-30\n")


def test_read_sites(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    sites = io.read_sites(path)
    assert sites["site"].tolist() == ["A", "B"]
    assert pd.isna(sites["closed"].iloc[0])
    assert sites["opened"].iloc[1] == pd.Timestamp("2024-07-01")


@pytest.mark.parametrize(("old", "new", "fragment"), [
    ("FULL", "OUTSOURCED", "one of INHOUSE, FULL"),
    ("Africa/Casablanca", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ("B,Site B", "A,Site B", "duplicate site id"),
    ("2026-06-30", "2020-01-01", "closed >= opened"),
    ("2024-07-01", "01/07/2024", "'01/07/2024' is not a date"),
])
def test_bad_sites(tmp_path, old, new, fragment):
    path = tmp_path / "sites.csv"
    path.write_text(SITES.replace(old, new), encoding="utf-8")
    message = error_of(path, io.read_sites)
    assert "row 3" in message and fragment in message


REPORT = ("month,site,provider,fcr,csat,qa_score,conversion_rate,retention_save_rate,"
          "cross_sell_rate,attrition_rate,absenteeism_rate,nps,billed_hours,invoice_eur,"
          "contacts_handled\n"
          "2026-09,B,Them,0.70,0.80,0.85,0.10,,0.05,0.40,0.07,25,100.0,1700.00,900\n"
          "2026-10,B,Them,0.71,0.81,0.86,0.11,,0.05,0.40,0.07,28,110.0,1870.00,950\n")


def test_read_provider_reports(tmp_path):
    path = tmp_path / "provider_reports.csv"
    path.write_text(REPORT, encoding="utf-8")
    rep = io.read_provider_reports(path)
    assert rep["month"].iloc[1] == pd.Period("2026-10", "M")
    assert rep["retention_save_rate"].isna().all()
    assert rep["invoice_eur"].sum() == pytest.approx(3570.0)


@pytest.mark.parametrize(("old", "new", "fragment"), [
    ("0.71,0.81", "1.71,0.81", "a fraction between 0 and 1"),
    ("2026-10,B", "2026-13,B", "'2026-13' is not a month"),
    (",28,", ",128,", "between -100 and 100"),
    ("2026-10,B", "2026-09,B", "duplicate report"),
    ("0.71,0.81,0.86,0.11,,0.05,0.40,", "0.71,0.81,0.86,0.11,,0.05,,", "empty cell"),
])
def test_bad_provider_reports(tmp_path, old, new, fragment):
    path = tmp_path / "provider_reports.csv"
    path.write_text(REPORT.replace(old, new), encoding="utf-8")
    message = error_of(path, io.read_provider_reports)
    assert "row 3" in message and fragment in message


# --------------------------------------------------------------------------- writing, parquet
def test_process_raw_and_parquet_roundtrip(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    write(raw)
    (raw / "sites.csv").write_text(SITES.replace("\nA,Site A", "\nS1,Site A"), encoding="utf-8")
    paths = io.process_raw(raw, processed)
    assert sorted(paths) == ["interval_stats", "sites", "volumes"]
    assert sorted(p.name for p in processed.iterdir()) == [
        "interval_stats.parquet", "sites.parquet", "volumes.parquet"]  # no temp files left
    back = io.read_table(paths["interval_stats"])
    pd.testing.assert_frame_equal(back, io.read_interval_stats(raw / "interval_stats.csv"))
    assert io.read_volumes(paths["volumes"])["calls"].sum() == 40


def test_parquet_naive_timestamps_refused(tmp_path):
    df = io.read_interval_stats(write(tmp_path))
    path = tmp_path / "interval_stats.parquet"
    io.write_processed(df.assign(ds=df["ds"].dt.tz_localize(None)), path)
    message = error_of(path)
    assert "row 1" in message and "no UTC offset" in message


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "interval_stats.parquet"
    path.write_bytes(b"not parquet at all")
    assert "cannot be read as Parquet" in error_of(path)


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "interval_stats.xlsx"
    path.write_bytes(b"x")
    assert "unsupported file type '.xlsx'" in error_of(path)


def test_process_raw_refuses_sites_missing_from_sites_csv(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    write(raw)
    (raw / "sites.csv").write_text(SITES.replace("\nA,Site A", "\nZ,Site Z"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        io.process_raw(raw, processed)
    message = str(info.value)
    assert "interval_stats.csv" in message and "column 'site'" in message
    assert "site id(s) 'S1' (6 rows)" in message and "not listed in" in message
    assert "Expected: one of B, Z" in message
    assert not processed.exists() or not any(processed.iterdir())


# --- clocks: any time zone, named by parameter or by sites.csv --------------------------------

def _us_volumes(path):
    """A tiny volumes file kept in New York time (-05:00 in winter, -04:00 after 8 March 2026)."""
    ds = (pd.date_range("2026-03-06 09:00", periods=4, freq="30min")
          .append(pd.date_range("2026-03-09 09:00", periods=4, freq="30min"))
          .tz_localize("America/New_York"))
    pd.DataFrame({"ds": [d.isoformat() for d in ds], "queue": "total",
                  "calls": [10, 12, 14, 11, 9, 13, 15, 10]}).to_csv(path, index=False)
    return path


def test_volumes_in_another_clock_are_refused_with_the_zones_that_fit(tmp_path):
    path = _us_volumes(tmp_path / "volumes.csv")
    with pytest.raises(DataError, match="not the Europe/Paris offset") as err:
        io.read_volumes(path)
    assert "America/New_York" in str(err.value) and "timezone" in str(err.value)


def test_volumes_in_new_york_time_read_with_tz_or_sites(tmp_path):
    path = _us_volumes(tmp_path / "volumes.csv")
    volumes = io.read_volumes(path, tz="America/New_York")
    assert str(volumes["ds"].dt.tz) == "America/New_York"
    assert volumes["ds"].iloc[0].strftime("%H:%M%z") == "09:00-0500"
    assert volumes["ds"].iloc[-1].strftime("%H:%M%z") == "10:30-0400"
    volumes, clock = io.read_volumes_clocked(path, timezone="America/New_York",
                                             holiday_country="US")
    assert (clock.timezone, clock.holiday_country) == ("America/New_York", "US")
    with pytest.raises(ParameterError, match="timezone"):
        io.read_volumes_clocked(path)
    with pytest.raises(ParameterError, match="holiday_country"):
        io.read_volumes_clocked(path, timezone="America/New_York")


def test_clock_and_holidays_from_sites_csv(tmp_path):
    path = _us_volumes(tmp_path / "volumes.csv")
    sites = tmp_path / "sites.csv"
    sites.write_text("site,site_name,provider,location,engagement_form,timezone,queues,opened,"
                     "closed\nNYC,New York,Own,FR-REG,INHOUSE,America/New_York,total,"
                     "2020-01-01,\nCAS,Casablanca,Atlas,MA,FULL,Africa/Casablanca,total,"
                     "2020-01-01,\n")
    volumes, clock = io.read_volumes_clocked(path, sites=sites)
    # the clock is the sites' zone that fits the file; holidays from that site's location
    assert clock.timezone == "America/New_York" and clock.holiday_country == "FR"
    assert "sites file" in clock.source
    _, clock = io.read_volumes_clocked(path, sites=sites, holiday_country="US")
    assert clock.holiday_country == "US"


def test_sample_interval_stats_clock_from_its_sites():
    small = config.DATA_SAMPLE_SMALL
    if not (small / "sites.csv").exists():
        pytest.skip("small sample not generated")
    volumes, clock = io.read_volumes_clocked(small / "interval_stats.csv",
                                             sites=small / "sites.csv")
    assert (clock.timezone, clock.holiday_country) == ("Europe/Paris", "FR")


def _shared_bank():
    for root in (config.ROOT.parent, config.ROOT.parent.parent):
        path = root / "shared" / "data" / "us_bank_5min" / "data.csv"
        if path.exists():
            return path
    return None


def test_us_bank_volumes_in_new_york_time(tmp_path):
    """The real US bank file, as a new user would give it: 30-min, -05:00/-04:00 offsets."""
    bank = _shared_bank()
    if bank is None:
        pytest.skip("shared bank data not available")
    raw = pd.read_csv(bank, parse_dates=["ds"])
    raw["ds"] = raw["ds"].dt.floor("30min")
    half_hours = raw.groupby("ds", as_index=False)["calls"].sum().assign(queue="total")
    half_hours["ds"] = half_hours["ds"].dt.tz_localize("America/New_York").map(
        lambda d: d.isoformat())
    path = tmp_path / "volumes.csv"
    half_hours[["ds", "queue", "calls"]].to_csv(path, index=False)
    with pytest.raises(DataError, match="America/New_York"):
        io.read_volumes(path)
    volumes, clock = io.read_volumes_clocked(path, timezone="America/New_York",
                                             holiday_country="US")
    assert len(volumes) == len(half_hours) and clock.holiday_country == "US"
    offsets = set(volumes["ds"].map(lambda d: d.strftime("%z")))
    assert offsets == {"-0500", "-0400"}


# --------------------------------------------------------------------------- hostile values
def test_rtl_override_in_a_name_is_refused_naming_row_and_column(tmp_path):
    message = error_of(write(tmp_path, with_row(3, ROWS[3].replace(",S1,", ",S\u202e1,"))))
    assert "row 5" in message and "column 'site'" in message
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in message and "\u202e" not in message


@pytest.mark.parametrize(("value", "kind"), [
    ("jean.dupont@example.fr", "e-mail address"), ("+33 6 12 34 56 78", "phone number"),
    ("06.12.34.56.78", "phone number"), ("FR76 3000 6000 0112 3456 7890 189", "IBAN"),
    ("CUST-0012345", "customer id")])
def test_personal_data_in_values_is_refused_masked_with_row_and_column(tmp_path, value, kind):
    message = error_of(write(tmp_path, with_row(2, ROWS[2].replace(",care,", f",{value},"))))
    assert "row 4" in message and "column 'queue'" in message and kind in message
    assert value not in message  # the message does not repeat the personal data


def test_ordinary_names_and_numbers_are_not_personal_data():
    from toolkit.schemas import find_personal_data

    for text in ("NORDCALL-AMI", "2026-10-30T08:00:00+01:00", "+ 12 634,95 €", "+1,5 pp",
                 "Europe/Paris", "Ebène Contact (ILECONTACT-EBN)", "v2026.8.0", "0.80"):
        assert find_personal_data(text) is None, text


@pytest.mark.parametrize(("value", "fragment"), [
    ("inf", "'inf' is not a finite number"),
    ("-Infinity", "'-Infinity' is not a finite number"),
    ("nan", "'nan' is not a finite number"),
    ("12345678901234567890", "'12345678901234567890' is too large for a count"),
    ("1e400", "'1e400' is not a finite number"),
])
def test_non_finite_or_huge_counts_are_named_with_the_value_as_written(tmp_path, value, fragment):
    rows = with_row(2, f"2026-10-30T08:30:00+01:00,care,S1,{value},10,2,1,7,3000,200")
    message = error_of(write(tmp_path, rows))
    assert "row 4" in message and "column 'offered'" in message and fragment in message


@pytest.mark.parametrize("column_value", [("110.0,1870.00", "inf,1870.00", "billed_hours"),
                                          ("110.0,1870.00", "110.0,inf", "invoice_eur"),
                                          ("110.0,1870.00", "110.0,NaN", "invoice_eur")])
def test_inf_in_invoice_or_billed_hours_is_refused(tmp_path, column_value):
    old, new, column = column_value
    path = tmp_path / "provider_reports.csv"
    path.write_text(REPORT.replace(old, new), encoding="utf-8")
    message = error_of(path, io.read_provider_reports)
    assert "row 3" in message and f"column '{column}'" in message
    assert "is not a finite number" in message


def test_inf_in_a_parquet_amount_is_refused(tmp_path):
    path = tmp_path / "provider_reports.csv"
    path.write_text(REPORT, encoding="utf-8")
    table = io.read_provider_reports(path)
    table["month"] = table["month"].astype(str)
    table.loc[1, "invoice_eur"] = float("inf")
    table.to_parquet(tmp_path / "provider_reports.parquet")
    message = error_of(tmp_path / "provider_reports.parquet", io.read_provider_reports)
    assert "row 2" in message and "'inf' is not a finite number" in message


# --------------------------------------------------------------------------- DST and scale
def _day_rows(day: str, tz: str, skip: int | None = None) -> list[str]:
    """A queue open round the clock on ``day`` (every half-hour that exists on the site's
    clock), optionally without its ``skip``-th interval."""
    start = pd.Timestamp(day, tz=tz)
    end = pd.Timestamp(pd.Timestamp(day) + pd.Timedelta(days=1), tz=tz)  # next local midnight
    stamps = pd.date_range(start, end, freq="30min", inclusive="left")
    return [f"{t.isoformat()},care,S1,1,1,0,0,1,60,5" for i, t in enumerate(stamps) if i != skip]


@pytest.mark.parametrize(("day", "tz", "n", "seventh"), [
    ("2026-03-29", "Europe/Paris", 46, "04:00"),  # 02:00-02:59 does not exist
    ("2026-10-25", "Europe/Paris", 50, "02:00"),  # 02:00-02:59 twice: the 7th is the 2nd 02:00
    ("2026-03-29", "Indian/Mauritius", 48, "03:00")])  # no DST
def test_dst_days_follow_the_site_clock(tmp_path, day, tz, n, seventh):
    rows = _day_rows(day, tz)
    assert len(rows) == n
    df = io.read_interval_stats(write(tmp_path, rows), tz=tz)
    assert len(df) == n
    # A real gap on that day is still found, with its local time and the row after it.
    message = error_of(write(tmp_path, _day_rows(day, tz, skip=6)), tz=tz)
    assert "row 8" in message and f"gap: interval {day} {seventh} (local)" in message


def test_gap_check_is_linear_in_rows(tmp_path):
    """Many short series-days (one missing interval each): the error comes in seconds."""
    import time

    from toolkit.io import _check_gaps, _Source

    days = pd.date_range("2025-01-01", periods=250, freq="D")  # local dates
    slots = pd.to_timedelta(np.arange(8 * 2, 20 * 2) * 30, unit="min")
    ds = (days.values[:, None] + slots.values[None, :]).ravel()
    frames = []
    for site in range(12):
        for queue in ("sales", "care", "retention"):
            keep = np.ones(len(ds), dtype=bool)
            keep[5 + site::len(slots)] = False  # one interval missing per series-day
            keep[:len(slots)] = True  # except the first day of each series
            frames.append(pd.DataFrame({"ds": ds[keep], "queue": queue, "site": f"S{site}"}))
    table = pd.concat(frames, ignore_index=True)
    table["ds"] = pd.DatetimeIndex(table["ds"]).tz_localize("Europe/Paris")
    clock = pd.Series(["all"] * len(table))
    t0 = time.perf_counter()
    with pytest.raises(DataError, match="gap: interval 2025-01-02 10:30"):
        _check_gaps(table["ds"], table[["queue", "site"]], clock,
                    _Source(tmp_path / "big.csv", 2), 30)
    assert time.perf_counter() - t0 < 10, f"{len(table):,} rows"
