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
A fixed-radius zone is not protection on its own: the points where many masked tracks
cross the zone's edge outline a circle whose centre a least-squares fit finds to within
metres. Exports (:func:`runlab.cohort.export`) therefore use :func:`mask_for_export`: each
runner's zones are moved and grown by offsets drawn from the store's secret (one per runner
for every export, one per export key), so every point of the stated disk stays masked but
the circle and the average of the first and last kept points centre elsewhere — by more
than 40 % of the radius in the median (tests/test_privacy_attack.py: 10 runs, 20 keys); the
trims are drawn per run; masked rows keep no exact time or distance.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from runlab.geo import haversine_m, step_distances_m

__all__ = ["mask", "mask_for_export", "export_zones", "pseudonym", "pseudonymize",
           "zones_from_csv", "DEFAULT_RADIUS_M", "DEFAULT_TRIM_M", "OFFSET_FRACTION",
           "EXPORT_OFFSET_RANGE",
           "EXTRA_RADIUS_FRACTION", "TRIM_RANGE", "POSITION_DERIVED"]

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


#: A zone's centre moves, for an export, by two offsets: one per runner that stays the same
#: in every export (uniform in a disk of ``OFFSET_FRACTION`` × the radius; so averaging
#: many exports converges on that point, not on the place) and one per export key and
#: runner (length uniform in ``EXPORT_OFFSET_RANGE`` × the radius, direction uniform). Both
#: come from the store's secret, which never leaves the store. The per-export offset is
#: large because runs leave a zone along rays from the place: the mean of their exit points
#: lies only about half the offset away from it.
OFFSET_FRACTION = 0.5
EXPORT_OFFSET_RANGE = (0.8, 1.2)
#: The moved zone's radius: the stated radius + the offset's length (so every point within
#: the stated radius of the stated centre stays masked) + up to this fraction of it.
EXTRA_RADIUS_FRACTION = 0.5
#: Each run's start/end trim is drawn uniformly in this range × ``trim_start_end_m``.
TRIM_RANGE = (0.5, 1.5)
#: Columns that come from positions or tell where along the run a row is: null in masked
#: rows of an export (with the timestamp), re-based at the first kept row in kept rows.
POSITION_DERIVED = ("distance_m", "speed_mps", "altitude_m", "grade_pct", "elapsed_s",
                    "step_length_m")
_M_PER_DEG = 111_320.0


def _rng(secret: bytes, *parts: object) -> np.random.Generator:
    digest = hmac.new(secret, "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"),
                      hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def _in_disk(rng: np.random.Generator, radius: float) -> np.ndarray:
    """A point drawn uniformly in a disk of ``radius`` [m] (east, north)."""
    r, angle = radius * np.sqrt(rng.random()), 2 * np.pi * rng.random()
    return np.array([r * np.cos(angle), r * np.sin(angle)])


def export_zones(zones: Iterable[Sequence[float]], radius_m: float, secret: bytes,
                 export_key: str | bytes, runner_id: str | None) -> list[tuple[float, ...]]:
    """The zones as they are applied to one runner's runs in one export: centres moved by
    :data:`OFFSET_FRACTION` offsets and radii grown so that each still covers its stated
    disk (see the module notes); the same for all of that runner's runs."""
    out = []
    key = export_key.hex() if isinstance(export_key, bytes) else export_key
    for i, (zlat, zlon, zradius) in enumerate(_zones_array(zones, radius_m)):
        per_export = _rng(secret, "export", key, runner_id, i)
        angle = 2 * np.pi * per_export.random()
        shift = (_in_disk(_rng(secret, "runner", runner_id, i), OFFSET_FRACTION * zradius)
                 + per_export.uniform(*EXPORT_OFFSET_RANGE) * zradius
                 * np.array([np.cos(angle), np.sin(angle)]))
        grown = zradius + float(np.hypot(*shift)) \
            + per_export.uniform(0, EXTRA_RADIUS_FRACTION * zradius)
        lat = zlat + shift[1] / _M_PER_DEG
        lon = zlon + shift[0] / (_M_PER_DEG * max(np.cos(np.radians(zlat)), 1e-6))
        out.append((float(np.clip(lat, -90, 90)), float((lon + 180) % 360 - 180), grown))
    return out


def mask_for_export(records: pl.DataFrame, zones: Iterable[Sequence[float]], *,
                    radius_m: float, trim_start_end_m: float, secret: bytes,
                    export_key: str | bytes, runner_id: str | None,
                    run_id: str | None) -> pl.DataFrame:
    """:func:`mask` for records that leave the store (one run): zones moved and grown
    (:func:`export_zones`), the trim drawn in :data:`TRIM_RANGE`, and then masked rows lose
    their exact time and the position-derived columns (:data:`POSITION_DERIVED`), while
    kept rows' ``distance_m`` and ``elapsed_s`` start from 0 at the first kept row. Heart
    rate, cadence and the other body sensors stay in every row (without a time).

    Against an attacker who sees many runs and exports (but not the store's secret): the
    points where tracks leave a zone lie on a circle around the moved centre, and the first
    and last kept points of many runs average there too, never at the place itself.
    """
    key = export_key.hex() if isinstance(export_key, bytes) else export_key
    trim = trim_start_end_m * _rng(secret, "trim", key, runner_id, run_id).uniform(*TRIM_RANGE)
    masked = mask(records, export_zones(zones, radius_m, secret, export_key, runner_id),
                  radius_m=radius_m, trim_start_end_m=trim, by=None)
    hidden = pl.col("position_masked")
    kept = ~hidden & pl.col("lat_deg").is_not_null()
    cols = [c for c in POSITION_DERIVED if c in masked.columns]
    rebase = [c for c in ("distance_m", "elapsed_s") if c in masked.columns]
    return masked.with_columns(
        *[pl.when(hidden).then(None).otherwise(
            pl.col(c) - pl.col(c).filter(kept).first() if c in rebase else pl.col(c)).alias(c)
          for c in cols],
        *([pl.when(hidden).then(None).otherwise(pl.col("timestamp")).alias("timestamp")]
          if "timestamp" in masked.columns else []),
    )
