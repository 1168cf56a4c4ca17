"""toolkit.atomic (the one writer) and toolkit.clock (the one wall-clock helper)."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from toolkit.atomic import DEFAULT_MODE, atomic_path, write_atomic
from toolkit.clock import local_clock


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_atomic_text_and_bytes_with_one_policy(tmp_path):
    old = os.umask(0o077)  # a strict umask must not change the policy
    try:
        text = write_atomic(tmp_path / "sub" / "a.txt", "é\nline\n")
        raw = write_atomic(tmp_path / "b.bin", b"\x00\x01")
        private = write_atomic(tmp_path / "c.txt", "x", mode=0o600)
    finally:
        os.umask(old)
    assert DEFAULT_MODE == 0o644
    assert text.read_bytes() == "é\nline\n".encode()
    assert raw.read_bytes() == b"\x00\x01"
    assert _mode(text) == _mode(raw) == 0o644 and _mode(private) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin", "c.txt", "sub"]


def test_atomic_path_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "t.csv"
    write_atomic(target, "old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left
    with atomic_path(target) as tmp:
        pd.DataFrame({"a": [1]}).to_csv(tmp, index=False)
    assert target.read_text() == "a\n1\n" and _mode(target) == 0o644


def test_every_writer_goes_through_toolkit_atomic(tmp_path):
    """Processed tables, KPI CSVs and sourcing tables get the same permissions."""
    from toolkit.costs.decision import write_table
    from toolkit.io import write_processed
    from toolkit.kpi.report import write_csv

    frame = pd.DataFrame({"a": [1, 2]})
    for path in (write_processed(frame, tmp_path / "p.parquet"),
                 write_table(frame, tmp_path / "s.parquet"),
                 write_csv(frame, tmp_path / "k.csv")):
        assert _mode(path) == 0o644, path.name


def test_local_clock_keeps_wall_time_for_every_kind():
    aware = pd.Series(pd.to_datetime(["2026-03-29 01:30", "2026-03-29 03:00"])
                      .tz_localize("Europe/Paris"))
    naive = pd.Series(pd.to_datetime(["2026-03-29 01:30", "2026-03-29 03:00"]))
    pd.testing.assert_series_equal(local_clock(aware), naive)
    pd.testing.assert_series_equal(local_clock(naive), naive)
    assert local_clock(pd.DatetimeIndex(aware)).equals(pd.DatetimeIndex(naive))
    assert local_clock(aware.iloc[1]) == pd.Timestamp("2026-03-29 03:00")
    assert local_clock(pd.Timestamp("2026-01-01")) == pd.Timestamp("2026-01-01")
    pd.testing.assert_series_equal(local_clock(["2026-01-01 08:00"]),
                                   pd.Series(pd.to_datetime(["2026-01-01 08:00"])))
