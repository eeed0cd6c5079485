"""Randomized FIT activities written with the official Garmin FIT SDK ``Encoder``.

Test and benchmark helper (garmin-fit-sdk is a test-only dependency). The files vary in
duration, timer pauses, GPS dropouts, laps and developer fields so the reader is checked
against files it was not written for. :func:`sdk_messages` decodes with the SDK ``Decoder``,
the reference every differential test compares to.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import numpy as np
from garmin_fit_sdk import Decoder, Encoder, Stream

__all__ = ["FIT_EPOCH_S", "activity", "sdk_messages", "fit_crc", "restamp", "to_big_endian"]

#: Seconds from the Unix epoch to the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_S = 631065600

_MESG = {"file_id": 0, "device_info": 23, "event": 21, "record": 20, "lap": 19,
         "session": 18, "activity": 34, "developer_data_id": 207, "field_description": 206}

_DEV_FIELDS = {
    # key → (field_definition_number, fit_base_type_id, name, units)
    "form_power": (0, 0x84, "Form Power", "Watts"),  # uint16
    "leg_spring": (1, 0x88, "Leg Spring Stiffness", "KN/m"),  # float32
}


def _fit_ts(dt: datetime) -> int:
    return int(dt.timestamp()) - FIT_EPOCH_S


def activity(
    *,
    duration_s: int = 600,
    seed: int = 0,
    sport: str = "running",
    pauses: int = 0,
    gps: str = "full",
    laps: int = 1,
    dev_fields: bool = False,
    start: datetime = datetime(2024, 5, 4, 7, 30, tzinfo=UTC),
    dynamics: bool = True,
    native_power: bool = False,
    dev_cadence: bool = False,
) -> bytes:
    """A 1 Hz activity as FIT bytes, written by the SDK Encoder.

    Parameters
    ----------
    duration_s : number of record messages (1 s apart, plus pause gaps).
    seed : random seed for the signals.
    sport : FIT sport name ("running", "walking", "cycling").
    pauses : number of timer stop/start pairs; each pause skips 5–60 s of records.
    gps : "full", "none" (no position fields), "dropout" (some records without position
        fields, which forces a mid-file redefinition) or "sentinel" (some records carry the
        0x7FFFFFFF "invalid" position explicitly).
    laps : number of lap messages (equal splits).
    dev_fields : add two developer fields (uint16 and float32) to every record.
    native_power : with ``dev_fields``, add a developer "Power" field whose description
        links it to ``record.power`` (native field 7), as running power pods do.
    dev_cadence : with ``dev_fields``, add a developer "Cadence" field in "RPM" (uint8), as
        footpods and apps write beside the native cadence.
    dynamics : add running dynamics (stance time, vertical oscillation, step length).
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s)
    gap = np.zeros(n, dtype=np.int64)
    pause_at = sorted(rng.choice(np.arange(10, max(n - 10, 11)), size=min(pauses, max(n - 20, 0)),
                             replace=False)) if pauses else []
    for i in pause_at:
        gap[i] = int(rng.integers(5, 61))
    t0 = _fit_ts(start)
    ts = t0 + np.arange(n) + np.cumsum(gap)
    speed = np.clip(2.8 + 0.3 * np.sin(np.arange(n) / 90) + rng.normal(0, 0.1, n), 0.5, 6.5)
    dist = np.concatenate([[0.0], np.cumsum(speed[1:])])
    lat = 47.3769 + np.cumsum(rng.normal(0, 1e-5, n))
    lon = 8.5417 + np.cumsum(rng.normal(0, 1e-5, n))
    alt = 408 + 10 * np.sin(np.arange(n) / 300)
    hr = np.clip(120 + np.arange(n) / 60 + rng.normal(0, 2, n), 60, 200).round()
    spm = np.clip(168 + 6 * (speed - 2.8) + rng.normal(0, 2, n), 120, 200)
    strides = spm / 2
    cad = np.floor(strides)
    frac = np.round((strides - cad) * 128) / 128
    frac[frac >= 1] = 127 / 128

    dev_desc = {}
    if dev_fields:
        dev_id = {"mesg_num": _MESG["developer_data_id"], "developer_data_index": 0,
                  "application_id": list(range(16)), "application_version": 7}
        fields = dict(_DEV_FIELDS)
        if native_power:
            fields["power"] = (2, 0x84, "Power", "Watts")
        if dev_cadence:
            fields["cadence"] = (3, 0x02, "Cadence", "RPM")
        for key, (num, base, name, units) in fields.items():
            desc = {"mesg_num": _MESG["field_description"], "developer_data_index": 0,
                    "field_definition_number": num, "fit_base_type_id": base,
                    "field_name": name, "units": units, "native_mesg_num": 20}
            if key == "power":
                desc["native_field_num"] = 7
            dev_desc[key] = {"developer_data_id_mesg": dev_id, "field_description_mesg": desc}
    enc = Encoder(field_descriptions=dev_desc or None)
    enc.write_mesg({"mesg_num": _MESG["file_id"], "type": "activity", "manufacturer": "garmin",
                    "product": 3113, "serial_number": 1234567 + seed, "time_created": t0})
    enc.write_mesg({"mesg_num": _MESG["device_info"], "timestamp": t0, "device_index": 0,
                    "manufacturer": "garmin", "product": 3113, "software_version": 12.3,
                    "serial_number": 1234567 + seed})
    if dev_fields:
        enc.write_mesg(next(iter(dev_desc.values()))["developer_data_id_mesg"])
        for desc in dev_desc.values():
            enc.write_mesg(desc["field_description_mesg"])
    enc.write_mesg({"mesg_num": _MESG["event"], "timestamp": t0, "event": "timer",
                    "event_type": "start", "event_group": 0})
    lap_edges = np.linspace(0, n, laps + 1).round().astype(int)
    lap_starts = set(lap_edges[1:-1].tolist())
    lap_begin = 0
    for i in range(n):
        if gap[i]:
            enc.write_mesg({"mesg_num": _MESG["event"], "timestamp": int(ts[i - 1]),
                            "event": "timer", "event_type": "stop_all", "event_group": 0})
            enc.write_mesg({"mesg_num": _MESG["event"], "timestamp": int(ts[i]),
                            "event": "timer", "event_type": "start", "event_group": 0})
        if i in lap_starts:
            enc.write_mesg(_lap(ts, dist, lap_begin, i, sport))
            lap_begin = i
        rec = {"mesg_num": _MESG["record"], "timestamp": int(ts[i]),
               "distance": float(dist[i]), "enhanced_speed": float(speed[i]),
               "enhanced_altitude": float(alt[i]), "heart_rate": int(hr[i])}
        if sport in ("running", "walking"):
            rec["cadence"] = int(cad[i])
            rec["fractional_cadence"] = float(frac[i])
            if dynamics:
                rec["stance_time"] = round(float(250 - 20 * (speed[i] - 2.8)), 1)
                rec["vertical_oscillation"] = round(float(85 + rng.normal(0, 3)), 1)
                rec["step_length"] = round(float(speed[i] * 60 / spm[i] * 1000), 1)
        else:
            rec["cadence"] = int(85 + rng.integers(-5, 6))
            rec["power"] = int(200 + rng.integers(-30, 31))
        if gps == "full" or (gps in ("dropout", "sentinel") and not (i % 97 < 7)):
            rec["position_lat"] = int(round(lat[i] * 2**31 / 180))
            rec["position_long"] = int(round(lon[i] * 2**31 / 180))
        elif gps == "sentinel":
            rec["position_lat"] = 0x7FFFFFFF
            rec["position_long"] = 0x7FFFFFFF
        if dev_fields:
            rec["developer_fields"] = {"form_power": int(60 + i % 20),
                                       "leg_spring": float(np.float32(10.5 + (i % 7) / 4))}
            if native_power:
                rec["developer_fields"]["power"] = int(250 + i % 30)
            if dev_cadence:
                rec["developer_fields"]["cadence"] = int(80 + i % 9)
        enc.write_mesg(rec)
    end = int(ts[-1]) if n else t0
    enc.write_mesg({"mesg_num": _MESG["event"], "timestamp": end, "event": "timer",
                    "event_type": "stop_all", "event_group": 0})
    enc.write_mesg(_lap(ts, dist, lap_begin, n, sport))
    elapsed = float(end - t0)
    enc.write_mesg({"mesg_num": _MESG["session"], "timestamp": end, "start_time": t0,
                    "sport": sport, "sub_sport": "generic", "event": "session",
                    "event_type": "stop", "total_elapsed_time": elapsed,
                    "total_timer_time": float(n - 1) if n else 0.0,
                    "total_distance": float(dist[-1]) if n else 0.0, "num_laps": laps,
                    "first_lap_index": 0, "message_index": 0})
    enc.write_mesg({"mesg_num": _MESG["activity"], "timestamp": end, "num_sessions": 1,
                    "type": "manual", "event": "activity", "event_type": "stop",
                    "local_timestamp": end + 7200, "total_timer_time": float(n - 1) if n else 0.0})
    return enc.close()


def _lap(ts, dist, begin: int, end: int, sport: str) -> dict:
    last = max(end - 1, begin)
    return {"mesg_num": _MESG["lap"], "timestamp": int(ts[last]), "start_time": int(ts[begin]),
            "event": "lap", "event_type": "stop", "sport": sport,
            "total_elapsed_time": float(ts[last] - ts[begin]),
            "total_timer_time": float(last - begin),
            "total_distance": float(dist[last] - dist[begin])}


def sdk_messages(data: bytes, *, merge_heart_rates: bool = False) -> dict[str, list[dict]]:
    """All messages of a FIT file decoded by the official SDK (timestamps as FIT seconds),
    with heart rate of ``hr`` messages merged into records if asked.

    Raises ``ValueError`` when the SDK reports an error.
    """
    dec = Decoder(Stream.from_byte_array(bytearray(data)))
    messages, errors = dec.read(convert_datetimes_to_dates=False,
                                merge_heart_rates=merge_heart_rates)
    if errors:
        raise ValueError(f"garmin-fit-sdk: {errors[0]}")
    return messages


def fit_crc(data: bytes | bytearray, crc: int = 0) -> int:
    """FIT CRC-16 of ``data`` (the SDK's own calculator)."""
    from garmin_fit_sdk import CrcCalculator

    return CrcCalculator.calculate_crc(bytearray(data), 0, len(data)) if crc == 0 else crc


def restamp(data: bytes) -> bytes:
    """Recompute the header size/CRC and file CRC of a single-segment FIT file."""
    out = bytearray(data[:-2])
    struct.pack_into("<I", out, 4, len(out) - out[0])
    if out[0] == 14:
        struct.pack_into("<H", out, 12, fit_crc(out[:12]))
    return bytes(out) + struct.pack("<H", fit_crc(out))


_BASE_SIZE = {0x00: 1, 0x01: 1, 0x02: 1, 0x03: 2, 0x04: 2, 0x05: 4, 0x06: 4, 0x07: 1, 0x08: 4,
              0x09: 8, 0x0A: 1, 0x0B: 2, 0x0C: 4, 0x0D: 1, 0x0E: 8, 0x0F: 8, 0x10: 8}


def to_big_endian(data: bytes, dev_base: dict[tuple[int, int], int] | None = None) -> bytes:
    """The same single-segment FIT file re-encoded for a big-endian architecture.

    Every definition gets architecture byte 1 and a big-endian global number; every
    multi-byte value (per element of arrays) is byte-swapped. Developer field types come
    from ``dev_base`` ((developer_data_index, field number) → base type); the generator's
    two fields are known. Compressed-timestamp headers are not supported (the SDK Encoder
    never writes them).
    """
    dev_base = dev_base or {(0, 0): 0x04, (0, 1): 0x08}
    out = bytearray(data)
    pos, end = data[0], data[0] + struct.unpack_from("<I", data, 4)[0]
    layouts: dict[int, list[tuple[int, int]]] = {}
    while pos < end:
        h = data[pos]
        if h & 0x40:
            local = h & 0x0F
            out[pos + 2] = 1
            out[pos + 3:pos + 5] = data[pos + 3:pos + 5][::-1]
            n = data[pos + 5]
            p = pos + 6
            layout = [(data[p + 3 * i + 1], _BASE_SIZE[data[p + 3 * i + 2] & 0x1F])
                      for i in range(n)]
            p += 3 * n
            if h & 0x20:
                nd = data[p]
                p += 1
                layout += [(data[p + 3 * i + 1],
                            _BASE_SIZE[dev_base[(data[p + 3 * i + 2], data[p + 3 * i])]])
                           for i in range(nd)]
                p += 3 * nd
            layouts[local] = layout
            pos = p
        else:
            p = pos + 1
            for size, bsize in layouts[h & 0x0F]:
                if bsize > 1:
                    for k in range(p, p + size, bsize):
                        out[k:k + bsize] = data[k:k + bsize][::-1]
                p += size
            pos = p
    return restamp(bytes(out))


# --------------------------------------------------------------------------------------
# hand-built FIT structure for hostile inputs (the SDK Encoder refuses to write them)


def raw_definition(local: int, gnum: int, fields: list[tuple[int, int, int]],
                   dev: list[tuple[int, int, int]] = ()) -> bytes:
    """A little-endian definition message: ``fields`` are (number, size, base type),
    ``dev`` (number, size, developer_data_index)."""
    out = bytes([0x40 | (0x20 if dev else 0) | local, 0, 0]) + struct.pack("<HB", gnum,
                                                                       len(fields))
    out += b"".join(bytes(f) for f in fields)
    if dev:
        out += bytes([len(dev)]) + b"".join(bytes(d) for d in dev)
    return out


def raw_file(body: bytes) -> bytes:
    """``body`` (messages) wrapped in a 14-byte header and the file CRC."""
    head = struct.pack("<BBHI4s", 14, 0x20, 2100, len(body), b".FIT")
    head += struct.pack("<H", fit_crc(head))
    return head + body + struct.pack("<H", fit_crc(head + body))


def _file_id() -> bytes:  # type activity (4), manufacturer development (255)
    return raw_definition(0, 0, [(0, 1, 0x00), (1, 2, 0x84)]) + bytes([0, 4]) + \
        struct.pack("<H", 255)


def hostile_dev_fields(n_fields: int = 255, n_records: int = 1000, *, same_name: bool = True,
                       every_record: bool = True, developers: int = 1) -> bytes:
    """``developers`` × ``n_fields`` developer fields (uint8) described once each — all
    named "x" with ``same_name`` — then ``n_records`` records. With ``every_record`` each
    record carries the fields of one developer (in turn); otherwise the first record of each
    developer does and the rest carry a timestamp only."""
    body = _file_id()
    body += raw_definition(1, 207, [(3, 1, 0x02)])
    body += b"".join(bytes([1, d]) for d in range(developers))  # developer_data_id
    body += raw_definition(2, 206, [(0, 1, 0x02), (1, 1, 0x02), (2, 1, 0x02), (3, 16, 0x07),
                                    (8, 8, 0x07)])
    for d in range(developers):
        for i in range(n_fields):
            name = b"x" if same_name else b"f%d_%d" % (d, i)
            body += bytes([2, d, i, 0x02]) + name.ljust(16, b"\0") + b"u".ljust(8, b"\0")
    body += raw_definition(4, 20, [(253, 4, 0x86)])
    t0 = 1_000_000_000
    values = bytes(i % 200 for i in range(n_fields))
    for r in range(n_records):
        d = r % developers
        if every_record or r < developers:
            if r < developers or developers > 1:
                body += raw_definition(3, 20, [(253, 4, 0x86)],
                                       [(i, 1, d) for i in range(n_fields)])
            body += bytes([3]) + struct.pack("<I", t0 + r) + values
        else:
            body += bytes([4]) + struct.pack("<I", t0 + r)
    return raw_file(body)


def hostile_wide_definition(n_records: int = 1000, n_fields: int = 255) -> bytes:
    """One record declaring ``n_fields`` one-byte fields (all field numbers but the
    timestamp), then ``n_records`` 5-byte records with a timestamp only."""
    nums = [n for n in range(256) if n != 253][:n_fields - 1]
    body = _file_id()
    body += raw_definition(1, 20, [(253, 4, 0x86)] + [(n, 1, 0x02) for n in nums])
    t0 = 1_000_000_000
    body += bytes([1]) + struct.pack("<I", t0) + bytes(7 for _ in nums)
    body += raw_definition(2, 20, [(253, 4, 0x86)])
    body += b"".join(bytes([2]) + struct.pack("<I", t0 + 1 + r) for r in range(n_records))
    return raw_file(body)


def with_hr_messages(duration_s: int = 300, seed: int = 0, *, packed: bool = True) -> bytes:
    """A running activity whose heart rate is only in ``hr`` messages (as an HRM-Pro
    stores it): every 8 beats an anchor (timestamp, fractional_timestamp, one event time)
    or a delta message of 8 beats (``event_timestamp_12`` packed 12-bit times with
    ``packed``, else ``event_timestamp`` uint32 arrays). Records carry no heart rate."""
    rng = np.random.default_rng(seed)
    records = activity(duration_s=duration_s, seed=seed, dynamics=False)
    msgs = sdk_messages(records)
    t0 = msgs["record_mesgs"][0]["timestamp"]
    enc = Encoder()
    for kind in ("file_id_mesgs", "device_info_mesgs", "event_mesgs"):
        for m in msgs.get(kind, [])[:1]:
            enc.write_mesg({"mesg_num": _MESG[kind.removesuffix("_mesgs")], **m})
    beats, t, bpm = [], 0.3, 140.0
    while t < duration_s + 5:
        bpm = float(np.clip(bpm + rng.normal(0, 2), 90, 190))
        beats.append((t, int(round(bpm))))
        t += 60.0 / bpm * (1 + (rng.random() < 0.02) * rng.integers(2, 12))  # some dropouts
    hr_at = 0
    for i in range(0, len(beats), 9):
        anchor_t, anchor_b = beats[i]
        whole = int(anchor_t)
        event0 = int(round(anchor_t * 1024))
        enc.write_mesg({"mesg_num": 132, "timestamp": t0 + whole,
                        "fractional_timestamp": anchor_t - whole,
                        "event_timestamp": [event0 / 1024], "filtered_bpm": [anchor_b]})
        chunk = beats[i + 1:i + 9]
        if chunk:
            raws = [int(round(bt * 1024)) for bt, _ in chunk]
            mesg = {"mesg_num": 132, "filtered_bpm": [b for _, b in chunk]}
            if packed:
                bits = sum((r & 0xFFF) << (12 * k) for k, r in enumerate(raws))
                mesg["event_timestamp_12"] = list(bits.to_bytes(-(-12 * len(raws) // 8), "little"))
            else:
                mesg["event_timestamp"] = [r / 1024 for r in raws]
            enc.write_mesg(mesg)
        while hr_at < len(msgs["record_mesgs"]) and \
                msgs["record_mesgs"][hr_at]["timestamp"] <= t0 + anchor_t:
            rec = dict(msgs["record_mesgs"][hr_at])
            rec.pop("heart_rate", None)
            enc.write_mesg({"mesg_num": _MESG["record"], **rec})
            hr_at += 1
    for rec in msgs["record_mesgs"][hr_at:]:
        enc.write_mesg({"mesg_num": _MESG["record"], **{k: v for k, v in rec.items()
                                                         if k != "heart_rate"}})
    for kind in ("lap_mesgs", "session_mesgs", "activity_mesgs"):
        for m in msgs.get(kind, []):
            enc.write_mesg({"mesg_num": _MESG[kind.removesuffix("_mesgs")], **m})
    return enc.close()
