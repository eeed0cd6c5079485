"""Low-level FIT decoding: file headers, CRC, the message walk and vectorized field extraction.

The walk is the only per-message Python loop and does the least possible work per data
message (a table lookup, an append and an add); field values are then cut out of the
buffer for all messages of one definition at once with numpy (``rows.view(struct_dtype)``).
The result is a :class:`Decoded`: for each global message number the definitions that
occurred and the byte offsets of their messages, plus the problems found on the way.
"""

from __future__ import annotations

import struct
from array import array
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from runlab.errors import CorruptFileError, ReadError, TruncatedFileError

__all__ = ["Definition", "Decoded", "decode", "crc16", "field_columns", "BASE_TYPES"]

#: FIT base type (low 5 bits) → (numpy kind, size in bytes, invalid raw value or None)
BASE_TYPES: dict[int, tuple[str, int, int | None]] = {
    0x00: ("u1", 1, 0xFF),  # enum
    0x01: ("i1", 1, 0x7F),  # sint8
    0x02: ("u1", 1, 0xFF),  # uint8
    0x03: ("i2", 2, 0x7FFF),  # sint16
    0x04: ("u2", 2, 0xFFFF),  # uint16
    0x05: ("i4", 4, 0x7FFFFFFF),  # sint32
    0x06: ("u4", 4, 0xFFFFFFFF),  # uint32
    0x07: ("S", 1, None),  # string (NUL-terminated UTF-8)
    0x08: ("f4", 4, None),  # float32 (invalid = all ones = NaN)
    0x09: ("f8", 8, None),  # float64
    0x0A: ("u1", 1, 0x00),  # uint8z
    0x0B: ("u2", 2, 0x0000),  # uint16z
    0x0C: ("u4", 4, 0x00000000),  # uint32z
    0x0D: ("u1", 1, 0xFF),  # byte
    0x0E: ("i8", 8, 0x7FFFFFFFFFFFFFFF),  # sint64
    0x0F: ("u8", 8, 0xFFFFFFFFFFFFFFFF),  # uint64
    0x10: ("u8", 8, 0x0000000000000000),  # uint64z
}

_HEADER = struct.Struct("<BBHI4s")


@dataclass(eq=False)
class Definition:
    """One definition message and the data messages that used it.

    ``fields`` are ``(number, offset, size, base_type)``, ``dev_fields`` are
    ``(number, offset, size, developer_data_index)``; offsets are from the start of the
    message content (after the 1-byte record header). ``offsets`` are the byte positions
    of the record headers of the data messages, in file order.
    """

    global_num: int
    big_endian: bool
    fields: list[tuple[int, int, int, int]]
    dev_fields: list[tuple[int, int, int, int]]
    size: int  # content size, header byte excluded
    position: int  # byte position of the definition message
    offsets: array = field(default_factory=lambda: array("q"))  # 8 bytes a message


@dataclass
class Decoded:
    """Result of :func:`decode`."""

    definitions: list[Definition]
    #: (byte position, 5-bit time offset) of messages with a compressed-timestamp header
    compressed: list[tuple[int, int]]
    headers: list[dict]
    warnings: list[str]
    #: the first fault found (raised when strict); everything before it is sound
    fault: ReadError | None = None

    def of(self, global_num: int) -> list[Definition]:
        """Definitions of one global message number that have at least one message."""
        return [d for d in self.definitions if d.global_num == global_num and d.offsets]


def decode(data: bytes, path: str) -> Decoded:
    """Walk every FIT file chained in ``data``; never raises for damaged content.

    Structural problems stop the walk at the last sound message and are returned as
    ``fault`` (a :class:`TruncatedFileError` or :class:`CorruptFileError`), so the caller
    decides between raising (strict) and returning the sound part (partial).
    """
    out = Decoded(definitions=[], compressed=[], headers=[], warnings=[])
    pos = 0
    n = len(data)
    while pos < n:
        if out.headers and (n - pos < 12 or data[pos + 8:pos + 12] != b".FIT"):
            if not data[pos:].strip(b"\x00"):
                out.warnings.append(f"{n - pos} trailing bytes of zero padding after the last "
                                    "FIT file ignored")
            else:  # a damaged header of a chained part, or garbage: damage either way
                out.fault = CorruptFileError(
                    path, f"{n - pos} bytes after the FIT file ending at byte {pos} are not "
                    f"a FIT file (a chained part with a damaged header at byte {pos}?)")
            break
        header = _read_header(data, pos, path)
        if isinstance(header, ReadError):
            out.fault = header
            break
        out.headers.append(header)
        hsize, data_end = header["header_size"], header["data_end"]
        end = min(data_end, n)
        if data_end + 2 > n and out.fault is None:
            missing = data_end + 2 - n
            out.fault = TruncatedFileError(
                path, f"file ends {missing} bytes before its declared end (FIT header at byte "
                f"{pos} declares {header['data_size']} data bytes)")
        fault = _walk(data, pos + hsize, end, out, path)
        if fault is not None:
            out.fault = out.fault or fault
            break
        if out.fault is not None:
            break
        if crc16(data[pos:data_end + 2]) != 0:
            stored = int.from_bytes(data[data_end:data_end + 2], "little")
            out.fault = CorruptFileError(
                path, f"CRC mismatch in the FIT file starting at byte {pos} (stored "
                f"0x{stored:04X}, computed 0x{crc16(data[pos:data_end]):04X}): data damaged")
            break
        pos = data_end + 2
    return out


def _read_header(data: bytes, pos: int, path: str) -> dict | ReadError:
    if len(data) - pos < 12:
        return TruncatedFileError(path, f"{len(data) - pos} bytes are too short for a FIT header")
    hsize, proto, profile, size, magic = _HEADER.unpack_from(data, pos)
    if magic != b".FIT" or hsize < 12:
        return CorruptFileError(path, f"no FIT header at byte {pos} (size byte {hsize}, "
                                f"signature {magic!r})")
    if pos + hsize > len(data):
        return TruncatedFileError(path, f"file ends inside the FIT header at byte {pos}")
    if hsize >= 14:
        stored = int.from_bytes(data[pos + 12:pos + 14], "little")
        if stored != 0 and stored != crc16(data[pos:pos + 12]):  # 0 = "not computed"
            return CorruptFileError(path, f"FIT header CRC mismatch at byte {pos}")
    return {"position": pos, "header_size": hsize, "protocol_version": proto >> 4,
            "protocol_minor": proto & 0x0F, "profile_version": profile, "data_size": size,
            "data_end": pos + hsize + size}


def _walk(data: bytes, pos: int, end: int, out: Decoded, path: str) -> ReadError | None:
    """The message loop of one FIT file: from ``pos`` to ``end`` (exclusive)."""
    sizes = [0] * 16  # local number → full message size incl. header byte
    appends: list = [None] * 16  # local number → offsets.append of its definition
    keeps: list = [None] * 16  # the same, also for content-less definitions
    last = None  # offsets.append of the last data message
    definitions = out.definitions
    compressed = out.compressed
    while pos < end:
        h = data[pos]
        if h < 0x40:  # normal data message (the common case: keep this branch lean)
            app = appends[h & 0x0F]
            if app is None:
                return CorruptFileError(
                    path, f"data message at byte {pos} uses local message {h & 0x0F}, which "
                    "has no definition")
            app(pos)
            last = app
            pos += sizes[h & 0x0F]
        elif h & 0x80:  # compressed timestamp header: local type in bits 5-6
            local = (h >> 5) & 0x03
            app = keeps[local]  # content-less messages still carry their time here
            if app is None:
                return CorruptFileError(
                    path, f"compressed-timestamp message at byte {pos} uses local message "
                    f"{local}, which has no definition")
            app(pos)
            last = app
            compressed.append((pos, h & 0x1F))
            pos += sizes[local]
        else:  # definition message
            parsed = _definition(data, pos, end, h, path)
            if isinstance(parsed, ReadError):
                return parsed
            defn, length = parsed
            definitions.append(defn)
            sizes[h & 0x0F] = defn.size + 1
            # messages without content carry nothing: not recorded (no memory per message)
            keeps[h & 0x0F] = defn.offsets.append
            appends[h & 0x0F] = defn.offsets.append if defn.size else deque(maxlen=1).append
            last = None
            pos += length
    if pos > end and last is not None:  # the last message runs past the end of the data
        bad = last.__self__.pop()
        if end < len(data) - 2 or end + 2 > len(data):
            cls = TruncatedFileError if end + 2 > len(data) else CorruptFileError
        else:
            cls = CorruptFileError
        return cls(path, f"message at byte {bad} runs past the end of the data (byte {end})")
    if pos > end:
        return CorruptFileError(path, f"definition message runs past the end of the data "
                                f"(byte {end})")
    return None


def _definition(data: bytes, pos: int, end: int, h: int, path: str):
    if pos + 6 > end:
        return TruncatedFileError(path, f"definition message at byte {pos} is cut off")
    big = data[pos + 2] == 1
    if data[pos + 2] > 1:
        return CorruptFileError(path, f"definition at byte {pos} has architecture byte "
                                f"{data[pos + 2]} (0 or 1 expected)")
    gnum = int.from_bytes(data[pos + 3:pos + 5], "big" if big else "little")
    nfields = data[pos + 5]
    p = pos + 6
    if p + 3 * nfields > end:
        return TruncatedFileError(path, f"definition message at byte {pos} is cut off")
    fields = []
    offset = 0
    for i in range(nfields):
        num, size, base = data[p + 3 * i], data[p + 3 * i + 1], data[p + 3 * i + 2]
        fields.append((num, offset, size, base & 0x1F))
        offset += size
    p += 3 * nfields
    dev = []
    if h & 0x20:
        if p + 1 > end:
            return TruncatedFileError(path, f"definition message at byte {pos} is cut off")
        ndev = data[p]
        p += 1
        if p + 3 * ndev > end:
            return TruncatedFileError(path, f"definition message at byte {pos} is cut off")
        for i in range(ndev):
            num, size, index = data[p + 3 * i], data[p + 3 * i + 1], data[p + 3 * i + 2]
            dev.append((num, offset, size, index))
            offset += size
        p += 3 * ndev
    return Definition(gnum, big, fields, dev, offset, pos), p - pos


# --------------------------------------------------------------------------------------
# field extraction


#: Messages gathered per numpy call (bounds the index matrix to ~_GATHER × size × 8 bytes).
_GATHER = 4096


def message_rows(data_u8: np.ndarray, defn: Definition) -> np.ndarray:
    """(n_messages, content_size) uint8 matrix of a definition's message contents."""
    offs = np.frombuffer(defn.offsets, dtype=np.int64).astype(np.intp) + 1
    if defn.size == 0:
        return np.zeros((offs.size, 0), dtype=np.uint8)
    cols = np.arange(defn.size, dtype=np.intp)
    if offs.size <= _GATHER:
        return data_u8[offs[:, None] + cols]
    out = np.empty((offs.size, defn.size), dtype=np.uint8)
    for start in range(0, offs.size, _GATHER):
        chunk = offs[start:start + _GATHER]
        out[start:start + chunk.size] = data_u8[chunk[:, None] + cols]
    return out


def field_columns(rows: np.ndarray, defn: Definition, *, wanted=None, dev: bool = False,
                  keys=None) -> dict[int, np.ndarray | list]:
    """Decode fields of all messages of a definition from their ``rows``.

    Returns ``{field_number: values}``: scalar numbers as float64 with invalid → NaN,
    strings as a list of ``str | None``, numeric arrays as 2-D raw integer arrays (invalid
    elements kept raw). With ``dev=True`` the developer fields are decoded instead, keyed by
    ``(developer_data_index, number)`` and typed by ``wanted[(index, number)]`` (a base type).
    ``keys`` (native fields only): decode just these field numbers.
    """
    out: dict = {}
    order = ">" if defn.big_endian else "<"
    specs = defn.dev_fields if dev else defn.fields
    scalars: list[tuple] = []
    for num, offset, size, extra in specs:
        key = (extra, num) if dev else num
        if (wanted is not None and key not in wanted) or (keys is not None and key not in keys):
            continue
        base = wanted[key] if dev else extra
        if base not in BASE_TYPES or size == 0:
            continue
        kind, bsize, invalid = BASE_TYPES[base]
        if kind == "S":
            out[key] = [_text(r) for r in rows[:, offset:offset + size]]
        elif size % bsize:
            continue  # misaligned size: the field cannot be decoded as its type
        elif size == bsize:
            scalars.append((key, offset, order + kind, invalid))
        else:
            out[key] = np.ascontiguousarray(rows[:, offset:offset + size]).view(order + kind)
    if scalars and rows.shape[0]:
        # one structured view of the rows; each scalar field is a strided column of it
        dtype = np.dtype({"names": [f"f{i}" for i in range(len(scalars))],
                          "formats": [s[2] for s in scalars],
                          "offsets": [s[1] for s in scalars], "itemsize": rows.shape[1]})
        table = np.ascontiguousarray(rows).view(dtype)[:, 0]
        for i, (key, _, _, invalid) in enumerate(scalars):
            raw = table[f"f{i}"]
            with np.errstate(invalid="ignore"):  # signalling NaNs in float fields
                col = raw.astype(np.float64)
            if invalid is not None:
                col[raw == invalid] = np.nan
            out[key] = col
    elif scalars:
        out.update({s[0]: np.zeros(0) for s in scalars})
    return out


def _text(raw: np.ndarray) -> str | None:
    text = raw.tobytes().split(b"\x00", 1)[0]
    return text.decode("utf-8", "replace") if text else None


# --------------------------------------------------------------------------------------
# CRC-16 (the FIT/ARC polynomial 0xA001, reflected, init 0) vectorized with numpy.
# The CRC is linear over GF(2) and leading zero bytes leave it at 0, so the buffer is
# left-padded to 2**m chunks of 16 bytes; each chunk's CRC is the XOR of per-position
# lookups (8 little-endian 16-bit words, one 65536-entry table per word position), and
# chunk CRCs are combined pairwise: crc(A + B) = shift(crc(A), len(B)) ^ crc(B).

_WORDS = 8  # 16-bit words per chunk
_CHUNK = 2 * _WORDS


@lru_cache(maxsize=1)
def _byte_table() -> np.ndarray:
    byte = np.zeros(256, dtype=np.uint16)
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        byte[b] = c
    return byte


@lru_cache(maxsize=1)
def _word_tables() -> np.ndarray:
    """(_WORDS, 65536): contribution of the word at position j of a chunk."""
    byte = _byte_table()
    pos = np.empty((_CHUNK, 256), dtype=np.uint16)  # byte followed by d zero bytes
    pos[0] = byte
    for d in range(1, _CHUNK):
        prev = pos[d - 1]
        pos[d] = (prev >> 8) ^ byte[prev & 0xFF]
    pos = pos[::-1]  # row i: byte at index i of a chunk
    w = np.arange(65536)
    return np.stack([pos[2 * j][w & 0xFF] ^ pos[2 * j + 1][w >> 8] for j in range(_WORDS)])


@lru_cache(maxsize=64)
def _shift_tables(n_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Lookup tables (low byte, high byte) of the linear map "append n zero bytes"."""
    images = [_advance(1 << bit, n_bytes) for bit in range(16)]
    v = np.arange(256)
    lo = np.zeros(256, dtype=np.uint16)
    hi = np.zeros(256, dtype=np.uint16)
    for bit in range(8):
        on = (v >> bit & 1).astype(bool)
        lo[on] ^= images[bit]
        hi[on] ^= images[bit + 8]
    return lo, hi


def _advance(c: int, n_bytes: int) -> int:
    """CRC state ``c`` after ``n_bytes`` zero bytes."""
    if n_bytes > 64:
        lo, hi = _shift_tables(n_bytes // 2)
        for _ in range(2):
            c = int(lo[c & 0xFF]) ^ int(hi[c >> 8])
        n_bytes -= 2 * (n_bytes // 2)
    byte = _byte_table()
    for _ in range(n_bytes):
        c = (c >> 8) ^ int(byte[c & 0xFF])
    return c


def crc16(buf: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """FIT CRC-16 of ``buf`` continuing from ``crc`` (0 for a new computation; 0 over a
    file including its stored CRC means intact)."""
    n = len(buf)
    if n < 1024:
        byte = _byte_table().tolist()
        c = crc
        for b in buf:
            c = (c >> 8) ^ byte[(c ^ b) & 0xFF]
        return c
    k = 1 << (-(-n // _CHUNK) - 1).bit_length()  # number of chunks, a power of two
    padded = np.zeros(k * _CHUNK, dtype=np.uint8)
    padded[k * _CHUNK - n:] = np.frombuffer(buf, dtype=np.uint8)
    words = padded.view("<u2").reshape(k, _WORDS).T.copy()
    tables = _word_tables()
    vals = tables[0][words[0]]
    for j in range(1, _WORDS):
        vals ^= tables[j][words[j]]
    span = _CHUNK
    while vals.size > 1:
        lo, hi = _shift_tables(span)
        left = vals[0::2]
        vals = lo[left & 0xFF] ^ hi[left >> 8] ^ vals[1::2]
        span *= 2
    return int(vals[0]) ^ (_advance(crc, n) if crc else 0)  # linearity: start ⊕ data
