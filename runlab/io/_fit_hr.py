"""Heart rate from FIT ``hr`` messages, merged into records as the FIT SDK does.

Chest straps that store heart rate away from the watch (HRM-Pro, HRM-Tri, HRM-Swim) and
pool swims write it in ``hr`` messages (global number 132) instead of ``record.heart_rate``:
beat-filtered bpm values with event times in 1/1024 s, anchored to a full timestamp.
The official FIT SDK's decoders merge them into the records (``merge_heart_rates``); runlab
does the same, with the same result, and flags the rows it filled (``heart_rate_merged``).

The rule (as documented for the SDK decoders):

1. event times: ``event_timestamp`` (uint32, 1/1024 s) or ``event_timestamp_12`` (up to ten
   12-bit values packed in bytes, accumulated across messages); a message with a
   ``timestamp`` (+ ``fractional_timestamp``, or ``time256`` = 1/256 s) anchors the event
   clock: value time = anchor time + (event time − anchor event time);
2. each value is carried forward in 250 ms steps across a gap to the next (at most 20 steps);
3. a record at time t takes the rounded mean (half up) of the values in (previous record's
   time, t], walking the values in order; a repeated record time reopens the last second.

A stream that breaks the rule (no anchor before the first values, counts of times and
values that differ, an event clock that runs backwards) is not merged, with a warning.
"""

from __future__ import annotations

import numpy as np

from runlab.io._fit_decode import field_columns

__all__ = ["HR_MESG", "hr_samples", "merge_heart_rates"]

HR_MESG = 132
_TS, _FRAC, _TIME256, _BPM, _EVENT, _EVENT12 = 253, 0, 1, 6, 9, 10
_ROLLOVER_S = 0x400000  # uint32 / 1024
_STEP_S, _MAX_STEPS = 0.25, 20


class HrStreamError(ValueError):
    """The hr messages do not follow the rule (the reason is the message)."""


def _array(values) -> list[list[float]] | None:
    """Field values as one list per message (scalars → one-element lists)."""
    if values is None or isinstance(values, list):
        return None
    if values.ndim == 1:
        return [[v] for v in values.tolist()]
    return values.tolist()


def _unpack12(raw: np.ndarray) -> np.ndarray:
    """(m, bytes) → (m, k) 12-bit values, little-endian bit order, k ≤ 10."""
    k = min(10, raw.shape[1] * 8 // 12)
    bits = np.unpackbits(raw.astype(np.uint8), axis=1, bitorder="little")[:, :12 * k]
    return bits.reshape(raw.shape[0], k, 12).astype(np.int64) @ (1 << np.arange(12))


def hr_samples(msgs, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """(times [FIT s], bpm) of the hr messages, expanded to 250 ms steps.

    ``msgs`` is the FIT reader's message table. Raises :class:`HrStreamError` when the
    stream breaks the rule or would expand to more than ``limit`` samples.
    """
    per_msg: list[tuple] = []
    for defn in msgs.dec.of(HR_MESG):
        rows = msgs.rows(defn)
        cols = field_columns(rows, defn, keys={_TS, _FRAC, _TIME256, _BPM, _EVENT, _EVENT12})
        n = rows.shape[0]
        ts = cols.get(_TS)
        ts = ts.tolist() if isinstance(ts, np.ndarray) and ts.ndim == 1 else [np.nan] * n
        frac = [np.nan] * n
        for key, scale in ((_TIME256, 256.0), (_FRAC, 32768.0)):  # the direct field wins
            v = cols.get(key)
            if isinstance(v, np.ndarray) and v.ndim == 1:
                frac = [a / scale if a == a else b for a, b in zip(v.tolist(), frac,
                                                                   strict=True)]
        raw_bpm = cols.get(_BPM)
        if isinstance(raw_bpm, np.ndarray) and raw_bpm.ndim == 2:  # invalid elements: 0xFF
            raw_bpm = np.where(raw_bpm == 0xFF, np.nan, raw_bpm.astype(np.float64))
        bpm = _array(raw_bpm)
        direct = _array(cols.get(_EVENT))
        packed = cols.get(_EVENT12)
        if isinstance(packed, np.ndarray) and packed.ndim == 1:
            packed = packed[:, None]
        if isinstance(packed, np.ndarray) and packed.ndim == 2 and direct is None:
            valid = ~(packed.astype(np.int64) == 0xFF).all(axis=1)
            twelve = _unpack12(packed).tolist()
            events = [(t, False) if ok else None for t, ok in zip(twelve, valid.tolist(),
                                                                  strict=True)]
        elif direct is not None:
            events = [(e, True) for e in direct]
        else:
            events = [None] * n
        for i, p in enumerate(defn.offsets):
            per_msg.append((p, ts[i], frac[i], bpm[i] if bpm else None, events[i]))
    per_msg.sort(key=lambda m: m[0])
    return _expand(per_msg, limit)


def _expand(per_msg: list, limit: int) -> tuple[np.ndarray, np.ndarray]:
    acc = last = None  # the event-time accumulator (raw 1/1024 s)
    anchor_t = anchor_e = None
    times: list[float] = []
    bpms: list[float] = []
    for _, ts, frac, bpm, events in per_msg:
        if events is None or bpm is None:
            raise HrStreamError("an hr message without event times or bpm values")
        raw, is_direct = events
        seconds = []
        for v in raw:
            if v != v or v in (0xFFFFFFFF,):
                raise HrStreamError("an invalid event time")
            v = int(v)
            if is_direct or acc is None:
                acc = last = v
            else:
                acc += (v - last) & 0xFFF
                last = v
            seconds.append(acc / 1024.0)
        if ts == ts:  # an anchor
            if len(seconds) != 1:
                raise HrStreamError("an anchor hr message with more than one event time")
            anchor_t = ts + (frac if frac == frac else 0.0)
            anchor_e = seconds[0]
        if anchor_t is None:
            raise HrStreamError("hr values before the first anchor (timestamp)")
        if len(seconds) != len(bpm) or any(b != b for b in bpm):
            raise HrStreamError("hr event times and bpm values do not pair up")
        for e, b in zip(seconds, bpm, strict=True):
            if e < anchor_e:
                if anchor_e - e <= _ROLLOVER_S:
                    raise HrStreamError("the hr event clock runs backwards")
                e += _ROLLOVER_S
            times.append(anchor_t + (e - anchor_e))
            bpms.append(b)
        if len(times) > limit:
            raise HrStreamError(f"more than {limit} hr values")
    t = np.asarray(times, dtype=np.float64)
    b = np.asarray(bpms, dtype=np.float64)
    if t.size < 2:
        return t, b
    gap_ms = np.abs(np.diff(t)) * 1000.0
    # steps s = 1..20 while the remaining gap exceeds 250 ms: gap > 250 s
    fills = np.minimum(_MAX_STEPS, np.maximum(0, np.ceil(gap_ms / 250.0) - 1)).astype(np.int64)
    total = t.size + int(fills.sum())
    if total > limit:
        raise HrStreamError(f"more than {limit} hr samples after filling gaps")
    count = np.concatenate([[1], fills + 1])  # per value: its fills (before it) and itself
    src = np.repeat(np.arange(t.size), count)
    step = np.arange(total) - np.repeat(np.cumsum(count) - count, count)  # 0..fills
    is_fill = step < np.repeat(count - 1, count)
    prev = np.maximum(src - 1, 0)
    out_t = np.where(is_fill, t[prev] + _STEP_S * (step + 1), t[src])
    out_b = np.where(is_fill, b[prev], b[src])
    return out_t, out_b


def merge_heart_rates(record_ts: np.ndarray, hr_t: np.ndarray, hr_b: np.ndarray,
                      heart_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Records' heart rate with the hr samples merged in (file order of the records;
    records without a timestamp are passed over) and the mask of the rows filled."""
    out = heart_rate.copy()
    merged = np.zeros(record_ts.size, dtype=bool)
    times, bpm = hr_t.tolist(), hr_b.tolist()
    n = len(times)
    j = 0
    start = None
    for i, end in enumerate(record_ts.tolist()):
        if end != end:
            continue
        if start is None:
            start = end
        if start == end:
            start -= 1
            j = max(j - 1, 0)
        total, count = 0.0, 0
        while j < n:
            t = times[j]
            if start < t <= end:
                total += bpm[j]
                count += 1
            elif t > end:
                if count:
                    out[i] = float(np.floor(total / count + 0.5))
                    merged[i] = True
                start = end
                break
            j += 1
    return out, merged
