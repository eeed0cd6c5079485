"""Shared fixtures: the real-file corpus (a `shared/corpus` folder beside the checkout, or RUNLAB_CORPUS) and its MANIFEST facts."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("RUNLAB_CORPUS", ROOT.parent / "shared" / "corpus"))
IN_CI = os.environ.get("CI", "").lower() in {"true", "1"}


def unavailable(reason: str):
    """Skip for ordinary users; under CI=true a missing piece fails the run instead."""
    if IN_CI:
        pytest.fail(f"cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus folder (skips for users without it; fails under CI)."""
    if not (CORPUS / "MANIFEST.tsv").exists():
        unavailable(f"no corpus at {CORPUS}")
    return CORPUS


def manifest() -> pl.DataFrame:
    """MANIFEST.tsv with an extra ``facts`` column: dict of key → value (flags map to True)."""
    if not (CORPUS / "MANIFEST.tsv").exists():
        return pl.DataFrame({"path": [], "format": [], "expect": [], "tricky": []},
                            schema={c: pl.String for c in ("path", "format", "expect", "tricky")})
    return pl.read_csv(CORPUS / "MANIFEST.tsv", separator="\t", quote_char=None,
                       infer_schema=False)


def facts(expect: str | None) -> dict[str, str | bool]:
    """Parse a MANIFEST ``expect`` cell: ``a=1; flag`` → ``{"a": "1", "flag": True}``."""
    out: dict[str, str | bool] = {}
    for part in (expect or "").split(";"):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        out[key.strip()] = value.strip() if sep else True
    return out


def corpus_files(fmt: str) -> list[str]:
    """Manifest paths of one format, for ``pytest.mark.parametrize`` (empty without corpus)."""
    m = manifest()
    return m.filter(pl.col("format") == fmt)["path"].to_list() if m.height else []


def corpus_params(fmt: str):
    """``pytest.param(path, facts)`` for each file of ``fmt``; a placeholder that fails
    under CI (and skips for users) when the corpus is absent, so nothing passes silently."""
    m = manifest()
    if not m.height:
        return [pytest.param(None, None, id="no-corpus")]
    rows = m.filter(pl.col("format") == fmt).iter_rows(named=True)
    return [pytest.param(r["path"], facts(r["expect"]) | {"_tricky": r["tricky"]}, id=r["path"])
            for r in rows]


def check_scanner(data: bytes, name: str):
    """For a TCX or GPX document: when the fast layout scanner (``runlab.io._xml_scan.load``)
    reads it, expat (``load(..., scan=False)``) must read it too, and to the same points,
    values, times, texts, attributes and containers. Returns the scanner's ``Doc``, or None
    when it stepped aside."""
    import numpy as np

    from runlab.errors import ReadError
    from runlab.io import _times, _xml_scan, gpx, tcx
    from runlab.io.sniff import detect_bytes

    fmt = detect_bytes(data[:4096])
    if fmt not in ("tcx", "gpx"):
        return None
    spec = ((tcx.POINT_NAMES, "Trackpoint", ("Time",), (), ("Activity", "Lap")) if fmt == "tcx"
            else (gpx.POINT_NAMES, "trkpt", ("time",), ("lat", "lon"), ("trk", "trkseg")))
    names, point, texts, attrs, containers = spec
    fast = scanned(data, point, names, texts, attrs, containers)
    if fast is None:
        return None
    try:
        tree = _xml_scan.load(data, name, point=point, names=names, texts=texts, attrs=attrs,
                              containers=containers, scan=False)
    except ReadError as exc:
        raise AssertionError(f"{name}: the scanner read a document expat refuses: {exc}") from exc
    assert fast.fast and not tree.fast and not tree.times, name
    assert fast.n == tree.n and fast.cols.keys() == tree.cols.keys(), name
    for k in fast.cols:
        assert np.array_equal(fast.cols[k], tree.cols[k], equal_nan=True), f"{name}: {k}"
    assert fast.texts.keys() | fast.times.keys() == tree.texts.keys(), name
    for got, want in ((fast.texts, tree.texts), (fast.attrs, tree.attrs)):
        for k in got:
            assert got[k].to_list() == want[k].to_list(), f"{name}: {k}"
    for k in fast.times:  # device times the scanner parsed: as parse_times reads expat's
        want = _times.parse_times(tree.texts[k], name)[0]
        assert fast.times[k].to_list() == want.to_list(), f"{name}: {k}"
    for k in fast.within:
        assert np.array_equal(fast.within[k], tree.within[k]), f"{name}: within {k}"
    return fast


def scanned(data: bytes, point: str, names: dict, texts=(), attrs=(), containers=()):
    """The ``Doc`` of the layout scanner, or None when it steps aside (expat reads the
    document or refuses it)."""
    from runlab.errors import ReadError
    from runlab.io import _xml_scan

    try:
        doc = _xml_scan.load(data, "x", point=point, names=names, texts=texts, attrs=attrs,
                             containers=containers)
    except ReadError:
        return None
    return doc if doc.fast else None


#: Set by CI's video job (.ci/run): there the video tests may not skip.
VIDEO_JOB = os.environ.get("RUNLAB_VIDEO_JOB", "") == "1"


@pytest.fixture(scope="session")
def mediapipe():
    """The mediapipe module. Skips without the ``video`` extra — also in CI's core job,
    whose venv has no mediapipe by design; CI's video job (RUNLAB_VIDEO_JOB=1) runs every
    video test, and a missing mediapipe fails it."""
    try:
        import mediapipe as mp
    except ImportError as exc:
        if VIDEO_JOB:
            pytest.fail(f"the video job needs mediapipe: {exc}", pytrace=False)
        pytest.skip(f'needs the video extra (pip install -e ".[test,video]"): {exc}')
    return mp


def _has_mediapipe() -> bool:
    import importlib.util

    return importlib.util.find_spec("mediapipe") is not None


def pytest_collection_modifyitems(config, items):
    """Every test that needs mediapipe is a video test, so that CI's video job
    (``-m video``) runs it even when its module forgot the marker. CI's core job (CI=true,
    no mediapipe by design) deselects them instead of skipping: in CI nothing skips, and
    the video job runs each of them."""
    needs = [i for i in items if "mediapipe" in getattr(i, "fixturenames", ())]
    for item in needs:
        item.add_marker(pytest.mark.video)
    if os.environ.get("CI") == "true" and not VIDEO_JOB and needs and not _has_mediapipe():
        config.hook.pytest_deselected(items=needs)
        items[:] = [i for i in items if i not in needs]
