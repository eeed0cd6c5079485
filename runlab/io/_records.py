"""Record finishing shared by every text reader (TCX, GPX, CSV, JSON): canonical records
from parsed point columns, cadence in steps/min, the metadata every reader sets."""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import polars as pl

from runlab import schema
from runlab.errors import DataRepairWarning, NotAnActivityError

__all__ = ["meta", "finish_records", "partial_read", "cadence_to_spm", "PER_LEG_MEDIAN_MAX",
           "lower_sport"]


def meta(fmt: str, records: pl.DataFrame, warnings: list[str], *, sport: str | None = None,
         creator: str | None = None, offset_s: int | None = None, **extra) -> dict:
    """``Activity.meta`` with the keys every reader sets (INTERFACES.md), plus ``extra``."""
    return {"format": fmt, "sport": sport, "sub_sport": None,
            "start_time": records["timestamp"].min(),
            "local_time_offset_s": offset_s, "creator": creator, "partial": False,
            "warnings": warnings, **extra}


def partial_read(path: str, fault: str, records: pl.DataFrame, warnings: list[str]) -> None:
    """Say that a ``strict=False`` read kept only the records before ``fault``: a note in
    ``warnings`` (``meta["warnings"]``) and a :class:`~runlab.errors.DataRepairWarning`."""
    note = f"partial read: {fault}; kept the {records.height} records before it"
    warnings.append(note)
    _warnings.warn(f"{path}: {note}", DataRepairWarning, stacklevel=3)


#: A median raw cadence below this is per leg [1/min]: per-leg running cadence is 75–100 and
#: walking 50–65, while steps/min of both feet are ≥ 100 for walking and ≥ 140 for running.
PER_LEG_MEDIAN_MAX = 100.0


def cadence_to_spm(raw: np.ndarray, *, per_leg: bool | None) -> tuple[np.ndarray, str]:
    """Cadence in steps/min (both feet) from a format's raw cadence values.

    ``per_leg=True`` doubles (TCX ``RunCadence``, Garmin-style GPX ``cad``), ``False`` keeps,
    ``None`` decides from the data: a median of positive values below 100 is per leg
    (nobody steps under 100/min while moving on foot; per-leg running cadence is 75–100),
    otherwise the values are already steps/min. Returns the converted values and the unit
    that was assumed (``"per_leg"`` or ``"steps"``).
    """
    if per_leg is None:
        positive = raw[np.isfinite(raw) & (raw > 0)]
        per_leg = positive.size == 0 or float(np.median(positive)) < PER_LEG_MEDIAN_MAX
    return (raw * 2.0, "per_leg") if per_leg else (raw.astype(np.float64), "steps")


def finish_records(cols: dict[str, np.ndarray], times: pl.Series, path: str,
                   warnings: list[str]) -> pl.DataFrame:
    """Canonical records from parsed point columns and their times.

    Sorts by time (stable), merges points that share a timestamp (first non-missing value
    of each column wins; TCX writers repeat the lap-boundary point), adds ``elapsed_s`` and
    conforms to :data:`runlab.schema.RECORDS`. Nothing is derived: a file without speed or
    distance gives null columns, which :func:`runlab.clean` fills (and flags). When no point has a time, all are kept in file order with
    null timestamps; when only some have one, those without are left out (with a warning).
    """
    n = len(times)
    if n == 0:
        raise NotAnActivityError(path, "no track points")
    times = times.cast(schema.TIMESTAMP).alias("timestamp")
    micros = times.cast(pl.Int64).to_numpy()  # float with NaN where missing (else int64)
    has_time = ~np.isnan(micros) if micros.dtype.kind == "f" else np.ones(n, dtype=bool)
    cols = {k: np.asarray(v) for k, v in cols.items()}
    if not has_time.any():
        warnings.append("no point has a time; records keep file order with null timestamps")
        # a source with only relative time (Strava streams) keeps it
        elapsed = cols.get("elapsed_s", np.full(n, np.nan)).astype(np.float64)
    else:
        if not has_time.all():
            warnings.append(f"{int((~has_time).sum())} points without a time are left out "
                            "(records are ordered by time)")
        keep = np.flatnonzero(has_time)
        t = micros[keep].astype(np.int64)
        if (np.diff(t) < 0).any():
            warnings.append("points were not in time order; sorted")
            order = np.argsort(t, kind="stable")
            keep, t = keep[order], t[order]
        if keep.size < n or (np.diff(keep) != 1).any():
            times, cols = times.gather(keep), {k: v[keep] for k, v in cols.items()}
        elapsed = (t - t[0]) / 1e6
    rows = len(times)
    series = {"timestamp": times, "elapsed_s": pl.Series("elapsed_s", elapsed, nan_to_null=True)}
    series.update({k: pl.Series(k, v, nan_to_null=v.dtype.kind == "f")
                   for k, v in cols.items() if k != "elapsed_s"})
    frame = pl.DataFrame([series.pop(c) if c in series else _nulls(c, dtype, rows)
                          for c, dtype in schema.RECORDS.items()] + list(series.values()))
    if has_time.any() and (t[1:] == t[:-1]).any():
        frame = _merge_repeats(frame, warnings)
    return schema.conform(frame, "records")


def _nulls(name: str, dtype: pl.DataType, n: int) -> pl.Series:
    """A column of ``n`` nulls (floats from NaN: a tenth of the time of ``extend_constant``)."""
    if dtype == pl.Float64:
        return pl.Series(name, np.full(n, np.nan), nan_to_null=True)
    return pl.Series(name, dtype=dtype).extend_constant(None, n)


def _merge_repeats(frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    """Merge a point into the one before when it has the same time and no conflicting value.

    TCX writers repeat the last point of a lap as the first of the next; such a pair (equal
    or complementary values) becomes one record. Points sharing a time but disagreeing are
    all kept, with a warning.
    """
    t = frame["timestamp"].cast(pl.Int64).to_numpy()
    same_np = np.r_[False, t[1:] == t[:-1]]
    if not same_np.any():
        return frame
    same = pl.Series(same_np)
    values = [c for c in frame.columns if c != "timestamp"]
    conflict = pl.any_horizontal([
        pl.col(c).is_not_null() & pl.col(c).shift(1).is_not_null()
        & (pl.col(c) != pl.col(c).shift(1)) for c in values] or [pl.lit(False)])
    merge = frame.select((pl.lit(same) & ~conflict.fill_null(False)).alias("m")).to_series()
    nxt = merge.shift(-1, fill_value=False)
    frame = frame.with_columns(
        pl.when(pl.lit(nxt) & pl.col(c).is_null()).then(pl.col(c).shift(-1))
        .otherwise(pl.col(c)).alias(c) for c in values).filter(~merge)
    if merge.sum():
        warnings.append(f"{int(merge.sum())} points repeat the previous point's time and "
                        "values; merged")
    if (same & ~merge).any():
        warnings.append(f"{int((same & ~merge).sum())} points share a time with a different "
                        "point; kept")
    return frame


def lower_sport(value: str | None, table: dict[str, str]) -> str | None:
    """A sport label → runlab's lower-case FIT-style name (None if not known)."""
    if value is None:
        return None
    key = value.strip().lower()
    return table.get(key, key.replace(" ", "_") or None)
