"""Helpers of the XML writers (TCX, GPX): canonical records in, element strings out."""

from __future__ import annotations

import polars as pl

from runlab import schema

__all__ = ["prepare_records", "time_strings", "elem"]


def prepare_records(records: pl.DataFrame) -> pl.DataFrame:
    """Canonical columns, NaN → null, rows without a timestamp refused, sorted by time."""
    if "timestamp" not in records.columns:
        raise ValueError("records lack the 'timestamp' column")
    rec = schema.conform(records, "records").select(list(schema.RECORDS))
    if rec["timestamp"].null_count():
        raise ValueError(f"{rec['timestamp'].null_count()} records have no timestamp")
    floats = [c for c, t in schema.RECORDS.items() if t == pl.Float64]
    return rec.with_columns(pl.col(floats).fill_nan(None)).sort("timestamp", maintain_order=True)


def time_strings(ts: pl.Series) -> pl.Expr:
    """ISO-8601 UTC times: milliseconds, or microseconds when any sample needs them."""
    sub_ms = (ts.dt.microsecond() % 1000 != 0).any()
    return pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ" if sub_ms
                                           else "%Y-%m-%dT%H:%M:%S%.3fZ")


def elem(tag: str, value: pl.Expr) -> pl.Expr:
    """``<tag>value</tag>`` where the value is present, else an empty string."""
    return pl.when(value.is_not_null()).then(
        pl.concat_str([pl.lit(f"<{tag}>"), value.cast(pl.String), pl.lit(f"</{tag}>")])
    ).otherwise(pl.lit(""))
