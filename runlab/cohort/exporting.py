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
           include_notes: bool = False) -> Store:
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

    dst.path.mkdir(parents=True, exist_ok=True)
    with _locked(dst.path):
        runs = src.runs
        for (runner, sha), one in zip(runs.select("runner_id", "file_sha256").iter_rows(),
                                      runs.iter_slices(1), strict=True):
            records = pl.read_parquet(_records_path(src.path, runner, sha))
            if mask:
                records = privacy.mask(records, zones, radius_m=radius,
                                       trim_start_end_m=trim)
            new = hide(one)
            _write_parquet(hide(records), _records_path(dst.path, new["runner_id"][0],
                                                        new["file_sha256"][0]), durable=False)
        if runs.height:
            os.sync()
            dst._commit("runs", hide(runs.drop(EXPORT_DROPPED_RUNS, strict=False)))
        if src.journal.height:
            dst._commit("journal", hide(for_export(src.journal, include_notes=include_notes)))
        if (src.path / "PIPELINE").is_file():  # the rows were made by the same runlab
            shutil.copyfile(src.path / "PIPELINE", dst.path / "PIPELINE")
    return dst
