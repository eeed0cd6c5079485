"""Shared, safe and fast helpers of the XML readers (TCX, GPX); the record finishing
(:func:`finish_records`, :func:`cadence_to_spm`, :func:`parse_times`) serves every text reader.

Safety
------
A document with a document type declaration (``<!DOCTYPE``) is refused before it is parsed:
without a DTD there can be no entity declarations, so no entity expansion ("billion laughs"),
no external entities and no DTD fetched from the network. What remains — the five predefined
entities and character references — is parsed by the C expat parser of the standard library
(``xml.etree.ElementTree.XMLParser``, which never resolves anything over a network). A DTD
may only appear in the prolog, so the check is exact (a ``<!DOCTYPE`` inside a comment is
refused too, harmlessly). UTF-16 documents are transcoded to UTF-8 before the check.

Speed
-----
:func:`load` reads device-shaped documents with a vectorized scanner (numpy over the bytes,
polars for number and time parsing, never a Python loop per element): it finds every tag,
checks well-formedness (one root, balanced and matching tags by name hash, attribute
syntax, declared prefixes, valid UTF-8, no control characters) and cuts the points out; the
small rest of the document (laps, metadata) is parsed by expat. Anything the scanner cannot
vouch for — comments, CDATA, entity or character references, other encodings, namespace
declarations below the root — goes to the full expat parse, which gives the same result
(tested on the whole corpus) and the authoritative error message. About 5 µs per 1 Hz point
(``benchmarks/read_xml.py``), linear in file size.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from runlab import schema
from runlab.errors import (
    CorruptFileError,
    FileTooLargeError,
    NotAnActivityError,
    ReadError,
    UnsupportedFormatError,
)
from runlab.geo import step_distances_m

__all__ = ["MAX_XML_BYTES", "parse", "load", "Doc", "local", "namespace", "parse_times",
           "utc_offset_s", "first_text", "meta", "finish_records", "derive_speed_mps", "cadence_to_spm",
           "SPEED_HALF_WINDOW", "PER_LEG_MEDIAN_MAX", "lower_sport", "check_root",
           "prepare_records", "time_strings", "elem"]

#: Largest XML document parsed [bytes]: a 24-hour 1 Hz TCX with every sensor is ~40 MiB.
MAX_XML_BYTES = 256 * 2**20

_BOM8 = b"\xef\xbb\xbf"
_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"'][^\"']*[\"']")


def parse(data: bytes, path: str, *, max_bytes: int = MAX_XML_BYTES) -> ET.Element:
    """Root element of an XML document, refusing DTDs, huge input and malformed bytes.

    Leading BOMs and whitespace (Strava writes both) are skipped; UTF-16 is transcoded.

    Raises
    ------
    FileTooLargeError
        More than ``max_bytes`` [bytes].
    UnsupportedFormatError
        The document has a DTD (entities could expand or point outside the file).
    CorruptFileError
        Not well-formed XML or not valid in its encoding; the message gives line and column.
    """
    return _et_parse(_prepare(data, path, max_bytes), path)


def _prepare(data: bytes, path: str, max_bytes: int = MAX_XML_BYTES) -> bytes:
    """Size limit, UTF-16 → UTF-8, BOM and leading whitespace off, DTDs refused."""
    if len(data) > max_bytes:
        raise FileTooLargeError(path, f"{len(data)} bytes of XML is over the {max_bytes} limit")
    utf16 = _utf16(data[:4])
    if utf16:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise CorruptFileError(path, f"invalid UTF-16 at byte {exc.start}") from exc
        data = _DECL.sub(b'<?xml version="1.0" encoding="UTF-8"', text.encode("utf-8"))
    if data.startswith(_BOM8):
        data = data[3:]
    data = data.lstrip()
    if data.find(b"!") >= 0 and b"<!DOCTYPE" in data:  # find(one byte) is a fast memchr
        raise UnsupportedFormatError(
            path, "XML with a document type declaration (<!DOCTYPE>) is refused: its entities "
                  "could expand without bound or load external files")
    return data


def _et_parse(data: bytes, path: str) -> ET.Element:
    parser = ET.XMLParser()
    try:
        parser.feed(data)
        return parser.close()
    except LookupError as exc:  # an encoding Python does not know
        raise CorruptFileError(path, f"unknown character encoding: {exc}") from exc
    except ValueError as exc:  # expat: a declared multi-byte encoding (Shift-JIS, EUC-JP...)
        raise UnsupportedFormatError(path, f"unsupported XML character encoding: {exc}") from exc
    except ET.ParseError as exc:
        line, col = exc.position
        reason = str(exc).split(":")[0]
        if "invalid token" in reason and not _decodes(data):
            reason = "invalid UTF-8 (or undeclared encoding)"
        raise CorruptFileError(path, f"malformed XML at line {line}, column {col}: "
                                     f"{reason}") from exc


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec of a document, from its BOM or its first ``<`` (None if not UTF-16)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if head[:2] == b"<\x00" or head[1:2] == b"<" and head[:1] == b"\x00":
        return "utf-16-le" if head[:1] == b"<" else "utf-16-be"
    return None


def _decodes(data: bytes) -> bool:
    m = re.match(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", data)
    try:
        data.decode(m.group(1).decode("ascii") if m else "utf-8")
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def namespace(tag: str) -> str:
    """``"{ns}name"`` → ``"{ns}"`` (``""`` without a namespace)."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def local(tag: str) -> str:
    """``"{ns}name"`` → ``"name"``."""
    return tag.rsplit("}", 1)[-1]


@dataclass
class Doc:
    """An XML document split into its points and the rest.

    ``root`` is the document without its point elements (fast path) or the whole tree (full
    parse); readers take laps, tracks and metadata from it, never points. Per point (in
    document order): ``cols`` numeric columns, ``texts`` text fields, ``attrs`` attributes,
    ``within[name]`` the 0-based document-order number of the enclosing ``name`` element
    (-1 outside any). ``fast`` tells which path read it.
    """

    root: ET.Element
    n: int
    cols: dict[str, np.ndarray]
    texts: dict[str, pl.Series]
    attrs: dict[str, pl.Series]
    within: dict[str, np.ndarray]
    fast: bool


def load(data: bytes, path: str, *, point: str, names: dict[str, str],
         texts: Sequence[str] = (), attrs: Sequence[str] = (),
         containers: Sequence[str] = ()) -> Doc:
    """Parse ``data`` safely into a :class:`Doc` of ``point`` elements.

    Parameters
    ----------
    point
        Local name of the point element (``"Trackpoint"``, ``"trkpt"``).
    names
        Descendant tag of a point → numeric column: full ``"{uri}local"`` keys win over
        local-name keys. The first numeric text of a tag within a point is used.
    texts
        Local names of point children whose text is wanted as strings (``"Time"``).
    attrs
        Attributes of the point element wanted as strings (``"lat"``).
    containers
        Local names of elements whose ordinal each point should carry (``"Lap"``).

    Notes
    -----
    Well-formed documents in the shape devices write (UTF-8, no comments, CDATA, entity
    references or processing instructions after the declaration, namespaces declared on the
    root) are read by a vectorized scanner: numpy finds the markup, checks that every end
    tag closes the element it should (names compared by hash of their bytes), that quotes
    balance inside tags, that there is one root and that every prefix is declared, and
    converts the text of the wanted tags with polars. Anything else goes to the C expat
    parser (``xml.etree``), which gives the same result, and the authoritative error.
    """
    data = _prepare(data, path)
    spec = (point, names, tuple(texts), tuple(attrs), tuple(containers))
    fast = _scan(data, *spec)
    if fast is not None:
        return fast
    return _tree_doc(_et_parse(data, path), *spec)


def _tree_doc(root: ET.Element, point: str, names: dict[str, str], texts: tuple[str, ...],
              attrs: tuple[str, ...], containers: tuple[str, ...]) -> Doc:
    """:class:`Doc` from a parsed tree (the general path)."""
    ns = namespace(root.tag)
    tag = f"{ns}{point}"
    points = list(root.iter(tag))
    triples = [(i, e.tag, e.text) for i, p in enumerate(points) for e in p.iter()]
    pid, keys, text = zip(*triples, strict=True) if triples else ((), (), ())
    labels, code = _labels(names, texts)
    key_code = {}
    for k in set(keys):
        label = f"\0{local(k)}" if local(k) in texts else names.get(k, names.get(local(k)))
        key_code[k] = code.get(label, -1) if label else -1
    text_s = pl.Series(list(text), dtype=pl.String)
    padded = (text_s.str.strip_chars().str.len_bytes() != text_s.str.len_bytes()).fill_null(
        True) | (text_s.str.len_bytes() == 0)
    cols, txt = _columns(len(points), np.fromiter(pid, np.int64, len(pid)),
                         np.fromiter((key_code[k] for k in keys), np.int64, len(keys)),
                         labels, text_s, texts, padded.to_numpy())
    within = {}
    for name in containers:
        order = {id(p): k for k, c in enumerate(root.iter(f"{ns}{name}")) for p in c.iter(tag)}
        within[name] = np.array([order.get(id(p), -1) for p in points], dtype=np.int64)
    got = {a: pl.Series(a, [p.get(a) for p in points], dtype=pl.String) for a in attrs}
    return Doc(root, len(points), cols, txt, got, within, fast=False)


def _columns(n: int, pid: np.ndarray, cid: np.ndarray, labels: list[str], text: pl.Series,
             texts: tuple[str, ...], padded: np.ndarray
             ) -> tuple[dict[str, np.ndarray], dict[str, pl.Series]]:
    """Scatter (point, label code, text) rows, in document order, into columns of length n.

    ``labels[code]`` is a numeric column, or ``"\0<local>"`` for a text field; ``padded``
    marks rows whose text is empty or starts or ends with whitespace. The first numeric (for
    text fields: non-blank) value of a label within a point wins. Few polars calls: under
    load each one costs a thread-pool round trip.
    """
    cols: dict[str, np.ndarray] = {}
    txt: dict[str, pl.Series] = {}
    number = text.cast(pl.Float64, strict=False).to_numpy().copy()
    retry = np.flatnonzero(padded & np.isnan(number))
    if retry.size:  # padded numbers (" 12.5 "), blank text
        stripped = text.gather(retry).str.strip_chars()
        number[retry] = stripped.cast(pl.Float64, strict=False).to_numpy()
        blank = np.zeros(len(text), dtype=bool)
        blank[retry] = (stripped.str.len_bytes() == 0).fill_null(True).to_numpy()
    else:
        blank = np.zeros(len(text), dtype=bool)
    for code, label in enumerate(labels):
        sel = np.flatnonzero(cid == code)
        is_text = label.startswith("\0")
        sel = sel[~blank[sel]] if is_text else sel[np.isfinite(number[sel])]
        if not sel.size:
            continue
        where = pid[sel]
        first = np.r_[True, where[1:] != where[:-1]]
        where, sel = where[first], sel[first]
        if not is_text:
            arr = np.full(n, np.nan)
            arr[where] = number[sel]
            cols[label] = arr
            continue
        values = text.gather(sel)
        if padded[sel].any():
            values = values.str.strip_chars()
        if where.size == n:  # every point has one (where is increasing, so it is 0..n-1)
            txt[label[1:]] = values.alias(label[1:])
        else:
            txt[label[1:]] = (pl.Series(label[1:], dtype=pl.String).extend_constant(None, n)
                              .scatter(where, values))
    for name in texts:
        if name not in txt:
            txt[name] = pl.Series(name, dtype=pl.String).extend_constant(None, n)
    return cols, txt


def _labels(names: dict[str, str], texts: tuple[str, ...]) -> tuple[list[str], dict]:
    """Unique labels (columns, then ``"\0<text>"``) and a key → label-code function's table."""
    labels = list(dict.fromkeys([*names.values(), *(f"\0{t}" for t in texts)]))
    return labels, {lab: i for i, lab in enumerate(labels)}


# ----------------------------------------------------------------- the vectorized scanner

_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 13, 32]] = True
_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                  0x27D4EB2F165667C5], dtype=np.uint64)
_MAX_NAME = 32
_PAD = 256
_ATTR = re.compile(r"""\s+([^\s=/>"']+)\s*=\s*("[^"]*"|'[^']*')""")
_XMLNS = re.compile(r"""^xmlns(?::(.+))?$""")
_ATTRS_RE = r"""^(\s+[^\s=/>"']+\s*=\s*("[^"]*"|'[^']*'))*\s*$"""
_ATTRS_PY = re.compile(_ATTRS_RE.replace("$", "\\Z"))
#: A namespace declaration or a prefixed attribute.
_NS_ATTR = r"""xmlns|\s[^\s="']+:[^\s="']*\s*="""
#: A qualified name as the scanner accepts it (at most one ':'; no markup characters).
_QNAME = re.compile(r"""^[^\s"'=<>/&:!?]+(:[^\s"'=<>/&:]+)?$""")


#: MASKS[k] keeps the first k bytes of a little-endian 8-byte word.
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


def _hash_names(u64: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """64-bit hash of the names ``bytes[start:start+length]`` (each ≤ 32 bytes)."""
    with np.errstate(over="ignore"):
        h = length.astype(np.uint64) * np.uint64(0x100000001B3)
        h ^= (u64[start] & _MASKS[np.minimum(length, 8)]) * _MULT[0]
        word = (u64[start + 8] & _MASKS[np.clip(length - 8, 0, 8)]) * _MULT[1]
        h ^= (word << np.uint64(7)) | (word >> np.uint64(57))
        for j in range(2, _MAX_NAME // 8):  # long names are few
            sel = np.flatnonzero(length > 8 * j)
            if sel.size:
                word = (u64[start[sel] + 8 * j] & _MASKS[np.minimum(length[sel] - 8 * j, 8)]
                        ) * _MULT[j]
                h[sel] ^= (word << np.uint64(7 * j)) | (word >> np.uint64(64 - 7 * j))
    return h


@functools.lru_cache(maxsize=1024)
def _name_hash(name: str) -> int:
    raw = name.encode("utf-8")
    buf = np.frombuffer(raw + b"\0" * 40, np.uint8)
    u64 = np.ndarray((len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    return int(_hash_names(u64, np.array([0]), np.array([len(raw)]))[0])


def _scan(data: bytes, point: str, names: dict[str, str], texts: tuple[str, ...],
          attrs: tuple[str, ...], containers: tuple[str, ...]) -> Doc | None:
    """The vectorized fast path; None when the document needs the full parser."""
    size = len(data)
    pad = data + b"\0" * _PAD
    arr = np.frombuffer(pad, np.uint8)
    body = arr[:size]
    ctrl = np.count_nonzero(body < 32) - np.count_nonzero(body == 10)
    if ctrl:  # tabs and carriage returns are allowed too
        ctrl -= np.count_nonzero(body == 9) + np.count_nonzero(body == 13)
    if ctrl or data.find(b"&") >= 0:  # control characters; entity/character references
        return None
    head = data[:200]
    if head.startswith(b"<?xml"):
        m = re.match(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", head)
        if m and m.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
            return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lt = np.flatnonzero(body == 60)
    gt = np.flatnonzero(body == 62)
    if lt.size < 2 or gt.size < lt.size:
        return None
    if gt.size == lt.size and (gt > lt).all() and (gt[:-1] < lt[1:]).all():
        te = gt  # the usual case: no '>' in any text
    else:
        k = np.searchsorted(gt, lt)
        if k[-1] >= gt.size:
            return None
        te = gt[k]
        if (te[:-1] > lt[1:]).any():  # a '<' inside a tag
            return None
    c1 = arr[lt + 1]
    is_end = c1 == 47
    is_pi = c1 == 63
    if (c1 == 33).any() or is_pi[1:].any() or (is_pi[0] and data[:5] != b"<?xml"):
        return None  # comments, CDATA, processing instructions: full parser
    is_self = (arr[te - 1] == 47) & ~is_end
    delta = np.where(is_end, -1, np.where(is_self | is_pi, 0, 1)).astype(np.int16)
    depth = np.cumsum(delta, dtype=np.int32)
    if depth[-1] != 0 or depth.min() < 0:
        return None
    roots = ~is_end & ~is_pi & (depth - delta == 0)
    if roots.sum() != 1:
        return None
    for i in np.flatnonzero(depth == 0).tolist():  # text outside the root must be blank
        stop = lt[i + 1] if i + 1 < lt.size else size
        if data[te[i] + 1: stop].strip():
            return None
    # names: end at the tag's end, or (tags with attributes) at the first blank
    st = lt + 1 + is_end
    ne = te - is_self
    eq = np.flatnonzero(body == 61)
    tag_eq = np.searchsorted(lt, eq, side="right") - 1
    atag = np.unique(tag_eq[(tag_eq >= 0) & (eq < te[np.maximum(tag_eq, 0)])])
    atag = atag[~is_pi[atag]]
    if atag.size:
        width = _MAX_NAME + 1
        win = np.lib.stride_tricks.as_strided(arr, shape=(arr.size - width, width),
                                              strides=(1, 1))[st[atag]]
        stop = (win == 32) | (win == 9) | (win == 10) | (win == 13) | (win == 47)
        if not stop.any(axis=1).all():
            return None
        ne[atag] = st[atag] + stop.argmax(axis=1)
    ne[is_pi] = st[is_pi] + 1  # the declaration has no name to check
    length = ne - st
    if (length <= 0).any() or (length > _MAX_NAME).any():
        return None
    u64 = np.ndarray((size + _PAD - 8 + 1,), dtype="<u8", buffer=pad, strides=(1,))
    h = _hash_names(u64, st, length)
    h[is_pi] = 0
    # every distinct name, decoded once, must be a plain XML name
    first = pl.Series(h).arg_unique().to_numpy()
    qnames = {int(h[i]): data[st[i]: ne[i]].decode("utf-8") for i in first.tolist()
              if not is_pi[i]}
    if not all(_QNAME.match(q) for q in qnames.values()):
        return None
    # every end tag closes the last open element of its depth: equal name hashes
    nest = np.flatnonzero(~is_self & ~is_pi)
    level = (depth[nest] + is_end[nest]).astype(np.int16)
    order = nest[np.argsort(level, kind="stable")]
    closes = is_end[order][1:]
    ho = h[order]
    if ((ho[1:] != ho[:-1]) & closes).any():
        return None
    # attributes: strict syntax (a '>' inside a value breaks it), namespaces on the root only
    astr = _slices(data, ne[atag], te[atag] - ne[atag] - is_self[atag])
    r = int(np.flatnonzero(roots)[0])
    # wanted attribute values, read from every attribute-bearing tag (points picked later)
    value_re = {x: rf"""(?:^|\s){re.escape(x)}\s*=\s*["']([^"']*)["']""" for x in attrs}
    name_re = {x: rf"""(?:^|\s){re.escape(x)}\s*=""" for x in attrs}
    if atag.size <= 64:
        strings = astr.to_list()
        if not all(_ATTRS_PY.match(a) for a in strings):
            return None  # attribute syntax the scanner does not vouch for
        if any(len(re.findall(name_re[x], a)) > 1 for a in strings for x in attrs):
            return None  # a repeated attribute: the full parser rejects the document
        values = {x: pl.Series(x, [(m.group(1) if (m := re.search(value_re[x], a)) else None)
                                   for a in strings], dtype=pl.String) for x in attrs}
    else:
        values = _attr_values(astr, atag != r, attrs)
        if values is None:
            return None
    decl = {"xml": "http://www.w3.org/XML/1998/namespace"}
    for m in _ATTR.finditer(data[ne[r]: te[r] - is_self[r]].decode("utf-8")):
        x = _XMLNS.match(m.group(1))
        if x:
            decl[x.group(1) or ""] = m.group(2)[1:-1]
    if atag.size <= 64:
        strings = astr.to_list()
        if any("xmlns" in a for a, t in zip(strings, atag.tolist(), strict=True) if t != r):
            return None
        attr_names = {m.group(1) for a in strings for m in _ATTR.finditer(a)}
    else:  # only the root's attributes can have prefixes (checked above)
        attr_names = {m.group(1) for m in _ATTR.finditer(astr[int(np.searchsorted(atag, r))])}
    used = {q.split(":", 1)[0] for q in [*qnames.values(), *attr_names] if ":" in q}
    if used - set(decl) - {"xmlns"}:
        return None  # an undeclared prefix: the full parser names it
    # names → (namespace URI, local name)
    resolved = {}
    for hv, q in qnames.items():
        prefix, _, loc = q.rpartition(":")
        resolved[hv] = (decl.get(prefix, "") or "", loc)

    def hashes(local_name: str) -> np.ndarray:
        return np.array([hv for hv, (_, loc) in resolved.items() if loc == local_name],
                        dtype=np.uint64)

    def is_named(local_name: str) -> np.ndarray:
        return np.isin(h, hashes(local_name)) & ~is_end

    p_open = is_named(point)
    p_close = (is_end | is_self) & np.isin(h, hashes(point))
    points = np.flatnonzero(p_open)
    n = points.size
    if n == 0:
        return None
    opened = np.cumsum(p_open)
    inside = (opened - (np.cumsum(p_close) - p_close)) == 1
    # columns: tags inside points whose name maps to a column or a wanted text
    labels, code = _labels(names, texts)
    key_code = {}
    for hv, (uri, loc) in resolved.items():
        label = f"\0{loc}" if loc in texts else names.get(f"{{{uri}}}{loc}", names.get(loc))
        if label is not None:
            key_code[hv] = code[label]
    known = np.array(sorted(key_code), dtype=np.uint64)
    known_code = np.array([key_code[k] for k in known.tolist()], dtype=np.int64)
    leaf = np.r_[is_end[1:], False]  # the next tag closes it: no child elements
    hit = np.flatnonzero(inside & leaf & ~is_end & ~is_self & np.isin(h, known))
    t0 = te[hit] + 1
    tlen = lt[hit + 1] - t0  # the root's end tag follows every point's content
    text = _slices(data, t0, tlen)
    cid = known_code[np.searchsorted(known, h[hit])]
    padded = (tlen == 0) | _WS[arr[t0]] | _WS[arr[t0 + tlen - 1]]
    cols, txt = _columns(n, opened[hit] - 1, cid, labels, text, texts, padded)
    # attributes of the point elements
    got = {}
    if attrs:
        po = points
        k = np.minimum(np.searchsorted(atag, po), max(atag.size - 1, 0))
        has = (atag[k] == po) if atag.size else np.zeros(n, dtype=bool)
        for x in attrs:
            got[x] = (values[x].gather(k) if has.all() else
                      pl.Series(x, dtype=pl.String).extend_constant(None, n)
                      .scatter(np.flatnonzero(has), values[x].gather(k[has])))
    within = {}
    for name in containers:  # elements of one container name do not nest in TCX/GPX
        c_open = np.flatnonzero(is_named(name))
        if not c_open.size:
            within[name] = np.full(n, -1, dtype=np.int64)
            continue
        c_close = np.flatnonzero((is_end | is_self) & np.isin(h, hashes(name)))
        k = np.searchsorted(c_open, points) - 1  # the last container opened before the point
        # no container closed between its opening and the point
        inside_c = (k >= 0) & (np.searchsorted(c_close, points, side="right")
                               == np.searchsorted(c_close, c_open[np.maximum(k, 0)]))
        within[name] = np.where(inside_c, k, -1).astype(np.int64)
    try:  # the rest of the document, parsed by expat: its verdict is final
        root = _et_parse(_skeleton(data, lt, te, p_open, p_close), "<skeleton>")
    except ReadError:
        return None  # let the full parse report it, naming the file
    return Doc(root, n, cols, txt, got, within, fast=True)


def _attr_values(astr: pl.Series, below: np.ndarray, attrs: tuple[str, ...]
                 ) -> dict[str, pl.Series] | None:
    """Values of the wanted attributes in each tag's attribute text; None when a tag's
    attributes break the strict syntax, repeat a wanted name, or (``below`` the root)
    declare or use a namespace.

    Tags whose text is exactly the wanted attributes in order with plain numbers
    (`` lat="47.1" lon="8.5"``, what devices write) pass every check by construction: their
    values are cut at the quotes. The others (the root, a few more) get the regex checks."""
    if attrs and all(re.fullmatch(r"[A-Za-z]+", x) for x in attrs):
        pattern = "^" + "".join(rf'\s+{x}\s*=\s*"[-+.0-9eE]*"' for x in attrs) + r"\s*$"
        a = pl.col("a")
        res = pl.DataFrame({"a": astr}).select(
            a.str.contains(pattern).alias("typical"),
            a.str.split_exact('"', 2 * len(attrs)).alias("parts"))
        rest = np.flatnonzero(~res["typical"].to_numpy())
        if rest.size <= astr.len() // 2:
            other = _attr_check(astr.gather(rest), below[rest], attrs) if rest.size else {}
            if other is None:
                return None
            parts = res["parts"].struct
            return {x: (parts.field(f"field_{2 * i + 1}").alias(x).scatter(rest, other[x])
                        if rest.size else parts.field(f"field_{2 * i + 1}").alias(x))
                    for i, x in enumerate(attrs)}
    return _attr_check(astr, below, attrs)


def _attr_check(astr: pl.Series, below: np.ndarray, attrs: tuple[str, ...]
                ) -> dict[str, pl.Series] | None:
    """:func:`_attr_values` with regexes: in one polars pass, or in Python for a few tags."""
    value_re = {x: rf"""(?:^|\s){re.escape(x)}\s*=\s*["']([^"']*)["']""" for x in attrs}
    name_re = {x: rf"""(?:^|\s){re.escape(x)}\s*=""" for x in attrs}
    if astr.len() <= 64:
        strings = astr.to_list()
        if (not all(_ATTRS_PY.match(s) for s in strings)
                or any(re.search(_NS_ATTR, s) for s, b in zip(strings, below, strict=True) if b)
                or any(len(re.findall(name_re[x], s)) > 1 for s in strings for x in attrs)):
            return None
        return {x: pl.Series(x, [(m.group(1) if (m := re.search(value_re[x], s)) else None)
                                 for s in strings], dtype=pl.String) for x in attrs}
    a = pl.col("a")
    res = pl.DataFrame({"a": astr, "below": below}).select(
        a.str.contains(_ATTRS_RE).all().alias("\0ok"),
        (pl.col("below") & a.str.contains(_NS_ATTR)).any()
        .alias("\0odd"),
        pl.all_horizontal([a.str.count_matches(name_re[x]) <= 1 for x in attrs]
                          or [pl.lit(True)]).all().alias("\0once"),
        *(a.str.extract(value_re[x], 1).alias(x) for x in attrs))
    if not res["\0ok"][0] or res["\0odd"][0] or not res["\0once"][0]:
        return None
    return {x: res[x] for x in attrs}


def _slices(data: bytes, start: np.ndarray, length: np.ndarray) -> pl.Series:
    """Disjoint, ordered byte ranges of ``data`` (valid UTF-8) as a polars String series.

    No copy on the numpy side: an Arrow string array over the whole document whose offsets
    alternate range start/end (the odd entries are the gaps between ranges, dropped)."""
    import pyarrow as pa

    if start.size == 0:
        return pl.Series([], dtype=pl.String)
    offsets = np.empty(2 * start.size, dtype=np.int64)
    offsets[0::2] = start
    offsets[1::2] = start + length
    strings = pa.LargeStringArray.from_buffers(2 * start.size - 1, pa.py_buffer(offsets),
                                               pa.py_buffer(data))
    return pl.from_arrow(strings).gather_every(2)


def _skeleton(data: bytes, lt, te, p_open, p_close) -> bytes:
    """The document with every point element cut out: a run of sibling points (no other tag
    between them) goes at once, with the blank text between them."""
    o_idx, c_idx = np.flatnonzero(p_open), np.flatnonzero(p_close)
    new_run = np.r_[True, o_idx[1:] != c_idx[:-1] + 1]
    starts, stops = lt[o_idx[new_run]], te[c_idx[np.r_[new_run[1:], True]]] + 1
    pieces, pos = [], 0
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        pieces.append(data[pos:a])
        pos = b
    pieces.append(data[pos:])
    return b"".join(pieces)


_OFFSET = r"[+-]\d\d:?\d\d$"


def parse_times(texts: Iterable[str | None] | pl.Series, path: str) -> tuple[pl.Series, list[str]]:
    """ISO-8601 times (``Z``, ``±hh:mm`` or no offset; up to 9 fractional digits) → UTC µs.

    Returns the series and warnings (times without an offset are taken as UTC, as the
    GPX and TCX schemas intend). A time that is present but unreadable raises a
    :class:`~runlab.errors.CorruptFileError` naming it.
    """
    orig = texts if isinstance(texts, pl.Series) else pl.Series("t", list(texts),
                                                                dtype=pl.String)
    warnings = []
    # device files: "...Z" with or without fractional seconds, parsed in one pass
    out = _zulu_times(orig)
    if out is None:
        out = orig.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us", time_zone="UTC",
                                   strict=False)
    if out.null_count() != orig.null_count():
        orig = orig.str.strip_chars()
        s = orig.str.replace(r"(?i)z$", "+00:00")
        has_offset = s.str.contains(_OFFSET)
        naive = (~has_offset & s.is_not_null()).sum()
        if naive:
            warnings.append(f"{naive} times have no UTC offset; taken as UTC")
            s = pl.select(pl.when(has_offset).then(s).otherwise(s + "+00:00")).to_series()
        # %.f takes 1-9 fractional digits; %z takes "+hh:mm" and "+hhmm"
        out = s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_unit="us", time_zone="UTC",
                                strict=False)
        bad = out.is_null() & s.is_not_null()
        if bad.any():
            raise CorruptFileError(path, f"unreadable time {orig.filter(bad)[0]!r}")
    first = out.min()
    if first is not None and first < _UNKNOWN_TIME + timedelta(seconds=1):
        unknown = (out >= _UNKNOWN_TIME) & (out < _UNKNOWN_TIME + timedelta(seconds=1))
        if unknown.any():
            warnings.append(f"{int(unknown.sum())} times are 1901-12-13T20:45:52 (a 32-bit "
                            "time_t of -2**31, GPSBabel's 'no time'); taken as missing")
            out = pl.select(pl.when(unknown).then(None).otherwise(out)).to_series()
    return out.alias("timestamp"), warnings


#: Byte layout of "YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z": separator positions and their bytes.
_ZULU_SEPS = {4: 45, 7: 45, 10: 84, 13: 58, 16: 58, 19: 46}
_ZULU_FIELDS = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))
_DAYS_BEFORE_MONTH = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@functools.lru_cache(maxsize=4)
def _zulu_layout(width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Separator columns, their bytes, digit columns and digit weights of a time layout:
    ``digits @ weights`` gives year, month, day, hour, minute, second and µs."""
    seps = {**_ZULU_SEPS, width - 1: 90} if width > 20 else {**_ZULU_SEPS, 19: 90}
    digit = np.ones(width, dtype=bool)
    digit[list(seps)] = False
    weights = np.zeros((width, 7))
    frac = (20, width - 1) if width > 20 else (20, 20)
    for k, (a, b) in enumerate((*_ZULU_FIELDS, frac)):
        weights[a:b, k] = 10.0 ** np.arange(b - a - 1, -1, -1)
    weights[20: width - 1, 6] *= 10.0 ** (27 - width)  # 3 digits are ms, 6 are µs
    return np.array(list(seps)), np.array(list(seps.values()), np.uint8), digit, weights


def _zulu_times(texts: pl.Series) -> pl.Series | None:
    """UTC µs of device times of one fixed layout, ``YYYY-MM-DDTHH:MM:SSZ`` with 0, 3 or 6
    fractional digits, parsed with numpy; None (the general parser decides) when any text is
    missing, of another length or layout, or not a valid calendar time."""
    import pyarrow as pa

    n = len(texts)
    if n == 0 or texts.null_count():
        return None
    arrow = texts.to_arrow()
    if arrow.type != pa.large_string():
        arrow = arrow.cast(pa.large_string())
    offsets = np.frombuffer(arrow.buffers()[1], np.int64)[arrow.offset: arrow.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if width not in (20, 24, 27) or (np.diff(offsets) != width).any():
        return None
    raw = np.frombuffer(arrow.buffers()[2], np.uint8)[offsets[0]: offsets[-1]].reshape(n, width)
    sep_at, sep_byte, digit, weights = _zulu_layout(width)
    digits = raw - np.uint8(48)  # wraps below '0'
    if (raw[:, sep_at] != sep_byte).any() or (digits[:, digit] > 9).any():
        return None
    year, month, day, hour, minute, sec, micros = (digits @ weights).astype(np.int64).T
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    if ((year < 1) | (month < 1) | (month > 12) | (day < 1) | (hour > 23) | (minute > 59)
            | (sec > 59)).any() or (day > _MONTH_DAYS[month] + (leap & (month == 2))).any():
        return None
    y = year - 1  # days from 0001-01-01 (proleptic Gregorian) to 1970-01-01: 719162
    days = (y * 365 + y // 4 - y // 100 + y // 400 - 719162
            + _DAYS_BEFORE_MONTH[month] + (leap & (month > 2)) + day - 1)
    seconds = ((days * 24 + hour) * 60 + minute) * 60 + sec
    return pl.Series(texts.name, seconds * 1_000_000 + micros).cast(pl.Datetime("us", "UTC"))


#: -2**31 s from the Unix epoch: what a signed 32-bit ``time_t`` "unknown" prints as.
_UNKNOWN_TIME = datetime(1901, 12, 13, 20, 45, 52, tzinfo=UTC)


def meta(fmt: str, records: pl.DataFrame, warnings: list[str], *, sport: str | None = None,
         creator: str | None = None, offset_s: int | None = None, **extra) -> dict:
    """``Activity.meta`` with the keys every reader sets (INTERFACES.md), plus ``extra``."""
    return {"format": fmt, "sport": sport, "sub_sport": None,
            "start_time": records["timestamp"].drop_nulls().min(),
            "local_time_offset_s": offset_s, "creator": creator, "partial": False,
            "warnings": warnings, **extra}


def first_text(texts: pl.Series) -> str | None:
    """The first non-null string of ``texts`` (None if there is none)."""
    if texts.null_count() == 0:
        return texts[0] if len(texts) else None
    rest = texts.drop_nulls()
    return rest[0] if len(rest) else None


def utc_offset_s(text: str | None) -> int | None:
    """Offset east of UTC of one ISO time string [s]; None without an explicit offset."""
    m = re.search(_OFFSET, (text or "").strip())
    if not m:
        return None
    off = m.group(0).replace(":", "")
    sign = -1 if off[0] == "-" else 1
    return sign * (int(off[1:3]) * 3600 + int(off[3:5]) * 60)


#: Half-width of the centred window of :func:`derive_speed_mps` [samples].
SPEED_HALF_WINDOW = 2


def derive_speed_mps(distance_m: np.ndarray, elapsed_s: np.ndarray,
                     half_window: int = SPEED_HALF_WINDOW) -> np.ndarray:
    """Speed from cumulative distance and time, smoothed over a centred window [m/s].

    ``speed[i] = (d[i+k] - d[i-k]) / (t[i+k] - t[i-k])`` with ``k = half_window`` (the
    window shrinks at the ends): a central difference over 2k+1 samples, which at 1 Hz
    averages out the 2–5 m jitter of consumer GPS fixes without lagging the pace. Samples
    whose window has no time span or a missing value get NaN.
    """
    n = len(distance_m)
    if n < 2:
        return np.full(n, np.nan)
    i = np.arange(n)
    lo, hi = np.clip(i - half_window, 0, n - 1), np.clip(i + half_window, 0, n - 1)
    dt = elapsed_s[hi] - elapsed_s[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = (distance_m[hi] - distance_m[lo]) / dt
    speed[~(dt > 0)] = np.nan
    return speed


#: A median raw cadence below this is per leg [1/min]: per-leg running cadence is 75–100 and
#: walking 50–65, while steps/min of both feet are ≥ 100 for walking and ≥ 140 for running.
PER_LEG_MEDIAN_MAX = 100.0


def cadence_to_spm(raw: np.ndarray, *, per_leg: bool | None) -> tuple[np.ndarray, str]:
    """Cadence in steps/min (both feet) from a format's raw cadence values.

    ``per_leg=True`` doubles (TCX ``RunCadence``, Garmin-style GPX ``cad``), ``False`` keeps,
    ``None`` decides from the data: a median of positive values below 100 is per leg
    (nobody steps under 100/min while moving on foot; per-leg running cadence is 75–100),
    otherwise the values are already steps/min. Returns the converted values and the unit
    that was assumed (``"per_leg"`` or ``"steps"``).
    """
    if per_leg is None:
        positive = raw[np.isfinite(raw) & (raw > 0)]
        per_leg = positive.size == 0 or float(np.median(positive)) < PER_LEG_MEDIAN_MAX
    return (raw * 2.0, "per_leg") if per_leg else (raw.astype(np.float64), "steps")


def finish_records(cols: dict[str, np.ndarray], times: pl.Series, path: str,
                   warnings: list[str]) -> pl.DataFrame:
    """Canonical records from parsed point columns and their times.

    Sorts by time (stable), merges points that share a timestamp (first non-missing value
    of each column wins; TCX writers repeat the lap-boundary point), adds ``elapsed_s``,
    derives ``distance_m`` from positions (haversine, :mod:`runlab.geo`) and ``speed_mps``
    from distance (:func:`derive_speed_mps`) when the file has none, and conforms to
    :data:`runlab.schema.RECORDS`. When no point has a time, all are kept in file order with
    null timestamps; when only some have one, those without are left out (with a warning).
    """
    n = len(times)
    if n == 0:
        raise NotAnActivityError(path, "no track points")
    micros = times.to_physical().to_numpy()  # float with NaN where missing (else int64)
    has_time = ~np.isnan(micros) if micros.dtype.kind == "f" else np.ones(n, dtype=bool)
    order = None
    if not has_time.any():
        warnings.append("no point has a time; records keep file order with null timestamps")
    else:
        if not has_time.all():
            warnings.append(f"{int((~has_time).sum())} points without a time are left out "
                            "(records are ordered by time)")
        keep = np.flatnonzero(has_time)
        t = micros[keep].astype(np.int64)
        if (np.diff(t) < 0).any():
            warnings.append("points were not in time order; sorted")
            keep = keep[np.argsort(t, kind="stable")]
        order = keep if keep.size < n or (np.diff(keep) != 1).any() else None
    frame = pl.DataFrame({"timestamp": times, **cols})
    if order is not None:
        frame = frame[order]
    floats = [c for c in cols if frame.schema[c] == pl.Float64 and c != "elapsed_s"]
    if has_time.any():
        elapsed = _elapsed_s(frame["timestamp"])
    elif "elapsed_s" in frame.columns:  # a source with only relative time (Strava streams)
        elapsed = pl.col("elapsed_s").cast(pl.Float64).fill_nan(None)
    else:
        elapsed = pl.lit(None, pl.Float64).alias("elapsed_s")
    frame = frame.with_columns(pl.col(floats).fill_nan(None), elapsed)
    if has_time.any():
        frame = _merge_repeats(frame, warnings)
    frame = _derive_motion(frame, warnings)
    return schema.conform(frame, "records")


def _elapsed_s(ts: pl.Series) -> pl.Expr:
    """Seconds since the first (non-null at row 0) timestamp: on the µs integers when the
    times are in µs (the same numbers, without a datetime literal), else as a duration."""
    if isinstance(ts.dtype, pl.Datetime) and ts.dtype.time_unit == "us":
        micros = pl.col("timestamp").to_physical() - ts.to_physical()[0]
    else:
        micros = (pl.col("timestamp") - ts[0]).dt.total_microseconds()
    return (micros / 1e6).alias("elapsed_s")


def _merge_repeats(frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    """Merge a point into the one before when it has the same time and no conflicting value.

    TCX writers repeat the last point of a lap as the first of the next; such a pair (equal
    or complementary values) becomes one record. Points sharing a time but disagreeing are
    all kept, with a warning.
    """
    t = frame["timestamp"].to_physical().to_numpy()
    same_np = np.r_[False, t[1:] == t[:-1]]
    if not same_np.any():
        return frame
    same = pl.Series(same_np)
    values = [c for c in frame.columns if c != "timestamp"]
    conflict = pl.any_horizontal([
        pl.col(c).is_not_null() & pl.col(c).shift(1).is_not_null()
        & (pl.col(c) != pl.col(c).shift(1)) for c in values] or [pl.lit(False)])
    merge = frame.select((pl.lit(same) & ~conflict.fill_null(False)).alias("m")).to_series()
    nxt = merge.shift(-1, fill_value=False)
    frame = frame.with_columns(
        pl.when(pl.lit(nxt) & pl.col(c).is_null()).then(pl.col(c).shift(-1))
        .otherwise(pl.col(c)).alias(c) for c in values).filter(~merge)
    if merge.sum():
        warnings.append(f"{int(merge.sum())} points repeat the previous point's time and "
                        "values; merged")
    if (same & ~merge).any():
        warnings.append(f"{int((same & ~merge).sum())} points share a time with a different "
                        "point; kept")
    return frame


def _derive_motion(frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    has = {c for c in frame.columns if frame[c].null_count() < frame.height}
    if "distance_m" not in has and {"lat_deg", "lon_deg"} <= has:
        dist = _bridge_gaps(frame["lat_deg"].to_numpy(), frame["lon_deg"].to_numpy())
        frame = frame.with_columns(pl.Series("distance_m", dist).fill_nan(None))
        warnings.append("distance_m derived from positions (haversine)")
        has.add("distance_m")
    if "speed_mps" not in has and "distance_m" in has and frame["elapsed_s"].null_count() == 0:
        dist = frame["distance_m"].to_numpy().astype(np.float64)
        speed = derive_speed_mps(dist, frame["elapsed_s"].to_numpy())
        frame = frame.with_columns(pl.Series("speed_mps", speed).fill_nan(None))
        warnings.append(f"speed_mps derived from distance (central difference over "
                        f"{2 * SPEED_HALF_WINDOW + 1} samples)")
    return frame


def _bridge_gaps(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Cumulative distance; a run of points without a fix is bridged from the last fix."""
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return np.full(lat.size, np.nan)
    fixed = np.flatnonzero(ok)
    hop = np.zeros(fixed.size)
    hop[1:] = step_distances_m(lat[fixed], lon[fixed])[1:]
    cum_at_fix = np.cumsum(hop)
    # every point carries the distance of the last fix at or before it; NaN before the first
    last_fix = np.maximum.accumulate(np.where(ok, np.arange(lat.size), -1))
    out = np.where(last_fix >= 0, cum_at_fix[np.searchsorted(fixed, np.maximum(last_fix, 0))],
                   np.nan)
    return out


def lower_sport(value: str | None, table: dict[str, str]) -> str | None:
    """A sport label → runlab's lower-case FIT-style name (None if not known)."""
    if value is None:
        return None
    key = value.strip().lower()
    return table.get(key, key.replace(" ", "_") or None)


def check_root(root: ET.Element, names: Iterable[str], path: str, what: str) -> None:
    """Raise a :class:`ReadError` unless the root element's local name is one of ``names``."""
    if local(root.tag) not in set(names):
        raise ReadError(path, f"not a {what} document (root element <{local(root.tag)}>)")


# --------------------------------------------------------------------------- writing

def prepare_records(records: pl.DataFrame) -> pl.DataFrame:
    """Canonical columns, NaN → null, rows without a timestamp refused, sorted by time."""
    if "timestamp" not in records.columns:
        raise ValueError("records lack the 'timestamp' column")
    rec = schema.conform(records, "records").select(list(schema.RECORDS))
    if rec["timestamp"].null_count():
        raise ValueError(f"{rec['timestamp'].null_count()} records have no timestamp")
    floats = [c for c, t in schema.RECORDS.items() if t == pl.Float64]
    return rec.with_columns(pl.col(floats).fill_nan(None)).sort("timestamp", maintain_order=True)


def time_strings(ts: pl.Series) -> pl.Expr:
    """ISO-8601 UTC times: milliseconds, or microseconds when any sample needs them."""
    sub_ms = (ts.dt.microsecond() % 1000 != 0).any()
    return pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ" if sub_ms
                                           else "%Y-%m-%dT%H:%M:%S%.3fZ")


def elem(tag: str, value: pl.Expr) -> pl.Expr:
    """``<tag>value</tag>`` where the value is present, else an empty string."""
    return pl.when(value.is_not_null()).then(
        pl.concat_str([pl.lit(f"<{tag}>"), value.cast(pl.String), pl.lit(f"</{tag}>")])
    ).otherwise(pl.lit(""))
