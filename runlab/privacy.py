"""Location privacy and pseudonyms for sharing cohort data.

A GPS trace shows where a runner lives and works: most runs start and end at home. Before
records leave the lab, :func:`mask` removes positions near private places and along the
first and last metres of every run, and :func:`pseudonymize` replaces runner ids with keyed
hashes (HMAC-SHA256) so that ids stay stable across tables and exports made with the same
key, yet cannot be reversed or recomputed without it.

Masking keeps every sample and every other sensor (cadence, speed, heart rate): only
``lat_deg``/``lon_deg`` become null, and ``position_masked`` says which rows were touched.

Notes
-----
A fixed-radius zone is not perfect protection: the points where many masked tracks cross
the zone's edge outline a circle whose centre can be estimated. Trimming the start and end
of every run by distance, as :func:`mask` also does, removes the approach to the door that
gives most of that away; use a radius that covers several streets, and do not publish the
radius with the data.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from runlab.geo import haversine_m, step_distances_m

__all__ = ["mask", "pseudonym", "pseudonymize", "zones_from_csv", "DEFAULT_RADIUS_M",
           "DEFAULT_TRIM_M"]

#: Default radius around a private place [m] (several street blocks).
DEFAULT_RADIUS_M = 200.0
#: Default distance removed at the start and at the end of every run [m].
DEFAULT_TRIM_M = 200.0


def mask(records: pl.DataFrame, zones: Iterable[Sequence[float]] = (), *,
         radius_m: float = DEFAULT_RADIUS_M, trim_start_end_m: float = DEFAULT_TRIM_M,
         by: str | None = "run_id") -> pl.DataFrame:
    """Remove positions near private places and near the start and end of every run.

    Parameters
    ----------
    records : polars.DataFrame
        Records (or cleaned records) with ``lat_deg`` and ``lon_deg`` [°], in time order
        within each run. Several runs may be stacked; see ``by``.
    zones : iterable of (lat_deg, lon_deg) or (lat_deg, lon_deg, radius_m)
        Private places (home, work) [°]; a third item overrides ``radius_m`` for that zone.
    radius_m : float
        Positions closer than this to a zone centre are removed [m].
    trim_start_end_m : float
        Positions within this distance of a run's first or last position — along the track
        *or* in a straight line — are removed [m]. 0 turns trimming off.
    by : str or None
        Column that tells runs apart (``run_id`` in a store); ignored when absent, and then
        the frame is one run.

    Returns
    -------
    polars.DataFrame
        The same rows and columns with ``lat_deg``/``lon_deg`` set to null where masked, and
        a Boolean ``position_masked`` column (True where a position was removed).

    Raises
    ------
    ValueError
        For a negative distance, a zone that is not (lat, lon[, radius]) with latitude in
        [-90, 90] and longitude in [-180, 180], or records without position columns.
    """
    if radius_m < 0 or trim_start_end_m < 0:
        raise ValueError(f"distances must be >= 0 m; got radius_m={radius_m}, "
                         f"trim_start_end_m={trim_start_end_m}")
    missing = [c for c in ("lat_deg", "lon_deg") if c not in records.columns]
    if missing:
        raise ValueError(f"records lack position column(s) {missing}; has {records.columns}")
    zone_arr = _zones_array(zones, radius_m)
    lat = records["lat_deg"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    lon = records["lon_deg"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    valid = np.isfinite(lat) & np.isfinite(lon)

    hidden = np.zeros(records.height, dtype=bool)
    for zlat, zlon, zradius in zone_arr:
        hidden |= haversine_m(lat, lon, zlat, zlon) < zradius
    if trim_start_end_m > 0 and valid.any():
        groups = (records[by].rank("dense").to_numpy() if by and by in records.columns
                  else np.ones(records.height))
        hidden |= _near_ends(lat, lon, valid, groups, trim_start_end_m)
    hidden &= valid
    flag = pl.Series("position_masked", hidden)
    return records.with_columns(
        pl.when(flag).then(None).otherwise(pl.col("lat_deg")).alias("lat_deg"),
        pl.when(flag).then(None).otherwise(pl.col("lon_deg")).alias("lon_deg"),
        flag,
    )


def _zones_array(zones: Iterable[Sequence[float]], radius_m: float) -> np.ndarray:
    """Zones as an (n, 3) float array of lat [°], lon [°], radius [m]; validated."""
    rows = []
    for zone in zones:
        items = list(zone)
        if len(items) not in (2, 3):
            raise ValueError(f"a zone is (lat_deg, lon_deg) or (lat_deg, lon_deg, radius_m); "
                             f"got {zone!r}")
        zlat, zlon = float(items[0]), float(items[1])
        zradius = float(items[2]) if len(items) == 3 else float(radius_m)
        if not (-90 <= zlat <= 90 and -180 <= zlon <= 180) or zradius < 0:
            raise ValueError(f"zone {zone!r} is out of range (lat in [-90, 90], lon in "
                             f"[-180, 180], radius >= 0 m)")
        rows.append((zlat, zlon, zradius))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


def _near_ends(lat: np.ndarray, lon: np.ndarray, valid: np.ndarray, groups: np.ndarray,
               trim_m: float) -> np.ndarray:
    """Rows whose position lies within ``trim_m`` of its run's first or last position,
    measured along the track or in a straight line."""
    idx = np.flatnonzero(valid)
    g = groups[idx]
    step = step_distances_m(lat[idx], lon[idx])
    step[np.r_[True, g[1:] != g[:-1]]] = 0.0  # a new run starts from 0 m
    along = np.cumsum(step)
    first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]  # first valid row of each run
    last = np.r_[first[1:] - 1, idx.size - 1]
    run_of = np.repeat(np.arange(first.size), np.diff(np.r_[first, idx.size]))
    from_start = along - along[first][run_of]
    to_end = along[last][run_of] - along
    plat, plon = lat[idx], lon[idx]
    near = ((from_start < trim_m) | (to_end < trim_m)
            | (haversine_m(plat, plon, plat[first][run_of], plon[first][run_of]) < trim_m)
            | (haversine_m(plat, plon, plat[last][run_of], plon[last][run_of]) < trim_m))
    out = np.zeros(lat.size, dtype=bool)
    out[idx] = near
    return out


def zones_from_csv(path: str) -> list[tuple[float, ...]]:
    """Private zones from a CSV with columns ``lat_deg``, ``lon_deg`` and optional ``radius_m``.

    Raises ``ValueError`` naming the file when the columns are missing.
    """
    frame = pl.read_csv(path)
    if not {"lat_deg", "lon_deg"} <= set(frame.columns):
        raise ValueError(f"{path}: a zones CSV needs columns lat_deg, lon_deg[, radius_m]; "
                         f"has {frame.columns}")
    cols = ["lat_deg", "lon_deg", *(["radius_m"] if "radius_m" in frame.columns else [])]
    return [tuple(float(v) for v in row) for row in frame.select(cols).iter_rows()]


def _key_bytes(key: str | bytes) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not raw:
        raise ValueError("a pseudonymisation key must not be empty")
    return raw


def pseudonym(value: str, key: str | bytes, *, length: int = 16) -> str:
    """Keyed hash of one id: the first ``length`` hex digits of HMAC-SHA256(key, value).

    16 hex digits (64 bits) make a collision among a million ids about 3 in 10⁸.
    """
    if not 8 <= length <= 64:
        raise ValueError(f"length must be 8..64 hex digits; got {length}")
    digest = hmac.new(_key_bytes(key), value.encode("utf-8", "surrogateescape"),
                      hashlib.sha256).hexdigest()
    return digest[:length]


def pseudonymize(frame: pl.DataFrame, key: str | bytes, column: str = "runner_id", *,
                 length: int = 16) -> pl.DataFrame:
    """Replace the ids in ``column`` with keyed hashes (:func:`pseudonym`); nulls stay null.

    The same key gives the same pseudonym in every table, so runs, records and journal
    still join; without the key the original ids cannot be recovered or tested.

    Raises ``ValueError`` for an empty key or a missing column.
    """
    if column not in frame.columns:
        raise ValueError(f"no column {column!r} to pseudonymize; has {frame.columns}")
    values = frame[column].cast(pl.String)
    uniques = values.drop_nulls().unique().to_list()
    mapping = {v: pseudonym(v, key, length=length) for v in uniques}
    return frame.with_columns(values.replace_strict(mapping, default=None,
                                                    return_dtype=pl.String).alias(column))
