"""The site's wall clock: the one helper that turns time stamps into local time of day.

Opening hours, days, months and weekdays are read on the site's clock. Time stamps in the
toolkit are either timezone-aware (converted to the site's zone on reading) or naive and
documented as the site's local time; ``local_clock`` gives both as naive wall-clock time.
"""

from __future__ import annotations

import pandas as pd


def local_clock(ds):
    """Wall-clock time of the site, with the zone dropped (naive input is returned as is).

    Accepts a Series (of datetimes, or of anything ``pd.to_datetime`` reads), a
    ``DatetimeIndex`` or a ``Timestamp`` and returns the same kind: a tz-aware
    ``2026-03-29 03:00+02:00`` becomes ``2026-03-29 03:00``.
    """
    if isinstance(ds, pd.Timestamp):
        return ds.tz_localize(None) if ds.tzinfo is not None else ds
    if isinstance(ds, pd.DatetimeIndex):
        return ds.tz_localize(None) if ds.tz is not None else ds
    ds = pd.to_datetime(ds if isinstance(ds, pd.Series) else pd.Series(ds))
    return ds.dt.tz_localize(None) if getattr(ds.dt, "tz", None) is not None else ds
