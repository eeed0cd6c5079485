"""Time and array helpers shared by cleaning, walk/run and gait analysis: timestamps ↔ µs,
seconds since a start, centred and time-window means, runs of equal values, a row-wise
log-sum-exp, a weighted median, and numpy's median, deciles and nanargmax with less
overhead (the same results)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import numpy as np
import polars as pl

from runlab import schema

__all__ = ["epoch_us", "timestamps", "seconds_since", "centred_mean", "run_lengths",
           "equals", "label_runs", "logsumexp_rows", "median", "deciles",
           "weighted_median", "nanargmax", "prefix_sums", "cumsum0", "window_sums", "window_mean",
           "Columns", "columns",
           "sharing_columns"]


def epoch_us(timestamp: pl.Series) -> np.ndarray:
    """Microseconds since 1970 (UTC) of a datetime Series, as int64, without a query."""
    a = timestamp.to_numpy()
    if a.dtype.kind != "M":
        a = timestamp.cast(schema.TIMESTAMP).to_numpy()
    return a.astype("datetime64[us]").view(np.int64)


def timestamps(name: str, us: np.ndarray) -> pl.Series:
    """A UTC ``Datetime("us")`` Series from microseconds since 1970 (inverse of
    :func:`epoch_us`)."""
    return pl.Series(name, np.asarray(us, dtype=np.int64)).cast(schema.TIMESTAMP)


def seconds_since(timestamp: pl.Series, origin: pl.Series | None = None) -> np.ndarray:
    """Seconds from the first value of ``origin`` (default ``timestamp``) [s], float64."""
    us = epoch_us(timestamp).astype(np.float64)
    if us.size == 0:
        return us
    ref = us if origin is None else epoch_us(origin).astype(np.float64)
    return (us - ref[0]) / 1e6


def centred_mean(x: np.ndarray, half_window: float, t: np.ndarray | None = None, *,
                 bounds: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Centred moving average ignoring NaN: ``half_window`` samples either side, or, with
    sample times ``t`` [s], all samples within ``half_window`` seconds (smart recording).
    ``bounds`` (from :func:`window_bounds`) saves finding the windows again for another
    ``x`` on the same times."""
    ok = np.isfinite(x)
    every = x.dtype == np.float64 and bool(ok.all())  # then the counts are the widths
    c_sum = np.concatenate([[0.0], np.cumsum(x if every else np.where(ok, x, 0.0))])
    n = x.size
    if bounds is not None:
        lo, hi = bounds
    elif t is None:
        i = np.arange(n)
        lo = np.clip(i - int(half_window), 0, n)
        hi = np.clip(i + int(half_window) + 1, 0, n)
    else:
        lo, hi = window_bounds(t, half_window)
    if every:
        cnt = hi - lo
    else:
        c_cnt = np.concatenate([[0], np.cumsum(ok)])
        cnt = c_cnt[hi] - c_cnt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, (c_sum[hi] - c_sum[lo]) / np.maximum(cnt, 1), np.nan)


def window_bounds(t: np.ndarray, half_window: float) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last index of the samples within ``half_window`` seconds of each
    sample time ``t`` (sorted) [s]."""
    grid = whole_second_counts(t)
    return (sorted_search(t, t - half_window, "left", grid),
            sorted_search(t, t + half_window, "right", grid))


def whole_second_counts(t: np.ndarray) -> np.ndarray | None:
    """For sorted times [s] that are whole seconds from 0 (1 Hz records; at most ~4 s a
    sample on average), ``c[j]`` = the number of times below ``j`` s, which turns
    :func:`sorted_search` into a lookup; None for other times."""
    n = t.size
    if n == 0 or t[0] != 0.0 or not t[-1] <= 4.0 * n + 64.0:
        return None
    k = t.astype(np.int64)
    if not np.array_equal(k, t):
        return None
    return np.concatenate([[0], np.cumsum(np.bincount(k, minlength=int(k[-1]) + 1))])


def sorted_search(t: np.ndarray, q: np.ndarray, side: str, grid: np.ndarray | None = None
                  ) -> np.ndarray:
    """``np.searchsorted(t, q, side)``, looked up in ``grid`` (:func:`whole_second_counts`
    of ``t``) when there is one: the number of whole seconds below ``q`` ("left") or at or
    below it ("right")."""
    if grid is None:
        return np.searchsorted(t, q, side=side)
    j = np.ceil(q) if side == "left" else np.floor(q) + 1.0
    return grid[np.clip(j, 0, grid.size - 1).astype(np.intp)]


def prefix_sums(x: np.ndarray, w: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Running sums of ``x`` × ``w`` and of ``w`` (weights 1 without ``w``) over the
    samples where ``x`` is finite, from 0: found once for every window of
    :func:`window_mean` on them."""
    ok = np.isfinite(x)
    if w is None:
        if ok.all():  # the running count is 0, 1, 2, … (cumsum of ones, exactly)
            return cumsum0(x), np.arange(x.size + 1, dtype=np.float64)
        return cumsum0(np.where(ok, x, 0.0)), cumsum0(ok)
    return cumsum0(np.where(ok, x * w, 0.0)), cumsum0(np.where(ok, w, 0.0))


def cumsum0(x: np.ndarray) -> np.ndarray:
    """``[0, x0, x0 + x1, …]`` as float64 (no concatenated copy)."""
    out = np.empty(x.size + 1)
    out[0] = 0.0
    np.cumsum(x, out=out[1:], dtype=np.float64)
    return out


def window_sums(t: np.ndarray, sums: tuple[np.ndarray, np.ndarray], lo_s: np.ndarray,
                hi_s: np.ndarray, grid: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``x`` × ``w`` and of ``w`` (NaN ``x`` skipped; ``sums`` = :func:`prefix_sums`
    of them) over samples with ``lo_s`` < t ≤ ``hi_s``; ``grid`` is
    :func:`whole_second_counts` of ``t``."""
    c_xw, c_w = sums
    a, b = sorted_search(t, lo_s, "right", grid), sorted_search(t, hi_s, "right", grid)
    return c_xw[b] - c_xw[a], c_w[b] - c_w[a]


def window_mean(t: np.ndarray, sums: tuple[np.ndarray, np.ndarray], lo_s: np.ndarray,
                hi_s: np.ndarray, grid: np.ndarray | None = None) -> np.ndarray:
    """Mean of ``x`` (weights ``w``) over each window of :func:`window_sums`."""
    xw, w = window_sums(t, sums, lo_s, hi_s, grid)
    with np.errstate(invalid="ignore", divide="ignore"):
        return xw / w


def equals(column: pl.Series, value) -> np.ndarray:
    """``column == value`` as a bool array, null → False (a string column compared in
    polars, not turned into Python objects first)."""
    same = column == value
    return (same if same.null_count() == 0 else same.fill_null(False)).to_numpy()


def run_lengths(label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of equal values in ``label``."""
    if label.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(label[1:] != label[:-1]) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [label.size]]))
    return starts, lengths


def label_runs(column: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`run_lengths` of a (string) column, found in polars (``rle_id``) rather than
    on an array of Python objects."""
    return run_lengths(column.rle_id().to_numpy())


def logsumexp_rows(a: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
    """Log of the sum of exp along the last axis of the 2-D ``a``, per row, and with
    ``extra`` one more term per row. Without ``extra`` each row's maximum sets the scale
    (a row needs a finite value); ``extra`` must be finite: then it sets the scale, no
    infinite maximum needs guarding, and ``a`` may have no columns."""
    if extra is None:
        m = a.max(axis=-1)
    else:
        m = np.maximum(a.max(axis=-1), extra) if a.shape[-1] else extra
    total = np.exp(a - m[:, None]).sum(axis=-1)
    if extra is not None:
        total += np.exp(extra - m)
    return np.log(total) + m


def median(x: np.ndarray) -> float:
    """``float(np.median(x))`` by one partition: the mean of the middle value or two,
    summed from 0 as ``np.mean`` sums them (so -0.0 gives 0.0)."""
    if x.size == 0 or not np.isfinite(x).all():
        return float(np.median(x))
    h = x.size // 2
    s = np.partition(x, h if x.size % 2 else (h - 1, h))
    return float(0.0 + s[h] if x.size % 2 else (0.0 + s[h - 1] + s[h]) / 2.0)


def deciles(x: np.ndarray) -> np.ndarray:
    """``np.quantile(x, (0.1, 0.9))`` of finite ``x`` by one partition, with its linear
    interpolation's arithmetic (``np.quantile``'s own checks and copies cost more)."""
    if x.size < 2:
        return np.quantile(x, (0.1, 0.9))
    at = (x.size - 1) * np.array((0.1, 0.9))
    below = np.floor(at)
    gamma = at - below
    i = below.astype(np.intp)
    s = np.partition(x, np.unique(np.concatenate([i, i + 1])))
    a, b = s[i], s[i + 1]
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """Median of ``x`` weighted by ``w`` (the plain median when the weights are all 0)."""
    one = w == 1.0
    if x.size and bool(np.isfinite(x).all()) and bool((one | (w == 0.0) | np.isnan(w)).all()):
        # 1 Hz records (weights 1, or 0 for the first sample and pauses): the running
        # weights count the weight-1 samples whatever the order of ties, so the first
        # reaching m/2 is the ceil(m/2)-th smallest of those m (a selection, not a sort)
        m = int(one.sum())
        if m:
            k = (m + 1) // 2 - 1
            return float(np.partition(x[one], k)[k])
    order = np.argsort(x)
    cw = np.cumsum(np.nan_to_num(w[order]))
    if cw[-1] <= 0:
        return float(np.median(x))
    return float(x[order[np.searchsorted(cw, 0.5 * cw[-1])]])


def nanargmax(x: np.ndarray) -> int:
    """``np.nanargmax`` of a short array without its copies and checks (NaN as -inf)."""
    i = int(np.argmax(np.fmax(x, -np.inf)))
    return i if not np.isnan(x[i]) else int(np.nanargmax(x))  # all NaN: its error


def otsu_index(hist: np.ndarray, edges: np.ndarray) -> int | None:
    """Otsu's threshold on a histogram (Otsu 1979, doi:10.1109/TSMC.1979.4310076): the bin
    ``k`` that maximises the between-class variance when bins ``0..k`` form one class (the
    cut is ``edges[k + 1]``); ``None`` when no cut leaves both classes non-empty."""
    centre = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = hist.sum() - w0
    s0 = np.cumsum(hist * centre)
    both = (w0 > 0) & (w1 > 0)
    if not both.any():
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        between = w0 * w1 * (s0 / w0 - (s0[-1] - s0) / w1) ** 2
    return int(np.nanargmax(np.where(both, between, np.nan)))


class Columns:
    """A frame's columns as arrays, each converted once and kept read-only: the functions
    :func:`runlab.summarize` runs on one cleaned frame share them (:func:`sharing_columns`)
    instead of converting the same columns again."""

    __slots__ = ("frame", "_memo")

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._memo: dict = {}

    def _get(self, key, make) -> np.ndarray:
        out = self._memo.get(key)
        if out is None:
            out = self._memo[key] = make()
            out.flags.writeable = False
        return out

    def floats(self, *names: str) -> list[np.ndarray]:
        """Columns as float64 arrays (NaN for null)."""
        return [self._get(("float", c), lambda c=c: self.frame[c].to_numpy().astype(np.float64))
                for c in names]

    def raw(self, name: str) -> np.ndarray:
        """``frame[name].to_numpy()``."""
        return self._get(("raw", name), lambda: self.frame[name].to_numpy())

    def compare(self, name: str, value) -> np.ndarray:
        """``(frame[name] == value).to_numpy()`` (null stays null)."""
        if self.frame[name].null_count() == 0:  # then the same as equals()
            return self.equals(name, value)
        return self._get(("compare", name, value),
                         lambda: (self.frame[name] == value).to_numpy())

    def equals(self, name: str, value) -> np.ndarray:
        """:func:`equals` of a column."""
        return self._get(("equals", name, value), lambda: equals(self.frame[name], value))

    def epoch_us(self) -> np.ndarray:
        """:func:`epoch_us` of ``timestamp``."""
        return self._get("epoch_us", lambda: epoch_us(self.frame["timestamp"]))

    def elapsed_s(self) -> np.ndarray:
        """Seconds since the first ``timestamp`` [s], float64."""
        def make() -> np.ndarray:
            us = self.epoch_us().astype(np.float64)
            return (us - us[0]) / 1e6 if us.size else us
        return self._get("elapsed_s", make)


_SHARED: contextvars.ContextVar[Columns | None] = contextvars.ContextVar(
    "runlab_shared_columns", default=None)


def columns(frame: pl.DataFrame) -> Columns:
    """The shared :class:`Columns` of ``frame`` inside :func:`sharing_columns` for that very
    frame, else new ones."""
    shared = _SHARED.get()
    return shared if shared is not None and shared.frame is frame else Columns(frame)


@contextlib.contextmanager
def sharing_columns(frame: pl.DataFrame) -> Iterator[Columns]:
    """Within the block, :func:`columns` of ``frame`` returns one shared :class:`Columns`."""
    shared = Columns(frame)
    token = _SHARED.set(shared)
    try:
        yield shared
    finally:
        _SHARED.reset(token)
