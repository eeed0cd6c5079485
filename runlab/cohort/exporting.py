"""A shareable copy of a store: positions masked, ids pseudonymised, no notes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

import polars as pl

from runlab.cohort.store import Store, _locked, _records_path, _write_parquet

#: Runs columns an export leaves out: they name files or may quote them.
EXPORT_DROPPED_RUNS = ("warnings", "creator")


def export(store: str | os.PathLike | Store, out: str | os.PathLike, *,
           zones: Iterable[tuple[float, ...]] = (), radius_m: float | None = None,
           trim_start_end_m: float | None = None, key: str | bytes | None = None,
           mask: bool = True, pseudonymize: bool = True,
           include_notes: bool = False, drop_positions: bool = False) -> Store:
    """A copy of a store that may be shared: positions masked, ids pseudonymised, no notes.

    Parameters
    ----------
    store, out
        The store to export and a new (missing or empty) folder for the copy, itself a
        :class:`Store`.
    zones, radius_m, trim_start_end_m
        Private places and distances for :func:`runlab.privacy.mask`, applied to every run
        (defaults :data:`runlab.privacy.DEFAULT_RADIUS_M` and ``DEFAULT_TRIM_M``).
    key
        Key of the pseudonyms (:func:`runlab.privacy.pseudonym`) of runner ids, run ids,
        source paths and file hashes. Exports made with the same key can be joined; without
        a key a random one is used and thrown away, so nobody can link the ids back.
    mask, pseudonymize
        Turn the masking / the pseudonyms off (both on by default).
    include_notes
        Keep the journal's free-text ``notes`` and ``video`` references
        (:func:`runlab.journal.for_export`); left out by default.
    drop_positions
        Remove every position (``lat_deg``/``lon_deg`` null in all records): for sharing
        without private places to name; cadence, speed and distance stay.

    Returns
    -------
    Store
        The exported store. The errors table is not exported (it names files).
    """
    import secrets

    from runlab import privacy
    from runlab.journal import for_export

    src = store if isinstance(store, Store) else Store(store)
    dst = Store(out)
    if dst.path.exists() and any(dst.path.iterdir()):
        raise ValueError(f"{dst.path}: export folder must be new or empty")
    if not (src.path / "runs").is_dir():
        raise ValueError(f"{src.path}: not a runlab store (no runs table)")
    key = key if key is not None else secrets.token_hex(32)
    ids = ("runner_id", "run_id") if pseudonymize else ()
    opaque = ("source_path", "file_sha256")  # always hashed: paths and hashes identify files
    radius = privacy.DEFAULT_RADIUS_M if radius_m is None else radius_m
    trim = privacy.DEFAULT_TRIM_M if trim_start_end_m is None else trim_start_end_m

    def hide(frame: pl.DataFrame) -> pl.DataFrame:
        for column in ids:
            if column in frame.columns:
                frame = privacy.pseudonymize(frame, key, column)
        for column in opaque:
            if column in frame.columns:
                frame = privacy.pseudonymize(frame, key, column, length=64)
        return frame

    secret = src._secret()  # the zones' offsets: never leaves the store
    dst.path.mkdir(parents=True, exist_ok=True)
    with _locked(dst.path):
        runs = src.runs
        for (runner, sha), one in zip(runs.select("runner_id", "file_sha256").iter_rows(),
                                      runs.iter_slices(1), strict=True):
            records = pl.read_parquet(_records_path(src.path, runner, sha))
            if drop_positions:
                records = _without_positions(records)
            elif mask:
                records = privacy.mask_for_export(
                    records, zones, radius_m=radius, trim_start_end_m=trim, secret=secret,
                    export_key=key, runner_id=runner, run_id=sha)
            new = hide(one)
            _write_parquet(hide(records), _records_path(dst.path, new["runner_id"][0],
                                                        new["file_sha256"][0]), durable=False)
        if runs.height:
            os.sync()
            dst._commit("runs", hide(runs.drop(EXPORT_DROPPED_RUNS, strict=False))
                        .with_columns(pl.col(c).dt.truncate("1d")  # the day, not the time
                                      for c in ("start_time", "end_time") if c in runs.columns))
        if src.journal.height:
            dst._commit("journal", hide(for_export(src.journal, include_notes=include_notes)))
        if (src.path / "PIPELINE").is_file():  # the rows were made by the same runlab
            shutil.copyfile(src.path / "PIPELINE", dst.path / "PIPELINE")
    return dst


def _without_positions(records: pl.DataFrame) -> pl.DataFrame:
    """Records with every latitude and longitude set to null; ``position_masked`` is True
    where a position was removed (as :func:`runlab.privacy.mask` marks it)."""
    present = [c for c in ("lat_deg", "lon_deg") if c in records.columns]
    had = pl.any_horizontal([pl.col(c).is_not_null() for c in present]) if present \
        else pl.lit(False)
    return records.with_columns(*[pl.lit(None, records[c].dtype).alias(c) for c in present],
                                had.alias("position_masked"))
