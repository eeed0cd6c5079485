"""Hostile and broken input: mutated corpus files only ever raise ``runlab.errors.ReadError``.

Every corpus file of every format is mutated (truncation, byte flips, spliced headers of
other formats, giant declared sizes, deep XML/JSON nesting, entity bombs, invalid UTF-8,
damage inside gzip) and read with :func:`runlab.io.read_activity_bytes`. Each input must

* end in a :class:`~runlab.errors.ReadError` naming the input, or in records that pass
  :func:`runlab.schema.validate` (a byte flip in a number is still a readable file);
* finish within :data:`MAX_SECONDS` + :data:`SECONDS_PER_MIB` per MiB (a hang raises
  through an interval timer);
* allocate at most :data:`MEMORY_FACTOR` × the input size + :data:`MEMORY_SLACK` bytes
  (peak traced by ``tracemalloc``: Python objects and numpy buffers; polars' Rust heap is
  not traced, which is why its frames' sizes are bounded by the record limits instead).

The hypothesis slice here is derandomized (a fixed seed), so CI runs the same inputs every
time; ``benchmarks/fuzz.py`` runs the same mutators for as long as asked, in worker
processes with hard timeouts, and prints what it found.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import io
import random
import re
import signal
import struct
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import CORPUS, check_scanner, manifest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runlab import schema
from runlab.errors import (
    CorruptFileError,
    FileTooLargeError,
    ReadError,
    RunlabWarning,
    UnsupportedFormatError,
)
from runlab.io import read_activity_bytes
from runlab.io._fit_decode import crc16, decode
from runlab.io.archive import read_archive

#: Longest a single input may take: a base plus a time per MiB of input [s]. Reading a
#: corpus file takes < 0.3 s; 200 000 nested XML elements take ~1 s (~2.5 s under tracemalloc)
#: on one core, so this leaves room for a loaded CI machine while still catching hangs.
MAX_SECONDS = 10.0
SECONDS_PER_MIB = 5.0
#: Peak traced allocation allowed per input byte, plus a fixed allowance [bytes].
MEMORY_FACTOR = 40
MEMORY_SLACK = 64 * 2**20

BILLION_LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1
                                                           else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b"]>")
XXE = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
BAD_UTF8 = (b"\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc",
            b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\xa1\xa1\xa1\xa1")


# --------------------------------------------------------------------------------------
# seeds and mutators (also used by benchmarks/fuzz.py)


@functools.cache
def seeds(corpus: Path = CORPUS) -> dict[str, bytes]:
    """Every corpus file named in MANIFEST.tsv → its bytes (read once)."""
    return {p: (corpus / p).read_bytes() for p in manifest()["path"].to_list()}


def _is_xml(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _after_prolog(data: bytes) -> int:
    """Index just after the XML declaration (0 without one)."""
    start = data.find(b"<?xml")
    return data.find(b"?>", start) + 2 if 0 <= start < 8 else 0


def _root_open_end(data: bytes) -> int:
    """Index just after the root element's start tag (best effort)."""
    i = _after_prolog(data)
    while True:
        i = data.find(b"<", i)
        if i < 0:
            return len(data)
        if data[i + 1:i + 2] not in (b"?", b"!"):
            return data.find(b">", i) + 1 or len(data)
        i += 1


def truncate(data: bytes, rng: random.Random, _: dict) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def flip(data: bytes, rng: random.Random, _: dict) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= rng.randint(1, 255)
    return bytes(out)


def splice(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """The head of another file (any format) on this body, or this head on another body."""
    other = pool[rng.choice(sorted(pool))]
    cut, cut2 = rng.randrange(len(data) + 1), rng.randrange(min(len(other), 4096) + 1)
    if rng.random() < 0.5:
        return other[:cut2] + data[cut:]
    return data[:cut] + other[cut2:]


def chain(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """Two files back to back (chained FIT, concatenated XML, a FIT after a GPX...)."""
    other = pool[rng.choice(sorted(pool))]
    return data + other if rng.random() < 0.5 else other + data


def giant_size(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Declared sizes far beyond the data: FIT header/field sizes, gzip ISIZE, huge values."""
    out = bytearray(data)
    if len(out) >= 14 and out[8:12] == b".FIT":
        choice = rng.randrange(3)
        if choice == 0:  # the data size in the header
            struct.pack_into("<I", out, 4, rng.choice([0xFFFFFFFF, 0x7FFFFFFF, len(out) * 1000]))
        elif choice == 1:  # a definition with 255 fields of 255 bytes
            i = out.find(b"\x40", 14)
            if i > 0 and i + 6 < len(out):
                out[i + 5] = 255
                for k in range(i + 6, min(i + 6 + 3 * 255, len(out)), 3):
                    out[k + 1: k + 2] = b"\xff"
        else:  # every field size byte in the first definitions set to 255
            for i in range(14, min(len(out) - 9, 400)):
                if out[i] & 0xF0 == 0x40:
                    out[i + 7] = 0xFF
        return bytes(out)
    if data[:2] == b"\x1f\x8b" and len(out) > 8:
        struct.pack_into("<I", out, len(out) - 4, 0xFFFFFFFF)
        return bytes(out)
    huge = rng.choice([b"9" * 400, b"1e309", b"-1e309", b"nan", b"18446744073709551617"])
    i = rng.randrange(len(out) + 1)
    return bytes(out[:i]) + huge + bytes(out[i:])


def deep_nesting(data: bytes, rng: random.Random, _: dict) -> bytes:
    depth = rng.choice([1000, 50_000, 200_000])
    if _is_xml(data):
        i = _root_open_end(data)
        return data[:i] + b"<a>" * depth + b"</a>" * depth + data[i:]
    if data.lstrip()[:1] in (b"{", b"["):
        return b"[" * depth + b"]" * depth
    return data + b"(" * depth


def entity_bomb(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Billion laughs or an external entity (XXE) in the prolog of an XML document."""
    dtd = BILLION_LAUGHS if rng.random() < 0.5 else XXE
    i = _after_prolog(data)
    ref = b"&lol9;" if dtd is BILLION_LAUGHS else b"&xxe;"
    j = _root_open_end(data)
    return data[:i] + dtd + data[i:j] + ref + data[j:]


def invalid_utf8(data: bytes, rng: random.Random, _: dict) -> bytes:
    out = data
    for _ in range(rng.randint(1, 5)):
        i = rng.randrange(len(out) + 1)
        out = out[:i] + rng.choice(BAD_UTF8) + out[i:]
    return out


def fit_valid_crc(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """Flip bytes inside FIT data, then recompute header and file CRCs so that the damage
    reaches the decoder even in strict mode (other formats: plain flips)."""
    if data[8:12] != b".FIT":
        return flip(data, rng, pool)
    out = bytearray(data)
    hsize = out[0]
    end = min(hsize + struct.unpack_from("<I", out, 4)[0], len(out) - 2)
    for _ in range(rng.randint(1, 6)):
        if end > hsize:
            out[rng.randrange(hsize, end)] ^= rng.randint(1, 255)
    if hsize == 14:
        struct.pack_into("<H", out, 12, crc16(bytes(out[:12])))
    struct.pack_into("<H", out, end, crc16(bytes(out[:end])))
    return bytes(out)


def fit_definitions(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """Rewrite FIT definition messages (architecture, global number, field numbers, base
    types, sizes, developer flag), then fix the CRCs: the decoder must cope with files that
    are intact but describe their own data wrongly (other formats: plain flips)."""
    if data[8:12] != b".FIT":
        return flip(data, rng, pool)
    end = data[0] + struct.unpack_from("<I", data, 4)[0]
    defs = [d for d in decode(data, "seed").definitions if d.position < end]
    if not defs:
        return fit_valid_crc(data, rng, pool)
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        d = rng.choice(defs)
        pos, what = d.position, rng.randrange(6)
        if what == 0:
            out[pos + 2] = rng.choice([0, 1])
        elif what == 1:
            out[pos + 3:pos + 5] = rng.choice([b"\x14\x00", b"\x00\x00", b"\x12\x00",
                                               b"\x13\x00", b"\x15\x00", b"\xce\x00",
                                               b"\xcf\x00", b"\x17\x00"])
        elif what == 2 and d.fields:
            i = rng.randrange(len(d.fields))
            out[pos + 6 + 3 * i] = rng.choice([253, 0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 39, 41, 53,
                                               73, 78, 85, rng.randrange(256)])
        elif what == 3 and d.fields:
            i = rng.randrange(len(d.fields))
            out[pos + 6 + 3 * i + 2] = rng.choice([0, 1, 2, 0x83, 0x84, 0x85, 0x86, 7, 0x88,
                                                   0x89, 0x0A, 0x8B, 0x8C, 0x0D, 0x8E, 0x8F,
                                                   0x90, rng.randrange(256)])
        elif what == 4 and d.fields:
            i = rng.randrange(len(d.fields))
            out[pos + 6 + 3 * i + 1] = rng.choice([0, 1, 2, 3, 4, 8, 255])
        else:
            out[pos] ^= 0x20
    if out[0] == 14:
        struct.pack_into("<H", out, 12, crc16(bytes(out[:12])))
    if end + 2 <= len(out):
        struct.pack_into("<H", out, end, crc16(bytes(out[:end])))
    return bytes(out)


_ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be", "cp500", "cp1252",
              "latin-1", "shift_jis", "utf-7")


def reencode(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """A text file in another encoding, declared or not, sometimes with an entity bomb: the
    DTD refusal must not depend on the document being UTF-8."""
    if rng.random() < 0.5 and _is_xml(data):
        data = entity_bomb(data, rng, pool)
    text = data.decode("utf-8", "replace")
    enc = rng.choice(_ENCODINGS)
    if rng.random() < 0.7:
        text = re.sub(r"encoding\s*=\s*[\"'][^\"']*[\"']", f'encoding="{enc}"', text, count=1)
    out = text.encode(enc, "replace")
    return out[len(codecs.BOM_UTF16):] if rng.random() < 0.3 and enc == "utf-16" else out


def inside_gzip(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """Damage the content, then gzip it (the reader must not trust what gzip hands it)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    mutated = rng.choice([truncate, flip, invalid_utf8])(data, rng, pool)
    return gzip.compress(mutated, compresslevel=1, mtime=0)


#: What markup edits put in (or where they delete or repeat): XML's special characters,
#: comment and tag fragments, a namespace declaration, a prefix, a NUL, a UTF-8 lead byte.
_MARKUP = [b"<", b">", b'"', b"'", b"/", b"=", b" ", b"\n", b"\r", b"\t", b":", b"x", b"&",
           b"\x00", b"\xc3", b"<!--", b"-->", b"/>", b"</", b'xmlns:a="u" ', b"a:", b"6"]


def markup_edit(data: bytes, rng: random.Random, _: dict) -> bytes:
    """A few small edits, mostly just after a '<' (inside tags and the texts after them):
    a special character set, inserted or swapped, bytes deleted, a chunk repeated, a
    tag's name changed — what makes one point's markup differ from its neighbours'."""
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
        at = rng.randrange(len(out) + 1)
        if rng.random() < 0.7 and (lt := out.find(b"<", at)) >= 0:
            at = min(lt + rng.randrange(20), len(out))
        how = rng.random()
        if how < 0.3 and at < len(out):
            out[at] = rng.randrange(256) if rng.random() < 0.3 else rng.choice(_MARKUP)[0]
        elif how < 0.5:
            out[at:at] = rng.choice(_MARKUP)
        elif how < 0.65:
            del out[at: at + rng.randrange(1, 8)]
        elif how < 0.8:
            out[at:at] = out[at: at + rng.randrange(1, 200)]
        elif how < 0.9 and at + 1 < len(out):
            out[at], out[at + 1] = out[at + 1], out[at]
        elif 0 <= (lt := out.find(b"<", at)) < len(out) - 3:
            out[lt + 2] = rng.choice(b"abcxyzTRE")
    return bytes(out)


_POINT = re.compile(rb"<(Trackpoint|trkpt)\b.*?</\1>", re.DOTALL)


def point_edit(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Well-formed changes to a few track points, so the scanner sees several layouts:
    a point repeated, a child element dropped, an element renamed (start and end tag), a
    blank or an attribute added, a comment put in."""
    for _ in range(rng.randint(1, 4)):
        m = _POINT.search(data, rng.randrange(len(data) + 1)) or _POINT.search(data)
        if m is None:
            return data
        pt, how = m.group(0), rng.randrange(6)
        children = list(re.finditer(rb"<([\w:]+)>[^<]*</\1>", pt))
        if how == 0:
            new = pt + b"\n" + pt
        elif how in (1, 2) and children:
            c = rng.choice(children)
            name = c.group(1)
            other = rng.choice([b"x" * len(name), b"ele", b"Value", name + b"s"])
            new = (pt[:c.start()] + (b"" if how == 1 else c.group(0).replace(name, other))
                   + pt[c.end():])
        elif how == 3:
            at = rng.choice([i for i in range(len(pt)) if pt[i:i + 1] == b">"])
            new = pt[:at + 1] + rng.choice([b" ", b"\n  ", b"\t"]) + pt[at + 1:]
        elif how == 4:
            at = pt.find(b">")
            new = pt[:at] + b' note="x"' + pt[at:]
        else:
            at = rng.choice([i for i in range(len(pt)) if pt[i:i + 1] == b">"])
            new = pt[:at + 1] + b"<!-- c -->" + pt[at + 1:]
        data = data[:m.start()] + new + data[m.end():]
    return data


# FIT structure that multiplies (issue 20): appended to the first FIT file's data, CRCs
# fixed, so it reaches the decoder in strict mode. Other formats: plain flips.


def _fit_parts(data: bytes) -> tuple[bytes, bytes] | None:
    """(header without CRC fields, data of the first FIT file) or None when not FIT."""
    if len(data) < 14 or data[8:12] != b".FIT" or data[0] not in (12, 14):
        return None
    end = min(data[0] + struct.unpack_from("<I", data, 4)[0], len(data))
    return data[:data[0]], data[data[0]:end]


def _refit(header: bytes, body: bytes) -> bytes:
    out = bytearray(header)
    struct.pack_into("<I", out, 4, len(body))
    if out[0] == 14:
        struct.pack_into("<H", out, 12, crc16(bytes(out[:12])))
    out += body
    return bytes(out) + struct.pack("<H", crc16(bytes(out)))


def _fit_definition(local: int, gnum: int, fields, dev=()) -> bytes:
    out = bytes([0x40 | (0x20 if dev else 0) | local, 0, 0]) + struct.pack("<HB", gnum,
                                                                       len(fields))
    out += b"".join(bytes(f) for f in fields)
    return out + (bytes([len(dev)]) + b"".join(bytes(d) for d in dev) if dev else b"")


def _budget(rng: random.Random) -> int:
    """Bytes a structural mutation may add: up to ~2 MiB, mostly much less."""
    return rng.choice([2**10, 2**14, 2**17, 2**20, 2**21])


def fit_dev_fields(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """Multiply developer fields: 1–600 described (equal or unique names, 1–3 developers),
    carried by every appended record or by the first only."""
    parts = _fit_parts(data)
    if parts is None:
        return flip(data, rng, pool)
    header, body = parts
    developers = rng.choice([1, 1, 2, 3])
    per_dev = rng.choice([1, 8, 64, 200, 255])
    same = rng.random() < 0.5
    body += _fit_definition(14, 207, [(3, 1, 0x02)])
    body += b"".join(bytes([14, d]) for d in range(developers))
    body += _fit_definition(14, 206, [(0, 1, 0x02), (1, 1, 0x02), (2, 1, 0x02),
                                      (3, 16, 0x07), (8, 8, 0x07)])
    for d in range(developers):
        for i in range(per_dev):
            name = b"Power" if same else b"f%d_%d" % (d, i)
            body += bytes([14, d, i, rng.choice([0x02, 0x02, 0x84, 0x88])]) + \
                name.ljust(16, b"\0") + rng.choice([b"Watts", b"", b"RPM"]).ljust(8, b"\0")
    every = rng.random() < 0.5
    t0 = rng.choice([1_000_000_000, 0x20000])
    sizes = [rng.choice([1, 1, 2, 4]) for _ in range(per_dev)]
    budget = _budget(rng)
    r = 0
    while len(body) < budget + len(parts[1]):
        d = r % developers
        if every or r < developers:
            body += _fit_definition(15, 20, [(253, 4, 0x86)],
                                    [(i, sizes[i], d) for i in range(per_dev)])
            body += bytes([15]) + struct.pack("<I", t0 + r) + bytes(sum(sizes))
            if every:  # many records of this definition
                body += (bytes([15]) + struct.pack("<I", t0 + r) + bytes(sum(sizes))) * \
                    rng.choice([1, 100])
        else:
            if r == developers:
                body += _fit_definition(15, 20, [(253, 4, 0x86)])
            body += b"".join(bytes([15]) + struct.pack("<I", t0 + r + k) for k in range(1000))
        r += 1
    return _refit(header, body)


def fit_wide_definition(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """Multiply field definitions: a message kind (record, lap, session, event, hr) declared
    with up to 255 fields in one message, then many small messages of the same kind; or the
    same definition repeated thousands of times."""
    parts = _fit_parts(data)
    if parts is None:
        return flip(data, rng, pool)
    header, body = parts
    gnum = rng.choice([20, 20, 19, 18, 21, 132, 206])
    n = rng.choice([16, 128, 254])
    nums = rng.sample([k for k in range(256) if k != 253], n)
    wide = _fit_definition(15, gnum, [(253, 4, 0x86)] + [(k, rng.choice([1, 2, 4]),
                                                            rng.choice([0x02, 0x84, 0x86, 0x0D]))
                                                           for k in nums])
    content = sum(wide[6 + 3 * i + 1] for i in range(n + 1))
    budget = _budget(rng)
    if rng.random() < 0.3:  # the same definition over and over
        body += wide * max(1, budget // len(wide))
        body += bytes([15]) + bytes(content)
    else:
        body += wide + bytes([15]) + bytes(content)
        body += _fit_definition(15, gnum, [(253, 4, 0x86)])
        t0 = 1_000_000_000
        body += b"".join(bytes([15]) + struct.pack("<I", t0 + k) for k in range(budget // 5))
    return _refit(header, body)


def fit_multiply_records(data: bytes, rng: random.Random, pool: dict) -> bytes:
    """Multiply records: the file's data repeated (definitions and all) up to ~2 MiB, or
    its last data message repeated as compressed-timestamp messages."""
    parts = _fit_parts(data)
    if parts is None or not parts[1]:
        return flip(data, rng, pool)
    header, body = parts
    budget = _budget(rng)
    if rng.random() < 0.5:
        body = body * max(1, min(budget // len(body), 64))
    else:
        defs = [d for d in decode(data, "seed").definitions if d.global_num == 20 and d.offsets
                and d.offsets[-1] < len(header) + len(body)]
        if not defs:
            return fit_valid_crc(data, rng, pool)
        d = defs[-1]
        local = data[d.position] & 0x03  # compressed headers reach local types 0–3 only
        start = d.offsets[-1] - len(header) + 1
        content = body[start:start + d.size]
        body += _fit_definition(local, 20, [(f[0], f[2], f[3]) for f in d.fields],
                                [(f[0], f[2], f[3]) for f in d.dev_fields])
        body += b"".join(bytes([0x80 | local << 5 | k % 32]) + content
                         for k in range(budget // (d.size + 1)))
    return _refit(header, body)


#: Mutators that multiply FIT structure (benchmarks/fuzz.py ``--kinds``; the RSS check).
FIT_STRUCTURE = ("fit_dev_fields", "fit_wide_definition", "fit_multiply_records")


MUTATORS: dict[str, Callable[[bytes, random.Random, dict], bytes]] = {
    "truncate": truncate, "flip": flip, "splice": splice, "chain": chain,
    "giant_size": giant_size, "deep_nesting": deep_nesting, "entity_bomb": entity_bomb,
    "invalid_utf8": invalid_utf8, "inside_gzip": inside_gzip, "fit_valid_crc": fit_valid_crc,
    "fit_definitions": fit_definitions, "reencode": reencode, "markup_edit": markup_edit,
    "point_edit": point_edit, "fit_dev_fields": fit_dev_fields,
    "fit_wide_definition": fit_wide_definition, "fit_multiply_records": fit_multiply_records,
}


def mutate(data: bytes, kind: str, seed: int, pool: dict) -> bytes:
    """One mutation of ``data``, reproducible from (kind, seed)."""
    return MUTATORS[kind](data, random.Random(seed), pool)


# --------------------------------------------------------------------------------------
# the check applied to every input


class Hang(Exception):
    """Raised by the interval timer when an input takes longer than allowed."""


@contextmanager
def time_limit(seconds: float):
    """Raise :class:`Hang` in the main thread after ``seconds`` of wall time."""
    def _alarm(signum, frame):
        raise Hang(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check(data: bytes, name: str, *, strict: bool = True, memory: bool = True) -> str:
    """Read ``data``; return ``"ok"`` or the ReadError class name; fail on anything else.
    TCX and GPX documents also go through :func:`check_scanner`."""
    seconds = MAX_SECONDS + SECONDS_PER_MIB * len(data) / 2**20
    if memory:
        tracemalloc.start()
    try:
        with time_limit(3 * seconds), warnings.catch_warnings():
            warnings.simplefilter("ignore", RunlabWarning)
            act = read_activity_bytes(data, name, strict=strict)
            schema.validate(act.records, "records")
            outcome = "ok"
    except ReadError as exc:
        assert name in str(exc), f"error does not name the input: {exc}"
        outcome = type(exc).__name__
    finally:
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        if memory:
            tracemalloc.stop()
    # a hang guard, not a timing: a shared machine (or hypothesis' tracing) stretches wall
    # time, so it is 3× the documented bound; benchmarks/fuzz.py measures the real times
    limit = MEMORY_FACTOR * len(data) + MEMORY_SLACK
    assert peak <= limit, f"{name}: peak {peak / 2**20:.0f} MiB > {limit / 2**20:.0f} MiB"
    if _is_xml(data) and len(data) < 4 * 2**20:
        check_scanner(data, name)  # (tests/conftest.py)
    return outcome


# --------------------------------------------------------------------------------------
# memory of the whole process (RSS): polars' Rust heap included, unlike tracemalloc

#: Peak RSS growth allowed while reading one input: per MiB of input, plus a fixed
#: allowance [bytes] (SECURITY.md: measured worst FIT case ~80 MiB per MiB).
RSS_PER_MIB = 160 * 2**20
RSS_SLACK = 128 * 2**20


def _vm(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        line = next(line for line in fh if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024


def _rss_child(folder: str) -> None:
    """In a fresh process: read every ``*.bin`` of ``folder`` with :func:`check` (time
    bound, ReadErrors only) and print ``name outcome seconds peak_growth_bytes`` per input.
    The peak is reset between inputs (Linux ``/proc/self/clear_refs``)."""
    import json

    for path in sorted(Path(folder).glob("*.bin")):
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
        base = _vm("VmRSS")
        start = time.perf_counter()
        try:
            outcome = check(path.read_bytes(), path.stem, memory=False)
        except AssertionError as exc:
            outcome = f"FAIL {exc}"
        print(json.dumps([path.stem, outcome, time.perf_counter() - start,
                          _vm("VmHWM") - base]), flush=True)


def rss_check(blobs: dict[str, bytes], tmp: Path, timeout: float = 900) -> list[tuple]:
    """(name, outcome, seconds, peak RSS growth [bytes]) of each input, read in one child
    process (a hang guard of ``timeout`` s for all); fails an input over the RSS bound."""
    import json
    import subprocess
    import sys

    for i, (name, blob) in enumerate(blobs.items()):
        (tmp / f"{i:04d}~{name}.bin").write_bytes(blob)
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); " \
           f"import test_fuzz; test_fuzz._rss_child({str(tmp)!r})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=timeout, check=True).stdout
    rows = [tuple(json.loads(line)) for line in out.splitlines() if line.startswith("[")]
    sizes = {f"{i:04d}~{name}": len(b) for i, (name, b) in enumerate(blobs.items())}
    for name, outcome, _, peak in rows:
        assert not outcome.startswith("FAIL"), outcome
        limit = RSS_PER_MIB * sizes[name] / 2**20 + RSS_SLACK
        assert peak <= limit, f"{name}: RSS +{peak / 2**20:.0f} MiB > {limit / 2**20:.0f} MiB"
    assert len(rows) == len(blobs)
    return rows


# --------------------------------------------------------------------------------------
# archives: a Strava-like export zip of corpus files, damaged in its zip structures


def export_zip(pool: dict[str, bytes], seed: int) -> bytes:
    """A small bulk export: 3 corpus activities (one gzipped), an activities.csv, a nested zip."""
    rng = random.Random(seed)
    small = [p for p in sorted(pool) if p.endswith((".fit", ".tcx", ".gpx"))
             and len(pool[p]) < 64 * 2**10]
    picks = rng.sample(small, 3)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        rows = ["Activity ID,Activity Name,Activity Type,Filename"]
        for i, path in enumerate(picks):
            name = f"activities/{i}{Path(path).suffix}" + (".gz" if i == 0 else "")
            zf.writestr(name, gzip.compress(pool[path], mtime=0) if i == 0 else pool[path])
            rows.append(f"{i},Run {i},Run,{name}")
        zf.writestr("activities.csv", "\n".join(rows) + "\n")
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as iz:
            iz.writestr("upload/inner.gpx", pool[rng.choice(
                [p for p in small if p.endswith(".gpx")])])
        zf.writestr("uploads.zip", inner.getvalue())
    return buf.getvalue()


def zip_fields(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Lie in the zip structures: sizes, compression method, name lengths, offsets."""
    out = bytearray(data)
    spots = [i for i in range(len(out) - 4) if out[i:i + 4] in (b"PK\x01\x02", b"PK\x03\x04")]
    for _ in range(rng.randint(1, 3)):
        if not spots:
            break
        i = rng.choice(spots)
        central = out[i:i + 4] == b"PK\x01\x02"
        field = rng.choice([("method", 10 if central else 8, 2),
                            ("csize", 20 if central else 18, 4),
                            ("usize", 24 if central else 22, 4),
                            ("namelen", 28 if central else 26, 2),
                            ("offset", 42, 4) if central else ("extralen", 28, 2)])
        _, at, size = field
        value = rng.choice([0, 1, 0xFFFF, 0xFFFFFFFF, rng.randrange(1 << (8 * size))])
        out[i + at:i + at + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    return bytes(out)


def _members_of(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i, zf.read(i)) for i in zf.infolist()]


def _rezip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, body in members:
                zf.writestr(info, body)
    return buf.getvalue()


def zip_overlap(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Entries that share one stored stream (a non-recursive zip bomb), 2–4096 of them."""
    from test_archive_hostile import overlapping_zip_bytes

    body = rng.choice([b for i, b in _members_of(data) if i.filename.endswith(".gpx")]
                      or [data])
    return overlapping_zip_bytes(body, rng.choice([2, 3, 64, 1024, 4096]))


def zip_repeat(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Members repeated under the same name (1–500 copies each)."""
    out = []
    for info, body in _members_of(data):
        out += [(info, body)] * rng.choice([1, 2, 50, 500])
    return _rezip(out)


def zip_names(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Member names with look-alike slashes, ``..`` parts, backslashes, NULs, long names."""
    tricks = ["..\u2215..\u2215", "..\u2044", "\uff0f", "a/../", "..\\", "C:", "/", "x" * 300,
              "\u202e", "a\0b/"]
    out = []
    for info, body in _members_of(data):
        if rng.random() < 0.6:
            info = zipfile.ZipInfo(rng.choice(tricks) + info.filename, info.date_time)
        out.append((info, body))
    return _rezip(out)


def zip_special(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Members whose mode says FIFO, device, socket, symlink or directory."""
    import stat as st_

    kinds = [st_.S_IFIFO, st_.S_IFCHR, st_.S_IFBLK, st_.S_IFSOCK, st_.S_IFLNK, st_.S_IFDIR]
    out = []
    for info, body in _members_of(data):
        if rng.random() < 0.5:
            info.external_attr = (rng.choice(kinds) | 0o644) << 16
        out.append((info, body))
    return _rezip(out)


def zip_many(data: bytes, rng: random.Random, _: dict) -> bytes:
    """Hundreds to thousands of members: one small activity under new names, or empty."""
    members = _members_of(data)
    info, body = min(members, key=lambda m: len(m[1]) if m[0].filename.endswith(".gpx")
                     else 2**40)
    n = rng.choice([50, 200, 1000])  # read_archive costs ~2 ms per member (SECURITY.md)
    return _rezip(members + [(zipfile.ZipInfo(f"more/{i}.gpx"), body if n < 1000 else b"")
                             for i in range(n)])


ARCHIVE_MUTATORS = {"truncate": truncate, "flip": flip, "zip_fields": zip_fields,
                    "giant_size": giant_size, "zip_overlap": zip_overlap,
                    "zip_repeat": zip_repeat, "zip_names": zip_names,
                    "zip_special": zip_special, "zip_many": zip_many}


def check_archive(blob: bytes, name: str, tmp: Path) -> str:
    """Iterate :func:`runlab.read_archive` over a damaged zip: ReadErrors only, bounded."""
    path = tmp / name
    path.write_bytes(blob)
    members = 0
    start = time.perf_counter()
    try:
        with time_limit(MAX_SECONDS), warnings.catch_warnings():
            warnings.simplefilter("ignore", RunlabWarning)
            for _, result in read_archive(path):
                members += 1
                if not isinstance(result, ReadError):
                    schema.validate(result.records, "records")
        outcome = f"ok ({members} members)"
    except ReadError as exc:
        assert name in str(exc), f"error does not name the archive: {exc}"
        outcome = type(exc).__name__
    finally:
        path.unlink()
    assert time.perf_counter() - start < 3 * MAX_SECONDS  # generous: time_limit guards
    return outcome


# --------------------------------------------------------------------------------------
# tests


@pytest.fixture(scope="module")
def pool(corpus) -> dict[str, bytes]:
    return seeds(corpus)


@pytest.mark.slow
@settings(max_examples=80, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_corpus_files_only_raise_read_errors(corpus, data):
    """Random file × mutation × seed, memory traced; a fixed hypothesis seed in CI."""
    pool = seeds(corpus)
    path = data.draw(st.sampled_from(sorted(pool)), label="file")
    kind = data.draw(st.sampled_from(sorted(MUTATORS)), label="mutation")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    strict = data.draw(st.booleans(), label="strict")
    blob = mutate(pool[path], kind, seed, pool)
    # structure-multiplying inputs (up to 2 MiB) are bounded in RSS by their own tests;
    # tracemalloc would triple their time
    check(blob, f"{Path(path).name}~{kind}~{seed}", strict=strict,
          memory=kind not in FIT_STRUCTURE)


@pytest.mark.slow
@pytest.mark.parametrize("offset", range(3))
def test_every_corpus_file_mutated(pool, offset):
    """Breadth for CI: every corpus file, each time with another mutator (3 × 69 inputs;
    ``benchmarks/fuzz.py`` runs every mutator on every file)."""
    kinds = sorted(MUTATORS)
    outcomes: dict[str, int] = {}
    for i, path in enumerate(sorted(pool)):
        kind = kinds[(i + 3 * offset) % len(kinds)]
        blob = mutate(pool[path], kind, 1000 * offset + i, pool)
        got = check(blob, f"{Path(path).name}~{kind}~{1000 * offset + i}", strict=bool(i % 2),
                    memory=False)
        outcomes[got] = outcomes.get(got, 0) + 1
    assert sum(outcomes.values()) == len(pool)


def test_scanner_agrees_with_expat_on_edited_markup(pool):
    """Differential: 20 edits (markup and whole points) of every TCX and GPX corpus file;
    whenever the layout scanner reads one, expat must read the same (``check_scanner``)."""
    taken = 0
    for path in sorted(p for p in pool if re.search(r"\.(tcx|gpx)(\.gz)?$", p)):
        data = pool[path]
        data = gzip.decompress(data) if path.endswith(".gz") else data
        for seed in range(20):
            edit = (markup_edit, point_edit)[seed % 2]
            taken += check_scanner(edit(data[:300_000], random.Random(seed), pool),
                                   f"{Path(path).name}~{edit.__name__}~{seed}") is not None
    assert taken > 100  # point edits keep documents well-formed: the scanner reads many


@pytest.mark.parametrize("fmt", ["tcx", "gpx"])
def test_scanner_agrees_with_expat_on_edited_written_files(tmp_path, fmt):
    """The same without the corpus: a run written by runlab, 300 edits."""
    import datetime as dt

    import polars as pl

    from runlab.io.gpx import write_gpx
    from runlab.io.tcx import write_tcx

    t0 = dt.datetime(2026, 5, 1, 6, tzinfo=dt.UTC)
    rec = pl.DataFrame({"timestamp": [t0 + dt.timedelta(seconds=i) for i in range(120)],
                        "lat_deg": [47.0 + i * 1e-5 for i in range(120)],
                        "lon_deg": [8.0 + i * 1e-5 for i in range(120)],
                        "heart_rate_bpm": [150.0] * 120, "cadence_spm": [170.0] * 120})
    data = (write_tcx if fmt == "tcx" else write_gpx)(rec, tmp_path / f"r.{fmt}").read_bytes()
    taken = sum(check_scanner((markup_edit, point_edit)[seed % 2](data, random.Random(seed),
                                                                  {}), f"r.{fmt}~{seed}")
                is not None for seed in range(300))
    assert taken > 100


@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(ARCHIVE_MUTATORS)), seed=st.integers(0, 2**32 - 1))
def test_damaged_export_archives_only_raise_read_errors(corpus, tmp_path, kind, seed):
    pool = seeds(corpus)
    blob = ARCHIVE_MUTATORS[kind](export_zip(pool, seed), random.Random(seed), pool)
    check_archive(blob, f"export~{kind}~{seed}.zip", tmp_path)


def test_archive_with_a_directory_pointing_before_the_file_is_a_read_error(corpus, tmp_path):
    # found by the suite: a flipped byte made a member's header offset negative → OSError
    pool = seeds(corpus)
    blob = ARCHIVE_MUTATORS["flip"](export_zip(pool, 69978), random.Random(69978), pool)
    check_archive(blob, "export~flip~69978.zip", tmp_path)


def test_undamaged_export_archive_reads(pool, tmp_path):
    assert check_archive(export_zip(pool, 0), "export.zip", tmp_path) == "ok (4 members)"




@pytest.mark.parametrize(("path", "kind", "seed"), [
    # inputs this suite found (see SECURITY.md); each must stay a ReadError naming the file
    ("files/gpx/gpxgo__file.gpx", "flip", 1559),  # encoding="UTFs8" gave a LookupError
    ("files/gpx/runpandas__garmin_connect.gpx", "splice", 2743757930),  # "<skeleton>: ..."
    ("files/gpx/runpandas__garmin_connect.gpx", "giant_size", 407033283),  # "<skeleton>: ..."
    ("files/other/runpandas__sample_nikerun.json", "giant_size", 1517213421),  # OverflowError
    ("files/other/runpandas__sample_nikerun.json", "giant_size", 2303424531),  # inf → int
    ("files/other/runpandas__strava_streams.json", "giant_size", 4226917637),  # int → float
    ("files/other/runpandas__strava_streams.json", "giant_size", 3644805139),
    ("files/fit/fitparse__garmin-fenix-5-walk.fit", "flip", 133),
    ("files/fit/hns__testdata.fit", "fit_definitions", 268),  # float type on a uint field
    ("files/tcx/tcxreader__sup_activity_1.tcx", "reencode", 68),  # multi-byte: ValueError
])
def test_found_inputs_stay_fixed(pool, path, kind, seed):
    for strict in (True, False):
        check(mutate(pool[path], kind, seed, pool), f"{Path(path).name}~{kind}~{seed}",
              strict=strict)


_LINUX_RSS = pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(),
                                reason="per-input peak RSS needs Linux /proc/self/clear_refs")


@_LINUX_RSS
def test_fit_structure_mutations_bounded_in_whole_process_memory(pool, tmp_path):
    """Developer fields, field definitions and records multiplied in corpus FIT files
    (issue 20): ReadErrors or valid records, within the time and RSS bounds."""
    fits = sorted(p for p in pool if p.lower().endswith(".fit"))
    blobs = {f"{Path(p).name}~{kind}~{seed}": mutate(pool[p], kind, seed, pool)
             for kind in FIT_STRUCTURE for seed in range(5)
             for p in [fits[(7 * seed + len(kind)) % len(fits)]]}
    rows = rss_check(blobs, tmp_path)
    assert {r[1] for r in rows} & {"ok"} and {r[1] for r in rows} & {"FileTooLargeError"}


@_LINUX_RSS
def test_fit_structure_mutations_of_a_written_file(tmp_path):
    """The same without the corpus: an SDK-written run as the seed."""
    fitgen = pytest.importorskip("fitgen")  # the garmin-fit-sdk test dependency
    seed_file = fitgen.activity(duration_s=600, seed=3, dev_fields=True)
    blobs = {f"written~{kind}~{seed}": mutate(seed_file, kind, seed, {"w": seed_file})
             for kind in FIT_STRUCTURE for seed in range(3)}
    rss_check(blobs, tmp_path)


def test_found_archive_stays_fixed(pool, tmp_path):
    """A flipped "version needed to extract" made zipfile raise NotImplementedError."""
    blob = flip(export_zip(pool, 46783), random.Random(46783), pool)
    check_archive(blob, "export~flip~46783.zip", tmp_path)


def test_unmutated_corpus_reads_within_memory_bound(pool):
    """The bounds hold for the two largest files of each corpus folder, and most of them read
    (the IMU logs are not activities and nick.fit is damaged: ReadErrors, as they should)."""
    by_folder: dict[str, list[str]] = {}
    for path in sorted(pool, key=lambda p: -len(pool[p])):
        by_folder.setdefault(Path(path).parent.name, []).append(path)
    largest = [p for paths in by_folder.values() for p in paths[:2]]
    outcomes = [check(pool[p], Path(p).name) for p in largest]
    assert outcomes.count("ok") >= len(largest) // 2, outcomes


def _xml_seed(pool, suffix: str) -> tuple[str, bytes]:
    path = next(p for p in sorted(pool) if p.endswith(suffix) and b"<!DOCTYPE" not in pool[p])
    return Path(path).name, pool[path]


@pytest.mark.parametrize("suffix", [".tcx", ".gpx"])
def test_entity_bombs_and_external_entities_are_refused(pool, suffix):
    name, data = _xml_seed(pool, suffix)
    for dtd, ref in ((BILLION_LAUGHS, b"&lol9;"), (XXE, b"&xxe;")):
        i, j = _after_prolog(data), _root_open_end(data)
        bomb = data[:i] + dtd + data[i:j] + ref + data[j:]
        with pytest.raises(UnsupportedFormatError, match="DOCTYPE"):
            read_activity_bytes(bomb, name)
        assert check(bomb, name) == "UnsupportedFormatError"


@pytest.mark.parametrize("suffix", [".tcx", ".gpx"])
def test_deep_xml_nesting_is_bounded(pool, suffix):
    name, data = _xml_seed(pool, suffix)
    i = _root_open_end(data)
    deep = data[:i] + b"<a>" * 100_000 + b"</a>" * 100_000 + data[i:]
    check(deep, name)


@pytest.mark.parametrize("suffix", [".tcx", ".gpx"])
def test_invalid_utf8_is_a_corrupt_file(pool, suffix):
    name, data = _xml_seed(pool, suffix)
    i = data.find(b"<time>") if b"<time>" in data else data.find(b"<Time>")
    bad = data[:i + 6] + b"\xff\xfe" + data[i + 6:]
    with pytest.raises(CorruptFileError, match="UTF-8|malformed"):
        read_activity_bytes(bad, name)


def test_fit_giant_declared_size_is_truncation_not_allocation(pool):
    name = "fitparse__garmin-fenix-5-run.fit"
    data = bytearray(pool[f"files/fit/{name}"])
    struct.pack_into("<I", data, 4, 0xFFFFFFF0)
    assert check(bytes(data), name) in ("TruncatedFileError", "CorruptFileError")


def test_gzip_bomb_is_refused(monkeypatch):
    import runlab.io as rio

    monkeypatch.setattr(rio, "MAX_FILE_BYTES", 2**20)
    bomb = gzip.compress(b"\0" * (8 * 2**20), compresslevel=9)
    with pytest.raises(FileTooLargeError, match="bomb.fit.gz"):
        read_activity_bytes(bomb, "bomb.fit.gz")
