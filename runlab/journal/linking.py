"""Journal entries linked to runs (by run id, or by local date and time)."""

from __future__ import annotations

import polars as pl

from runlab.errors import JournalError
from runlab.journal.validation import _typed_column

__all__ = ["attach", "form_entry"]


def form_entry(summary: pl.DataFrame) -> dict:
    """A clip's measured form (:func:`runlab.gait.form` ``.summary``, one row) as journal
    fields (``form_*``, :data:`runlab.journal.FORM`), rounded for people: append it with
    the rubric scores so the entry links the coach's scores to what was measured."""
    from runlab.journal.fields import FORM

    if summary.height != 1:
        raise JournalError(f"a clip's form summary has one row; got {summary.height}")
    row = summary.row(0, named=True)
    out = {}
    for column, measured in FORM.items():
        value = row.get(measured)
        out[column] = round(value, 2) if isinstance(value, float) else value
    return out


def attach(runs: pl.DataFrame, journal: pl.DataFrame, *, tz: str = "UTC",
           time_tolerance_s: float = 3 * 3600) -> pl.DataFrame:
    """Link journal entries to runs; report what could not be linked unambiguously.

    An entry with a ``run_id`` links to that run. Otherwise it links to the runs of the
    same ``runner_id`` that started on its ``date`` (``start_time`` converted to ``tz``,
    the runners' local time zone). When that is more than one run and the entry has a
    ``time``, only runs starting within ``time_tolerance_s`` of it remain. Nothing is guessed.

    Returns
    -------
    polars.DataFrame
        The journal with ``run_id`` filled where linked, and ``link`` — how: ``"run_id"``,
        ``"date"``, ``"date_time"``, ``"ambiguous"`` (several runs fit; ``run_id`` stays
        null), ``"unmatched"`` (no run that day) or ``"unknown_run_id"`` (the given id is not
        in ``runs``) — and ``candidates``, the list of run ids that fit (for review).
    """
    for name in ("run_id", "runner_id", "start_time"):
        if name not in runs.columns:
            raise JournalError(f"runs frame lacks {name!r}; has {runs.columns}")
    for name in ("date", "runner_id"):
        if name not in journal.columns:
            raise JournalError(f"journal lacks {name!r}; has {journal.columns}")
    if "run_id" not in journal.columns:
        journal = journal.with_columns(run_id=pl.lit(None, pl.String))
    has_time = "time" in journal.columns
    if has_time and journal.schema["time"] != pl.Time:  # a hand-made frame: "07:30" text
        journal = journal.with_columns(_typed_column("time"))
    start = pl.col("start_time")
    if runs.schema["start_time"].time_zone is None:  # naive times are UTC in runlab
        start = start.dt.replace_time_zone("UTC")
    local = runs.select(
        pl.col("run_id").alias("__cand"), pl.col("runner_id"),
        start.dt.convert_time_zone(tz).alias("__local"),
    ).with_columns(pl.col("__local").dt.date().alias("date"))
    jr = journal.with_row_index("__row")
    by_day = (jr.filter(pl.col("run_id").is_null())
              .select("__row", "runner_id", "date", *(["time"] if has_time else []))
              .join(local, on=["runner_id", "date"], how="inner"))
    if has_time:
        start_s = (pl.col("__local").dt.hour().cast(pl.Float64) * 3600
                   + pl.col("__local").dt.minute() * 60 + pl.col("__local").dt.second())
        entry_s = (pl.col("time").dt.hour().cast(pl.Float64) * 3600
                   + pl.col("time").dt.minute() * 60 + pl.col("time").dt.second())
        by_day = by_day.with_columns(
            ((start_s - entry_s).abs() <= time_tolerance_s).fill_null(True).alias("__near"),
            pl.col("time").is_not_null().alias("__timed"))
    else:
        by_day = by_day.with_columns(pl.lit(True).alias("__near"), pl.lit(False).alias("__timed"))
    per_entry = by_day.sort("__local").group_by("__row").agg(
        pl.col("__cand").alias("candidates"),
        pl.col("__cand").filter(pl.col("__near")).alias("__near_ids"),
        pl.col("__timed").first(),
    )
    known = runs["run_id"].drop_nulls().unique().implode()
    out = jr.join(per_entry, on="__row", how="left").with_columns(
        pl.col("candidates").fill_null(pl.lit([], pl.List(pl.String))))
    n_all = pl.col("candidates").list.len()
    n_near = pl.col("__near_ids").list.len().fill_null(0)
    timed = pl.col("__timed").fill_null(False)
    link = (
        pl.when(pl.col("run_id").is_not_null())
        .then(pl.when(pl.col("run_id").is_in(known)).then(pl.lit("run_id"))
              .otherwise(pl.lit("unknown_run_id")))
        .when(n_all == 0).then(pl.lit("unmatched"))
        .when((n_all == 1) & ~timed).then(pl.lit("date"))
        .when(timed & (n_near == 1)).then(pl.lit("date_time"))
        .when(timed & (n_near == 0)).then(pl.lit("unmatched"))
        .otherwise(pl.lit("ambiguous"))
    )
    resolved = (pl.when(pl.col("link") == "date").then(pl.col("candidates").list.first())
                .when(pl.col("link") == "date_time").then(pl.col("__near_ids").list.first())
                .otherwise(pl.col("run_id")))
    out = out.with_columns(link.alias("link"))
    out = out.with_columns(
        resolved.alias("run_id"),
        pl.when(pl.col("link").is_in(["run_id", "unknown_run_id"]))
        .then(pl.lit([], pl.List(pl.String))).otherwise(pl.col("candidates")).alias("candidates"),
    )
    return out.sort("__row").drop("__row", "__near_ids", "__timed")
